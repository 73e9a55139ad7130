//! The config sections of the tricks that came after the paper, one per trick, each off by
//! default: what "ResNet strikes back" (RSB, Wightman, Touvron & Jegou 2021), FFCV's ImageNet
//! configs and the CIFAR-10 speed records (airbench) added to the 2018 recipe. The engine of
//! each lives in `train/` or `data/`; these are only the switches and their numbers, with
//! timm's (or FFCV's) defaults, each a [`Section`] with its range checks. Their checklist lines
//! are in [`super::tricks::after_paper`]. A section left at its defaults is not written out
//! (`WRITTEN_AT_DEFAULTS = false`), so the config files of runs without these tricks read as
//! before.

use serde::{Deserialize, Serialize};

use super::check::Checker;
use super::section::Section;

/// CutMix (Yun et al. 2019), with timm's per-batch rule when mixup is also on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CutMix {
    pub enabled: bool,
    /// lambda ~ Beta(alpha, alpha) (timm's `--cutmix`).
    pub alpha: f64,
    /// The chance a batch is mixed at all, by CutMix or mixup (timm's `--mixup-prob`).
    pub probability: f64,
    /// With mixup on too: the chance of CutMix rather than mixup (timm's `--mixup-switch-prob`).
    pub switch_probability: f64,
}

impl Default for CutMix {
    fn default() -> Self {
        Self {
            enabled: false,
            alpha: 1.0,
            probability: 1.0,
            switch_probability: 0.5,
        }
    }
}

impl Section for CutMix {
    const WRITTEN_AT_DEFAULTS: bool = false;

    fn check(&self, c: &mut Checker) {
        c.positive("alpha", self.alpha);
        c.fraction("probability", self.probability, false);
        c.fraction("switch_probability", self.switch_probability, false);
    }
}

/// An exponential moving average of the weights, evaluated beside the raw weights (timm's
/// `ModelEmaV3`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ema {
    pub enabled: bool,
    /// The decay once warmed up (timm's `--model-ema-decay`, 0.9998).
    pub decay: f64,
    /// timm's `--model-ema-warmup`: decay = 1 - (1 + t)^-warmup_power, capped at `decay`.
    pub warmup: bool,
    pub warmup_power: f64,
}

impl Default for Ema {
    fn default() -> Self {
        Self {
            enabled: false,
            decay: 0.9998,
            warmup: true,
            warmup_power: 2.0 / 3.0,
        }
    }
}

impl Section for Ema {
    const WRITTEN_AT_DEFAULTS: bool = false;

    fn check(&self, c: &mut Checker) {
        c.below_one("decay", self.decay);
        c.positive("warmup_power", self.warmup_power);
    }
}

/// Stochastic depth (Huang et al. 2016) in the ResNet blocks, timm's linear rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StochasticDepth {
    pub enabled: bool,
    /// The deepest block's drop probability (timm's `--drop-path`; RSB A1/A2: 0.05).
    pub rate: f64,
}

impl Default for StochasticDepth {
    fn default() -> Self {
        Self {
            enabled: false,
            rate: 0.05,
        }
    }
}

impl Section for StochasticDepth {
    const WRITTEN_AT_DEFAULTS: bool = false;

    fn check(&self, c: &mut Checker) {
        c.below_one("rate", self.rate);
    }
}

impl StochasticDepth {
    /// The rate the model is built with (0 when off).
    pub fn rate(&self) -> f64 {
        if self.enabled { self.rate } else { 0.0 }
    }
}

/// The most RandAugment operations an image can get.
pub const MAX_LAYERS: usize = 4;

/// RandAugment with timm's semantics (`rand-m7-mstd0.5-inc1` by default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RandAugmentSection {
    pub enabled: bool,
    /// Operations drawn per image (timm's `n`).
    pub layers: usize,
    /// 0..10 (timm's `m`).
    pub magnitude: f64,
    /// Noise on the magnitude (timm's `mstd`).
    pub magnitude_std: f64,
    /// Chance each drawn operation is applied (timm's `p`).
    pub probability: f64,
    /// timm's `inc1`: the variants whose strength grows with the magnitude.
    pub increasing: bool,
}

impl Default for RandAugmentSection {
    fn default() -> Self {
        Self {
            enabled: false,
            layers: 2,
            magnitude: 7.0,
            magnitude_std: 0.5,
            probability: 0.5,
            increasing: true,
        }
    }
}

impl Section for RandAugmentSection {
    const WRITTEN_AT_DEFAULTS: bool = false;

    fn check(&self, c: &mut Checker) {
        c.check(
            (1..=MAX_LAYERS).contains(&self.layers),
            "layers",
            self.layers,
            &format!("1 to {MAX_LAYERS} operations"),
        );
        let m = self.magnitude;
        c.check(
            m.is_finite() && (0.0..=10.0).contains(&m),
            "magnitude",
            m,
            "a magnitude in [0, 10]",
        );
        c.at_least_zero("magnitude_std", self.magnitude_std);
        c.fraction("probability", self.probability, false);
    }
}

/// Repeated augmentation: each image several times in a row per epoch (timm's
/// `RepeatAugSampler`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RepeatedAugment {
    pub enabled: bool,
    /// Copies of each image (timm's `--aug-repeats`, RSB: 3).
    pub repeats: usize,
}

impl Default for RepeatedAugment {
    fn default() -> Self {
        Self {
            enabled: false,
            repeats: 3,
        }
    }
}

impl Section for RepeatedAugment {
    const WRITTEN_AT_DEFAULTS: bool = false;

    fn check(&self, c: &mut Checker) {
        c.check(
            (2..=16).contains(&self.repeats),
            "repeats",
            self.repeats,
            "2 to 16 copies",
        );
    }
}

impl RepeatedAugment {
    /// Copies per image (1 when off).
    pub fn repeats(&self) -> usize {
        if self.enabled { self.repeats } else { 1 }
    }
}

/// FFCV's progressive resizing: the training side rises from `min_side` to `max_side` (the
/// model's input side) between two epochs in steps of 32. Validation keeps its own side
/// (`augment.val_input`; FFCV: 256).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProgressiveResize {
    pub enabled: bool,
    pub min_side: usize,
    pub max_side: usize,
    /// 0-based epochs: `min_side` up to `start_epoch`, `max_side` from `end_epoch`.
    pub start_epoch: usize,
    pub end_epoch: usize,
}

impl Default for ProgressiveResize {
    fn default() -> Self {
        Self {
            enabled: false,
            min_side: 160,
            max_side: 192,
            start_epoch: 65,
            end_epoch: 76,
        }
    }
}

impl Section for ProgressiveResize {
    const WRITTEN_AT_DEFAULTS: bool = false;

    fn check(&self, c: &mut Checker) {
        use crate::model::MIN_INPUT;
        c.check(
            self.min_side >= MIN_INPUT,
            "min_side",
            self.min_side,
            &format!("a side of at least {MIN_INPUT} pixels"),
        );
        c.check(
            self.max_side >= self.min_side,
            "max_side",
            self.max_side,
            &format!("at least min_side ({})", self.min_side),
        );
        c.check(
            self.end_epoch >= self.start_epoch,
            "end_epoch",
            self.end_epoch,
            &format!("at least start_epoch ({})", self.start_epoch),
        );
    }
}

/// Test-time augmentation by horizontal flips at validation (FFCV's `validation.lr_tta`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Tta {
    pub enabled: bool,
}

/// Flip TTA has nothing out of range.
impl Section for Tta {
    const WRITTEN_AT_DEFAULTS: bool = false;

    fn check(&self, _: &mut Checker) {}
}

/// Which loss trains the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossKind {
    /// Softmax cross-entropy against (smoothed, mixed) targets: the paper's.
    CrossEntropy,
    /// RSB's binary cross-entropy, one yes/no per class (timm's `BinaryCrossEntropy`).
    Bce,
}

/// The loss, and BCE's target threshold (RSB: 0.2; none: soft targets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LossSection {
    pub kind: LossKind,
    /// BCE only: targets above it become 1, the rest 0 (timm's `--bce-target-thresh`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_threshold: Option<f64>,
}

impl Default for LossSection {
    fn default() -> Self {
        Self {
            kind: LossKind::CrossEntropy,
            target_threshold: None,
        }
    }
}

impl Section for LossSection {
    const WRITTEN_AT_DEFAULTS: bool = false;

    fn check(&self, c: &mut Checker) {
        if let Some(t) = self.target_threshold {
            c.below_one("target_threshold", t);
            c.check(
                self.kind == LossKind::Bce,
                "target_threshold",
                t,
                "no threshold unless loss.kind = \"bce\"",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::section::section_problems;

    /// The dotted keys and the allowed values `section` (under `key`) finds wrong.
    fn problems<S: Section>(key: &'static str, section: &S) -> Vec<(String, String)> {
        section_problems(key, section)
            .into_iter()
            .map(|p| (p.key, p.expected))
            .collect()
    }

    #[test]
    fn defaults_are_timms_and_off() {
        assert!(!CutMix::default().enabled && problems("cutmix", &CutMix::default()).is_empty());
        assert_eq!(Ema::default().decay, 0.9998);
        assert_eq!(StochasticDepth::default().rate(), 0.0);
        assert_eq!(RepeatedAugment::default().repeats(), 1);
        assert!(!RandAugmentSection::default().enabled);
        assert!(!ProgressiveResize::default().enabled);
        assert_eq!(LossSection::default().kind, LossKind::CrossEntropy);
    }

    #[test]
    fn out_of_range_values_name_their_key() {
        let bad = CutMix {
            alpha: 0.0,
            switch_probability: 1.5,
            ..CutMix::default()
        };
        let keys: Vec<String> = problems("cutmix", &bad).into_iter().map(|p| p.0).collect();
        assert_eq!(keys, ["cutmix.alpha", "cutmix.switch_probability"]);
        let resize = ProgressiveResize {
            min_side: 192,
            max_side: 160,
            ..ProgressiveResize::default()
        };
        assert_eq!(
            problems("progressive_resize", &resize)[0].0,
            "progressive_resize.max_side"
        );
        let loss = LossSection {
            kind: LossKind::CrossEntropy,
            target_threshold: Some(0.2),
        };
        assert!(problems("loss", &loss)[0].1.contains("bce"));
    }
}
