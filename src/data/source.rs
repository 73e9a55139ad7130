//! The data module as the trainer sees it: [`LoaderSource`] implements
//! [`BatchSource`](crate::train::source::BatchSource) over the paper's train and validation
//! loaders, and [`source_factory`] is what a front end hands to
//! [`train::spawn`](crate::train::spawn).

use crate::config::RunConfig;
use crate::train::SourceFactory;
use crate::train::source::{BatchIter, BatchSource, HostBatch};

use crate::train::progressive_resize::ResizeSchedule;

use super::splits::open;
use super::{Batch, DataError, Epoch, Loader};

/// Unreadable images named in a run's log (the count covers them all).
pub const SKIPPED_EXAMPLES_PER_RUN: usize = 20;

/// Train and validation loaders of one run's dataset.
pub struct LoaderSource {
    classes: Vec<String>,
    train: Loader,
    val: Loader,
    /// Progressive resizing (after the paper): the training side of each epoch.
    resize: Option<ResizeSchedule>,
    skipped: usize,
    warnings: Vec<String>,
    reported: usize,
}

impl LoaderSource {
    /// Opens `config.data.source` (a large folder is scanned here).
    pub fn open(config: &RunConfig) -> Result<Self, DataError> {
        let splits = open(config)?;
        Ok(LoaderSource {
            classes: splits.classes.names().to_vec(),
            train: Loader::train(splits.train, config),
            val: Loader::val(splits.val, config),
            resize: ResizeSchedule::from_config(&config.progressive_resize),
            skipped: 0,
            warnings: Vec::new(),
            reported: 0,
        })
    }

    fn counted(&mut self, epoch: Epoch) -> BatchIter<'_> {
        Box::new(Counted {
            epoch,
            skipped: &mut self.skipped,
            warnings: &mut self.warnings,
            reported: &mut self.reported,
        })
    }
}

/// Opens the run's data inside the trainer thread.
pub fn source_factory() -> SourceFactory {
    Box::new(|config: &RunConfig| {
        LoaderSource::open(config)
            .map(|s| Box::new(s) as Box<dyn BatchSource>)
            .map_err(|e| e.to_string())
    })
}

fn host(batch: Batch) -> HostBatch {
    HostBatch {
        labels: batch.labels.iter().map(|&l| l as usize).collect(),
        images: batch.images,
        side: batch.size,
    }
}

/// One epoch of batches; on drop, adds what it skipped to the source's counters.
struct Counted<'a> {
    epoch: Epoch,
    skipped: &'a mut usize,
    warnings: &'a mut Vec<String>,
    reported: &'a mut usize,
}

impl Iterator for Counted<'_> {
    type Item = Result<HostBatch, String>;

    fn next(&mut self) -> Option<Self::Item> {
        self.epoch
            .next()
            .map(|b| b.map(host).map_err(|e| e.to_string()))
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        let stats = self.epoch.stats();
        *self.skipped += stats.skipped;
        for example in stats.skipped_examples {
            if *self.reported < SKIPPED_EXAMPLES_PER_RUN {
                *self.reported += 1;
                self.warnings.push(format!("skipped an image: {example}"));
            }
        }
    }
}

impl BatchSource for LoaderSource {
    fn classes(&self) -> &[String] {
        &self.classes
    }

    fn train_len(&self) -> usize {
        self.train.dataset().len()
    }

    fn train_epoch_len(&self) -> usize {
        self.train.epoch_samples()
    }

    fn val_len(&self) -> usize {
        self.val.dataset().len()
    }

    fn train_epoch(&mut self, epoch: usize, batch_size: usize, skip: usize) -> BatchIter<'_> {
        let train = match self.resize {
            Some(r) => self
                .train
                .with_size(r.side(epoch))
                .with_batch_size(batch_size),
            None => self.train.with_batch_size(batch_size),
        };
        let epoch = train.epoch_from(epoch, skip);
        self.counted(epoch)
    }

    fn val_epoch(&mut self, batch_size: usize) -> BatchIter<'_> {
        let epoch = self.val.with_batch_size(batch_size).epoch(0);
        self.counted(epoch)
    }

    fn set_shard(&mut self, shard: super::shard::Shard) {
        self.train = self.train.with_shard(shard);
        self.val = self.val.with_shard(shard);
    }

    fn skipped(&self) -> usize {
        self.skipped
    }

    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}
