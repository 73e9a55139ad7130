//! The loader: decoding and augmentation on a pool of worker threads, batches handed to the
//! trainer in a fixed order.
//!
//! Per epoch the images are shuffled by (seed, epoch) and cut into batches (the last, partial
//! one dropped for training). Workers take whole batches, or parts of one when fewer batches
//! than workers may be in flight; the consumer keeps at most `prefetch` batches requested ahead of the one it returns, so memory stays at
//! `prefetch` batches whatever the dataset size. Because every image draws its augmentation
//! from (seed, epoch, index), batches are the same bytes whatever the number of workers.
//!
//! An image that cannot be read or decoded is left out of its batch and counted
//! ([`EpochStats::skipped`]); an epoch in which nothing at all could be read is an error.
//! Dropping the [`Epoch`] stops the workers (each finishes at most the image in hand).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};

pub use super::batch::{Batch, EpochStats, SKIPPED_EXAMPLES};
use super::randaugment::RandAugment;
use super::repeated_augment::{epoch_len, repeated_order};
use super::rng::{DataRng, derive, stream};
use super::shard::Shard;
use super::transform::{TrainTransform, Transform, ValTransform};
use super::worker::{Job, Part, PartResult, Worker};
use super::{DataError, Dataset};
use crate::config::RunConfig;

/// How a loader batches and schedules.
#[derive(Debug, Clone, PartialEq)]
pub struct LoaderOptions {
    pub batch_size: usize,
    pub shuffle: bool,
    pub drop_last: bool,
    /// Worker threads; 0 = one per core.
    pub workers: usize,
    /// Batches requested ahead of the one being returned (at least 1).
    pub prefetch: usize,
    pub seed: u64,
}

/// Batches of one dataset through one transform, epoch after epoch.
#[derive(Clone)]
pub struct Loader {
    dataset: Arc<dyn Dataset>,
    transform: Arc<Transform>,
    options: LoaderOptions,
    /// Repeated augmentation: copies of each image per epoch (1 = off).
    repeats: usize,
    /// This rank's share of each epoch (the whole data on one process).
    shard: Shard,
}

impl Loader {
    pub fn new(
        dataset: Arc<dyn Dataset>,
        transform: Transform,
        mut options: LoaderOptions,
    ) -> Self {
        if options.workers == 0 {
            options.workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        }
        options.batch_size = options.batch_size.max(1);
        options.prefetch = options.prefetch.max(1);
        Loader {
            dataset,
            transform: Arc::new(transform),
            options,
            shard: Shard::WHOLE,
            repeats: 1,
        }
    }

    /// The same loader with repeated augmentation: each epoch shows images `repeats` times in
    /// a row, with different augmentations ([`super::repeated_augment`]).
    pub fn with_repeated_augment(mut self, repeats: usize) -> Loader {
        self.repeats = repeats.max(1);
        self
    }

    /// The same dataset and schedule with images of `size` x `size` (progressive resizing).
    pub fn with_size(&self, size: usize) -> Loader {
        let mut l = self.clone();
        l.transform = Arc::new(self.transform.with_size(size));
        l
    }

    /// Samples in one epoch: the dataset, or fewer with repeated augmentation.
    pub fn epoch_samples(&self) -> usize {
        match self.repeats {
            1 => self.dataset.len(),
            r => epoch_len(self.dataset.len(), r),
        }
    }

    /// The paper's training pipeline at `model.input`: shuffled, last partial batch dropped.
    pub fn train(dataset: Arc<dyn Dataset>, config: &RunConfig) -> Self {
        // RandAugment and repeated augmentation: after the paper, off unless configured.
        let transform = TrainTransform::new(config.model.input, &config.augment)
            .with_randaugment(RandAugment::from_config(&config.randaugment));
        Self::new(
            dataset,
            Transform::Train(transform),
            Self::options(config, true),
        )
        .with_repeated_augment(config.repeated_augment.repeats())
    }

    /// The validation pipeline: in order, every image.
    pub fn val(dataset: Arc<dyn Dataset>, config: &RunConfig) -> Self {
        let transform = Transform::Val(ValTransform::new(config.model.input, &config.augment));
        Self::new(dataset, transform, Self::options(config, false))
    }

    fn options(config: &RunConfig, train: bool) -> LoaderOptions {
        LoaderOptions {
            batch_size: config.batch_size,
            shuffle: train,
            drop_last: train,
            workers: config.data.workers,
            prefetch: config.data.prefetch,
            seed: config.seed,
        }
    }

    pub fn options_used(&self) -> &LoaderOptions {
        &self.options
    }

    pub fn dataset(&self) -> &Arc<dyn Dataset> {
        &self.dataset
    }

    /// The same loader reading only `shard`'s images (see [`Shard`]): `batch_size` stays the
    /// global batch; each of this rank's batches has `batch_size / ranks` images.
    pub fn with_shard(&self, shard: Shard) -> Loader {
        let mut l = self.clone();
        l.shard = shard;
        l
    }

    /// Batches per epoch (before any skipping).
    pub fn batches_per_epoch(&self) -> usize {
        let (n, b) = (self.epoch_samples(), self.options.batch_size);
        if self.options.drop_last {
            n / b
        } else {
            n.div_ceil(b)
        }
    }

    /// The same dataset and transform with another batch size.
    pub fn with_batch_size(&self, batch_size: usize) -> Loader {
        let mut l = self.clone();
        l.options.batch_size = batch_size.max(1);
        l
    }

    /// Starts epoch `epoch`: workers begin at once and stop when the iterator is dropped.
    pub fn epoch(&self, epoch: usize) -> Epoch {
        self.epoch_from(epoch, 0)
    }

    /// Epoch `epoch` from its batch `skip` on (a run resumed in the middle of an epoch): the
    /// batches returned are exactly those [`Self::epoch`] returns after its first `skip`, same
    /// images, same augmentation.
    pub fn epoch_from(&self, epoch: usize, skip: usize) -> Epoch {
        let o = &self.options;
        let mut order: Vec<usize> = (0..self.dataset.len()).collect();
        if o.shuffle {
            DataRng::new(derive(&[stream::SHUFFLE, o.seed, epoch as u64])).shuffle(&mut order);
        }
        if self.repeats > 1 {
            order = repeated_order(&order, self.repeats);
        }
        let all_batches = self.batches_per_epoch();
        order.truncate((all_batches * o.batch_size).min(order.len()));
        let skip = skip.min(all_batches);
        let order = order.split_off((skip * o.batch_size).min(order.len()));
        let (order, batch_size) = if self.shard.is_whole() {
            (order, o.batch_size)
        } else if o.shuffle || o.drop_last {
            let local = self.shard.local_batch(o.batch_size).max(1);
            (self.shard.train_order(&order, o.batch_size), local)
        } else {
            let mine = self.shard.val_order(order.len());
            (mine.into_iter().map(|i| order[i]).collect(), o.batch_size)
        };
        let batches = if self.shard.is_whole() || o.drop_last {
            all_batches - skip
        } else {
            order.len().div_ceil(batch_size)
        };
        let order: Arc<[usize]> = order.into();
        // With at least as many batches in flight as workers, each worker makes whole batches
        // (nothing to copy); with fewer, batches are split so every worker has work.
        let parts = o.workers.div_ceil(o.prefetch).clamp(1, batch_size);

        let (job_tx, job_rx) = crossbeam_channel::unbounded::<Job>();
        let (out_tx, out_rx) = crossbeam_channel::unbounded::<PartResult>();
        let cancel = Arc::new(AtomicBool::new(false));
        let workers = (0..o.workers)
            .map(|_| {
                let w = Worker {
                    dataset: self.dataset.clone(),
                    transform: self.transform.clone(),
                    order: order.clone(),
                    seed: o.seed,
                    epoch,
                    cancel: cancel.clone(),
                };
                let (rx, tx) = (job_rx.clone(), out_tx.clone());
                std::thread::Builder::new()
                    .name("botui-data".into())
                    .spawn(move || w.run(rx, tx))
                    .expect("spawning a data worker thread")
            })
            .collect();
        let mut e = Epoch {
            jobs: Some(job_tx),
            results: out_rx,
            workers,
            cancel,
            order,
            batch_size,
            parts,
            batches,
            prefetch: o.prefetch,
            issued: 0,
            next: 0,
            pending: HashMap::new(),
            size: self.transform.size(),
            started: Instant::now(),
            finished: None,
            stats: EpochStats::default(),
            reported_empty: false,
        };
        e.issue();
        e
    }
}

/// One epoch's batches, in order. Dropping it stops the workers.
pub struct Epoch {
    jobs: Option<Sender<Job>>,
    results: Receiver<PartResult>,
    workers: Vec<JoinHandle<()>>,
    cancel: Arc<AtomicBool>,
    order: Arc<[usize]>,
    batch_size: usize,
    parts: usize,
    batches: usize,
    prefetch: usize,
    /// Batches sent to the workers so far.
    issued: usize,
    /// The batch to return next.
    next: usize,
    pending: HashMap<usize, Vec<Option<Part>>>,
    size: usize,
    started: Instant,
    finished: Option<Instant>,
    stats: EpochStats,
    reported_empty: bool,
}

impl Epoch {
    /// Statistics so far; final once the iterator has returned `None`.
    pub fn stats(&self) -> EpochStats {
        let mut s = self.stats.clone();
        s.elapsed = self.finished.unwrap_or_else(Instant::now) - self.started;
        s
    }

    /// Batches this epoch will return (fewer if whole batches are unreadable).
    pub fn batches(&self) -> usize {
        self.batches
    }

    /// Keeps `prefetch` batches requested ahead of `next`.
    fn issue(&mut self) {
        let Some(jobs) = &self.jobs else { return };
        while self.issued < self.batches && self.issued < self.next + self.prefetch {
            let b = self.issued;
            let (start, end) = (
                b * self.batch_size,
                ((b + 1) * self.batch_size).min(self.order.len()),
            );
            let chunk = (end - start).div_ceil(self.parts);
            for (part, s) in (start..end).step_by(chunk).enumerate() {
                let job = Job {
                    batch: b,
                    part,
                    start: s,
                    end: (s + chunk).min(end),
                };
                if jobs.send(job).is_err() {
                    return;
                }
            }
            self.pending.insert(
                b,
                (0..(end - start).div_ceil(chunk)).map(|_| None).collect(),
            );
            self.issued += 1;
        }
    }

    /// Waits for every part of batch `self.next`.
    fn wait_for_next(&mut self) -> Result<Vec<Part>, DataError> {
        loop {
            if let Some(parts) = self.pending.get(&self.next)
                && parts.iter().all(Option::is_some)
            {
                let parts = self.pending.remove(&self.next).expect("present");
                return Ok(parts.into_iter().map(|p| p.expect("complete")).collect());
            }
            let t = Instant::now();
            let received = self.results.recv();
            self.stats.waited += t.elapsed();
            let r = received
                .map_err(|_| DataError::WorkerFailed("all data workers have exited".into()))?;
            let part = r
                .outcome
                .map_err(|p| DataError::WorkerFailed(format!("a worker panicked: {p}")))?;
            if let Some(slot) = self
                .pending
                .get_mut(&r.batch)
                .and_then(|v| v.get_mut(r.part))
            {
                *slot = Some(part);
            }
        }
    }

    fn finish(&mut self) {
        if self.finished.is_none() {
            self.finished = Some(Instant::now());
        }
        self.stop();
    }

    /// Joins the parts of one batch (moving, not copying, when there is only one) and counts
    /// what was skipped.
    fn assemble(&mut self, parts: Vec<Part>) -> Batch {
        let mut batch = Batch {
            images: Vec::new(),
            labels: Vec::new(),
            indices: Vec::new(),
            size: self.size,
        };
        let single = parts.len() == 1;
        for p in parts {
            if single {
                (batch.images, batch.labels, batch.indices) = (p.images, p.labels, p.indices);
            } else {
                batch.images.extend_from_slice(&p.images);
                batch.labels.extend_from_slice(&p.labels);
                batch.indices.extend_from_slice(&p.indices);
            }
            self.stats.skipped += p.skipped.len();
            let room = SKIPPED_EXAMPLES.saturating_sub(self.stats.skipped_examples.len());
            self.stats
                .skipped_examples
                .extend(p.skipped.into_iter().take(room));
        }
        batch
    }

    fn stop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        self.jobs = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

impl Iterator for Epoch {
    type Item = Result<Batch, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.next < self.batches {
            let parts = match self.wait_for_next() {
                Ok(p) => p,
                Err(e) => {
                    self.next = self.batches;
                    self.finish();
                    return Some(Err(e));
                }
            };
            self.next += 1;
            self.issue();
            let batch = self.assemble(parts);
            if batch.is_empty() {
                continue; // every image of this batch was unreadable: counted, nothing to return
            }
            self.stats.batches += 1;
            self.stats.images += batch.len();
            return Some(Ok(batch));
        }
        self.finish();
        if self.stats.images == 0 && self.stats.skipped > 0 && !self.reported_empty {
            self.reported_empty = true;
            return Some(Err(DataError::NothingReadable {
                count: self.stats.skipped,
                first: self
                    .stats
                    .skipped_examples
                    .first()
                    .cloned()
                    .unwrap_or_default(),
            }));
        }
        None
    }
}

impl Drop for Epoch {
    fn drop(&mut self) {
        self.stop();
    }
}
