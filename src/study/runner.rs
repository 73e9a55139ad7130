//! Runs a study in a background thread: the teachers first, then every row and seed (seed by
//! seed, so that every row has a number early), each a normal run through the trainer
//! ([`crate::train::spawn`]) in its own folder. With several devices, one run per device at a
//! time. It talks through typed channels, like the trainer: [`StudyEvent`]s out, a
//! [`StudyCommand`] in.
//!
//! Resumable: a run already finished (its folder holds every epoch) is never run again; a run
//! that was started continues from its last checkpoint; a run that failed is tried again. A
//! run that fails is recorded (`failed.txt` in its folder) and reported, and the others go on;
//! rows distilling from a failed teacher are marked failed without running.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};

use crate::config::RunConfig;
use crate::device::DeviceName;
use crate::train::run_dir::RunDir;
use crate::train::{RunRequest, SourceFactory, TrainCommand, TrainEvent};

use super::folder::{RunState, StudyDir};
use super::plan::{RunId, StudyPlan};
use super::results::{StudyResults, collect};

/// What to run.
pub struct StudyRequest {
    pub dir: StudyDir,
    pub plan: StudyPlan,
    /// Where runs train: one at a time on each. Empty: one at a time, each on its config's
    /// device.
    pub devices: Vec<DeviceName>,
    /// Opens a run's data (`crate::data::source_factory`).
    pub open_source: fn() -> SourceFactory,
}

/// Which run an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunRef {
    /// Index into the plan's teachers.
    Teacher(usize),
    Row(RunId),
}

#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    Finished,
    /// Stopped on request; resumable.
    Stopped,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum StudyEvent {
    /// Before anything runs: how many runs are done already (a resumed study) and to do.
    Started {
        finished: usize,
        to_run: usize,
    },
    RunStarted {
        run: RunRef,
        dir: PathBuf,
        device: DeviceName,
        /// Continues a run that was stopped or killed.
        resumed: bool,
    },
    /// The run's own trainer event.
    Train {
        run: RunRef,
        event: TrainEvent,
    },
    RunEnded {
        run: RunRef,
        outcome: RunOutcome,
    },
    /// The table, after every epoch and every run (also written to the study folder).
    Results(Box<StudyResults>),
    /// Something went wrong that stops no run (the results could not be written).
    Warning(String),
    /// Everything ran (or the study was stopped); `failed` runs did not finish.
    Finished {
        stopped: bool,
        failed: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StudyCommand {
    /// Stop every running run after its current iteration (each saves a checkpoint).
    Stop,
}

pub struct StudyHandle {
    pub events: Receiver<StudyEvent>,
    commands: Sender<StudyCommand>,
    thread: Option<JoinHandle<()>>,
}

impl StudyHandle {
    pub fn send(&self, command: StudyCommand) {
        let _ = self.commands.send(command);
    }

    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    pub fn join(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the study in a background thread.
pub fn spawn(request: StudyRequest) -> StudyHandle {
    let (event_tx, event_rx) = unbounded();
    let (command_tx, command_rx) = unbounded();
    let thread = std::thread::Builder::new()
        .name("botui-study".into())
        .spawn(move || Study::new(request, event_tx).run(command_rx))
        .expect("spawning the study thread");
    StudyHandle {
        events: event_rx,
        commands: command_tx,
        thread: Some(thread),
    }
}

/// What the workers share.
struct Study {
    dir: StudyDir,
    plan: StudyPlan,
    devices: Vec<Option<DeviceName>>,
    open_source: fn() -> SourceFactory,
    events: Sender<StudyEvent>,
    stop: AtomicBool,
    /// Serializes results writes (workers finish runs at the same time).
    writing: Mutex<()>,
    failed: Mutex<usize>,
}

impl Study {
    fn new(request: StudyRequest, events: Sender<StudyEvent>) -> Study {
        let devices = if request.devices.is_empty() {
            vec![None]
        } else {
            request.devices.into_iter().map(Some).collect()
        };
        Study {
            dir: request.dir,
            plan: request.plan,
            devices,
            open_source: request.open_source,
            events,
            stop: AtomicBool::new(false),
            writing: Mutex::new(()),
            failed: Mutex::new(0),
        }
    }

    fn send(&self, event: StudyEvent) {
        let _ = self.events.send(event);
    }

    fn run(self, commands: Receiver<StudyCommand>) {
        let study = Arc::new(self);
        let teachers: Vec<RunRef> = (0..study.plan.teachers.len())
            .map(RunRef::Teacher)
            .collect();
        let rows: Vec<RunRef> = study.plan.runs().into_iter().map(RunRef::Row).collect();
        let all: Vec<RunRef> = teachers.iter().chain(&rows).copied().collect();
        let finished = all
            .iter()
            .filter(|r| study.state(**r) == RunState::Finished)
            .count();
        study.send(StudyEvent::Started {
            finished,
            to_run: all.len() - finished,
        });
        study.publish();
        for phase in [teachers, rows] {
            let queue: VecDeque<RunRef> = phase
                .into_iter()
                .filter(|r| study.state(*r) != RunState::Finished)
                .collect();
            study.run_phase(queue, &commands);
            if study.stop.load(Ordering::Relaxed) {
                break;
            }
        }
        study.publish();
        let failed = *study.failed.lock().unwrap_or_else(|e| e.into_inner());
        study.send(StudyEvent::Finished {
            stopped: study.stop.load(Ordering::Relaxed),
            failed,
        });
    }

    /// Runs the queue on one worker per device, watching for a stop command meanwhile.
    fn run_phase(self: &Arc<Self>, queue: VecDeque<RunRef>, commands: &Receiver<StudyCommand>) {
        let queue = Arc::new(Mutex::new(queue));
        let workers: Vec<JoinHandle<()>> = self
            .devices
            .iter()
            .map(|device| {
                let (study, queue, device) = (Arc::clone(self), Arc::clone(&queue), *device);
                std::thread::Builder::new()
                    .name("botui-study-worker".into())
                    .spawn(move || study.work(&queue, device))
                    .expect("spawning a study worker")
            })
            .collect();
        while workers.iter().any(|w| !w.is_finished()) {
            match commands.recv_timeout(Duration::from_millis(100)) {
                Ok(StudyCommand::Stop) | Err(RecvTimeoutError::Disconnected) => {
                    self.stop.store(true, Ordering::Relaxed);
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
        for w in workers {
            let _ = w.join();
        }
    }

    fn work(&self, queue: &Mutex<VecDeque<RunRef>>, device: Option<DeviceName>) {
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return;
            }
            let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
            let Some(run) = next else { return };
            let outcome = self.run_one(run, device);
            if let RunOutcome::Failed(error) = &outcome {
                let _ = RunState::mark_failed(&self.run_dir(run), error);
                *self.failed.lock().unwrap_or_else(|e| e.into_inner()) += 1;
            }
            self.send(StudyEvent::RunEnded { run, outcome });
            self.publish();
        }
    }

    fn run_dir(&self, run: RunRef) -> PathBuf {
        match run {
            RunRef::Teacher(i) => self.dir.teacher_dir(&self.plan.teachers[i].name),
            RunRef::Row(id) => self.dir.run_dir(&self.plan, id),
        }
    }

    fn epochs(&self, run: RunRef) -> usize {
        match run {
            RunRef::Teacher(i) => self.plan.teachers[i].config.epochs,
            RunRef::Row(id) => self.plan.rows[id.row].config.epochs,
        }
    }

    fn state(&self, run: RunRef) -> RunState {
        RunState::of(&self.run_dir(run), self.epochs(run))
    }

    /// The config a run trains; `Err` when its teacher did not finish.
    fn config(&self, run: RunRef) -> Result<RunConfig, String> {
        match run {
            RunRef::Teacher(i) => {
                let t = &self.plan.teachers[i];
                let mut config = t.config.clone();
                config.name = format!("{}: teacher {}", self.plan.name, t.name);
                Ok(config)
            }
            RunRef::Row(id) => {
                let teacher = self.plan.rows[id.row].teacher.as_ref();
                let dir = teacher.map(|name| self.dir.teacher_dir(name));
                if let (Some(name), Some(dir)) = (teacher, &dir) {
                    let i = self.plan.teachers.iter().position(|t| &t.name == name);
                    let epochs = i.map_or(0, |i| self.plan.teachers[i].config.epochs);
                    if RunState::of(dir, epochs) != RunState::Finished {
                        return Err(format!("its teacher `{name}` did not finish"));
                    }
                }
                Ok(self.plan.run_config(id, dir.as_deref()))
            }
        }
    }

    fn run_one(&self, run: RunRef, device: Option<DeviceName>) -> RunOutcome {
        let dir = self.run_dir(run);
        RunState::clear_failed(&dir);
        let mut config = match self.config(run) {
            Ok(c) => c,
            Err(why) => return RunOutcome::Failed(why),
        };
        if let Some(d) = device {
            config.device = d;
        }
        let resumed = dir.join("config.toml").is_file();
        if resumed {
            // A resumed run trains its saved config; only the device may move.
            if let Err(e) = move_device(&dir, config.device) {
                return RunOutcome::Failed(e);
            }
        }
        self.send(StudyEvent::RunStarted {
            run,
            dir: dir.clone(),
            device: config.device,
            resumed,
        });
        let request = RunRequest {
            config,
            run_dir: dir,
            resume: resumed,
            world: None,
        };
        let handle = crate::train::spawn(request, (self.open_source)());
        let mut outcome = RunOutcome::Finished;
        let mut stop_sent = false;
        loop {
            if self.stop.load(Ordering::Relaxed) && !stop_sent {
                handle.send(TrainCommand::Stop);
                stop_sent = true;
            }
            let event = match handle.events.recv_timeout(Duration::from_millis(100)) {
                Ok(e) => e,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
            };
            match &event {
                TrainEvent::Finished { stopped: true, .. } => outcome = RunOutcome::Stopped,
                TrainEvent::Failed { error } => outcome = RunOutcome::Failed(error.clone()),
                _ => {}
            }
            let epoch_end = matches!(event, TrainEvent::EpochEnd(_));
            self.send(StudyEvent::Train { run, event });
            if epoch_end {
                self.publish();
            }
        }
        handle.join();
        outcome
    }

    /// Rereads the table, writes it to the study folder and sends it.
    fn publish(&self) {
        let _guard = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let results = collect(&self.dir, &self.plan);
        if let Err(e) = results.write(&self.dir.path) {
            self.send(StudyEvent::Warning(format!(
                "could not write the study's results: {e}"
            )));
        }
        self.send(StudyEvent::Results(Box::new(results)));
    }
}

/// Points a stopped run's saved config at `device` (a resumed study may run on other devices).
fn move_device(dir: &std::path::Path, device: DeviceName) -> Result<(), String> {
    let (run, mut saved, _) = RunDir::open(dir).map_err(|e| e.to_string())?;
    if saved.device != device {
        saved.device = device;
        run.write_config(&saved).map_err(|e| e.to_string())?;
    }
    Ok(())
}
