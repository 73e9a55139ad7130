//! MNIST in its IDX files (also Fashion-MNIST, which uses the same names and format):
//! `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
//! `t10k-labels-idx1-ubyte`, raw or gzipped (`.gz`). Gray images become 3 equal channels.
//! Everything (55 MB) is kept in memory. Classes are "0" .. "9".

use std::io::Read;
use std::path::{Path, PathBuf};

use image::RgbImage;

use super::{Classes, DataError, Dataset};

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;

/// One split: gray pixels and labels.
#[derive(Debug, Clone)]
pub struct MnistSet {
    pixels: Vec<u8>,
    labels: Vec<u8>,
    rows: usize,
    cols: usize,
}

impl Dataset for MnistSet {
    fn len(&self) -> usize {
        self.labels.len()
    }

    fn label(&self, index: usize) -> usize {
        self.labels[index] as usize
    }

    fn load(&self, index: usize) -> Result<RgbImage, DataError> {
        let n = self.rows * self.cols;
        let gray = &self.pixels[index * n..(index + 1) * n];
        let rgb = gray.iter().flat_map(|&v| [v, v, v]).collect();
        Ok(RgbImage::from_raw(self.cols as u32, self.rows as u32, rgb).expect("rows x cols x 3"))
    }
}

#[derive(Debug, Clone)]
pub struct Opened {
    pub train: MnistSet,
    pub test: MnistSet,
    pub classes: Classes,
}

pub fn open(dir: &Path) -> Result<Opened, DataError> {
    if !dir.is_dir() {
        return Err(DataError::NotFound {
            path: dir.to_path_buf(),
            what: "expected a folder with the MNIST IDX files (train-images-idx3-ubyte[.gz], ...)"
                .into(),
        });
    }
    let train = read_set(dir, "train")?;
    let test = read_set(dir, "t10k")?;
    Ok(Opened {
        train,
        test,
        classes: Classes((0..10).map(|i| i.to_string()).collect()),
    })
}

fn read_set(dir: &Path, prefix: &str) -> Result<MnistSet, DataError> {
    let images_path = find(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let labels_path = find(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    let (dims, pixels) = read_idx(&images_path, IMAGES_MAGIC, 3)?;
    let (ldims, labels) = read_idx(&labels_path, LABELS_MAGIC, 1)?;
    if dims[0] != ldims[0] {
        return Err(DataError::bad_file(
            &labels_path,
            format!(
                "has {} labels but {} has {} images",
                ldims[0],
                images_path.display(),
                dims[0]
            ),
        ));
    }
    if let Some((i, &l)) = labels.iter().enumerate().find(|(_, l)| **l > 9) {
        return Err(DataError::bad_file(
            &labels_path,
            format!("label {i} is {l}, expected 0..9"),
        ));
    }
    if dims[1] == 0 || dims[2] == 0 {
        return Err(DataError::bad_file(&images_path, "images of size 0"));
    }
    Ok(MnistSet {
        pixels,
        labels,
        rows: dims[1],
        cols: dims[2],
    })
}

/// `name` or `name.gz` in `dir` (torchvision also writes `name` after unpacking).
fn find(dir: &Path, name: &str) -> Result<PathBuf, DataError> {
    for candidate in [dir.join(name), dir.join(format!("{name}.gz"))] {
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    Err(DataError::NotFound {
        path: dir.join(name),
        what: format!("expected {name} or {name}.gz"),
    })
}

/// Reads an IDX file of unsigned bytes: magic (0, 0, 0x08, ndim), big-endian u32 dims, data.
fn read_idx(path: &Path, magic: u32, ndim: usize) -> Result<(Vec<usize>, Vec<u8>), DataError> {
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| DataError::bad_file(path, format!("not a valid gzip file: {e}")))?;
        out
    } else {
        raw
    };
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(DataError::bad_file(
            path,
            format!("{} bytes is too short for an IDX header", bytes.len()),
        ));
    }
    let word = |i: usize| u32::from_be_bytes(bytes[4 * i..4 * i + 4].try_into().expect("4 bytes"));
    if word(0) != magic {
        return Err(DataError::bad_file(
            path,
            format!(
                "magic number is {:#010x}, expected {magic:#010x} (an IDX file of {ndim}-D unsigned bytes)",
                word(0)
            ),
        ));
    }
    let dims: Vec<usize> = (1..=ndim).map(|i| word(i) as usize).collect();
    let expected = dims.iter().product::<usize>();
    let data = bytes.len() - header;
    if data != expected {
        return Err(DataError::bad_file(
            path,
            format!(
                "has {data} data bytes, the header ({dims:?}) says {expected}: truncated or corrupt"
            ),
        ));
    }
    Ok((dims, bytes[header..].to_vec()))
}
