//! Finding and starting ONNX Runtime.
//!
//! margin loads the shared library at run time (ort's `load-dynamic`), looking in order at `--ort-lib`,
//! `$ORT_DYLIB_PATH`, the executable's directory, and `vendor/onnxruntime/` of the source tree, where
//! `scripts/setup` puts it. It is started with `ort::init_from` (never the panicking `ort::init`) and a
//! logger that sends ONNX Runtime's messages to margin's log file, never to the terminal. ONNX Runtime
//! allows one environment per process, so the runtime is started once and shared.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use ort::logging::LogLevel;
use ort::session::Session;
use ort::value::Tensor;

use super::ModelError;
use super::onnx;

/// The ONNX Runtime release margin is built and tested against.
pub const EXPECTED_VERSION: &str = "1.31.1";

/// The library's file name, as the wheel ships it.
pub const LIBRARY_FILE: &str = "libonnxruntime.so.1.31.1";

/// Where `scripts/setup` puts the library, inside the source tree margin was built from.
pub const VENDOR_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vendor/onnxruntime");

/// Which place the library was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LibrarySource {
    Flag,
    EnvVar,
    NextToExecutable,
    DataDir,
    Vendor,
}

impl LibrarySource {
    pub fn describe(self) -> &'static str {
        match self {
            LibrarySource::Flag => "--ort-lib",
            LibrarySource::EnvVar => "$ORT_DYLIB_PATH",
            LibrarySource::NextToExecutable => "next to the executable",
            LibrarySource::DataDir => "margin's data directory (margin setup)",
            LibrarySource::Vendor => "vendor/onnxruntime (scripts/setup)",
        }
    }
}

/// The places to look, as inputs so the search order can be tested.
#[derive(Debug, Clone, Default)]
pub struct SearchPlaces {
    pub flag: Option<PathBuf>,
    pub env_var: Option<PathBuf>,
    pub exe_dir: Option<PathBuf>,
    /// `onnxruntime/` in margin's data directory, where `margin setup` and scripts/setup put it: found
    /// by a binary from `cargo install` after its source tree is gone.
    pub data_dir: Option<PathBuf>,
    pub vendor_dir: Option<PathBuf>,
}

/// margin's data directory (`$XDG_DATA_HOME/margin`, usually `~/.local/share/margin`): the default
/// project, and the runtime and encoders `margin setup` installs.
pub fn data_home() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "margin").map(|d| d.data_dir().to_path_buf())
}

impl SearchPlaces {
    /// The real places: the flag as given, `$ORT_DYLIB_PATH`, this executable's directory, margin's data
    /// directory, the vendor dir.
    pub fn from_environment(flag: Option<&Path>) -> Self {
        SearchPlaces {
            flag: flag.map(Path::to_path_buf),
            env_var: std::env::var_os("ORT_DYLIB_PATH").filter(|v| !v.is_empty()).map(PathBuf::from),
            exe_dir: std::env::current_exe().ok().and_then(|p| p.parent().map(Path::to_path_buf)),
            data_dir: data_home().map(|d| d.join("onnxruntime")),
            vendor_dir: Some(PathBuf::from(VENDOR_DIR)),
        }
    }

    /// The first place that has the library. A flag or variable naming a missing file is an error rather
    /// than a reason to look further: the user asked for that file.
    pub fn locate(&self) -> Result<(PathBuf, LibrarySource), ModelError> {
        if let Some(path) = &self.flag {
            return existing(path, "--ort-lib").map(|p| (p, LibrarySource::Flag));
        }
        if let Some(path) = &self.env_var {
            return existing(path, "ORT_DYLIB_PATH").map(|p| (p, LibrarySource::EnvVar));
        }
        let mut looked = Vec::new();
        for (dir, source) in [
            (&self.exe_dir, LibrarySource::NextToExecutable),
            (&self.data_dir, LibrarySource::DataDir),
            (&self.vendor_dir, LibrarySource::Vendor),
        ] {
            let Some(dir) = dir else { continue };
            for name in [LIBRARY_FILE, "libonnxruntime.so"] {
                let candidate = dir.join(name);
                if candidate.is_file() {
                    return Ok((absolute(&candidate), source));
                }
                looked.push(candidate.display().to_string());
            }
        }
        Err(ModelError::NotFound { looked: looked.join(", ") })
    }
}

fn existing(path: &Path, source_name: &'static str) -> Result<PathBuf, ModelError> {
    if path.is_file() { Ok(absolute(path)) } else { Err(ModelError::Missing { source_name, path: path.to_path_buf() }) }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A started ONNX Runtime: the process's one environment, and what it was loaded from.
pub struct Runtime {
    environment: ort::environment::Environment,
    library: PathBuf,
    source: LibrarySource,
    version: String,
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
static STARTING: Mutex<()> = Mutex::new(());

impl Runtime {
    /// Starts ONNX Runtime once per process from the first place in `places` that has it; later calls
    /// return the same runtime.
    pub fn start(places: &SearchPlaces) -> Result<&'static Runtime, ModelError> {
        if let Some(runtime) = RUNTIME.get() {
            return Ok(runtime);
        }
        let _guard = STARTING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(runtime) = RUNTIME.get() {
            return Ok(runtime);
        }
        let (library, source) = places.locate()?;
        let load_err = |message: String| ModelError::Load { path: library.clone(), message };
        let builder = ort::init_from(&library).map_err(|e| load_err(e.to_string()))?;
        let environment = builder
            .with_name("margin")
            .with_telemetry(false)
            .with_logger(Arc::new(forward_to_log))
            .build()
            .map_err(|e| load_err(e.to_string()))?;
        let version = library_version(&library).unwrap_or_else(|| "unknown".to_string());
        Ok(RUNTIME.get_or_init(|| Runtime { environment, library, source, version }))
    }

    pub fn library(&self) -> &Path {
        &self.library
    }

    pub fn source(&self) -> LibrarySource {
        self.source
    }

    /// The release the library reports (e.g. `1.31.1`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// A single-threaded session for the ONNX model in `bytes`.
    pub fn session_from_bytes(&self, bytes: &[u8]) -> Result<Session, ModelError> {
        Ok(self.session_builder(1)?.commit_from_memory(bytes)?)
    }

    /// A session for the ONNX model file at `path`, running each operator on up to `threads` threads
    /// (1 where margin's own threads already share the cores, more for bulk scoring).
    pub fn session_from_file(&self, path: &Path, threads: usize) -> Result<Session, ModelError> {
        self.session_builder(threads)?
            .commit_from_file(path)
            .map_err(|e| ModelError::Invalid(format!("{}: cannot load the model: {e}", path.display())))
    }

    fn session_builder(&self, threads: usize) -> Result<ort::session::builder::SessionBuilder, ModelError> {
        Ok(Session::builder(&self.environment)?
            .with_intra_threads(threads.max(1))
            .map_err(ort::Error::from)?
            .with_inter_threads(1)
            .map_err(ort::Error::from)?)
    }

    /// Proves the runtime really runs a model: builds a softmax model, runs it on one row, and checks the
    /// probabilities against the formula. Returns them.
    pub fn self_test(&self) -> Result<Vec<f32>, ModelError> {
        let model = onnx::softmax_model(3);
        let mut session = self.session_from_bytes(&onnx::encode(&model))?;
        let input = Tensor::from_array(([1usize, 3], vec![1.0f32, 2.0, 3.0]))?;
        let outputs = session.run(ort::inputs!["x" => input])?;
        let (_, probabilities) = outputs["probabilities"].try_extract_tensor::<f32>()?;
        let expected = softmax(&[1.0, 2.0, 3.0]);
        let close = probabilities.len() == 3
            && probabilities.iter().zip(&expected).all(|(got, want)| (got - want).abs() < 1e-5);
        if !close {
            return Err(ModelError::Invalid(format!(
                "self-test: softmax of [1, 2, 3] gave {probabilities:?}, expected {expected:?}"
            )));
        }
        Ok(probabilities.to_vec())
    }
}

fn softmax(values: &[f32]) -> Vec<f32> {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = values.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}

/// Asks the loaded library for its release: `OrtGetApiBase()->GetVersionString()`.
fn library_version(path: &Path) -> Option<String> {
    // SAFETY: `path` was just loaded and initialised by `ort::init_from`, so opening it again returns the
    // same handle. OrtGetApiBase and GetVersionString take no arguments and return pointers into the
    // library's static data; the string is copied before our handle is dropped, and ort's handle keeps
    // the library loaded.
    unsafe {
        let library = libloading::Library::new(path).ok()?;
        let get_api_base: libloading::Symbol<'_, unsafe extern "C" fn() -> *const ort::sys::OrtApiBase> =
            library.get(b"OrtGetApiBase").ok()?;
        let base = get_api_base();
        if base.is_null() {
            return None;
        }
        let version = ((*base).GetVersionString)();
        if version.is_null() {
            return None;
        }
        Some(std::ffi::CStr::from_ptr(version).to_string_lossy().into_owned())
    }
}

/// ONNX Runtime's log messages go to margin's log file; verbose chatter is dropped.
fn forward_to_log(level: LogLevel, category: &str, _id: &str, location: &str, message: &str) {
    match level {
        LogLevel::Verbose => {}
        LogLevel::Info => tracing::debug!(target: "onnxruntime", category, location, "{message}"),
        LogLevel::Warning => tracing::warn!(target: "onnxruntime", category, location, "{message}"),
        LogLevel::Error | LogLevel::Fatal => {
            tracing::error!(target: "onnxruntime", category, location, "{message}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_order_is_flag_env_exe_data_dir_vendor() {
        let dir = tempfile::tempdir().unwrap();
        let exe_dir = dir.path().join("bin");
        let data = dir.path().join("data");
        let vendor = dir.path().join("vendor");
        for d in [&exe_dir, &data, &vendor] {
            std::fs::create_dir_all(d).unwrap();
        }
        let flag = dir.path().join("flag.so");
        let env = dir.path().join("env.so");
        for file in [&flag, &env, &exe_dir.join(LIBRARY_FILE), &data.join(LIBRARY_FILE), &vendor.join(LIBRARY_FILE)] {
            std::fs::write(file, b"").unwrap();
        }
        let all = SearchPlaces {
            flag: Some(flag.clone()),
            env_var: Some(env.clone()),
            exe_dir: Some(exe_dir.clone()),
            data_dir: Some(data.clone()),
            vendor_dir: Some(vendor.clone()),
        };
        assert_eq!(all.locate().unwrap(), (flag, LibrarySource::Flag));
        let no_flag = SearchPlaces { flag: None, ..all.clone() };
        assert_eq!(no_flag.locate().unwrap(), (env, LibrarySource::EnvVar));
        let no_env = SearchPlaces { env_var: None, ..no_flag.clone() };
        assert_eq!(no_env.locate().unwrap(), (exe_dir.join(LIBRARY_FILE), LibrarySource::NextToExecutable));
        std::fs::remove_file(exe_dir.join(LIBRARY_FILE)).unwrap();
        assert_eq!(no_env.locate().unwrap(), (data.join(LIBRARY_FILE), LibrarySource::DataDir));
        std::fs::remove_file(data.join(LIBRARY_FILE)).unwrap();
        assert_eq!(no_env.locate().unwrap(), (vendor.join(LIBRARY_FILE), LibrarySource::Vendor));
        std::fs::remove_file(vendor.join(LIBRARY_FILE)).unwrap();
        assert!(matches!(no_env.locate(), Err(ModelError::NotFound { .. })));
    }

    #[test]
    fn a_named_but_missing_library_is_an_error_not_a_fallback() {
        let places = SearchPlaces {
            flag: Some(PathBuf::from("/nonexistent/libonnxruntime.so")),
            vendor_dir: Some(PathBuf::from(VENDOR_DIR)),
            ..SearchPlaces::default()
        };
        let err = places.locate().unwrap_err();
        assert!(err.to_string().contains("--ort-lib names /nonexistent/libonnxruntime.so"), "{err}");
    }
}
