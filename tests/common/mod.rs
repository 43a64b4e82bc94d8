//! Running the real `margin` binary in a sandbox: its own temporary working directory and XDG
//! directories, so tests never touch the user's data and never see each other's.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub mod pty;
pub mod tally;

pub const MARGIN: &str = env!("CARGO_BIN_EXE_margin");

// Real accounts of every Debian system (base-passwd) that stand for the people of the tests: margin knows
// a person by the real user id, so a test plays a person by running as that account (`command_as`).
pub const ALICE: &str = "daemon";
pub const BOB: &str = "bin";
pub const CAROL: &str = "sys";
pub const DAVE: &str = "games";
pub const ERIN: &str = "man";

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
            // Set to someone else on purpose: margin must go by the real user id, never by $USER.
            .env("USER", "nobody-by-env")
            .env("LOGNAME", "nobody-by-env")
            .env_remove("MARGIN_PROJECT")
            .env_remove("ORT_DYLIB_PATH")
            .stdin(Stdio::null());
        command
    }

    /// Sets settings in a project's margin.toml by their dotted path (`sampling.batch_size`) to typed
    /// values. Each must be in the file already: a setting renamed in margin's template fails here instead
    /// of leaving a test silently on its defaults.
    pub fn set(&self, project: &str, settings: &[(&str, toml::Value)]) {
        let path = format!("{project}/margin.toml");
        let text = std::fs::read_to_string(&path).expect("margin.toml");
        std::fs::write(&path, with_settings(&text, settings)).expect("write margin.toml");
    }

    /// `margin ARGS` run as the OS account `account` (a real entry of /etc/passwd, such as `daemon` or
    /// `bin`): in a user namespace whose only user is that account's uid, mapped onto ours, so margin's
    /// getuid() names that account while the sandbox's files stay ours to read and write. Root is not
    /// needed, only unprivileged user namespaces, which Linux allows by default.
    pub fn command_as(&self, account: &str, args: &[&str]) -> Command {
        use std::os::unix::process::CommandExt;
        let (uid, gid) = account_ids(account);
        // SAFETY: getuid and getgid cannot fail.
        let (outer_uid, outer_gid) = unsafe { (libc::getuid(), libc::getgid()) };
        let uid_map = format!("{uid} {outer_uid} 1\n");
        let gid_map = format!("{gid} {outer_gid} 1\n");
        let mut command = self.command(args);
        // SAFETY: between fork and exec only async-signal-safe calls (unshare, open, write, close) on
        // buffers prepared before the fork.
        unsafe {
            command.pre_exec(move || {
                if libc::unshare(libc::CLONE_NEWUSER) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                write_proc(c"/proc/self/setgroups", b"deny")?;
                write_proc(c"/proc/self/uid_map", uid_map.as_bytes())?;
                write_proc(c"/proc/self/gid_map", gid_map.as_bytes())?;
                Ok(())
            });
        }
        command
    }

    /// Runs `margin ARGS` as `account` (see [`Sandbox::command_as`]).
    pub fn run_as(&self, account: &str, args: &[&str]) -> Output {
        self.command_as(account, args).output().expect("run margin")
    }

    /// Runs as `account` and expects success; returns stdout.
    pub fn ok_as(&self, account: &str, args: &[&str]) -> String {
        let out = self.run_as(account, args);
        assert!(out.status.success(), "margin {args:?} as {account} failed:\n{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Lets the account the tests run as name the person at the keyboard with `--annotator`: appends a
    /// `[roles]` table that makes everyone an admin and this account shared.
    pub fn share_account(&self, project: &str) {
        let path = format!("{project}/margin.toml");
        let text = std::fs::read_to_string(&path).expect("margin.toml");
        let roles = format!("\n[roles]\nadmin = [\"*\"]\nshared_accounts = [\"{}\"]\n", me());
        std::fs::write(&path, text + &roles).expect("write margin.toml");
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

/// The account the tests run as (root in CI), as margin names it.
pub fn me() -> String {
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    account_of(|fields| fields[2] == uid.to_string()).map_or_else(|| format!("uid-{uid}"), |f| f[0].clone())
}

/// How the tests record a person named with `--annotator` on the tests' own (shared) account.
pub fn shared(name: &str) -> String {
    format!("{}:{name}", me())
}

/// The uid and gid of `account` in /etc/passwd.
fn account_ids(account: &str) -> (u32, u32) {
    let fields = account_of(|f| f[0] == account).unwrap_or_else(|| panic!("no account {account} in /etc/passwd"));
    (fields[2].parse().expect("uid"), fields[3].parse().expect("gid"))
}

fn account_of(matches: impl Fn(&[String]) -> bool) -> Option<Vec<String>> {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    passwd
        .lines()
        .map(|line| line.split(':').map(str::to_string).collect::<Vec<_>>())
        .find(|fields| fields.len() >= 4 && matches(fields))
}

fn write_proc(path: &std::ffi::CStr, contents: &[u8]) -> std::io::Result<()> {
    // SAFETY: a valid NUL-terminated path; the buffer outlives the write; the descriptor is closed here.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let written = libc::write(fd, contents.as_ptr().cast(), contents.len());
        libc::close(fd);
        if written != contents.len() as isize {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
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

/// `text` (a margin.toml) with settings set by dotted path to typed values; see [`Sandbox::set`].
pub fn with_settings(text: &str, settings: &[(&str, toml::Value)]) -> String {
    let mut doc: toml::Table = toml::from_str(text).expect("margin.toml parses");
    for (key, value) in settings {
        let (tables, name) = key.rsplit_once('.').map_or((None, *key), |(t, n)| (Some(t), n));
        let mut table = &mut doc;
        for part in tables.into_iter().flat_map(|t| t.split('.')) {
            table = table.get_mut(part).and_then(toml::Value::as_table_mut).unwrap_or_else(|| panic!("no [{part}]"));
        }
        let slot = table.get_mut(name).unwrap_or_else(|| panic!("margin.toml has no {key}"));
        assert_eq!(slot.type_str(), value.type_str(), "{key} is a {}", slot.type_str());
        *slot = value.clone();
    }
    toml::to_string(&doc).expect("margin.toml as TOML")
}
