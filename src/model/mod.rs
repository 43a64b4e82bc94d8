//! The model side of margin, and the only owner of ort (ONNX Runtime).
//!
//! Owns finding and starting the ONNX Runtime library ([`runtime`]) and writing ONNX files ([`onnx`]).
//! Imports only `domain`.

pub mod card;
pub mod combined;
pub mod encoder;
pub mod engine;
pub mod evaluate;
pub mod explain;
pub mod export;
pub mod external;
pub mod features;
pub mod files;
pub mod fit;
pub mod linear;
pub mod onnx;
pub mod runtime;
pub mod scorer;
pub mod spans;
pub mod token_classifier;
pub mod train;

pub use runtime::{LibrarySource, Runtime};

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(
        "ONNX Runtime library not found (looked at {looked}); fetch it with scripts/setup, or pass --ort-lib PATH or set ORT_DYLIB_PATH"
    )]
    NotFound { looked: String },
    #[error("{source_name} names {}, which does not exist; point it at libonnxruntime.so.{}", path.display(), runtime::EXPECTED_VERSION)]
    Missing { source_name: &'static str, path: std::path::PathBuf },
    #[error(
        "cannot load ONNX Runtime from {}: {message}; margin needs libonnxruntime.so {} (scripts/setup fetches it)",
        path.display(),
        runtime::EXPECTED_VERSION
    )]
    Load { path: std::path::PathBuf, message: String },
    #[error(
        "no sentence encoder (looked at {looked}); fetch it with scripts/setup, or pass --encoder PATH or set MARGIN_ENCODER"
    )]
    EncoderNotFound { looked: String },
    #[error("ONNX Runtime: {0}")]
    Ort(#[from] ort::Error),
    #[error("{0}")]
    Invalid(String),
}
