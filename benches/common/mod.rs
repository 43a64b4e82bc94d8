//! Shared by the benchmarks: running a child process and measuring its wall time and peak memory, and
//! summarising rounds with medians.

use std::io::{BufWriter, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one run of a child process took.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub wall: Duration,
    /// Peak resident set size, in bytes.
    pub peak_rss: u64,
}

/// Runs `command` to completion and measures it; panics with its stderr if it fails.
pub fn measure(command: &mut Command) -> (Run, String) {
    let start = Instant::now();
    let child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    // Take the output on threads so a full pipe never blocks the child, then reap it ourselves with
    // wait4 to read its rusage.
    let mut child = child;
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).ok();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).ok();
        s
    });
    let mut status: libc::c_int = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet reaped; status and usage are valid out-pointers.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(reaped, pid, "wait4 failed");
    let stdout = out.join().expect("stdout thread");
    let stderr = err.join().expect("stderr thread");
    let exit = std::process::ExitStatus::from_raw(status);
    assert!(exit.success(), "{command:?} failed ({exit}):\n{stderr}");
    // ru_maxrss is in KiB on Linux.
    (Run { wall, peak_rss: usage.ru_maxrss as u64 * 1024 }, stdout)
}

pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

/// A tiny deterministic generator (xorshift64*), so every run sees the same data.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// An environment variable as a number, or the default.
pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

/// Writes `labelled` items with labels and `pool` items without, about 100 characters each.
pub fn write_data(labelled_path: &Path, pool_path: &Path, labelled: u64, pool: u64, names: &[String]) {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let word =
        |rng: &mut Rng| -> String { (0..2 + rng.below(8)).map(|_| (b'a' + rng.below(26) as u8) as char).collect() };
    let vocabulary: Vec<String> = (0..5000).map(|_| word(&mut rng)).collect();
    let own: Vec<Vec<String>> =
        names.iter().map(|_| (0..300).map(|_| vocabulary[rng.below(5000) as usize].clone()).collect()).collect();
    let text = |rng: &mut Rng, k: usize| {
        let mut t = String::with_capacity(110);
        while t.len() < 95 {
            let w = if rng.below(10) < 3 {
                &own[k][rng.below(300) as usize]
            } else {
                &vocabulary[rng.below(5000) as usize]
            };
            t.push_str(w);
            t.push(' ');
        }
        t
    };
    let mut l = BufWriter::new(std::fs::File::create(labelled_path).expect("labelled file"));
    for i in 0..labelled {
        let k = (i as usize) % names.len();
        let t = text(&mut rng, k);
        writeln!(l, "{{\"id\": \"lab-{i:07}\", \"text\": \"{t}{i}\", \"label\": \"{}\"}}", names[k]).expect("write");
    }
    l.flush().expect("flush");
    let mut p = BufWriter::new(std::fs::File::create(pool_path).expect("pool file"));
    for i in 0..pool {
        let k = rng.below(names.len() as u64) as usize;
        let t = text(&mut rng, k);
        writeln!(p, "{{\"id\": \"pool-{i:07}\", \"text\": \"{t}{i}\"}}").expect("write");
    }
    p.flush().expect("flush");
}
