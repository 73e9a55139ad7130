//! Imported weights compute what PyTorch computes: scripts/make_reference_weights.py saves
//! random-weight torchvision resnet18 / resnet50 and timm resnet50d state dicts (BN statistics,
//! gamma and beta randomized too) as .pth and .safetensors with PyTorch's eval-mode logits for
//! a fixed batch; botui loads each file on flex and on LibTorch and must agree within
//! 1e-4 x max |logit|.
//!
//! Needs the `tch` feature and the reference venv (`scripts/setup-libtorch.sh --reference`):
//! the venv's python is `$VIRTUAL_ENV/bin/python`, else
//! `~/.local/share/botui/torch-2.9.0/bin/python`.
#![cfg(feature = "tch")]

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use botui::device::DeviceName;
use botui::model::import::{ImportOptions, SourceLayout, WeightsFormat, load_pretrained};
use botui::model::{ModelConfig, ModelName, ResNetVariant};
use burn::module::Module;
use burn::store::{ModuleStore, SafetensorsStore, bridge};
use burn::tensor::{Device, Tensor, TensorData};

const TOLERANCE: f32 = 1e-4;

/// Runs the reference script once for the whole test binary, into target/tmp. The files are
/// reused while the script is unchanged (a copy of it sits beside them).
fn reference_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("import_pytorch");
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/make_reference_weights.py");
        let source = std::fs::read(&script).unwrap();
        let stamp = dir.join("script.py");
        if std::fs::read(&stamp).ok().as_ref() == Some(&source) {
            return dir;
        }
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        common::run_script("make_reference_weights.py", &[&dir]);
        std::fs::write(&stamp, source).unwrap();
        dir
    })
}

fn read_tensor(path: &Path, name: &str, device: &Device) -> Tensor<2> {
    let mut store = SafetensorsStore::from_file(path);
    let tensor = store.get_tensor(name).unwrap().unwrap().clone();
    let data: TensorData = bridge::into_data(tensor).unwrap();
    match data.shape().len() {
        2 => Tensor::from_data(data, device),
        // The input batch [n, 3, s, s], flattened to [n, 3 s s] for a uniform return type.
        4 => {
            let dims = data.shape().to_vec();
            Tensor::<4>::from_data(data, device).reshape([dims[0] as i32, -1])
        }
        n => panic!("{name}: rank {n}"),
    }
}

/// Loads `file` as `config` on `device`, runs the reference batch and returns
/// (max |botui - PyTorch|, max |PyTorch logit|).
fn max_diff(
    config: &ModelConfig,
    name: &str,
    format: WeightsFormat,
    layout: SourceLayout,
    device_name: DeviceName,
) -> (f32, f32) {
    let dir = reference_dir();
    let ext = match format {
        WeightsFormat::Pytorch => "pth",
        WeightsFormat::Safetensors => "safetensors",
    };
    let file = dir.join(format!("{name}.{ext}"));
    let device = device_name.resolve().unwrap();
    let (model, report) = load_pretrained(config, &file, &device, ImportOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.is_complete(), "{report}");
    assert!(report.unexpected.is_empty(), "{report}");
    assert_eq!(report.format, format);
    assert_eq!(report.layout, layout);
    let io = dir.join(format!("{name}.io.safetensors"));
    let input = read_tensor(&io, "input", &device);
    let [n, _] = input.dims();
    let s = config.input;
    let input = input.reshape([n, 3, s, s]);
    let expected = read_tensor(&io, "logits", &device);
    let logits = model.valid().forward(input);
    assert_eq!(logits.dims(), expected.dims());
    let diff: f32 = (logits - expected.clone()).abs().max().into_scalar();
    let scale: f32 = expected.abs().max().into_scalar();
    println!(
        "{name:<10} {ext:<12} {device_name:<9} max |diff| = {diff:.3e}, max |logit| = {scale:.3e}, \
         relative {:.3e} ({} tensors matched)",
        diff / scale,
        report.matched.len()
    );
    (diff, scale)
}

fn check(name: &str, depth: usize, variant: ResNetVariant, layout: SourceLayout) {
    let config = ModelConfig::new(ModelName::ResNet(depth), 1000, 224).with_variant(variant);
    for format in [WeightsFormat::Pytorch, WeightsFormat::Safetensors] {
        for device in [DeviceName::Flex, DeviceName::LibTorch] {
            let (diff, scale) = max_diff(&config, name, format, layout, device);
            assert!(
                diff <= TOLERANCE * scale,
                "{name} {format} on {device}: max |diff| {diff} > {TOLERANCE} x {scale}"
            );
        }
    }
}

#[test]
fn torchvision_resnet18_matches_pytorch() {
    check("resnet18", 18, ResNetVariant::B, SourceLayout::Torchvision);
}

#[test]
fn torchvision_resnet50_matches_pytorch() {
    check("resnet50", 50, ResNetVariant::B, SourceLayout::Torchvision);
}

#[test]
fn timm_resnet50d_matches_pytorch() {
    check("resnet50d", 50, ResNetVariant::D, SourceLayout::TimmAvgDown);
}
