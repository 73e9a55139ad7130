//! Everything that can go wrong between a data spec and a batch of tensors.
//!
//! Each message names the file, folder or value at fault and says what was expected, so a
//! user can fix the input without reading code.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("bad data source {spec:?}: expected {expected}")]
    BadSpec { spec: String, expected: String },

    #[error("{}: does not exist ({what})", path.display())]
    NotFound { path: PathBuf, what: String },

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{}: not a readable image: {reason}", path.display())]
    Decode { path: PathBuf, reason: String },

    #[error("{}: {problem}", path.display())]
    BadFile { path: PathBuf, problem: String },

    #[error("class folder {} has no images (expected files ending in .jpg, .jpeg or .png)", path.display())]
    EmptyClass { path: PathBuf },

    #[error(
        "validation class {class:?} ({}) has no folder in the training set {}: training and \
         validation must use the same classes",
        val_path.display(),
        train_root.display()
    )]
    ValClassNotInTrain {
        class: String,
        val_path: PathBuf,
        train_root: PathBuf,
    },

    #[error("{what} is empty: {why}")]
    Empty { what: String, why: String },

    #[error(
        "the built-in dataset makes at most {max} distinct classes, {asked} were asked for (data.builtin_classes)"
    )]
    TooManyBuiltinClasses { asked: usize, max: usize },

    #[error("bad setting {key} = {value}: expected {expected}")]
    BadSetting {
        key: &'static str,
        value: String,
        expected: String,
    },

    #[error("every one of the {count} images of this epoch was unreadable; first error: {first}")]
    NothingReadable { count: usize, first: String },

    #[error("a data worker thread stopped unexpectedly: {0}")]
    WorkerFailed(String),

    #[error("download of {url} failed: {reason}")]
    Download { url: String, reason: String },

    #[error(
        "{}: md5 is {actual}, expected {expected} (the file is corrupt or incomplete and was \
         deleted; run the command again to download it anew)",
        path.display()
    )]
    ChecksumMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },

    #[error("unknown dataset {name:?}: expected one of {expected}")]
    UnknownDataset { name: String, expected: String },
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn bad_file(path: impl Into<PathBuf>, problem: impl Into<String>) -> Self {
        DataError::BadFile {
            path: path.into(),
            problem: problem.into(),
        }
    }
}
