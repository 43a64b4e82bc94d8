//! Running the real `margin` binary in a sandbox: its own temporary working directory and XDG
//! directories, so tests never touch the user's data and never see each other's.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub mod pty;

pub const MARGIN: &str = env!("CARGO_BIN_EXE_margin");

pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `margin ARGS` with this sandbox's environment, run in its directory.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(MARGIN);
        command
            .args(args)
            .current_dir(self.path())
            .env("XDG_DATA_HOME", self.join("xdg-data"))
            .env("XDG_STATE_HOME", self.join("xdg-state"))
            .env("XDG_CONFIG_HOME", self.join("xdg-config"))
            .env("USER", "tester")
            .env_remove("MARGIN_PROJECT")
            .env_remove("ORT_DYLIB_PATH")
            .stdin(Stdio::null());
        command
    }

    /// Changes settings in a project's margin.toml: each `(from, to)` replaces text that must be there.
    pub fn set(&self, project: &str, settings: &[(&str, &str)]) {
        let path = format!("{project}/margin.toml");
        let mut text = std::fs::read_to_string(&path).expect("margin.toml");
        for (from, to) in settings {
            assert!(text.contains(from), "margin.toml has {from}");
            text = text.replace(from, to);
        }
        std::fs::write(&path, text).expect("write margin.toml");
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run margin")
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "margin {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Runs and expects failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "margin {args:?} should have failed; stdout:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).expect("utf-8 stderr")
    }

    /// Runs with `input` on standard input; returns the output.
    pub fn run_with_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child.stdin.take().expect("stdin").write_all(input).expect("write stdin");
        child.wait_with_output().expect("wait")
    }

    /// Creates project `name` with the given labels; returns its directory as a string.
    pub fn project(&self, name: &str, labels: &str) -> String {
        self.ok(&["init", name, "--labels", labels]);
        self.join(name).to_str().expect("utf-8 path").to_string()
    }

    /// Runs `margin ARGS` (an init) and returns the directory `name` it created.
    pub fn project_with(&self, args: &[&str], name: &str) -> String {
        self.ok(args);
        self.join(name).to_str().expect("utf-8 path").to_string()
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let path = self.join(name);
        std::fs::write(&path, contents).expect("write file");
        path.to_str().expect("utf-8 path").to_string()
    }
}

/// A retrain `margin queue next` started in the background may still be running when a test ends: wait
/// for it (up to two minutes) before the directory goes, so it never writes into a half-deleted project.
impl Drop for Sandbox {
    fn drop(&mut self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        let running = |dir: &Path| {
            std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .any(|entry| entry.path().join("models").join("retrain.lock").exists())
        };
        while running(self.path()) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}
