//! The screen's inbox: the workers' replies on a channel, plus a pipe that wakes the loop when one
//! arrives, so the loop can sleep on the terminal and the pipe together and show a saved decision the
//! moment it is saved (not at the end of its next wait).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use super::annotate::msg::Msg;

/// Where workers send replies (the annotation screen's `Msg` unless said otherwise); cheap to clone.
#[derive(Debug)]
pub struct Outbox<M = Msg> {
    tx: Sender<M>,
    wake: Arc<OwnedFd>,
}

impl<M> Clone for Outbox<M> {
    fn clone(&self) -> Self {
        Outbox { tx: self.tx.clone(), wake: Arc::clone(&self.wake) }
    }
}

/// Where the loop reads them.
#[derive(Debug)]
pub struct Inbox<M = Msg> {
    rx: Receiver<M>,
    wake: OwnedFd,
}

/// A connected outbox and inbox.
pub fn inbox<M>() -> std::io::Result<(Outbox<M>, Inbox<M>)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two new descriptors into the array; non-blocking so neither side ever waits.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are owned from here on.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let (tx, rx) = channel();
    Ok((Outbox { tx, wake: Arc::new(write) }, Inbox { rx, wake: read }))
}

impl<M> Outbox<M> {
    /// Sends a reply and wakes the loop; false once the screen has gone.
    pub fn send(&self, msg: M) -> bool {
        if self.tx.send(msg).is_err() {
            return false;
        }
        // A full pipe already means "wake up"; nothing is lost by a failed write.
        // SAFETY: writing one byte from a valid buffer to a descriptor we own.
        unsafe { libc::write(self.wake.as_raw_fd(), [1u8].as_ptr().cast(), 1) };
        true
    }
}

impl<M> Inbox<M> {
    /// The descriptor to wait on.
    pub fn wake_fd(&self) -> RawFd {
        self.wake.as_raw_fd()
    }

    /// Every reply waiting now (and clears the wake-ups).
    pub fn drain(&self) -> Vec<M> {
        let mut buf = [0u8; 256];
        // SAFETY: reading into a buffer we own from a non-blocking descriptor we own.
        while unsafe { libc::read(self.wake.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
        self.rx.try_iter().collect()
    }
}
