//! Using a trained model: evaluation on a dataset ([`evaluate`]: loss, top-1, top-5, per-class
//! accuracy and the most confused classes), classification of image files ([`predict`]), and
//! opening runs, checkpoints and weights files for both ([`load`]). Export to PyTorch is
//! [`crate::model::export`]. No terminal code: `botui eval`/`predict` and the workbench print
//! what these return.
//!
//! Evaluation runs the trainer's own validation ([`crate::train::validate::validate`]) over
//! the validation split of a data spec, with the validation transform at the model's input
//! side: on a run's own data, with its batch size and device, it reproduces the top-1 the
//! trainer logged for the checkpoint's epoch exactly.

pub mod load;
mod options;
pub mod predict;
pub mod report;

use std::ops::ControlFlow;

use crate::config::RunConfig;
use crate::data::LoaderSource;
use crate::train::source::BatchSource;
use crate::train::validate::{ValidationError, validate};
pub use load::{LoadError, LoadedModel, RunInfo, open, run_device};
pub use options::EvalOptions;
pub use report::{ClassAccuracy, ConfusedPair, EvalReport};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("no data to evaluate on: {0} is not a run folder's checkpoint, so pass --data SPEC")]
    NoData(String),
    #[error("data {spec}: {why}")]
    Data { spec: String, why: String },
    #[error(
        "data {spec} has {data} classes, but {model}'s classifier has {model_classes}: \
         evaluate on data with the classes the model was trained on"
    )]
    ClassCount {
        spec: String,
        data: usize,
        model: String,
        model_classes: usize,
    },
    #[error(
        "data {spec} names its classes differently from the model's classes.json (label \
         {label}: data '{data}', model '{model}'): the labels would not mean the same classes"
    )]
    ClassNames {
        spec: String,
        label: usize,
        data: String,
        model: String,
    },
    #[error(transparent)]
    Validation(#[from] ValidationError),
}

/// The run config that opens the evaluation data: the run's (its data settings and transform)
/// with the data spec, input side and batch size of `options` over it.
pub fn data_config(loaded: &LoadedModel, options: &EvalOptions) -> Result<RunConfig, EvalError> {
    let mut config = loaded.run_config();
    match (&options.data, &loaded.run) {
        (Some(spec), _) => config.data.source = spec.as_str().into(),
        (None, Some(_)) => {}
        (None, None) => return Err(EvalError::NoData(loaded.file.display().to_string())),
    }
    config.model.input = options.input.unwrap_or(loaded.config.input);
    config.batch_size = match (options.batch_size, &loaded.run) {
        (Some(b), _) => b,
        (None, Some(run)) => run.config.batch_size,
        (None, None) => 64,
    };
    Ok(config)
}

/// Evaluates `loaded` on the validation split of the data `options` name. `progress` hears
/// (images done, images in all) after every batch and may cancel.
pub fn evaluate(
    loaded: &LoadedModel,
    options: &EvalOptions,
    device: &burn::tensor::Device,
    progress: &mut dyn FnMut(usize, usize) -> ControlFlow<()>,
) -> Result<EvalReport, EvalError> {
    let config = data_config(loaded, options)?;
    let spec = config.data.source.to_string();
    let mut source = LoaderSource::open(&config).map_err(|e| EvalError::Data {
        spec: spec.clone(),
        why: e.to_string(),
    })?;
    let names = check_classes(loaded, source.classes(), &spec)?;
    let total = source.val_len();
    let classes = loaded.config.classes;
    let validation = validate(
        &loaded.model,
        source.val_epoch(config.batch_size),
        classes,
        device,
        options.tta,
        &mut |done| progress(done, total),
    )?;
    Ok(EvalReport::new(
        loaded,
        &config,
        options,
        &names,
        &validation,
    ))
}

/// The class names to report: the model's, after checking the data has the same classes.
fn check_classes(
    loaded: &LoadedModel,
    data: &[String],
    spec: &str,
) -> Result<Vec<String>, EvalError> {
    if data.len() != loaded.config.classes {
        return Err(EvalError::ClassCount {
            spec: spec.into(),
            data: data.len(),
            model: loaded.config.display_name(),
            model_classes: loaded.config.classes,
        });
    }
    let Some(names) = &loaded.classes else {
        return Ok(data.to_vec());
    };
    if let Some((label, (d, m))) = data
        .iter()
        .zip(names)
        .enumerate()
        .find(|(_, (d, m))| d != m)
    {
        return Err(EvalError::ClassNames {
            spec: spec.into(),
            label,
            data: d.clone(),
            model: m.clone(),
        });
    }
    Ok(names.clone())
}
