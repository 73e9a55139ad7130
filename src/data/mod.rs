//! Data: datasets (built-in, ImageFolder, CIFAR-10/100, MNIST), the paper's transforms, a
//! multi-threaded loader and dataset downloads.
//!
//! A trainer opens the source named by the run config, writes the class names into the run
//! folder, and asks a loader for each epoch:
//!
//! ```no_run
//! # fn main() -> Result<(), botui::data::DataError> {
//! use botui::config::RunConfig;
//! use botui::data::{self, Loader};
//!
//! let config = RunConfig::default();
//! let splits = data::open(&config)?;
//! splits.classes.write_json(std::path::Path::new("run/classes.json"))?;
//! let train = Loader::train(splits.train.clone(), &config);
//! for epoch in 0..config.epochs {
//!     let mut batches = train.epoch(epoch);
//!     for batch in batches.by_ref() {
//!         let batch = batch?;
//!         let (_images, _labels) = batch.to_tensors(&burn::tensor::Device::flex());
//!     }
//!     let stats = batches.stats();
//!     println!("{:.0} images/s, waited {:?}, {} skipped", stats.images_per_sec(), stats.waited, stats.skipped);
//! }
//! # Ok(()) }
//! ```

pub mod batch;
pub mod builtin;
mod builtin_draw;
pub mod cifar;
pub mod color;
mod dataset;
mod download;
mod error;
pub mod fetch;
pub mod imagefolder;
pub mod loader;
pub mod mnist;
mod pixel;
pub mod randaugment;
pub mod repeated_augment;
pub mod resample;
pub mod rng;
pub mod shard;
pub mod source;
mod splits;
pub mod transform;
mod worker;

pub use dataset::{Classes, Dataset};
pub use error::DataError;
pub use image::RgbImage;
pub use loader::{Batch, Epoch, EpochStats, Loader};
pub use source::{LoaderSource, SKIPPED_EXAMPLES_PER_RUN, source_factory};
pub use splits::{DataSplits, open, open_source};
