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

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressStyle};

use super::{Context, open_store};
use crate::app::import::{Choices, ImportObserver, ImportRequest, import, project_read_options};
use crate::app::project::Project;
use crate::domain::access::Role;
use crate::domain::text::{count, visible};
use crate::formats::{BadRecord, InputFormat, ReadOptions};

/// At most this many bad records are listed; the rest are counted.
const MAX_LISTED: u64 = 100;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    Jsonl,
    Csv,
    Tsv,
    Text,
    /// CoNLL / IOB2: a token and its tag per line (span projects).
    Conll,
}

impl From<FormatArg> for InputFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Jsonl => InputFormat::Jsonl,
            FormatArg::Csv => InputFormat::Csv,
            FormatArg::Tsv => InputFormat::Tsv,
            FormatArg::Text => InputFormat::Text,
            FormatArg::Conll => InputFormat::Conll,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to import, or - for standard input.
    pub file: String,

    /// The file's format. Default: from the extension (.jsonl/.ndjson, .csv, .tsv, .txt, .conll/.iob); for
    /// standard input, JSONL if it starts with `{`. In a span project JSONL may be Prodigy's (`spans`),
    /// spaCy's (`entities`) or doccano's (`label`) shape.
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

pub fn run(context: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let project = context.open_project_as(Role::Annotator, "import")?.project;
    let options = read_options(&project, &args);
    let bytes_read = Arc::new(AtomicU64::new(0));
    let Input { reader, name, format, total_bytes } = open_input(&args, &bytes_read)?;
    let mut store = open_store(&project)?;
    let progress = Progress::new(total_bytes, bytes_read, &name);
    let choices = Choices { skip_bad: args.skip_bad, update_labels: args.update_labels };
    let request = ImportRequest { name: &name, format, options, choices, user: &context.user };
    let report = import(&mut store, reader, request, &progress);
    progress.finish();
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
        notes.push(format!("{} skipped{differ}", count(report.duplicates, "duplicate text", "duplicate texts")));
    }
    for (n, one, many) in [
        (report.bad, "bad record skipped", "bad records skipped"),
        (report.blank_lines, "blank line passed over", "blank lines passed over"),
    ] {
        if n > 0 {
            notes.push(count(n, one, many));
        }
    }
    let notes = if notes.is_empty() { String::new() } else { format!(" ({})", notes.join("; ")) };
    say!("Imported {} from {}{notes}.", count(report.added, "item", "items"), visible(&name));
    if counts.labels_updated > 0 {
        say!(
            "Updated the reference labels of {} (recorded in the audit trail).",
            count(counts.labels_updated, "item", "items")
        );
    }
    if counts.gold_kept > 0 {
        say!("{} gold items kept the labels an expert gave them.", counts.gold_kept);
    }
    if counts.interrupted_removed > 0 {
        say!(
            "Removed {} an interrupted import had left unfinished.",
            count(counts.interrupted_removed, "item", "items")
        );
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
    bail!("{name}: cannot tell the format from the file name; pass --format jsonl, csv, tsv, text or conll")
}

fn sniff_stdin(stdin: &mut impl BufRead) -> anyhow::Result<InputFormat> {
    let head = stdin.fill_buf().context("<stdin>: cannot read")?;
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'{') => Ok(InputFormat::Jsonl),
        _ => bail!("<stdin>: cannot tell the format; pass --format jsonl, csv, tsv, text or conll"),
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

/// A progress bar on stderr (hidden when stderr is not a terminal), and the bad records, the first
/// [`MAX_LISTED`] of them listed as they are found.
pub(super) struct Progress {
    bar: ProgressBar,
    bytes_read: Arc<AtomicU64>,
    by_bytes: bool,
    name: String,
    bad: AtomicU64,
}

impl Progress {
    pub(super) fn new(total_bytes: Option<u64>, bytes_read: Arc<AtomicU64>, name: &str) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self::hidden(name);
        }
        let bar = match total_bytes {
            Some(total) => ProgressBar::new(total).with_style(
                ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta} left)")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            ),
            None => ProgressBar::new_spinner(),
        };
        let by_bytes = total_bytes.is_some();
        Progress { bar, bytes_read, by_bytes, name: name.to_string(), bad: AtomicU64::new(0) }
    }

    pub(super) fn hidden(name: &str) -> Self {
        let bytes_read = Arc::new(AtomicU64::new(0));
        Progress {
            bar: ProgressBar::hidden(),
            bytes_read,
            by_bytes: false,
            name: name.to_string(),
            bad: AtomicU64::new(0),
        }
    }

    /// Clears the bar, and says how many bad records were not listed.
    pub(super) fn finish(&self) {
        self.bar.finish_and_clear();
        let bad = self.bad.load(Ordering::Relaxed);
        if bad > MAX_LISTED {
            tell!("{}: ... and {} more bad records", visible(&self.name), bad - MAX_LISTED);
        }
    }
}

impl ImportObserver for Progress {
    fn read(&self, records: u64) {
        if self.by_bytes {
            self.bar.set_position(self.bytes_read.load(Ordering::Relaxed));
        }
        self.bar.set_message(format!("{records} records"));
    }

    fn bad(&self, record: &BadRecord) {
        if self.bad.fetch_add(1, Ordering::Relaxed) < MAX_LISTED {
            let message = visible(&record.message);
            self.bar.suspend(|| tell!("{}:{}: {message}", visible(&self.name), record.line));
        }
    }

    fn committing(&self, records: u64) {
        self.bar.set_message(format!("{records} records read; committing"));
    }
}
