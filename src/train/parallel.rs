//! The trainer's side of data-parallel training: what one rank does differently from a single
//! process, in the paper's setting (Sec. 2, 8 GPUs: batch 256 = 8 x 32, BatchNorm statistics
//! per GPU).
//!
//! - `batch_size` is the global batch; each rank trains on `batch_size / ranks` images of every
//!   global batch (`data::shard`), so the learning rate, linear scaling and warmup see the same
//!   numbers as on one device;
//! - rank 0's initial (or resumed) weights are broadcast, then every step averages the gradients
//!   over the ranks before the optimizer, so the replicas stay identical;
//! - BatchNorm normalizes each replica's batch with its own statistics (the paper's setting;
//!   there is no synchronized BN); before validation, rank 0's running statistics are
//!   broadcast, so every rank evaluates the model rank 0 saves;
//! - the step's loss sum, correct count and a stop request ride along in the gradient
//!   all-reduce: logged numbers are over the global batch, and a stop asked on any rank stops
//!   every rank after the same iteration.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

use crate::config::RunConfig;
use crate::data::shard::Shard;
use crate::device::DeviceName;
use crate::dist::{DistError, Ranks, World};
use crate::model::{Model, is_running_stat};

/// One step's numbers over the ranks (or this rank's, before the reduction).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepTotals {
    /// Sum of per-image losses (mean loss x images).
    pub loss_sum: f64,
    /// Images classified correctly, when measured (not on mixed batches).
    pub correct: Option<f64>,
    pub images: f64,
    /// Whether a rank asked to stop after this step.
    pub stop: bool,
}

/// Validation counts summed over the ranks.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ValTotals {
    pub loss_sum: f64,
    pub top1: f64,
    pub top5: f64,
    pub images: f64,
}

/// This rank, joined to the others for one run.
pub struct DataParallel {
    ranks: Ranks,
    pub shard: Shard,
}

impl DataParallel {
    /// Joins the run's other ranks, checks that `batch_size` splits over them, and that every
    /// rank trains rank 0's config; `device` is this rank's own ([`World::device`]).
    pub fn join(
        world: World,
        config: &RunConfig,
        device: DeviceName,
    ) -> Result<DataParallel, DistError> {
        let shard = Shard::new(world.rank, world.size);
        let rank = world.rank;
        shard
            .check_batch(config.batch_size)
            .map_err(|message| DistError::Other { rank, message })?;
        let mut ranks = Ranks::join(world, device)?;
        ranks.sync_config(config)?;
        Ok(DataParallel { ranks, shard })
    }

    pub fn rank(&self) -> usize {
        self.shard.rank
    }

    pub fn size(&self) -> usize {
        self.shard.ranks
    }

    /// Rank 0 writes the run folder, logs and checkpoints.
    pub fn is_leader(&self) -> bool {
        self.shard.rank == 0
    }

    pub fn world(&self) -> &World {
        self.ranks.world()
    }

    /// Rank 0's weights on every rank (a new run's random init, or the resumed checkpoint).
    pub fn share_weights(&mut self, model: Model) -> Result<Model, DistError> {
        self.ranks.broadcast_module(model)
    }

    /// Rank 0's BatchNorm running statistics (and weights) in the model every rank validates.
    pub fn share_eval_model(&mut self, model: Model) -> Result<Model, DistError> {
        self.ranks.broadcast_module(model)
    }

    /// The gradients averaged over the ranks, and the step's totals summed over them.
    pub fn average_grads(
        &mut self,
        model: &Model,
        grads: GradientsParams,
        local: StepTotals,
    ) -> Result<(GradientsParams, StepTotals), DistError> {
        let extra = [
            local.loss_sum,
            local.correct.unwrap_or(0.0),
            local.images,
            f64::from(u8::from(local.stop)),
        ];
        let (grads, sums) = self.ranks.all_reduce_grads(model, grads, &extra)?;
        let totals = StepTotals {
            loss_sum: sums[0],
            correct: local.correct.map(|_| sums[1]),
            images: sums[2],
            stop: sums[3] > 0.5,
        };
        Ok((grads, totals))
    }

    /// An error when this rank's trained weights are not rank 0's (BatchNorm's running
    /// statistics may differ: they are per replica). Replicas that start equal and apply the
    /// same averaged gradients stay equal; this catches ranks that trained apart.
    pub fn check_replicas(&mut self, model: &Model, epoch: usize) -> Result<(), DistError> {
        let mine = fingerprint(model);
        let leader = self.is_leader();
        let theirs = self
            .ranks
            .sum(&mine.map(|v| if leader { v } else { 0.0 }))?;
        let close = |x: f64, y: f64| (x - y).abs() <= 1e-6 * y.abs().max(1.0);
        let differs = !(close(mine[0], theirs[0]) && close(mine[1], theirs[1]));
        let apart = self.ranks.sum(&[f64::from(u8::from(differs))])?[0];
        if apart > 0.5 {
            return Err(DistError::Other {
                rank: self.rank(),
                message: format!(
                    "after epoch {epoch} the weights of {apart} rank(s) differ from rank 0's \
                     ({}): the replicas trained apart",
                    if differs {
                        "this rank among them"
                    } else {
                        "not this rank's"
                    }
                ),
            });
        }
        Ok(())
    }

    /// Validation counts summed over the ranks.
    pub fn sum_val(&mut self, local: ValTotals) -> Result<ValTotals, DistError> {
        let s = self
            .ranks
            .sum(&[local.loss_sum, local.top1, local.top5, local.images])?;
        Ok(ValTotals {
            loss_sum: s[0],
            top1: s[1],
            top5: s[2],
            images: s[3],
        })
    }

    /// Waits for every rank.
    pub fn barrier(&mut self, during: &str) -> Result<(), DistError> {
        self.ranks.barrier(during)
    }

    /// The end of the run on this rank (see [`Ranks::finish`]).
    pub fn finish(self) -> Result<(), DistError> {
        self.ranks.finish()
    }
}

/// The sum and the sum of squares of every trained weight (not BatchNorm's running statistics).
fn fingerprint(model: &Model) -> [f64; 2] {
    struct Sums {
        leaf: String,
        sums: [f64; 2],
    }
    impl ModuleVisitor for Sums {
        fn enter_module(&mut self, name: &str, _container_type: &str) {
            self.leaf = name.to_string();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if is_running_stat(&self.leaf) {
                return;
            }
            let w = param.val();
            self.sums[0] += w.clone().sum().into_scalar::<f32>() as f64;
            self.sums[1] += w.powi_scalar(2).sum().into_scalar::<f32>() as f64;
        }
    }
    let mut sums = Sums {
        leaf: String::new(),
        sums: [0.0; 2],
    };
    model.visit(&mut sums);
    sums.sums
}
