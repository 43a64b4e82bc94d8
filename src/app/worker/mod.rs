//! The threads that own the store and the model for the screens: they carry out the `Effect`s a screen's
//! pure update returns and answer with messages, so the screen never waits on the disk or the model.
//! - [`annotate`]: the annotation screen's worker (serving batches, saving decisions, retraining).
//! - [`triage`]: the triage screen's worker (loading cases, carrying out rulings).
//! - [`explain`]: the model thread both screens share: ONNX Runtime started once, explanations off the
//!   worker so a save never waits behind one.

pub mod annotate;
pub mod explain;
pub mod triage;

use crate::model::Runtime;
use crate::model::runtime::SearchPlaces;

/// Starts ONNX Runtime when a worker first needs it (on the thread that explains, so loading the library
/// never holds up the screen), or says in a line for the screen why it cannot.
pub type StartRuntime = Box<dyn FnOnce() -> Result<&'static Runtime, String> + Send>;

/// A [`StartRuntime`] that looks for the library in `places`, for both screens.
pub fn start_runtime_later(places: SearchPlaces) -> StartRuntime {
    Box::new(move || {
        Runtime::start(&places).map_err(|e| {
            tracing::warn!("no explanations: {e}");
            "no explanations: no ONNX Runtime (run scripts/setup, or give its library with --ort-lib or \
             ORT_DYLIB_PATH; `margin doctor` checks it)"
                .to_string()
        })
    })
}
