//! Bring your own token classifier, for span projects: any ONNX model that scores each sub-word token
//! against a list of BIO tags (a token-classification export of a transformer, say), with the
//! `tokenizer.json` it was trained with, described by a TOML manifest beside it:
//!
//! ```toml
//! file = "ner.onnx"                              # relative to the manifest
//! tokenizer = "tokenizer.json"                   # read by the tokenizers crate
//! tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"] # the model's output order
//! output = "logits"                              # float [1, sub-words, tags]
//! output_is = "logits"                           # or "probabilities" (softmax is applied to logits)
//! max_length = 512                               # longer texts are cut; their tail is O
//! [inputs]                                       # input names, if not these
//! input_ids = "input_ids"
//! attention_mask = "attention_mask"              # fed when the model has it
//! token_type_ids = "token_type_ids"              # fed when the model has it
//! ```
//!
//! Sub-word tokens are mapped back to margin's tokens by their offsets: a token takes the tag scores of
//! the first sub-word that overlaps it. A model tag for a label the project does not have counts as O
//! (IOB1 and IOB2 tag names both read); at least one of the model's labels must be the project's.

use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::value::Tensor;
use serde::Deserialize;
use tokenizers::{Tokenizer, TruncationParams};

use super::ModelError;
use super::external::{InputNames, OutputIs};
use super::linear::softmax_in_place;
use super::runtime::Runtime;
use crate::domain::spans::bio::{Tag, tag_count};
use crate::domain::spans::{Token, tokens};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenManifest {
    pub file: PathBuf,
    pub tokenizer: PathBuf,
    pub tags: Vec<String>,
    #[serde(default = "default_output")]
    pub output: String,
    #[serde(default = "default_output_is")]
    pub output_is: OutputIs,
    #[serde(default = "default_max_length")]
    pub max_length: usize,
    #[serde(default)]
    pub inputs: InputNames,
}

fn default_output() -> String {
    "logits".into()
}

fn default_output_is() -> OutputIs {
    OutputIs::Logits
}

fn default_max_length() -> usize {
    512
}

/// A token classifier loaded and checked against the project's labels.
pub struct TokenClassifier {
    session: Session,
    tokenizer: Tokenizer,
    manifest: TokenManifest,
    /// For each of the model's tags, the project's tag it counts as.
    to_project: Vec<usize>,
    classes: usize,
    feeds_mask: bool,
    feeds_type_ids: bool,
    name: String,
}

impl std::fmt::Debug for TokenClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenClassifier").field("manifest", &self.name).finish()
    }
}

impl TokenClassifier {
    /// Loads the model a manifest describes for a project with `labels`; refused, in one line, when the
    /// manifest, the tokenizer or the model does not fit.
    pub fn load(runtime: &Runtime, manifest_path: &Path, labels: &[String]) -> Result<TokenClassifier, ModelError> {
        let name = manifest_path.display().to_string();
        let refuse = |why: String| ModelError::Invalid(format!("{name}: {why}"));
        let text = std::fs::read_to_string(manifest_path).map_err(|e| refuse(format!("cannot read: {e}")))?;
        let manifest: TokenManifest = toml::from_str(&text).map_err(|e| {
            let line = e.span().map_or(1, |s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            ModelError::Invalid(format!("{name}:{line}: {}", crate::domain::text::visible(e.message().trim())))
        })?;
        let to_project: Vec<usize> =
            manifest.tags.iter().map(|t| Tag::parse(t, labels).map_or(Tag::Outside.index(), Tag::index)).collect();
        if to_project.iter().all(|&t| t == Tag::Outside.index()) {
            return Err(refuse(format!(
                "none of the model's tags [{}] is B- or I- of the project's labels ({})",
                manifest.tags.join(", "),
                labels.join(", ")
            )));
        }
        let base = manifest_path.parent().unwrap_or(Path::new("."));
        let mut tokenizer = Tokenizer::from_file(base.join(&manifest.tokenizer))
            .map_err(|e| refuse(format!("tokenizer {}: {e}", manifest.tokenizer.display())))?;
        let truncation = TruncationParams { max_length: manifest.max_length, ..TruncationParams::default() };
        tokenizer.with_truncation(Some(truncation)).map_err(|e| refuse(format!("tokenizer: {e}")))?;
        let file = base.join(&manifest.file);
        if !file.is_file() {
            return Err(refuse(format!("model file {} does not exist", file.display())));
        }
        let session = runtime.session_from_file(&file, 1)?;
        let has = |input: &str| session.inputs().iter().any(|i| i.name() == input);
        if !has(&manifest.inputs.input_ids) {
            return Err(refuse(format!("the model has no input {:?}", manifest.inputs.input_ids)));
        }
        if !session.outputs().iter().any(|o| o.name() == manifest.output) {
            return Err(refuse(format!("the model has no output {:?}", manifest.output)));
        }
        let (feeds_mask, feeds_type_ids) = (has(&manifest.inputs.attention_mask), has(&manifest.inputs.token_type_ids));
        Ok(TokenClassifier {
            session,
            tokenizer,
            manifest,
            to_project,
            classes: tag_count(labels.len()),
            feeds_mask,
            feeds_type_ids,
            name,
        })
    }

    /// The model file, relative to the manifest's directory.
    pub fn model_file(&self) -> &Path {
        &self.manifest.file
    }

    /// margin's tokens of `text` and each one's tag probabilities in the project's tag order (see
    /// [`Tag::index`]): those of its first sub-word, the model's tags summed into the project's.
    pub fn token_probabilities(&mut self, text: &str) -> Result<(Vec<Token>, Vec<Vec<f32>>), ModelError> {
        let toks = tokens(text);
        if toks.is_empty() {
            return Ok((toks, Vec::new()));
        }
        let encoding = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| ModelError::Invalid(format!("{}: tokenizer: {e}", self.name)))?;
        let n = encoding.get_ids().len();
        let ids: Vec<i64> = encoding.get_ids().iter().map(|&i| i64::from(i)).collect();
        let names = self.manifest.inputs.clone();
        let mut inputs = ort::inputs![names.input_ids => Tensor::from_array(([1, n], ids))?];
        if self.feeds_mask {
            let mask: Vec<i64> = encoding.get_attention_mask().iter().map(|&m| i64::from(m)).collect();
            inputs.push((names.attention_mask.into(), Tensor::from_array(([1, n], mask))?.into()));
        }
        if self.feeds_type_ids {
            let types: Vec<i64> = encoding.get_type_ids().iter().map(|&t| i64::from(t)).collect();
            inputs.push((names.token_type_ids.into(), Tensor::from_array(([1, n], types))?.into()));
        }
        let outputs = self.session.run(inputs)?;
        let (shape, flat) = outputs[self.manifest.output.as_str()].try_extract_tensor::<f32>()?;
        let tags = self.manifest.tags.len();
        if shape.len() != 3 || shape[1] as usize != n || shape[2] as usize != tags {
            return Err(ModelError::Invalid(format!(
                "{}: output {:?} has shape {:?}; expected [1, {n}, {tags}]",
                self.name,
                self.manifest.output,
                shape.to_vec()
            )));
        }
        let per_piece: Vec<Vec<f32>> = flat
            .chunks_exact(tags)
            .map(|row| {
                let mut p = row.to_vec();
                if self.manifest.output_is == OutputIs::Logits {
                    softmax_in_place(&mut p);
                }
                p
            })
            .collect();
        // The sub-words' byte offsets as character offsets (special tokens have empty ones).
        let mut char_at = vec![0usize; text.len() + 1];
        let mut chars = 0;
        for (b, c) in text.char_indices() {
            char_at[b..b + c.len_utf8()].iter_mut().for_each(|x| *x = chars);
            chars += 1;
        }
        char_at[text.len()] = chars;
        let pieces: Vec<(usize, usize)> = encoding
            .get_offsets()
            .iter()
            .map(|&(s, e)| (char_at[s.min(text.len())], char_at[e.min(text.len())]))
            .collect();
        let probabilities = toks
            .iter()
            .map(|t| {
                let mut p = vec![0.0f32; self.classes];
                match pieces.iter().position(|&(s, e)| e > s && s < t.end && e > t.start) {
                    Some(k) => {
                        for (tag, &q) in per_piece[k].iter().enumerate() {
                            p[self.to_project[tag]] += q;
                        }
                    }
                    // Cut off by max_length: outside any span.
                    None => p[Tag::Outside.index()] = 1.0,
                }
                p
            })
            .collect();
        Ok((toks, probabilities))
    }
}
