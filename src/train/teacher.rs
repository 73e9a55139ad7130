//! The distillation teacher (Sec. 5.3): a botui run or checkpoint, in eval mode on the run's
//! device without autodiff, so it never receives gradients.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;

use crate::config::Distillation;
use crate::model::Model;

use super::persist;

/// Loads the teacher named by `distillation.teacher` for a student with `classes` classes.
pub fn load_teacher(
    config: &Distillation,
    classes: usize,
    device: &Device,
) -> Result<Model, String> {
    let path = PathBuf::from(config.teacher.trim());
    let (dir, name) = checkpoint_location(&path)?;
    let (model, meta) = persist::load_model(&dir, &name, device).map_err(|e| e.to_string())?;
    if meta.model.classes != classes {
        return Err(format!(
            "{} has {} classes, the student's dataset has {classes}",
            path.display(),
            meta.model.classes
        ));
    }
    Ok(model.valid())
}

/// A run folder (its `best` checkpoint, else `last`) or a checkpoint file (`.json` or `.bpk`).
fn checkpoint_location(path: &Path) -> Result<(PathBuf, String), String> {
    if path.is_dir() {
        for name in ["best", "last"] {
            if path.join(format!("{name}.json")).is_file() {
                return Ok((path.to_path_buf(), name.to_string()));
            }
        }
        return Err(format!(
            "{} holds no botui checkpoint (best.json or last.json)",
            path.display()
        ));
    }
    let file = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let name = file
        .strip_suffix(".optim.bpk")
        .or_else(|| file.strip_suffix(".bpk"))
        .or_else(|| file.strip_suffix(".json"));
    match name {
        Some(name) if path.exists() => Ok((
            path.parent().map(Path::to_path_buf).unwrap_or_default(),
            name.to_string(),
        )),
        Some(_) => Err(format!("{} does not exist", path.display())),
        None => Err(format!(
            "{}: expected a botui run folder or checkpoint (.bpk/.json)",
            path.display()
        )),
    }
}
