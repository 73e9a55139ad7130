//! Evaluating a past run from the Runs tab, on demand: the library's [`evaluate`] on the run's
//! own validation data (its best checkpoint, device and batch size, as `botui eval RUN` does) in
//! a background thread, which reports progress and the result as [`EvalEvent`]s; the popup's
//! state is [`EvalView`], updated by a pure reducer. Closing the popup drops the job, which
//! cancels it between batches.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use botui::eval::{EvalOptions, EvalReport, evaluate, open, run_device};
use crossbeam_channel::{Receiver, Sender, unbounded};

/// What the evaluation thread reports.
#[derive(Debug, Clone, PartialEq)]
pub enum EvalEvent {
    Progress { done: usize, total: usize },
    Finished(Box<EvalReport>),
    Failed(String),
}

/// The eval popup: progress while the job runs, then the report or the error.
#[derive(Debug, Clone, PartialEq)]
pub enum EvalView {
    Running {
        run: String,
        done: usize,
        total: usize,
    },
    Report {
        run: String,
        report: Box<EvalReport>,
    },
    Failed {
        run: String,
        error: String,
    },
}

impl EvalView {
    pub fn start(run: impl Into<String>) -> Self {
        EvalView::Running {
            run: run.into(),
            done: 0,
            total: 0,
        }
    }

    pub fn run(&self) -> &str {
        match self {
            EvalView::Running { run, .. }
            | EvalView::Report { run, .. }
            | EvalView::Failed { run, .. } => run,
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self, EvalView::Running { .. })
    }

    /// Applies one event; a finished view ignores late progress.
    pub fn apply(&mut self, event: EvalEvent) {
        let run = self.run().to_string();
        *self = match (std::mem::replace(self, EvalView::start("")), event) {
            (EvalView::Running { .. }, EvalEvent::Progress { done, total }) => {
                EvalView::Running { run, done, total }
            }
            (EvalView::Running { .. }, EvalEvent::Finished(report)) => {
                EvalView::Report { run, report }
            }
            (EvalView::Running { .. }, EvalEvent::Failed(error)) => EvalView::Failed { run, error },
            (finished, _) => finished,
        };
    }
}

/// A running evaluation. Dropping it cancels the thread (it stops after the batch in hand).
pub struct EvalJob {
    pub events: Receiver<EvalEvent>,
    cancel: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EvalJob {
    /// Starts evaluating the run in `run_dir` on its own validation data.
    pub fn spawn(run_dir: PathBuf) -> Self {
        let (tx, rx) = unbounded();
        let cancel = Arc::new(AtomicBool::new(false));
        let stop = cancel.clone();
        let thread = std::thread::Builder::new()
            .name("botui-eval".into())
            // Deep modules recurse through derived Module code (as in the trainer thread).
            .stack_size(64 << 20)
            .spawn(move || {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run_job(&run_dir, &tx, &stop)
                }));
                let event = match result {
                    Ok(Ok(report)) => EvalEvent::Finished(Box::new(report)),
                    Ok(Err(e)) => EvalEvent::Failed(e),
                    Err(_) => EvalEvent::Failed("the evaluation crashed".into()),
                };
                let _ = tx.send(event);
            })
            .expect("spawning the eval thread");
        EvalJob {
            events: rx,
            cancel,
            thread: Some(thread),
        }
    }
}

impl Drop for EvalJob {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        // The thread notices between batches; it is not joined, so closing never waits.
        drop(self.thread.take());
    }
}

fn run_job(
    run_dir: &std::path::Path,
    tx: &Sender<EvalEvent>,
    stop: &AtomicBool,
) -> Result<EvalReport, String> {
    let device = run_device(run_dir).resolve().map_err(|e| e.to_string())?;
    let loaded = open(run_dir, &device, false).map_err(|e| e.to_string())?;
    let mut progress = |done: usize, total: usize| {
        let _ = tx.send(EvalEvent::Progress { done, total });
        if stop.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    evaluate(&loaded, &EvalOptions::default(), &device, &mut progress).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_then_report_then_nothing() {
        let mut view = EvalView::start("run-a");
        view.apply(EvalEvent::Progress {
            done: 16,
            total: 32,
        });
        assert_eq!(
            view,
            EvalView::Running {
                run: "run-a".into(),
                done: 16,
                total: 32
            }
        );
        view.apply(EvalEvent::Failed("data builtin: gone".into()));
        assert_eq!(
            view,
            EvalView::Failed {
                run: "run-a".into(),
                error: "data builtin: gone".into()
            }
        );
        // A late event from the thread does not reopen a finished view.
        view.apply(EvalEvent::Progress {
            done: 32,
            total: 32,
        });
        assert!(!view.is_running());
        assert_eq!(view.run(), "run-a");
    }

    #[test]
    fn a_folder_without_a_run_fails_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let job = EvalJob::spawn(dir.path().to_path_buf());
        let mut view = EvalView::start("empty");
        while view.is_running() {
            let event = job.events.recv().unwrap();
            view.apply(event);
        }
        match view {
            EvalView::Failed { error, .. } => {
                assert!(error.contains("not a botui run folder"), "{error}")
            }
            other => panic!("{other:?}"),
        }
    }
}
