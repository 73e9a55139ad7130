//! What `botui eval`, `predict` and `export` take as the model: a run folder (its best
//! checkpoint, else its last), a `.ckpt` checkpoint, or (eval only) a torchvision/timm weights
//! file, opened with the class names and run config that come with it.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;

use crate::checkpoint::{CheckpointError, load_checkpoint};
use crate::config::RunConfig;
use crate::device::DeviceName;
use crate::model::import::{ImportError, ImportOptions, detect_config, load_pretrained};
use crate::model::{Model, ModelConfig};
use crate::train::EpochMetrics;
use crate::train::persist::{CheckpointMeta, run_checkpoint};
use crate::train::run_dir::{RunDir, RunDirError};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{} does not exist", .0.display())]
    NotFound(PathBuf),
    #[error(
        "{}: expected a run folder, a .ckpt checkpoint{}",
        .path.display(),
        if *.weights { " or a .pth/.pt/.safetensors weights file" } else { "" }
    )]
    UnknownKind { path: PathBuf, weights: bool },
    #[error("{} has no checkpoint yet (best.ckpt or last.ckpt): has its first epoch finished?", .0.display())]
    NoCheckpoint(PathBuf),
    #[error("{}: {why}", .path.display())]
    Classes { path: PathBuf, why: String },
    #[error(
        "{} holds a {found} model, but its run folder's config.toml trains {run}: the checkpoint \
         belongs to another run",
        .path.display()
    )]
    OtherModel {
        path: PathBuf,
        found: String,
        run: String,
    },
    #[error(transparent)]
    Run(#[from] RunDirError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Import(#[from] ImportError),
}

/// A model ready for inference, and what is known about where it came from.
#[derive(Debug)]
pub struct LoadedModel {
    /// In evaluation mode, on the device it was loaded on.
    pub model: Model,
    pub config: ModelConfig,
    /// The checkpoint or weights file read.
    pub file: PathBuf,
    /// From the run's `classes.json`; `None` for a weights file or a lone checkpoint.
    pub classes: Option<Vec<String>>,
    /// The run the checkpoint belongs to (its config and finished epochs).
    pub run: Option<RunInfo>,
    /// Where training stood when the checkpoint was written (`None` for weights files).
    pub meta: Option<CheckpointMeta>,
}

#[derive(Debug, Clone)]
pub struct RunInfo {
    pub dir: PathBuf,
    pub config: RunConfig,
    pub history: Vec<EpochMetrics>,
}

impl LoadedModel {
    /// What the trainer measured on its validation set for this checkpoint's epoch.
    pub fn trained_epoch(&self) -> Option<&EpochMetrics> {
        let epoch = self.meta.as_ref()?.epochs_done;
        self.run.as_ref()?.history.iter().find(|m| m.epoch == epoch)
    }

    /// The run config behind the model, or the defaults (for the validation transform's crop
    /// ratio and normalization) when there is none.
    pub fn run_config(&self) -> RunConfig {
        self.run
            .as_ref()
            .map(|r| r.config.clone())
            .unwrap_or_default()
    }
}

/// The device the run behind `path` (a run folder, or a checkpoint inside one) trained on, so
/// that evaluating it reproduces the trainer's numbers; flex for anything else.
pub fn run_device(path: &Path) -> DeviceName {
    let dir = if path.is_dir() {
        Some(path)
    } else {
        path.parent()
    };
    dir.map(|d| d.join("config.toml"))
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|text| toml::from_str::<RunConfig>(&text).ok())
        .map_or(DeviceName::Flex, |c| c.device.single())
}

/// Opens `path` on `device`. `weights` allows torchvision/timm weights files (whose model is
/// read from their keys).
pub fn open(path: &Path, device: &Device, weights: bool) -> Result<LoadedModel, LoadError> {
    if !path.exists() {
        return Err(LoadError::NotFound(path.to_path_buf()));
    }
    if path.is_dir() {
        let ckpt = run_checkpoint(path).ok_or_else(|| {
            if path.join("config.toml").is_file() {
                LoadError::NoCheckpoint(path.to_path_buf())
            } else {
                LoadError::Run(RunDirError::NotARun(path.to_path_buf()))
            }
        })?;
        return open_checkpoint(&ckpt, device);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("ckpt") => open_checkpoint(path, device),
        Some("pth" | "pt" | "safetensors") if weights => {
            let config = detect_config(path)?;
            let (model, _) = load_pretrained(&config, path, device, ImportOptions::default())?;
            Ok(LoadedModel {
                model: model.valid(),
                config,
                file: path.to_path_buf(),
                classes: None,
                run: None,
                meta: None,
            })
        }
        _ => Err(LoadError::UnknownKind {
            path: path.to_path_buf(),
            weights,
        }),
    }
}

/// A checkpoint, with its run when it sits in a run folder.
fn open_checkpoint(path: &Path, device: &Device) -> Result<LoadedModel, LoadError> {
    let ckpt = load_checkpoint(path, device)?;
    let meta = serde_json::from_value::<CheckpointMeta>(ckpt.extra).ok();
    let dir = path.parent().unwrap_or(Path::new("."));
    let run = if dir.join("config.toml").is_file() {
        let (_, config, history) = RunDir::open(dir)?;
        check_run_model(
            path,
            &ckpt.config,
            &config.model_config(ckpt.config.classes),
        )?;
        Some(RunInfo {
            dir: dir.to_path_buf(),
            config,
            history,
        })
    } else {
        None
    };
    let classes_path = dir.join("classes.json");
    let classes = if classes_path.is_file() {
        let names = read_classes(&classes_path)?;
        if names.len() != ckpt.config.classes {
            return Err(LoadError::Classes {
                path: classes_path,
                why: format!(
                    "names {} classes, but the checkpoint's classifier has {}",
                    names.len(),
                    ckpt.config.classes
                ),
            });
        }
        Some(names)
    } else {
        None
    };
    Ok(LoadedModel {
        model: ckpt.model.valid(),
        config: ckpt.config,
        file: path.to_path_buf(),
        classes,
        run,
        meta,
    })
}

/// Refuses a checkpoint whose model is not the one its run folder trains (a file copied in
/// from another run), which would otherwise be evaluated with the other run's data settings.
fn check_run_model(path: &Path, found: &ModelConfig, run: &ModelConfig) -> Result<(), LoadError> {
    let describe = |c: &ModelConfig| format!("{} ({:?} stem)", c.display_name(), c.stem);
    if describe(found) == describe(run) {
        return Ok(());
    }
    Err(LoadError::OtherModel {
        path: path.to_path_buf(),
        found: describe(found).to_lowercase(),
        run: describe(run).to_lowercase(),
    })
}

/// A run's `classes.json`: a list of names (`["cat", "dog"]`), or `{"classes": [...]}`.
pub fn read_classes(path: &Path) -> Result<Vec<String>, LoadError> {
    let fail = |why: String| LoadError::Classes {
        path: path.to_path_buf(),
        why,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| fail(format!("not JSON: {e}")))?;
    let list = value.get("classes").unwrap_or(&value);
    serde_json::from_value(list.clone()).map_err(|_| fail("expected a list of class names".into()))
}
