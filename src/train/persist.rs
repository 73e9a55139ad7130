//! A run's checkpoints: model weights (burnpack) with the model config and training progress
//! beside them, and the optimizer state, every file written atomically.
//!
//! `<dir>/<name>.bpk` holds the weights, `<dir>/<name>.json` the [`CheckpointMeta`], and
//! `<dir>/<name>.optim.bpk` the optimizer's momentum buffers. The meta file is written last: a
//! checkpoint whose meta file exists is complete.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use serde::{Deserialize, Serialize};

use crate::fsutil::write_atomic;
use crate::model::{Model, ModelConfig};

/// Where training stood when a checkpoint was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    pub model: ModelConfig,
    /// Epochs fully done.
    pub epochs_done: usize,
    /// Iterations done over the whole run (may be inside epoch `epochs_done`).
    pub iteration: usize,
    pub best_top1: Option<f64>,
    pub best_epoch: Option<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("writing checkpoint {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("encoding checkpoint {path}: {message}")]
    Encode { path: PathBuf, message: String },
    #[error("reading checkpoint {path}: {message}")]
    Read { path: PathBuf, message: String },
}

fn paths(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    (
        dir.join(format!("{name}.bpk")),
        dir.join(format!("{name}.json")),
        dir.join(format!("{name}.optim.bpk")),
    )
}

/// Writes weights, optimizer state (when given) and meta, each atomically, meta last.
pub fn save(
    dir: &Path,
    name: &str,
    model: &Model,
    optimizer: Option<&ModuleOptimizer>,
    meta: &CheckpointMeta,
) -> Result<PathBuf, PersistError> {
    let (weights, meta_path, optim_path) = paths(dir, name);
    let encode = |path: &Path, e: burn::store::RecordError| PersistError::Encode {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let write = |path: &Path, bytes: &[u8]| {
        write_atomic(path, bytes).map_err(|source| PersistError::Write {
            path: path.to_path_buf(),
            source,
        })
    };
    let bytes = model
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| encode(&weights, e))?;
    write(&weights, &bytes)?;
    if let Some(optim) = optimizer {
        let bytes = optim.into_bytes().map_err(|e| encode(&optim_path, e))?;
        write(&optim_path, &bytes)?;
    }
    let json = serde_json::to_vec_pretty(meta).expect("meta serializes");
    write(&meta_path, &json)?;
    Ok(weights)
}

/// Reads the meta file of checkpoint `name` in `dir`.
pub fn load_meta(dir: &Path, name: &str) -> Result<CheckpointMeta, PersistError> {
    let (_, meta_path, _) = paths(dir, name);
    let read_err = |message: String| PersistError::Read {
        path: meta_path.clone(),
        message,
    };
    let text = std::fs::read(&meta_path).map_err(|e| read_err(e.to_string()))?;
    serde_json::from_slice(&text).map_err(|e| read_err(format!("not a botui checkpoint: {e}")))
}

/// Builds the model the meta describes on `device` and loads the weights into it.
pub fn load_model(
    dir: &Path,
    name: &str,
    device: &Device,
) -> Result<(Model, CheckpointMeta), PersistError> {
    let meta = load_meta(dir, name)?;
    let (weights, _, _) = paths(dir, name);
    let read_err = |message: String| PersistError::Read {
        path: weights.clone(),
        message,
    };
    let model = meta
        .model
        .init(device)
        .map_err(|e| read_err(e.to_string()))?;
    let bytes = std::fs::read(&weights).map_err(|e| read_err(e.to_string()))?;
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes))
        .map_err(|e| read_err(e.to_string()))?;
    let model = model
        .try_load_record(record)
        .map_err(|e| read_err(e.to_string()))?;
    Ok((model, meta))
}

/// Loads the optimizer state saved with checkpoint `name`, if there is one.
pub fn load_optimizer(
    dir: &Path,
    name: &str,
    optimizer: ModuleOptimizer,
) -> Result<ModuleOptimizer, PersistError> {
    let (_, _, optim_path) = paths(dir, name);
    if !optim_path.exists() {
        return Ok(optimizer);
    }
    let bytes = std::fs::read(&optim_path).map_err(|e| PersistError::Read {
        path: optim_path.clone(),
        message: e.to_string(),
    })?;
    optimizer
        .from_bytes(Bytes::from_bytes_vec(bytes))
        .map_err(|e| PersistError::Read {
            path: optim_path,
            message: e.to_string(),
        })
}
