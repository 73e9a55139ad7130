//! One training iteration as named parts: the mix plan, the targets, the forward pass in the
//! run's precision, the loss (with or without a teacher) and the gradients (with loss
//! scaling). One function per trick's effect on the step; the session strings them together,
//! averages the gradients over the ranks of a data-parallel run, and applies the optimizer.
//! The tricks after the paper join the same parts: CutMix in the mix plan and the inputs, BCE
//! in the targets and the loss, LAMB's gradient clipping in the update.

use burn::optim::GradientsParams;
use burn::tensor::{Device, FloatDType, Tensor};

use crate::config::{LossKind, RunConfig};
use crate::device::DeviceName;
use crate::model::Model;

use super::batch_mix::{BatchMix, MixRule};
use super::bce::{binarize_targets, binary_cross_entropy};
use super::cutmix::paste_boxes;
use super::error::TrainError;
use super::loss::{
    MixPlan, TargetSmoothing, distillation_loss, soft_cross_entropy, soft_targets, targets_tensor,
};
use super::mixup::{Mixer, mix_images};
use super::optim::clip::clip_global_norm;
use super::optim::max_grad_norm;
use super::performance::Performance;
use super::precision::{self, LossScaler};
use super::source::HostBatch;
use super::teacher::load_teacher;

/// Knowledge distillation (Sec. 5.3): the teacher in eval mode and the loss's weights.
struct Teacher {
    model: Model,
    temperature: f64,
    hard_weight: f64,
}

/// Mixup (Sec. 5.4): which epochs mix, and lambda's Beta(alpha, alpha).
struct Mixup {
    alpha: f64,
    seed: u64,
    /// Epochs from here on train unmixed (the last `off_epochs`).
    until_epoch: usize,
}

/// RSB's binary cross-entropy instead of the softmax's, with its target threshold.
struct Bce {
    threshold: Option<f64>,
}

/// What the update does with a step's gradients.
pub(super) enum Update {
    Apply(GradientsParams),
    /// An FP16 gradient overflowed: no update; the loss scale has been halved.
    Skip {
        scale: f64,
        skipped: usize,
    },
}

/// How this run turns a batch into gradients: precision, loss scaling, teacher, mix plan.
pub(super) struct Step {
    classes: usize,
    smoothing: TargetSmoothing,
    /// The `[performance]` switches on this device, low precision's compute (Sec. 3.2:
    /// autocast or the whole model cast; FP32 without it) among them.
    performance: Performance,
    /// FP16's dynamic loss scale.
    scaler: Option<LossScaler>,
    skipped: usize,
    teacher: Option<Teacher>,
    mixup: Option<Mixup>,
    /// CutMix (after the paper): timm's per-batch choice between CutMix and mixup.
    cutmix: Option<MixRule>,
    bce: Option<Bce>,
    seed: u64,
    /// LAMB: the global gradient norm is clipped to this before each step.
    max_grad_norm: Option<f64>,
}

impl Step {
    /// The step `config` asks for, in `precision` (what the device supports), with its
    /// teacher loaded on `device`.
    pub(super) fn new(
        config: &RunConfig,
        classes: usize,
        precision: Option<FloatDType>,
        device_name: DeviceName,
        device: &Device,
    ) -> Result<Self, TrainError> {
        let teacher = if config.distillation.enabled {
            let d = &config.distillation;
            let model = load_teacher(d, classes, config.model.input, device)
                .map_err(TrainError::Teacher)?;
            Some(Teacher {
                model,
                temperature: d.temperature,
                hard_weight: d.hard_weight,
            })
        } else {
            None
        };
        let m = &config.mixup;
        let cm = &config.cutmix;
        Ok(Self {
            cutmix: cm.enabled.then_some(MixRule {
                mixup_alpha: m.enabled.then_some(m.alpha),
                cutmix_alpha: cm.alpha,
                probability: cm.probability,
                switch_probability: cm.switch_probability,
            }),
            bce: (config.loss.kind == LossKind::Bce).then_some(Bce {
                threshold: config.loss.target_threshold,
            }),
            max_grad_norm: max_grad_norm(config),
            seed: config.seed,
            classes,
            smoothing: TargetSmoothing::from_config(&config.label_smoothing),
            performance: Performance::new(
                &config.performance,
                // This process's device: a rank of a multi-GPU run uploads to its own GPU.
                device_name,
                precision,
                config.data.workers,
            ),
            scaler: (precision == Some(FloatDType::F16))
                .then(|| LossScaler::new(&config.low_precision)),
            skipped: 0,
            teacher,
            mixup: m.enabled.then(|| Mixup {
                alpha: m.alpha,
                seed: config.seed,
                until_epoch: config.epochs.saturating_sub(m.off_epochs),
            }),
        })
    }

    pub(super) fn precision(&self) -> Option<FloatDType> {
        self.performance.compute.dtype()
    }

    pub(super) fn performance(&self) -> &Performance {
        &self.performance
    }

    pub(super) fn loss_scaling(&self) -> bool {
        self.scaler.is_some()
    }

    pub(super) fn smoothing(&self) -> TargetSmoothing {
        self.smoothing
    }

    /// Mixup and CutMix: the mixing of a batch of `n` images of `side` at `iteration` of
    /// `epoch`, drawn from a seed of its own so that a resumed run mixes as the uninterrupted
    /// one; `None` while not mixing. With CutMix on, timm's per-batch rule picks (mixup's
    /// last unmixed epochs apply to both).
    pub(super) fn mix_plan(
        &self,
        epoch: usize,
        iteration: usize,
        n: usize,
        side: usize,
    ) -> Option<BatchMix> {
        let mixing = self.mixup.as_ref().is_none_or(|m| epoch < m.until_epoch);
        if let Some(rule) = self.cutmix.as_ref().filter(|_| mixing) {
            return rule.draw(n, side, self.seed ^ iteration as u64);
        }
        let m = self.mixup.as_ref().filter(|m| epoch < m.until_epoch)?;
        Some(BatchMix::Mixup(
            Mixer::new(m.alpha, m.seed ^ iteration as u64).plan(n),
        ))
    }

    /// The batch's images on `device` (pinned, asynchronous, channels_last as `[performance]`
    /// says), mixed by the plan (blended, or boxes pasted); with a note for the log when the
    /// asynchronous copy failed and plain copies take over.
    pub(super) fn inputs(
        &mut self,
        batch: &HostBatch,
        plan: Option<&BatchMix>,
        device: &Device,
    ) -> (Tensor<4>, Option<String>) {
        let (x, note) = self.performance.images(batch, device);
        let x = match plan {
            Some(BatchMix::Mixup(plan)) => mix_images(x, plan),
            Some(BatchMix::CutMix(plan, cut)) => paste_boxes(x, plan, cut),
            None => x,
        };
        (x, note)
    }

    /// Label smoothing and mixing: the soft targets `[n, classes]`; for BCE with a target
    /// threshold, binarized.
    pub(super) fn targets(
        &self,
        labels: &[usize],
        plan: Option<&BatchMix>,
        device: &Device,
    ) -> Tensor<2> {
        let plan: Option<&MixPlan> = plan.map(BatchMix::plan);
        let mut targets = soft_targets(labels, self.classes, self.smoothing, plan);
        if let Some(threshold) = self.bce.as_ref().and_then(|b| b.threshold) {
            binarize_targets(&mut targets, threshold);
        }
        targets_tensor(targets, self.classes, device)
    }

    /// The forward pass in the run's compute: FP32, autocast, or the whole model cast; the
    /// logits in FP32 (the master weights stay FP32).
    pub(super) fn forward(&self, model: &Model, x: Tensor<4>) -> Tensor<2> {
        precision::forward(model, x, self.performance.compute)
    }

    /// The loss of the logits against the targets: cross entropy, or with a teacher the
    /// distillation loss (the teacher sees the same, possibly mixed, images `x`).
    pub(super) fn loss(&self, logits: Tensor<2>, x: Tensor<4>, targets: Tensor<2>) -> Tensor<1> {
        match &self.teacher {
            Some(t) => {
                let teacher_logits = t.model.forward(x.inner());
                distillation_loss(
                    logits,
                    teacher_logits,
                    targets,
                    t.temperature,
                    t.hard_weight,
                )
            }
            None if self.bce.is_some() => binary_cross_entropy(logits, targets),
            None => soft_cross_entropy(logits, targets),
        }
    }

    /// The gradients of the loss, scaled by the loss scale when FP16 scales it (a rank of a
    /// data-parallel run averages them over the ranks before [`Self::update`]).
    pub(super) fn backward(&self, loss: Tensor<1>, model: &Model) -> GradientsParams {
        let scale = self.scaler.as_ref().map_or(1.0, |s| s.scale);
        let loss = if scale != 1.0 {
            loss.mul_scalar(scale)
        } else {
            loss
        };
        GradientsParams::from_grads(loss.backward(), model)
    }

    /// Loss scaling: the gradients unscaled; a skip where FP16 overflowed. After the
    /// all-reduce an overflow on any rank is an overflow on every rank, so all ranks skip the
    /// same steps and keep the same loss scale.
    pub(super) fn update(&mut self, model: &Model, mut grads: GradientsParams) -> Update {
        if let Some(scaler) = self.scaler.as_mut()
            && !scaler.unscale(model, &mut grads)
        {
            self.skipped += 1;
            return Update::Skip {
                scale: scaler.scale,
                skipped: self.skipped,
            };
        }
        if let Some(max_norm) = self.max_grad_norm {
            clip_global_norm(model, &mut grads, max_norm);
        }
        Update::Apply(grads)
    }
}
