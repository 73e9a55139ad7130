//! What an import matched, and what it could not.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use super::names::SourceLayout;

/// The container a weights file is in, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightsFormat {
    /// `torch.save(state_dict)`: `.pth` / `.pt`.
    Pytorch,
    /// `safetensors.torch.save_file(state_dict)`: `.safetensors`.
    Safetensors,
}

impl fmt::Display for WeightsFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WeightsFormat::Pytorch => "PyTorch pickle",
            WeightsFormat::Safetensors => "safetensors",
        })
    }
}

/// A tensor present on both sides with different shapes. Both shapes are in PyTorch's
/// layout (the FC weight as `[out, in]`), so they compare as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShapeMismatch {
    pub name: String,
    pub model: Vec<usize>,
    pub file: Vec<usize>,
}

/// The outcome of matching a state dict against a model, by PyTorch key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub file: PathBuf,
    pub format: WeightsFormat,
    pub layout: SourceLayout,
    /// Stripped from every key (`state_dict.`, `module.`); empty for a bare state dict.
    pub prefix: String,
    /// Tensors outside `prefix` (a training checkpoint's optimizer state), not looked at.
    pub outside_prefix: usize,
    /// Loaded into the model.
    pub matched: Vec<String>,
    /// In the model, not in the file.
    pub missing: Vec<String>,
    /// In the file, used by nothing in the model.
    pub unexpected: Vec<String>,
    pub mismatched: Vec<ShapeMismatch>,
    /// In the file, left as initialized on request (the classifier, for fine-tuning).
    pub skipped: Vec<String>,
    /// `num_batches_tracked`: PyTorch's BN step counters, which burn does not keep.
    pub ignored: Vec<String>,
}

impl ImportReport {
    /// No missing tensor and no shape mismatch: the model computes what the file's did.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty() && self.mismatched.is_empty()
    }

    /// One line of counts.
    pub fn counts(&self) -> String {
        format!(
            "{} matched, {} missing, {} unexpected, {} shape mismatches, {} skipped, {} \
             num_batches_tracked ignored",
            self.matched.len(),
            self.missing.len(),
            self.unexpected.len(),
            self.mismatched.len(),
            self.skipped.len(),
            self.ignored.len()
        )
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, {})",
            self.file.display(),
            self.format,
            self.layout.describe()
        )?;
        if !self.prefix.is_empty() {
            write!(
                f,
                "\nkeys under '{}' ({} other tensors not looked at)",
                self.prefix, self.outside_prefix
            )?;
        }
        write!(f, "\n{}", self.counts())?;
        let list = |f: &mut fmt::Formatter<'_>, title: &str, names: &[String]| {
            if names.is_empty() {
                return Ok(());
            }
            write!(f, "\n{title}:")?;
            names.iter().try_for_each(|n| write!(f, "\n  {n}"))
        };
        list(f, "missing (in the model, not in the file)", &self.missing)?;
        if !self.mismatched.is_empty() {
            write!(f, "\nshape mismatches (PyTorch layout):")?;
            for m in &self.mismatched {
                write!(f, "\n  {}: model {:?}, file {:?}", m.name, m.model, m.file)?;
            }
            let classifier =
                |name: &str| name.starts_with("fc.") || name.starts_with("classifier.");
            if self.mismatched.iter().any(|m| classifier(&m.name)) {
                write!(
                    f,
                    "\nhint: the classifier has another class count; skip it to fine-tune \
                     (`--skip-classifier`, ImportOptions::skip_classifier)"
                )?;
            }
        }
        list(f, "unexpected (in the file, unused)", &self.unexpected)?;
        list(f, "skipped on request", &self.skipped)
    }
}
