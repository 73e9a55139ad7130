//! What the tests that drive the `botui` binary share (study, cli_train, eval, predict,
//! export): running the binary,
//! saving checkpoints of models whose BN statistics are randomized (so a BN mapped to the
//! wrong module changes the outputs), and writing image files.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use botui::checkpoint::save_checkpoint;
use botui::model::{Model, ModelConfig};
use burn::module::Module;
use burn::store::{ModuleSnapshot, bridge};
use burn::tensor::{Device, TensorData};

/// The reference venv's python (torch, torchvision, timm, safetensors): `$VIRTUAL_ENV/bin/python`,
/// else `~/.local/share/botui/torch-2.9.0/bin/python` (scripts/setup-libtorch.sh --reference).
pub fn python() -> std::path::PathBuf {
    use std::path::PathBuf;
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        let p = PathBuf::from(venv).join("bin/python");
        if p.exists() {
            return p;
        }
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".local/share"));
    data.join("botui/torch-2.9.0/bin/python")
}

/// Runs `scripts/NAME` with the reference venv's python and `args`; panics with its stderr
/// when it fails.
pub fn run_script(name: &str, args: &[&Path]) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(name);
    let python = python();
    let out = Command::new(&python)
        .arg(&script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "{} {} failed:\n{}",
        python.display(),
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Trains ResNet-18 (B, ImageNet stem, so torchvision and timm can take it) at 32x32 on 4
/// built-in classes of 16 training images, batch 16: a few seconds an epoch. Returns the run
/// folder, `home/run`.
pub fn train_tiny_resnet18(home: &Path, epochs: usize, val_per_class: usize) -> std::path::PathBuf {
    let dir = home.join("run");
    let mut cmd = botui(home);
    cmd.arg("train").args([
        "--model",
        "resnet18",
        "--input",
        "32",
        "--batch-size",
        "16",
        "--epochs",
        &epochs.to_string(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    for setting in [
        "model.stem=imagenet".to_string(),
        "data.builtin_classes=4".into(),
        "data.builtin_train_per_class=16".into(),
        format!("data.builtin_val_per_class={val_per_class}"),
        "data.builtin_size=32".into(),
        "data.workers=1".into(),
    ] {
        cmd.args(["--set", &setting]);
    }
    assert!(
        run(&mut cmd).status.success(),
        "training the tiny run failed"
    );
    dir
}

/// The botui binary with no user config from the machine running the tests.
pub fn botui(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_botui"));
    c.env("XDG_CONFIG_HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("HOME", home);
    c
}

/// Runs `cmd`, echoing its output (shown when a test fails).
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("botui runs");
    eprintln!(
        "--- {:?}\n--- stdout\n{}\n--- stderr\n{}",
        cmd.get_args().collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A deterministic value in `[lo, hi)` for (tensor, element).
fn value(tensor: usize, element: usize, lo: f32, hi: f32) -> f32 {
    let mut x = (tensor as u64) << 32 ^ element as u64 ^ 0x9E37_79B9_7F4A_7C15;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    lo + (hi - lo) * ((x >> 40) as f32 / (1u64 << 24) as f32)
}

/// `config`'s model on flex, every BN's gamma, beta and running statistics drawn at random
/// (gamma and variance in [0.5, 1.5), beta and mean in [-0.2, 0.2)), as in
/// scripts/make_reference_weights.py.
pub fn randomized(config: &ModelConfig) -> Model {
    let device = Device::flex();
    let mut model = config.init(&device).unwrap();
    let tensors = model
        .collect(None, None, false)
        .into_iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let (lo, hi) = match t.name.rsplit('.').next()? {
                "gamma" | "running_var" => (0.5, 1.5),
                "beta" | "running_mean" => (-0.2, 0.2),
                _ => return None,
            };
            let n: usize = t.shape.iter().product();
            let values: Vec<f32> = (0..n).map(|j| value(i, j, lo, hi)).collect();
            let data = TensorData::new(values, t.shape.as_slice().to_vec());
            Some(bridge::from_data(data, t.name.clone(), None))
        })
        .collect();
    let result = model.apply(tensors, None, None, false);
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    model.valid()
}

/// Saves a randomized `config` model as a checkpoint at `path`, `iterations` into training.
pub fn randomized_checkpoint(path: &Path, config: &ModelConfig, iterations: usize) -> Model {
    let model = randomized(config);
    let meta = serde_json::json!({
        "epochs_done": 1,
        "iteration": iterations,
        "best_top1": null,
        "best_epoch": null,
    });
    save_checkpoint(path, &model, config, &meta).unwrap();
    model
}

/// Every float tensor of `model` by module path.
pub fn tensors(model: &Model) -> std::collections::BTreeMap<String, Vec<f32>> {
    model
        .collect(None, None, false)
        .into_iter()
        .map(|t| {
            let data = bridge::to_data(&t).unwrap();
            (t.name.clone(), data.try_to_vec::<f32>().unwrap())
        })
        .collect()
}

/// A `w` x `h` PNG of smooth colour ramps with a seed-dependent tint.
pub fn write_png(path: &Path, w: u32, h: u32, seed: u32) {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            ((x * 255 / w.max(1)) ^ seed.wrapping_mul(37)) as u8,
            ((y * 255 / h.max(1)) + seed * 50) as u8,
            ((x + y) * 3 + seed * 90) as u8,
        ])
    });
    img.save(path).unwrap();
}

/// MobileNet x0.25 at 32x32 on 4 built-in classes: 64 training images, batch 16 (4
/// iterations per epoch), a few seconds per epoch.
pub const TINY: &[&str] = &[
    "--model",
    "mobilenet",
    "--input",
    "32",
    "--batch-size",
    "16",
    "--set",
    "model.width=0.25",
    "--set",
    "data.builtin_classes=4",
    "--set",
    "data.builtin_train_per_class=16",
    "--set",
    "data.builtin_val_per_class=8",
    "--set",
    "data.builtin_size=32",
    "--set",
    "data.workers=1",
];

/// The lines of a run folder's metrics.jsonl (none when it has no file yet).
pub fn metrics(run_dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(run_dir.join("metrics.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("metrics.jsonl lines are JSON"))
        .collect()
}
