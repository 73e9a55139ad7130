//! Training: the learning-rate schedule, losses, optimizer, metrics, and the trainer thread
//! that runs one configuration and reports through [`events`].

pub mod events;
pub mod loss;
pub mod metrics;
pub mod mixup;
pub mod optim;
pub mod persist;
pub mod precision;
pub mod run_dir;
pub mod run_names;
pub mod schedule;
mod session;
pub mod source;
pub mod teacher;
pub mod trainer;

pub use events::{EpochMetrics, IterationStats, LogLevel, RunStart, TrainCommand, TrainEvent};
pub use session::TrainError;
pub use trainer::{RunRequest, SourceFactory, TrainerHandle, spawn};
