//! Dense vectors from a sentence encoder, as margin keeps them: one signed byte per dimension and one
//! scale per vector (the largest absolute value maps to 127), which keeps a 384-dimensional vector in 388
//! bytes and its cosine with the original above 0.9999.

/// The stored form of `vector`: its scale (4 bytes, little-endian float), then one byte per dimension.
pub fn quantize(vector: &[f32]) -> Vec<u8> {
    let largest = vector.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
    let mut bytes = Vec::with_capacity(4 + vector.len());
    bytes.extend_from_slice(&scale.to_le_bytes());
    bytes.extend(vector.iter().map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8 as u8));
    bytes
}

/// The vector stored as `bytes` (see [`quantize`]); `None` when they cannot be one.
pub fn dequantize(bytes: &[u8]) -> Option<Vec<f32>> {
    let (scale, values) = bytes.split_first_chunk::<4>()?;
    let scale = f32::from_le_bytes(*scale);
    scale.is_finite().then(|| values.iter().map(|&b| f32::from(b as i8) * scale).collect())
}

/// The dot product: the cosine for vectors of length 1.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_vector_keeps_its_direction() {
        // A unit vector with values of several sizes and signs.
        let raw: Vec<f32> = (0..384).map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0).collect();
        let norm = dot(&raw, &raw).sqrt();
        let unit: Vec<f32> = raw.iter().map(|x| x / norm).collect();
        let stored = quantize(&unit);
        assert_eq!(stored.len(), 4 + 384);
        let back = dequantize(&stored).unwrap();
        let cosine = dot(&unit, &back) / dot(&back, &back).sqrt();
        assert!(cosine > 0.9999, "{cosine}");
        assert_eq!(dequantize(&quantize(&[0.0, 0.0])).unwrap(), vec![0.0, 0.0]);
        assert_eq!(dequantize(&[1, 2]), None);
    }
}
