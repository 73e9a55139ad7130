//! Validation: plain cross entropy, top-1 and top-5 of a model over the validation split;
//! with flip TTA (after the paper) on the mean logits of each image and its mirror.

use burn::tensor::Device;

use crate::model::Model;

use super::error::TrainError;
use super::loss::{TargetSmoothing, soft_cross_entropy, soft_targets, targets_tensor};
use super::metrics::{Running, correct_top_k};
use super::source::BatchSource;
use super::tta::flip_tta;

/// One pass over the validation split.
pub(super) struct Validation {
    /// Mean cross entropy against the hard labels.
    pub loss: f64,
    /// Percent.
    pub top1: f64,
    pub top5: f64,
}

/// Validates `model` (in eval mode, on `device`) with batches of `batch_size`, averaging each
/// image's logits with its mirror's when `tta`.
pub(super) fn validate(
    model: &Model,
    source: &mut dyn BatchSource,
    batch_size: usize,
    classes: usize,
    tta: bool,
    device: &Device,
) -> Result<Validation, TrainError> {
    let k5 = 5.min(classes);
    let mut loss = Running::default();
    let (mut top1, mut top5, mut seen) = (0usize, 0usize, 0usize);
    for batch in source.val_epoch(batch_size) {
        let batch = batch.map_err(TrainError::Data)?;
        let x = batch.images_tensor(device);
        let logits = if tta {
            flip_tta(x, |x| model.forward(x))
        } else {
            model.forward(x)
        };
        let targets = soft_targets(&batch.labels, classes, TargetSmoothing::NONE, None);
        let targets = targets_tensor(targets, classes, device);
        let l = soft_cross_entropy(logits.clone(), targets).into_scalar::<f32>() as f64;
        loss.add(l, batch.len());
        let host = logits.into_data().convert::<f32>();
        let host = host.as_slice::<f32>().expect("f32 logits");
        top1 += correct_top_k(host, classes, &batch.labels, 1);
        top5 += correct_top_k(host, classes, &batch.labels, k5);
        seen += batch.len();
    }
    if seen == 0 {
        return Err(TrainError::Data("the validation set is empty".into()));
    }
    let pct = |n: usize| 100.0 * n as f64 / seen as f64;
    Ok(Validation {
        loss: loss.mean().unwrap_or(f64::NAN),
        top1: pct(top1),
        top5: pct(top5),
    })
}
