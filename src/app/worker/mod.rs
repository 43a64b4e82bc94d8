//! The threads that own the store and the model for the screens: they carry out the `Effect`s a screen's
//! pure update returns and answer with messages, so the screen never waits on the disk or the model.
//! - [`annotate`]: the annotation screen's worker (serving batches, saving decisions, retraining).
//! - [`triage`]: the triage screen's worker (loading cases, carrying out rulings).
//! - [`review`]: the review screen's worker (pages, counts, histories, re-labelling).
//! - [`spans`]: the span screen's worker (span cards, checked span decisions, undo).
//! - [`embed`]: the annotation screen's embedding thread (sentence vectors in the background).
//! - [`explain`]: the model thread both screens share: ONNX Runtime started once, explanations off the
//!   worker so a save never waits behind one.

pub mod annotate;
pub mod embed;
pub mod explain;
pub mod review;
pub mod spans;
pub mod triage;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::model::Runtime;
use crate::model::encoder::{Encoder, SharedEncoder};
use crate::model::runtime::SearchPlaces;

/// Lowers the calling thread's scheduling priority to `nice` (Linux threads each have their own), so that
/// background work (explaining ahead, embedding the pool) takes only the time the screen and the saves do
/// not need. A failure is only logged: the work goes on at normal priority.
pub(crate) fn run_in_background(nice: i32) {
    // SAFETY: gettid takes nothing; setpriority on our own thread id changes only this thread's priority.
    let done = unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, nice) };
    if done != 0 {
        tracing::debug!("could not lower this thread's priority: {}", std::io::Error::last_os_error());
    }
}

/// What the screens' model threads run on: ONNX Runtime, and the project's sentence encoder when it has one.
#[derive(Clone)]
pub struct ModelHost {
    pub runtime: &'static Runtime,
    pub encoder: Option<SharedEncoder>,
}

/// Starts ONNX Runtime (and loads the encoder) when a worker first needs it (on the thread that explains,
/// so loading never holds up the screen), or says in a line for the screen why it cannot.
pub type StartRuntime = Box<dyn FnOnce() -> Result<ModelHost, String> + Send>;

/// A [`StartRuntime`] that looks for the library in `places` and loads the encoder whose manifest is
/// `encoder` (one ONNX Runtime thread: the other core is the screen's), for both screens. An encoder that
/// does not load leaves the host without one (the log says why).
pub fn start_runtime_later(places: SearchPlaces, encoder: Option<PathBuf>) -> StartRuntime {
    Box::new(move || {
        let runtime = Runtime::start(&places).map_err(|e| {
            tracing::warn!("no explanations: {e}");
            "no explanations: no ONNX Runtime (run scripts/setup, or give its library with --ort-lib or \
             ORT_DYLIB_PATH; `margin doctor` checks it)"
                .to_string()
        })?;
        let encoder = encoder.and_then(|manifest| match Encoder::load(runtime, &manifest, 1) {
            Ok(e) => Some(Arc::new(Mutex::new(e))),
            Err(e) => {
                tracing::warn!("the sentence encoder does not load: {e}");
                None
            }
        });
        Ok(ModelHost { runtime, encoder })
    })
}
