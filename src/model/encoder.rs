//! Sentence encoders: a transformer as ONNX and its `tokenizer.json` that turn a text into one vector,
//! pooled over its tokens and normalised to length 1, so that a dot product is a cosine similarity.
//!
//! An encoder is described by a small manifest, `encoder.toml`, beside its files:
//!
//! ```toml
//! name = "all-MiniLM-L6-v2"     # how margin names it (with the ONNX file's checksum, its identity)
//! file = "model.onnx"           # inputs input_ids, attention_mask (and token_type_ids if it has them)
//! tokenizer = "tokenizer.json"  # read by the tokenizers crate
//! pooling = "mean"              # "mean" over the tokens the mask keeps, or "cls" (the first token)
//! dimensions = 384              # the width of the output's last axis
//! max_length = 256              # longer texts are truncated to this many tokens
//! output = "last_hidden_state"  # float [batch, tokens, dimensions]
//! ```
//!
//! scripts/setup fetches all-MiniLM-L6-v2 (int8) and writes its manifest; [`EncoderPlaces`] finds it the
//! way [`super::runtime::SearchPlaces`] finds ONNX Runtime.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ort::session::Session;
use ort::value::{Tensor, TensorElementType, ValueType};
use serde::Deserialize;
use sha2::Digest;
use tokenizers::{Tokenizer, TruncationParams};

use super::ModelError;
use super::runtime::Runtime;

/// The manifest's file name.
pub const MANIFEST: &str = "encoder.toml";
/// The encoder scripts/setup fetches, under `vendor/encoders/` (or `encoders/` beside the executable).
pub const DEFAULT_ENCODER: &str = "all-minilm-l6-v2";

/// How token vectors become one vector per text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pooling {
    /// The mean of the vectors of the tokens the attention mask keeps.
    Mean,
    /// The first token's vector.
    Cls,
}

/// What `encoder.toml` says.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncoderManifest {
    pub name: String,
    pub file: PathBuf,
    pub tokenizer: PathBuf,
    pub pooling: Pooling,
    pub dimensions: usize,
    pub max_length: usize,
    #[serde(default = "default_output")]
    pub output: String,
}

fn default_output() -> String {
    "last_hidden_state".into()
}

impl EncoderManifest {
    /// Reads and checks a manifest; an error names the file and what is wrong.
    pub fn load(path: &Path) -> Result<EncoderManifest, ModelError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ModelError::Invalid(format!("{}: cannot read the encoder's manifest: {e}", path.display())))?;
        let manifest: EncoderManifest = toml::from_str(&text).map_err(|e| {
            let line = e.span().map_or(1, |span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            ModelError::Invalid(format!("{}:{line}: {}", path.display(), e.message().trim()))
        })?;
        if manifest.dimensions == 0 || manifest.max_length < 2 {
            return Err(ModelError::Invalid(format!(
                "{}: dimensions must be at least 1 and max_length at least 2",
                path.display()
            )));
        }
        Ok(manifest)
    }
}

/// Where to look for an encoder's manifest, first found wins: the flag, `$MARGIN_ENCODER`, `encoders/`
/// beside the executable, `encoders/` in margin's data directory (`margin setup`), the vendor folder
/// scripts/setup fills.
#[derive(Debug, Clone, Default)]
pub struct EncoderPlaces {
    pub flag: Option<PathBuf>,
    pub env_var: Option<PathBuf>,
    pub exe_dir: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub vendor_dir: Option<PathBuf>,
}

impl EncoderPlaces {
    /// The real places: the flag as given, `$MARGIN_ENCODER`, this executable's directory, the vendor dir.
    pub fn from_environment(flag: Option<&Path>) -> Self {
        EncoderPlaces {
            flag: flag.map(Path::to_path_buf),
            env_var: std::env::var_os("MARGIN_ENCODER").filter(|v| !v.is_empty()).map(PathBuf::from),
            exe_dir: std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)),
            data_dir: super::runtime::data_home(),
            vendor_dir: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("vendor")),
        }
    }

    /// The manifest to use. A flag or variable naming something that does not exist is an error, not a
    /// reason to look further (as with the runtime); a directory stands for the manifest in it.
    pub fn locate(&self) -> Result<PathBuf, ModelError> {
        let manifest_in = |p: &Path| if p.is_dir() { p.join(MANIFEST) } else { p.to_path_buf() };
        for (named, source) in [(&self.flag, "--encoder"), (&self.env_var, "MARGIN_ENCODER")] {
            if let Some(path) = named {
                let manifest = manifest_in(path);
                return if manifest.is_file() {
                    Ok(manifest)
                } else {
                    Err(ModelError::Invalid(format!(
                        "{source} names {}, which holds no {MANIFEST}; point it at an encoder's manifest or folder",
                        path.display()
                    )))
                };
            }
        }
        let defaults = [
            self.exe_dir.as_ref().map(|d| d.join("encoders").join(DEFAULT_ENCODER).join(MANIFEST)),
            self.data_dir.as_ref().map(|d| d.join("encoders").join(DEFAULT_ENCODER).join(MANIFEST)),
            self.vendor_dir.as_ref().map(|d| d.join("encoders").join(DEFAULT_ENCODER).join(MANIFEST)),
        ];
        let looked: Vec<PathBuf> = defaults.into_iter().flatten().collect();
        looked.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
            let places: Vec<String> = looked.iter().map(|p| p.display().to_string()).collect();
            ModelError::EncoderNotFound { looked: places.join(", ") }
        })
    }
}

/// Texts per ONNX Runtime call by default (texts of similar length batch together).
pub const BATCH: usize = 32;

/// An encoder shared by the models that take its vectors and the code that embeds with it.
pub type SharedEncoder = std::sync::Arc<std::sync::Mutex<Encoder>>;

/// A sentence encoder ready to embed texts.
pub struct Encoder {
    session: Session,
    tokenizer: Tokenizer,
    manifest: EncoderManifest,
    feeds_type_ids: bool,
    identity: String,
}

impl Encoder {
    /// Loads the encoder a manifest describes, checking its inputs and output against the manifest.
    /// `threads`: ONNX Runtime's threads per operator.
    pub fn load(runtime: &Runtime, manifest_path: &Path, threads: usize) -> Result<Encoder, ModelError> {
        let manifest = EncoderManifest::load(manifest_path)?;
        let base = manifest_path.parent().unwrap_or(Path::new("."));
        let refuse = |why: String| ModelError::Invalid(format!("{}: {why}", manifest_path.display()));
        let model_file = base.join(&manifest.file);
        let bytes = std::fs::read(&model_file)
            .map_err(|e| refuse(format!("cannot read the model file {}: {e}", model_file.display())))?;
        let tokenizer_path = base.join(&manifest.tokenizer);
        let tokenizer_bytes = std::fs::read(&tokenizer_path)
            .map_err(|e| refuse(format!("cannot read the tokenizer {}: {e}", tokenizer_path.display())))?;
        // Everything that shapes a vector: a change of any of them gives other vectors.
        let mut digest = sha2::Sha256::new();
        digest.update(&bytes);
        digest.update(&tokenizer_bytes);
        digest.update(format!(
            "{:?}/{}/{}/{}",
            manifest.pooling, manifest.dimensions, manifest.max_length, manifest.output
        ));
        let checksum = crate::domain::audit::to_hex(&digest.finalize());
        let identity = format!("{}@sha256:{}", manifest.name, &checksum[..16]);
        let session = runtime.session_from_file(&model_file, threads)?;
        let has = |name: &str| session.inputs().iter().any(|i| i.name() == name);
        for needed in ["input_ids", "attention_mask"] {
            if !has(needed) {
                return Err(refuse(format!("the model has no input `{needed}`")));
            }
        }
        let feeds_type_ids = has("token_type_ids");
        check_output(&session, &manifest).map_err(refuse)?;
        let mut tokenizer = Tokenizer::from_bytes(&tokenizer_bytes)
            .map_err(|e| refuse(format!("cannot read the tokenizer {}: {e}", tokenizer_path.display())))?;
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: manifest.max_length, ..Default::default() }))
            .map_err(|e| refuse(format!("tokenizer: {e}")))?;
        tokenizer.with_padding(None);
        Ok(Encoder { session, tokenizer, manifest, feeds_type_ids, identity })
    }

    /// The encoder's name and the start of a SHA-256 over its ONNX file, its tokenizer and its pooling,
    /// dimensions, maximum length and output: what a stored vector is tagged with, so that a change of any
    /// of them is seen and the vectors computed again.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    pub fn dimensions(&self) -> usize {
        self.manifest.dimensions
    }

    /// The texts as the model reads them (truncated to `max_length` tokens), to be grouped by length and
    /// embedded with [`Encoder::embed_tokens`].
    pub fn tokenize(&self, texts: &[&str]) -> Result<Vec<Tokens>, ModelError> {
        texts
            .iter()
            .map(|t| self.tokenizer.encode(*t, true).map(Tokens))
            .collect::<Result<_, _>>()
            .map_err(|e| ModelError::Invalid(format!("tokenizer: {e}")))
    }

    /// One vector per text, of length 1, in the order given.
    pub fn embed(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, ModelError> {
        let tokens = self.tokenize(texts)?;
        self.embed_tokens(&tokens)
    }

    /// The vectors of `texts`, in their order: tokenized, sorted by length and embedded `batch` at a time
    /// (little padding). Also gives the time spent tokenizing and encoding.
    pub fn embed_by_length(
        &mut self,
        texts: &[&str],
        batch: usize,
    ) -> Result<(Vec<Vec<f32>>, Duration, Duration), ModelError> {
        embed_by_length_on(&mut [self], texts, batch)
    }

    /// One vector per tokenized text, of length 1, in the order given. They go through ONNX Runtime as one
    /// batch padded to the longest: callers group texts of similar length.
    pub fn embed_tokens(&mut self, texts: &[Tokens]) -> Result<Vec<Vec<f32>>, ModelError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let (hidden, mask, tokens, width) = self.run(texts)?;
        let dims = self.manifest.dimensions;
        let pooling = self.manifest.pooling;
        Ok((0..texts.len())
            .map(|r| {
                let row = &hidden[r * tokens * dims..(r + 1) * tokens * dims];
                let kept = &mask[r * width..r * width + tokens.min(width)];
                normalised(pool(row, kept, dims, pooling))
            })
            .collect())
    }

    /// The encoder's vector for each of `words` (character ranges of `text`, as the span model's tokens):
    /// the mean of the vectors of the sub-word tokens that overlap it, of length 1; zeros for a word past
    /// the encoder's `max_length`.
    pub fn word_vectors(&mut self, text: &str, words: &[(usize, usize)]) -> Result<Vec<Vec<f32>>, ModelError> {
        let dims = self.manifest.dimensions;
        let tokenized = self.tokenize(&[text])?;
        let (hidden, _, tokens, _) = self.run(&tokenized)?;
        // The tokenizer's offsets are in bytes; the words' in characters.
        let char_of: Vec<usize> = {
            let mut at = vec![0usize; text.len() + 1];
            let mut chars = 0;
            for (b, c) in text.char_indices() {
                at[b..b + c.len_utf8()].iter_mut().for_each(|x| *x = chars);
                chars += 1;
            }
            at[text.len()] = chars;
            at
        };
        let offsets: Vec<(usize, usize)> = tokenized[0]
            .0
            .get_offsets()
            .iter()
            .map(|&(s, e)| (char_of[s.min(text.len())], char_of[e.min(text.len())]))
            .collect();
        Ok(words
            .iter()
            .map(|&(start, end)| {
                let mut sum = vec![0.0f32; dims];
                for (k, &(s, e)) in offsets.iter().enumerate().take(tokens) {
                    if s < end && start < e {
                        for (x, h) in sum.iter_mut().zip(&hidden[k * dims..(k + 1) * dims]) {
                            *x += h;
                        }
                    }
                }
                normalised(sum)
            })
            .collect())
    }

    /// Runs tokenized texts through the model as one padded batch: the hidden states (rows x tokens x
    /// dims), the attention mask (rows x width), the tokens per row of the output, and the width.
    fn run(&mut self, texts: &[Tokens]) -> Result<(Vec<f32>, Vec<i64>, usize, usize), ModelError> {
        let width = texts.iter().map(Tokens::len).max().unwrap_or(1).max(1);
        let rows = texts.len();
        let (mut ids, mut mask, mut types) =
            (vec![0i64; rows * width], vec![0i64; rows * width], vec![0i64; rows * width]);
        for (r, Tokens(e)) in texts.iter().enumerate() {
            for (k, ((&id, &m), &ty)) in
                e.get_ids().iter().zip(e.get_attention_mask()).zip(e.get_type_ids()).enumerate()
            {
                ids[r * width + k] = i64::from(id);
                mask[r * width + k] = i64::from(m);
                types[r * width + k] = i64::from(ty);
            }
        }
        let shape = [rows, width];
        let mut inputs = ort::inputs![
            "input_ids" => Tensor::from_array((shape, ids))?,
            "attention_mask" => Tensor::from_array((shape, mask.clone()))?
        ];
        if self.feeds_type_ids {
            inputs.push(("token_type_ids".into(), Tensor::from_array((shape, types))?.into()));
        }
        let dims = self.manifest.dimensions;
        let output = self.manifest.output.clone();
        let outputs = self.session.run(inputs)?;
        let (out_shape, hidden) = outputs[output.as_str()].try_extract_tensor::<f32>()?;
        if out_shape.len() != 3 || out_shape[0] as usize != rows || out_shape[2] as usize != dims {
            return Err(ModelError::Invalid(format!(
                "{}: output `{output}` has shape {:?}, expected [{rows}, tokens, {dims}]",
                self.manifest.name,
                out_shape.to_vec()
            )));
        }
        if hidden.iter().any(|x| !x.is_finite()) {
            return Err(ModelError::Invalid(format!(
                "{}: the encoder's output holds NaN or infinity",
                self.manifest.name
            )));
        }
        Ok((hidden.to_vec(), mask, out_shape[1] as usize, width))
    }
}

/// A text's vector with the text's index.
pub type Numbered = (usize, Vec<f32>);

/// As [`Encoder::embed_by_length`], the batches shared out among `encoders` (sessions of the same encoder;
/// see [`embed_sorted_on`]). Tokenized by the first.
pub fn embed_by_length_on(
    encoders: &mut [&mut Encoder],
    texts: &[&str],
    batch: usize,
) -> Result<(Vec<Vec<f32>>, Duration, Duration), ModelError> {
    let Some(first) = encoders.first() else { return Err(ModelError::Invalid("no encoder to embed with".into())) };
    let (sorted, tokenize) = tokenize_by_length(first, texts)?;
    let (numbered, encode) = embed_sorted_on(encoders, sorted, batch)?;
    let mut vectors = vec![Vec::new(); texts.len()];
    for (i, vector) in numbered {
        vectors[i] = vector;
    }
    Ok((vectors, tokenize, encode))
}

/// `texts` tokenized by `encoder`, each with its index, shortest first (for [`embed_sorted_on`]), and the
/// time it took.
pub fn tokenize_by_length(encoder: &Encoder, texts: &[&str]) -> Result<(Vec<(usize, Tokens)>, Duration), ModelError> {
    let t = Instant::now();
    let mut sorted: Vec<(usize, Tokens)> = encoder.tokenize(texts)?.into_iter().enumerate().collect();
    sorted.sort_by_key(|(_, tokens)| tokens.len());
    Ok((sorted, t.elapsed()))
}

/// The vectors of texts tokenized and sorted by length (see [`tokenize_by_length`]), each with its index,
/// `batch` at a time (little padding), and the time it took. The batches are shared out among `encoders`
/// (sessions of the same encoder), each on its own thread (one encoder: on this thread). On a quiet
/// machine two sessions of one ONNX Runtime thread each are as fast as one session of two; on cores shared
/// with other work they are faster (BENCHMARKS.md: 23 s against 30-32 s), as a session's threads wait for
/// each other within every operator.
pub fn embed_sorted_on(
    encoders: &mut [&mut Encoder],
    sorted: Vec<(usize, Tokens)>,
    batch: usize,
) -> Result<(Vec<Numbered>, Duration), ModelError> {
    if encoders.is_empty() {
        return Err(ModelError::Invalid("no encoder to embed with".into()));
    }
    // Batch b goes to encoder b mod n: each gets short and long texts alike.
    let mut shares: Vec<Vec<(Vec<usize>, Vec<Tokens>)>> = (0..encoders.len()).map(|_| Vec::new()).collect();
    let mut rest = sorted.into_iter().peekable();
    let mut b = 0;
    while rest.peek().is_some() {
        let (group, group_tokens): (Vec<usize>, Vec<Tokens>) = rest.by_ref().take(batch.max(1)).unzip();
        shares[b % encoders.len()].push((group, group_tokens));
        b += 1;
    }
    let t = Instant::now();
    let embed_share = |encoder: &mut Encoder, share: Vec<(Vec<usize>, Vec<Tokens>)>| {
        let mut out: Vec<Numbered> = Vec::new();
        for (group, group_tokens) in share {
            out.extend(group.into_iter().zip(encoder.embed_tokens(&group_tokens)?));
        }
        Ok(out)
    };
    let done: Vec<Result<Vec<Numbered>, ModelError>> = if let [only] = encoders {
        shares.into_iter().map(|share| embed_share(only, share)).collect()
    } else {
        std::thread::scope(|scope| {
            let running: Vec<_> = encoders
                .iter_mut()
                .zip(shares)
                .map(|(encoder, share)| scope.spawn(move || embed_share(encoder, share)))
                .collect();
            running
                .into_iter()
                .map(|r| r.join().unwrap_or_else(|_| Err(ModelError::Invalid("an encoding thread panicked".into()))))
                .collect()
        })
    };
    let mut numbered = Vec::new();
    for part in done {
        numbered.extend(part?);
    }
    Ok((numbered, t.elapsed()))
}

/// A text as the encoder reads it.
pub struct Tokens(tokenizers::Encoding);

impl Tokens {
    /// How many tokens (after truncation).
    pub fn len(&self) -> usize {
        self.0.get_ids().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One vector from a text's token vectors (`row`: tokens x dims).
fn pool(row: &[f32], mask: &[i64], dims: usize, pooling: Pooling) -> Vec<f32> {
    match pooling {
        Pooling::Cls => row[..dims].to_vec(),
        Pooling::Mean => {
            let mut sum = vec![0.0f32; dims];
            let mut count = 0.0f32;
            for (token, &keep) in row.chunks_exact(dims).zip(mask) {
                if keep != 0 {
                    sum.iter_mut().zip(token).for_each(|(s, v)| *s += v);
                    count += 1.0;
                }
            }
            let count = count.max(1e-9);
            sum.iter_mut().for_each(|s| *s /= count);
            sum
        }
    }
}

/// `v` scaled to length 1 (a zero vector stays zero).
fn normalised(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 1e-12 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// Checks that the model has the manifest's output, a float tensor of rank 3.
fn check_output(session: &Session, manifest: &EncoderManifest) -> Result<(), String> {
    match session.outputs().iter().find(|o| o.name() == manifest.output).map(|o| o.dtype().clone()) {
        Some(ValueType::Tensor { ty: TensorElementType::Float32, shape, .. }) if shape.len() == 3 => Ok(()),
        Some(other) => {
            Err(format!("output `{}` is {other:?}, expected float [batch, tokens, dimensions]", manifest.output))
        }
        None => Err(format!("the model has no output `{}`", manifest.output)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_pooling_keeps_only_masked_tokens_and_normalises() {
        let row = [1.0, 0.0, 3.0, 0.0, 100.0, 100.0];
        let pooled = pool(&row, &[1, 1, 0], 2, Pooling::Mean);
        assert_eq!(pooled, vec![2.0, 0.0]);
        assert_eq!(normalised(pooled), vec![1.0, 0.0]);
        assert_eq!(pool(&row, &[1, 1, 1], 2, Pooling::Cls), vec![1.0, 0.0]);
        assert_eq!(normalised(vec![0.0, 0.0]), vec![0.0, 0.0]);
    }

    #[test]
    fn a_named_encoder_that_is_missing_is_an_error_not_a_fallback() {
        let dir = tempfile::tempdir().unwrap();
        let vendor = dir.path().join("vendor");
        let default = vendor.join("encoders").join(DEFAULT_ENCODER);
        std::fs::create_dir_all(&default).unwrap();
        std::fs::write(default.join(MANIFEST), "").unwrap();
        let places = EncoderPlaces {
            flag: Some(dir.path().join("nowhere")),
            vendor_dir: Some(vendor.clone()),
            ..EncoderPlaces::default()
        };
        assert!(places.locate().unwrap_err().to_string().contains("--encoder names"));
        let places = EncoderPlaces { vendor_dir: Some(vendor), ..EncoderPlaces::default() };
        assert_eq!(places.locate().unwrap(), default.join(MANIFEST));
        let places = EncoderPlaces { flag: Some(default.clone()), ..EncoderPlaces::default() };
        assert_eq!(places.locate().unwrap(), default.join(MANIFEST), "a folder stands for its manifest");
    }

    #[test]
    fn a_manifest_with_no_dimensions_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(MANIFEST);
        std::fs::write(
            &path,
            "name = \"x\"\nfile = \"m.onnx\"\ntokenizer = \"t.json\"\npooling = \"mean\"\ndimensions = 0\nmax_length = 8\n",
        )
        .unwrap();
        let error = EncoderManifest::load(&path).unwrap_err().to_string();
        assert!(error.contains("encoder.toml") && error.contains("dimensions"), "{error}");
        std::fs::write(&path, "name = \"x\"\npooling = \"max\"\n").unwrap();
        let error = EncoderManifest::load(&path).unwrap_err().to_string();
        assert!(error.contains("encoder.toml:2:"), "the line is named: {error}");
    }
}
