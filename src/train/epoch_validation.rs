//! The validation after each epoch: [`super::validate`]'s pass over this process's share of the
//! validation split, summed over the ranks of a data-parallel run (each rank validates rank 0's
//! model on every `ranks`-th image), so the numbers equal a single-device evaluation. With one
//! process the arithmetic is the one `botui eval` does, bit for bit.

use std::ops::ControlFlow;

use burn::module::Module;

use super::error::TrainError;
use super::parallel::ValTotals;
use super::session::Session;
use super::source::BatchSource;
use super::validate::{Tta, ValidationError, validate};
use crate::model::Model;

/// The numbers of one epoch's validation, over every rank.
pub(super) struct EpochValidation(ValTotals);

impl EpochValidation {
    /// Mean plain cross entropy.
    pub fn loss(&self) -> f64 {
        self.0.loss_sum / self.0.images
    }

    pub fn top1_percent(&self) -> f64 {
        100.0 * self.0.top1 / self.0.images
    }

    pub fn top5_percent(&self) -> f64 {
        100.0 * self.0.top5 / self.0.images
    }
}

impl Session {
    /// Validates the model as it is now (in eval mode), and its EMA when the run keeps one, over
    /// the ranks when there are several, with the run's test-time augmentation.
    pub(super) fn validate_epoch(
        &mut self,
        source: &mut dyn BatchSource,
    ) -> Result<(EpochValidation, Option<EpochValidation>), TrainError> {
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
        let val = self.pass(&eval, source)?;
        let ema = match self.ema.as_ref().map(|e| e.module.clone()) {
            Some(module) => Some(self.pass(&module, source)?),
            None => None,
        };
        Ok((val, ema))
    }

    /// One pass of `model` (in eval mode) over this process's share, summed over the ranks.
    fn pass(
        &mut self,
        model: &Model,
        source: &mut dyn BatchSource,
    ) -> Result<EpochValidation, TrainError> {
        let tta = if self.config.tta.enabled {
            Tta::Flip
        } else {
            Tta::None
        };
        let pass = validate(
            model,
            source.val_epoch(self.config.batch_size),
            self.classes,
            &self.device,
            tta,
            &mut |_| ControlFlow::Continue(()),
        );
        let local = match pass {
            Ok(v) => ValTotals {
                loss_sum: v.loss.sum,
                top1: v.top1 as f64,
                top5: v.top5 as f64,
                images: v.images as f64,
            },
            // A rank's share may be empty when the split has fewer images than ranks.
            Err(ValidationError::Empty) if self.parallel.is_some() => ValTotals::default(),
            Err(e) => return Err(TrainError::Data(e.to_string())),
        };
        let totals = match self.parallel.as_mut() {
            Some(p) => p.sum_val(local)?,
            None => local,
        };
        if totals.images < 0.5 {
            return Err(TrainError::Data("the validation set is empty".into()));
        }
        Ok(EpochValidation(totals))
    }
}
