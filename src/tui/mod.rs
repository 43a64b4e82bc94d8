//! margin's screens: [`annotate`] and [`triage`] side by side, each with pure `update` and `view`, and
//! [`widgets`] they share. This module owns the terminal and the loop between a screen's update and view: keys and resizes from the
//! terminal, replies from the workers, SIGTERM and SIGHUP. It never touches the store or the model: the
//! effects go to whoever `run` is given (the workers, wired by the CLI).
//!
//! The terminal is given back on every way out: a normal quit, an error, a panic (the panic hook in
//! main.rs), SIGTERM and SIGHUP (a dropped SSH connection).

pub mod action;
pub mod annotate;
pub mod inbox;
pub mod keymap;
pub mod markdown;
pub mod review;
pub mod spans;
pub mod stats;
pub mod text;
pub mod triage;
pub mod widgets;

use std::io::{IsTerminal, Stdout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::{cursor, execute, terminal};
use ratatui::backend::CrosstermBackend;

use inbox::Inbox;
use keymap::Key;

/// How long the loop waits for a key before looking at the workers' replies again.
const POLL: Duration = Duration::from_millis(25);

#[derive(Debug, thiserror::Error)]
pub enum ScreenError {
    #[error("margin's screen needs a terminal; run it in one (for scripts: `margin queue next` and `margin decide`)")]
    NotATerminal,
    #[error("the terminal: {0}")]
    Io(#[from] std::io::Error),
}

/// Raw mode and the alternate screen, for as long as this lives.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> Result<TerminalGuard, ScreenError> {
        terminal::enable_raw_mode()?;
        let guard = TerminalGuard;
        execute!(std::io::stdout(), terminal::EnterAlternateScreen, cursor::Hide)?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Gives the terminal back: leaves the alternate screen, shows the cursor, ends raw mode. Safe to call
/// more than once, and from the panic hook.
pub fn restore() {
    let _ = execute!(std::io::stdout(), terminal::LeaveAlternateScreen, cursor::Show);
    let _ = terminal::disable_raw_mode();
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// A screen the loop can run: pure `update` and `render` over its own messages and effects.
pub trait Screen {
    type Msg;
    type Effect;
    /// The terminal is ready: its size and the clock; returns the first effects.
    fn start(&mut self, size: (u16, u16), now_ms: i64) -> Vec<Self::Effect>;
    fn update(&mut self, msg: Self::Msg) -> Vec<Self::Effect>;
    fn render(&self, frame: &mut ratatui::Frame);
    /// The person has left; the loop ends once the effects asked for so far are handed over.
    fn quitting(&self) -> bool;
    fn key(key: Key) -> Self::Msg;
    fn resize(width: u16, height: u16) -> Self::Msg;
    fn tick(now_ms: i64) -> Self::Msg;
    /// SIGTERM, SIGHUP or a terminal that went away.
    fn terminate() -> Self::Msg;
}

/// The four messages every screen's `Msg` has for what the terminal tells it (`Key`, `Resize`, `Tick`,
/// `Terminate`), as a [`Screen`] impl's constructors.
macro_rules! terminal_messages {
    ($msg:ident) => {
        fn key(key: $crate::tui::keymap::Key) -> $msg {
            $msg::Key(key)
        }
        fn resize(width: u16, height: u16) -> $msg {
            $msg::Resize(width, height)
        }
        fn tick(now_ms: i64) -> $msg {
            $msg::Tick(now_ms)
        }
        fn terminate() -> $msg {
            $msg::Terminate
        }
    };
}
pub(crate) use terminal_messages;

/// The effects of a quit: the first one tells the worker to stop (`quit`), any later one nothing.
pub fn quit_once<E>(quitting: &mut bool, quit: E) -> Vec<E> {
    if std::mem::replace(quitting, true) { Vec::new() } else { vec![quit] }
}

/// Runs a screen until the person quits (or a signal ends it). `dispatch` carries out effects;
/// `replies` brings the workers' answers. Returns the final state.
pub fn run<S: Screen>(
    mut app: S,
    dispatch: &mut dyn FnMut(S::Effect),
    replies: &Inbox<S::Msg>,
) -> Result<S, ScreenError> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(ScreenError::NotATerminal);
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let guard = TerminalGuard::enter()?;
    let mut terminal: ratatui::Terminal<CrosstermBackend<Stdout>> =
        ratatui::Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    let size = terminal.size()?;
    let mut pending: Vec<S::Effect> = app.start((size.width, size.height), now_ms());
    let mut dirty = true;
    let mut last_draw = Instant::now();
    loop {
        for effect in pending.drain(..) {
            dispatch(effect);
        }
        if app.quitting() {
            break;
        }
        if dirty || last_draw.elapsed() >= Duration::from_secs(1) {
            // A terminal that went away (SIGHUP) cannot be drawn on: leave as if told to.
            if terminal.draw(|frame| app.render(frame)).is_err() {
                pending.extend(app.update(S::terminate()));
                continue;
            }
            dirty = false;
            last_draw = Instant::now();
        }
        // Wait for the terminal ourselves: a terminal that hung up (a dropped SSH connection, a closed
        // window) must end the screen even if no signal arrives, and crossterm's own poll spins on it.
        if wait_for_terminal(replies.wake_fd(), POLL) == TerminalState::HungUp {
            pending.extend(app.update(S::terminate()));
            continue;
        }
        // A signal may interrupt reading (EINTR): that is no error, the flag below handles the signal.
        while let Some(event) = next_event()? {
            let msg = match event {
                Event::Key(key) => to_key(key).map(S::key),
                Event::Resize(w, h) => Some(S::resize(w, h)),
                _ => None,
            };
            if let Some(msg) = msg {
                pending.extend(app.update(S::tick(now_ms())));
                pending.extend(app.update(msg));
                dirty = true;
            }
        }
        for msg in replies.drain() {
            pending.extend(app.update(S::tick(now_ms())));
            pending.extend(app.update(msg));
            dirty = true;
        }
        if stop.load(Ordering::Relaxed) {
            pending.extend(app.update(S::terminate()));
        }
        if !dirty {
            pending.extend(app.update(S::tick(now_ms())));
        }
    }
    give_back(terminal);
    drop(guard);
    Ok(app)
}

/// Drops ratatui's terminal without its own clean-up where that would kill the process: its `Drop` shows
/// the cursor and, if that fails (a terminal that hung up), reports it with `eprintln!`, which panics when
/// stderr is that same dead terminal. The panic would end the process before the workers finish (reserved
/// items not given back). `TerminalGuard` shows the cursor again anyway.
fn give_back(mut terminal: ratatui::Terminal<CrosstermBackend<Stdout>>) {
    if terminal.show_cursor().is_err() {
        // Only the screen's buffers are left unfreed, once, as the screen closes.
        std::mem::forget(terminal);
    }
}

/// The next terminal event already waiting, if any; an interrupted read counts as none.
fn next_event() -> std::io::Result<Option<Event>> {
    let interrupted = |e: &std::io::Error| e.kind() == std::io::ErrorKind::Interrupted;
    match crossterm::event::poll(Duration::ZERO) {
        Ok(true) => match crossterm::event::read() {
            Ok(event) => Ok(Some(event)),
            Err(e) if interrupted(&e) => Ok(None),
            Err(e) => Err(e),
        },
        Ok(false) => Ok(None),
        Err(e) if interrupted(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TerminalState {
    Quiet,
    Input,
    HungUp,
}

/// Waits up to `timeout` for input on the terminal (standard input) or a wake-up from the workers.
fn wait_for_terminal(wake: std::os::fd::RawFd, timeout: Duration) -> TerminalState {
    let mut fds = [
        libc::pollfd { fd: 0, events: libc::POLLIN, revents: 0 },
        libc::pollfd { fd: wake, events: libc::POLLIN, revents: 0 },
    ];
    let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: two valid pollfds, for the duration of the call.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
    if n > 0 && fds[0].revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
        TerminalState::HungUp
    } else if n > 0 {
        TerminalState::Input
    } else {
        TerminalState::Quiet
    }
}

/// A terminal key as the screen's `Key` (key presses only).
fn to_key(event: KeyEvent) -> Option<Key> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
    let shift = event.modifiers.contains(KeyModifiers::SHIFT);
    Some(match event.code {
        KeyCode::Left if shift => Key::ShiftLeft,
        KeyCode::Right if shift => Key::ShiftRight,
        KeyCode::Char(c) if ctrl => Key::Ctrl(c.to_ascii_lowercase()),
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => Key::BackTab,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::F(n) => Key::F(n),
        _ => return None,
    })
}
