//! scripts/gpu_check_report.py, which writes the GPU check's results.md, on the step outputs a
//! `--run` on a GPU machine leaves (written here by hand, NVML readings and FP16 rows included):
//! the file has its sections, the PASS/FAIL lines say what they should, and only correctness
//! failures change the exit status. `.ci/run` runs the whole script with `--local`; this test
//! covers the GPU-only paths no machine here can produce.

use std::path::Path;
use std::process::Command;

fn python() -> Option<String> {
    ["python3", "python"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(str::to_string)
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn bench(model: &str, batch: usize, precision: &str, ips: f64, torch: bool) -> String {
    let extra = if torch {
        r#", "torch": "2.11.0+cu130""#
    } else {
        r#", "kernels": "fused", "compute": "autocast""#
    };
    format!(
        r#"{{"model": "{model}", "device": "cuda:0", "input": 224, "batch": {batch}, "steps": 20, "seconds": 1.0, "images_per_sec": {ips}, "precision": "{precision}", "channels_last": true, "cudnn_benchmark": true, "skipped_steps": 0{extra}}}"#
    )
}

/// A GPU run's outputs; `selftest_failures` checks failed, botui's FP16 resnet50 step at
/// `fp16_botui` images/s against PyTorch's 3000.
fn gpu_run(dir: &Path, selftest_failures: usize, fp16_botui: f64) {
    let mut steps: Vec<String> = ["devices\tok\t0\t1\t", "hw-idle\tok\t0\t1\t"]
        .map(String::from)
        .to_vec();
    steps.push(if selftest_failures > 0 {
        "selftest\tfailed\t1\t9\t".into()
    } else {
        "selftest\tok\t0\t9\t".into()
    });
    write(
        dir,
        "devices.out",
        "device     built  usable  detail\ncuda:0     yes    yes     LibTorch CUDA\n",
    );
    let gpu = r#"{"index": 0, "name": "NVIDIA H200", "utilization": 97.0, "memory_used": 42949672960, "memory_total": 150323855360, "temperature_c": 51, "power_w": 612.5, "power_limit_w": 700.0}"#;
    let host = r#"{"cores": 16, "cpu_percent": 40.0, "memory_used": 1, "memory_total": 2, "process_cpu_percent": 1.0, "process_memory": 1}"#;
    write(
        dir,
        "hw-idle.out",
        &format!(r#"{{"gpus": [{gpu}], "host": {host}, "gpu_note": null}}"#),
    );
    write(
        dir,
        "hw-train.out",
        &format!(r#"{{"gpus": [{gpu}], "host": {host}, "gpu_note": null}}"#),
    );
    let check = |passed: bool| {
        format!(
            r#"{{"case": "1x1", "precision": "fp16", "layout": "channels_last", "what": "output", "value": 0.001, "bound": 0.01, "at_least": false, "passed": {passed}}}"#
        )
    };
    let mut selftest: Vec<String> = (0..10).map(|i| check(i >= selftest_failures)).collect();
    selftest.push(format!(
        r#"{{"device": "cuda:0", "checks": 10, "failures": {selftest_failures}, "notes": ["TF32 off during the checks"], "seconds": 3.0}}"#
    ));
    write(dir, "selftest.out", &selftest.join("\n"));
    for (label, model, batch) in [
        ("resnet50d-224", "resnet50d", 256),
        ("resnet18-32", "resnet18", 512),
    ] {
        for (precision, botui, torch) in [
            ("fp16", fp16_botui, 3000.0),
            ("fp32", 1300.0, 1200.0),
            ("bf16", 3100.0, 3000.0),
        ] {
            for (imp, ips, is_torch) in [("botui", botui, false), ("pytorch", torch, true)] {
                let name = format!("bench-{label}-{precision}-{imp}");
                write(
                    dir,
                    &format!("{name}.out"),
                    &bench(model, batch, precision, ips, is_torch),
                );
                steps.push(format!("{name}\tok\t0\t20\t"));
            }
        }
    }
    write(
        dir,
        "data.out",
        r#"{"source": "2080 generated JPEGs", "size": 224, "threads": 16, "images": 2048, "seconds": 0.5, "images_per_sec": 4096.0, "images_per_cpu_sec": 300.0, "skipped": 0}"#,
    );
    steps.push("data\tok\t0\t3\t".into());
    for run in ["learn-fp32", "learn-fp16"] {
        write(dir, &format!("{run}.out"), "finished 3 epochs\n");
        let metrics: Vec<String> = (1..=3)
            .map(|e| format!(r#"{{"epoch": {e}, "train_loss": 2.5, "train_top1": 10.0, "val_loss": 2.4, "val_top1": {}, "val_top5": 60.0, "lr": 0.05, "images_per_sec": 9000.0, "data_wait_seconds": 0.1, "seconds": 3.0, "skipped_images": 0}}"#, 8.0 * e as f64))
            .collect();
        write(dir, &format!("{run}.metrics.jsonl"), &metrics.join("\n"));
    }
    steps.push("learn-fp32\tok\t0\t15\t".into());
    steps.push("learn-fp16\tok\t0\t12\t".into());
    write(
        dir,
        "workbench.out",
        "captured the Train tab after 30 s of training\nBOTUI-EXIT=0\n",
    );
    steps.push("workbench\tok\t0\t40\t".into());
    write(dir, "steps.tsv", &(steps.join("\n") + "\n"));
}

/// The report on a GPU run made by [`gpu_run`]; `None` (the test skips) without a Python.
fn report_of(selftest_failures: usize, fp16_botui: f64) -> Option<(i32, String)> {
    if python().is_none() {
        eprintln!("skipping: no python3");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    gpu_run(dir.path(), selftest_failures, fp16_botui);
    Some(report(dir.path()))
}

fn report(dir: &Path) -> (i32, String) {
    let py = python().expect("python3");
    let out = Command::new(py)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/gpu_check_report.py"
        ))
        .args(["--mode", "run", "--device", "cuda:0", "--work"])
        .arg(dir)
        .args([
            "--learn-chance",
            "0.05",
            "--learn-factor",
            "3",
            "--target-precision",
            "fp16",
        ])
        .output()
        .expect("running the report script");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn a_gpu_run_renders_every_section_and_its_verdicts() {
    let Some((code, md)) = report_of(0, 3300.0) else {
        return;
    };
    assert_eq!(code, 0, "{md}");
    for section in [
        "# botui GPU check: `--run` on cuda:0",
        "## Verdicts",
        "## Training step, images/s",
        "## Data loader",
        "## Learning runs",
        "## Hardware pane readings",
        "## Devices",
        "## Steps",
        "## Raw JSON lines",
    ] {
        assert!(md.contains(section), "no {section:?} in:\n{md}");
    }
    for line in [
        "**PASS** kernel self-test on cuda:0: 10 of 10 checks",
        "**PASS** target: fp16 step >= 1.0x PyTorch AMP eager with channels_last, resnet50d-224 batch 256: botui 3,300.0 vs PyTorch 3,000.0 images/s = 1.10x",
        "| resnet50d-224 | 256 | fp16 | 3,300.0 | 3,000.0 | 1.10 x |",
        "| resnet18-32 | 512 | fp32 | 1,300.0 | 1,200.0 | 1.08 x |",
        // The loader against botui's fastest step at 224 (fp16's 3300 here).
        "**PASS** target: loader >= training rate at 224: 4,096.0 images/s on 16 threads vs botui's fastest step at 224, 3,300.0 images/s (1.24x)",
        "**PASS** learn-fp16: best val top-1 24.00 % (epoch 3 of 3; chance 5 %, needs 15.0 %)",
        "**PASS** NVML readings headless: 1 GPU(s), NVIDIA H200",
        "| idle | 0 NVIDIA H200 | 97 | 40.0 / 140.0 | 51 | 612 (700) | 40 |",
        "**PASS** workbench in tmux: captured the Train tab after 30 s of training (screen.txt)",
    ] {
        assert!(md.contains(line), "no {line:?} in:\n{md}");
    }
    assert!(!md.contains("FAIL"), "{md}");
    // Every raw line is JSON that names its step.
    let raw = md.split("## Raw JSON lines").nth(1).unwrap();
    let lines: Vec<&str> = raw.lines().filter(|l| l.starts_with('{')).collect();
    assert!(lines.len() > 20, "{}", lines.len());
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert!(v["step"].is_string(), "{l}");
    }
}

#[test]
fn a_slow_fp16_step_fails_its_target_but_not_the_check() {
    let Some((code, md)) = report_of(0, 2700.0) else {
        return;
    };
    assert!(
        md.contains("**FAIL** target: fp16 step >= 1.0x PyTorch AMP eager with channels_last, resnet50d-224 batch 256: botui 2,700.0 vs PyTorch 3,000.0 images/s = 0.90x"),
        "{md}"
    );
    assert_eq!(code, 0, "speed targets do not change the exit status");
}

#[test]
fn a_kernel_mismatch_fails_the_check() {
    let Some((code, md)) = report_of(2, 3300.0) else {
        return;
    };
    assert_eq!(code, 1, "{md}");
    assert!(
        md.contains("**FAIL** kernel self-test on cuda:0: 8 of 10 checks"),
        "{md}"
    );
    assert!(
        md.contains("  - failed: 1x1 [fp16 channels_last] output"),
        "{md}"
    );
}
