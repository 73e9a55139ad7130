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
mod download;
mod error;
pub mod fetch;
pub mod imagefolder;
pub mod loader;
pub mod mnist;
mod pixel;
pub mod resample;
pub mod rng;
pub mod source;
pub mod transform;
mod worker;

use std::path::Path;
use std::sync::Arc;

pub use error::DataError;
pub use image::RgbImage;
pub use loader::{Batch, Epoch, EpochStats, Loader};
pub use source::{LoaderSource, source_factory};

/// Unreadable images named in a run's log (the count covers them all).
pub const SKIPPED_EXAMPLES_PER_RUN: usize = 20;

use crate::config::{DataSource, RunConfig};

/// A list of labelled images that can be read in any order from any thread.
pub trait Dataset: Send + Sync {
    fn len(&self) -> usize;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The label of image `index`, without reading the image.
    fn label(&self, index: usize) -> usize;

    /// Reads and decodes image `index` to 8-bit RGB. Errors name the file.
    fn load(&self, index: usize) -> Result<RgbImage, DataError>;
}

/// Class names; a label is an index into this list. ImageFolder classes are the sorted folder
/// names; CIFAR and MNIST keep the publisher's label order (already alphabetical for CIFAR,
/// "0".."9" for MNIST); built-in classes are sorted by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classes(pub Vec<String>);

impl Classes {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn names(&self) -> &[String] {
        &self.0
    }

    /// `{"classes": [...]}`, index = label.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&serde_json::json!({ "classes": self.0 }))
            .expect("a list of strings always serializes")
    }

    /// Writes [`Self::to_json`] atomically (temp file + rename).
    pub fn write_json(&self, path: &Path) -> Result<(), DataError> {
        write_atomic(path, self.to_json().as_bytes())
    }
}

/// Train and validation sets of one source, with their shared class list.
#[derive(Clone)]
pub struct DataSplits {
    pub train: Arc<dyn Dataset>,
    pub val: Arc<dyn Dataset>,
    pub classes: Classes,
    /// The source as given (`cifar10:/data/cifar`).
    pub source: DataSource,
}

/// Opens `config.data.source`. Fails before training when the source is unusable or a
/// split is empty.
pub fn open(config: &RunConfig) -> Result<DataSplits, DataError> {
    let source = DataSource::parse(&config.data.source).map_err(|expected| DataError::BadSpec {
        spec: config.data.source.clone(),
        expected,
    })?;
    open_source(&source, config)
}

/// Opens a parsed source with the settings of `config.data`.
pub fn open_source(source: &DataSource, config: &RunConfig) -> Result<DataSplits, DataError> {
    let d = &config.data;
    let (train, val, classes): (Arc<dyn Dataset>, Arc<dyn Dataset>, Classes) = match source {
        DataSource::Builtin => {
            let spec = builtin::BuiltinSpec::from_config(d)?;
            let (train, val) = (
                spec.split(builtin::Split::Train),
                spec.split(builtin::Split::Val),
            );
            let classes = spec.classes();
            (Arc::new(train), Arc::new(val), classes)
        }
        DataSource::ImageFolder(path) => {
            let f = imagefolder::open(path, d.val_fraction)?;
            (Arc::new(f.train), Arc::new(f.val), f.classes)
        }
        DataSource::Cifar10(path) => {
            let c = cifar::open(path, cifar::Kind::Cifar10)?;
            (Arc::new(c.train), Arc::new(c.test), c.classes)
        }
        DataSource::Cifar100(path) => {
            let c = cifar::open(path, cifar::Kind::Cifar100)?;
            (Arc::new(c.train), Arc::new(c.test), c.classes)
        }
        DataSource::Mnist(path) => {
            let m = mnist::open(path)?;
            (Arc::new(m.train), Arc::new(m.test), m.classes)
        }
    };
    for (what, set) in [("training set", &train), ("validation set", &val)] {
        if set.is_empty() {
            return Err(DataError::Empty {
                what: format!("the {what} of {source}"),
                why: "no images were found".into(),
            });
        }
    }
    Ok(DataSplits {
        train,
        val,
        classes,
        source: source.clone(),
    })
}

/// Writes `bytes` to `path` through a temp file in the same folder and a rename, so a crash
/// never leaves a half-written file under the final name.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    let mut tmp = tempfile_in(dir, path)?;
    tmp.1
        .write_all(bytes)
        .map_err(|e| DataError::io(&tmp.0, e))?;
    tmp.1.sync_all().map_err(|e| DataError::io(&tmp.0, e))?;
    drop(tmp.1);
    std::fs::rename(&tmp.0, path).map_err(|e| DataError::io(path, e))
}

fn tempfile_in(
    dir: &Path,
    target: &Path,
) -> Result<(std::path::PathBuf, std::fs::File), DataError> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let file = std::fs::File::create(&tmp).map_err(|e| DataError::io(&tmp, e))?;
    Ok((tmp, file))
}
