//! The optimizer: SGD with Nesterov momentum (NAG, the paper's) or heavy-ball momentum, with
//! weight decay, and the no-bias-decay trick (Sec. 3.1) as a second parameter group.
//!
//! The update is PyTorch's `torch.optim.SGD(momentum=mu, nesterov=..., weight_decay=wd)` step
//! for step: `g = grad + wd * w`; `b = g` on the first step, then `b = mu * b + g`; NAG uses
//! `g + mu * b`, plain SGD uses `b`; `w -= lr * that`. burn's `MomentumConfig` defaults to
//! dampening 0.1, which is not PyTorch's update: it is set to 0 here.

use burn::module::ParamGroup;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{ModuleOptimizer, SgdConfig};

use crate::config::{OptimizerKind, RunConfig};

pub mod adamw;
pub mod adaptive;
pub mod clip;
pub mod lamb;
#[cfg(test)]
mod toy;

/// Parameters that no-bias-decay exempts: biases and BN gamma/beta, as GluonCV's `--no-wd`
/// (`.*beta|.*gamma|.*bias`) selects them.
pub const NO_DECAY_PATTERN: &str = r"(^|\.)(bias|gamma|beta)$";

fn sgd(kind: OptimizerKind, momentum: f64, weight_decay: f64) -> SgdConfig {
    let momentum = (momentum > 0.0).then(|| {
        MomentumConfig::new()
            .with_momentum(momentum)
            .with_dampening(0.0)
            .with_nesterov(kind == OptimizerKind::Nag)
    });
    let decay = (weight_decay > 0.0).then(|| WeightDecayConfig::new(weight_decay as f32));
    SgdConfig::new()
        .with_momentum(momentum)
        .with_weight_decay(decay)
}

/// The global gradient-norm clip the optimizer asks for before each step (timm's `Lamb`
/// clips at 1), if any.
pub fn max_grad_norm(config: &RunConfig) -> Option<f64> {
    (config.optimizer.kind == OptimizerKind::Lamb).then_some(lamb::LAMB_MAX_GRAD_NORM)
}

/// The optimizer a run trains with: NAG or SGD (the paper's), LAMB or AdamW (after it); the
/// no-bias-decay trick applies to all four.
pub fn build_optimizer(config: &RunConfig) -> ModuleOptimizer {
    let o = &config.optimizer;
    let nbd = config.no_bias_decay.enabled;
    match o.kind {
        OptimizerKind::Lamb => {
            return lamb::lamb_optimizer(lamb::LAMB_DEFAULTS, o.weight_decay, nbd);
        }
        OptimizerKind::Adamw => {
            return adamw::adamw_optimizer(adamw::ADAMW_DEFAULTS, o.weight_decay, nbd);
        }
        OptimizerKind::Nag | OptimizerKind::Sgd => {}
    }
    let optim = sgd(o.kind, o.momentum, o.weight_decay).init();
    if !nbd {
        return optim;
    }
    let no_decay = ParamGroup::from_regex(NO_DECAY_PATTERN).expect("static pattern");
    optim.with_group(no_decay, sgd(o.kind, o.momentum, 0.0).build(), None)
}

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)] // tests read as "the default, except"
mod tests {
    use super::*;
    use burn::module::{Module, Param};
    use burn::optim::GradientsParams;
    use burn::tensor::{Device, Tensor};

    #[derive(Module, Debug)]
    struct Toy {
        weight: Param<Tensor<1>>,
        bias: Param<Tensor<1>>,
    }

    fn value(p: &Param<Tensor<1>>) -> f64 {
        p.val().into_data().try_into_vec::<f32>().unwrap()[0] as f64
    }

    /// Three steps of loss = w^2 + b^2 (gradient 2w) from w = b = 1, lr 0.1, momentum 0.9,
    /// weight decay 0.01, worked out by hand with PyTorch's formula (see the module docs).
    #[test]
    fn nag_matches_pytorch_over_three_steps_and_spares_biases() {
        let device = Device::flex().autodiff();
        let mut config = RunConfig::default();
        config.optimizer.kind = OptimizerKind::Nag;
        config.optimizer.momentum = 0.9;
        config.optimizer.weight_decay = 0.01;
        config.no_bias_decay.enabled = true;
        let mut optim = build_optimizer(&config);
        let mut toy = Toy {
            weight: Param::from_tensor(Tensor::from_floats([1.0], &device)),
            bias: Param::from_tensor(Tensor::from_floats([1.0], &device)),
        };
        // weight: decayed; bias: no decay.
        let expected_w = [0.6181, 0.219_237_61, -0.111_651_094_259];
        let expected_b = [0.62, 0.2224, -0.108_352];
        for step in 0..3 {
            let w = toy.weight.val();
            let b = toy.bias.val();
            let loss = (w.clone() * w + b.clone() * b).sum();
            let grads = GradientsParams::from_grads(loss.backward(), &toy);
            toy = optim.step(0.1, toy, grads);
            assert!(
                (value(&toy.weight) - expected_w[step]).abs() < 1e-5,
                "step {step}: weight {} vs {}",
                value(&toy.weight),
                expected_w[step]
            );
            assert!(
                (value(&toy.bias) - expected_b[step]).abs() < 1e-5,
                "step {step}: bias {} vs {}",
                value(&toy.bias),
                expected_b[step]
            );
        }
    }

    /// Heavy-ball momentum without decay: w1 = 1 - 0.1*2 = 0.8; b2 = 0.9*2 + 1.6 = 3.4,
    /// w2 = 0.8 - 0.34 = 0.46.
    #[test]
    fn plain_sgd_momentum_matches_pytorch() {
        let device = Device::flex().autodiff();
        let mut config = RunConfig::default();
        config.optimizer.kind = OptimizerKind::Sgd;
        config.optimizer.weight_decay = 0.0;
        let mut optim = build_optimizer(&config);
        let mut toy = Toy {
            weight: Param::from_tensor(Tensor::from_floats([1.0], &device)),
            bias: Param::from_tensor(Tensor::from_floats([0.0], &device)),
        };
        for expected in [0.8, 0.46] {
            let w = toy.weight.val();
            let loss = (w.clone() * w).sum() + toy.bias.val().sum();
            let grads = GradientsParams::from_grads(loss.backward(), &toy);
            toy = optim.step(0.1, toy, grads);
            assert!((value(&toy.weight) - expected).abs() < 1e-6);
        }
    }
}
