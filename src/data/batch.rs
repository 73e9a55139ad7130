//! What the loader hands out: a batch on the host (with a way onto a burn device) and the
//! statistics of an epoch.

use std::time::Duration;

use burn::tensor::{Device, Int, Tensor, TensorData};

/// How many skipped-image messages an epoch keeps for the log.
pub const SKIPPED_EXAMPLES: usize = 10;

/// One batch on the host: `images` is `[len, 3, size, size]` row-major f32.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub images: Vec<f32>,
    pub labels: Vec<i64>,
    /// Dataset indices of the images, in batch order.
    pub indices: Vec<usize>,
    pub size: usize,
}

impl Batch {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// `([n, 3, size, size]` f32, `[n]` Int) on `device`, copying the host data.
    pub fn to_tensors(&self, device: &Device) -> (Tensor<4>, Tensor<1, Int>) {
        self.clone().into_tensors(device)
    }

    /// As [`Self::to_tensors`], handing the host buffers over instead of copying them.
    pub fn into_tensors(self, device: &Device) -> (Tensor<4>, Tensor<1, Int>) {
        let n = self.len();
        let images = Tensor::<4>::from_data(
            TensorData::new(self.images, [n, 3, self.size, self.size]),
            device,
        );
        let labels = Tensor::<1, Int>::from_data(TensorData::new(self.labels, [n]), device);
        (images, labels)
    }
}

/// What an epoch has done so far (or in total, once finished).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EpochStats {
    pub batches: usize,
    pub images: usize,
    /// Images left out because they could not be read or decoded.
    pub skipped: usize,
    /// The first [`SKIPPED_EXAMPLES`] reasons, each naming the file.
    pub skipped_examples: Vec<String>,
    /// Since the epoch started.
    pub elapsed: Duration,
    /// Time the consumer spent blocked waiting for a batch.
    pub waited: Duration,
}

impl EpochStats {
    pub fn images_per_sec(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 { self.images as f64 / s } else { 0.0 }
    }
}
