//! Keeping the model fresh while people label: once people have made `sampling.retrain_every` decisions
//! (at least one a label) since the current model learned, a new version is trained (on people's
//! decisions plus the reference labels of items nobody has decided), scores the pending items through
//! ONNX Runtime, and only then becomes current, so the queue never serves from a model that has not
//! scored the pool. One retrain runs at a time per project, guarded by a lock file in `models/`.
//! `margin queue next` starts `margin retrain --if-due` in the background when one is due; the screen's
//! worker thread calls [`retrain`] itself. Wires `store`, `model`, `training` and `scoring`.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::app::score::{ScoreError, ScoreReport, score_with};
use crate::app::train::{MODELS_DIR, TrainError, TrainOptions, Trained, train_new_version};
use crate::config::ProjectConfig;
use crate::domain::ModelKind;
use crate::model::Runtime;
use crate::model::encoder::SharedEncoder;
use crate::store::{LabelSource, Store, StoreError};

/// The lock file, inside the project's models directory.
pub const LOCK_FILE: &str = "retrain.lock";

/// A lock older than this is taken to be left behind by a retrain that died, even if its process id has
/// been reused since.
const STALE_AFTER: Duration = Duration::from_secs(6 * 60 * 60);

/// Whether a retrain is due: once people have made `sampling.retrain_every` decisions since the current
/// model read its training data (skips and escalations count, as on the screen's batch summary, so a
/// batch of that size is followed by a retrain), at least one of which labels an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// Decisions by people since the current model read its training data (all of them if it learned
    /// from reference labels only, or there is no model).
    pub new_decisions: u64,
    /// Those of them that change an item's labels: what a retrain would learn.
    pub new_labels: u64,
    /// The project's `sampling.retrain_every`.
    pub every: u64,
    /// Why margin will not retrain at all, if it will not.
    pub never: Option<&'static str>,
}

impl Due {
    pub fn is_due(&self) -> bool {
        self.never.is_none() && self.new_decisions >= self.every && self.new_labels > 0
    }

    /// Why it is not due, for people: how far along it is.
    pub fn waiting_for(&self) -> String {
        if self.new_decisions >= self.every && self.new_labels == 0 {
            format!("{} decisions since the current model learned, none of them a label to learn", self.new_decisions)
        } else {
            format!("{} of {} decisions since the current model learned", self.new_decisions, self.every)
        }
    }
}

/// What a retrain did.
#[derive(Debug, Clone)]
pub struct Retrained {
    pub trained: Trained,
    pub scored: ScoreReport,
}

#[derive(Debug, thiserror::Error)]
pub enum RetrainError {
    #[error("another retrain is running (lock file {})", .0.display())]
    Busy(PathBuf),
    #[error("{}: cannot take the retrain lock: {source}", path.display())]
    Lock { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Score(#[from] ScoreError),
}

/// Whether the project's model should be retrained now.
pub fn due(store: &Store, config: &ProjectConfig) -> Result<Due, StoreError> {
    let every = u64::from(config.sampling.retrain_every);
    if every == 0 {
        let never = "sampling.retrain_every is 0 in margin.toml: retraining is left to `margin train`";
        return Ok(Due { new_decisions: 0, new_labels: 0, every, never: Some(never) });
    }
    let current = store.current_model()?;
    if current.as_ref().is_some_and(|m| m.kind == ModelKind::External) {
        let never = "the current model is a bring-your-own one (margin model use); margin does not replace it";
        return Ok(Due { new_decisions: 0, new_labels: 0, every, never: Some(never) });
    }
    // A model for other labels than the project's (they were edited) has learned nothing that counts.
    let since = current.filter(|m| m.labels == config.label_names()).and_then(|m| m.decisions_upto).unwrap_or(0);
    let since = store.people_decisions_since(since)?;
    Ok(Due { new_decisions: since.all, new_labels: since.labelling, every, never: None })
}

/// Trains a new version, scores the pending items with it, and makes it current. Fails with
/// [`RetrainError::Busy`] if another retrain holds the lock.
pub fn retrain(
    dir: &Path,
    config: &ProjectConfig,
    store: &mut Store,
    runtime: &Runtime,
    encoder: Option<&SharedEncoder>,
    user: &str,
) -> Result<Retrained, RetrainError> {
    let _lock = RetrainLock::acquire(&dir.join(MODELS_DIR))?;
    let options =
        TrainOptions { source: LabelSource::Combined, committee: None, user: user.to_string(), make_current: false };
    let spans = config.task == crate::domain::TaskKind::Spans;
    let trained = if spans {
        super::span_train::train_span_version(dir, config, store, runtime, encoder, &options)?
    } else {
        train_new_version(dir, config, store, runtime, encoder, &options)?
    };
    let model = store.model_version(trained.version)?;
    let scored = if spans {
        super::span_train::score_spans(dir, config, store, runtime, encoder, &model, |_| {})?
    } else {
        score_with(dir, config, store, runtime, encoder, &model, |_| {})?
    };
    store.make_current(model.id, user)?;
    tracing::info!(
        version = model.id,
        examples = trained.examples,
        scored = scored.scored,
        seconds = trained.seconds + scored.elapsed.as_secs_f64(),
        "retrained"
    );
    Ok(Retrained { trained, scored })
}

/// Whether a live retrain holds the project's lock (a stale lock does not count).
pub fn is_running(dir: &Path) -> bool {
    let path = dir.join(MODELS_DIR).join(LOCK_FILE);
    path.exists() && !is_stale(&path)
}

/// The retrain lock: a file made with create-new, holding the owner's process id, removed on drop.
#[derive(Debug)]
pub struct RetrainLock {
    path: PathBuf,
}

impl RetrainLock {
    /// Takes the lock in `models_dir`, replacing a stale one (its process is gone, or it is very old).
    pub fn acquire(models_dir: &Path) -> Result<RetrainLock, RetrainError> {
        let path = models_dir.join(LOCK_FILE);
        let failed = |source| RetrainError::Lock { path: path.clone(), source };
        std::fs::create_dir_all(models_dir).map_err(failed)?;
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    writeln!(file, "{}", std::process::id()).map_err(failed)?;
                    return Ok(RetrainLock { path });
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    if !is_stale(&path) {
                        return Err(RetrainError::Busy(path));
                    }
                    tracing::warn!("{}: removing a stale retrain lock", path.display());
                    match std::fs::remove_file(&path) {
                        Ok(()) => {}
                        Err(e) if e.kind() == ErrorKind::NotFound => {}
                        Err(e) => return Err(failed(e)),
                    }
                }
                Err(e) => return Err(failed(e)),
            }
        }
        // Someone else replaced the stale lock between our two tries.
        Err(RetrainError::Busy(path))
    }
}

impl Drop for RetrainLock {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.path) {
            tracing::warn!("{}: cannot remove the retrain lock: {e}", self.path.display());
        }
    }
}

/// A lock is stale when the process it names is gone, or it is older than [`STALE_AFTER`]. One that
/// cannot be read yet (its owner is still writing it) is not.
fn is_stale(path: &Path) -> bool {
    let old = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .is_some_and(|age| age > STALE_AFTER);
    let pid: Option<i32> = std::fs::read_to_string(path).ok().and_then(|s| s.trim().parse().ok());
    let gone = match pid {
        Some(pid) if pid > 0 => {
            // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
            let failed = unsafe { libc::kill(pid, 0) } != 0;
            failed && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
        }
        _ => false,
    };
    old || gone
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retrain_is_due_after_every_decisions_that_taught_something() {
        let due = |new_decisions, new_labels| Due { new_decisions, new_labels, every: 20, never: None };
        // A batch of 20 with a skip and an escalation in it is followed by a retrain.
        assert!(due(20, 18).is_due());
        assert!(!due(19, 19).is_due());
        assert_eq!(due(19, 19).waiting_for(), "19 of 20 decisions since the current model learned");
        // Twenty skips teach the model nothing.
        assert!(!due(20, 0).is_due());
        assert!(due(20, 0).waiting_for().contains("none of them a label"));
        assert!(!Due { never: Some("off"), ..due(40, 40) }.is_due());
    }

    #[test]
    fn one_lock_at_a_time_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let lock = RetrainLock::acquire(dir.path()).unwrap();
        assert!(matches!(RetrainLock::acquire(dir.path()), Err(RetrainError::Busy(_))));
        drop(lock);
        assert!(!dir.path().join(LOCK_FILE).exists());
        RetrainLock::acquire(dir.path()).unwrap();
    }

    #[test]
    fn a_lock_whose_process_is_gone_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        // A process that has exited: its id is free (and not reused this quickly).
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        std::fs::write(dir.path().join(LOCK_FILE), format!("{pid}\n")).unwrap();
        assert!(is_stale(&dir.path().join(LOCK_FILE)));
        let _lock = RetrainLock::acquire(dir.path()).unwrap();
        let owner = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert_eq!(owner.trim(), std::process::id().to_string());
    }

    #[test]
    fn a_lock_held_by_a_live_process_or_still_being_written_is_not_stale() {
        let project = tempfile::tempdir().unwrap();
        assert!(!is_running(project.path()));
        let models = project.path().join(MODELS_DIR);
        std::fs::create_dir_all(&models).unwrap();
        let path = models.join(LOCK_FILE);
        std::fs::write(&path, format!("{}\n", std::process::id())).unwrap();
        assert!(!is_stale(&path));
        assert!(is_running(project.path()));
        std::fs::write(&path, "").unwrap();
        assert!(!is_stale(&path));
    }
}
