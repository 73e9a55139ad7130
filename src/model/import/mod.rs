//! Loads weights saved by torchvision (`resnet18..152`, ResNet-B; `inception_v3`) and timm
//! (`resnet18d..152d`, ResNet-D; `resnetNNc`, ResNet-C; `mobilenetv1_100`; `inception_v3`)
//! into the zoo, from `.pth`/`.pt` (`torch.save(model.state_dict())`) or `.safetensors` files
//! (what `botui export` writes reads back the same way).
//!
//! One entry point, [`load_pretrained`], serves `botui model --weights`, distillation
//! teachers and fine-tuning: it detects the file's layout from its keys, checks it against the
//! requested depth and variant, maps every PyTorch key onto the model (see [`names`]) and
//! reports what matched. A missing tensor or a shape mismatch is an error naming each tensor;
//! unexpected tensors are reported and left alone.

mod error;
pub mod names;
mod read;
pub mod report;

use std::path::Path;

use burn::store::burn_pack::Tensor as PackTensor;
use burn::store::{ModuleSnapshot, bridge};
use burn::tensor::{DType, Device, TensorData};

use super::resnet::stage_layout;
use super::{Model, ModelConfig, ModelError, ModelName, ResNetVariant, StemKind, for_each_tensor};
pub use error::ImportError;
pub use names::SourceLayout;
use read::{WeightsFile, read_weights};
pub use report::{ImportReport, ShapeMismatch, WeightsFormat};

/// Choices a caller makes about an import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Leave the classifier (`fc`) as initialized: fine-tuning with another class count.
    pub skip_classifier: bool,
}

/// Builds the model `config` describes on `device` and loads the weights in `path` into it.
///
/// The model comes back in training mode, like [`ModelConfig::init`]; call `valid()` for
/// evaluation.
pub fn load_pretrained(
    config: &ModelConfig,
    path: &Path,
    device: &Device,
    options: ImportOptions,
) -> Result<(Model, ImportReport), ImportError> {
    config.validate()?;
    let file = read_weights(path)?;
    let layout = detect_layout(path, &file)?;
    check_architecture(config, path, &file, layout)?;

    let mut model = config.init(device)?;
    let (report, tensors) = plan(&model, path, file, layout, options);
    if !report.is_complete() {
        return Err(ImportError::Incompatible {
            model: config.display_name(),
            report: Box::new(report),
        });
    }
    let result = model.apply(tensors, None, None, false);
    let apply_error = |message: String| ImportError::Apply {
        path: path.to_path_buf(),
        message,
    };
    if let Some(err) = result.errors.first() {
        return Err(apply_error(format!(
            "{err} ({} errors)",
            result.errors.len()
        )));
    }
    if result.applied.len() != report.matched.len() {
        return Err(apply_error(format!(
            "{} tensors applied, {} planned",
            result.applied.len(),
            report.matched.len()
        )));
    }
    Ok((model, report))
}

/// The model a weights file holds, read from its keys and shapes: the family and layout
/// (ResNet depth and variant, MobileNet width), the class count from the classifier, the
/// imagenet stem and the paper's input side. For `botui eval WEIGHTS` and `botui model
/// --weights FILE` without a model name.
pub fn detect_config(path: &Path) -> Result<ModelConfig, ImportError> {
    let file = read_weights(path)?;
    let layout = detect_layout(path, &file)?;
    let shape = |key: &str| file.tensors.get(key).map(|t| t.shape.as_slice().to_vec());
    let unknown = || ImportError::UnknownLayout {
        path: path.to_path_buf(),
        count: file.tensors.len(),
        sample: names::sample(file.tensors.keys().map(String::as_str), 8),
    };
    let classes = shape(layout.classifier_weight())
        .and_then(|s| s.first().copied())
        .ok_or_else(unknown)?;
    let (name, variant, width) = match layout {
        SourceLayout::TimmMobileNetV1 => {
            let stem = shape("conv_stem.weight")
                .and_then(|s| s.first().copied())
                .ok_or_else(unknown)?;
            (ModelName::MobileNet, Default::default(), stem as f64 / 32.0)
        }
        SourceLayout::InceptionV3 => (ModelName::InceptionV3, Default::default(), 1.0),
        _ => {
            let (counts, kind) = names::detect_blocks(file.tensors.keys().map(String::as_str));
            let depth = names::depth_of(counts, kind).ok_or_else(unknown)?;
            let variant = layout.resnet_variant().unwrap_or_default();
            (ModelName::ResNet(depth), variant, 1.0)
        }
    };
    let mut config = ModelConfig::new(name, classes, name.paper_input()).with_variant(variant);
    config.width = width;
    config.stem = StemKind::Imagenet;
    config.validate()?;
    Ok(config)
}

fn detect_layout(path: &Path, file: &WeightsFile) -> Result<SourceLayout, ImportError> {
    let keys = || file.tensors.keys().map(String::as_str);
    SourceLayout::detect(keys()).ok_or_else(|| ImportError::UnknownLayout {
        path: path.to_path_buf(),
        count: file.tensors.len(),
        sample: names::sample(keys(), 8),
    })
}

/// Refuses weights of another family, ResNet depth or variant, with the model they fit.
fn check_architecture(
    config: &ModelConfig,
    path: &Path,
    file: &WeightsFile,
    layout: SourceLayout,
) -> Result<(), ImportError> {
    let keys = || file.tensors.keys().map(String::as_str);
    let wrong = |found: String, hint: String| ImportError::WrongArchitecture {
        path: path.to_path_buf(),
        found,
        model: config.display_name(),
        hint,
    };
    let (counts, file_kind) = names::detect_blocks(keys());
    let found_depth = names::depth_of(counts, file_kind);
    let file_model = match (layout.resnet_variant(), found_depth) {
        (Some(ResNetVariant::B), Some(d)) => format!("resnet{d}"),
        (Some(v), Some(d)) => format!("resnet{d}{}", v.to_string().to_lowercase()),
        (Some(_), None) => "resnet".into(),
        (None, _) => layout.family().into(),
    };
    let ModelName::ResNet(depth) = config.name else {
        if Some(layout) != SourceLayout::for_model(config.name, config.variant) {
            return Err(wrong(
                format!("{file_model} weights ({})", layout.describe()),
                format!("load them into {file_model}"),
            ));
        }
        return Ok(());
    };
    let Some(variant) = layout.resnet_variant() else {
        return Err(wrong(
            format!("{file_model} weights ({})", layout.describe()),
            format!("load them into {file_model}"),
        ));
    };
    let (kind, _) =
        stage_layout(depth).ok_or_else(|| ModelError::UnknownModel(config.name.to_string()))?;
    if let Some(found) = found_depth.filter(|&d| d != depth) {
        return Err(wrong(
            format!("resnet{found} weights"),
            format!("load them into resnet{found}"),
        ));
    }
    if !layout.fits(config.variant, kind) {
        return Err(wrong(
            format!("ResNet-{variant} weights ({})", layout.describe()),
            format!(
                "use variant {variant} (resnet{depth}{})",
                variant.to_string().to_lowercase()
            ),
        ));
    }
    Ok(())
}

/// Matches the file's tensors against the model's, by PyTorch key: the report, and the
/// matched tensors renamed to botui's module paths and converted to burn's layout.
fn plan(
    model: &Model,
    path: &Path,
    mut file: WeightsFile,
    layout: SourceLayout,
    options: ImportOptions,
) -> (ImportReport, Vec<PackTensor>) {
    let mut report = ImportReport {
        file: path.to_path_buf(),
        format: file.format,
        layout,
        prefix: file.prefix.clone(),
        outside_prefix: file.outside_prefix,
        matched: vec![],
        missing: vec![],
        unexpected: vec![],
        mismatched: vec![],
        skipped: vec![],
        ignored: vec![],
    };
    let mut tensors = vec![];
    for_each_tensor(model, |burn_path, shape| {
        let Some(key) = names::torch_key(burn_path, layout) else {
            report.missing.push(burn_path.to_string());
            return;
        };
        let is_fc = names::is_classifier(burn_path);
        let Some(tensor) = file.tensors.remove(&key) else {
            if !(is_fc && options.skip_classifier) {
                report.missing.push(key);
            }
            return;
        };
        if is_fc && options.skip_classifier {
            report.skipped.push(key);
            return;
        }
        // burn's Linear weight is [d_in, d_out]; PyTorch's is [out, in].
        let transposed = is_fc && burn_path.ends_with(".weight");
        let mut model_shape = shape.to_vec();
        if transposed {
            model_shape.reverse();
        }
        let file_shape = tensor.shape.as_slice().to_vec();
        if file_shape != model_shape {
            report.mismatched.push(ShapeMismatch {
                name: key,
                model: model_shape,
                file: file_shape,
            });
            return;
        }
        tensors.push(to_burn(tensor, burn_path, transposed));
        report.matched.push(key);
    });
    for key in file.tensors.into_keys() {
        if names::is_ignored(&key) {
            report.ignored.push(key);
        } else {
            report.unexpected.push(key);
        }
    }
    (report, tensors)
}

/// Renames a file tensor to its module path, in f32 (botui's parameter dtype), transposed
/// when it is the FC weight. The data is read when burn applies it, except for the
/// transposed FC weight, which is small.
fn to_burn(tensor: PackTensor, burn_path: &str, transposed: bool) -> PackTensor {
    let name = burn_path.to_string();
    let needs_cast = tensor.dtype.is_float() && tensor.dtype != DType::F32;
    if transposed {
        // A read error stays an error: burn reports it when it applies this tensor.
        if let Ok(data) = bridge::into_data(tensor.clone()) {
            return bridge::from_data(transpose(data.convert_dtype(DType::F32)), name, None);
        }
    }
    if needs_cast {
        let shape = tensor.shape.clone();
        return bridge::map_data(tensor, name, DType::F32, shape, |data| {
            data.convert_dtype(DType::F32)
        });
    }
    let mut tensor = tensor;
    tensor.name = name;
    tensor
}

/// `[rows, cols]` -> `[cols, rows]` for f32 data (anything else is returned as is, and burn's
/// shape check then names the tensor).
fn transpose(data: TensorData) -> TensorData {
    let [rows, cols] = data.shape().as_slice() else {
        return data;
    };
    let (rows, cols) = (*rows, *cols);
    let Ok(values) = data.as_slice::<f32>() else {
        return data;
    };
    let mut out = vec![0f32; values.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = values[r * cols + c];
        }
    }
    TensorData::new(out, [cols, rows])
}
