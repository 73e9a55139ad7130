//! While the workbench owns the screen, anything written to stderr (a library's warning,
//! LibTorch's C++ messages) would scribble over it. The process's stderr (fd 2) is pointed
//! at a pipe instead, and each line read from it goes to the log pane. [`restore`] points
//! fd 2 back at the terminal; the terminal guard calls it before anything else, so a panic
//! message prints where the user can read it.

use crossbeam_channel::Sender;

use super::app::Msg;

#[cfg(unix)]
mod imp {
    use std::io::{BufRead, BufReader};
    use std::os::fd::{FromRawFd, RawFd};
    use std::sync::atomic::{AtomicI32, Ordering};

    use crossbeam_channel::Sender;

    use crate::tui::app::Msg;

    /// A copy of the original fd 2 while it is redirected; -1 otherwise.
    static SAVED: AtomicI32 = AtomicI32::new(-1);
    /// The pipe's write end, now also fd 2.
    static WRITE_END: AtomicI32 = AtomicI32::new(-1);

    pub fn capture(tx: Sender<Msg>) -> std::io::Result<()> {
        if SAVED.load(Ordering::SeqCst) >= 0 {
            return Ok(());
        }
        let mut fds = [0 as RawFd; 2];
        // SAFETY: plain POSIX calls on descriptors this function owns; each result is checked.
        unsafe {
            if libc::pipe(fds.as_mut_ptr()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let saved = libc::dup(2);
            if saved < 0 {
                libc::close(fds[0]);
                libc::close(fds[1]);
                return Err(std::io::Error::last_os_error());
            }
            libc::fcntl(saved, libc::F_SETFD, libc::FD_CLOEXEC);
            libc::fcntl(fds[0], libc::F_SETFD, libc::FD_CLOEXEC);
            libc::fcntl(fds[1], libc::F_SETFD, libc::FD_CLOEXEC);
            if libc::dup2(fds[1], 2) < 0 {
                libc::close(saved);
                libc::close(fds[0]);
                libc::close(fds[1]);
                return Err(std::io::Error::last_os_error());
            }
            SAVED.store(saved, Ordering::SeqCst);
            WRITE_END.store(fds[1], Ordering::SeqCst);
        }
        // SAFETY: fds[0] is the pipe's read end, owned from here on by this File.
        let read_end = unsafe { std::fs::File::from_raw_fd(fds[0]) };
        std::thread::Builder::new()
            .name("botui-stderr".into())
            .spawn(move || {
                for line in BufReader::new(read_end).lines() {
                    let Ok(line) = line else { return };
                    if !line.trim().is_empty() && tx.send(Msg::Stderr(line)).is_err() {
                        return;
                    }
                }
            })?;
        Ok(())
    }

    pub fn restore() {
        let saved = SAVED.swap(-1, Ordering::SeqCst);
        if saved < 0 {
            return;
        }
        // SAFETY: `saved` is the copy of fd 2 made by `capture`; the write end was made there.
        unsafe {
            libc::dup2(saved, 2);
            libc::close(saved);
            let w = WRITE_END.swap(-1, Ordering::SeqCst);
            if w >= 0 {
                // Closing the last write end ends the reader thread.
                libc::close(w);
            }
        }
    }
}

#[cfg(not(unix))]
mod imp {
    use crossbeam_channel::Sender;

    use crate::tui::app::Msg;

    pub fn capture(_tx: Sender<Msg>) -> std::io::Result<()> {
        Ok(())
    }

    pub fn restore() {}
}

/// Sends stderr's lines to `tx` as [`Msg::Stderr`] until [`restore`].
pub fn capture(tx: Sender<Msg>) -> std::io::Result<()> {
    imp::capture(tx)
}

/// Points stderr back at where it pointed before [`capture`]. Safe to call more than once.
pub fn restore() {
    imp::restore()
}

#[cfg(all(test, unix))]
mod tests {
    use std::io::Write;
    use std::time::Duration;

    use super::*;

    #[test]
    fn stderr_lines_come_back_as_messages_until_restored() {
        let (tx, rx) = crossbeam_channel::unbounded();
        capture(tx).unwrap();
        // Not eprintln!: the test harness captures that before it reaches fd 2.
        let mut err = std::io::stderr();
        err.write_all(b"warning from a library\n\nsecond line\n")
            .unwrap();
        err.flush().unwrap();
        let first = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        let second = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        restore();
        assert_eq!(first, Msg::Stderr("warning from a library".into()));
        assert_eq!(
            second,
            Msg::Stderr("second line".into()),
            "blank lines are dropped"
        );
        // After restore the reader sees the pipe close and stops.
        assert!(matches!(
            rx.recv_timeout(Duration::from_secs(5)),
            Err(crossbeam_channel::RecvTimeoutError::Disconnected)
        ));
    }
}
