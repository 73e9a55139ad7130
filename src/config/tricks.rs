//! Which of the paper's tricks a run config switches on, in the paper's words and order.

use std::fmt;

use super::run::{DecayKind, Precision, RunConfig};
use crate::model::{ModelName, ResNetVariant};

/// One trick of the paper that a config has on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trick {
    /// Sec. 3.1: lr = 0.1 x batch / 256.
    LinearScaling,
    /// Sec. 3.1: lr warmup.
    Warmup,
    /// Sec. 3.1: gamma = 0 in the last BN of every residual block.
    ZeroGamma,
    /// Sec. 3.1: no weight decay on biases and BN parameters.
    NoBiasDecay,
    /// Sec. 3.2: FP16 (or BF16) training.
    LowPrecision(Precision),
    /// Sec. 4: ResNet-B, -C or -D.
    ResNetTweak(ResNetVariant),
    /// Sec. 5.1: cosine learning-rate decay.
    Cosine,
    /// Sec. 5.2.
    LabelSmoothing,
    /// Sec. 5.3: knowledge distillation.
    Distillation,
    /// Sec. 5.4.
    Mixup,
}

impl Trick {
    /// Short name for lists: `linear-scaling`, `warmup`, `zero-gamma`, `no-bias-decay`,
    /// `fp16`, `resnet-d`, `cosine`, `label-smoothing`, `distill`, `mixup`.
    pub fn short_name(self) -> String {
        match self {
            Trick::LinearScaling => "linear-scaling".into(),
            Trick::Warmup => "warmup".into(),
            Trick::ZeroGamma => "zero-gamma".into(),
            Trick::NoBiasDecay => "no-bias-decay".into(),
            Trick::LowPrecision(Precision::Fp16) => "fp16".into(),
            Trick::LowPrecision(Precision::Bf16) => "bf16".into(),
            Trick::ResNetTweak(v) => format!("resnet-{}", v.to_string().to_lowercase()),
            Trick::Cosine => "cosine".into(),
            Trick::LabelSmoothing => "label-smoothing".into(),
            Trick::Distillation => "distill".into(),
            Trick::Mixup => "mixup".into(),
        }
    }
}

impl fmt::Display for Trick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short_name())
    }
}

impl RunConfig {
    /// The tricks this config has on, in the order the paper adds them. A switch that has
    /// nothing to act on is left out: zero gamma and the ResNet tweaks outside ResNets.
    pub fn tricks(&self) -> Vec<Trick> {
        let resnet = matches!(self.model.name, ModelName::ResNet(_));
        let mut tricks = Vec::new();
        let mut add = |on: bool, trick: Trick| {
            if on {
                tricks.push(trick);
            }
        };
        add(self.linear_scaling.enabled, Trick::LinearScaling);
        add(self.warmup.enabled, Trick::Warmup);
        add(self.zero_gamma.enabled && resnet, Trick::ZeroGamma);
        add(self.no_bias_decay.enabled, Trick::NoBiasDecay);
        add(
            self.low_precision.enabled,
            Trick::LowPrecision(self.low_precision.dtype),
        );
        add(
            resnet && self.model.variant != ResNetVariant::A,
            Trick::ResNetTweak(self.model.variant),
        );
        add(self.schedule.decay == DecayKind::Cosine, Trick::Cosine);
        add(self.label_smoothing.enabled, Trick::LabelSmoothing);
        add(self.distillation.enabled, Trick::Distillation);
        add(self.mixup.enabled, Trick::Mixup);
        tricks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_has_linear_scaling_and_resnet_b_only() {
        let tricks = RunConfig::default().tricks();
        assert_eq!(
            tricks,
            [Trick::LinearScaling, Trick::ResNetTweak(ResNetVariant::B)]
        );
    }

    #[test]
    fn zero_gamma_and_variants_only_count_for_resnets() {
        let mut c = RunConfig::default();
        c.model.name = ModelName::MobileNet;
        c.zero_gamma.enabled = true;
        c.linear_scaling.enabled = false;
        c.mixup.enabled = true;
        assert_eq!(c.tricks(), [Trick::Mixup]);
        assert_eq!(
            Trick::ResNetTweak(ResNetVariant::D).short_name(),
            "resnet-d"
        );
    }
}
