//! The loader: decoding and augmentation on a pool of worker threads, batches handed to the
//! trainer in a fixed order.
//!
//! Per epoch the images are shuffled by (seed, epoch) and cut into batches (the last, partial
//! one dropped for training). Each batch is split into one part per worker; the consumer keeps
//! at most `prefetch` batches requested ahead of the one it returns, so memory stays at
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
use std::time::{Duration, Instant};

use burn::tensor::{Device, Int, Tensor, TensorData};
use crossbeam_channel::{Receiver, Sender};

use super::resample::Scratch;
use super::rng::{DataRng, derive, stream};
use super::transform::{TrainTransform, Transform, ValTransform};
use super::{DataError, Dataset};
use crate::config::RunConfig;

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

    /// `([n, 3, size, size]` f32, `[n]` Int) on `device`.
    pub fn to_tensors(&self, device: &Device) -> (Tensor<4>, Tensor<1, Int>) {
        let n = self.len();
        let images = Tensor::<4>::from_data(
            TensorData::new(self.images.clone(), [n, 3, self.size, self.size]),
            device,
        );
        let labels = Tensor::<1, Int>::from_data(TensorData::new(self.labels.clone(), [n]), device);
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
        }
    }

    /// The paper's training pipeline at `model.input`: shuffled, last partial batch dropped.
    pub fn train(dataset: Arc<dyn Dataset>, config: &RunConfig) -> Self {
        let transform = Transform::Train(TrainTransform::new(config.model.input, &config.augment));
        Self::new(dataset, transform, Self::options(config, true))
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

    /// Batches per epoch (before any skipping).
    pub fn batches_per_epoch(&self) -> usize {
        let (n, b) = (self.dataset.len(), self.options.batch_size);
        if self.options.drop_last {
            n / b
        } else {
            n.div_ceil(b)
        }
    }

    /// Starts epoch `epoch`: workers begin at once and stop when the iterator is dropped.
    pub fn epoch(&self, epoch: usize) -> Epoch {
        let o = &self.options;
        let mut order: Vec<usize> = (0..self.dataset.len()).collect();
        if o.shuffle {
            DataRng::new(derive(&[stream::SHUFFLE, o.seed, epoch as u64])).shuffle(&mut order);
        }
        let batches = self.batches_per_epoch();
        order.truncate((batches * o.batch_size).min(order.len()));
        let order: Arc<[usize]> = order.into();
        let parts = o.workers.min(o.batch_size).max(1);

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
            batch_size: o.batch_size,
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

/// Part `part` of batch `batch`: positions `start..end` of the epoch's order.
struct Job {
    batch: usize,
    part: usize,
    start: usize,
    end: usize,
}

struct PartResult {
    batch: usize,
    part: usize,
    outcome: Result<Part, String>,
}

#[derive(Default)]
struct Part {
    images: Vec<f32>,
    labels: Vec<i64>,
    indices: Vec<usize>,
    skipped: Vec<String>,
}

struct Worker {
    dataset: Arc<dyn Dataset>,
    transform: Arc<Transform>,
    order: Arc<[usize]>,
    seed: u64,
    epoch: usize,
    cancel: Arc<AtomicBool>,
}

impl Worker {
    fn run(self, jobs: Receiver<Job>, results: Sender<PartResult>) {
        let mut scratch = Scratch::default();
        while let Ok(job) = jobs.recv() {
            if self.cancel.load(Ordering::Relaxed) {
                return;
            }
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.part(&job, &mut scratch)
            }))
            .map_err(|panic| {
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panic".into())
            });
            if outcome.is_err() {
                scratch = Scratch::default();
            }
            let result = PartResult {
                batch: job.batch,
                part: job.part,
                outcome,
            };
            if results.send(result).is_err() {
                return;
            }
        }
    }

    fn part(&self, job: &Job, scratch: &mut Scratch) -> Part {
        let size = self.transform.size();
        let per_image = 3 * size * size;
        let mut part = Part {
            images: Vec::with_capacity((job.end - job.start) * per_image),
            ..Part::default()
        };
        for &index in &self.order[job.start..job.end] {
            if self.cancel.load(Ordering::Relaxed) {
                break;
            }
            match self.dataset.load(index) {
                Ok(img) => {
                    let at = part.images.len();
                    part.images.resize(at + per_image, 0.0);
                    self.transform.apply(
                        &img,
                        self.seed,
                        self.epoch,
                        index,
                        scratch,
                        &mut part.images[at..],
                    );
                    part.labels.push(self.dataset.label(index) as i64);
                    part.indices.push(index);
                }
                Err(e) => part.skipped.push(e.to_string()),
            }
        }
        part
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
            let mut batch = Batch {
                images: Vec::with_capacity(self.batch_size * 3 * self.size * self.size),
                labels: Vec::with_capacity(self.batch_size),
                indices: Vec::with_capacity(self.batch_size),
                size: self.size,
            };
            for p in parts {
                batch.images.extend_from_slice(&p.images);
                batch.labels.extend_from_slice(&p.labels);
                batch.indices.extend_from_slice(&p.indices);
                self.stats.skipped += p.skipped.len();
                let room = SKIPPED_EXAMPLES.saturating_sub(self.stats.skipped_examples.len());
                self.stats
                    .skipped_examples
                    .extend(p.skipped.into_iter().take(room));
            }
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
