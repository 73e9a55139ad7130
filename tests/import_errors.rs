//! The importer on state dicts this test writes itself (safetensors, ResNet-18 sized): names
//! land in the right modules, and every way a file can be wrong gives an error naming it.
//! No Python needed; tests/import_pytorch.rs checks the numbers against PyTorch.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use botui::model::import::{ImportError, ImportOptions, SourceLayout, load_pretrained};
use botui::model::{ModelConfig, ModelName, ResNetVariant};
use burn::store::{ModuleSnapshot, bridge};
use burn::tensor::Device;

/// One tensor of a state dict: PyTorch key, shape, values.
#[derive(Clone)]
struct Entry {
    key: String,
    shape: Vec<usize>,
    values: Vec<f32>,
}

/// A resnet18 state dict as torchvision (`deep_stem = false`) or timm's resnet18d names it,
/// written out from the two libraries' conventions. Tensor k holds the constant k + 1, except
/// `fc.weight`, whose element [o, i] is o * 1000 + i (so a missed transpose shows).
fn resnet18_state_dict(deep_stem: bool, classes: usize) -> Vec<Entry> {
    let mut shapes: Vec<(String, Vec<usize>)> = vec![];
    let bn = |shapes: &mut Vec<(String, Vec<usize>)>, name: &str, c: usize| {
        for p in ["weight", "bias", "running_mean", "running_var"] {
            shapes.push((format!("{name}.{p}"), vec![c]));
        }
    };
    if deep_stem {
        shapes.push(("conv1.0.weight".into(), vec![32, 3, 3, 3]));
        bn(&mut shapes, "conv1.1", 32);
        shapes.push(("conv1.3.weight".into(), vec![32, 32, 3, 3]));
        bn(&mut shapes, "conv1.4", 32);
        shapes.push(("conv1.6.weight".into(), vec![64, 32, 3, 3]));
    } else {
        shapes.push(("conv1.weight".into(), vec![64, 3, 7, 7]));
    }
    bn(&mut shapes, "bn1", 64);
    let mut c_in = 64;
    for stage in 1..=4 {
        let w = 64 << (stage - 1);
        for i in 0..2 {
            let b = format!("layer{stage}.{i}");
            let block_in = if i == 0 { c_in } else { w };
            shapes.push((format!("{b}.conv1.weight"), vec![w, block_in, 3, 3]));
            bn(&mut shapes, &format!("{b}.bn1"), w);
            shapes.push((format!("{b}.conv2.weight"), vec![w, w, 3, 3]));
            bn(&mut shapes, &format!("{b}.bn2"), w);
            if stage > 1 && i == 0 {
                // timm's ResNet-D shortcut: downsample.0 is the (parameterless) avg pool.
                let (conv, norm) = if deep_stem { (1, 2) } else { (0, 1) };
                shapes.push((format!("{b}.downsample.{conv}.weight"), vec![w, c_in, 1, 1]));
                bn(&mut shapes, &format!("{b}.downsample.{norm}"), w);
            }
        }
        c_in = w;
    }
    shapes.push(("fc.weight".into(), vec![classes, 512]));
    shapes.push(("fc.bias".into(), vec![classes]));
    shapes
        .into_iter()
        .enumerate()
        .map(|(k, (key, shape))| {
            let n = shape.iter().product();
            let values = if key == "fc.weight" {
                (0..n)
                    .map(|j| ((j / 512) * 1000 + j % 512) as f32)
                    .collect()
            } else {
                vec![(k + 1) as f32; n]
            };
            Entry { key, shape, values }
        })
        .collect()
}

/// The safetensors format: an 8-byte little-endian header length, a JSON header
/// `{key: {dtype, shape, data_offsets}}`, then the tensors' little-endian bytes.
fn write_safetensors(path: &Path, entries: &[Entry]) {
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for e in entries {
        let start = data.len();
        for v in &e.values {
            data.extend_from_slice(&v.to_le_bytes());
        }
        header.insert(
            e.key.clone(),
            serde_json::json!({"dtype": "F32", "shape": e.shape, "data_offsets": [start, data.len()]}),
        );
    }
    let header = serde_json::to_vec(&header).unwrap();
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(&data);
    std::fs::write(path, bytes).unwrap();
}

fn write(dir: &tempfile::TempDir, name: &str, entries: &[Entry]) -> PathBuf {
    let path = dir.path().join(name);
    write_safetensors(&path, entries);
    path
}

fn resnet18(variant: ResNetVariant, classes: usize) -> ModelConfig {
    ModelConfig::new(ModelName::ResNet(18), classes, 224).with_variant(variant)
}

fn load(
    config: &ModelConfig,
    path: &Path,
    options: ImportOptions,
) -> Result<(botui::model::Model, botui::model::import::ImportReport), ImportError> {
    load_pretrained(config, path, &Device::flex(), options)
}

/// The model's tensors by burn path, as flat f32 vectors.
fn model_values(model: &botui::model::Model) -> BTreeMap<String, Vec<f32>> {
    model
        .collect(None, None, false)
        .into_iter()
        .map(|t| {
            let name = t.name.clone();
            let data = bridge::into_data(t).unwrap();
            (name, data.try_to_vec::<f32>().unwrap())
        })
        .collect()
}

/// Checks that each (burn path, PyTorch key) pair was copied across, and that every model
/// tensor came from a different file tensor.
fn assert_mapped(entries: &[Entry], model: &botui::model::Model, pairs: &[(&str, &str)]) {
    let values = model_values(model);
    let file: BTreeMap<&str, &Entry> = entries.iter().map(|e| (e.key.as_str(), e)).collect();
    for (burn, torch) in pairs {
        let got = &values[*burn];
        assert_eq!(got, &file[torch].values, "{burn} should hold {torch}");
    }
    let mut constants: Vec<f32> = values
        .iter()
        .filter(|(k, _)| !k.ends_with("fc.weight"))
        .map(|(k, v)| {
            assert!(v.iter().all(|x| *x == v[0]), "{k} mixes file tensors");
            v[0]
        })
        .collect();
    let n = constants.len();
    constants.sort_by(f32::total_cmp);
    constants.dedup();
    assert_eq!(
        constants.len(),
        n,
        "two model tensors loaded from one file tensor"
    );
    // fc.weight: burn [d_in, d_out] element [i, o] is PyTorch's [o, i] = o * 1000 + i.
    let fc = &values["ResNet.fc.weight"];
    let classes = fc.len() / 512;
    for (i, o) in [(0, 1), (3, 0), (511, classes - 1)] {
        assert_eq!(
            fc[i * classes + o],
            (o * 1000 + i) as f32,
            "fc.weight[{i}, {o}]"
        );
    }
}

#[test]
fn torchvision_names_land_in_their_modules() {
    let dir = tempfile::tempdir().unwrap();
    let mut entries = resnet18_state_dict(false, 10);
    entries.push(Entry {
        key: "bn1.num_batches_tracked".into(),
        shape: vec![],
        values: vec![7.0],
    });
    let path = write(&dir, "resnet18.safetensors", &entries);
    let (model, report) = load(&resnet18(ResNetVariant::B, 10), &path, Default::default()).unwrap();
    assert_eq!(report.layout, SourceLayout::Torchvision);
    // 20 convs and 20 BNs (stem, 16 in blocks, 3 shortcuts; 4 tensors per BN) and fc: the
    // 122 keys of torchvision's resnet18 less its 20 num_batches_tracked.
    assert_eq!(report.matched.len(), 20 + 20 * 4 + 2, "{report}");
    assert_eq!(report.ignored, ["bn1.num_batches_tracked"]);
    assert!(
        report.missing.is_empty() && report.unexpected.is_empty(),
        "{report}"
    );
    let pairs = [
        ("ResNet.stem.Plain.conv1.weight", "conv1.weight"),
        ("ResNet.stem.Plain.bn1.gamma", "bn1.weight"),
        ("ResNet.stem.Plain.bn1.beta", "bn1.bias"),
        ("ResNet.stem.Plain.bn1.running_mean", "bn1.running_mean"),
        ("ResNet.stem.Plain.bn1.running_var", "bn1.running_var"),
        (
            "ResNet.layer1.1.Basic.conv2.weight",
            "layer1.1.conv2.weight",
        ),
        (
            "ResNet.layer3.0.Basic.bn1.running_var",
            "layer3.0.bn1.running_var",
        ),
        (
            "ResNet.layer2.0.Basic.downsample.conv.weight",
            "layer2.0.downsample.0.weight",
        ),
        (
            "ResNet.layer4.0.Basic.downsample.bn.gamma",
            "layer4.0.downsample.1.weight",
        ),
        (
            "ResNet.layer4.0.Basic.downsample.bn.running_mean",
            "layer4.0.downsample.1.running_mean",
        ),
        ("ResNet.fc.bias", "fc.bias"),
    ];
    assert_mapped(&entries, &model, &pairs);
}

#[test]
fn timm_deep_stem_and_avg_down_names_land_in_their_modules() {
    let dir = tempfile::tempdir().unwrap();
    let entries = resnet18_state_dict(true, 10);
    let path = write(&dir, "resnet18d.safetensors", &entries);
    let (model, report) = load(&resnet18(ResNetVariant::D, 10), &path, Default::default()).unwrap();
    assert_eq!(report.layout, SourceLayout::TimmAvgDown);
    assert!(
        report.missing.is_empty() && report.unexpected.is_empty(),
        "{report}"
    );
    let pairs = [
        ("ResNet.stem.Deep.conv1.weight", "conv1.0.weight"),
        ("ResNet.stem.Deep.bn1.running_var", "conv1.1.running_var"),
        ("ResNet.stem.Deep.conv2.weight", "conv1.3.weight"),
        ("ResNet.stem.Deep.bn2.beta", "conv1.4.bias"),
        ("ResNet.stem.Deep.conv3.weight", "conv1.6.weight"),
        ("ResNet.stem.Deep.bn3.gamma", "bn1.weight"),
        ("ResNet.stem.Deep.bn3.running_mean", "bn1.running_mean"),
        (
            "ResNet.layer3.0.Basic.downsample.conv.weight",
            "layer3.0.downsample.1.weight",
        ),
        (
            "ResNet.layer3.0.Basic.downsample.bn.running_var",
            "layer3.0.downsample.2.running_var",
        ),
    ];
    assert_mapped(&entries, &model, &pairs);
}

#[test]
fn classifier_with_another_class_count_is_a_mismatch_unless_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "r18.safetensors", &resnet18_state_dict(false, 1000));
    let config = resnet18(ResNetVariant::B, 10);
    let err = load(&config, &path, Default::default()).unwrap_err();
    let ImportError::Incompatible { report, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(report.mismatched.len(), 2, "{report}");
    let msg = err.to_string();
    assert!(
        msg.contains("fc.weight: model [10, 512], file [1000, 512]"),
        "{msg}"
    );
    assert!(msg.contains("fc.bias: model [10], file [1000]"), "{msg}");
    assert!(msg.contains("--skip-classifier"), "{msg}");

    let skip = ImportOptions {
        skip_classifier: true,
    };
    let (_, report) = load(&config, &path, skip).unwrap();
    assert_eq!(report.skipped, ["fc.weight", "fc.bias"]);
    assert!(report.mismatched.is_empty() && report.unexpected.is_empty());
}

#[test]
fn shape_mismatch_names_the_tensor_and_both_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let mut entries = resnet18_state_dict(false, 10);
    let e = entries
        .iter_mut()
        .find(|e| e.key == "layer3.1.conv1.weight")
        .unwrap();
    e.shape = vec![256, 256, 1, 1];
    e.values.truncate(256 * 256);
    let path = write(&dir, "r18.safetensors", &entries);
    let err = load(&resnet18(ResNetVariant::B, 10), &path, Default::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("layer3.1.conv1.weight: model [256, 256, 3, 3], file [256, 256, 1, 1]"),
        "{msg}"
    );
    assert!(msg.contains("1 shape mismatches"), "{msg}");
}

#[test]
fn missing_tensor_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut entries = resnet18_state_dict(false, 10);
    entries.retain(|e| e.key != "layer2.1.bn2.running_var" && e.key != "fc.bias");
    let path = write(&dir, "r18.safetensors", &entries);
    let err = load(&resnet18(ResNetVariant::B, 10), &path, Default::default()).unwrap_err();
    let ImportError::Incompatible { report, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(report.missing, ["layer2.1.bn2.running_var", "fc.bias"]);
    let msg = err.to_string();
    assert!(
        msg.contains("missing (in the model, not in the file)"),
        "{msg}"
    );
    assert!(msg.contains("\n  layer2.1.bn2.running_var"), "{msg}");
}

#[test]
fn unexpected_tensors_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let mut entries = resnet18_state_dict(false, 10);
    entries.push(Entry {
        key: "layer2.1.se.fc1.weight".into(),
        shape: vec![4],
        values: vec![0.0; 4],
    });
    let path = write(&dir, "r18.safetensors", &entries);
    let (_, report) = load(&resnet18(ResNetVariant::B, 10), &path, Default::default()).unwrap();
    assert_eq!(report.unexpected, ["layer2.1.se.fc1.weight"]);
    assert!(report.to_string().contains("1 unexpected"), "{report}");
}

#[test]
fn training_checkpoint_prefix_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut entries = resnet18_state_dict(false, 10);
    for e in &mut entries {
        e.key = format!("state_dict.{}", e.key);
    }
    entries.push(Entry {
        key: "optimizer.state.0.momentum_buffer".into(),
        shape: vec![2],
        values: vec![0.0; 2],
    });
    let path = write(&dir, "ckpt.safetensors", &entries);
    let (_, report) = load(&resnet18(ResNetVariant::B, 10), &path, Default::default()).unwrap();
    assert_eq!(report.prefix, "state_dict.");
    assert_eq!(report.outside_prefix, 1);
    assert!(
        report.is_complete() && report.unexpected.is_empty(),
        "{report}"
    );
}

#[test]
fn other_depth_or_variant_is_refused_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "r18.safetensors", &resnet18_state_dict(false, 10));
    let config = ModelConfig::new(ModelName::ResNet(34), 10, 224);
    let msg = load(&config, &path, Default::default())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("resnet18 weights") && msg.contains("resnet34-B"),
        "{msg}"
    );

    let msg = load(&resnet18(ResNetVariant::D, 10), &path, Default::default())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("ResNet-B weights") && msg.contains("use variant B"),
        "{msg}"
    );

    let deep = write(&dir, "r18d.safetensors", &resnet18_state_dict(true, 10));
    let msg = load(&resnet18(ResNetVariant::B, 10), &deep, Default::default())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("ResNet-D weights") && msg.contains("resnet18d"),
        "{msg}"
    );

    let mobilenet = ModelConfig::new(ModelName::MobileNet, 10, 224);
    let msg = load(&mobilenet, &path, Default::default())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("resnet18 weights") && msg.contains("load them into resnet18"),
        "{msg}"
    );
}

#[test]
fn files_that_are_not_weights_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let config = resnet18(ResNetVariant::B, 10);
    let opts = ImportOptions::default();

    let missing = dir.path().join("nope.pth");
    let err = load(&config, &missing, opts).unwrap_err();
    assert!(matches!(err, ImportError::NotFound { .. }), "{err}");
    assert!(err.to_string().contains("nope.pth"), "{err}");

    let txt = dir.path().join("weights.txt");
    std::fs::write(&txt, "hello").unwrap();
    let msg = load(&config, &txt, opts).unwrap_err().to_string();
    assert!(
        msg.contains("weights.txt") && msg.contains(".safetensors"),
        "{msg}"
    );

    for name in ["garbage.safetensors", "garbage.pth"] {
        let path = dir.path().join(name);
        std::fs::write(&path, "this is not a tensor file\n").unwrap();
        let err = load(&config, &path, opts).unwrap_err();
        assert!(matches!(err, ImportError::Read { .. }), "{name}: {err}");
        assert!(err.to_string().contains(name), "{err}");
    }

    let other = write(
        &dir,
        "bert.safetensors",
        &[Entry {
            key: "encoder.layer.0.attention.weight".into(),
            shape: vec![2],
            values: vec![0.0; 2],
        }],
    );
    let msg = load(&config, &other, opts).unwrap_err().to_string();
    assert!(
        msg.contains("not a state dict of a zoo model") && msg.contains("encoder.layer.0"),
        "{msg}"
    );
}

/// `botui model NAME --weights FILE`: the report on success, a non-zero exit naming the file
/// on errors.
#[test]
fn model_command_prints_the_report_and_fails_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "r18.safetensors", &resnet18_state_dict(false, 10));
    let botui = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_botui"))
            .args(args)
            .output()
            .unwrap()
    };
    let file = path.to_str().unwrap();
    let out = botui(&["model", "resnet18", "--classes", "10", "--weights", file]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("102 matched, 0 missing"), "{stdout}");

    let out = botui(&["model", "resnet18", "--weights", file]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("fc.weight: model [1000, 512], file [10, 512]"),
        "{stderr}"
    );

    let out = botui(&["model", "resnet18", "--weights", "no-such-file.pth"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("no-such-file.pth does not exist"),
        "{stderr}"
    );
}
