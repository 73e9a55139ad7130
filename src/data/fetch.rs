//! Downloading the public datasets botui reads, from their publishers.
//!
//! A download goes to `<file>.part`, resumes with an HTTP `Range` request after a broken
//! connection (in the same run, and in a later run from the `.part` left behind), is checked
//! against the publisher's md5 when there is one, and only then renamed to its final name.
//! A file whose checksum does not match is deleted, never kept as good. Archives are unpacked
//! next to the download.
//!
//! Checksums: CIFAR-10/100 md5s are the ones cs.toronto.edu/~kriz/cifar.html lists; MNIST's
//! are the ones published with the files (LeCun's page, repeated by torchvision for the
//! mirror it uses). fast.ai publishes no checksum for imagenette: botui checks the md5 that
//! torchvision pins in `torchvision.datasets.Imagenette` and says so when it does.
//!
//! The base address can be replaced (tests, local mirrors) with [`MIRROR_ENV`] or
//! [`FetchOptions::mirror`]: the file name is appended to it.

use std::path::{Path, PathBuf};

use super::DataError;
pub use super::download::{Checksum, Event, download, md5_file};

/// Environment variable that replaces every dataset's base address.
pub const MIRROR_ENV: &str = "BOTUI_DATA_MIRROR";

/// One file of a dataset.
#[derive(Debug, Clone, Copy)]
pub struct Remote {
    pub base: &'static str,
    pub file: &'static str,
    pub checksum: Checksum,
    /// A `.tar.gz` to unpack after download.
    pub archive: bool,
}

/// A dataset `botui data fetch` knows.
#[derive(Debug, Clone, Copy)]
pub struct DatasetInfo {
    pub name: &'static str,
    pub files: &'static [Remote],
    /// The data spec prefix (`cifar10`, `imagefolder`, ...).
    pub kind: &'static str,
    /// The folder, relative to the dataset's folder, the spec points at.
    pub data_path: &'static str,
}

const TORONTO: &str = "https://www.cs.toronto.edu/~kriz";
const MNIST_MIRROR: &str = "https://ossci-datasets.s3.amazonaws.com/mnist";
const FASTAI: &str = "https://s3.amazonaws.com/fast-ai-imageclas";

pub const DATASETS: &[DatasetInfo] = &[
    DatasetInfo {
        name: "cifar10",
        files: &[Remote {
            base: TORONTO,
            file: "cifar-10-binary.tar.gz",
            checksum: Checksum::Publisher("c32a1d4ab5d03f1284b67883e8d87530"),
            archive: true,
        }],
        kind: "cifar10",
        data_path: "cifar-10-batches-bin",
    },
    DatasetInfo {
        name: "cifar100",
        files: &[Remote {
            base: TORONTO,
            file: "cifar-100-binary.tar.gz",
            checksum: Checksum::Publisher("03b5dce01913d631647c71ecec9e9cb8"),
            archive: true,
        }],
        kind: "cifar100",
        data_path: "cifar-100-binary",
    },
    DatasetInfo {
        name: "mnist",
        files: &[
            Remote {
                base: MNIST_MIRROR,
                file: "train-images-idx3-ubyte.gz",
                checksum: Checksum::Publisher("f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                archive: false,
            },
            Remote {
                base: MNIST_MIRROR,
                file: "train-labels-idx1-ubyte.gz",
                checksum: Checksum::Publisher("d53e105ee54ea40749a09fcbcd1e9432"),
                archive: false,
            },
            Remote {
                base: MNIST_MIRROR,
                file: "t10k-images-idx3-ubyte.gz",
                checksum: Checksum::Publisher("9fb629c4189551a2d022fa330f9573f3"),
                archive: false,
            },
            Remote {
                base: MNIST_MIRROR,
                file: "t10k-labels-idx1-ubyte.gz",
                checksum: Checksum::Publisher("ec29112dd5afa0611ce80d1b7f02629c"),
                archive: false,
            },
        ],
        kind: "mnist",
        data_path: "",
    },
    DatasetInfo {
        name: "imagenette",
        files: &[Remote {
            base: FASTAI,
            file: "imagenette2-160.tgz",
            checksum: Checksum::ThirdParty {
                md5: "e793b78cc4c9e9a4ccc0c1155377a412",
                by: "torchvision.datasets.Imagenette",
            },
            archive: true,
        }],
        kind: "imagefolder",
        data_path: "imagenette2-160",
    },
];

/// The dataset called `name`.
pub fn dataset(name: &str) -> Result<&'static DatasetInfo, DataError> {
    DATASETS
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| DataError::UnknownDataset {
            name: name.into(),
            expected: DATASETS
                .iter()
                .map(|d| d.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// `<user data dir>/datasets` (e.g. `~/.local/share/botui/datasets`).
pub fn default_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "botui").map(|p| p.data_dir().join("datasets"))
}

#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Datasets go to `<dir>/<name>/`.
    pub dir: PathBuf,
    /// Replaces every file's base address.
    pub mirror: Option<String>,
    /// Tries per file (resuming after each broken connection).
    pub attempts: usize,
}

impl FetchOptions {
    /// `dir`, the mirror from [`MIRROR_ENV`] if set, 5 attempts.
    pub fn new(dir: PathBuf) -> Self {
        FetchOptions {
            dir,
            mirror: std::env::var(MIRROR_ENV)
                .ok()
                .filter(|m| !m.trim().is_empty()),
            attempts: 5,
        }
    }
}

/// Where a fetched dataset is and how to name it in a run config.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub path: PathBuf,
    /// `cifar10:/home/me/.local/share/botui/datasets/cifar10/cifar-10-batches-bin`
    pub spec: String,
}

/// Downloads, verifies and unpacks `info` into `<options.dir>/<info.name>/`.
pub fn fetch(
    info: &DatasetInfo,
    options: &FetchOptions,
    on_event: &mut dyn FnMut(Event),
) -> Result<Fetched, DataError> {
    let folder = options.dir.join(info.name);
    std::fs::create_dir_all(&folder).map_err(|e| DataError::io(&folder, e))?;
    for remote in info.files {
        let base = options
            .mirror
            .as_deref()
            .unwrap_or(remote.base)
            .trim_end_matches('/');
        let url = format!("{base}/{}", remote.file);
        let dest = folder.join(remote.file);
        download(
            &url,
            &dest,
            remote.checksum,
            options.attempts.max(1),
            on_event,
        )?;
        if remote.archive {
            unpack(&dest, &folder, on_event)?;
        }
    }
    let path = if info.data_path.is_empty() {
        folder
    } else {
        folder.join(info.data_path)
    };
    if !path.exists() {
        return Err(DataError::NotFound {
            path,
            what: "the unpacked archive does not have the expected folder".into(),
        });
    }
    Ok(Fetched {
        spec: format!("{}:{}", info.kind, path.display()),
        path,
    })
}

/// Unpacks a `.tar.gz` into `into` once (a marker file remembers it), through a temporary
/// folder so an interrupted unpack never looks finished.
fn unpack(archive: &Path, into: &Path, on_event: &mut dyn FnMut(Event)) -> Result<(), DataError> {
    let name = archive
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let marker = into.join(format!(".{name}.unpacked"));
    if marker.is_file() {
        return Ok(());
    }
    on_event(Event::Unpacking { file: name.clone() });
    let tmp = into.join(format!(".{name}.unpacking"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| DataError::io(&tmp, e))?;
    }
    std::fs::create_dir_all(&tmp).map_err(|e| DataError::io(&tmp, e))?;
    let f = std::fs::File::open(archive).map_err(|e| DataError::io(archive, e))?;
    tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(f)))
        .unpack(&tmp)
        .map_err(|e| DataError::bad_file(archive, format!("could not unpack: {e}")))?;
    for entry in std::fs::read_dir(&tmp).map_err(|e| DataError::io(&tmp, e))? {
        let entry = entry.map_err(|e| DataError::io(&tmp, e))?;
        let target = into.join(entry.file_name());
        if target.is_dir() {
            std::fs::remove_dir_all(&target).map_err(|e| DataError::io(&target, e))?;
        } else if target.exists() {
            std::fs::remove_file(&target).map_err(|e| DataError::io(&target, e))?;
        }
        std::fs::rename(entry.path(), &target).map_err(|e| DataError::io(&target, e))?;
    }
    std::fs::remove_dir_all(&tmp).map_err(|e| DataError::io(&tmp, e))?;
    std::fs::write(&marker, b"").map_err(|e| DataError::io(&marker, e))
}
