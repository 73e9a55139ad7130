//! Which mixing a batch gets when CutMix is on, by timm's per-batch rule (`Mixup` with
//! `mode="batch"`, `_params_per_batch` in `timm/data/mixup.py`):
//!
//! - with probability `1 - probability` the batch is not mixed at all;
//! - otherwise, with both mixup and CutMix on, CutMix with probability `switch_probability`
//!   (lambda ~ Beta(cutmix_alpha)) and mixup the rest of the time (lambda ~ Beta(mixup_alpha));
//!   with only CutMix on, always CutMix;
//! - a CutMix lambda is then corrected to its box's true area ([`super::cutmix`]).
//!
//! Each image is mixed with a partner from a random permutation of the batch, as
//! [`super::mixup::Mixer`] pairs them.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_distr::{Beta, Distribution};

use super::cutmix::CutBox;
use super::loss::MixPlan;

/// timm's `Mixup(mixup_alpha, cutmix_alpha, prob, switch_prob)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MixRule {
    /// `None`: mixup off.
    pub mixup_alpha: Option<f64>,
    pub cutmix_alpha: f64,
    /// timm's `mixup_prob`: the chance that a batch is mixed at all.
    pub probability: f64,
    /// timm's `mixup_switch_prob`: with both on, the chance of CutMix rather than mixup.
    pub switch_probability: f64,
}

/// What one batch gets.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchMix {
    Mixup(MixPlan),
    /// The plan's lambda is already corrected to the box.
    CutMix(MixPlan, CutBox),
}

impl BatchMix {
    pub fn plan(&self) -> &MixPlan {
        match self {
            BatchMix::Mixup(p) | BatchMix::CutMix(p, _) => p,
        }
    }
}

impl MixRule {
    /// The mixing of a batch of `n` images of `side` x `side`, drawn from `seed`; `None` for
    /// a batch left as it is.
    pub fn draw(&self, n: usize, side: usize, seed: u64) -> Option<BatchMix> {
        let mut rng = StdRng::seed_from_u64(seed);
        if rng.random::<f64>() >= self.probability {
            return None;
        }
        let cutmix = match self.mixup_alpha {
            Some(_) => rng.random::<f64>() < self.switch_probability,
            None => true,
        };
        let alpha = if cutmix {
            self.cutmix_alpha
        } else {
            self.mixup_alpha.expect("mixup on")
        };
        let lambda = Beta::new(alpha, alpha)
            .expect("alpha > 0 is validated")
            .sample(&mut rng);
        let mut partner: Vec<usize> = (0..n).collect();
        partner.shuffle(&mut rng);
        if !cutmix {
            return Some(BatchMix::Mixup(MixPlan { lambda, partner }));
        }
        let cy = rng.random_range(0..side);
        let cx = rng.random_range(0..side);
        let cut = CutBox::around(side, side, lambda, cy, cx);
        let lambda = cut.corrected_lambda(side, side);
        Some(BatchMix::CutMix(MixPlan { lambda, partner }, cut))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(rule: MixRule) -> (usize, usize, usize) {
        let (mut none, mut mixup, mut cutmix) = (0, 0, 0);
        for seed in 0..2000 {
            match rule.draw(8, 16, seed) {
                None => none += 1,
                Some(BatchMix::Mixup(_)) => mixup += 1,
                Some(BatchMix::CutMix(plan, cut)) => {
                    cutmix += 1;
                    assert!((plan.lambda - cut.corrected_lambda(16, 16)).abs() < 1e-12);
                }
            }
        }
        (none, mixup, cutmix)
    }

    #[test]
    fn switch_probability_splits_batches_between_mixup_and_cutmix() {
        let both = MixRule {
            mixup_alpha: Some(0.1),
            cutmix_alpha: 1.0,
            probability: 1.0,
            switch_probability: 0.5,
        };
        let (none, mixup, cutmix) = counts(both);
        assert_eq!(none, 0);
        // 2000 fair coin flips: 1000 +- 3 sigma (67).
        assert!(
            (933..=1067).contains(&cutmix),
            "{mixup} mixup, {cutmix} cutmix"
        );
        let rarely = MixRule {
            probability: 0.25,
            switch_probability: 1.0,
            ..both
        };
        let (none, mixup, cutmix) = counts(rarely);
        assert_eq!(mixup, 0);
        assert!((1433..=1567).contains(&none), "{none} unmixed of 2000");
        assert_eq!(none + cutmix, 2000);
        let only_cutmix = MixRule {
            mixup_alpha: None,
            ..both
        };
        assert_eq!(counts(only_cutmix).2, 2000);
    }
}
