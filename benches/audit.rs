//! Audit benchmark: `margin audit verify` over a trail of 1,000,000 events, and a reference measured in
//! the same run, round by round: the sqlite3 shell reading the same columns of every event (what walking
//! the trail costs before any hashing).
//!
//! Run: `cargo bench --bench audit` (needs the `sqlite3` command-line shell). Settings: MARGIN_BENCH_EVENTS
//! (default 1,000,000) and MARGIN_BENCH_ROUNDS (default 5). Target (issue 6): under 1 s for 1,000,000
//! events, whole command included.

#[allow(dead_code)] // each benchmark uses part of the shared helpers
mod common;

use std::path::Path;
use std::process::Command;

use common::{Rng, env_number, measure, median};
use margin::domain::audit::{EventHash, EventRecord, chain_hash};
use rusqlite::{Connection, params};

const MARGIN: &str = env!("CARGO_BIN_EXE_margin");
const ACTIONS: [&str; 4] = ["accept", "correct", "skip", "escalate"];

fn main() {
    let events = env_number("MARGIN_BENCH_EVENTS", 1_000_000) as i64;
    let rounds = env_number("MARGIN_BENCH_ROUNDS", 5).max(1);
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-audit");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let project = work.join("p");
    let init = Command::new(MARGIN)
        .args(["init", project.to_str().expect("utf-8"), "--labels", "spam,ham"])
        .env("XDG_STATE_HOME", work.join("state"))
        .output()
        .expect("margin init");
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let db_path = project.join("margin.db");
    let payload_bytes = append_events(&db_path, events);
    eprintln!("{events} events appended (mean payload {payload_bytes:.0} bytes); {rounds} rounds");

    let mut verify = Vec::new();
    let mut reference = Vec::new();
    for round in 0..rounds {
        let margin_run = || {
            let (run, out) = measure(
                Command::new(MARGIN)
                    .args(["audit", "verify", "--project", project.to_str().expect("utf-8")])
                    .env("XDG_STATE_HOME", work.join("state")),
            );
            assert!(out.contains("events checked"), "{out}");
            run.wall.as_secs_f64() * 1000.0
        };
        let sqlite_run = || {
            let (run, _) = measure(Command::new("sqlite3").arg(&db_path).arg(
                "SELECT sum(seq + at_ms + length(actor) + length(kind) + ifnull(item_id, 0) + length(payload) \
                 + length(prev_hash) + length(hash)) FROM events;",
            ));
            run.wall.as_secs_f64() * 1000.0
        };
        // Alternate who goes first, so a slow spell of the machine does not always hit the same side.
        let (m, s) = if round % 2 == 0 {
            let m = margin_run();
            (m, sqlite_run())
        } else {
            let s = sqlite_run();
            (margin_run(), s)
        };
        eprintln!("round {round}: verify {m:.0} ms, sqlite3 read {s:.0} ms");
        verify.push(m);
        reference.push(s);
    }
    let (m, s) = (median(&mut verify), median(&mut reference));
    println!("| events | `margin audit verify` median ms | sqlite3 reading the same columns, median ms | ratio |");
    println!("|---|---|---|---|");
    println!("| {events} | {m:.0} | {s:.0} | {:.2} |", m / s);
}

/// Appends `n` decision-like events to the chain after what `init` wrote, in one transaction; returns the
/// mean payload length.
fn append_events(db_path: &Path, n: i64) -> f64 {
    let mut db = Connection::open(db_path).expect("open");
    let tx = db.transaction().expect("begin");
    let (mut seq, mut prev): (i64, EventHash) = tx
        .query_row("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get::<_, Vec<u8>>(1)?.try_into().expect("32 bytes")))
        })
        .expect("init's event");
    let mut rng = Rng(0x5EED_A0D1_7000_0001);
    let mut total = 0usize;
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO events (seq, at_ms, actor, kind, item_id, payload, prev_hash, hash)
                 VALUES (?1, ?2, ?3, 'decision', NULL, ?4, ?5, ?6)",
            )
            .expect("prepare");
        for i in 0..n {
            seq += 1;
            let action = ACTIONS[rng.below(4) as usize];
            let label = if rng.below(2) == 0 { "spam" } else { "ham" };
            let payload = format!(
                "{{\"decision_id\":{i},\"action\":\"{action}\",\"labels\":[\"{label}\"],\"reason\":null,\"note\":null,\
                 \"undoes\":null,\"model\":{{\"version\":3,\"predicted\":[\"{label}\"],\"confidence\":0.{:04}}}}}",
                rng.below(10_000)
            );
            total += payload.len();
            let actor = format!("annotator{}", rng.below(8));
            let at_ms = 1_790_000_000_000 + i * 1500;
            let record = EventRecord { seq, at_ms, actor: &actor, kind: "decision", item_id: None, payload: &payload };
            let hash = chain_hash(&prev, &record);
            insert.execute(params![seq, at_ms, actor, payload, &prev[..], &hash[..]]).expect("insert");
            prev = hash;
        }
    }
    tx.commit().expect("commit");
    total as f64 / n.max(1) as f64
}
