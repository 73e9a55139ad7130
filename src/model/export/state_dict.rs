//! A zoo model as a PyTorch state dict: every parameter and BN running statistic under its
//! torchvision/timm key (the mapping import uses, [`crate::model::import::names`]), in
//! PyTorch's layout, plus the `num_batches_tracked` counter PyTorch keeps for every BN.

use burn::module::Module;
use burn::store::{ModuleSnapshot, bridge};
use burn::tensor::DType;

use super::super::Model;
use super::super::import::names::{SourceLayout, is_classifier, torch_key};

/// One entry of a state dict.
#[derive(Debug, Clone, PartialEq)]
pub struct StateTensor {
    pub key: String,
    pub shape: Vec<usize>,
    pub values: Values,
}

/// A tensor's elements, row-major: parameters and statistics in f32, BN step counters in
/// int64 (`torch.long`), as PyTorch keeps them.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    F32(Vec<f32>),
    I64(Vec<i64>),
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::F32(v) => v.len(),
            Values::I64(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements as little-endian bytes, as PyTorch's storages and safetensors hold them.
    pub fn to_le_bytes(&self) -> Vec<u8> {
        match self {
            Values::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Values::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        }
    }
}

/// The model's state dict under `layout`'s keys, in the model's order, each BN's
/// `num_batches_tracked` (set to `batches_tracked`: the training iterations, as PyTorch would
/// have counted them) right after its `running_var`.
///
/// Errors name the first tensor the layout has no key for, or that cannot be read.
pub fn state_dict(
    model: &Model,
    layout: SourceLayout,
    batches_tracked: i64,
) -> Result<Vec<StateTensor>, String> {
    // `valid()` syncs BN running statistics a training forward pass left pending, as the
    // checkpoint code does before it saves.
    let mut out = Vec::new();
    for tensor in model.valid().collect(None, None, false) {
        let key = torch_key(&tensor.name, layout)
            .ok_or_else(|| format!("{} has no name in the {layout:?} layout", tensor.name))?;
        let data = bridge::to_data(&tensor)
            .map_err(|e| format!("cannot read {}: {e}", tensor.name))?
            .convert_dtype(DType::F32);
        let mut shape = data.shape().as_slice().to_vec();
        let mut values = data
            .try_to_vec::<f32>()
            .map_err(|e| format!("cannot read {}: {e:?}", tensor.name))?;
        // burn's Linear weight is [d_in, d_out]; PyTorch's is [out, in].
        if is_classifier(&tensor.name) && tensor.name.ends_with(".weight") && shape.len() == 2 {
            values = transpose(&values, shape[0], shape[1]);
            shape.reverse();
        }
        let counter = key
            .strip_suffix(".running_var")
            .map(|module| format!("{module}.num_batches_tracked"));
        out.push(StateTensor {
            key,
            shape,
            values: Values::F32(values),
        });
        if let Some(key) = counter {
            out.push(StateTensor {
                key,
                shape: vec![],
                values: Values::I64(vec![batches_tracked]),
            });
        }
    }
    Ok(out)
}

/// `[rows, cols]` -> `[cols, rows]`.
fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0f32; values.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = values[r * cols + c];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_swaps_rows_and_columns() {
        // [[1, 2, 3], [4, 5, 6]] -> [[1, 4], [2, 5], [3, 6]]
        assert_eq!(
            transpose(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3),
            vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
        );
    }

    #[test]
    fn values_are_little_endian() {
        assert_eq!(Values::F32(vec![1.0]).to_le_bytes(), vec![0, 0, 0x80, 0x3f]);
        assert_eq!(
            Values::I64(vec![258]).to_le_bytes(),
            vec![2, 1, 0, 0, 0, 0, 0, 0]
        );
    }
}
