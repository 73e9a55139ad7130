//! `botui export` and import round-trip: weights exported under torchvision's or timm's names,
//! as .safetensors or .pth, load back into the same model with every tensor equal. Models have
//! randomized BN statistics, so a BN exported under another BN's name would not match.
//! PyTorch's side of the same files is tests/export_pytorch.rs (`tch` feature).

mod common;

use botui::model::export::{ExportError, ExportFormat, ExportTarget, export_weights};
use botui::model::import::{ImportOptions, detect_config, load_pretrained};
use botui::model::{ModelConfig, ModelName, ResNetVariant, StemKind};
use burn::module::Module;
use burn::store::bridge;
use burn::store::pytorch_reader::PytorchReader;
use burn::tensor::{DType, Device};

fn imagenet(name: ModelName, variant: ResNetVariant, input: usize) -> ModelConfig {
    let mut c = ModelConfig::new(name, 7, input).with_variant(variant);
    c.stem = StemKind::Imagenet;
    c
}

fn ext(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Safetensors => "safetensors",
        ExportFormat::Pth => "pth",
    }
}

#[test]
fn exported_weights_import_back_tensor_for_tensor() {
    let dir = tempfile::tempdir().unwrap();
    let device = Device::flex();
    let cases = [
        (
            imagenet(ModelName::ResNet(18), ResNetVariant::B, 32),
            ExportTarget::Torchvision,
        ),
        (
            imagenet(ModelName::ResNet(18), ResNetVariant::D, 32),
            ExportTarget::Timm,
        ),
        (
            imagenet(ModelName::MobileNet, ResNetVariant::B, 32),
            ExportTarget::Timm,
        ),
        (
            imagenet(ModelName::InceptionV3, ResNetVariant::B, 75),
            ExportTarget::Torchvision,
        ),
    ];
    for (config, target) in cases {
        let model = common::randomized(&config);
        let want = common::tensors(&model);
        let bns = want.keys().filter(|k| k.ends_with(".running_var")).count();
        for format in [ExportFormat::Safetensors, ExportFormat::Pth] {
            let name = format!("{}-{target}.{}", config.display_name(), ext(format));
            let out = dir.path().join(&name);
            let summary = export_weights(&model, &config, target, format, &out, 1234).unwrap();
            assert_eq!(summary.tensors, want.len() + bns, "{name}");

            let (back, report) =
                load_pretrained(&config, &out, &device, ImportOptions::default()).unwrap();
            assert!(report.is_complete(), "{name}: {report}");
            assert!(report.unexpected.is_empty(), "{name}: {report}");
            assert_eq!(report.matched.len(), want.len(), "{name}");
            assert_eq!(report.ignored.len(), bns, "{name}: num_batches_tracked");
            let got = common::tensors(&back.valid());
            for (path, values) in &want {
                assert!(
                    got[path] == *values,
                    "{name}: {path} differs after the round trip"
                );
            }

            // The file alone says which model it holds.
            let detected = detect_config(&out).unwrap();
            assert_eq!(
                (detected.name, detected.classes, detected.width),
                (config.name, config.classes, config.width),
                "{name}"
            );
            if let ModelName::ResNet(_) = config.name {
                assert_eq!(detected.variant, config.variant, "{name}");
            }
        }
    }
}

/// burn's PyTorch reader (another implementation of the format) reads what the .pth writer
/// wrote: the same keys as the safetensors file, the BN counters as int64 scalars.
#[test]
fn pth_files_read_back_with_burns_pytorch_reader() {
    let dir = tempfile::tempdir().unwrap();
    let config = imagenet(ModelName::ResNet(18), ResNetVariant::B, 32);
    let model = common::randomized(&config);
    let pth = dir.path().join("r18.pth");
    export_weights(
        &model,
        &config,
        ExportTarget::Torchvision,
        ExportFormat::Pth,
        &pth,
        77_777,
    )
    .unwrap();
    let tensors = PytorchReader::new(&pth).unwrap().into_tensors();
    assert_eq!(tensors.len(), 102 + 20, "102 tensors + 20 BN counters");
    let counter = bridge::from_pytorch(tensors["layer1.0.bn1.num_batches_tracked"].clone());
    assert_eq!(counter.dtype, DType::I64);
    assert!(counter.shape.is_empty());
    let data = bridge::into_data(counter).unwrap();
    assert_eq!(data.try_to_vec::<i64>().unwrap(), vec![77_777]);
    let fc = bridge::from_pytorch(tensors["fc.weight"].clone());
    assert_eq!(fc.shape.as_slice(), &[7, 512], "PyTorch's [out, in]");
}

#[test]
fn what_cannot_be_written_is_a_clear_error_and_keeps_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = imagenet(ModelName::ResNet(18), ResNetVariant::D, 32);
    let model = common::randomized(&d);
    let out = dir.path().join("r18d.pth");
    let err = export_weights(
        &model,
        &d,
        ExportTarget::Torchvision,
        ExportFormat::Pth,
        &out,
        0,
    )
    .unwrap_err();
    assert!(matches!(err, ExportError::Inexpressible(_)), "{err}");
    assert!(err.to_string().contains("--to timm (resnet18d)"), "{err}");
    assert!(!out.exists());

    let wrong = dir.path().join("r18d.safetensors");
    let err =
        export_weights(&model, &d, ExportTarget::Timm, ExportFormat::Pth, &wrong, 0).unwrap_err();
    assert!(err.to_string().contains("must end in .pth or .pt"), "{err}");

    // A failed write (a full disk) leaves the previous export as it was.
    std::fs::write(&out, b"previous export").unwrap();
    botui::fsutil::simulate_full_disk_for(&out);
    let err =
        export_weights(&model, &d, ExportTarget::Timm, ExportFormat::Pth, &out, 0).unwrap_err();
    assert!(err.to_string().contains("no space left"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), b"previous export");
}

/// `botui model --weights FILE` reads the model from the exported file (no name needed) and
/// matches every tensor; a model of another depth is refused with the one that fits.
#[test]
fn model_command_reads_exports_back() {
    let dir = tempfile::tempdir().unwrap();
    let config = imagenet(ModelName::ResNet(18), ResNetVariant::D, 32);
    let model = common::randomized(&config);
    let out = dir.path().join("r18d.safetensors");
    export_weights(
        &model,
        &config,
        ExportTarget::Timm,
        ExportFormat::Safetensors,
        &out,
        5,
    )
    .unwrap();
    let file = out.to_str().unwrap();
    let o = common::run(common::botui(dir.path()).args(["model", "--weights", file]));
    assert!(o.status.success());
    let text = common::stdout(&o);
    assert!(text.contains("resnet18-D (7 classes"), "{text}");
    assert!(
        text.contains("matched, 0 missing, 0 unexpected, 0 shape mismatches"),
        "{text}"
    );

    let o = common::run(common::botui(dir.path()).args(["model", "resnet34d", "--weights", file]));
    assert!(!o.status.success());
    let err = common::stderr(&o);
    assert!(
        err.contains("resnet18 weights") && err.contains("load them into resnet18"),
        "{err}"
    );
}
