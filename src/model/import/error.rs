//! What goes wrong importing torchvision or timm weights.

use std::path::PathBuf;

use super::report::{ImportReport, WeightsFormat};
use crate::model::ModelError;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("weights file {} does not exist", .path.display())]
    NotFound { path: PathBuf },
    #[error(
        "weights file {}: unknown format, expected a .pth/.pt (PyTorch) or .safetensors file",
        .path.display()
    )]
    UnknownFormat { path: PathBuf },
    #[error("cannot read {} as a {format} weights file: {message}", .path.display())]
    Read {
        path: PathBuf,
        format: WeightsFormat,
        message: String,
    },
    #[error(
        "{} is not a state dict of a zoo model in torchvision's or timm's layout (expected keys \
         such as conv1.weight, layer1.0.conv1.weight, fc.weight for a ResNet, conv_stem.weight \
         for timm's MobileNet v1, Conv2d_1a_3x3.conv.weight for Inception-V3); its {count} \
         tensors include {sample}",
        .path.display()
    )]
    UnknownLayout {
        path: PathBuf,
        count: usize,
        sample: String,
    },
    #[error("{} holds {found}, but the model is {model}: {hint}", .path.display())]
    WrongArchitecture {
        path: PathBuf,
        found: String,
        model: String,
        hint: String,
    },
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("weights do not fit {model}: {report}")]
    Incompatible {
        model: String,
        report: Box<ImportReport>,
    },
    #[error("{}: burn could not load the weights: {message}", .path.display())]
    Apply { path: PathBuf, message: String },
}
