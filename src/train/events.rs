//! What the trainer thread says ([`TrainEvent`]) and what it is told ([`TrainCommand`]).
//! These two enums are the whole interface between the engine and any front end.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::RunConfig;

/// One training iteration, sent at most every few tens of milliseconds (the trainer throttles
/// them so a slow receiver never accumulates more than a few per second).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IterationStats {
    /// 0-based epoch.
    pub epoch: usize,
    /// 0-based iteration over the whole run (the index into the planned lr).
    pub iteration: usize,
    pub lr: f64,
    pub loss: f64,
    /// Top-1 (percent) of this batch, `None` under mixup (its targets are mixed).
    pub top1: Option<f64>,
    /// Training images per second over the last reporting window.
    pub images_per_sec: f64,
    /// Share of wall time spent waiting for the data loader in that window, 0 to 1.
    pub data_wait: f64,
}

/// Everything measured over one epoch; one line of `metrics.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 1-based epoch number, as people count epochs.
    pub epoch: usize,
    pub train_loss: f64,
    /// Percent; `None` when every batch was mixed (mixup).
    pub train_top1: Option<f64>,
    pub val_loss: f64,
    /// Percent.
    pub val_top1: f64,
    /// Percent.
    pub val_top5: f64,
    /// Top-1 (percent) of the EMA of the weights, when `[ema]` is on (after the paper);
    /// absent otherwise, so the lines of runs without it read as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ema_val_top1: Option<f64>,
    /// The learning rate of the epoch's last iteration.
    pub lr: f64,
    pub images_per_sec: f64,
    /// Seconds the trainer waited for data during the epoch.
    pub data_wait_seconds: f64,
    /// Wall seconds of the epoch (training and validation).
    pub seconds: f64,
    /// Images that could not be read and were skipped, over the run so far.
    pub skipped_images: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckpointKind {
    Last,
    Best,
}

/// What a run knows at its start, for the panes that draw before the first iteration.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStart {
    pub run_dir: PathBuf,
    pub config: RunConfig,
    pub classes: Vec<String>,
    pub train_images: usize,
    pub val_images: usize,
    pub iters_per_epoch: usize,
    /// The planned lr of every iteration.
    pub lr_plan: Vec<f64>,
    /// Epochs already done (a resumed run starts after them) and their metrics.
    pub history: Vec<EpochMetrics>,
    pub model_params: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TrainEvent {
    Started(Box<RunStart>),
    Iteration(IterationStats),
    EpochEnd(EpochMetrics),
    Log {
        level: LogLevel,
        message: String,
    },
    CheckpointSaved {
        kind: CheckpointKind,
        epoch: usize,
        path: PathBuf,
    },
    Paused,
    Resumed,
    /// The run ended: all epochs done, or stopped on request (`stopped`).
    Finished {
        epochs_done: usize,
        best_top1: Option<f64>,
        stopped: bool,
    },
    /// The run could not go on. Checkpoints written before stay valid.
    Failed {
        error: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainCommand {
    Pause,
    Resume,
    /// Stop after the current iteration, saving a `last` checkpoint.
    Stop,
    /// Write a `last` checkpoint after the current iteration.
    SaveNow,
}
