//! CIFAR-10 and CIFAR-100, binary version (the `*-binary.tar.gz` archives of
//! cs.toronto.edu/~kriz/cifar.html).
//!
//! CIFAR-10: `data_batch_1.bin` .. `data_batch_5.bin` and `test_batch.bin`, records of
//! 1 label byte + 3072 pixel bytes (1024 R, 1024 G, 1024 B, rows of 32); names in
//! `batches.meta.txt`. CIFAR-100: `train.bin` and `test.bin`, records of 1 coarse label byte +
//! 1 fine label byte + 3072 pixel bytes; botui uses the 100 fine labels, named in
//! `fine_label_names.txt`. The path may be the folder with the files or its parent
//! (`cifar-10-batches-bin/`, `cifar-100-binary/` are looked for). The whole set (180 MB) is
//! kept in memory.

use std::path::{Path, PathBuf};

use image::RgbImage;

use super::{Classes, DataError, Dataset};

const SIDE: usize = 32;
const PIXELS: usize = SIDE * SIDE * 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Cifar10,
    Cifar100,
}

impl Kind {
    fn classes(self) -> usize {
        match self {
            Kind::Cifar10 => 10,
            Kind::Cifar100 => 100,
        }
    }

    /// Label bytes before the pixels, and which of them is the label botui uses.
    fn label_bytes(self) -> (usize, usize) {
        match self {
            Kind::Cifar10 => (1, 0),
            Kind::Cifar100 => (2, 1),
        }
    }

    fn subfolder(self) -> &'static str {
        match self {
            Kind::Cifar10 => "cifar-10-batches-bin",
            Kind::Cifar100 => "cifar-100-binary",
        }
    }

    fn train_files(self) -> Vec<&'static str> {
        match self {
            Kind::Cifar10 => vec![
                "data_batch_1.bin",
                "data_batch_2.bin",
                "data_batch_3.bin",
                "data_batch_4.bin",
                "data_batch_5.bin",
            ],
            Kind::Cifar100 => vec!["train.bin"],
        }
    }

    fn test_file(self) -> &'static str {
        match self {
            Kind::Cifar10 => "test_batch.bin",
            Kind::Cifar100 => "test.bin",
        }
    }

    fn names_file(self) -> &'static str {
        match self {
            Kind::Cifar10 => "batches.meta.txt",
            Kind::Cifar100 => "fine_label_names.txt",
        }
    }
}

/// One split in memory: planar RGB records and labels.
#[derive(Debug, Clone)]
pub struct CifarSet {
    pixels: Vec<u8>,
    labels: Vec<u8>,
}

impl Dataset for CifarSet {
    fn len(&self) -> usize {
        self.labels.len()
    }

    fn label(&self, index: usize) -> usize {
        self.labels[index] as usize
    }

    fn load(&self, index: usize) -> Result<RgbImage, DataError> {
        let planes = &self.pixels[index * PIXELS..(index + 1) * PIXELS];
        let plane = SIDE * SIDE;
        let mut rgb = Vec::with_capacity(PIXELS);
        for i in 0..plane {
            rgb.extend_from_slice(&[planes[i], planes[plane + i], planes[2 * plane + i]]);
        }
        Ok(RgbImage::from_raw(SIDE as u32, SIDE as u32, rgb).expect("32x32x3 bytes"))
    }
}

#[derive(Debug, Clone)]
pub struct Opened {
    pub train: CifarSet,
    pub test: CifarSet,
    pub classes: Classes,
}

pub fn open(path: &Path, kind: Kind) -> Result<Opened, DataError> {
    let dir = find_dir(path, kind)?;
    let mut train = CifarSet {
        pixels: Vec::new(),
        labels: Vec::new(),
    };
    for name in kind.train_files() {
        read_records(&dir.join(name), kind, &mut train)?;
    }
    let mut test = CifarSet {
        pixels: Vec::new(),
        labels: Vec::new(),
    };
    read_records(&dir.join(kind.test_file()), kind, &mut test)?;
    let classes = class_names(&dir.join(kind.names_file()), kind.classes())?;
    Ok(Opened {
        train,
        test,
        classes,
    })
}

fn find_dir(path: &Path, kind: Kind) -> Result<PathBuf, DataError> {
    let first = kind.train_files()[0];
    for dir in [path.to_path_buf(), path.join(kind.subfolder())] {
        if dir.join(first).is_file() {
            return Ok(dir);
        }
    }
    let what = format!(
        "expected the {} binary files ({}, {} ...) in it or in its {}/ folder",
        if kind == Kind::Cifar10 {
            "CIFAR-10"
        } else {
            "CIFAR-100"
        },
        first,
        kind.test_file(),
        kind.subfolder()
    );
    if path.exists() {
        Err(DataError::bad_file(path, what))
    } else {
        Err(DataError::NotFound {
            path: path.to_path_buf(),
            what,
        })
    }
}

fn read_records(path: &Path, kind: Kind, set: &mut CifarSet) -> Result<(), DataError> {
    if !path.is_file() {
        return Err(DataError::NotFound {
            path: path.to_path_buf(),
            what: "a file of the CIFAR binary set is missing".into(),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let (label_bytes, label_at) = kind.label_bytes();
    let record = label_bytes + PIXELS;
    if bytes.is_empty() || bytes.len() % record != 0 {
        return Err(DataError::bad_file(
            path,
            format!(
                "{} bytes is not a whole number of {record}-byte records ({label_bytes} label \
                 byte(s) + 3072 pixels): the file is truncated or not a CIFAR binary file",
                bytes.len()
            ),
        ));
    }
    for (i, rec) in bytes.chunks_exact(record).enumerate() {
        let label = rec[label_at];
        if label as usize >= kind.classes() {
            return Err(DataError::bad_file(
                path,
                format!(
                    "record {i} has label {label}, expected 0..{}",
                    kind.classes() - 1
                ),
            ));
        }
        set.labels.push(label);
        set.pixels.extend_from_slice(&rec[label_bytes..]);
    }
    Ok(())
}

/// Names from the meta file (one per line, blank lines ignored), or "0", "1", ... when the
/// file is absent.
fn class_names(path: &Path, n: usize) -> Result<Classes, DataError> {
    if !path.is_file() {
        return Ok(Classes((0..n).map(|i| i.to_string()).collect()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    let names: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    if names.len() != n {
        return Err(DataError::bad_file(
            path,
            format!("has {} class names, expected {n}", names.len()),
        ));
    }
    Ok(Classes(names))
}
