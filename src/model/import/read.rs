//! Reading a state dict from a `.pth`/`.pt` (PyTorch pickle) or `.safetensors` file, and
//! finding it inside a training checkpoint.

use std::collections::BTreeMap;
use std::path::Path;

use burn::store::burn_pack::Tensor as PackTensor;
use burn::store::pytorch_reader::PytorchReader;
use burn::store::{ModuleStore, SafetensorsStore, bridge};

use super::error::ImportError;
use super::names::ANCHORS;
use super::report::WeightsFormat;

/// A state dict read from disk, keys relative to `prefix`.
pub(super) struct WeightsFile {
    pub format: WeightsFormat,
    pub prefix: String,
    pub outside_prefix: usize,
    pub tensors: BTreeMap<String, PackTensor>,
}

pub(super) fn read_weights(path: &Path) -> Result<WeightsFile, ImportError> {
    if !path.exists() {
        return Err(ImportError::NotFound {
            path: path.to_path_buf(),
        });
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let format = match ext.as_deref() {
        Some("pth" | "pt") => WeightsFormat::Pytorch,
        Some("safetensors") => WeightsFormat::Safetensors,
        _ => {
            return Err(ImportError::UnknownFormat {
                path: path.to_path_buf(),
            });
        }
    };
    let read_error = |message: String| ImportError::Read {
        path: path.to_path_buf(),
        format,
        message,
    };
    let all: BTreeMap<String, PackTensor> = match format {
        WeightsFormat::Pytorch => PytorchReader::new(path)
            .map_err(|e| read_error(e.to_string()))?
            .into_tensors()
            .into_iter()
            .map(|(key, tensor)| (key, bridge::from_pytorch(tensor)))
            .collect(),
        WeightsFormat::Safetensors => SafetensorsStore::from_file(path)
            .map_indices_contiguous(false)
            .get_all_tensors()
            .map_err(|e| read_error(e.to_string()))?
            .clone(),
    };
    if all.is_empty() {
        return Err(read_error("the file holds no tensors".into()));
    }
    let prefix = state_dict_prefix(all.keys().map(String::as_str));
    let total = all.len();
    let tensors: BTreeMap<String, PackTensor> = all
        .into_iter()
        .filter_map(|(k, t)| Some((k.strip_prefix(prefix.as_str())?.to_string(), t)))
        .collect();
    Ok(WeightsFile {
        format,
        outside_prefix: total - tensors.len(),
        prefix,
        tensors,
    })
}

/// Where the state dict sits in a file: `""` for a bare `state_dict()`, `state_dict.` or
/// `model.` in a training checkpoint, `module.` after DataParallel. The shortest prefix under
/// which one of the families' anchor keys (`layer1.0.conv1.weight`, ...) exists wins
/// (`state_dict.` over `state_dict_ema.`).
fn state_dict_prefix<'a>(keys: impl Iterator<Item = &'a str>) -> String {
    keys.filter_map(|k| ANCHORS.iter().find_map(|anchor| k.strip_suffix(anchor)))
        .filter(|p| p.is_empty() || p.ends_with('.'))
        .min_by_key(|p| (p.len(), p.to_string()))
        .unwrap_or("")
        .to_string()
}
