//! The terminal guard: raw mode, alternate screen and mouse capture on the way in, all undone
//! on drop, on error and on panic (the hook restores the screen before the panic message
//! prints). Suspending for `$EDITOR` leaves and re-enters the same way.

use std::io::{self, Stdout, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use botui::train::trainer::TRAINER_THREAD;
use crossbeam_channel::Sender;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::{cursor, event, execute, terminal};

use super::app::Msg;
use super::stderr;

/// Whether the workbench has the terminal in raw mode and on the alternate screen.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Panics on helper threads while the workbench runs, for the log pane.
static THREAD_PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

pub type Backend = CrosstermBackend<Stdout>;

pub struct TerminalGuard {
    pub terminal: Terminal<Backend>,
    mouse: bool,
    /// Where captured stderr lines go (the log pane).
    stderr_to: Option<Sender<Msg>>,
}

fn enter(mouse: bool, stderr_to: Option<&Sender<Msg>>) -> io::Result<()> {
    if let Some(tx) = stderr_to {
        stderr::capture(tx.clone())?;
    }
    terminal::enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let mut out = io::stdout();
    execute!(out, terminal::EnterAlternateScreen, cursor::Hide)?;
    if mouse {
        execute!(out, event::EnableMouseCapture)?;
    }
    Ok(())
}

/// Puts the terminal back as the shell had it. Safe to call more than once and from the
/// panic hook; errors are ignored (there is nothing better to do with them there).
pub fn restore() {
    stderr::restore();
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    let _ = execute!(
        out,
        event::DisableMouseCapture,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

impl TerminalGuard {
    /// Takes the terminal; with `stderr_to`, stderr's lines go there until it is restored.
    pub fn enter(mouse: bool, stderr_to: Option<Sender<Msg>>) -> io::Result<Self> {
        install_panic_hook();
        enter(mouse, stderr_to.as_ref()).inspect_err(|_| restore())?;
        let terminal =
            Terminal::new(CrosstermBackend::new(io::stdout())).inspect_err(|_| restore())?;
        Ok(Self {
            terminal,
            mouse,
            stderr_to,
        })
    }

    /// Hands the terminal to another program (the editor).
    pub fn suspend(&mut self) -> io::Result<()> {
        restore();
        Ok(())
    }

    /// Takes the terminal back after [`Self::suspend`] and redraws everything.
    pub fn resume(&mut self) -> io::Result<()> {
        enter(self.mouse, self.stderr_to.as_ref())?;
        self.terminal.clear()
    }

    /// Turns mouse capture on or off (`[ui] mouse`).
    pub fn set_mouse(&mut self, on: bool) -> io::Result<()> {
        if on != self.mouse {
            self.mouse = on;
            if on {
                execute!(io::stdout(), event::EnableMouseCapture)?;
            } else {
                execute!(io::stdout(), event::DisableMouseCapture)?;
            }
        }
        Ok(())
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Panics on helper threads since the last call (trainer panics excepted: the trainer
/// reports those itself as a failed run).
pub fn take_thread_panics() -> Vec<String> {
    THREAD_PANICS
        .lock()
        .map(|mut p| std::mem::take(&mut *p))
        .unwrap_or_default()
}

fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("<unnamed>");
        if ACTIVE.load(Ordering::SeqCst) && name != "main" {
            // The screen belongs to the workbench: printing would scribble over it. The
            // trainer catches its own panics and sends `Failed` with the message; other
            // helpers' panics go to the log pane.
            if name != TRAINER_THREAD
                && let Ok(mut p) = THREAD_PANICS.lock()
            {
                p.push(format!("thread '{name}' panicked: {info}"));
            }
            return;
        }
        restore();
        previous(info);
    }));
}
