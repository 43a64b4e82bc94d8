//! The real binary in a real terminal: a pseudo-terminal of a fixed size, whose output is read into a
//! vt100 screen, and keys written to it as a person would type them.

use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Pty {
    pub child: Child,
    /// The terminal's master side, for writing; the reader thread holds the other descriptor of it.
    writer: Option<std::fs::File>,
    /// Tells the reader thread to close its descriptor (with `writer` gone, the terminal hangs up).
    closing: Arc<AtomicBool>,
    screen: Arc<Mutex<vt100::Parser>>,
}

impl Drop for Pty {
    /// A test that fails half way leaves no process behind.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Pty {
    /// Starts `command` in a new pseudo-terminal of `cols` x `rows`.
    pub fn spawn(command: Command, cols: u16, rows: u16) -> Pty {
        let (child, master) = start_in_terminal(command, cols, rows);
        let writer = std::fs::File::from(master.try_clone().expect("dup"));
        let screen = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let closing = Arc::new(AtomicBool::new(false));
        let (sink, stop) = (Arc::clone(&screen), Arc::clone(&closing));
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // Short waits, so that a hang-up request is seen; ends with EIO once the child has exited.
            while !stop.load(Ordering::Relaxed) {
                let mut fd = libc::pollfd { fd: master.as_raw_fd(), events: libc::POLLIN, revents: 0 };
                // SAFETY: one valid pollfd for the duration of the call.
                if unsafe { libc::poll(&mut fd, 1, 20) } <= 0 {
                    continue;
                }
                // SAFETY: reading into a buffer we own from a descriptor we own.
                let n = unsafe { libc::read(master.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
                if n <= 0 {
                    break;
                }
                sink.lock().expect("screen").process(&buf[..n as usize]);
            }
        });
        Pty { child, writer: Some(writer), closing, screen }
    }

    /// The screen as text.
    pub fn contents(&self) -> String {
        self.screen.lock().expect("screen").screen().contents()
    }

    /// The screen with its colours and attributes (a moved cursor shows here, not in [`Pty::contents`]).
    pub fn contents_formatted(&self) -> Vec<u8> {
        self.screen.lock().expect("screen").screen().contents_formatted()
    }

    /// Whether the terminal was given back: the main screen, the cursor shown.
    pub fn restored(&self) -> bool {
        let parser = self.screen.lock().expect("screen");
        !parser.screen().alternate_screen() && !parser.screen().hide_cursor()
    }

    /// Types `keys` (bytes as a terminal sends them: "\r" is Enter, "\x1b" Esc, "\x7f" Backspace).
    pub fn send(&mut self, keys: &str) {
        let writer = self.writer.as_mut().expect("the terminal is open");
        writer.write_all(keys.as_bytes()).expect("write to the terminal");
        writer.flush().expect("flush");
    }

    /// Closes the terminal under the program, as a dropped SSH connection does.
    pub fn hang_up(&mut self) {
        self.writer.take();
        self.closing.store(true, Ordering::Relaxed);
    }

    /// Waits until the screen satisfies `ready` (30 s at most: a bound on a hang, not a speed target).
    pub fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.contents();
            if ready(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "waited 30 s for {what}; the screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(15));
        }
    }

    /// Waits for the process to end (30 s at most).
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "margin did not exit; the screen:\n{}", self.contents());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Runs `command` to its end in a new pseudo-terminal of `cols` x `rows` (its standard input, output and
/// error all the terminal) and returns its exit status and every byte it wrote to the terminal, raw.
pub fn run_raw(command: Command, cols: u16, rows: u16) -> (std::process::ExitStatus, Vec<u8>) {
    let (mut child, master) = start_in_terminal(command, cols, rows);
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut fd = libc::pollfd { fd: master.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd for the duration of the call.
        let ready = unsafe { libc::poll(&mut fd, 1, 50) };
        if ready > 0 {
            // SAFETY: reading into a buffer we own from a descriptor we own.
            let n = unsafe { libc::read(master.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                break; // EIO: the last holder of the terminal's other side has gone
            }
            out.extend_from_slice(&buf[..n as usize]);
        } else if matches!(child.try_wait(), Ok(Some(_))) && ready == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "still running after 60 s: {}", String::from_utf8_lossy(&out));
    }
    let status = child.wait().expect("wait");
    (status, out)
}

/// Starts `command` in a new pseudo-terminal of `cols` x `rows` as its controlling terminal (standard input,
/// output and error all the terminal), and returns it with the terminal's master side.
fn start_in_terminal(mut command: Command, cols: u16, rows: u16) -> (Child, OwnedFd) {
    let mut master = -1;
    let mut slave = -1;
    let size = libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: openpty writes two descriptors into the integers given; the rest are optional pointers.
    let rc = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &size) };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // The program must not inherit the master side, or closing ours would not hang the terminal up.
    // SAFETY: setting a flag on a descriptor we just opened.
    unsafe { libc::fcntl(master, libc::F_SETFD, libc::FD_CLOEXEC) };
    // SAFETY: both descriptors were just opened by openpty and are owned here.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let io = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("dup"));
    command.stdin(io(&slave)).stdout(io(&slave)).stderr(io(&slave)).env("TERM", "xterm-256color");
    // SAFETY: only async-signal-safe calls between fork and exec: a new session with the terminal as
    // its controlling terminal, as a login shell would have.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = command.spawn().expect("spawn margin in a terminal");
    drop(slave);
    (child, master)
}
