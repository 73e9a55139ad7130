//! Opening the source a run config names: its train and validation sets and their classes.

use std::sync::Arc;

use crate::config::{DataSource, RunConfig};

use super::dataset::{Classes, Dataset};
use super::error::DataError;
use super::{builtin, cifar, imagefolder, mnist};

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
    let source = config
        .data
        .source
        .parsed()
        .map_err(|expected| DataError::BadSpec {
            spec: config.data.source.to_string(),
            expected: expected.to_string(),
        })?;
    open_source(source, config)
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
