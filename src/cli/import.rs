//! `margin import`: reads items from a file or standard input into the project in one transaction.
//!
//! Every bad record is reported as `FILE:LINE: what is wrong`. Unless `--skip-bad` is given, any bad record
//! means nothing is written and the exit status is non-zero.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{RecvTimeoutError, sync_channel};

use anyhow::{Context as _, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};

use super::{Context, open_store};
use crate::domain::NewItem;
use crate::domain::access::Role;
use crate::domain::text::visible;
use crate::formats::{self, BadRecord, InputFormat, ReadOptions, ReadProblem};
use crate::project::Project;
use crate::store::{AddOutcome, ImportCounts, ImportEnd, Store};

/// At most this many bad records are listed; the rest are counted.
const MAX_LISTED: u64 = 100;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    Jsonl,
    Csv,
    Tsv,
    Text,
}

impl From<FormatArg> for InputFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Jsonl => InputFormat::Jsonl,
            FormatArg::Csv => InputFormat::Csv,
            FormatArg::Tsv => InputFormat::Tsv,
            FormatArg::Text => InputFormat::Text,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to import, or - for standard input.
    pub file: String,

    /// The file's format. Default: from the extension (.jsonl/.ndjson, .csv, .tsv, .txt); for standard
    /// input, JSONL if it starts with `{`.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,

    /// The field (JSONL) or column (CSV/TSV) holding the text. Default: import.text_key in margin.toml.
    #[arg(long, value_name = "KEY")]
    pub text_key: Option<String>,

    /// The field or column holding the item's id. Items without one get an id from their text's hash.
    #[arg(long, value_name = "KEY")]
    pub id_key: Option<String>,

    /// The field or column holding reference label(s): a string or array in JSONL, `a|b` in CSV/TSV.
    #[arg(long, value_name = "KEY")]
    pub label_key: Option<String>,

    /// The JSONL field holding the metadata object.
    #[arg(long, value_name = "KEY")]
    pub meta_key: Option<String>,

    /// The longest text accepted, in bytes.
    #[arg(long, value_name = "BYTES")]
    pub max_text_bytes: Option<usize>,

    /// Import the good records and report the bad ones, instead of importing nothing.
    #[arg(long)]
    pub skip_bad: bool,

    /// For items already in the project whose reference labels in the file differ, take the file's
    /// (recorded in the audit trail item by item; gold items keep the labels an expert gave them).
    #[arg(long)]
    pub update_labels: bool,
}

/// How an import treats what it meets besides good new records.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Choices {
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

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let project = context.open_project_as(Role::Annotator, "import")?.project;
    let options = read_options(&project, &args);
    let bytes_read = Arc::new(AtomicU64::new(0));
    let Input { reader, name, format, total_bytes } = open_input(&args, &bytes_read)?;
    let mut store = open_store(&project)?;
    let progress = Progress::new(total_bytes, bytes_read);
    let choices = Choices { skip_bad: args.skip_bad, update_labels: args.update_labels };
    let report = import(&mut store, reader, &name, format, options, choices, &context.user, &progress);
    progress.bar.finish_and_clear();
    let report = report?;
    let counts = &report.counts;
    let mut notes: Vec<String> = Vec::new();
    if report.duplicates > 0 {
        let differ = match (counts.labels_differ, args.update_labels) {
            (0, _) => String::new(),
            (n, false) => format!(
                ", {n} of them with different reference labels in the file: kept the project's; --update-labels takes \
                 the file's"
            ),
            (n, true) => format!(", {n} of them with different reference labels"),
        };
        notes.push(format!("{} duplicate texts skipped{differ}", report.duplicates));
    }
    for (n, what) in [(report.bad, "bad records skipped"), (report.blank_lines, "blank lines passed over")] {
        if n > 0 {
            notes.push(format!("{n} {what}"));
        }
    }
    let notes = if notes.is_empty() { String::new() } else { format!(" ({})", notes.join("; ")) };
    say!("Imported {} items from {}{notes}.", report.added, visible(&name));
    if counts.labels_updated > 0 {
        say!("Updated the reference labels of {} items (recorded in the audit trail).", counts.labels_updated);
    }
    if counts.gold_kept > 0 {
        say!("{} gold items kept the labels an expert gave them.", counts.gold_kept);
    }
    if counts.interrupted_removed > 0 {
        say!("Removed {} items an interrupted import had left unfinished.", counts.interrupted_removed);
    }
    Ok(ExitCode::SUCCESS)
}

/// What to read: a file or standard input, its name for messages, its format and its size if known.
struct Input {
    reader: Box<dyn BufRead + Send>,
    name: String,
    format: InputFormat,
    total_bytes: Option<u64>,
}

/// Opens the input and settles its format; a file's bytes are counted into `bytes_read` as they are read.
fn open_input(args: &Args, bytes_read: &Arc<AtomicU64>) -> anyhow::Result<Input> {
    if args.file == "-" {
        let mut stdin = BufReader::with_capacity(1 << 20, std::io::stdin());
        let format = match args.format {
            Some(f) => f.into(),
            None => sniff_stdin(&mut stdin)?,
        };
        return Ok(Input { reader: Box::new(stdin), name: "<stdin>".into(), format, total_bytes: None });
    }
    let format = match args.format {
        Some(f) => f.into(),
        None => format_from_name(&args.file)?,
    };
    let file = File::open(Path::new(&args.file)).with_context(|| format!("{}: cannot open", args.file))?;
    let total_bytes = file.metadata().ok().map(|m| m.len());
    let counted = CountingReader { inner: file, count: Arc::clone(bytes_read) };
    Ok(Input {
        reader: Box::new(BufReader::with_capacity(1 << 20, counted)),
        name: args.file.clone(),
        format,
        total_bytes,
    })
}

/// The project's import settings (margin.toml's `[import]`), with this command's flags on top.
fn read_options(project: &Project, args: &Args) -> ReadOptions {
    let mut options = project_read_options(project);
    let set = |slot: &mut String, flag: &Option<String>| {
        if let Some(value) = flag {
            *slot = value.clone();
        }
    };
    set(&mut options.text_key, &args.text_key);
    set(&mut options.id_key, &args.id_key);
    set(&mut options.label_key, &args.label_key);
    set(&mut options.meta_key, &args.meta_key);
    if let Some(max) = args.max_text_bytes {
        options.max_text_bytes = max;
    }
    options
}

/// The project's import settings as reader options.
pub(super) fn project_read_options(project: &Project) -> ReadOptions {
    let settings = &project.config.import;
    ReadOptions {
        text_key: settings.text_key.clone(),
        id_key: settings.id_key.clone(),
        label_key: settings.label_key.clone(),
        meta_key: settings.meta_key.clone(),
        max_text_bytes: settings.max_text_bytes,
        labels: project.config.label_set(),
    }
}

/// Records handed from the reading thread to the writing one at a time.
const BATCH: usize = 1024;

/// Reads every record of `input` into one import transaction. Bad records are printed to stderr as they
/// are found; unless `skip_bad`, any of them rolls the whole import back and is an error.
///
/// Reading and parsing run on a second thread, so the database writes (the slow part) never wait for
/// them; records arrive in order, in batches, over a bounded channel.
#[allow(clippy::too_many_arguments)]
pub(super) fn import(
    store: &mut Store,
    input: impl BufRead + Send,
    name: &str,
    format: InputFormat,
    options: ReadOptions,
    choices: Choices,
    user: &str,
    progress: &Progress,
) -> anyhow::Result<ImportReport> {
    let skip_bad = choices.skip_bad;
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
            if *bad <= MAX_LISTED {
                let message = visible(&record.message);
                progress.bar.suspend(|| tell!("{}:{}: {message}", visible(name), record.line));
            }
        };
        let counts = store.import_items(name, format.as_str(), user, |sink| -> anyhow::Result<ImportEnd> {
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
                        progress.tick(seen);
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
            let refused = bad > 0 && !skip_bad;
            if !refused {
                progress.bar.set_message(format!("{seen} records read; committing"));
            }
            Ok(if refused { ImportEnd::RollBack } else { ImportEnd::Commit { rejected: bad } })
        });
        drop(batches);
        let blank_lines = reading.join().map_err(|_| anyhow!("{name}: the reading thread failed"))?;
        let counts = counts?;
        if bad > MAX_LISTED {
            tell!("{name}: ... and {} more bad records", bad - MAX_LISTED);
        }
        if bad > 0 && !skip_bad {
            bail!(
                "{name}: {bad} bad record{}; nothing was imported. Fix {}, or pass --skip-bad to import the rest",
                if bad == 1 { "" } else { "s" },
                if bad == 1 { "it" } else { "them" }
            );
        }
        Ok(ImportReport { added: counts.added, duplicates: counts.duplicates, bad, blank_lines, counts })
    })
}

fn problem_error(name: &str, problem: ReadProblem) -> anyhow::Error {
    match problem {
        ReadProblem::Bad(r) | ReadProblem::Fatal(r) => {
            anyhow!("{name}:{}: {}; nothing was imported", r.line, r.message)
        }
        ReadProblem::Io(e) => anyhow!("{name}: cannot read: {e}; nothing was imported"),
    }
}

fn format_from_name(name: &str) -> anyhow::Result<InputFormat> {
    if let Some(format) = InputFormat::from_extension(name) {
        return Ok(format);
    }
    if name.to_ascii_lowercase().ends_with(".json") {
        bail!(
            "{name}: a .json file is one document, and margin reads one item per line; convert it to JSONL \
             (for an array: jq -c '.[]' {name} > items.jsonl), or pass --format jsonl if it already is"
        );
    }
    bail!("{name}: cannot tell the format from the file name; pass --format jsonl, csv, tsv or text")
}

fn sniff_stdin(stdin: &mut impl BufRead) -> anyhow::Result<InputFormat> {
    let head = stdin.fill_buf().context("<stdin>: cannot read")?;
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'{') => Ok(InputFormat::Jsonl),
        _ => bail!("<stdin>: cannot tell the format; pass --format jsonl, csv, tsv or text"),
    }
}

/// Counts the bytes read through it, for the progress bar.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A progress bar on stderr, hidden when stderr is not a terminal.
pub(super) struct Progress {
    bar: ProgressBar,
    bytes_read: Arc<AtomicU64>,
    by_bytes: bool,
}

impl Progress {
    pub(super) fn new(total_bytes: Option<u64>, bytes_read: Arc<AtomicU64>) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self::hidden();
        }
        let bar = match total_bytes {
            Some(total) => ProgressBar::new(total).with_style(
                ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta} left)")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            ),
            None => ProgressBar::new_spinner(),
        };
        Progress { bar, bytes_read, by_bytes: total_bytes.is_some() }
    }

    pub(super) fn hidden() -> Self {
        Progress { bar: ProgressBar::hidden(), bytes_read: Arc::new(AtomicU64::new(0)), by_bytes: false }
    }

    fn tick(&self, records: u64) {
        if self.by_bytes {
            self.bar.set_position(self.bytes_read.load(Ordering::Relaxed));
        }
        self.bar.set_message(format!("{records} records"));
    }
}
