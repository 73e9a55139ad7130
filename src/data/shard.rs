//! Which images a rank of a data-parallel run reads.
//!
//! Training: every rank shuffles the epoch with the same seed, cuts the permutation into global
//! batches of `batch_size` images (the last partial one dropped, as on one device), and takes a
//! contiguous slice of `batch_size / ranks` from each. So at every step the ranks' batches are
//! disjoint and together are exactly the batch one device would train on, an epoch covers the
//! data once, and nothing is padded or repeated. (PyTorch's `DistributedSampler` instead deals
//! the permutation round-robin and pads it with repeats to a multiple of the world size; with
//! drop-last global batches the padding is never needed here.)
//!
//! Validation: rank r reads images r, r + ranks, r + 2 ranks, ...: every image exactly once over
//! all ranks, so the summed counts equal a single-device evaluation.

/// This process's share: rank `rank` of `ranks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub rank: usize,
    pub ranks: usize,
}

impl Default for Shard {
    fn default() -> Self {
        Shard::WHOLE
    }
}

impl Shard {
    /// A single process reads everything.
    pub const WHOLE: Shard = Shard { rank: 0, ranks: 1 };

    pub fn new(rank: usize, ranks: usize) -> Shard {
        assert!(ranks > 0 && rank < ranks, "rank {rank} of {ranks}");
        Shard { rank, ranks }
    }

    pub fn is_whole(&self) -> bool {
        self.ranks == 1
    }

    /// A rank's part of a global batch; the caller checks divisibility first
    /// ([`Self::check_batch`]).
    pub fn local_batch(&self, global_batch: usize) -> usize {
        global_batch / self.ranks
    }

    /// `Err` with the reason when `global_batch` does not split evenly over the ranks.
    pub fn check_batch(&self, global_batch: usize) -> Result<(), String> {
        if !global_batch.is_multiple_of(self.ranks) || global_batch < self.ranks {
            return Err(format!(
                "batch_size = {global_batch} does not split over {} ranks: the global batch \
                 must be a multiple of the number of ranks (each rank trains on batch_size / \
                 ranks images)",
                self.ranks
            ));
        }
        Ok(())
    }

    /// This rank's images of an epoch's `order`, already cut to whole global batches: the
    /// `rank`-th slice of every global batch, in order.
    pub fn train_order(&self, order: &[usize], global_batch: usize) -> Vec<usize> {
        let local = self.local_batch(global_batch);
        order
            .chunks(global_batch)
            .filter(|batch| batch.len() == global_batch)
            .flat_map(|batch| &batch[self.rank * local..(self.rank + 1) * local])
            .copied()
            .collect()
    }

    /// This rank's validation images out of `len`: every `ranks`-th from `rank`.
    pub fn val_order(&self, len: usize) -> Vec<usize> {
        (self.rank..len).step_by(self.ranks).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_split_each_global_batch_into_disjoint_slices() {
        let order: Vec<usize> = (0..12).rev().collect(); // 11, 10, ..., 0
        let a = Shard::new(0, 2).train_order(&order, 6);
        let b = Shard::new(1, 2).train_order(&order, 6);
        assert_eq!(a, [11, 10, 9, 5, 4, 3]);
        assert_eq!(b, [8, 7, 6, 2, 1, 0]);
        // Step by step, the two local batches of 3 make the global batch of 6.
        assert_eq!([&a[..3], &b[..3]].concat(), order[..6]);
    }

    #[test]
    fn an_incomplete_global_batch_is_dropped_by_every_rank() {
        let order: Vec<usize> = (0..7).collect();
        assert_eq!(Shard::new(0, 2).train_order(&order, 4), [0, 1]);
        assert_eq!(Shard::new(1, 2).train_order(&order, 4), [2, 3]);
    }

    #[test]
    fn validation_reads_every_image_once() {
        let mut all: Vec<usize> = (0..3)
            .flat_map(|r| Shard::new(r, 3).val_order(10))
            .collect();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(Shard::new(2, 3).val_order(10), [2, 5, 8]);
    }

    #[test]
    fn the_global_batch_must_split_evenly() {
        assert!(Shard::new(0, 4).check_batch(256).is_ok());
        let err = Shard::new(0, 3).check_batch(256).unwrap_err();
        assert!(
            err.contains("batch_size = 256") && err.contains("3 ranks"),
            "{err}"
        );
        assert!(Shard::new(0, 4).check_batch(2).is_err());
    }

    #[test]
    fn whole_is_the_identity() {
        let order: Vec<usize> = (0..10).collect();
        assert_eq!(Shard::WHOLE.train_order(&order, 5), order);
        assert_eq!(Shard::WHOLE.val_order(4), [0, 1, 2, 3]);
    }
}
