//! The workbench's side of the Study tab: starting the selected study (refused while a run or
//! another study trains), stopping it, and the study runner's messages. The tab's own state
//! and reducers are in [`super::study`]; the event loop resolves the study and spawns its
//! runner in the background ([`super::runner`]).

use std::path::PathBuf;

use botui::study::{RunOutcome, StudyEvent, StudyPlan};
use botui::train::{LogLevel, TrainEvent};

use super::app::{App, Effect};
use super::log::LogSource;

impl App {
    /// Runs the study selected in the picker.
    pub(super) fn start_study(&mut self) -> Vec<Effect> {
        if self.run_active() {
            self.note(
                LogLevel::Warning,
                "a run is training: stop it before starting a study",
            );
            return Vec::new();
        }
        if self.study.is_active() {
            self.note(
                LogLevel::Warning,
                "a study is already running: stop it first",
            );
            return Vec::new();
        }
        let Some(entry) = self.study.selected_entry() else {
            self.note(LogLevel::Warning, "no study to start");
            return Vec::new();
        };
        vec![Effect::StartStudy(entry.name.clone())]
    }

    /// Asks the running study to stop; true when a stop was sent.
    pub(super) fn stop_study(&mut self) -> bool {
        let running = self
            .study
            .current
            .as_ref()
            .is_some_and(|c| c.phase == super::study::StudyPhase::Running);
        if running {
            self.study.stopping();
        }
        running
    }

    pub(super) fn study_started(&mut self, dir: PathBuf, plan: StudyPlan) {
        self.note(
            LogLevel::Info,
            format!("study `{}` started in {}", plan.name, dir.display()),
        );
        self.study.started(dir, plan);
        self.tab = super::layout::Tab::Study;
    }

    pub(super) fn on_study(&mut self, event: StudyEvent) -> Vec<Effect> {
        let label = |app: &App, run| {
            app.study
                .current
                .as_ref()
                .map_or(String::new(), |c| c.label(run))
        };
        match &event {
            StudyEvent::Train {
                run,
                event: TrainEvent::Log { level, message },
            } => {
                let message = format!("{}: {message}", label(self, *run));
                self.log.push(*level, LogSource::Trainer, message);
            }
            StudyEvent::RunEnded {
                run,
                outcome: RunOutcome::Failed(error),
            } => {
                let message = format!("study {} failed: {error}", label(self, *run));
                self.note(LogLevel::Error, message);
            }
            StudyEvent::Warning(w) => self.note(LogLevel::Warning, format!("study: {w}")),
            _ => {}
        }
        self.study.apply(&event);
        let StudyEvent::Finished { stopped, failed } = event else {
            return Vec::new();
        };
        let dir = self
            .study
            .current
            .as_ref()
            .map_or(String::new(), |c| c.dir.display().to_string());
        let (level, what) = match (stopped, failed) {
            (true, _) => (
                LogLevel::Warning,
                format!("study stopped; `botui study --resume {dir}` continues it"),
            ),
            (false, 0) => (LogLevel::Info, format!("study finished: {dir}/study.md")),
            (false, n) => (
                LogLevel::Error,
                format!("study finished with {n} failed runs: {dir}/study.md"),
            ),
        };
        self.note(level, what);
        if self.quitting && !self.busy() {
            return vec![Effect::Quit];
        }
        vec![Effect::ScanRuns]
    }
}
