//! `botui train` and `botui lr` through the binary: a short run's folder and numbers, clear
//! errors for bad flags, and a run killed with SIGKILL or stopped with Ctrl-C that `--resume`
//! finishes with the same number of epochs.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{TINY, botui, metrics, run};

#[test]
fn a_short_run_writes_its_folder_and_prints_each_epoch() {
    let home = tempfile::tempdir().unwrap();
    let out_dir = home.path().join("run");
    let out = run(botui(home.path())
        .arg("train")
        .args(TINY)
        .args(["--set", "performance.channels_last=\"off\""])
        .args(["--epochs", "2", "--out"])
        .arg(&out_dir));
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("epoch 1/2"), "{stdout}");
    // The `[performance]` switches, each with its value, in the log.
    assert!(
        stdout.contains("performance: channels_last off, cudnn_benchmark off (CUDA only)")
            && stdout.contains("1 data workers, FP32"),
        "{stdout}"
    );
    assert!(stdout.contains("epoch 2/2"), "{stdout}");
    assert!(stdout.contains("best val top-1"), "{stdout}");
    let lines = metrics(&out_dir);
    assert_eq!(lines.len(), 2);
    for (i, m) in lines.iter().enumerate() {
        assert_eq!(m["epoch"].as_u64(), Some(i as u64 + 1));
        let loss = m["train_loss"].as_f64().unwrap();
        assert!(loss.is_finite() && loss > 0.0, "{m}");
        let top1 = m["val_top1"].as_f64().unwrap();
        let top5 = m["val_top5"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&top1) && top5 >= top1, "{m}");
        assert_eq!(top5, 100.0, "4 classes: the top 5 always hold the label");
    }
    for file in ["config.toml", "classes.json", "last.ckpt", "best.ckpt"] {
        assert!(out_dir.join(file).is_file(), "{file} missing");
    }
    // The saved config is the one asked for.
    let saved = std::fs::read_to_string(out_dir.join("config.toml")).unwrap();
    assert!(saved.contains("name = \"mobilenet\""), "{saved}");
    assert!(saved.contains("width = 0.25"), "{saved}");
}

#[test]
fn bad_flags_and_presets_are_clear_errors() {
    let home = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["train", "--preset", "quik"], "quick"),
        (&["train", "--model", "resnet99"], "resnet99"),
        (&["train", "--set", "warmup.epochs"], "key=value"),
        (&["train", "--set", "warmup.nope=1"], "warmup.nope"),
        (
            &["train", "--set", "performance.channels_last=\"nhwc\""],
            "'nhwc' is not a switch",
        ),
        (&["train", "--device", "cuda:7"], "cuda:7"),
        (&["train", "--data", "cifar10:/no/such/dir"], "/no/such/dir"),
        (&["train", "--resume", "/no/such/run"], "/no/such/run"),
        // A preset's missing teacher is asked for after the `--set`s, which may supply it.
        (
            &["train", "--preset", "mobilenet-distill-laptop"],
            "add `--set distillation.teacher=...`",
        ),
        (
            &[
                "train",
                "--preset",
                "mobilenet-distill-laptop",
                "--set",
                "distillation.teacher=\"/no/such/teacher\"",
            ],
            "/no/such/teacher",
        ),
        (&["lr", "--batch-size", "0"], "batch_size"),
        (
            &["lr", "--set", "data.builtin_classes=200"],
            "between 2 and 128",
        ),
    ];
    for (args, expected) in cases {
        let out = run(botui(home.path()).args(*args));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(
            stderr.contains(expected),
            "{args:?}: the error should name {expected:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// Data-parallel launch input is refused before anything runs (in any build).
#[test]
fn bad_data_parallel_launches_are_clear_errors() {
    let home = tempfile::tempdir().unwrap();
    let torchrun = [
        ("RANK", "2"),
        ("WORLD_SIZE", "2"),
        ("MASTER_ADDR", "127.0.0.1"),
        ("MASTER_PORT", "29999"),
    ];
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let mut cases: Vec<Case> = vec![
        (
            &["train", "--nproc", "0"],
            &[],
            "--nproc 0: expected at least 1 rank",
        ),
        (
            &["train", "--nproc", "2", "--device", "flex"],
            &[],
            "device 'flex' cannot train with several ranks",
        ),
        (
            &["train", "--device", "libtorch"],
            &torchrun,
            "RANK=2: ranks are numbered 0..1 in a world of 2",
        ),
        (
            &["train", "--device", "libtorch"],
            &[("RANK", "0"), ("WORLD_SIZE", "two")],
            "WORLD_SIZE=two: expected a whole number",
        ),
        (
            &["train", "--nproc", "2", "--device", "libtorch"],
            &[
                ("RANK", "1"),
                ("WORLD_SIZE", "2"),
                ("MASTER_ADDR", "127.0.0.1"),
                ("MASTER_PORT", "29999"),
            ],
            "already started as rank 1 of 2",
        ),
        // Several GPUs: the device string names its bad part.
        (
            &["train", "--device", "cuda:0,0"],
            &[],
            "device 'cuda:0,0': GPU 0 is listed twice",
        ),
        (
            &["train", "--device", "cuda:0,flex"],
            &[],
            "`flex` cannot be mixed with GPUs",
        ),
    ];
    if botui::device::cuda_device_count() == 0 {
        cases.push((
            &["train", "--device", "cuda:all"],
            &[],
            "device 'cuda:all' is not usable on this machine: LibTorch sees no CUDA device",
        ));
    }
    if cfg!(not(feature = "tch")) {
        cases.push((
            &["train", "--nproc", "2", "--device", "libtorch"],
            &[],
            "built without LibTorch",
        ));
    }
    for (args, env, expected) in cases {
        let mut command = botui(home.path());
        command.args(args).envs(env.iter().copied());
        let out = run(&mut command);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} {env:?} succeeded");
        assert!(stderr.contains(expected), "{args:?} {env:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    assert!(!home.path().join("data").exists(), "a run folder was made");
}

#[test]
fn lr_prints_the_papers_schedule() {
    let home = tempfile::tempdir().unwrap();
    let out = run(botui(home.path()).arg("lr").args(TINY).args([
        "--epochs",
        "4",
        "--set",
        "warmup.enabled=true",
        "--set",
        "warmup.epochs=1",
        "--set",
        "schedule.decay=\"cosine\"",
        "--set",
        "base_lr=0.1",
        "--set",
        "linear_scaling.enabled=true",
        "--set",
        "linear_scaling.reference_batch=256",
        "--json",
    ]));
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lr: Vec<f64> = v["lr"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    // 64 images / batch 16 = 4 iterations per epoch, 4 epochs.
    assert_eq!(lr.len(), 16);
    let peak = 0.1 * 16.0 / 256.0;
    // Warmup: i * peak / m for the first m = 4 iterations (the first one 1/m of the peak).
    for (i, &x) in lr[..4].iter().enumerate() {
        let want = peak * (i + 1) as f64 / 4.0;
        assert!(
            (x - want).abs() < 1e-12,
            "warmup iteration {i}: {x} vs {want}"
        );
    }
    // Cosine over the remaining 12: 0.5 (1 + cos(t pi / T)) * peak.
    for t in 0..12 {
        let want = 0.5 * (1.0 + (t as f64 * std::f64::consts::PI / 12.0).cos()) * peak;
        let x = lr[4 + t];
        assert!(
            (x - want).abs() < 1e-12,
            "cosine iteration {t}: {x} vs {want}"
        );
    }
}

/// Waits until `path` exists or the child ends.
fn wait_for_file(child: &mut Child, path: &Path, limit: Duration) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "botui ended before {} appeared",
            path.display()
        );
        assert!(start.elapsed() < limit, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `botui train` of the tiny built-in run into `run_dir`, in the background.
fn spawn_tiny_run(home: &Path, run_dir: &Path, epochs: usize, stderr: Stdio) -> Child {
    botui(home)
        .arg("train")
        .args(TINY)
        .args(["--epochs", &epochs.to_string(), "--out"])
        .arg(run_dir)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

/// `--resume` finishes the run with every epoch once in metrics.jsonl; returns its stdout.
fn resume_finishes(home: &Path, run_dir: &Path, epochs: usize) -> String {
    let out = run(botui(home).arg("train").arg("--resume").arg(run_dir));
    assert!(out.status.success(), "the resumed run finishes");
    let lines = metrics(run_dir);
    let numbers: Vec<u64> = lines.iter().map(|m| m["epoch"].as_u64().unwrap()).collect();
    assert_eq!(
        numbers,
        (1..=epochs as u64).collect::<Vec<_>>(),
        "each epoch once, in order"
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_run_killed_with_sigkill_resumes_from_its_last_checkpoint() {
    let home = tempfile::tempdir().unwrap();
    let run_dir = home.path().join("run");
    let mut child = spawn_tiny_run(home.path(), &run_dir, 4, Stdio::null());
    // The first epoch's line in metrics.jsonl comes after its checkpoint.
    let start = Instant::now();
    while metrics(&run_dir).is_empty() {
        assert!(child.try_wait().unwrap().is_none(), "ended too early");
        assert!(start.elapsed() < Duration::from_secs(300), "no epoch");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let done = metrics(&run_dir).len();
    assert!(done < 4, "killed before the end");
    assert!(run_dir.join("last.ckpt").is_file());
    resume_finishes(home.path(), &run_dir, 4);
}

#[test]
fn a_run_killed_before_its_first_checkpoint_resumes_from_epoch_one() {
    let home = tempfile::tempdir().unwrap();
    let run_dir = home.path().join("run");
    let mut child = spawn_tiny_run(home.path(), &run_dir, 2, Stdio::null());
    wait_for_file(
        &mut child,
        &run_dir.join("classes.json"),
        Duration::from_secs(120),
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!run_dir.join("last.ckpt").exists(), "killed during epoch 1");
    let stdout = resume_finishes(home.path(), &run_dir, 2);
    assert!(stdout.contains("starts from epoch 1"), "{stdout}");
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_with_a_checkpoint_and_resume_finishes() {
    let home = tempfile::tempdir().unwrap();
    let run_dir = home.path().join("run");
    let mut child = spawn_tiny_run(home.path(), &run_dir, 3, Stdio::piped());
    wait_for_file(
        &mut child,
        &run_dir.join("classes.json"),
        Duration::from_secs(120),
    );
    std::thread::sleep(Duration::from_millis(300));
    let pid = child.id() as i32;
    // SAFETY: sending a signal to our own child.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "an interrupted run is not a success");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(run_dir.join("last.ckpt").is_file(), "{stderr}");
    resume_finishes(home.path(), &run_dir, 3);
}
