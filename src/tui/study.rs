//! The Study tab's state: the studies to pick from (built in and the user's), and the study
//! started from the workbench (or the last one): its plan, its table as it fills, and where
//! each of its active runs stands. Reducers only, no terminal.

use std::path::PathBuf;

use botui::study::{RunOutcome, RunRef, StudyEvent, StudyPlan, StudyResults};
use botui::train::TrainEvent;

/// A study as the picker lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyEntry {
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StudyPhase {
    Running,
    /// A stop was asked for; the running runs save a checkpoint and end.
    Stopping,
    Finished {
        failed: usize,
    },
    Stopped,
}

impl StudyPhase {
    pub fn is_active(self) -> bool {
        matches!(self, StudyPhase::Running | StudyPhase::Stopping)
    }
}

/// A run of the study that is training now.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveRun {
    pub run: RunRef,
    /// Epochs done and planned.
    pub epoch: usize,
    pub epochs: usize,
    pub last_top1: Option<f64>,
}

/// The study started from the workbench.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyRun {
    pub dir: PathBuf,
    pub plan: StudyPlan,
    pub phase: StudyPhase,
    /// The latest table (after every epoch of every run).
    pub results: Option<StudyResults>,
    pub active: Vec<ActiveRun>,
    /// Runs already finished when it started (a resumed study), and runs to do.
    pub kept: usize,
    pub to_run: usize,
    /// Runs that ended (finished or failed) since it started.
    pub ended: usize,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StudyState {
    pub list: Vec<StudyEntry>,
    pub selected: usize,
    /// The table row whose curve is highlighted.
    pub row: usize,
    pub current: Option<StudyRun>,
}

impl StudyState {
    pub fn set_list(&mut self, list: Vec<StudyEntry>) {
        self.list = list;
        self.selected = self.selected.min(self.list.len().saturating_sub(1));
    }

    pub fn move_by(&mut self, d: i32) {
        if self.list.is_empty() {
            return;
        }
        let max = self.list.len() as i32 - 1;
        self.selected = (self.selected as i32 + d).clamp(0, max) as usize;
    }

    /// Moves the highlighted table row.
    pub fn move_row(&mut self, d: i32) {
        let rows = self.current.as_ref().map_or(0, |c| c.plan.rows.len());
        if rows == 0 {
            return;
        }
        self.row = (self.row as i32 + d).clamp(0, rows as i32 - 1) as usize;
    }

    pub fn selected_entry(&self) -> Option<&StudyEntry> {
        self.list.get(self.selected)
    }

    pub fn is_active(&self) -> bool {
        self.current.as_ref().is_some_and(|c| c.phase.is_active())
    }

    /// A study was started in `dir`.
    pub fn started(&mut self, dir: PathBuf, plan: StudyPlan) {
        self.row = 0;
        self.current = Some(StudyRun {
            dir,
            plan,
            phase: StudyPhase::Running,
            results: None,
            active: Vec::new(),
            kept: 0,
            to_run: 0,
            ended: 0,
        });
    }

    pub fn stopping(&mut self) {
        if let Some(c) = self
            .current
            .as_mut()
            .filter(|c| c.phase == StudyPhase::Running)
        {
            c.phase = StudyPhase::Stopping;
        }
    }

    /// Applies one event of the study's runner.
    pub fn apply(&mut self, event: &StudyEvent) {
        let Some(c) = self.current.as_mut() else {
            return;
        };
        match event {
            StudyEvent::Started { finished, to_run } => {
                c.kept = *finished;
                c.to_run = *to_run;
            }
            StudyEvent::RunStarted { run, .. } => {
                let epochs = match run {
                    RunRef::Teacher(i) => c.plan.teachers[*i].config.epochs,
                    RunRef::Row(id) => c.plan.rows[id.row].config.epochs,
                };
                c.active.retain(|a| a.run != *run);
                c.active.push(ActiveRun {
                    run: *run,
                    epoch: 0,
                    epochs,
                    last_top1: None,
                });
            }
            StudyEvent::Train { run, event } => {
                let active = c.active.iter_mut().find(|a| a.run == *run);
                match (event, active) {
                    (TrainEvent::Started(start), Some(a)) => a.epoch = start.history.len(),
                    (TrainEvent::EpochEnd(m), Some(a)) => {
                        a.epoch = m.epoch;
                        a.last_top1 = Some(m.val_top1);
                    }
                    _ => {}
                }
            }
            StudyEvent::RunEnded { run, outcome } => {
                c.active.retain(|a| a.run != *run);
                if *outcome != RunOutcome::Stopped {
                    c.ended += 1;
                }
            }
            StudyEvent::Results(r) => c.results = Some((**r).clone()),
            StudyEvent::Warning(_) => {}
            StudyEvent::Finished { stopped, failed } => {
                c.active.clear();
                c.phase = if *stopped {
                    StudyPhase::Stopped
                } else {
                    StudyPhase::Finished { failed: *failed }
                };
            }
        }
    }
}

impl StudyRun {
    /// Each row's val top-1 over epochs: at each epoch, the mean of the seeds that reached it.
    pub fn row_curves(&self) -> Vec<(String, Vec<(f64, f64)>)> {
        let Some(results) = &self.results else {
            return Vec::new();
        };
        results
            .rows
            .iter()
            .map(|row| {
                let longest = row
                    .seeds
                    .iter()
                    .map(|s| s.val_top1.len())
                    .max()
                    .unwrap_or(0);
                let points = (0..longest)
                    .map(|e| {
                        let at: Vec<f64> = row
                            .seeds
                            .iter()
                            .filter_map(|s| s.val_top1.get(e))
                            .copied()
                            .collect();
                        ((e + 1) as f64, at.iter().sum::<f64>() / at.len() as f64)
                    })
                    .collect();
                (row.name.clone(), points)
            })
            .collect()
    }

    /// The most epochs any row trains.
    pub fn max_epochs(&self) -> usize {
        self.plan
            .rows
            .iter()
            .map(|r| r.config.epochs)
            .max()
            .unwrap_or(1)
    }

    /// A run as the panes name it: `row 2 s1`, `teacher plain`.
    pub fn label(&self, run: RunRef) -> String {
        match run {
            RunRef::Teacher(i) => format!("teacher {}", self.plan.teachers[i].name),
            RunRef::Row(id) => format!("row {} s{}", id.row + 1, self.plan.seed_of(id)),
        }
    }

    /// (done, all) runs, teachers included.
    pub fn progress(&self) -> (usize, usize) {
        let all = self.plan.rows.len() * self.plan.seeds + self.plan.teachers.len();
        ((self.kept + self.ended).min(all), all)
    }
}
