//! Model files on disk: written whole or not at all (temporary file, fsync, rename, fsync of the
//! directory), named by time and content so a name never points at different bytes.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::ModelError;

/// A model file written to disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenModel {
    pub path: PathBuf,
    /// SHA-256 of the bytes, in hex.
    pub sha256: String,
}

/// Writes `bytes` as `dir/stem-<first 12 hex digits of its SHA-256>.onnx`, durably.
pub fn write_model(dir: &Path, stem: &str, bytes: &[u8]) -> Result<WrittenModel, ModelError> {
    let io = |what: &str, e: std::io::Error| ModelError::Invalid(format!("{}: cannot {what}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(|e| io("create the models directory", e))?;
    let sha256: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    let path = dir.join(format!("{stem}-{}.onnx", &sha256[..12]));
    let mut tmp = tempfile::Builder::new()
        .prefix(".model-")
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(|e| io("write a model file", e))?;
    tmp.write_all(bytes).map_err(|e| io("write a model file", e))?;
    tmp.as_file().sync_all().map_err(|e| io("write a model file", e))?;
    tmp.persist(&path).map_err(|e| io("write a model file", e.error))?;
    // The rename is durable only once the directory is.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(WrittenModel { path, sha256 })
}

/// SHA-256 of a file, in hex.
pub fn sha256_of(path: &Path) -> Result<String, ModelError> {
    let bytes =
        std::fs::read(path).map_err(|e| ModelError::Invalid(format!("{}: cannot read: {e}", path.display())))?;
    Ok(Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
}
