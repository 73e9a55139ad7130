//! What the trainer needs from a dataset: batches of normalized images on the host, epoch by
//! epoch, in an order fixed by the seed. The data module's loader implements it; tests use
//! [`ColorSource`], a tiny learnable dataset.

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::data::shard::Shard;

/// One batch on the host: images `[n, 3, side, side]` row-major, already normalized.
#[derive(Debug, Clone, PartialEq)]
pub struct HostBatch {
    pub images: Vec<f32>,
    pub labels: Vec<usize>,
    pub side: usize,
}

impl HostBatch {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The images as a tensor on `device`.
    pub fn images_tensor(&self, device: &Device) -> Tensor<4> {
        let shape = [self.len(), 3, self.side, self.side];
        Tensor::from_data(TensorData::new(self.images.clone(), shape), device)
    }

    /// The labels as an Int tensor on `device`.
    pub fn labels_tensor(&self, device: &Device) -> Tensor<1, Int> {
        let labels: Vec<i64> = self.labels.iter().map(|&l| l as i64).collect();
        Tensor::from_data(TensorData::new(labels, [self.len()]), device)
    }
}

pub type BatchIter<'a> = Box<dyn Iterator<Item = Result<HostBatch, String>> + 'a>;

/// A dataset as the trainer sees it.
pub trait BatchSource: Send {
    fn classes(&self) -> &[String];
    fn train_len(&self) -> usize;
    /// Samples in one training epoch: [`BatchSource::train_len`], or fewer with repeated
    /// augmentation (each of them shown several times).
    fn train_epoch_len(&self) -> usize {
        self.train_len()
    }
    fn val_len(&self) -> usize;
    /// The training batches of `epoch` (0-based) of `batch_size` images, shuffled by the
    /// seed and the epoch, the last incomplete batch dropped, starting at batch `skip` (a run
    /// resumed in the middle of an epoch).
    fn train_epoch(&mut self, epoch: usize, batch_size: usize, skip: usize) -> BatchIter<'_>;
    /// The validation set in a fixed order, every image once.
    fn val_epoch(&mut self, batch_size: usize) -> BatchIter<'_>;
    /// From now on, only `shard`'s images (a rank of a data-parallel run, see
    /// [`Shard`]): `train_epoch` still takes the global batch size and returns this rank's
    /// `batch_size / ranks` images of each global batch; `val_epoch` returns every
    /// `ranks`-th image.
    fn set_shard(&mut self, shard: Shard);
    /// Images skipped so far because they could not be read.
    fn skipped(&self) -> usize {
        0
    }
    /// Warnings for the run's log since the last call (unreadable images, by name).
    fn take_warnings(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// Batches per training epoch with drop-last.
pub fn batches_per_epoch(train_len: usize, batch_size: usize) -> usize {
    train_len / batch_size.max(1)
}

/// A dataset a CNN learns in a few iterations: class `c` is a colour `c` (evenly spaced hues)
/// plus Gaussian-ish noise. For tests of the training loop, not of models.
pub struct ColorSource {
    classes: Vec<String>,
    side: usize,
    train: usize,
    val: usize,
    seed: u64,
    shard: Shard,
}

impl ColorSource {
    pub fn new(classes: usize, side: usize, train: usize, val: usize, seed: u64) -> Self {
        Self {
            classes: (0..classes).map(|c| format!("color{c}")).collect(),
            side,
            train,
            val,
            seed,
            shard: Shard::WHOLE,
        }
    }

    fn image(&self, index: u64, label: usize, out: &mut Vec<f32>) {
        let k = self.classes.len() as f32;
        let hue = label as f32 / k * std::f32::consts::TAU;
        let base = [hue.cos(), (hue + 2.1).cos(), (hue + 4.2).cos()];
        let mut state = index.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ self.seed;
        for channel in base {
            for _ in 0..self.side * self.side {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let noise = ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 1.5;
                out.push(channel + noise);
            }
        }
    }

    fn batches(&self, offset: u64, order: Vec<usize>, batch_size: usize) -> BatchIter<'_> {
        let k = self.classes.len();
        Box::new(
            order
                .chunks(batch_size)
                .map(|chunk| chunk.to_vec())
                .collect::<Vec<_>>()
                .into_iter()
                .map(move |chunk| {
                    let mut images = Vec::with_capacity(chunk.len() * 3 * self.side * self.side);
                    let labels: Vec<usize> = chunk.iter().map(|&i| i % k).collect();
                    for (&i, &label) in chunk.iter().zip(&labels) {
                        self.image(offset + i as u64, label, &mut images);
                    }
                    Ok(HostBatch {
                        images,
                        labels,
                        side: self.side,
                    })
                }),
        )
    }
}

impl BatchSource for ColorSource {
    fn classes(&self) -> &[String] {
        &self.classes
    }

    fn train_len(&self) -> usize {
        self.train
    }

    fn val_len(&self) -> usize {
        self.val
    }

    fn train_epoch(&mut self, epoch: usize, batch_size: usize, skip: usize) -> BatchIter<'_> {
        let mut order: Vec<usize> = (0..self.train).collect();
        // A cheap seeded shuffle: sort by a hash of (seed, epoch, index).
        order.sort_by_key(|&i| {
            (i as u64 ^ (epoch as u64) << 32 ^ self.seed).wrapping_mul(0xD6E8_FEB8_6659_FD93)
        });
        let full = batches_per_epoch(self.train, batch_size) * batch_size;
        order.truncate(full);
        let order = order.split_off((skip * batch_size).min(full));
        let order = self.shard.train_order(&order, batch_size);
        self.batches(0, order, self.shard.local_batch(batch_size))
    }

    fn val_epoch(&mut self, batch_size: usize) -> BatchIter<'_> {
        self.batches(1 << 40, self.shard.val_order(self.val), batch_size)
    }

    fn set_shard(&mut self, shard: Shard) {
        self.shard = shard;
    }
}
