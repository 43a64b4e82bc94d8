//! The expert's rulings, written once for `margin triage` and the triage screen: resolve an item, send an
//! escalation back, add an item to the guidelines as an example, mark a gold item, and the rulings' checks. Each
//! is recorded in the store (and so in the audit trail) before it returns.

use std::path::{Path, PathBuf};

use crate::app::files::{WriteError, write_atomically};
use crate::app::project::Project;
use crate::config::ProjectConfig;
use crate::domain::audit::event::{AuditEvent, GuidelineChange};
use crate::domain::guidelines::{Example, insert_under};
use crate::domain::text::visible;
use crate::domain::{DecisionAction, StoredItem, TaskKind};
use crate::store::{NewDecision, Store, StoreError};

/// Why a ruling was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum TriageError {
    #[error("no item with id {:?}", visible(.0))]
    NoItem(String),
    #[error("{:?} is not one of the project's labels ({})", visible(.unknown), visible(.known))]
    UnknownLabel { unknown: String, known: String },
    #[error("a single-label project takes one --label")]
    OneLabel,
    #[error(
        "a span project's ruling is the item's spans: `margin triage resolve ITEM --label START:END:LABEL \
         --label ...` (or `--label ''` for none); {0}"
    )]
    SpanRuling(String),
    #[error("{} has no open escalation to send back", visible(.0))]
    NoEscalation(String),
    #[error("{}: cannot read: {source}", .path.display())]
    ReadGuidelines { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, TriageError>;

/// The item an id names (its own id, or the id margin derived from its text).
pub fn find(store: &Store, id: &str) -> Result<StoredItem> {
    store.find_item(id)?.ok_or_else(|| TriageError::NoItem(id.to_string()))
}

/// Refuses labels the project does not have, and more than one on a single-label project.
pub fn check_labels(config: &ProjectConfig, labels: &[String]) -> Result<()> {
    let names = config.label_names();
    if let Some(unknown) = labels.iter().find(|l| !names.contains(l)) {
        return Err(TriageError::UnknownLabel { unknown: unknown.clone(), known: names.join(", ") });
    }
    if config.task == TaskKind::SingleLabel && labels.len() != 1 {
        return Err(TriageError::OneLabel);
    }
    Ok(())
}

/// Checks a ruling's labels (`resolve`, `gold`) for `item`: the project's labels, or in a span project the
/// item's spans as `START:END:LABEL` keys on its text (returned in span order; empty keys are none).
pub fn check_ruling(config: &ProjectConfig, item: &StoredItem, labels: &[String]) -> Result<Vec<String>> {
    if config.task != TaskKind::Spans {
        check_labels(config, labels)?;
        return Ok(labels.to_vec());
    }
    use crate::domain::spans::{Span, check_spans, keys, tokens};
    let spans = labels
        .iter()
        .filter(|k| !k.trim().is_empty())
        .map(|k| {
            Span::from_key(k.trim()).ok_or_else(|| TriageError::SpanRuling(format!("{:?} is not one", visible(k))))
        })
        .collect::<Result<Vec<Span>>>()?;
    let checked = check_spans(&item.text, &tokens(&item.text), &spans, &config.label_names(), config.spans.overlap)
        .map_err(|e| TriageError::SpanRuling(e.to_string()))?;
    Ok(keys(&checked))
}

/// The expert's ruling on an item: its labels, with the rationale as the decision's note.
pub fn resolve(
    store: &mut Store,
    expert: &str,
    item_id: i64,
    labels: Vec<String>,
    rationale: Option<String>,
) -> Result<()> {
    let decision = NewDecision {
        labels: Some(labels),
        note: rationale.filter(|r| !r.is_empty()),
        // An expert's ruling stands whoever the queue reserved the item for.
        override_lease: true,
        ..NewDecision::new(item_id, expert, DecisionAction::Resolve)
    };
    store.record_decision(&decision)?;
    Ok(())
}

/// Sends an escalated item back to the annotators, with a note for them.
pub fn send_back(store: &mut Store, expert: &str, item: &StoredItem, note: Option<&str>) -> Result<()> {
    if !store.send_back(item.id, expert, note.filter(|n| !n.is_empty()))? {
        return Err(TriageError::NoEscalation(item.ext_id.clone()));
    }
    Ok(())
}

/// Makes the item a gold item with these labels (it then measures annotators' accuracy) and, when given,
/// why (shown to whoever misses it).
pub fn mark_gold(
    store: &mut Store,
    expert: &str,
    item_id: i64,
    labels: &[String],
    rationale: Option<&str>,
) -> Result<()> {
    store.mark_gold(item_id, labels, expert, rationale.map(str::trim).filter(|r| !r.is_empty()))?;
    Ok(())
}

/// Appends the example under its label's section (the first guidelines file that has one; else a new
/// section in guidelines.md), records the change in the audit trail, and returns the file. `shown` masks
/// the text as the expert saw it.
pub fn add_example(
    project: &Project,
    store: &mut Store,
    expert: &str,
    item: &StoredItem,
    label: &str,
    rationale: &str,
    shown: &dyn Fn(&str) -> String,
) -> Result<PathBuf> {
    let display = project.config.labels.iter().find(|l| l.name == label).map_or(label, |l| l.display_name());
    let date = humantime::format_rfc3339(std::time::SystemTime::now()).to_string();
    let example =
        Example { item: &item.ext_id, text: &shown(&item.text), label, rationale, by: expert, date: &date[..10] };
    let block = example.markdown();
    let dir = project.guidelines_dir();
    let mut target: Option<(PathBuf, String, String)> = None;
    for file in project.guideline_files() {
        let text = std::fs::read_to_string(&file)
            .map_err(|source| TriageError::ReadGuidelines { path: file.clone(), source })?;
        if let Some(updated) = insert_under(&text, &[label, display], &block) {
            target = Some((file, text, updated));
            break;
        }
    }
    let (file, before, after) = target.unwrap_or_else(|| {
        let file = dir.join("guidelines.md");
        let before = std::fs::read_to_string(&file).unwrap_or_default();
        // A display name may hold anything margin.toml allows; the file is read with cat.
        let after = format!("{}\n\n## {}\n\n{block}", before.trim_end(), visible(display)).trim_start().to_string();
        (file, before, after)
    });
    std::fs::create_dir_all(&dir).map_err(|source| WriteError { path: dir.clone(), source })?;
    write_atomically(&file, after.as_bytes())?;
    let relative = file.strip_prefix(&project.dir).unwrap_or(Path::new(&file)).display().to_string();
    let event = AuditEvent::GuidelineChange(GuidelineChange {
        file: relative,
        label: label.to_string(),
        rationale: rationale.to_string(),
        sha256_before: sha256_hex(before.as_bytes()),
        sha256_after: sha256_hex(after.as_bytes()),
    });
    store.log_item_event(expert, item.id, &event)?;
    Ok(file)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    crate::domain::audit::to_hex(&sha2::Sha256::digest(bytes))
}

/// What the model predicts for an item, as the expert reads it: its label names (joined for a multi-label
/// project) and the confidence, by the domain's one rule.
pub fn model_says(config: &ProjectConfig, probabilities: &[f32]) -> (String, f32) {
    let p = crate::domain::predicted(probabilities, config.task == TaskKind::MultiLabel);
    let p = p.unwrap_or(crate::domain::Predicted { labels: Vec::new(), confidence: 0.0 });
    let names: Vec<&str> = p.labels.iter().filter_map(|&k| config.labels.get(k)).map(|l| l.name.as_str()).collect();
    // A multi-label prediction of no label says so, rather than naming nothing.
    let said = if names.is_empty() { "no label".to_string() } else { names.join(", ") };
    (said, p.confidence)
}
