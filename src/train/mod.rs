//! Training: the learning-rate schedule, losses, optimizer, metrics, and the trainer thread
//! that runs one configuration and reports through [`events`].

mod announce;
pub mod batch_mix;
pub mod bce;
mod checkpoints;
pub mod cutmix;
pub mod ema;
mod epoch;
mod epoch_validation;
mod error;
pub mod events;
pub mod local_ranks;
pub mod loss;
pub mod metrics;
pub mod mixup;
pub mod optim;
pub mod parallel;
pub mod performance;
pub mod persist;
pub mod precision;
pub mod progressive_resize;
mod request;
mod resume;
pub mod run_dir;
pub mod run_names;
pub mod schedule;
pub mod selftest;
mod session;
pub mod source;
mod step;
pub mod teacher;
pub mod trainer;
pub mod tta;
pub mod validate;

pub use error::TrainError;
pub use events::{EpochMetrics, IterationStats, LogLevel, RunStart, TrainCommand, TrainEvent};
pub use request::{RunRequest, SourceFactory};
pub use trainer::{TrainerHandle, spawn};
