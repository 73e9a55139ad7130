//! A run's checkpoints through [`crate::checkpoint`]: `<dir>/<name>.ckpt` holds the weights, the
//! model config and where training stood ([`CheckpointMeta`]); `<dir>/<name>.optim` the
//! optimizer's momentum buffers. The optimizer state is written first, so a checkpoint file
//! never refers to an optimizer state older than itself.

use std::path::{Path, PathBuf};

use burn::optim::ModuleOptimizer;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::checkpoint::{
    CheckpointError, load_checkpoint, load_checkpoint_into, load_optimizer_state, save_checkpoint,
    save_optimizer_state,
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
    /// The EMA's update count when its weights were saved beside this checkpoint
    /// ([`ema_path`]); absent when the run keeps no EMA (or its save failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ema_updates: Option<usize>,
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

/// The EMA of the weights saved with checkpoint `name`: a model checkpoint of its own
/// (`botui eval` reads it), with its update count in its extra data.
pub fn ema_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.ema.ckpt"))
}

const EMA_UPDATES_KEY: &str = "ema_updates";

/// Writes the EMA's weights beside checkpoint `name` (atomically), before the checkpoint itself.
pub fn save_ema(
    dir: &Path,
    name: &str,
    ema: &Model,
    config: &ModelConfig,
    updates: usize,
) -> Result<PathBuf, CheckpointError> {
    let path = ema_path(dir, name);
    let extra = serde_json::json!({ EMA_UPDATES_KEY: updates });
    save_checkpoint(&path, ema, config, &extra)?;
    Ok(path)
}

/// The EMA saved with checkpoint `name`, loaded into `copy` (a copy of the trained model, so
/// that every tensor keeps the id the average is updated by), when it is the one that
/// checkpoint recorded (the same update count); `None` when there is none or it is from
/// another save.
pub fn load_ema(
    dir: &Path,
    name: &str,
    updates: usize,
    copy: Model,
) -> Result<Option<Model>, CheckpointError> {
    let path = ema_path(dir, name);
    if !path.is_file() {
        return Ok(None);
    }
    let ckpt = load_checkpoint_into(&path, copy)?;
    let saved = ckpt.extra.get(EMA_UPDATES_KEY).and_then(|v| v.as_u64());
    Ok((saved == Some(updates as u64)).then_some(ckpt.model))
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
