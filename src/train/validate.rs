//! Validation: plain cross entropy, top-1 and top-5 of a model over a dataset's validation
//! batches, and the confusion matrix behind them. The trainer runs this after every epoch and
//! `botui eval` runs the same function, so evaluating a run's checkpoint on its own validation
//! data reproduces the numbers the trainer logged for that epoch, bit for bit.
//!
//! Test-time augmentation ([`Tta::Flip`], eval only) averages the logits of each image and its
//! mirror image before the loss and the ranks are taken.

use std::ops::ControlFlow;

use burn::tensor::{Device, Tensor};

use super::loss::{TargetSmoothing, soft_cross_entropy, soft_targets, targets_tensor};
use super::metrics::{Running, correct_top_k};
use super::source::BatchIter;
use super::tta::flip_tta;
use crate::model::Model;

/// Test-time augmentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tta {
    /// Each image once, as the trainer validates.
    #[default]
    None,
    /// Each image and its horizontal mirror, logits averaged.
    Flip,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("{0}")]
    Data(String),
    #[error("the validation set is empty")]
    Empty,
    #[error("cancelled")]
    Cancelled,
}

/// What one pass over the validation set measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    pub classes: usize,
    /// Images seen.
    pub images: usize,
    /// Plain cross entropy (no label smoothing), averaged over the images.
    pub loss: Running,
    pub top1: usize,
    /// Correct within the `min(5, classes)` largest logits.
    pub top5: usize,
    /// `confusion[label * classes + predicted]`; the prediction is the label whenever the top-1
    /// count says correct (a tie with the largest logit counts for the label, as there).
    pub confusion: Vec<usize>,
}

impl Validation {
    fn new(classes: usize) -> Self {
        Self {
            classes,
            images: 0,
            loss: Running::default(),
            top1: 0,
            top5: 0,
            confusion: vec![0; classes * classes],
        }
    }

    pub fn loss(&self) -> f64 {
        self.loss.mean().unwrap_or(f64::NAN)
    }

    pub fn top1_percent(&self) -> f64 {
        100.0 * self.top1 as f64 / self.images as f64
    }

    pub fn top5_percent(&self) -> f64 {
        100.0 * self.top5 as f64 / self.images as f64
    }

    /// Adds one batch: `logits` `[n, classes]` row-major on the host, `loss` the batch's mean.
    fn add(&mut self, logits: &[f32], labels: &[usize], loss: f64) {
        let k = self.classes;
        self.loss.add(loss, labels.len());
        self.top1 += correct_top_k(logits, k, labels, 1);
        self.top5 += correct_top_k(logits, k, labels, 5.min(k));
        for (i, &label) in labels.iter().enumerate() {
            let row = &logits[i * k..(i + 1) * k];
            let predicted = if correct_top_k(row, k, &[label], 1) == 1 {
                label
            } else {
                argmax(row)
            };
            self.confusion[label * k + predicted] += 1;
        }
        self.images += labels.len();
    }
}

/// Runs `model` (in evaluation mode: `valid()`) over `batches` on `device`. `progress` hears
/// the images done after every batch and may stop the pass.
pub fn validate(
    model: &Model,
    batches: BatchIter<'_>,
    classes: usize,
    device: &Device,
    tta: Tta,
    progress: &mut dyn FnMut(usize) -> ControlFlow<()>,
) -> Result<Validation, ValidationError> {
    let mut v = Validation::new(classes);
    for batch in batches {
        let batch = batch.map_err(ValidationError::Data)?;
        let logits = logits(model, batch.images_tensor(device), tta);
        let targets = soft_targets(&batch.labels, classes, TargetSmoothing::NONE, None);
        let targets = targets_tensor(targets, classes, device);
        let loss = soft_cross_entropy(logits.clone(), targets).into_scalar::<f32>() as f64;
        let host = logits.into_data().convert::<f32>();
        let host = host.as_slice::<f32>().expect("f32 logits");
        v.add(host, &batch.labels, loss);
        if progress(v.images).is_break() {
            return Err(ValidationError::Cancelled);
        }
    }
    if v.images == 0 {
        return Err(ValidationError::Empty);
    }
    Ok(v)
}

/// The model's logits for `x`, averaged with those of the mirrored images under [`Tta::Flip`].
pub fn logits(model: &Model, x: Tensor<4>, tta: Tta) -> Tensor<2> {
    match tta {
        Tta::None => model.forward(x),
        Tta::Flip => flip_tta(x, |x| model.forward(x)),
    }
}

/// The index of the first largest value.
fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_fill_the_confusion_matrix() {
        let mut v = Validation::new(3);
        // Row 0: label 0, predicted 0. Row 1: label 1, predicted 2. Row 2: label 2 ties the
        // largest logit with class 0: counted correct, as top-1 counts it.
        let logits = [
            0.9, 0.1, 0.0, //
            0.0, 0.2, 0.7, //
            0.5, 0.1, 0.5,
        ];
        v.add(&logits, &[0, 1, 2], 0.5);
        v.add(&[0.1, 0.8, 0.3], &[1], 1.5);
        assert_eq!(v.images, 4);
        assert_eq!(v.top1, 3);
        assert_eq!(v.top1_percent(), 75.0);
        assert_eq!(v.top5, 4);
        assert_eq!(v.loss(), (0.5 * 3.0 + 1.5) / 4.0);
        #[rustfmt::skip]
        assert_eq!(v.confusion, vec![
            1, 0, 0,
            0, 1, 1,
            0, 0, 1,
        ]);
    }

    #[test]
    fn argmax_takes_the_first_of_equals() {
        assert_eq!(argmax(&[0.1, 0.5, 0.5]), 1);
        assert_eq!(argmax(&[2.0]), 0);
    }
}
