//! Who a person is comes from the real user id, never from $USER or $LOGNAME, and `--annotator` names
//! the person at the keyboard only on an account margin.toml lists as shared (recorded as ACCOUNT:NAME,
//! with the account's role). Each person here is a real account run in a user namespace.

use crate::common::{Sandbox, me};

const ADMIN: &str = "daemon";
const ANNOTATOR: &str = "sys";

/// A project whose [roles] make `daemon` the admin and `sys` an annotator.
fn project(sandbox: &Sandbox, shared: &[&str]) -> String {
    let project = sandbox.project("p", "spam,ham");
    let file = sandbox.write("items.jsonl", "{\"id\":\"a\",\"text\":\"win money\",\"label\":\"spam\"}\n{\"id\":\"b\",\"text\":\"lunch?\",\"label\":\"ham\"}\n");
    sandbox.ok(&["import", &file, "--project", &project]);
    let shared: Vec<String> = shared.iter().map(|a| format!("{a:?}")).collect();
    let roles = format!(
        "\n[roles]\nadmin = [\"{ADMIN}\"]\nannotator = [\"{ANNOTATOR}\"]\nshared_accounts = [{}]\n",
        shared.join(", ")
    );
    let path = format!("{project}/margin.toml");
    std::fs::write(&path, std::fs::read_to_string(&path).unwrap() + &roles).unwrap();
    // The roles are new: their admin confirms them (before [roles], everyone was an admin).
    sandbox.ok_as(ADMIN, &["status", "--project", &project]);
    project
}

#[test]
fn the_environment_does_not_make_anyone_an_admin() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox, &[]);
    let out = sandbox
        .command_as(ANNOTATOR, &["train", "--reference", "--project", &project])
        .env("USER", ADMIN)
        .env("LOGNAME", ADMIN)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "USER={ADMIN} let {ANNOTATOR} train");
    assert!(err.contains(&format!("{ANNOTATOR} is an annotator")), "{err}");

    // Nor can a spoofed admin confirm a [roles] change that makes everyone an admin.
    let path = format!("{project}/margin.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace(&format!("admin = [\"{ADMIN}\"]"), "admin = [\"*\"]")).unwrap();
    let out = sandbox.command_as(ANNOTATOR, &["status", "--project", &project]).env("USER", ADMIN).output().unwrap();
    assert!(!out.status.success(), "the change was confirmed by USER={ADMIN}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("[roles]"));
    // The real admin can confirm it.
    assert!(sandbox.run_as(ADMIN, &["status", "--project", &project]).status.success());
}

#[test]
fn annotator_names_a_person_only_on_a_shared_account() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox, &[]);
    for args in [
        vec!["decide", "a", "--label", "spam", "--annotator", "alice"],
        vec!["queue", "next", "--annotator", "alice"],
        vec!["queue", "release", "--annotator", "alice"],
        vec!["annotate", "--annotator", "alice"],
    ] {
        let mut all = args.clone();
        all.extend(["--project", &project]);
        let out = sandbox.run_as(ANNOTATOR, &all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was allowed on an account that is not shared");
        assert!(err.contains("shared_accounts"), "{args:?}: {err}");
    }
    let decisions = sandbox.ok_as(ADMIN, &["export", "--project", &project]);
    assert!(!decisions.contains("alice"), "{decisions}");
}

#[test]
fn a_shared_account_records_account_and_name_and_keeps_its_role() {
    let sandbox = Sandbox::new();
    let project = project(&sandbox, &[ANNOTATOR]);
    sandbox.ok_as(ANNOTATOR, &["decide", "a", "--label", "spam", "--annotator", "alice", "--project", &project]);
    let export = sandbox.ok_as(ADMIN, &["export", "--project", &project]);
    assert!(export.contains(&format!("\"annotator\":\"{ANNOTATOR}:alice\"")), "{export}");
    let log = sandbox.ok_as(ADMIN, &["audit", "log", "--project", &project]);
    assert!(log.contains(&format!("\"actor\":\"{ANNOTATOR}:alice\"")), "{log}");
    // Naming the admin gives the admin's name, not the admin's role: the account is an annotator.
    let out = sandbox.run_as(ANNOTATOR, &["train", "--reference", "--project", &project]);
    assert!(!out.status.success());
    sandbox.ok_as(ANNOTATOR, &["decide", "b", "--label", "ham", "--annotator", ADMIN, "--project", &project]);
    let export = sandbox.ok_as(ADMIN, &["export", "--project", &project]);
    assert!(export.contains(&format!("\"annotator\":\"{ANNOTATOR}:{ADMIN}\"")), "{export}");
    // Names that could pass for an account or steer a terminal are refused.
    for bad in ["root:x", "a b", "evil\u{1b}[2J"] {
        let out = sandbox.run_as(ANNOTATOR, &["decide", "b", "--skip", "--annotator", bad, "--project", &project]);
        assert!(!out.status.success(), "--annotator {bad:?} was taken");
    }
    // An account that is not shared still cannot.
    let out = sandbox.run_as(ADMIN, &["decide", "b", "--skip", "--annotator", "x", "--project", &project]);
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("working as {ADMIN}")));
    // Nor can the account running the tests, which has no role here at all.
    assert!(sandbox.fails(&["status", "--project", &project]).contains(&me()));
}
