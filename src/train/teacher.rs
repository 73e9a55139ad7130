//! The distillation teacher (Sec. 5.3): a botui run or checkpoint, or torchvision/timm weights,
//! in eval mode on the run's device without autodiff, so it never receives gradients.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;

use crate::checkpoint::load_checkpoint;
use crate::config::Distillation;
use crate::model::import::{ImportOptions, load_pretrained};
use crate::model::{Model, ModelConfig, parse_model};

use super::persist::run_checkpoint;

/// Loads the teacher named by `distillation.teacher` for a student with `classes` classes
/// that sees `input`-pixel images.
pub fn load_teacher(
    config: &Distillation,
    classes: usize,
    input: usize,
    device: &Device,
) -> Result<Model, String> {
    let path = PathBuf::from(config.teacher.trim());
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let model = if matches!(ext.as_str(), "pth" | "pt" | "safetensors") {
        imported(config, &path, classes, input, device)?
    } else {
        let file = checkpoint_file(&path)?;
        let ckpt = load_checkpoint(&file, device).map_err(|e| e.to_string())?;
        if ckpt.config.classes != classes {
            return Err(format!(
                "{} has {} classes, the student's dataset has {classes}",
                file.display(),
                ckpt.config.classes
            ));
        }
        ckpt.model
    };
    Ok(model.valid())
}

/// torchvision or timm weights: the architecture comes from `distillation.teacher_model`.
fn imported(
    config: &Distillation,
    path: &Path,
    classes: usize,
    input: usize,
    device: &Device,
) -> Result<Model, String> {
    if config.teacher_model.trim().is_empty() {
        return Err(format!(
            "{} holds PyTorch weights: set distillation.teacher_model to their architecture \
             (e.g. \"resnet152d\" for timm's, \"resnet152\" for torchvision's)",
            path.display()
        ));
    }
    let (name, variant) = parse_model(&config.teacher_model).map_err(|e| e.to_string())?;
    let mut model_config = ModelConfig::new(name, classes, input);
    model_config.variant = variant.unwrap_or_default();
    let (model, _report) = load_pretrained(&model_config, path, device, ImportOptions::default())
        .map_err(|e| e.to_string())?;
    Ok(model)
}

/// A run folder (its `best` checkpoint, else `last`) or a `.ckpt` file.
fn checkpoint_file(path: &Path) -> Result<PathBuf, String> {
    if path.is_dir() {
        return run_checkpoint(path).ok_or_else(|| {
            format!(
                "{} holds no botui checkpoint (best.ckpt or last.ckpt)",
                path.display()
            )
        });
    }
    if !path.exists() {
        return Err(format!("{} does not exist", path.display()));
    }
    Ok(path.to_path_buf())
}
