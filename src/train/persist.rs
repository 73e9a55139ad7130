//! A run's checkpoints through [`crate::checkpoint`]: `<dir>/<name>.ckpt` holds the weights, the
//! model config and where training stood ([`CheckpointMeta`]); `<dir>/<name>.optim` the
//! optimizer's momentum buffers. The optimizer state is written first, so a checkpoint file
//! never refers to an optimizer state older than itself.

use std::path::{Path, PathBuf};

use burn::optim::ModuleOptimizer;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::checkpoint::{
    CheckpointError, load_checkpoint, load_optimizer_state, save_checkpoint, save_optimizer_state,
};
use crate::model::{Model, ModelConfig};

/// Where training stood when a checkpoint was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// Epochs fully done.
    pub epochs_done: usize,
    /// Iterations done over the whole run (may be inside epoch `epochs_done`).
    pub iteration: usize,
    pub best_top1: Option<f64>,
    pub best_epoch: Option<usize>,
}

pub fn model_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.ckpt"))
}

/// The checkpoint a run folder stands for (a distillation teacher, `botui eval RUN`): its
/// `best`, else its `last`; `None` before its first checkpoint.
pub fn run_checkpoint(dir: &Path) -> Option<PathBuf> {
    ["best", "last"]
        .into_iter()
        .map(|name| model_path(dir, name))
        .find(|p| p.is_file())
}

pub fn optimizer_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.optim"))
}

/// Writes the optimizer state (when given), then the model with its meta; each atomically.
pub fn save(
    dir: &Path,
    name: &str,
    model: &Model,
    config: &ModelConfig,
    optimizer: Option<&ModuleOptimizer>,
    meta: &CheckpointMeta,
) -> Result<PathBuf, CheckpointError> {
    if let Some(optim) = optimizer {
        save_optimizer_state(&optimizer_path(dir, name), optim)?;
    }
    let path = model_path(dir, name);
    let extra = serde_json::to_value(meta).expect("meta serializes");
    save_checkpoint(&path, model, config, &extra)?;
    Ok(path)
}

/// Loads checkpoint `name` of the run in `dir` onto `device`.
pub fn load_model(
    dir: &Path,
    name: &str,
    device: &Device,
) -> Result<(Model, ModelConfig, CheckpointMeta), CheckpointError> {
    let path = model_path(dir, name);
    let ckpt = load_checkpoint(&path, device)?;
    let meta = serde_json::from_value(ckpt.extra).map_err(|e| CheckpointError::NotACheckpoint {
        path: path.clone(),
        why: format!("it is not a training checkpoint of a botui run ({e})"),
    })?;
    Ok((ckpt.model, ckpt.config, meta))
}

/// Loads the optimizer state saved with checkpoint `name`, when there is one.
pub fn load_optimizer(
    dir: &Path,
    name: &str,
    optimizer: ModuleOptimizer,
    model: &Model,
) -> Result<ModuleOptimizer, CheckpointError> {
    let path = optimizer_path(dir, name);
    if !path.exists() {
        return Ok(optimizer);
    }
    load_optimizer_state(&path, optimizer, model)
}
