//! The input thread: reads the terminal's keys, mouse and resizes and sends them on a
//! channel, so the main loop never blocks on the terminal and answers a key at once even
//! while training keeps every core busy. It can be parked while `$EDITOR` owns the terminal.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, unbounded};
use ratatui::crossterm::event::{
    self, Event, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};

use super::app::{MouseMsg, Msg};
use botui::config::{KeyChord, KeyCode, Modifiers};

/// How long a read waits before the thread checks whether it should park or stop.
const POLL: Duration = Duration::from_millis(25);

pub struct InputThread {
    events: Receiver<Msg>,
    park: Arc<AtomicBool>,
    parked: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// The chord of a crossterm key, or `None` for keys the workbench has no use for.
pub fn chord(key: &KeyEvent) -> Option<KeyChord> {
    use event::KeyCode as K;
    let code = match key.code {
        K::Char(c) => KeyCode::Char(c),
        K::F(n) => KeyCode::F(n),
        K::Enter => KeyCode::Enter,
        K::Esc => KeyCode::Esc,
        K::Tab => KeyCode::Tab,
        K::BackTab => KeyCode::BackTab,
        K::Backspace => KeyCode::Backspace,
        K::Delete => KeyCode::Delete,
        K::Home => KeyCode::Home,
        K::End => KeyCode::End,
        K::PageUp => KeyCode::PageUp,
        K::PageDown => KeyCode::PageDown,
        K::Up => KeyCode::Up,
        K::Down => KeyCode::Down,
        K::Left => KeyCode::Left,
        K::Right => KeyCode::Right,
        _ => return None,
    };
    let m = key.modifiers;
    let mods = Modifiers {
        ctrl: m.contains(KeyModifiers::CONTROL),
        alt: m.contains(KeyModifiers::ALT),
        shift: m.contains(KeyModifiers::SHIFT) && code != KeyCode::BackTab,
    };
    Some(KeyChord::new(code, mods))
}

fn translate(ev: Event) -> Option<Msg> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => chord(&k).map(Msg::Key),
        Event::Mouse(m) => {
            let (column, row) = (m.column, m.row);
            match m.kind {
                MouseEventKind::Down(MouseButton::Left) => {
                    Some(Msg::Mouse(MouseMsg::Click { column, row }))
                }
                MouseEventKind::ScrollUp => Some(Msg::Mouse(MouseMsg::ScrollUp { column, row })),
                MouseEventKind::ScrollDown => {
                    Some(Msg::Mouse(MouseMsg::ScrollDown { column, row }))
                }
                _ => None,
            }
        }
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

fn run(tx: Sender<Msg>, park: Arc<AtomicBool>, parked: Arc<AtomicBool>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::SeqCst) {
        if park.load(Ordering::SeqCst) {
            parked.store(true, Ordering::SeqCst);
            std::thread::sleep(POLL);
            continue;
        }
        parked.store(false, Ordering::SeqCst);
        match event::poll(POLL) {
            Ok(true) => match event::read() {
                Ok(ev) => {
                    if let Some(msg) = translate(ev)
                        && tx.send(msg).is_err()
                    {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Msg::Problem(format!("reading the terminal: {e}")));
                    return;
                }
            },
            Ok(false) => {}
            Err(e) => {
                let _ = tx.send(Msg::Problem(format!("reading the terminal: {e}")));
                return;
            }
        }
    }
}

impl InputThread {
    pub fn spawn() -> std::io::Result<Self> {
        let (tx, rx) = unbounded();
        let park = Arc::new(AtomicBool::new(false));
        let parked = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, pd, s) = (park.clone(), parked.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("botui-input".into())
            .spawn(move || run(tx, p, pd, s))?;
        Ok(Self {
            events: rx,
            park,
            parked,
            stop,
            thread: Some(thread),
        })
    }

    pub fn events(&self) -> &Receiver<Msg> {
        &self.events
    }

    /// Stops reading the terminal (before another program takes it); returns once the
    /// thread is parked, or after half a second.
    pub fn park(&self) {
        self.park.store(true, Ordering::SeqCst);
        let start = Instant::now();
        while !self.parked.load(Ordering::SeqCst) && start.elapsed() < Duration::from_millis(500) {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn unpark(&self) {
        self.parked.store(false, Ordering::SeqCst);
        self.park.store(false, Ordering::SeqCst);
    }
}

impl Drop for InputThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
