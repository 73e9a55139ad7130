//! Why a run could not go on.

/// Why a run could not go on.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("invalid run config: {0}")]
    Config(String),
    #[error("{0}")]
    Device(#[from] crate::device::DeviceError),
    #[error("data: {0}")]
    Data(String),
    #[error("{0}")]
    RunDir(#[from] super::run_dir::RunDirError),
    #[error("{0}")]
    Checkpoint(#[from] crate::checkpoint::CheckpointError),
    #[error("{0}")]
    Model(#[from] crate::model::ModelError),
    #[error(
        "the loss became {value} at iteration {iteration} (epoch {epoch}); stopped. The last \
         good checkpoint is kept; try a lower learning rate or warmup"
    )]
    NonFinite {
        value: f64,
        iteration: usize,
        epoch: usize,
    },
    #[error("teacher: {0}")]
    Teacher(String),
    /// A data-parallel run's ranks could not meet or go on (the message names the rank).
    #[error("{0}")]
    Dist(#[from] crate::dist::DistError),
}
