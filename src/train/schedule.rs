//! The learning rate of every iteration: linear scaling (Sec. 3.1), warmup (Sec. 3.1), and
//! step decay (the baseline, Sec. 2) or cosine decay (Sec. 5.1).
//!
//! Iterations are counted from 0 over the whole run. With `m` warmup iterations, iteration `k`
//! is the paper's batch `i = k + 1`, and for `k < m` the rate is `i * eta / m`. After warmup, with
//! `t = k - m` and `T = total - m` (warmup excluded), cosine decay gives
//! `0.5 * (1 + cos(t * pi / T)) * eta`, and step decay multiplies `eta` by `step_factor` once for
//! each boundary in `step_epochs` that the current epoch has reached.

use serde::{Deserialize, Serialize};

use crate::config::{DecayKind, RunConfig};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LrSchedule {
    /// eta: the rate after warmup (linear scaling already applied).
    pub peak: f64,
    pub iters_per_epoch: usize,
    pub total_iters: usize,
    pub warmup_iters: usize,
    pub decay: DecayKind,
    pub step_epochs: Vec<usize>,
    pub step_factor: f64,
}

impl LrSchedule {
    /// The schedule of a run whose epochs have `iters_per_epoch` batches.
    pub fn new(config: &RunConfig, iters_per_epoch: usize) -> Self {
        let iters_per_epoch = iters_per_epoch.max(1);
        let total_iters = config.epochs * iters_per_epoch;
        let warmup_iters = if config.warmup.enabled {
            ((config.warmup.epochs * iters_per_epoch as f64).round() as usize).min(total_iters)
        } else {
            0
        };
        Self {
            peak: config.peak_lr(),
            iters_per_epoch,
            total_iters,
            warmup_iters,
            decay: config.schedule.decay,
            step_epochs: config.schedule.step_epochs.clone(),
            step_factor: config.schedule.step_factor,
        }
    }

    /// The rate of iteration `k` (0-based over the whole run).
    pub fn lr(&self, k: usize) -> f64 {
        let eta = self.peak;
        let m = self.warmup_iters;
        if k < m {
            return (k + 1) as f64 * eta / m as f64;
        }
        match self.decay {
            DecayKind::Cosine => {
                let t = (k - m) as f64;
                let total = (self.total_iters - m).max(1) as f64;
                0.5 * (1.0 + (t * std::f64::consts::PI / total).cos()) * eta
            }
            DecayKind::Step => {
                let epoch = k / self.iters_per_epoch;
                let steps = self.step_epochs.iter().filter(|&&e| epoch >= e).count();
                eta * self.step_factor.powi(steps as i32)
            }
        }
    }

    /// The planned rate of every iteration of the run.
    pub fn plan(&self) -> Vec<f64> {
        (0..self.total_iters).map(|k| self.lr(k)).collect()
    }
}

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)] // tests read as "the default, except"
mod tests {
    use super::*;

    /// Batch 1024 (lr 0.1 x 1024 / 256 = 0.4), 10 epochs of 100 iterations, 2 warmup epochs.
    fn config(decay: DecayKind) -> RunConfig {
        let mut c = RunConfig::default();
        c.epochs = 10;
        c.batch_size = 1024;
        c.base_lr = 0.1;
        c.warmup.enabled = true;
        c.warmup.epochs = 2.0;
        c.schedule.decay = decay;
        c.schedule.step_epochs = vec![3, 6];
        c.schedule.step_factor = 0.1;
        c
    }

    fn assert_lr(s: &LrSchedule, k: usize, expected: f64) {
        let got = s.lr(k);
        assert!(
            (got - expected).abs() <= 1e-9 + 1e-7 * expected.abs(),
            "iteration {k}: lr {got} vs {expected}"
        );
    }

    #[test]
    fn warmup_then_cosine_by_hand() {
        let s = LrSchedule::new(&config(DecayKind::Cosine), 100);
        assert_eq!((s.total_iters, s.warmup_iters), (1000, 200));
        // Warmup: batch i = k + 1 gets i * 0.4 / 200.
        assert_lr(&s, 0, 0.002);
        assert_lr(&s, 99, 0.2);
        assert_lr(&s, 199, 0.4);
        // Cosine over T = 800 iterations, t = k - 200.
        assert_lr(&s, 200, 0.4);
        assert_lr(&s, 400, 0.341_421_356_237); // 0.2 (1 + cos(pi / 4))
        assert_lr(&s, 600, 0.2); // 0.2 (1 + cos(pi / 2))
        assert_lr(&s, 999, 1.542_126e-6); // 0.2 (1 - cos(pi / 800))
        assert_eq!(s.plan().len(), 1000);
    }

    #[test]
    fn warmup_then_step_by_hand() {
        let s = LrSchedule::new(&config(DecayKind::Step), 100);
        assert_lr(&s, 150, 0.302); // still warming up: 151 * 0.4 / 200
        assert_lr(&s, 250, 0.4); // epoch 2
        assert_lr(&s, 299, 0.4);
        assert_lr(&s, 300, 0.04); // epoch 3: first decay
        assert_lr(&s, 599, 0.04);
        assert_lr(&s, 600, 0.004); // epoch 6: second decay
        assert_lr(&s, 999, 0.004);
    }

    #[test]
    fn without_linear_scaling_or_warmup_the_base_lr_is_the_peak() {
        let mut c = config(DecayKind::Step);
        c.linear_scaling.enabled = false;
        c.warmup.enabled = false;
        let s = LrSchedule::new(&c, 100);
        assert_eq!(s.warmup_iters, 0);
        assert_lr(&s, 0, 0.1);
        assert_lr(&s, 300, 0.01);
    }
}
