//! What `botui export` writes loads in PyTorch and computes botui's logits: a tiny trained run
//! (ResNet-18, B) exported with torchvision's and timm's names, and checkpoints with randomized
//! BN statistics of ResNet-18-D (timm), MobileNet v1 (timm) and Inception-V3 (torchvision),
//! as .pth and .safetensors. scripts/check_exported_weights.py builds each model with the
//! constructor `botui export` printed, loads the file with `load_state_dict(strict=True)`
//! (a .pth through `torch.load(weights_only=True)`) and runs it on the same preprocessed images;
//! its logits must equal `botui predict --logits`'s within 1e-4 x max |logit|.
//!
//! Needs the `tch` feature (CI runs it there, with the reference venv) and the venv's python.
#![cfg(feature = "tch")]

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use botui::eval::open;
use botui::eval::predict::{preprocess, transform};
use botui::model::{ModelConfig, ModelName, ResNetVariant, StemKind};
use burn::store::{ModuleStore, SafetensorsStore, bridge};
use burn::tensor::Device;
use common::{botui, run, stdout};

const TOLERANCE: f64 = 1e-4;

/// A checkpoint of `config` with randomized BN statistics, in a folder of its own.
fn random_checkpoint(home: &Path, name: &str, config: ModelConfig) -> PathBuf {
    let path = home.join(format!("{name}.ckpt"));
    common::randomized_checkpoint(&path, &config, 321);
    path
}

fn imagenet(name: ModelName, variant: ResNetVariant, classes: usize, input: usize) -> ModelConfig {
    let mut c = ModelConfig::new(name, classes, input).with_variant(variant);
    c.stem = StemKind::Imagenet;
    c
}

/// `botui export MODEL --to TO --out FILE`; returns the constructor it printed.
fn export(home: &Path, model: &Path, to: &str, file: &Path) -> String {
    let out = run(botui(home)
        .args(["export", model.to_str().unwrap(), "--to", to, "--out"])
        .arg(file));
    assert!(out.status.success(), "export {model:?} --to {to} failed");
    let text = stdout(&out);
    text.lines()
        .find_map(|l| l.trim().strip_prefix("model = "))
        .unwrap_or_else(|| panic!("no constructor printed:\n{text}"))
        .to_string()
}

/// `botui predict --json --logits MODEL IMAGES`: the logits, image by image.
fn predict_logits(home: &Path, model: &Path, images: &[PathBuf]) -> Vec<Vec<f64>> {
    let out = run(botui(home)
        .args(["predict", model.to_str().unwrap()])
        .args(images)
        .args(["--json", "--logits"]));
    assert!(out.status.success(), "predict {model:?} failed");
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    v["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["logits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect()
}

/// The batch `botui predict` feeds `model`, as `{"input": [n, 3, s, s]}` in `path`.
fn write_input(model: &Path, images: &[PathBuf], path: &Path) {
    let loaded = open(model, &Device::flex(), false).unwrap();
    let t = transform(&loaded);
    let mut values = Vec::new();
    for image in images {
        values.extend(preprocess(image, &t).unwrap());
    }
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let shape = vec![images.len(), 3, t.size, t.size];
    let view =
        safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape, &bytes).unwrap();
    let file = safetensors::tensor::serialize([("input", view)], None).unwrap();
    std::fs::write(path, file).unwrap();
}

fn read_logits(path: &Path) -> Vec<f32> {
    let mut store = SafetensorsStore::from_file(path);
    let tensor = store.get_tensor("logits").unwrap().unwrap().clone();
    bridge::into_data(tensor)
        .unwrap()
        .try_to_vec::<f32>()
        .unwrap()
}

#[test]
fn exported_weights_compute_botuis_logits_in_pytorch() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let images: Vec<PathBuf> = [(40, 30), (33, 50), (64, 64)]
        .iter()
        .enumerate()
        .map(|(i, &(w, hgt))| {
            let path = h.join(format!("image{i}.png"));
            common::write_png(&path, w, hgt, i as u32);
            path
        })
        .collect();
    let trained = common::train_tiny_resnet18(h, 1, 4);
    let r18d = random_checkpoint(
        h,
        "r18d",
        imagenet(ModelName::ResNet(18), ResNetVariant::D, 5, 32),
    );
    let mobilenet = random_checkpoint(
        h,
        "mobilenet",
        imagenet(ModelName::MobileNet, ResNetVariant::B, 3, 32),
    );
    let inception = random_checkpoint(
        h,
        "inception",
        imagenet(ModelName::InceptionV3, ResNetVariant::B, 6, 75),
    );
    let exports = [
        ("r18_torchvision_pth", &trained, "torchvision", "pth"),
        ("r18_timm_safetensors", &trained, "timm", "safetensors"),
        ("r18d_timm_pth", &r18d, "timm", "pth"),
        ("r18d_timm_safetensors", &r18d, "timm", "safetensors"),
        ("mobilenet_timm_pth", &mobilenet, "timm", "pth"),
        (
            "inception_torchvision_safetensors",
            &inception,
            "torchvision",
            "safetensors",
        ),
        ("inception_timm_pth", &inception, "timm", "pth"),
    ];
    let mut manifest = Vec::new();
    let mut expected = Vec::new();
    let mut predicted: HashMap<&Path, Vec<Vec<f64>>> = HashMap::new();
    for (name, model, to, ext) in exports {
        let file = h.join(format!("{name}.{ext}"));
        let constructor = export(h, model, to, &file);
        let input = h.join(format!("{name}.input.safetensors"));
        write_input(model, &images, &input);
        manifest.push(serde_json::json!({
            "name": name,
            "constructor": constructor,
            "weights": file,
            "input": input,
        }));
        let logits = predicted
            .entry(model.as_path())
            .or_insert_with(|| predict_logits(h, model, &images));
        expected.push((name, logits.clone()));
    }
    let manifest_path = h.join("manifest.json");
    std::fs::write(
        &manifest_path,
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    common::run_script("check_exported_weights.py", &[&manifest_path, h]);
    for (name, botui_logits) in expected {
        let torch = read_logits(&h.join(format!("{name}.logits.safetensors")));
        let ours: Vec<f64> = botui_logits.into_iter().flatten().collect();
        assert_eq!(torch.len(), ours.len(), "{name}");
        let scale = torch.iter().fold(0f64, |m, &v| m.max((v as f64).abs()));
        let diff = torch
            .iter()
            .zip(&ours)
            .fold(0f64, |m, (&t, &o)| m.max((t as f64 - o).abs()));
        println!(
            "{name:<34} max |diff| {diff:.3e}, max |logit| {scale:.3e}, relative {:.3e}",
            diff / scale
        );
        assert!(
            diff <= TOLERANCE * scale,
            "{name}: PyTorch and botui predict differ by {diff} (max |logit| {scale})"
        );
    }
}
