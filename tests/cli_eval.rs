//! `botui eval`, `predict` and `export` through the binary, on one tiny trained run (ResNet-18
//! with the ImageNet stem at 32x32 on 4 built-in classes, 2 epochs, a few seconds): eval
//! reproduces the trainer's val top-1 exactly, predict names classes and reports unreadable
//! images, export writes files that `botui model --weights` reads back, and bad input gives
//! clear errors.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{botui, metrics, run, stderr, stdout};

/// The run folder, trained once for the whole test binary.
fn tiny_run() -> &'static Path {
    static RUN: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, dir) = RUN.get_or_init(|| {
        let home = tempfile::tempdir().unwrap();
        let dir = common::train_tiny_resnet18(home.path(), 2, 8);
        (home, dir)
    });
    dir
}

fn eval_json(home: &Path, args: &[&str]) -> serde_json::Value {
    let out = run(botui(home).arg("eval").args(args).arg("--json"));
    assert!(out.status.success());
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn eval_reproduces_the_trainers_validation_exactly() {
    let dir = tiny_run();
    let home = tempfile::tempdir().unwrap();
    let history = metrics(dir);
    let last = history.last().unwrap();
    let r = eval_json(home.path(), &[dir.join("last.ckpt").to_str().unwrap()]);
    assert_eq!(r["epoch"], 2);
    assert_eq!(r["top1"].as_f64(), last["val_top1"].as_f64(), "{r}");
    assert_eq!(r["top5"].as_f64(), last["val_top5"].as_f64(), "{r}");
    assert_eq!(r["loss"].as_f64(), last["val_loss"].as_f64(), "{r}");
    assert_eq!(r["images"], 32);

    // The run folder means its best checkpoint, and the same data spelled out is the same.
    let best = history
        .iter()
        .max_by(|a, b| {
            let (a, b) = (a["val_top1"].as_f64(), b["val_top1"].as_f64());
            a.partial_cmp(&b).unwrap()
        })
        .unwrap();
    let r = eval_json(home.path(), &[dir.to_str().unwrap(), "--data", "builtin"]);
    assert!(r["file"].as_str().unwrap().ends_with("best.ckpt"), "{r}");
    assert_eq!(r["top1"].as_f64(), best["val_top1"].as_f64(), "{r}");
    assert_eq!(r["trained_top1"].as_f64(), best["val_top1"].as_f64(), "{r}");
    let per_class = r["per_class"].as_array().unwrap();
    assert_eq!(per_class.len(), 4);
    let correct: u64 = per_class
        .iter()
        .map(|c| c["correct"].as_u64().unwrap())
        .sum();
    let top1 = r["top1"].as_f64().unwrap();
    assert_eq!(
        100.0 * correct as f64 / 32.0,
        top1,
        "per-class counts add up to top-1"
    );
}

#[test]
fn eval_prints_per_class_accuracy_with_the_runs_class_names() {
    let dir = tiny_run();
    let home = tempfile::tempdir().unwrap();
    let out = run(botui(home.path()).args(["eval", dir.to_str().unwrap(), "--tta", "flip"]));
    assert!(out.status.success());
    let text = stdout(&out);
    let classes: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("classes.json")).unwrap()).unwrap();
    for class in &classes {
        assert!(text.contains(class.as_str()), "{class} missing:\n{text}");
    }
    assert!(
        text.contains("top-1") && text.contains("flip TTA"),
        "{text}"
    );
}

#[test]
fn predict_names_classes_and_reports_unreadable_images() {
    let dir = tiny_run();
    let home = tempfile::tempdir().unwrap();
    let images = home.path().join("images");
    std::fs::create_dir_all(images.join("sub")).unwrap();
    common::write_png(&images.join("a.png"), 40, 30, 1);
    common::write_png(&images.join("sub/b.png"), 33, 50, 2);
    std::fs::write(images.join("broken.png"), b"not a png").unwrap();
    let missing = home.path().join("missing.jpg");
    let out = run(botui(home.path()).args([
        "predict",
        dir.to_str().unwrap(),
        images.to_str().unwrap(),
        missing.to_str().unwrap(),
        "--top",
        "2",
        "--json",
        "--logits",
    ]));
    assert!(
        !out.status.success(),
        "failed images make the exit status non-zero"
    );
    assert!(stderr(&out).contains("2 of 4 images could not be classified"));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["failed"], 2);
    let classes: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("classes.json")).unwrap()).unwrap();
    for p in v["predictions"].as_array().unwrap() {
        let path = p["path"].as_str().unwrap();
        if path.ends_with("broken.png") || path.ends_with("missing.jpg") {
            assert!(p["error"].as_str().is_some_and(|e| !e.is_empty()), "{p}");
            continue;
        }
        let top = p["top"].as_array().unwrap();
        assert_eq!(top.len(), 2, "{p}");
        assert!(
            classes
                .iter()
                .any(|c| c == top[0]["name"].as_str().unwrap()),
            "{p}"
        );
        let (p0, p1) = (
            top[0]["probability"].as_f64().unwrap(),
            top[1]["probability"].as_f64().unwrap(),
        );
        assert!(p0 >= p1 && p0 <= 1.0, "{p}");
        assert_eq!(p["logits"].as_array().unwrap().len(), 4);
    }
}

#[test]
fn export_writes_what_the_model_command_reads_back() {
    let dir = tiny_run();
    let home = tempfile::tempdir().unwrap();
    for (to, file) in [("torchvision", "r18.pth"), ("timm", "r18.safetensors")] {
        let path = home.path().join(file);
        let out = run(botui(home.path()).args([
            "export",
            dir.to_str().unwrap(),
            "--to",
            to,
            "--out",
            path.to_str().unwrap(),
        ]));
        assert!(out.status.success());
        let text = stdout(&out);
        assert!(text.contains("122 tensors"), "{text}");
        assert!(text.contains("num_classes=4)"), "{text}");
        let out = run(botui(home.path()).args(["model", "--weights", path.to_str().unwrap()]));
        assert!(out.status.success());
        assert!(
            stdout(&out).contains("102 matched, 0 missing"),
            "{}",
            stdout(&out)
        );
    }
}

#[test]
fn bad_input_gives_clear_errors() {
    let dir = tiny_run();
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // Three classes where the model has four; four with other names.
    for (name, classes) in [
        ("three", &["a", "b", "c"][..]),
        ("renamed", &["w", "x", "y", "z"]),
    ] {
        for class in classes {
            let folder = h.join(name).join(class);
            std::fs::create_dir_all(&folder).unwrap();
            for i in 0..2 {
                common::write_png(&folder.join(format!("{i}.png")), 32, 32, i);
            }
        }
    }
    let spec = |name: &str| format!("imagefolder:{}", h.join(name).display());
    let run_dir = dir.to_str().unwrap();
    let optim = dir.join("last.optim");
    // A checkpoint of another model (MobileNet, same classes) copied into a copy of the run.
    let swapped = h.join("swapped");
    std::fs::create_dir_all(&swapped).unwrap();
    for file in ["config.toml", "metrics.jsonl", "classes.json"] {
        std::fs::copy(dir.join(file), swapped.join(file)).unwrap();
    }
    let mobilenet = botui::model::ModelConfig::new(botui::model::ModelName::MobileNet, 4, 32);
    common::randomized_checkpoint(&swapped.join("best.ckpt"), &mobilenet, 5);
    let corrupt = h.join("corrupt.ckpt");
    std::fs::write(&corrupt, b"garbage").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["eval".into(), "/no/such/run".into()],
            "/no/such/run does not exist",
        ),
        (
            vec![
                "eval".into(),
                run_dir.into(),
                "--data".into(),
                spec("three"),
            ],
            "has 3 classes, but resnet18-B's classifier has 4",
        ),
        (
            vec![
                "eval".into(),
                run_dir.into(),
                "--data".into(),
                spec("renamed"),
            ],
            "names its classes differently",
        ),
        (
            vec!["eval".into(), swapped.display().to_string()],
            "holds a mobilenet (auto stem) model, but its run folder's config.toml trains \
             resnet18-b (imagenet stem)",
        ),
        (
            vec!["eval".into(), corrupt.display().to_string()],
            "not a botui checkpoint",
        ),
        (
            vec![
                "predict".into(),
                optim.display().to_string(),
                "x.png".into(),
            ],
            "expected a run folder, a .ckpt checkpoint",
        ),
        (
            vec!["eval".into(), h.display().to_string()],
            "not a botui run folder",
        ),
        (
            vec![
                "export".into(),
                run_dir.into(),
                "--to".into(),
                "timm".into(),
                "--out".into(),
                "m.onnx".into(),
            ],
            "torch.onnx.export",
        ),
        (
            vec![
                "export".into(),
                run_dir.into(),
                "--to".into(),
                "keras".into(),
                "--out".into(),
                "m.pth".into(),
            ],
            "expected torchvision or timm",
        ),
    ];
    for (args, expected) in cases {
        let out = run(botui(h).args(&args));
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(
            err.contains(expected),
            "{args:?}: the error should say {expected:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}
