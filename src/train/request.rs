//! What the front end asks the trainer for: a config to run (or a run folder to resume) and
//! how to open its dataset.

use std::path::PathBuf;

use crate::config::RunConfig;
use crate::dist::World;

use super::source::BatchSource;

/// What to run and where.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub config: RunConfig,
    /// The run folder: created for a new run, read for a resumed one.
    pub run_dir: PathBuf,
    /// Continue the run in `run_dir` from its last checkpoint.
    pub resume: bool,
    /// This process's rank of a data-parallel run (`None`: it trains alone). Rank 0 alone
    /// writes `run_dir`; on `resume` every rank reads it, so the ranks share its filesystem.
    pub world: Option<World>,
}

/// Opens the dataset inside the trainer thread (scanning a large folder takes a while).
pub type SourceFactory =
    Box<dyn FnOnce(&RunConfig) -> Result<Box<dyn BatchSource>, String> + Send + 'static>;
