//! Validation: plain cross entropy, top-1 and top-5 of a model over the validation split. A
//! rank of a data-parallel run validates rank 0's model on its share of the split (every
//! `ranks`-th image) and the counts are summed over the ranks, so the numbers equal a
//! single-device evaluation.

use burn::module::Module;
use burn::tensor::Device;

use crate::model::Model;

use super::error::TrainError;
use super::loss::{TargetSmoothing, soft_cross_entropy, soft_targets, targets_tensor};
use super::metrics::correct_top_k;
use super::parallel::ValTotals;
use super::session::Session;
use super::source::BatchSource;

/// One pass over the validation split.
pub(super) struct Validation {
    /// Mean cross entropy against the hard labels.
    pub loss: f64,
    /// Percent.
    pub top1: f64,
    pub top5: f64,
}

impl Validation {
    /// The numbers of the counts over the whole split; an error when it had no image.
    fn of(totals: ValTotals) -> Result<Validation, TrainError> {
        if totals.images < 0.5 {
            return Err(TrainError::Data("the validation set is empty".into()));
        }
        let pct = |n: f64| 100.0 * n / totals.images;
        Ok(Validation {
            loss: totals.loss_sum / totals.images,
            top1: pct(totals.top1),
            top5: pct(totals.top5),
        })
    }
}

impl Session {
    /// Validates the model as it is now (in eval mode), over the ranks when there are several.
    pub(super) fn validate(
        &mut self,
        source: &mut dyn BatchSource,
    ) -> Result<Validation, TrainError> {
        if let Some(p) = self.parallel.as_mut() {
            p.check_replicas(
                self.model.as_ref().expect("model present"),
                self.epochs_done + 1,
            )?;
            // Every rank evaluates (and goes on training) with rank 0's BatchNorm statistics.
            let model = self.model.take().expect("model present between steps");
            self.model = Some(p.share_eval_model(model)?);
        }
        let eval = self.model().valid();
        let local = count(
            &eval,
            source,
            self.config.batch_size,
            self.classes,
            &self.device,
        )?;
        let totals = match self.parallel.as_mut() {
            Some(p) => p.sum_val(local)?,
            None => local,
        };
        Validation::of(totals)
    }
}

/// The loss sum and top-1/top-5 counts of `model` (in eval mode, on `device`) over this
/// process's validation images, in batches of `batch_size`.
fn count(
    model: &Model,
    source: &mut dyn BatchSource,
    batch_size: usize,
    classes: usize,
    device: &Device,
) -> Result<ValTotals, TrainError> {
    let k5 = 5.min(classes);
    let mut totals = ValTotals::default();
    for batch in source.val_epoch(batch_size) {
        let batch = batch.map_err(TrainError::Data)?;
        let logits = model.forward(batch.images_tensor(device));
        let targets = soft_targets(&batch.labels, classes, TargetSmoothing::NONE, None);
        let targets = targets_tensor(targets, classes, device);
        let l = soft_cross_entropy(logits.clone(), targets).into_scalar::<f32>() as f64;
        let n = batch.len() as f64;
        totals.loss_sum += l * n;
        let host = logits.into_data().convert::<f32>();
        let host = host.as_slice::<f32>().expect("f32 logits");
        totals.top1 += correct_top_k(host, classes, &batch.labels, 1) as f64;
        totals.top5 += correct_top_k(host, classes, &batch.labels, k5) as f64;
        totals.images += n;
    }
    Ok(totals)
}
