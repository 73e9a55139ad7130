//! The loader: every image once per epoch, drop-last, deterministic batches whatever the
//! number of workers, bounded prefetch, skip-and-count, prompt stop, burn tensors.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use botui::config::AugmentSection;
use botui::data::loader::LoaderOptions;
use botui::data::transform::{TrainTransform, Transform, ValTransform};
use botui::data::{Batch, DataError, Dataset, Loader, RgbImage};

/// `n` 8 x 8 images whose pixels all equal `index % 256`; label `index % 7`. Counts loads;
/// indices in `bad` fail like an undecodable file.
struct Synthetic {
    n: usize,
    bad: HashSet<usize>,
    loads: AtomicUsize,
    delay: Duration,
}

impl Synthetic {
    fn new(n: usize) -> Arc<Self> {
        Self::with(n, &[], Duration::ZERO)
    }

    fn with(n: usize, bad: &[usize], delay: Duration) -> Arc<Self> {
        Arc::new(Synthetic {
            n,
            bad: bad.iter().copied().collect(),
            loads: AtomicUsize::new(0),
            delay,
        })
    }
}

impl Dataset for Synthetic {
    fn len(&self) -> usize {
        self.n
    }
    fn label(&self, index: usize) -> usize {
        index % 7
    }
    fn load(&self, index: usize) -> Result<RgbImage, DataError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(self.delay);
        if self.bad.contains(&index) {
            return Err(DataError::Decode {
                path: format!("img{index}.jpg").into(),
                reason: "corrupt".into(),
            });
        }
        Ok(RgbImage::from_pixel(
            8,
            8,
            image::Rgb([(index % 256) as u8; 3]),
        ))
    }
}

/// Identity geometry, no normalization: output pixels equal input pixels.
fn identity() -> Transform {
    let aug = AugmentSection {
        normalize: false,
        val_crop_ratio: 1.0,
        ..AugmentSection::default()
    };
    Transform::Val(ValTransform::new(8, &aug))
}

fn options(batch_size: usize, train: bool, workers: usize, prefetch: usize) -> LoaderOptions {
    LoaderOptions {
        batch_size,
        shuffle: train,
        drop_last: train,
        workers,
        prefetch,
        seed: 42,
    }
}

fn collect(loader: &Loader, epoch: usize) -> Vec<Batch> {
    loader.epoch(epoch).map(|b| b.unwrap()).collect()
}

#[test]
fn every_image_once_per_epoch_with_its_label_and_pixels() {
    let loader = Loader::new(Synthetic::new(103), identity(), options(10, false, 3, 2));
    assert_eq!(loader.batches_per_epoch(), 11);
    let batches = collect(&loader, 0);
    assert_eq!(
        batches.iter().map(Batch::len).collect::<Vec<_>>(),
        [vec![10; 10], vec![3]].concat()
    );
    let indices: Vec<usize> = batches.iter().flat_map(|b| b.indices.clone()).collect();
    assert_eq!(
        indices,
        (0..103).collect::<Vec<_>>(),
        "validation keeps the order"
    );
    for b in &batches {
        for (k, &i) in b.indices.iter().enumerate() {
            assert_eq!(b.labels[k], (i % 7) as i64);
            let first = b.images[k * 3 * 64];
            assert_eq!(first, (i % 256) as f32, "image {i}");
        }
    }
}

#[test]
fn training_shuffles_per_epoch_and_drops_the_last_partial_batch() {
    let loader = Loader::new(Synthetic::new(103), identity(), options(10, true, 2, 2));
    assert_eq!(loader.batches_per_epoch(), 10);
    let order = |e| {
        collect(&loader, e)
            .iter()
            .flat_map(|b| b.indices.clone())
            .collect::<Vec<_>>()
    };
    let (e0, e1) = (order(0), order(1));
    assert_eq!(e0.len(), 100);
    assert_eq!(
        e0.iter().collect::<HashSet<_>>().len(),
        100,
        "no image twice"
    );
    assert_ne!(e0, e1, "a new order each epoch");
    assert_ne!(e0, (0..100).collect::<Vec<_>>(), "shuffled");
    assert_eq!(e0, order(0), "the same order for the same seed and epoch");
}

#[test]
fn batches_are_the_same_bytes_whatever_the_number_of_workers() {
    let train = || Transform::Train(TrainTransform::new(8, &AugmentSection::default()));
    let run = |workers| {
        collect(
            &Loader::new(Synthetic::new(40), train(), options(8, true, workers, 3)),
            3,
        )
    };
    let one = run(1);
    assert_eq!(one, run(4));
    let other_seed = Loader::new(
        Synthetic::new(40),
        train(),
        LoaderOptions {
            seed: 43,
            ..options(8, true, 1, 3)
        },
    );
    assert_ne!(one, collect(&other_seed, 3));
}

#[test]
fn an_epoch_resumed_at_batch_k_returns_the_rest_of_the_same_epoch() {
    let train = || Transform::Train(TrainTransform::new(8, &AugmentSection::default()));
    let loader = Loader::new(Synthetic::new(43), train(), options(5, true, 2, 2));
    let whole = collect(&loader, 2);
    assert_eq!(whole.len(), 8);
    let rest: Vec<Batch> = loader.epoch_from(2, 3).map(|b| b.unwrap()).collect();
    assert_eq!(rest, whole[3..], "same images, same augmentation");
    assert_eq!(
        loader.epoch_from(2, 8).count(),
        0,
        "nothing left after the last"
    );
    assert_eq!(loader.epoch_from(2, 99).count(), 0);
}

#[test]
fn prefetch_is_bounded() {
    let data = Synthetic::new(1000);
    let loader = Loader::new(data.clone(), identity(), options(10, false, 4, 3));
    let mut epoch = loader.epoch(0);
    let loads_settle_at = |n: usize| {
        let t = Instant::now();
        while data.loads.load(Ordering::SeqCst) < n && t.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(200));
        data.loads.load(Ordering::SeqCst)
    };
    epoch.next().unwrap().unwrap();
    // Batch 0 was taken, so batches 1..=3 (prefetch 3) may be ready: 40 images, no more.
    assert_eq!(loads_settle_at(40), 40);
    epoch.next().unwrap().unwrap();
    assert_eq!(loads_settle_at(50), 50);
}

#[test]
fn unreadable_images_are_skipped_and_counted() {
    let loader = Loader::new(
        Synthetic::with(30, &[5, 17], Duration::ZERO),
        identity(),
        options(10, false, 2, 2),
    );
    let mut epoch = loader.epoch(0);
    let batches: Vec<Batch> = epoch.by_ref().map(|b| b.unwrap()).collect();
    assert_eq!(
        batches.iter().map(Batch::len).collect::<Vec<_>>(),
        vec![9, 9, 10]
    );
    let stats = epoch.stats();
    assert_eq!((stats.images, stats.skipped, stats.batches), (28, 2, 3));
    assert!(
        stats.skipped_examples[0].contains("img5.jpg"),
        "{:?}",
        stats.skipped_examples
    );
    assert!(stats.skipped_examples[1].contains("img17.jpg"));
}

#[test]
fn an_epoch_with_nothing_readable_is_an_error() {
    let bad: Vec<usize> = (0..12).collect();
    let loader = Loader::new(
        Synthetic::with(12, &bad, Duration::ZERO),
        identity(),
        options(4, false, 2, 2),
    );
    let results: Vec<_> = loader.epoch(0).collect();
    assert_eq!(results.len(), 1);
    let err = results.into_iter().next().unwrap().unwrap_err();
    assert!(
        matches!(err, DataError::NothingReadable { count: 12, .. }),
        "{err}"
    );
}

#[test]
fn dropping_an_epoch_stops_the_workers_promptly() {
    let data = Synthetic::with(100_000, &[], Duration::from_millis(2));
    let loader = Loader::new(data.clone(), identity(), options(8, true, 3, 2));
    let mut epoch = loader.epoch(0);
    epoch.next().unwrap().unwrap();
    let t = Instant::now();
    drop(epoch);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "drop took {:?}",
        t.elapsed()
    );
    let after_drop = data.loads.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        data.loads.load(Ordering::SeqCst),
        after_drop,
        "no loads after the drop"
    );
    assert!(
        after_drop <= 8 * 3 + 3,
        "{after_drop} loads: more than the prefetch allows"
    );
}

#[test]
fn stats_report_throughput_and_waiting() {
    let loader = Loader::new(
        Synthetic::with(24, &[], Duration::from_millis(3)),
        identity(),
        options(8, false, 2, 1),
    );
    let mut epoch = loader.epoch(0);
    assert_eq!(epoch.by_ref().count(), 3);
    let s = epoch.stats();
    assert_eq!(s.images, 24);
    assert!(
        s.waited > Duration::from_millis(10),
        "the consumer waited for slow data: {:?}",
        s.waited
    );
    assert!(
        s.images_per_sec() > 0.0 && s.images_per_sec() < 24.0 / 0.035,
        "{}",
        s.images_per_sec()
    );
}

#[test]
fn batches_become_burn_tensors() {
    let loader = Loader::new(Synthetic::new(5), identity(), options(5, false, 1, 1));
    let batch = loader.epoch(0).next().unwrap().unwrap();
    let device = burn::tensor::Device::flex();
    let (images, labels) = batch.to_tensors(&device);
    assert_eq!(images.dims(), [5, 3, 8, 8]);
    assert_eq!(labels.dims(), [5]);
    let l: Vec<i64> = labels
        .into_data()
        .convert::<i64>()
        .try_to_vec::<i64>()
        .unwrap();
    assert_eq!(l, vec![0, 1, 2, 3, 4]);
    let px: Vec<f32> = images.into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(px[3 * 64 * 4], 4.0, "image 4's first pixel");
}
