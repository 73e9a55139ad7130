//! botui's own checkpoints: a model's weights and the [`ModelConfig`] that builds it, in one
//! burnpack file (the config and a caller's `extra` JSON ride in its metadata), plus the
//! optimizer state beside it.
//!
//! Every file is written atomically ([`write_atomically`]): into a temporary file in the same
//! folder, synced, then renamed over the target, so a failed save (full disk, crash) leaves the
//! previous checkpoint as it was. Parameter ids are saved with the weights, so an optimizer
//! state saved with a model finds its parameters again after both are loaded.

mod error;
mod optimizer;

use std::io::Write;
use std::path::Path;

use burn::module::Module;
use burn::store::ModuleSnapshot;
use burn::store::burn_pack::{Reader, Writer};
use burn::tensor::Device;

pub use crate::fsutil::write_atomic_with as write_atomically;
use crate::model::{Model, ModelConfig};
pub use error::CheckpointError;
use error::{FORMAT_KEY, check_exists};
pub use optimizer::{load_optimizer_state, save_optimizer_state};

/// The value of [`FORMAT_KEY`] for this layout.
pub const FORMAT: &str = "botui-checkpoint/1";
const CONFIG_KEY: &str = "botui.model_config";
const EXTRA_KEY: &str = "botui.extra";

/// A loaded checkpoint: the model (on the requested device), its config, and whatever the
/// saver put in `extra` (epoch, metrics, run config...).
#[derive(Debug)]
pub struct Checkpoint {
    pub model: Model,
    pub config: ModelConfig,
    pub extra: serde_json::Value,
}

/// Saves `model` and the `config` that builds it, with `extra` alongside, to `path`.
pub fn save_checkpoint(
    path: &Path,
    model: &Model,
    config: &ModelConfig,
    extra: &serde_json::Value,
) -> Result<(), CheckpointError> {
    let encode = |why: String| CheckpointError::Encode {
        path: path.to_path_buf(),
        why,
    };
    let config_json = serde_json::to_string(config).map_err(|e| encode(e.to_string()))?;
    let extra_json = serde_json::to_string(extra).map_err(|e| encode(e.to_string()))?;
    // BN running statistics updated by a training forward pass wait in a per-thread buffer
    // until synced, and a module visit reads the last synced value: `valid()` syncs them
    // (keeping parameter ids), so the checkpoint holds the statistics the model would use.
    let bytes = Writer::new(model.valid().collect(None, None, false))
        .with_metadata(FORMAT_KEY, FORMAT)
        .with_metadata(CONFIG_KEY, &config_json)
        .with_metadata(EXTRA_KEY, &extra_json)
        .into_bytes()
        .map_err(|e| encode(e.to_string()))?;
    write_atomically(path, |file| file.write_all(&bytes)).map_err(|source| CheckpointError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads a checkpoint written by [`save_checkpoint`], building the model on `device`.
pub fn load_checkpoint(path: &Path, device: &Device) -> Result<Checkpoint, CheckpointError> {
    let (reader, config, extra) = open_checkpoint(path)?;
    build(path, reader, config, extra, device)
}

/// Like [`load_checkpoint`], refusing a checkpoint whose architecture (model, variant,
/// classes, stem, width) differs from `wanted`: resuming a run with the wrong checkpoint.
pub fn load_checkpoint_as(
    path: &Path,
    wanted: &ModelConfig,
    device: &Device,
) -> Result<Checkpoint, CheckpointError> {
    let (reader, config, extra) = open_checkpoint(path)?;
    if architecture(&config) != architecture(wanted) {
        return Err(CheckpointError::OtherArchitecture {
            path: path.to_path_buf(),
            found: architecture(&config),
            wanted: architecture(wanted),
        });
    }
    build(path, reader, config, extra, device)
}

/// What decides a model's tensors, in words: `resnet50-D, 1000 classes, ImageNet stem`.
fn architecture(config: &ModelConfig) -> String {
    format!(
        "{}, {} classes, {} stem",
        config.display_name(),
        config.classes,
        if config.small_input() {
            "small-input"
        } else {
            "ImageNet"
        }
    )
}

fn open_checkpoint(
    path: &Path,
) -> Result<(Reader, ModelConfig, serde_json::Value), CheckpointError> {
    check_exists(path)?;
    let not_checkpoint = |why: String| CheckpointError::NotACheckpoint {
        path: path.to_path_buf(),
        why,
    };
    let reader = Reader::from_file_exact(path)
        .map_err(|e| not_checkpoint(format!("not a burnpack file ({e})")))?;
    let meta = reader.metadata();
    match meta.get(FORMAT_KEY) {
        Some(f) if f == FORMAT => {}
        Some(f) => {
            return Err(not_checkpoint(format!(
                "its format is '{f}', this botui reads '{FORMAT}'"
            )));
        }
        None => {
            return Err(not_checkpoint(
                "a burnpack file without botui's model config (an optimizer state, or a plain \
                 burn record?)"
                    .into(),
            ));
        }
    }
    let config_json = meta
        .get(CONFIG_KEY)
        .ok_or_else(|| not_checkpoint(format!("no '{CONFIG_KEY}' entry")))?;
    let config: ModelConfig = serde_json::from_str(config_json)
        .map_err(|e| not_checkpoint(format!("its model config does not parse: {e}")))?;
    let extra = match meta.get(EXTRA_KEY) {
        Some(json) => serde_json::from_str(json)
            .map_err(|e| not_checkpoint(format!("its extra data does not parse: {e}")))?,
        None => serde_json::Value::Null,
    };
    Ok((reader, config, extra))
}

/// Loads the weights of a checkpoint into `model` (built from the same config), which keeps
/// its own BN running-state ids: burn restores the saved ids of parameters but not of running
/// statistics, so a copy of a trained model stays matchable to it tensor by tensor (the EMA).
pub fn load_checkpoint_into(path: &Path, model: Model) -> Result<Checkpoint, CheckpointError> {
    let (reader, config, extra) = open_checkpoint(path)?;
    apply(path, reader, config, extra, model)
}

fn build(
    path: &Path,
    reader: Reader,
    config: ModelConfig,
    extra: serde_json::Value,
    device: &Device,
) -> Result<Checkpoint, CheckpointError> {
    let model = config
        .init(device)
        .map_err(|source| CheckpointError::Config {
            path: path.to_path_buf(),
            source,
        })?;
    apply(path, reader, config, extra, model)
}

fn apply(
    path: &Path,
    reader: Reader,
    config: ModelConfig,
    extra: serde_json::Value,
    mut model: Model,
) -> Result<Checkpoint, CheckpointError> {
    let tensors = reader
        .into_tensors()
        .map_err(|e| CheckpointError::NotACheckpoint {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
    let result = model.apply(tensors, None, None, false);
    let mut details = String::new();
    for err in &result.errors {
        details.push_str(&format!("\n  {err}"));
    }
    for (name, _) in &result.missing {
        details.push_str(&format!("\n  missing from the file: {name}"));
    }
    for name in &result.unused {
        details.push_str(&format!("\n  not in the model: {name}"));
    }
    if !details.is_empty() {
        return Err(CheckpointError::WeightsMismatch {
            path: path.to_path_buf(),
            model: architecture(&config),
            details,
        });
    }
    Ok(Checkpoint {
        model,
        config,
        extra,
    })
}
