//! Sparse feature vectors: what the featurizer makes of a text, and what similarity and diversity are
//! measured on.

/// A sparse vector: bucket indices, each once, and their values. Indices come in the order their
/// features first appear in the text (ONNX Runtime's Gather does not care); [`SparseVector::sort`] puts
/// them in increasing order where that matters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVector {
    pub idx: Vec<u32>,
    pub val: Vec<f32>,
}

impl SparseVector {
    pub fn nnz(&self) -> usize {
        self.idx.len()
    }

    /// A dense vector (a sentence vector) as a sparse one with every index, so that the same cosine and
    /// diversity code serves both.
    pub fn dense(values: &[f32]) -> SparseVector {
        SparseVector { idx: (0..values.len() as u32).collect(), val: values.to_vec() }
    }

    /// Orders the entries by index.
    pub fn sort(&mut self) {
        if self.idx.windows(2).all(|w| w[0] < w[1]) {
            return;
        }
        let mut pairs: Vec<(u32, f32)> = self.idx.iter().copied().zip(self.val.iter().copied()).collect();
        pairs.sort_unstable_by_key(|p| p.0);
        self.idx = pairs.iter().map(|p| p.0).collect();
        self.val = pairs.iter().map(|p| p.1).collect();
    }

    /// Dot product with another sparse vector; both must be sorted (see [`SparseVector::sort`]).
    pub fn dot(&self, other: &SparseVector) -> f32 {
        let (mut i, mut j, mut sum) = (0, 0, 0.0f32);
        while i < self.idx.len() && j < other.idx.len() {
            match self.idx[i].cmp(&other.idx[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    sum += self.val[i] * other.val[j];
                    i += 1;
                    j += 1;
                }
            }
        }
        sum
    }
}
