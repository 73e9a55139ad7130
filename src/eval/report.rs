//! What `botui eval` reports: the totals, accuracy per class and the class pairs the model
//! confuses most, from one validation pass's confusion matrix.

use std::path::PathBuf;

use serde::Serialize;

use super::load::LoadedModel;
use super::options::EvalOptions;
use crate::config::RunConfig;
use crate::train::validate::{Tta, Validation};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// `resnet18-B`.
    pub model: String,
    /// The checkpoint or weights file evaluated.
    pub file: PathBuf,
    /// The checkpoint's epoch, when it has one.
    pub epoch: Option<usize>,
    /// What the trainer logged as val top-1 for that epoch (percent).
    pub trained_top1: Option<f64>,
    pub data: String,
    pub images: usize,
    pub input: usize,
    pub batch_size: usize,
    pub tta: bool,
    pub loss: f64,
    /// Percent.
    pub top1: f64,
    /// Percent, within the `top_k` largest logits (5, or the class count when smaller).
    pub top5: f64,
    pub top_k: usize,
    pub per_class: Vec<ClassAccuracy>,
    /// Off-diagonal cells of the confusion matrix, most images first.
    pub confused: Vec<ConfusedPair>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassAccuracy {
    pub class: String,
    pub images: usize,
    pub correct: usize,
    /// Percent; `None` when the data has no image of this class.
    pub top1: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfusedPair {
    /// The true class.
    pub class: String,
    /// What the model said instead.
    pub predicted: String,
    pub images: usize,
    /// Of the true class's images, percent.
    pub share: f64,
}

impl EvalReport {
    pub(super) fn new(
        loaded: &LoadedModel,
        config: &RunConfig,
        options: &EvalOptions,
        names: &[String],
        v: &Validation,
    ) -> Self {
        let k = v.classes;
        let row = |c: usize| &v.confusion[c * k..(c + 1) * k];
        let per_class: Vec<ClassAccuracy> = (0..k)
            .map(|c| {
                let images: usize = row(c).iter().sum();
                let correct = row(c)[c];
                ClassAccuracy {
                    class: names[c].clone(),
                    images,
                    correct,
                    top1: (images > 0).then(|| 100.0 * correct as f64 / images as f64),
                }
            })
            .collect();
        let mut confused: Vec<ConfusedPair> = (0..k)
            .flat_map(|truth| (0..k).map(move |p| (truth, p)))
            .filter(|&(truth, p)| truth != p && v.confusion[truth * k + p] > 0)
            .map(|(truth, p)| {
                let images = v.confusion[truth * k + p];
                ConfusedPair {
                    class: names[truth].clone(),
                    predicted: names[p].clone(),
                    images,
                    share: 100.0 * images as f64 / per_class[truth].images as f64,
                }
            })
            .collect();
        // Most images first; ties in class order, so the report is stable.
        confused.sort_by_key(|p| std::cmp::Reverse(p.images));
        confused.truncate(options.confused);
        EvalReport {
            model: loaded.config.display_name(),
            file: loaded.file.clone(),
            epoch: loaded.meta.as_ref().map(|m| m.epochs_done),
            trained_top1: loaded.trained_epoch().map(|m| m.val_top1),
            data: config.data.source.to_string(),
            images: v.images,
            input: config.model.input,
            batch_size: config.batch_size,
            tta: options.tta == Tta::Flip,
            loss: v.loss(),
            top1: v.top1_percent(),
            top5: v.top5_percent(),
            top_k: 5.min(k),
            per_class,
            confused,
        }
    }
}
