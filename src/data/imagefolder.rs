//! ImageFolder: `train/<class>/*.{jpg,jpeg,png}` and `val/<class>/...` (ImageNet's layout,
//! also imagenette's), or one folder of class folders split into train and validation by
//! `data.val_fraction`.
//!
//! Only file names are kept in memory (one string for the whole split); images are read and
//! decoded when the loader asks for them. Classes are the sorted names of the training class
//! folders. Files are found recursively and sorted; other extensions are ignored.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::RgbImage;

use super::rng::{derive, stream};
use super::{Classes, DataError, Dataset};

/// One split: file paths (relative to `root`) and labels.
#[derive(Debug, Clone)]
pub struct ImageFolder {
    root: PathBuf,
    names: String,
    ends: Vec<usize>,
    labels: Vec<u32>,
}

impl ImageFolder {
    fn from_files(root: PathBuf, files: &[(String, u32)]) -> Self {
        let mut names = String::new();
        let mut ends = Vec::with_capacity(files.len());
        let mut labels = Vec::with_capacity(files.len());
        for (name, label) in files {
            names.push_str(name);
            ends.push(names.len());
            labels.push(*label);
        }
        ImageFolder {
            root,
            names,
            ends,
            labels,
        }
    }

    /// The full path of image `index`.
    pub fn path(&self, index: usize) -> PathBuf {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        self.root.join(&self.names[start..self.ends[index]])
    }
}

impl Dataset for ImageFolder {
    fn len(&self) -> usize {
        self.labels.len()
    }

    fn label(&self, index: usize) -> usize {
        self.labels[index] as usize
    }

    fn load(&self, index: usize) -> Result<RgbImage, DataError> {
        let path = self.path(index);
        let bytes = std::fs::read(&path).map_err(|e| DataError::io(&path, e))?;
        decode_image(&path, &bytes)
    }
}

/// Decodes JPEG or PNG bytes (format from the content, not the name) to 8-bit RGB.
pub fn decode_image(path: &Path, bytes: &[u8]) -> Result<RgbImage, DataError> {
    let fail = |reason: String| DataError::Decode {
        path: path.to_path_buf(),
        reason,
    };
    let reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| fail(e.to_string()))?;
    if reader.format().is_none() {
        return Err(fail("not a JPEG or PNG file".into()));
    }
    let img = reader
        .decode()
        .map_err(|e| fail(e.to_string()))?
        .into_rgb8();
    if img.width() == 0 || img.height() == 0 {
        return Err(fail("the image has no pixels".into()));
    }
    Ok(img)
}

/// Both splits of a folder and its classes.
#[derive(Debug, Clone)]
pub struct Opened {
    pub train: ImageFolder,
    pub val: ImageFolder,
    pub classes: Classes,
}

/// Opens `root`: `train/` (+ `val/`, else a split of `train/`), or class folders directly.
pub fn open(root: &Path, val_fraction: f64) -> Result<Opened, DataError> {
    if !root.is_dir() {
        return Err(DataError::NotFound {
            path: root.to_path_buf(),
            what: "expected a folder with train/ and val/, or a folder of class folders".into(),
        });
    }
    let train_dir = root.join("train");
    if !train_dir.is_dir() {
        return split_one(root, val_fraction);
    }
    let classes = class_folders(&train_dir)?;
    let mut train = Vec::new();
    for (label, class) in classes.iter().enumerate() {
        train.extend(
            class_files(&train_dir, class)?
                .into_iter()
                .map(|f| (f, label as u32)),
        );
    }
    let val_dir = root.join("val");
    if !val_dir.is_dir() {
        let (train, val) = split(train, val_fraction);
        return Ok(Opened {
            train: ImageFolder::from_files(train_dir.clone(), &train),
            val: ImageFolder::from_files(train_dir, &val),
            classes: Classes(classes),
        });
    }
    let mut val = Vec::new();
    for class in class_folders(&val_dir)? {
        let Some(label) = classes.iter().position(|c| *c == class) else {
            return Err(DataError::ValClassNotInTrain {
                val_path: val_dir.join(&class),
                class,
                train_root: train_dir,
            });
        };
        val.extend(
            class_files(&val_dir, &class)?
                .into_iter()
                .map(|f| (f, label as u32)),
        );
    }
    Ok(Opened {
        train: ImageFolder::from_files(train_dir, &train),
        val: ImageFolder::from_files(val_dir, &val),
        classes: Classes(classes),
    })
}

fn split_one(root: &Path, val_fraction: f64) -> Result<Opened, DataError> {
    let classes = class_folders(root)?;
    let mut files = Vec::new();
    for (label, class) in classes.iter().enumerate() {
        files.extend(
            class_files(root, class)?
                .into_iter()
                .map(|f| (f, label as u32)),
        );
    }
    let (train, val) = split(files, val_fraction);
    Ok(Opened {
        train: ImageFolder::from_files(root.to_path_buf(), &train),
        val: ImageFolder::from_files(root.to_path_buf(), &val),
        classes: Classes(classes),
    })
}

/// A file path relative to its split's root, and its label.
type Labelled = (String, u32);

/// Per class, holds out `round(n * fraction)` files (at least 1 when the class has 2 or more,
/// never all of them), chosen by a hash of the file's path: the same files on every machine
/// and every run, whatever order the file system lists them in.
fn split(files: Vec<Labelled>, fraction: f64) -> (Vec<Labelled>, Vec<Labelled>) {
    let (mut train, mut val) = (Vec::new(), Vec::new());
    let mut by_class: std::collections::BTreeMap<u32, Vec<Labelled>> = Default::default();
    for f in files {
        by_class.entry(f.1).or_default().push(f);
    }
    for (_, mut class) in by_class {
        let n = class.len();
        let n_val = if n < 2 {
            0
        } else {
            ((n as f64 * fraction).round() as usize).clamp(1, n - 1)
        };
        class.sort_by_key(|(name, _)| {
            (
                derive(&[stream::SPLIT, fnv1a(name.as_bytes())]),
                name.clone(),
            )
        });
        let rest = class.split_off(n_val);
        val.extend(class);
        train.extend(rest);
    }
    train.sort();
    val.sort();
    (train, val)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Sorted names of the (non-hidden) sub-folders of `dir`.
fn class_folders(dir: &Path) -> Result<Vec<String>, DataError> {
    let mut classes = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| DataError::io(dir, e))? {
        let entry = entry.map_err(|e| DataError::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') && entry.path().is_dir() {
            classes.push(name);
        }
    }
    if classes.is_empty() {
        return Err(DataError::Empty {
            what: format!("{}", dir.display()),
            why: "it has no class folders (expected <class>/<image>.jpg)".into(),
        });
    }
    classes.sort();
    Ok(classes)
}

/// Sorted image files under `dir/class`, as paths relative to `dir`.
fn class_files(dir: &Path, class: &str) -> Result<Vec<String>, DataError> {
    let mut files = Vec::new();
    walk(dir, Path::new(class), &mut files)?;
    if files.is_empty() {
        return Err(DataError::EmptyClass {
            path: dir.join(class),
        });
    }
    files.sort();
    Ok(files)
}

/// Every image file (`.jpg`, `.jpeg`, `.png`) under `dir`, recursively, sorted: what
/// `botui predict FOLDER` classifies.
pub fn image_files(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let mut files = Vec::new();
    walk(dir, Path::new(""), &mut files)?;
    files.sort();
    Ok(files.into_iter().map(|f| dir.join(f)).collect())
}

fn walk(root: &Path, rel: &Path, files: &mut Vec<String>) -> Result<(), DataError> {
    let dir = root.join(rel);
    for entry in std::fs::read_dir(&dir).map_err(|e| DataError::io(&dir, e))? {
        let entry = entry.map_err(|e| DataError::io(&dir, e))?;
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name_str.starts_with('.') {
            continue;
        }
        let rel_path = rel.join(&name);
        if entry.path().is_dir() {
            walk(root, &rel_path, files)?;
        } else if is_image_name(&name_str) {
            files.push(rel_path.to_string_lossy().into_owned());
        }
    }
    Ok(())
}

fn is_image_name(name: &str) -> bool {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(ext.as_deref(), Some("jpg" | "jpeg" | "png"))
}
