//! A dataset as the loader reads it: labelled images in any order from any thread, and the
//! class names behind the labels.

use std::path::Path;

use image::RgbImage;

use super::error::DataError;

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
