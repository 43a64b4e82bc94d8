//! The import pipeline: records read and parsed on a second thread, written by this one into an import
//! that commits in chunks and shows its items only when complete (see `Store::import_items`). Prints
//! nothing: what a person should see as it goes (progress, bad records) reaches an [`ImportObserver`].

use std::io::BufRead;
use std::sync::mpsc::{RecvTimeoutError, sync_channel};

use crate::app::project::Project;
use crate::domain::NewItem;
use crate::formats::{self, BadRecord, InputFormat, ReadOptions, ReadProblem};
use crate::store::{AddOutcome, ImportCounts, ImportEnd, Store, StoreError};

/// What to import and how.
pub struct ImportRequest<'a> {
    /// The input's name for messages and the audit trail (a path, or `-` for standard input).
    pub name: &'a str,
    pub format: InputFormat,
    pub options: ReadOptions,
    pub choices: Choices,
    /// Who imports, as the audit trail records it.
    pub user: &'a str,
}

/// How an import treats what it meets besides good new records.
#[derive(Debug, Clone, Copy, Default)]
pub struct Choices {
    /// Import the good records and report the bad ones, instead of importing nothing.
    pub skip_bad: bool,
    /// Replace differing reference labels of items already there.
    pub update_labels: bool,
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub added: u64,
    pub duplicates: u64,
    pub bad: u64,
    pub blank_lines: u64,
    pub counts: ImportCounts,
}

/// Told of an import's progress as it goes, on the writing thread.
pub trait ImportObserver {
    /// `records` have been read so far (called every few thousand).
    fn read(&self, records: u64);
    /// A record was refused (bad, or clashing with an item already there).
    fn bad(&self, record: &BadRecord);
    /// Everything is read; the last chunk is being committed.
    fn committing(&self, records: u64);
}

/// Why nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{name}:{line}: {message}; nothing was imported")]
    Record { name: String, line: u64, message: String },
    #[error("{name}: cannot read: {source}; nothing was imported")]
    Read { name: String, source: std::io::Error },
    #[error(
        "{name}: {bad} bad record{}; nothing was imported. Fix {}, or pass --skip-bad to import the rest",
        if *.bad == 1 { "" } else { "s" },
        if *.bad == 1 { "it" } else { "them" }
    )]
    Refused { name: String, bad: u64 },
    #[error("{0}: the reading thread failed")]
    ReaderFailed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Records handed from the reading thread to the writing one at a time.
const BATCH: usize = 1024;

/// The project's import settings as reader options.
pub fn project_read_options(project: &Project) -> ReadOptions {
    let settings = &project.config.import;
    ReadOptions {
        text_key: settings.text_key.clone(),
        id_key: settings.id_key.clone(),
        label_key: settings.label_key.clone(),
        meta_key: settings.meta_key.clone(),
        max_text_bytes: settings.max_text_bytes,
        labels: project.config.label_set(),
        span_overlap: project.config.spans.overlap,
    }
}

/// Reads every record of `input` into one import. Bad records go to the observer as they are found; unless
/// `skip_bad`, any of them rolls the whole import back and is an error.
///
/// Reading and parsing run on a second thread, so the database writes (the slow part) never wait for them;
/// records arrive in order, in batches, over a bounded channel.
pub fn import(
    store: &mut Store,
    input: impl BufRead + Send,
    request: ImportRequest<'_>,
    observer: &dyn ImportObserver,
) -> Result<ImportReport, ImportError> {
    let ImportRequest { name, format, options, choices, user } = request;
    let mut reader = formats::reader(format, input, options).map_err(|p| problem_error(name, p))?;
    let (sender, batches) = sync_channel::<Vec<Result<NewItem, ReadProblem>>>(8);
    std::thread::scope(|scope| {
        let reading = scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            while let Some(next) = reader.next_item() {
                batch.push(next);
                if batch.len() == BATCH
                    && sender.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))).is_err()
                {
                    // The writer stopped early; its error is the one to report.
                    return reader.blank_lines();
                }
            }
            let _ = sender.send(batch);
            reader.blank_lines()
        });
        let mut bad = 0u64;
        let report_bad = |bad: &mut u64, record: &BadRecord| {
            *bad += 1;
            observer.bad(record);
        };
        let counts = store.import_items(name, format.as_str(), user, |sink| -> Result<ImportEnd, ImportError> {
            sink.update_labels(choices.update_labels);
            let mut seen = 0u64;
            loop {
                let batch = match batches.recv_timeout(std::time::Duration::from_millis(5)) {
                    Ok(batch) => batch,
                    // While the reading thread has nothing ready, a person waiting to write is let in at once.
                    Err(RecvTimeoutError::Timeout) => {
                        sink.let_waiting_writers_in()?;
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                };
                for next in batch {
                    seen += 1;
                    if seen % 4096 == 0 {
                        observer.read(seen);
                    }
                    let item = match next {
                        Ok(item) => item,
                        Err(ReadProblem::Bad(record)) => {
                            report_bad(&mut bad, &record);
                            continue;
                        }
                        Err(problem) => return Err(problem_error(name, problem)),
                    };
                    // Items are added even after a bad record, so clashing ids are found and reported too; a
                    // refused import is rolled back as a whole.
                    let message = match sink.add(&item)? {
                        AddOutcome::Added | AddOutcome::DuplicateText { .. } => continue,
                        AddOutcome::IdTaken { id } => {
                            format!("id `{id}` is already used by an item with a different text")
                        }
                        AddOutcome::KeyCollision { existing_id } => format!(
                            "this text's content key equals that of item `{existing_id}`, a different text (a \
                             one-in-10^19 chance); margin cannot store both, please report this"
                        ),
                    };
                    report_bad(&mut bad, &BadRecord { line: item.line, message });
                }
            }
            let refused = bad > 0 && !choices.skip_bad;
            if !refused {
                observer.committing(seen);
            }
            Ok(if refused { ImportEnd::RollBack } else { ImportEnd::Commit { rejected: bad } })
        });
        drop(batches);
        let blank_lines = reading.join().map_err(|_| ImportError::ReaderFailed(name.to_string()))?;
        let counts = counts?;
        if bad > 0 && !choices.skip_bad {
            return Err(ImportError::Refused { name: name.to_string(), bad });
        }
        Ok(ImportReport { added: counts.added, duplicates: counts.duplicates, bad, blank_lines, counts })
    })
}

fn problem_error(name: &str, problem: ReadProblem) -> ImportError {
    match problem {
        ReadProblem::Bad(r) | ReadProblem::Fatal(r) => {
            ImportError::Record { name: name.to_string(), line: r.line, message: r.message }
        }
        ReadProblem::Io(source) => ImportError::Read { name: name.to_string(), source },
    }
}
