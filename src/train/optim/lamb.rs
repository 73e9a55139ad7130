//! LAMB (You et al., "Large Batch Optimization for Deep Learning", 2020) as timm's `Lamb`
//! implements it (the NVIDIA FusedLAMB variant), the optimizer of "ResNet strikes back" A1-A3:
//!
//! ```text
//! g <- g / max(||all gradients||_2 / max_grad_norm, 1)      (one norm over every group)
//! m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2
//! u <- (m / (1 - b1^t)) / (sqrt(v) / sqrt(1 - b2^t) + eps)
//! if wd != 0:  u <- u + wd w;  u <- u ||w|| / ||u||   (trust ratio; 1 if either norm is 0)
//! w <- w - lr u
//! ```
//!
//! timm's defaults: betas (0.9, 0.999), eps 1e-6, `max_grad_norm = 1.0`, and no trust ratio
//! for parameters without weight decay (`always_adapt = False`): under no-bias-decay, biases
//! and BN parameters take plain bias-corrected Adam steps.
//!
//! burn 0.22.1's `Lamb` computes the moments, bias correction, eps placement, decay and trust
//! ratio the same way, but applies the trust ratio whether or not the parameter decays and has
//! no global norm clipping; so the exempt group gets `use_trust_ratio = false` here, and the
//! clipping is [`super::clip::clip_global_norm`], which the training step calls first.

use burn::optim::{Lamb, LambConfig, ModuleOptimizer};

use super::adaptive::{Moments, with_no_bias_decay};

/// timm's `Lamb` defaults.
pub const LAMB_DEFAULTS: Moments = Moments {
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-6,
};

/// timm's `Lamb(max_grad_norm=1.0)`.
pub const LAMB_MAX_GRAD_NORM: f64 = 1.0;

fn lamb(m: Moments, weight_decay: f64) -> Lamb {
    LambConfig::new()
        .with_beta_1(m.beta1 as f32)
        .with_beta_2(m.beta2 as f32)
        .with_epsilon(m.epsilon as f32)
        .with_weight_decay(weight_decay as f32)
        .with_use_trust_ratio(weight_decay != 0.0)
        .build()
}

/// LAMB over a whole model; with no-bias-decay, biases and BN parameters get neither decay nor
/// the trust ratio (timm). Clip with [`super::clip::clip_global_norm`] before each step.
pub fn lamb_optimizer(m: Moments, weight_decay: f64, no_bias_decay: bool) -> ModuleOptimizer {
    with_no_bias_decay(lamb(m, weight_decay), lamb(m, 0.0), no_bias_decay)
}

#[cfg(test)]
mod tests {
    use super::super::toy::{Toy, three_steps};
    use super::*;

    /// loss = 3 |w|^2 + |b|^2 from w = (1, -2), b = 0.5; lr 0.1, wd 0.01 on w only, timm's
    /// defaults. Worked out with the formula in the module docs in f64 (timm's `Lamb` in double
    /// precision prints the same 9 digits). Step 1: ||g|| = ||(6, -12, 1)|| = 13.4536 > 1, so
    /// g is divided by 13.4536; u_w = (1, -1) + 0.01 w = (1.01, -1.02), trust ratio
    /// sqrt(5) / ||u_w|| = 1.55776, w = w - 0.1 (1.57334, -1.58892) = (0.842667, -1.841109);
    /// b takes 0.1 (1 - eps-sized term) without a trust ratio: 0.400001345.
    #[test]
    fn lamb_matches_timm_over_three_steps() {
        let mut optim = lamb_optimizer(LAMB_DEFAULTS, 0.01, true);
        let expected = [
            ([0.842_667_001, -1.841_109_071], 0.400_001_345),
            ([0.700_406_896, -1.697_026_575], 0.300_512_068),
            ([0.571_789_806, -1.566_021_483], 0.202_347_146),
        ];
        three_steps(&mut optim, Toy::new(), &expected, Some(LAMB_MAX_GRAD_NORM));
    }
}
