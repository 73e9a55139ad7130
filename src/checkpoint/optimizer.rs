//! The optimizer state (momentum buffers...) saved beside a model checkpoint.

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::Path;

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::ModuleOptimizer;
use burn::store::burn_pack::Reader;
use burn::tensor::{Bytes, Tensor};

use super::error::{CheckpointError, FORMAT_KEY, check_exists};
use crate::fsutil::write_atomic_with as write_atomically;

/// Saves an optimizer's state (momentum buffers...) to `path`, atomically.
pub fn save_optimizer_state(path: &Path, optim: &ModuleOptimizer) -> Result<(), CheckpointError> {
    let bytes = optim.into_bytes().map_err(|e| CheckpointError::Encode {
        path: path.to_path_buf(),
        why: e.to_string(),
    })?;
    write_atomically(path, |file| file.write_all(&bytes)).map_err(|source| CheckpointError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads into `optim` the state [`save_optimizer_state`] wrote, checking that it belongs to
/// `model` (loaded from the checkpoint saved with it: parameters are matched by id).
pub fn load_optimizer_state<M: Module>(
    path: &Path,
    optim: ModuleOptimizer,
    model: &M,
) -> Result<ModuleOptimizer, CheckpointError> {
    check_exists(path)?;
    let not_state = |why: String| CheckpointError::NotOptimizerState {
        path: path.to_path_buf(),
        why,
    };
    let reader = Reader::from_file_exact(path)
        .map_err(|e| not_state(format!("not a burnpack file ({e})")))?;
    if reader.metadata().contains_key(FORMAT_KEY) {
        return Err(not_state("it is a model checkpoint".into()));
    }
    // burn keys each parameter's state "{param id}.{field}" and panics on a tensor without an
    // id, so check both before handing the bytes over.
    let mut ids = HashSet::new();
    for name in reader.tensor_names().into_iter().chain(
        reader
            .scalars()
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    ) {
        let id = name.split('.').next().and_then(|id| id.parse::<u64>().ok());
        ids.insert(id.ok_or_else(|| not_state(format!("entry '{name}' names no parameter")))?);
    }
    for tensor in reader
        .into_tensors()
        .map_err(|e| not_state(e.to_string()))?
    {
        if tensor.param_id.is_none() {
            return Err(not_state(format!(
                "tensor '{}' has no parameter id",
                tensor.name
            )));
        }
    }
    let known = param_ids(model);
    let unknown = ids.iter().filter(|id| !known.contains(id)).count();
    if unknown > 0 {
        return Err(CheckpointError::OptimizerMismatch {
            path: path.to_path_buf(),
            unknown,
            total: ids.len(),
        });
    }
    let bytes = fs::read(path).map_err(|source| CheckpointError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    optim
        .from_bytes(Bytes::from_bytes_vec(bytes))
        .map_err(|e| not_state(e.to_string()))
}

/// The ids of every float parameter of a module (what optimizer state is keyed by).
fn param_ids<M: Module>(module: &M) -> HashSet<u64> {
    struct Ids(HashSet<u64>);
    impl ModuleVisitor for Ids {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.insert(param.id.val());
        }
    }
    let mut ids = Ids(HashSet::new());
    module.visit(&mut ids);
    ids.0
}
