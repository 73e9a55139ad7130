//! The state of the run the workbench started, updated only from the trainer's events.

use std::path::PathBuf;

use botui::config::{PaperReference, RunConfig};
use botui::train::{EpochMetrics, IterationStats, TrainEvent};

use super::series::{BUCKETS, Buckets, plan_points};

/// Where a run is.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Asked to start; the trainer is opening the data and building the model.
    Starting,
    Running,
    Paused,
    /// Asked to stop; the trainer finishes its iteration and saves a checkpoint.
    Stopping,
    Finished {
        stopped: bool,
    },
    Failed(String),
}

impl Phase {
    /// Whether a trainer thread is (still) working on it.
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            Phase::Starting | Phase::Running | Phase::Paused | Phase::Stopping
        )
    }
}

/// Throughput readings kept for the sparkline.
pub const THROUGHPUT_POINTS: usize = 240;

#[derive(Debug, Clone, PartialEq)]
pub struct RunState {
    /// Written here only: from the trainer's events and [`RunState::request_stop`].
    pub phase: Phase,
    /// The workbench asked the trainer to stop; the run shows as stopping until it ends.
    pub stop_requested: bool,
    pub config: RunConfig,
    pub run_dir: Option<PathBuf>,
    pub iters_per_epoch: usize,
    pub train_images: usize,
    pub val_images: usize,
    pub classes: usize,
    pub model_params: usize,
    /// The planned lr of every iteration (from `RunStart`).
    pub lr_plan: Vec<f64>,
    /// The plan cut down for drawing once, at the start.
    pub lr_points: Vec<(f64, f64)>,
    /// The latest iteration report.
    pub last: Option<IterationStats>,
    /// (iteration, loss) of every report, as min and max over slices of the planned run.
    pub loss: Buckets,
    pub throughput: Vec<f64>,
    /// Per-epoch metrics, resumed history included.
    pub epochs: Vec<EpochMetrics>,
    /// Index into `epochs` of the best validation top-1.
    pub best: Option<usize>,
    pub last_checkpoint: Option<PathBuf>,
}

impl RunState {
    /// A run the workbench has asked the trainer to start.
    pub fn starting(config: RunConfig) -> Self {
        Self {
            phase: Phase::Starting,
            stop_requested: false,
            config,
            run_dir: None,
            iters_per_epoch: 0,
            train_images: 0,
            val_images: 0,
            classes: 0,
            model_params: 0,
            lr_plan: Vec::new(),
            lr_points: Vec::new(),
            last: None,
            loss: Buckets::new(1, 1),
            throughput: Vec::new(),
            epochs: Vec::new(),
            best: None,
            last_checkpoint: None,
        }
    }

    /// Whether the trainer can still be asked to stop (it is working and was not asked yet).
    pub fn can_stop(&self) -> bool {
        self.phase.is_active() && !self.stop_requested
    }

    /// Records that the workbench asked the trainer to stop: true the first time (the caller
    /// then sends [`botui::train::TrainCommand::Stop`]).
    pub fn request_stop(&mut self) -> bool {
        if !self.can_stop() {
            return false;
        }
        self.stop_requested = true;
        self.phase = Phase::Stopping;
        true
    }

    pub fn paper(&self) -> Option<&PaperReference> {
        self.config.paper.as_ref()
    }

    pub fn total_iters(&self) -> usize {
        self.lr_plan.len()
    }

    /// The next iteration to run (0 before the first report).
    pub fn iteration(&self) -> usize {
        self.last
            .as_ref()
            .map_or(self.epochs.len() * self.iters_per_epoch, |s| {
                s.iteration + 1
            })
    }

    /// Fraction of the planned iterations done, 0 to 1.
    pub fn progress(&self) -> f64 {
        if self.total_iters() == 0 {
            return 0.0;
        }
        (self.iteration() as f64 / self.total_iters() as f64).min(1.0)
    }

    /// Seconds left: remaining iterations at the current speed, plus validation as long as
    /// the last epochs took beyond their training iterations. `None` before a speed is known.
    pub fn eta_seconds(&self) -> Option<f64> {
        let last = self.last.as_ref()?;
        if last.images_per_sec <= 0.0 || !self.phase.is_active() {
            return None;
        }
        let per_iter = self.config.batch_size as f64 / last.images_per_sec;
        let left_iters = self.total_iters().saturating_sub(self.iteration()) as f64;
        let epochs_left = self.config.epochs.saturating_sub(self.epochs.len()) as f64;
        let val_per_epoch = self
            .epochs
            .last()
            .map(|e| {
                let train = self.iters_per_epoch as f64 * self.config.batch_size as f64
                    / e.images_per_sec.max(1e-9);
                (e.seconds - train).max(0.0)
            })
            .unwrap_or(0.0);
        Some(left_iters * per_iter + epochs_left * val_per_epoch)
    }

    /// Applies one trainer event. Log events are the app's (they go to the log pane).
    pub fn apply(&mut self, event: &TrainEvent) {
        match event {
            TrainEvent::Started(start) => {
                self.phase = Phase::Running;
                self.config = start.config.clone();
                self.run_dir = Some(start.run_dir.clone());
                self.iters_per_epoch = start.iters_per_epoch;
                self.train_images = start.train_images;
                self.val_images = start.val_images;
                self.classes = start.classes.len();
                self.model_params = start.model_params;
                self.lr_plan = start.lr_plan.clone();
                self.lr_points = plan_points(&self.lr_plan, BUCKETS);
                self.loss = Buckets::new(self.lr_plan.len(), BUCKETS);
                self.epochs = start.history.clone();
                self.best = best_epoch(&self.epochs);
            }
            TrainEvent::Iteration(stats) => {
                self.loss.push(stats.iteration as f64, stats.loss);
                if self.throughput.len() >= THROUGHPUT_POINTS {
                    self.throughput.remove(0);
                }
                self.throughput.push(stats.images_per_sec);
                self.last = Some(stats.clone());
            }
            TrainEvent::EpochEnd(m) => {
                self.epochs.push(m.clone());
                let i = self.epochs.len() - 1;
                if self
                    .best
                    .is_none_or(|b| m.val_top1 > self.epochs[b].val_top1)
                {
                    self.best = Some(i);
                }
            }
            TrainEvent::CheckpointSaved { path, .. } => self.last_checkpoint = Some(path.clone()),
            TrainEvent::Paused => self.phase = Phase::Paused,
            TrainEvent::Resumed => self.phase = Phase::Running,
            TrainEvent::Finished { stopped, .. } => {
                self.phase = Phase::Finished { stopped: *stopped }
            }
            TrainEvent::Failed { error } => self.phase = Phase::Failed(error.clone()),
            TrainEvent::Log { .. } => {}
        }
        // A stop was asked for: keep saying so until the trainer confirms.
        if self.stop_requested && self.phase.is_active() {
            self.phase = Phase::Stopping;
        }
    }
}

/// The epoch with the highest validation top-1 (the first of equals).
pub fn best_epoch(epochs: &[EpochMetrics]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, e) in epochs.iter().enumerate() {
        if best.is_none_or(|b| e.val_top1 > epochs[b].val_top1) {
            best = Some(i);
        }
    }
    best
}

/// `h:mm:ss` or `m:ss`.
pub fn format_duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}
