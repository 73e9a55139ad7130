//! Exports a zoo model's weights for PyTorch: under the keys torchvision's or timm's model
//! expects ([`targets`]), as `.safetensors` or `.pth` ([`pth`]), so that
//! `model.load_state_dict(weights, strict=True)` takes them. The inverse of
//! [`super::import`], and built on the same key mapping; what is exported imports back.
//!
//! Files are written atomically (temporary file, then rename), like checkpoints.
//!
//! ONNX is not offered: burn 0.22 has no ONNX exporter (burn-onnx imports only), and no
//! maintained crate builds an ONNX graph from a model; PyTorch's `torch.onnx.export` on the
//! model the exported weights load into does it (see the README).

pub mod pth;
pub mod state_dict;
pub mod targets;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use safetensors::Dtype;
use safetensors::tensor::TensorView;

use super::{Model, ModelConfig};
use crate::fsutil::write_atomic_with;
pub use state_dict::{StateTensor, Values, state_dict};
pub use targets::{ExportPlan, ExportTarget, Inexpressible, plan};

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// `safetensors.torch.load_file(path)`.
    Safetensors,
    /// `torch.load(path, weights_only=True)`.
    Pth,
}

impl ExportFormat {
    /// The format a file name asks for: `.safetensors`, or `.pth`/`.pt`.
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "safetensors" => Some(ExportFormat::Safetensors),
            "pth" | "pt" => Some(ExportFormat::Pth),
            _ => None,
        }
    }

    pub fn extensions(self) -> &'static str {
        match self {
            ExportFormat::Safetensors => ".safetensors",
            ExportFormat::Pth => ".pth or .pt",
        }
    }
}

impl std::fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ExportFormat::Safetensors => "safetensors",
            ExportFormat::Pth => "pth",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Inexpressible(#[from] Inexpressible),
    #[error(
        "{}: a {format} file must end in {} (botui model --weights and PyTorch tools go by the \
         name)",
        .path.display(),
        .format.extensions()
    )]
    Extension { path: PathBuf, format: ExportFormat },
    #[error("cannot collect the weights of {model}: {why}")]
    Collect { model: String, why: String },
    #[error("cannot encode {}: {why}", .path.display())]
    Encode { path: PathBuf, why: String },
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    pub plan: ExportPlan,
    pub path: PathBuf,
    pub format: ExportFormat,
    /// Entries in the state dict (parameters, BN statistics and counters).
    pub tensors: usize,
    pub bytes: usize,
}

/// Writes `model`'s weights (built from `config`) for `target` to `out` in `format`.
/// `batches_tracked` fills the BN step counters PyTorch keeps (the run's iterations).
pub fn export_weights(
    model: &Model,
    config: &ModelConfig,
    target: ExportTarget,
    format: ExportFormat,
    out: &Path,
    batches_tracked: i64,
) -> Result<ExportSummary, ExportError> {
    if ExportFormat::from_path(out) != Some(format) {
        return Err(ExportError::Extension {
            path: out.to_path_buf(),
            format,
        });
    }
    let plan = plan(config, target)?;
    let tensors =
        state_dict(model, plan.layout, batches_tracked).map_err(|why| ExportError::Collect {
            model: config.display_name(),
            why,
        })?;
    let bytes = match format {
        ExportFormat::Safetensors => safetensors_bytes(&tensors),
        ExportFormat::Pth => pth::to_bytes(&tensors).map_err(|e| e.to_string()),
    }
    .map_err(|why| ExportError::Encode {
        path: out.to_path_buf(),
        why,
    })?;
    write_atomic_with(out, |file| file.write_all(&bytes)).map_err(|source| ExportError::Write {
        path: out.to_path_buf(),
        source,
    })?;
    Ok(ExportSummary {
        plan,
        path: out.to_path_buf(),
        format,
        tensors: tensors.len(),
        bytes: bytes.len(),
    })
}

/// A safetensors file with `{"format": "pt"}` metadata, as `safetensors.torch.save_file`
/// writes it.
fn safetensors_bytes(tensors: &[StateTensor]) -> Result<Vec<u8>, String> {
    let data: Vec<(String, Vec<u8>, Dtype, Vec<usize>)> = tensors
        .iter()
        .map(|t| {
            let dtype = match t.values {
                Values::F32(_) => Dtype::F32,
                Values::I64(_) => Dtype::I64,
            };
            (
                t.key.clone(),
                t.values.to_le_bytes(),
                dtype,
                t.shape.clone(),
            )
        })
        .collect();
    let views = data
        .iter()
        .map(|(key, bytes, dtype, shape)| {
            TensorView::new(*dtype, shape.clone(), bytes)
                .map(|view| (key.as_str(), view))
                .map_err(|e| format!("{key}: {e}"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
    safetensors::tensor::serialize(views, Some(metadata)).map_err(|e| e.to_string())
}
