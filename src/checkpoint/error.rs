//! What goes wrong reading and writing checkpoints, and the checks the model and optimizer
//! files share.

use std::io;
use std::path::{Path, PathBuf};

use crate::model::ModelError;

/// The metadata key that marks a botui checkpoint.
pub(crate) const FORMAT_KEY: &str = "botui.format";

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{} does not exist", .path.display())]
    NotFound { path: PathBuf },
    #[error("cannot write {}: {source}", .path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot read {}: {source}", .path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot encode {}: {why}", .path.display())]
    Encode { path: PathBuf, why: String },
    #[error("{} is not a botui checkpoint: {why}", .path.display())]
    NotACheckpoint { path: PathBuf, why: String },
    #[error("{} is not an optimizer state saved by botui: {why}", .path.display())]
    NotOptimizerState { path: PathBuf, why: String },
    #[error("{}: its model config is invalid: {source}", .path.display())]
    Config { path: PathBuf, source: ModelError },
    #[error("{} holds {found}, but {wanted} was asked for", .path.display())]
    OtherArchitecture {
        path: PathBuf,
        found: String,
        wanted: String,
    },
    #[error("{}: its weights do not fit the {model} its config describes:{details}", .path.display())]
    WeightsMismatch {
        path: PathBuf,
        model: String,
        details: String,
    },
    #[error(
        "{}: the optimizer state belongs to another model ({unknown} of its {total} parameters \
         are not in this one)",
        .path.display()
    )]
    OptimizerMismatch {
        path: PathBuf,
        unknown: usize,
        total: usize,
    },
}

pub(crate) fn check_exists(path: &Path) -> Result<(), CheckpointError> {
    if path.exists() {
        Ok(())
    } else {
        Err(CheckpointError::NotFound {
            path: path.to_path_buf(),
        })
    }
}
