//! The trainer: one run in a background thread. It talks only through typed channels, events
//! out and commands in; sending an event never blocks (a slow or gone receiver cannot stall
//! training), and a closed command channel stops the run cleanly.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, unbounded};

use super::events::{LogLevel, TrainCommand, TrainEvent};
pub use super::request::{RunRequest, SourceFactory};
use super::session::Session;

/// The front end's side of a running trainer.
pub struct TrainerHandle {
    pub events: Receiver<TrainEvent>,
    commands: Sender<TrainCommand>,
    thread: Option<JoinHandle<()>>,
    /// A thread that lives alongside the trainer's (the supervisor of a data-parallel run's
    /// other ranks); the run is finished when both are.
    companion: Option<JoinHandle<()>>,
}

/// How the trainer thread ended, for a companion thread: running, finished, failed.
#[derive(Debug, Clone, Default)]
pub struct Outcome(Arc<AtomicU8>);

impl Outcome {
    const RUNNING: u8 = 0;
    const FINISHED: u8 = 1;
    const FAILED: u8 = 2;

    /// `None` while the trainer runs, then whether it ended without an error.
    pub fn ended(&self) -> Option<bool> {
        match self.0.load(Ordering::SeqCst) {
            Self::RUNNING => None,
            state => Some(state == Self::FINISHED),
        }
    }

    #[cfg(test)]
    pub(crate) fn set_for_tests(&self, ok: bool) {
        self.set(ok);
    }

    fn set(&self, ok: bool) {
        let state = if ok { Self::FINISHED } else { Self::FAILED };
        self.0.store(state, Ordering::SeqCst);
    }
}

/// The trainer thread's name; panic hooks use it to tell a trainer panic (reported as
/// [`TrainEvent::Failed`]) from a front-end panic.
pub const TRAINER_THREAD: &str = "botui-trainer";

impl TrainerHandle {
    /// Sends a command; a finished trainer ignores it.
    pub fn send(&self, command: TrainCommand) {
        let _ = self.commands.send(command);
    }

    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
            && self.companion.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Waits for the thread (and its companion) to end.
    pub fn join(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Some(thread) = self.companion.take() {
            let _ = thread.join();
        }
    }
}

/// Starts a run in a background thread.
pub fn spawn(request: RunRequest, open_source: SourceFactory) -> TrainerHandle {
    spawn_with(request, open_source, |_, _| None)
}

/// [`spawn`], with a companion thread that `companion` starts: it may send events of its own
/// into the run's stream and sees how the trainer ended.
pub fn spawn_with(
    request: RunRequest,
    open_source: SourceFactory,
    companion: impl FnOnce(Sender<TrainEvent>, Outcome) -> Option<JoinHandle<()>>,
) -> TrainerHandle {
    let (event_tx, event_rx) = unbounded();
    let (command_tx, command_rx) = unbounded();
    let outcome = Outcome::default();
    let companion = companion(event_tx.clone(), outcome.clone());
    let thread = std::thread::Builder::new()
        .name(TRAINER_THREAD.into())
        // Deep modules (ResNet-152, Inception) recurse through derived Module code; unoptimized
        // builds need more than the default 2 MiB.
        .stack_size(64 << 20)
        .spawn(move || outcome.set(run_guarded(request, open_source, event_tx, command_rx)))
        .expect("spawning the trainer thread");
    TrainerHandle {
        events: event_rx,
        commands: command_tx,
        thread: Some(thread),
        companion,
    }
}

/// Runs the session, turning errors and panics (LibTorch reports out-of-memory by panicking)
/// into a [`TrainEvent::Failed`].
fn run_guarded(
    request: RunRequest,
    open_source: SourceFactory,
    events: Sender<TrainEvent>,
    commands: Receiver<TrainCommand>,
) -> bool {
    let tx = events.clone();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        Session::run(request, open_source, events, commands)
    }));
    let error = match result {
        Ok(Ok(())) => return true,
        Ok(Err(e)) => e.to_string(),
        Err(panic) => explain_panic(panic),
    };
    let _ = tx.send(TrainEvent::Log {
        level: LogLevel::Error,
        message: error.clone(),
    });
    let _ = tx.send(TrainEvent::Failed { error });
    false
}

fn explain_panic(panic: Box<dyn std::any::Any + Send>) -> String {
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into());
    let lower = message.to_ascii_lowercase();
    if lower.contains("out of memory") || lower.contains("cannot allocate") {
        format!(
            "the device ran out of memory ({}); try a smaller batch_size or input size",
            message.lines().next().unwrap_or_default()
        )
    } else {
        format!("the trainer crashed: {message}")
    }
}
