//! A data worker thread: takes parts of batches, reads and transforms their images, sends
//! them back; unreadable images are left out and their errors kept for the log.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::{Receiver, Sender};

use super::Dataset;
use super::resample::Scratch;
use super::transform::Transform;

/// Part `part` of batch `batch`: positions `start..end` of the epoch's order.
pub(crate) struct Job {
    pub(crate) batch: usize,
    pub(crate) part: usize,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

pub(crate) struct PartResult {
    pub(crate) batch: usize,
    pub(crate) part: usize,
    pub(crate) outcome: Result<Part, String>,
}

#[derive(Default)]
pub(crate) struct Part {
    pub(crate) images: Vec<f32>,
    pub(crate) labels: Vec<i64>,
    pub(crate) indices: Vec<usize>,
    pub(crate) skipped: Vec<String>,
}

pub(crate) struct Worker {
    pub(crate) dataset: Arc<dyn Dataset>,
    pub(crate) transform: Arc<Transform>,
    pub(crate) order: Arc<[usize]>,
    pub(crate) seed: u64,
    pub(crate) epoch: usize,
    pub(crate) cancel: Arc<AtomicBool>,
}

impl Worker {
    pub(crate) fn run(self, jobs: Receiver<Job>, results: Sender<PartResult>) {
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
        let len = self.dataset.len().max(1);
        // A sample key is the dataset index, plus a multiple of the length for the further
        // copies of repeated augmentation; the augmentation is drawn from the key.
        for &key in &self.order[job.start..job.end] {
            if self.cancel.load(Ordering::Relaxed) {
                break;
            }
            let index = key % len;
            match self.dataset.load(index) {
                Ok(img) => {
                    let at = part.images.len();
                    part.images.resize(at + per_image, 0.0);
                    self.transform.apply(
                        &img,
                        self.seed,
                        self.epoch,
                        key,
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
