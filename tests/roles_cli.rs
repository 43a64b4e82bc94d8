//! Roles as people meet them: margin.toml's [roles] gives alice admin, bob expert, carol annotator, and
//! dave nothing. Every command that works on a project is run by each of them: whoever lacks the role it
//! needs is refused with a message naming the role, and nobody else is.

mod common;

use common::{ALICE, BOB, CAROL, DAVE, Sandbox};

/// alice is the admin, bob an expert, carol an annotator, dave has no role (each a real account).
fn roles() -> String {
    format!("[roles]\nadmin = [\"{ALICE}\"]\nexpert = [\"{BOB}\"]\nannotator = [\"{CAROL}\"]\n")
}

/// A project with two items and [roles]; returns its directory.
fn project_with_roles(sandbox: &Sandbox) -> String {
    let project = sandbox.project("p", "spam,ham");
    let file =
        sandbox.write("items.jsonl", "{\"id\":\"a\",\"text\":\"win money\"}\n{\"id\":\"b\",\"text\":\"lunch?\"}\n");
    sandbox.ok(&["import", &file, "--project", &project]);
    let path = format!("{project}/margin.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\n{}", roles())).unwrap();
    // The roles are new since the import recorded the settings: an admin confirms them.
    assert!(run_as(sandbox, ALICE, &["status", "--project", &project]).status.success());
    project
}

fn run_as(sandbox: &Sandbox, user: &str, args: &[&str]) -> std::process::Output {
    sandbox.run_as(user, args)
}

const LEVELS: [&str; 3] = ["annotator", "expert", "admin"];

#[test]
fn every_command_checks_its_role() {
    let sandbox = Sandbox::new();
    let project = project_with_roles(&sandbox);
    let items = sandbox.write("more.jsonl", "{\"id\":\"c\",\"text\":\"hello\"}\n");
    let manifest = sandbox.write("manifest.toml", "file = \"missing.onnx\"\n");
    // (command, the role it needs)
    let commands: Vec<(Vec<&str>, &str)> = vec![
        (vec!["annotate"], "annotator"),
        (vec!["status"], "annotator"),
        (vec!["people"], "annotator"),
        (vec!["queue", "next", "--json"], "annotator"),
        (vec!["queue", "release"], "annotator"),
        (vec!["decide", "a", "--skip"], "annotator"),
        (vec!["explain", "a"], "annotator"),
        (vec!["import", &items], "annotator"),
        (vec!["score"], "annotator"),
        (vec!["retrain", "--if-due"], "annotator"),
        (vec!["export", "--mask"], "annotator"),
        (vec!["model", "list"], "annotator"),
        (vec!["audit", "verify"], "annotator"),
        (vec!["export"], "expert"),
        (vec!["audit", "log"], "expert"),
        (vec!["triage", "list"], "expert"),
        (vec!["triage"], "expert"),
        (vec!["triage", "reveal", "a"], "expert"),
        (vec!["triage", "gold", "a", "--label", "spam"], "expert"),
        (vec!["triage", "example", "a", "--label", "spam", "--rationale", "offers money"], "expert"),
        (vec!["triage", "resolve", "a", "--label", "spam"], "expert"),
        (vec!["triage", "send-back", "a"], "expert"),
        (vec!["train"], "admin"),
        (vec!["retrain"], "admin"),
        (vec!["model", "use", &manifest], "admin"),
    ];
    for (command, needed) in &commands {
        let mut args = command.clone();
        args.extend(["--project", project.as_str()]);
        let needed_level = LEVELS.iter().position(|l| l == needed).unwrap();
        for (user, level) in [(DAVE, None), (CAROL, Some(0)), (BOB, Some(1)), (ALICE, Some(2))] {
            let out = run_as(&sandbox, user, &args);
            let err = String::from_utf8_lossy(&out.stderr);
            match level {
                None => {
                    assert!(!out.status.success(), "{user} {command:?} should be refused");
                    assert!(err.contains(&format!("{DAVE} has no role in project p")), "{command:?}: {err}");
                    assert!(err.contains(&format!("Ask an admin ({ALICE})")), "{err}");
                }
                Some(l) if l < needed_level => {
                    assert!(!out.status.success(), "{user} {command:?} should be refused");
                    assert!(
                        err.contains(&format!("needs the {needed} role")) && err.contains(&format!("{user} is an")),
                        "{user} {command:?}: {err}"
                    );
                }
                Some(_) => assert!(
                    !err.contains("needs the") && !err.contains("has no role") && !err.contains("changed since"),
                    "{user} {command:?} was refused: {err}"
                ),
            }
        }
    }
}

#[test]
fn a_unix_group_gives_its_members_the_role() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "spam,ham");
    let path = format!("{project}/margin.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    // root is in the root group on every Linux system.
    std::fs::write(&path, format!("{text}\n[roles]\nadmin = [\"{ALICE}\"]\nexpert = [\"group:root\"]\n")).unwrap();
    assert!(run_as(&sandbox, ALICE, &["status", "--project", &project]).status.success());
    let out = run_as(&sandbox, "root", &["audit", "log", "--project", &project]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run_as(&sandbox, "root", &["train", "--project", &project]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs the admin role"));
}

#[test]
fn only_an_admin_changes_the_governed_settings_and_the_change_is_audited() {
    let sandbox = Sandbox::new();
    let project = project_with_roles(&sandbox);
    let out = run_as(&sandbox, CAROL, &["status", "--project", &project]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    sandbox.set(&project, &[("thresholds.expert", toml::Value::Float(0.2))]);
    let out = run_as(&sandbox, CAROL, &["status", "--project", &project]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("[thresholds] changed since an admin last confirmed the settings"), "{err}");
    assert!(err.contains(&format!("{CAROL} is an annotator")), "{err}");
    // Screen keys are not governed: anyone may change them.
    sandbox.set(&project, &[("thresholds.expert", toml::Value::Float(0.0))]);
    sandbox.set(&project, &[("screen.break_after_minutes", toml::Value::Integer(20))]);
    assert!(run_as(&sandbox, CAROL, &["status", "--project", &project]).status.success());

    sandbox.set(&project, &[("thresholds.expert", toml::Value::Float(0.2))]);
    assert!(run_as(&sandbox, ALICE, &["status", "--project", &project]).status.success());
    assert!(run_as(&sandbox, CAROL, &["status", "--project", &project]).status.success());
    let log = run_as(&sandbox, BOB, &["audit", "log", "--action", "settings", "--project", &project]);
    let events: Vec<serde_json::Value> =
        String::from_utf8_lossy(&log.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // The import recorded the first settings, alice confirmed the roles, then the threshold.
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[1]["payload"]["changed"], serde_json::json!(["roles"]));
    assert_eq!(events[2]["actor"], ALICE);
    assert_eq!(events[2]["payload"]["changed"], serde_json::json!(["thresholds"]));
    assert_eq!(events[2]["payload"]["settings"]["thresholds"]["expert"], 0.2);
}

#[test]
fn bad_roles_are_named_with_file_and_line() {
    let sandbox = Sandbox::new();
    let project = sandbox.project("p", "spam,ham");
    let path = format!("{project}/margin.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\n[roles]\nadmin = [\"alice\"]\nexpert = [\"bob smith\"]\n")).unwrap();
    let err = sandbox.fails(&["status", "--project", &project]);
    let line = text.lines().count() + 4;
    assert!(err.contains(&format!("margin.toml:{line}: key `roles.expert[0]`")), "{err}");
    std::fs::write(&path, format!("{text}\n[roles]\nexpert = [\"bob\"]\n")).unwrap();
    let err = sandbox.fails(&["status", "--project", &project]);
    assert!(err.contains("names no admin"), "{err}");
}

#[test]
fn under_a_team_umask_the_database_is_group_writable() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let sandbox = Sandbox::new();
    let mut init = sandbox.command(&["init", "team", "--labels", "a,b"]);
    // SAFETY: umask is async-signal-safe; the child only sets it before exec.
    unsafe {
        init.pre_exec(|| {
            libc::umask(0o007);
            Ok(())
        });
    }
    assert!(init.output().unwrap().status.success());
    let mode = std::fs::metadata(sandbox.join("team/margin.db")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o660, "{mode:o}");
}

#[test]
fn nobody_makes_themselves_admin_by_editing_the_roles() {
    let sandbox = Sandbox::new();
    let project = project_with_roles(&sandbox);
    let path = format!("{project}/margin.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let admin = format!("admin = [\"{ALICE}\"]");
    let both = format!("admin = [\"{ALICE}\", \"{CAROL}\"]");
    for edited in [text.replace(&admin, &both), text.replace(&roles(), "")] {
        std::fs::write(&path, edited).unwrap();
        let out = run_as(&sandbox, CAROL, &["train", "--project", &project]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            err.contains("[roles] changed since an admin last confirmed")
                && err.contains(&format!("{CAROL} is an annotator")),
            "{err}"
        );
    }
    std::fs::write(&path, &text).unwrap();
    assert!(run_as(&sandbox, CAROL, &["status", "--project", &project]).status.success());
}

#[test]
fn people_shows_agreement_and_gold_and_an_annotator_sees_only_their_own_record() {
    let sandbox = Sandbox::new();
    let project = project_with_roles(&sandbox);
    let decide = |user: &str, item: &str, label: &str| {
        let out = run_as(&sandbox, user, &["decide", item, "--label", label, "--project", &project]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    // Item a: carol and alice say spam, bob ham. Item b: carol and bob say ham, and it is made gold as ham.
    decide(CAROL, "a", "spam");
    decide(BOB, "a", "ham");
    decide(ALICE, "a", "spam");
    decide(CAROL, "b", "spam");
    decide(CAROL, "b", "ham");
    decide(BOB, "b", "ham");
    assert!(run_as(&sandbox, BOB, &["triage", "gold", "b", "--label", "ham", "--project", &project]).status.success());

    let report = |user: &str| -> serde_json::Value {
        let out = run_as(&sandbox, user, &["people", "--json", "--project", &project]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let all = report(BOB);
    let person =
        |name: &str| all["people"].as_array().unwrap().iter().find(|p| p["annotator"] == name).unwrap().clone();
    let carol = person(CAROL);
    // carol's later label for b (ham) replaced her first (spam).
    assert_eq!((carol["labelled"].as_u64(), carol["compared"].as_u64()), (Some(2), Some(3)));
    assert_eq!(carol["agreed_with_others"], 2);
    assert_eq!((carol["gold"].as_u64(), carol["gold_right"].as_u64()), (Some(1), Some(1)));
    assert_eq!((person(BOB)["agreed_with_others"].as_u64(), person(ALICE)["compared"].as_u64()), (Some(1), Some(2)));
    let agreement = &all["agreement"];
    assert_eq!((agreement["items"].as_u64(), agreement["pairs"].as_u64()), (Some(2), Some(4)));
    assert_eq!(agreement["agreed_pairs"], 2);
    // Fleiss: per-item agreement 1/3 and 1; label shares spam 2/5, ham 3/5.
    let expected = (2.0 / 3.0 - 0.52) / (1.0 - 0.52);
    assert!((agreement["fleiss_kappa"].as_f64().unwrap() - expected).abs() < 1e-9, "{agreement}");

    let own = report(CAROL);
    let names: Vec<&str> = own["people"].as_array().unwrap().iter().map(|p| p["annotator"].as_str().unwrap()).collect();
    assert_eq!(names, vec![CAROL], "an annotator sees their own record");
    let out = run_as(&sandbox, CAROL, &["people", "--annotator", BOB, "--project", &project]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("only experts and admins"));
    let table = String::from_utf8(run_as(&sandbox, ALICE, &["people", "--project", &project]).stdout).unwrap();
    assert!(table.contains("2 items labelled by two or more people: 2 of 4 pairs agree (50%)"), "{table}");
}
