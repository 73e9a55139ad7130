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
