//! AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019), step for step
//! `torch.optim.AdamW`:
//!
//! ```text
//! w <- w (1 - lr wd)                        (decoupled decay, before the moment update)
//! m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2
//! w <- w - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
//! ```
//!
//! burn 0.22.1's `AdamW` computes exactly this (its `epsilon` is added to `sqrt(v_hat)` as in
//! torch, and it decays `w (1 - lr wd)` before subtracting the step); only its defaults differ
//! (eps 1e-5, wd 1e-4), so it is configured here with torch's eps = 1e-8 unless told otherwise.

use burn::optim::{AdamW, AdamWConfig, ModuleOptimizer};

use super::adaptive::{Moments, with_no_bias_decay};

/// torch.optim.AdamW's defaults.
pub const ADAMW_DEFAULTS: Moments = Moments {
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
};

fn adamw(m: Moments, weight_decay: f64) -> AdamW {
    AdamWConfig::new()
        .with_beta_1(m.beta1 as f32)
        .with_beta_2(m.beta2 as f32)
        .with_epsilon(m.epsilon as f32)
        .with_weight_decay(weight_decay as f32)
        .build()
}

/// AdamW over a whole model; with no-bias-decay, biases and BN parameters get no decay.
pub fn adamw_optimizer(m: Moments, weight_decay: f64, no_bias_decay: bool) -> ModuleOptimizer {
    with_no_bias_decay(adamw(m, weight_decay), adamw(m, 0.0), no_bias_decay)
}

#[cfg(test)]
mod tests {
    use super::super::toy::{Toy, three_steps};
    use super::*;

    /// loss = 3 |w|^2 + |b|^2 from w = (1, -2), b = 0.5; lr 0.1, wd 0.01 on w only
    /// (no-bias-decay), betas (0.9, 0.999), eps 1e-8. Worked out with the formula in the
    /// module docs (in f64; `torch.optim.AdamW` in double precision prints the same 9 digits).
    /// Step 1: w = (1 - 0.001) w - 0.1 sign(g) = (0.899, -1.898), b = 0.5 - 0.1 = 0.4 (to 1e-9).
    #[test]
    fn adamw_matches_torch_over_three_steps() {
        let mut optim = adamw_optimizer(ADAMW_DEFAULTS, 0.01, true);
        let expected = [
            ([0.899_000_000, -1.898_000_000], 0.400_000_001),
            ([0.798_519_026, -1.796_272_588], 0.301_187_422),
            ([0.698_911_182, -1.694_944_514], 0.204_871_253),
        ];
        three_steps(&mut optim, Toy::new(), &expected, None);
    }
}
