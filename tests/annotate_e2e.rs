//! A person at the real screen: `margin demo` in a real pseudo-terminal (80x24), thirty demo items
//! labelled with a mix of keys (accept, digits, skip, escalate with a reason, an override reason, an
//! undo), then quit; the database must hold exactly what was done, and the terminal be given back.

mod common;

use common::Sandbox;
use common::pty::Pty;
use rusqlite::Connection;

/// The item counter in the header, "item I/N", if an item is on screen.
fn item_number(screen: &str) -> Option<(usize, usize)> {
    let header = screen.lines().next()?;
    let at = header.find("item ")?;
    let rest = &header[at + 5..];
    let (i, rest) = rest.split_once('/')?;
    let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((i.parse().ok()?, n.parse().ok()?))
}

fn demo_db(sandbox: &Sandbox) -> Connection {
    Connection::open(sandbox.join("xdg-data/margin/demo/margin.db")).unwrap()
}

#[test]
fn thirty_demo_items_labelled_through_the_real_screen_land_in_the_database() {
    let sandbox = Sandbox::new();
    // Set the demo up without a terminal, then make every override ask for a reason.
    let out = sandbox.ok(&["demo"]);
    assert!(out.contains("Run `margin demo` in a terminal"), "{out}");
    let config = sandbox.join("xdg-data/margin/demo/margin.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let text = common::with_settings(&text, &[("thresholds.override_reason", toml::Value::Float(0.0))]);
    std::fs::write(&config, text).unwrap();

    let mut command = sandbox.command(&["demo"]);
    command.env_remove("NO_COLOR");
    let mut pty = Pty::spawn(command, 80, 24);
    pty.wait_for("the first item", |s| item_number(s) == Some((1, 20)));

    let mut decisions = 0; // net of the undo
    let mut escalations = 0;
    let mut skips = 0;
    let mut reasons = 0;
    let mut step = 0;
    while decisions < 30 {
        let screen = pty.contents();
        if screen.contains("Enter: next batch") {
            pty.send("\r");
            pty.wait_for("the next batch", |s| item_number(s).is_some_and(|(i, _)| i == 1));
            continue;
        }
        let (i, n) = item_number(&screen).unwrap_or_else(|| panic!("no item on screen:\n{screen}"));
        // The next item, or the batch summary (its box is titled "batch N done").
        let done = move |s: &str| item_number(s) != Some((i, n)) || s.contains("Enter: next batch");
        match step % 5 {
            0 => {
                pty.send("s");
                skips += 1;
            }
            1 => {
                // A digit: the override question comes when it differs from the prediction.
                pty.send("2");
                let s = pty.wait_for("a decision or the reason prompt", |s| done(s) || s.contains("What did it miss?"));
                if s.contains("What did it miss?") {
                    pty.send("1");
                    reasons += 1;
                }
            }
            3 => {
                pty.send("e");
                pty.wait_for("the escalation prompt", |s| s.contains("Why does this item need an expert?"));
                pty.send("2");
                escalations += 1;
            }
            _ => pty.send("\r"),
        }
        pty.wait_for("the decision to be saved", done);
        decisions += 1;
        step += 1;
        if step == 7 {
            // Undo the last decision: the same item comes back; accept the prediction this time.
            pty.send("u");
            let s = pty.wait_for("the undone item", |s| s.contains("Undone"));
            let back = item_number(&s);
            pty.send("a");
            pty.wait_for("the decision to be saved", |s| item_number(s) != back || s.contains("Enter: next batch"));
        }
    }
    pty.send("q");
    let status = pty.wait_exit();
    assert!(status.success(), "margin demo exited with {status}");
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert!(pty.restored(), "the terminal was given back:\n{}", pty.contents());
    assert!(
        reasons > 0 && escalations > 0 && skips > 0,
        "every kind of decision was tried: {reasons} {escalations} {skips}"
    );

    let db = demo_db(&sandbox);
    // `{me}` stands for the account running the tests: the person margin records.
    let count = |sql: &str| -> i64 { db.query_row(&sql.replace("{me}", &common::me()), [], |r| r.get(0)).unwrap() };
    assert_eq!(
        count("SELECT count(*) FROM decisions WHERE annotator = '{me}' AND action <> 'undo'"),
        31,
        "30 + the one undone"
    );
    assert_eq!(count("SELECT count(*) FROM decisions WHERE action = 'undo'"), 1);
    assert_eq!(
        count(
            "SELECT count(*) FROM decisions d WHERE annotator = '{me}' AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id) AND action <> 'undo'"
        ),
        30
    );
    assert_eq!(count("SELECT count(*) FROM decisions WHERE action = 'skip'"), skips);
    assert_eq!(
        count("SELECT count(*) FROM decisions WHERE action = 'escalate' AND reason = 'needs domain knowledge'"),
        escalations
    );
    assert_eq!(count("SELECT count(*) FROM escalations WHERE closed_at_ms IS NULL"), escalations);
    assert_eq!(
        count(
            "SELECT count(*) FROM decisions WHERE action IN ('correct', 'reject') AND reason = 'model missed context'"
        ),
        reasons
    );
    assert_eq!(
        count("SELECT count(*) FROM decisions WHERE action = 'correct' AND (reason IS NULL)"),
        0,
        "every override asked for a reason (threshold 0)"
    );
    assert_eq!(
        count("SELECT count(*) FROM decisions WHERE annotator = '{me}' AND action <> 'undo' AND time_spent_ms IS NULL"),
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM leases WHERE annotator = '{me}'"),
        0,
        "quitting gave the reserved items back"
    );
    assert_eq!(count("SELECT count(*) FROM events WHERE kind = 'decision'"), 32);
    let integrity: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(integrity, "ok");
}

/// margin's log in this sandbox, for a failure's message.
fn margin_log(sandbox: &Sandbox) -> String {
    std::fs::read_to_string(sandbox.join("xdg-state/margin/margin.log")).unwrap_or_default()
}

/// The demo set up without a terminal; returns the command that opens its screen.
fn demo_ready(sandbox: &Sandbox) -> std::process::Command {
    sandbox.ok(&["demo"]);
    sandbox.command(&["demo"])
}

#[test]
fn sigterm_sighup_and_a_hang_up_end_the_screen_cleanly() {
    let sandbox = Sandbox::new();
    for signal in [libc::SIGTERM, libc::SIGHUP] {
        let mut pty = Pty::spawn(demo_ready(&sandbox), 80, 24);
        pty.wait_for("the first item", |s| item_number(s).is_some());
        pty.send("\r");
        pty.wait_for("the decision to be saved", |s| item_number(s).is_some_and(|(i, _)| i > 1));
        // SAFETY: signalling our own child process by its id.
        unsafe { libc::kill(pty.child.id() as i32, signal) };
        let status = pty.wait_exit();
        assert!(status.success(), "signal {signal}: exited with {status}:\n{}", pty.contents());
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(pty.restored(), "signal {signal}: the terminal was given back");
        let db = demo_db(&sandbox);
        let leases: i64 = db.query_row("SELECT count(*) FROM leases", [], |r| r.get(0)).unwrap();
        assert_eq!(leases, 0, "signal {signal}: the reserved items were given back; log:\n{}", margin_log(&sandbox));
    }
    // The terminal itself goes away, as when an SSH connection drops.
    let mut pty = Pty::spawn(demo_ready(&sandbox), 80, 24);
    pty.wait_for("the first item", |s| item_number(s).is_some());
    pty.send("\r");
    pty.wait_for("the decision to be saved", |s| item_number(s).is_some_and(|(i, _)| i > 1));
    pty.hang_up();
    let status = pty.wait_exit();
    // Nothing may print to the terminal that is gone: a failed write to stderr panics.
    assert!(status.success(), "hang-up: exited with {status}; margin's log:\n{}", margin_log(&sandbox));
    let db = demo_db(&sandbox);
    let leases: i64 = db.query_row("SELECT count(*) FROM leases", [], |r| r.get(0)).unwrap();
    assert_eq!(leases, 0, "hang-up: the reserved items were given back; margin's log:\n{}", margin_log(&sandbox));
    let decided: i64 = db.query_row("SELECT count(*) FROM decisions", [], |r| r.get(0)).unwrap();
    assert_eq!(decided, 3);
}

/// SIGKILL at random moments while a person labels: every decision that was followed by a new item on
/// screen is in the database, and the database is whole.
#[test]
fn sigkill_at_random_moments_loses_no_decision_that_was_shown_as_made() {
    let sandbox = Sandbox::new();
    let command = || demo_ready_once(&sandbox);
    let mut seen_total = 0i64;
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for run in 0..20 {
        let mut pty = Pty::spawn(command(), 80, 24);
        pty.wait_for("an item", |s| item_number(s).is_some() || s.contains("Enter: next batch"));
        let keys = 1 + next() % 6;
        for _ in 0..keys {
            let screen = pty.contents();
            if screen.contains("Enter: next batch") {
                pty.send("\r");
                pty.wait_for("the next batch", |s| item_number(s).is_some_and(|(i, _)| i == 1));
                continue;
            }
            let at = item_number(&screen);
            pty.send(if next() % 3 == 0 { "s" } else { "\r" });
            pty.wait_for("the next frame", |s| item_number(s) != at || s.contains("Enter: next batch"));
            seen_total += 1;
        }
        // One more key, and the kill lands somewhere between it and its frame (or after).
        pty.send("\r");
        std::thread::sleep(std::time::Duration::from_micros(next() % 20_000));
        // SAFETY: killing our own child process by its id.
        unsafe { libc::kill(pty.child.id() as i32, libc::SIGKILL) };
        pty.wait_exit();
        let db = demo_db(&sandbox);
        let stored: i64 =
            db.query_row("SELECT count(*) FROM decisions WHERE annotator = ?1", [common::me()], |r| r.get(0)).unwrap();
        assert!(stored >= seen_total, "run {run}: {stored} decisions stored, {seen_total} were shown as made");
        assert!(stored <= seen_total + 1, "run {run}: at most the one decision in flight is stored unseen");
        seen_total = stored;
        let integrity: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(integrity, "ok", "run {run}");
    }
}

/// Sets the demo up on the first call only.
fn demo_ready_once(sandbox: &Sandbox) -> std::process::Command {
    if !sandbox.join("xdg-data/margin/demo/margin.toml").exists() {
        sandbox.ok(&["demo"]);
    }
    sandbox.command(&["demo"])
}
