//! What the audit trail records: one [`AuditEvent`] variant per kind of event, each with a typed payload,
//! and [`EventKind`], the kinds' stored names for reading events back.
//!
//! A payload serialises to exactly the JSON margin has always stored for its kind (the same keys in the same
//! order, `null` where a value is absent unless the kind has always left it out): events already in a
//! database are hashed as stored, and new ones must read the same. The tests pin each kind's JSON.
//! Pure: builds JSON text, does no I/O and imports nothing else of margin.

use serde::Serialize;

use super::super::model_kind::ModelKind;
use super::super::{DecisionAction, ModelSnapshot, TaskKind};

/// One event of the audit trail, as it is appended. Serialises as its payload alone: the kind is stored
/// beside it, in the event's own column.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AuditEvent {
    /// A decision about an item (`decision`).
    Decision(DecisionEvent),
    /// Someone saw an item's text unmasked (`pii_reveal`).
    PiiReveal(PiiReveal),
    /// An expert added an item to the guidelines as an example (`guideline_change`).
    GuidelineChange(GuidelineChange),
    /// `margin init` made the project (`project_created`).
    ProjectCreated(ProjectCreated),
    /// The admin-only settings, as an admin confirmed them (`settings`).
    Settings(SettingsRecorded),
    /// margin.toml was written back from recorded settings (`settings_restored`).
    SettingsRestored(SettingsRestored),
    /// A copy of the database was written (`backup`).
    Backup(Backup),
    /// Items were exported (`export`).
    Export(Export),
    /// A file was imported (`import`).
    Import(Import),
    /// An import replaced an item's reference labels (`reference_labels`).
    ReferenceLabels(ReferenceLabels),
    /// An expert sent an escalated item back to annotators (`send_back`).
    SendBack(SendBack),
    /// An expert made an item gold (`gold`).
    Gold(Gold),
    /// A model version was registered (`model_version`).
    ModelVersion(ModelRegistered),
    /// The current model changed (`current_model`).
    CurrentModel(CurrentModel),
    /// A label was renamed everywhere the database holds it (`labels_renamed`).
    LabelsRenamed(LabelsRenamed),
}

/// The kinds of event, by the name each is stored under: for reading events back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Decision,
    PiiReveal,
    GuidelineChange,
    ProjectCreated,
    Settings,
    SettingsRestored,
    Backup,
    Export,
    Import,
    ReferenceLabels,
    SendBack,
    Gold,
    ModelVersion,
    CurrentModel,
    LabelsRenamed,
}

impl EventKind {
    pub const ALL: [EventKind; 15] = [
        EventKind::Decision,
        EventKind::PiiReveal,
        EventKind::GuidelineChange,
        EventKind::ProjectCreated,
        EventKind::Settings,
        EventKind::SettingsRestored,
        EventKind::Backup,
        EventKind::Export,
        EventKind::Import,
        EventKind::ReferenceLabels,
        EventKind::SendBack,
        EventKind::Gold,
        EventKind::ModelVersion,
        EventKind::CurrentModel,
        EventKind::LabelsRenamed,
    ];

    /// The name events of this kind are stored under (the `kind` column, and part of each event's hash).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Decision => "decision",
            EventKind::PiiReveal => "pii_reveal",
            EventKind::GuidelineChange => "guideline_change",
            EventKind::ProjectCreated => "project_created",
            EventKind::Settings => "settings",
            EventKind::SettingsRestored => "settings_restored",
            EventKind::Backup => "backup",
            EventKind::Export => "export",
            EventKind::Import => "import",
            EventKind::ReferenceLabels => "reference_labels",
            EventKind::SendBack => "send_back",
            EventKind::Gold => "gold",
            EventKind::ModelVersion => "model_version",
            EventKind::CurrentModel => "current_model",
            EventKind::LabelsRenamed => "labels_renamed",
        }
    }

    /// The kind stored as `name`, if margin writes events of that kind.
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl AuditEvent {
    /// The event's kind.
    pub fn event_kind(&self) -> EventKind {
        match self {
            AuditEvent::Decision(_) => EventKind::Decision,
            AuditEvent::PiiReveal(_) => EventKind::PiiReveal,
            AuditEvent::GuidelineChange(_) => EventKind::GuidelineChange,
            AuditEvent::ProjectCreated(_) => EventKind::ProjectCreated,
            AuditEvent::Settings(_) => EventKind::Settings,
            AuditEvent::SettingsRestored(_) => EventKind::SettingsRestored,
            AuditEvent::Backup(_) => EventKind::Backup,
            AuditEvent::Export(_) => EventKind::Export,
            AuditEvent::Import(_) => EventKind::Import,
            AuditEvent::ReferenceLabels(_) => EventKind::ReferenceLabels,
            AuditEvent::SendBack(_) => EventKind::SendBack,
            AuditEvent::Gold(_) => EventKind::Gold,
            AuditEvent::ModelVersion(_) => EventKind::ModelVersion,
            AuditEvent::CurrentModel(_) => EventKind::CurrentModel,
            AuditEvent::LabelsRenamed(_) => EventKind::LabelsRenamed,
        }
    }

    /// The name the event is stored under.
    pub fn kind(&self) -> &'static str {
        self.event_kind().as_str()
    }

    /// The payload as stored: compact JSON.
    pub fn payload_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

/// A decision's event: a person's decision (a ruling and an undo included), or the machine's accept of a
/// confident prediction, which has always recorded less.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum DecisionEvent {
    Recorded(DecisionRecorded),
    MachineAccept(MachineAccepted),
}

/// A decision as [`DecisionEvent::Recorded`] records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionRecorded {
    pub decision_id: i64,
    pub action: DecisionAction,
    pub labels: Option<Vec<String>>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub undoes: Option<i64>,
    pub model: Option<ModelSnapshot>,
    /// The person's earlier decisions about the item that this one replaces (each undone in the same
    /// transaction); left out when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replaces: Vec<i64>,
    /// Whose reservation of the item the decision overrode; left out when it overrode none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_overridden: Option<String>,
}

/// The machine's accept of a confident prediction: its action is always `machine_accept`, and it has no
/// reason, note or undone decision to record.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineAccepted {
    pub decision_id: i64,
    pub labels: Vec<String>,
    pub model: ModelSnapshot,
}

impl Serialize for MachineAccepted {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        // Written by hand: the action is a fixed field between the id and the labels, not a stored one.
        let mut out = serializer.serialize_struct("MachineAccepted", 4)?;
        out.serialize_field("decision_id", &self.decision_id)?;
        out.serialize_field("action", &DecisionAction::MachineAccept)?;
        out.serialize_field("labels", &self.labels)?;
        out.serialize_field("model", &self.model)?;
        out.end()
    }
}

/// Where a person revealed masked text, as the audit trail records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum RevealedOn {
    #[serde(rename = "annotate")]
    AnnotateScreen,
    #[serde(rename = "triage")]
    Triage,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PiiReveal {
    /// The name given on a shared account, where it differs from the account; left out otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotator: Option<String>,
    pub from: RevealedOn,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GuidelineChange {
    /// The guidelines file, relative to the project directory.
    pub file: String,
    pub label: String,
    pub rationale: String,
    /// The file's SHA-256 before and after, in lower-case hex.
    pub sha256_before: String,
    pub sha256_after: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectCreated {
    pub name: String,
    pub task: TaskKind,
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingsRecorded {
    /// The tables that changed since the settings last recorded (none for the first record).
    pub changed: Vec<String>,
    /// The admin-only tables, as the project's settings give them.
    pub settings: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingsRestored {
    /// The `settings` event margin.toml was written from.
    pub from_event: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backup {
    /// The resolved path of the copy.
    pub to: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Export {
    pub format: String,
    /// `decided` or `all`.
    pub only: String,
    pub items: u64,
    pub masked: bool,
    /// The resolved path written, or `-` for standard output.
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Import {
    pub import_id: i64,
    pub source: String,
    pub format: String,
    pub added: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub reference_labels_updated: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferenceLabels {
    pub import_id: Option<i64>,
    pub before: Option<Vec<String>>,
    pub after: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SendBack {
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gold {
    pub labels: Vec<String>,
    /// The item's reference labels before, as the JSON text the database held (not a list).
    pub reference_before: Option<String>,
    /// Why, in the expert's words (left out when none was given, as in events from before it was kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelRegistered {
    pub model_version: i64,
    pub kind: ModelKind,
    pub path: String,
    pub sha256: String,
    pub trained_on: String,
    pub train_size: usize,
    /// How many committee members were registered with it.
    pub committee: usize,
    /// The model's metrics object; `null` when the stored text is not JSON.
    pub metrics: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurrentModel {
    pub model_version: i64,
    pub previous: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelsRenamed {
    pub from: String,
    pub to: String,
    pub items: u64,
    pub decisions: u64,
    pub models: u64,
}

#[cfg(test)]
mod tests;
