// Each kind's JSON is written out as margin stored it before events were typed: a change here is a
// change to what existing trails hold and how new events hash, and must be made on purpose.

use super::*;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn object(json: &str) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::from_str(json).unwrap() {
        serde_json::Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn snapshot(version: i64, predicted: &[&str], confidence: f64) -> ModelSnapshot {
    ModelSnapshot { version, predicted: strings(predicted), confidence }
}

fn decision(decision_id: i64, action: DecisionAction) -> DecisionRecorded {
    DecisionRecorded {
        decision_id,
        action,
        labels: None,
        reason: None,
        note: None,
        undoes: None,
        model: None,
        replaces: Vec::new(),
        lease_overridden: None,
    }
}

/// One or more events of every kind, each with the kind and the payload it is stored with.
fn pinned() -> Vec<(AuditEvent, &'static str, &'static str)> {
    let recorded = |d: DecisionRecorded| AuditEvent::Decision(DecisionEvent::Recorded(d));
    vec![
        (
            recorded(DecisionRecorded {
                labels: Some(strings(&["spam"])),
                note: Some("looks like an \"ad\"".into()),
                model: Some(snapshot(3, &["ham"], 0.75)),
                replaces: vec![9, 10],
                lease_overridden: Some("bob".into()),
                ..decision(12, DecisionAction::Correct)
            }),
            "decision",
            r#"{"decision_id":12,"action":"correct","labels":["spam"],"reason":null,"note":"looks like an \"ad\"","undoes":null,"model":{"version":3,"predicted":["ham"],"confidence":0.75},"replaces":[9,10],"lease_overridden":"bob"}"#,
        ),
        (
            recorded(decision(4, DecisionAction::Skip)),
            "decision",
            r#"{"decision_id":4,"action":"skip","labels":null,"reason":null,"note":null,"undoes":null,"model":null}"#,
        ),
        (
            recorded(DecisionRecorded { reason: Some("unclear".into()), ..decision(5, DecisionAction::Escalate) }),
            "decision",
            r#"{"decision_id":5,"action":"escalate","labels":null,"reason":"unclear","note":null,"undoes":null,"model":null}"#,
        ),
        (
            recorded(DecisionRecorded {
                note: Some("changed their mind: replaced by their next decision".into()),
                undoes: Some(4),
                ..decision(6, DecisionAction::Undo)
            }),
            "decision",
            r#"{"decision_id":6,"action":"undo","labels":null,"reason":null,"note":"changed their mind: replaced by their next decision","undoes":4,"model":null}"#,
        ),
        (
            recorded(DecisionRecorded {
                labels: Some(strings(&["a", "b"])),
                lease_overridden: Some("carol".into()),
                ..decision(8, DecisionAction::Resolve)
            }),
            "decision",
            r#"{"decision_id":8,"action":"resolve","labels":["a","b"],"reason":null,"note":null,"undoes":null,"model":null,"lease_overridden":"carol"}"#,
        ),
        (
            AuditEvent::Decision(DecisionEvent::MachineAccept(MachineAccepted {
                decision_id: 7,
                labels: strings(&["ham"]),
                model: snapshot(2, &["ham"], 0.99),
            })),
            "decision",
            r#"{"decision_id":7,"action":"machine_accept","labels":["ham"],"model":{"version":2,"predicted":["ham"],"confidence":0.99}}"#,
        ),
        (
            AuditEvent::PiiReveal(PiiReveal { annotator: Some("ann".into()), from: RevealedOn::AnnotateScreen }),
            "pii_reveal",
            r#"{"annotator":"ann","from":"annotate"}"#,
        ),
        (
            AuditEvent::PiiReveal(PiiReveal { annotator: None, from: RevealedOn::Triage }),
            "pii_reveal",
            r#"{"from":"triage"}"#,
        ),
        (
            AuditEvent::GuidelineChange(GuidelineChange {
                file: "guidelines/guidelines.md".into(),
                label: "spam".into(),
                rationale: "an ad".into(),
                sha256_before: "e3b0".into(),
                sha256_after: "9f86".into(),
            }),
            "guideline_change",
            r#"{"file":"guidelines/guidelines.md","label":"spam","rationale":"an ad","sha256_before":"e3b0","sha256_after":"9f86"}"#,
        ),
        (
            AuditEvent::ProjectCreated(ProjectCreated {
                name: "reviews".into(),
                task: TaskKind::MultiLabel,
                labels: strings(&["praise", "complaint"]),
            }),
            "project_created",
            r#"{"name":"reviews","task":"multi-label","labels":["praise","complaint"]}"#,
        ),
        (
            AuditEvent::ProjectCreated(ProjectCreated {
                name: "spam".into(),
                task: TaskKind::SingleLabel,
                labels: strings(&["spam", "ham"]),
            }),
            "project_created",
            r#"{"name":"spam","task":"single-label","labels":["spam","ham"]}"#,
        ),
        (
            AuditEvent::Settings(SettingsRecorded {
                changed: strings(&["labels", "roles"]),
                settings: object(r#"{"task":"single-label","labels":[{"name":"spam","key":"1"}],"roles":null}"#),
            }),
            "settings",
            r#"{"changed":["labels","roles"],"settings":{"task":"single-label","labels":[{"name":"spam","key":"1"}],"roles":null}}"#,
        ),
        (
            AuditEvent::Settings(SettingsRecorded { changed: Vec::new(), settings: object("{}") }),
            "settings",
            r#"{"changed":[],"settings":{}}"#,
        ),
        (
            AuditEvent::SettingsRestored(SettingsRestored { from_event: 17 }),
            "settings_restored",
            r#"{"from_event":17}"#,
        ),
        (
            AuditEvent::Backup(Backup { to: "/srv/backups/margin.db".into(), bytes: 4096 }),
            "backup",
            r#"{"to":"/srv/backups/margin.db","bytes":4096}"#,
        ),
        (
            AuditEvent::Export(Export {
                format: "jsonl".into(),
                only: "decided".into(),
                items: 3,
                masked: true,
                to: "-".into(),
            }),
            "export",
            r#"{"format":"jsonl","only":"decided","items":3,"masked":true,"to":"-"}"#,
        ),
        (
            AuditEvent::Import(Import {
                import_id: 2,
                source: "data/reviews.csv".into(),
                format: "csv".into(),
                added: 10,
                duplicates: 1,
                rejected: 0,
                reference_labels_updated: 4,
            }),
            "import",
            r#"{"import_id":2,"source":"data/reviews.csv","format":"csv","added":10,"duplicates":1,"rejected":0,"reference_labels_updated":4}"#,
        ),
        (
            AuditEvent::ReferenceLabels(ReferenceLabels {
                import_id: Some(2),
                before: Some(strings(&["ham"])),
                after: strings(&["spam"]),
            }),
            "reference_labels",
            r#"{"import_id":2,"before":["ham"],"after":["spam"]}"#,
        ),
        (
            AuditEvent::ReferenceLabels(ReferenceLabels { import_id: None, before: None, after: Vec::new() }),
            "reference_labels",
            r#"{"import_id":null,"before":null,"after":[]}"#,
        ),
        (AuditEvent::SendBack(SendBack { note: None }), "send_back", r#"{"note":null}"#),
        (AuditEvent::SendBack(SendBack { note: Some("ask again".into()) }), "send_back", r#"{"note":"ask again"}"#),
        (
            AuditEvent::Gold(Gold {
                labels: strings(&["spam"]),
                reference_before: Some(r#"["ham"]"#.into()),
                rationale: None,
            }),
            "gold",
            r#"{"labels":["spam"],"reference_before":"[\"ham\"]"}"#,
        ),
        (
            AuditEvent::Gold(Gold { labels: strings(&["a", "b"]), reference_before: None, rationale: None }),
            "gold",
            r#"{"labels":["a","b"],"reference_before":null}"#,
        ),
        (
            AuditEvent::Gold(Gold { labels: strings(&["a"]), reference_before: None, rationale: Some("why".into()) }),
            "gold",
            r#"{"labels":["a"],"reference_before":null,"rationale":"why"}"#,
        ),
        (
            AuditEvent::ModelVersion(ModelRegistered {
                model_version: 3,
                kind: ModelKind::Linear,
                path: "models/20260101T000000Z.onnx".into(),
                sha256: "ab12".into(),
                trained_on: "decisions+reference".into(),
                train_size: 120,
                committee: 5,
                metrics: serde_json::from_str(r#"{"accuracy":0.9,"macro_f1":0.875,"examples":120,"brier":null}"#)
                    .unwrap(),
            }),
            "model_version",
            r#"{"model_version":3,"kind":"linear","path":"models/20260101T000000Z.onnx","sha256":"ab12","trained_on":"decisions+reference","train_size":120,"committee":5,"metrics":{"accuracy":0.9,"macro_f1":0.875,"examples":120,"brier":null}}"#,
        ),
        (
            AuditEvent::ModelVersion(ModelRegistered {
                model_version: 4,
                kind: ModelKind::External,
                path: "byo/model.toml".into(),
                sha256: "cd34".into(),
                trained_on: "external".into(),
                train_size: 0,
                committee: 0,
                metrics: serde_json::Value::Null,
            }),
            "model_version",
            r#"{"model_version":4,"kind":"external","path":"byo/model.toml","sha256":"cd34","trained_on":"external","train_size":0,"committee":0,"metrics":null}"#,
        ),
        (
            AuditEvent::CurrentModel(CurrentModel { model_version: 3, previous: None }),
            "current_model",
            r#"{"model_version":3,"previous":null}"#,
        ),
        (
            AuditEvent::CurrentModel(CurrentModel { model_version: 4, previous: Some(3) }),
            "current_model",
            r#"{"model_version":4,"previous":3}"#,
        ),
        (
            AuditEvent::LabelsRenamed(LabelsRenamed {
                from: "spam".into(),
                to: "junk".into(),
                items: 2,
                decisions: 3,
                models: 1,
            }),
            "labels_renamed",
            r#"{"from":"spam","to":"junk","items":2,"decisions":3,"models":1}"#,
        ),
    ]
}

#[test]
fn each_kind_keeps_its_stored_name_and_payload() {
    for (event, kind, payload) in pinned() {
        assert_eq!(event.kind(), kind, "{event:?}");
        assert_eq!(event.payload_json().unwrap(), payload, "{kind}");
    }
}

#[test]
fn every_kind_is_pinned() {
    let pinned: Vec<EventKind> = pinned().iter().map(|(event, _, _)| event.event_kind()).collect();
    for kind in EventKind::ALL {
        assert!(pinned.contains(&kind), "no pinned payload for {kind}");
    }
}

#[test]
fn kinds_read_back_by_their_names() {
    for kind in EventKind::ALL {
        assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        assert_eq!(kind.to_string(), kind.as_str());
    }
    let mut names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), EventKind::ALL.len(), "two kinds share a name");
    assert_eq!(EventKind::parse("something"), None);
}
