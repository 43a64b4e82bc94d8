//! Only `init` creates a database. A project whose database was removed or emptied is reported as such by
//! every other command, with how to restore it, instead of looking like a new empty project; `margin
//! backup` makes a checked copy to restore from. `init` never takes over a directory that holds a
//! database, so deleting margin.toml and re-initialising cannot reset the roles.

use crate::common::Sandbox;

fn project(sandbox: &Sandbox) -> String {
    let project = sandbox.project("p", "spam,ham");
    let file =
        sandbox.write("items.jsonl", "{\"id\":\"a\",\"text\":\"win money\"}\n{\"id\":\"b\",\"text\":\"lunch?\"}\n");
    sandbox.ok(&["import", &file, "--project", &project]);
    sandbox.ok(&["decide", "a", "--label", "spam", "--project", &project]);
    project
}

/// Every command that works on an existing project's data.
fn commands(project: &str) -> Vec<Vec<String>> {
    let all: [&[&str]; 12] = [
        &["status"],
        &["audit", "verify"],
        &["audit", "log"],
        &["export"],
        &["people"],
        &["decide", "a", "--skip"],
        &["queue", "next"],
        &["train", "--reference"],
        &["model", "list"],
        &["triage", "list"],
        &["keys"],
        &["backup", "copy.db"],
    ];
    all.iter()
        .map(|args| args.iter().map(|s| s.to_string()).chain(["--project".into(), project.into()]).collect())
        .collect()
}

fn check_every_command_fails(sandbox: &Sandbox, project: &str, what: &str) {
    for args in commands(project) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        if args[0] == "keys" {
            continue; // reads no data
        }
        let err = sandbox.fails(&args);
        assert!(err.contains(what) && err.contains("margin.db"), "{args:?} said: {err}");
        assert!(err.contains("backup"), "{args:?} does not say how to restore: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: one line, not {err}");
    }
    let doctor = sandbox.run(&["doctor", "--project", project]);
    assert!(!doctor.status.success(), "doctor passed on a {what} database");
    assert!(String::from_utf8_lossy(&doctor.stdout).contains(what));
}

#[test]
fn a_removed_database_is_reported_by_every_command_and_not_recreated() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let db = format!("{project}/margin.db");
    std::fs::remove_file(&db).unwrap();
    check_every_command_fails(&sandbox, &project, "missing");
    assert!(!std::path::Path::new(&db).exists(), "a command created a new empty database");
}

#[test]
fn an_emptied_database_is_reported_by_every_command() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let db = format!("{project}/margin.db");
    std::fs::write(&db, b"").unwrap();
    check_every_command_fails(&sandbox, &project, "empty");
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0, "a command wrote into the emptied file");
}

#[test]
fn init_refuses_a_directory_that_holds_a_database() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let db = format!("{project}/margin.db");
    let before = std::fs::read(&db).unwrap();
    std::fs::remove_file(format!("{project}/margin.toml")).unwrap();
    let err = sandbox.fails(&["init", &project, "--labels", "ham,spam"]);
    assert!(err.contains("margin.db") && err.contains("--restore-settings"), "{err}");
    assert!(!std::path::Path::new(&format!("{project}/margin.toml")).exists());
    assert_eq!(std::fs::read(&db).unwrap(), before, "init changed the database");

    // The settings come back as an admin last confirmed them, and the project works again.
    sandbox.ok(&["init", &project, "--restore-settings"]);
    let restored = std::fs::read_to_string(format!("{project}/margin.toml")).unwrap();
    assert!(restored.contains("spam") && restored.contains("ham"), "{restored}");
    assert!(restored.find("spam") < restored.find("ham"), "labels keep their order: {restored}");
    assert!(sandbox.ok(&["status", "--project", &project]).contains("decided 1"));
    let log = sandbox.ok(&["audit", "log", "--project", &project]);
    assert!(log.contains("settings_restored"), "{log}");
    // Restoring over an existing margin.toml is refused.
    let err = sandbox.fails(&["init", &project, "--restore-settings"]);
    assert!(err.contains("margin.toml"), "{err}");
}

#[test]
fn backup_makes_a_checked_copy_that_restores_the_project() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let copy = sandbox.join("copy.db").display().to_string();
    let out = sandbox.ok(&["backup", &copy, "--project", &project]);
    assert!(out.contains("integrity check: ok"), "{out}");
    // Refuses the project's own files and an existing file.
    let err = sandbox.fails(&["backup", &format!("{project}/margin.db"), "--force", "--project", &project]);
    assert!(err.contains("project's own"), "{err}");
    let notes = sandbox.write("notes.txt", "mine");
    let err = sandbox.fails(&["backup", &notes, "--project", &project]);
    assert!(err.contains("--force"), "{err}");

    // The original records where its copy went.
    assert!(sandbox.ok(&["audit", "log", "--project", &project]).contains(&copy));

    // Lose the database, restore the copy: everything is back, the audit trail holds.
    let status = sandbox.ok(&["status", "--project", &project]);
    std::fs::remove_file(format!("{project}/margin.db")).unwrap();
    std::fs::copy(&copy, format!("{project}/margin.db")).unwrap();
    assert_eq!(sandbox.ok(&["status", "--project", &project]), status);
    assert!(sandbox.ok(&["audit", "verify", "--project", &project]).contains("holds"));
}

#[test]
fn backup_runs_while_another_process_writes() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox);
    let many: String = (0..3000).map(|i| format!("{{\"text\":\"item {i} of many\"}}\n")).collect();
    let file = sandbox.write("many.jsonl", many);
    let mut import =
        sandbox.command(&["import", &file, "--project", &project]).stdout(std::process::Stdio::null()).spawn().unwrap();
    let copy = sandbox.join("during.db").display().to_string();
    let out = sandbox.ok(&["backup", &copy, "--project", &project]);
    assert!(out.contains("integrity check: ok"), "{out}");
    assert!(import.wait().unwrap().success());
}
