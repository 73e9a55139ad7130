//! Where a run starts: a fresh model, or the `last` checkpoint of the run it resumes.

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::Device;

use crate::config::RunConfig;
use crate::model::Model;

use super::error::TrainError;
use super::optim::build_optimizer;
use super::persist;
use super::run_dir::RunDir;

/// The best validation top-1 so far and the epoch that reached it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Best {
    pub top1: f64,
    pub epoch: usize,
}

/// Where a run starts: a fresh model, or the `last` checkpoint of a resumed run.
pub(super) struct Restored {
    pub model: Model,
    pub optim: ModuleOptimizer,
    pub epochs_done: usize,
    pub iteration: usize,
    pub best: Option<Best>,
    /// The EMA's weights and update count saved with `last`, when the run keeps one.
    pub ema: Option<(Model, usize)>,
}

/// Initializes the model, or with `resume` reloads the run's `last` checkpoint (and the EMA
/// saved with it, when `[ema]` is on and the file is the one the checkpoint recorded). `true`
/// for a resumed run stopped before its first checkpoint (it starts over).
pub(super) fn restore(
    dir: &RunDir,
    config: &RunConfig,
    classes: usize,
    resume: bool,
    autodiff: &Device,
) -> Result<(Restored, bool), TrainError> {
    let model_config = config.model_config(classes);
    let optim = build_optimizer(config);
    let restart = resume && !persist::model_path(&dir.path, "last").is_file();
    if !resume || restart {
        let fresh = Restored {
            model: model_config.init(autodiff)?,
            optim,
            epochs_done: 0,
            iteration: 0,
            best: None,
            ema: None,
        };
        return Ok((fresh, restart));
    }
    let (model, saved_config, meta) = persist::load_model(&dir.path, "last", autodiff)?;
    if saved_config.classes != model_config.classes {
        return Err(TrainError::Data(format!(
            "the checkpoint has {} classes, the dataset now has {}",
            saved_config.classes, model_config.classes
        )));
    }
    let optim = persist::load_optimizer(&dir.path, "last", optim, &model)?;
    let best = meta
        .best_top1
        .zip(meta.best_epoch)
        .map(|(top1, epoch)| Best { top1, epoch });
    let ema = match meta.ema_updates.filter(|_| config.ema.enabled) {
        Some(updates) => {
            persist::load_ema(&dir.path, "last", updates, model.valid())?.map(|m| (m, updates))
        }
        None => None,
    };
    let restored = Restored {
        model,
        optim,
        epochs_done: meta.epochs_done,
        iteration: meta.iteration,
        best,
        ema,
    };
    Ok((restored, false))
}
