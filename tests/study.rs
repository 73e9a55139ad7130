//! `botui study` through the binary, on tiny runs of the built-in data (a few seconds each):
//! a 3-row x 2-seed study whose table equals what the run folders' metrics.jsonl say, computed
//! here independently; a study killed with SIGKILL while it trains two runs at a time, which
//! `--resume` finishes without running a finished run again; a bad row that is an error naming
//! it before anything runs.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{botui, run};

/// MobileNet x0.25 at 32x32 on 6 built-in classes (24 training and 8 validation images each),
/// batch 16, 3 epochs, no augmentation but the flip: a few seconds a run, and numbers that
/// differ between seeds.
const STUDY: &str = r#"description = "three rows, two seeds"
mode = "cumulative"
seeds = 2

[base]
model = "mobilenet"
input = 32
batch_size = 16
epochs = 3
set = ["model.width=0.25", "data.builtin_classes=6", "data.builtin_train_per_class=24",
       "data.builtin_val_per_class=8", "data.builtin_size=32", "data.workers=1",
       "linear_scaling.enabled=false", "base_lr=0.1", "augment.random_resized_crop=false",
       "augment.color_jitter=false", "augment.lighting=false"]

[[row]]
name = "baseline"

[[row]]
name = "+ cosine"
set = ["schedule.decay=cosine"]
paper = { top1 = 77.91, top5 = 93.81 }

[[row]]
name = "+ label smoothing"
set = ["label_smoothing.enabled=true"]
"#;

/// `botui study FILE --out DIR`, to the end.
fn study(home: &Path, file: &Path, dir: &Path) -> Output {
    run(botui(home).arg("study").arg(file).arg("--out").arg(dir))
}

fn study_json(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("study.json")).unwrap()).unwrap()
}

fn write_study(home: &Path, text: &str) -> PathBuf {
    let path = home.join("tiny.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Row folders (`01-baseline`, ...) and their seed folders, in order.
fn run_folders(study: &Path) -> Vec<Vec<PathBuf>> {
    let sorted = |dir: &Path, prefix: &str| {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .collect();
        v.sort();
        v
    };
    sorted(study, "0")
        .iter()
        .map(|row| sorted(row, "seed-"))
        .collect()
}

/// (val top-1, val top-5) of every epoch in a run's metrics.jsonl.
fn epochs(run: &Path) -> Vec<(f64, f64)> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["val_top1"].as_f64().unwrap(),
                v["val_top5"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// Mean and sample standard deviation (n - 1).
fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn a_study_completes_and_its_table_is_what_the_run_folders_say() {
    let home = tempfile::tempdir().unwrap();
    let file = write_study(home.path(), STUDY);
    let dir = home.path().join("study");
    let out = study(home.path(), &file, &dir);
    assert!(out.status.success());
    let json = study_json(&dir);
    let csv = std::fs::read_to_string(dir.join("study.csv")).unwrap();
    let csv: Vec<Vec<String>> = csv
        .lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    let col = |name: &str| csv[0].iter().position(|h| h == name).unwrap();
    let md = std::fs::read_to_string(dir.join("study.md")).unwrap();
    let folders = run_folders(&dir);
    assert_eq!(folders.len(), 3);
    let mut means = Vec::new();
    let mut spread_seen = false;
    for (i, seeds) in folders.iter().enumerate() {
        assert_eq!(seeds.len(), 2, "row {i}");
        let histories: Vec<Vec<(f64, f64)>> = seeds.iter().map(|s| epochs(s)).collect();
        assert!(
            histories.iter().all(|h| h.len() == 3),
            "every run trained 3 epochs"
        );
        let last = |k: usize| -> Vec<f64> {
            let pick = |e: &(f64, f64)| if k == 1 { e.0 } else { e.1 };
            histories.iter().map(|h| pick(h.last().unwrap())).collect()
        };
        // The best epoch: the highest top-1, the first of equals; its top-5 with it.
        let best: Vec<(f64, f64)> = histories
            .iter()
            .map(|h| {
                let mut b = h[0];
                for e in h {
                    if e.0 > b.0 {
                        b = *e;
                    }
                }
                b
            })
            .collect();
        let row = &json["rows"][i];
        let expected = [
            ("final_top1", mean_std(&last(1)), "top1"),
            ("final_top5", mean_std(&last(5)), "top5"),
            (
                "best_top1",
                mean_std(&best.iter().map(|b| b.0).collect::<Vec<_>>()),
                "best_top1",
            ),
            (
                "best_top5",
                mean_std(&best.iter().map(|b| b.1).collect::<Vec<_>>()),
                "best_top5",
            ),
        ];
        for (key, (mean, std), csv_name) in expected {
            let got_mean = row[key]["mean"].as_f64().unwrap();
            let got_std = row[key]["std"].as_f64().unwrap();
            assert!(close(got_mean, mean), "row {i} {key}: {got_mean} != {mean}");
            assert!(close(got_std, std), "row {i} {key}: std {got_std} != {std}");
            let cell = |suffix: &str| -> f64 {
                csv[i + 1][col(&format!("{csv_name}_{suffix}"))]
                    .parse()
                    .unwrap()
            };
            assert!(
                close(cell("mean"), mean) && close(cell("std"), std),
                "csv row {i} {key}"
            );
            spread_seen |= std > 0.0;
        }
        let (mean1, std1) = mean_std(&last(1));
        assert!(
            md.contains(&format!("{mean1:.2} ± {std1:.2}")),
            "study.md row {i} should show {mean1:.2} ± {std1:.2}:\n{md}"
        );
        means.push((mean1, std1));
    }
    assert!(
        spread_seen,
        "the seeds gave identical numbers: the check above proves little"
    );
    // Deltas and noise: against the row above and the baseline, pooled over 2 + 2 seeds.
    for i in 1..3 {
        for (key, j) in [("vs_above", i - 1), ("vs_baseline", 0)] {
            let d = &json["rows"][i][key]["top1"];
            let value = means[i].0 - means[j].0;
            let pooled = ((means[i].1.powi(2) + means[j].1.powi(2)) / 2.0).sqrt();
            assert!(close(d["value"].as_f64().unwrap(), value), "row {i} {key}");
            assert!(close(d["noise"].as_f64().unwrap(), pooled), "row {i} {key}");
            assert_eq!(d["within_noise"].as_bool(), Some(value.abs() <= pooled));
        }
    }
    assert!(md.contains("| 2 | + cosine | 2/2 |"), "{md}");
    assert!(md.contains("77.91 / 93.81"), "{md}");
}

/// Runs whose metrics.jsonl has every epoch, with their train.log and metrics.jsonl.
fn finished(study: &Path) -> Vec<(PathBuf, String, String)> {
    run_folders(study)
        .into_iter()
        .flatten()
        .filter(|run| epochs(run).len() == 3)
        .map(|run| {
            let log = std::fs::read_to_string(run.join("train.log")).unwrap();
            let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
            (run, log, metrics)
        })
        .collect()
}

#[test]
fn a_killed_study_resumes_without_running_a_finished_run_again() {
    let home = tempfile::tempdir().unwrap();
    let file = write_study(home.path(), STUDY);
    let dir = home.path().join("study");
    let log = std::fs::File::create(home.path().join("first.log")).unwrap();
    // Two workers (both on flex): runs train two at a time, and the kill catches two mid-way.
    let mut child = botui(home.path())
        .arg("study")
        .arg(&file)
        .args(["--device", "flex", "--device", "flex", "--out"])
        .arg(&dir)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !dir.join("plan.json").exists() || finished(&dir).len() < 2 {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the study ended ({status}) before it could be killed");
        }
        if started.elapsed() > Duration::from_secs(300) {
            child.kill().unwrap();
            panic!("two runs did not finish in 5 minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let before = finished(&dir);
    assert!(
        before.len() < 6,
        "every run had finished before the kill: nothing to resume"
    );
    let out = run(botui(home.path()).arg("study").arg("--resume").arg(&dir));
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "{} runs already finished are kept; {} to run",
            before.len(),
            6 - before.len()
        )),
        "{stdout}"
    );
    for (run, log, metrics) in &before {
        // Not trained again: its log and metrics are exactly as they were.
        assert_eq!(
            &std::fs::read_to_string(run.join("train.log")).unwrap(),
            log
        );
        assert_eq!(
            &std::fs::read_to_string(run.join("metrics.jsonl")).unwrap(),
            metrics
        );
    }
    assert_eq!(finished(&dir).len(), 6, "every run finished after --resume");
    let json = study_json(&dir);
    for row in json["rows"].as_array().unwrap() {
        assert_eq!(row["final_top1"]["n"], 2, "{row}");
    }
}

#[test]
fn a_bad_row_is_an_error_naming_it_before_anything_runs() {
    let home = tempfile::tempdir().unwrap();
    let text = STUDY
        .replace("schedule.decay=cosine", "schedule.decai=cosine")
        .replace("label_smoothing.enabled=true", "label_smoothing.epsilon=2");
    let file = write_study(home.path(), &text);
    let dir = home.path().join("study");
    let out = study(home.path(), &file, &dir);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = file.display();
    for expected in [
        format!(
            "{file}:20:8: row 2 (`+ cosine`): set \"schedule.decai=cosine\": unknown field `decai`"
        ),
        format!("{file}:25:8: row 3 (`+ label smoothing`): label_smoothing.epsilon = 2: expected"),
    ] {
        assert!(
            stderr.contains(&expected),
            "expected {expected:?} in\n{stderr}"
        );
    }
    assert!(
        !dir.exists(),
        "nothing may run (or be created) for a bad study"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn studies_are_listed_and_a_dry_run_runs_nothing() {
    let home = tempfile::tempdir().unwrap();
    let out = run(botui(home.path()).arg("studies"));
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    for name in ["table4-bs256-laptop", "table5", "table6-resnet50d-laptop"] {
        assert!(stdout.contains(name), "{name} missing:\n{stdout}");
    }
    let out = run(botui(home.path()).args(["study", "table6-resnet50d-laptop", "--dry-run"]));
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("20 runs (6 rows x 3 seeds + 2 teachers)"),
        "{stdout}"
    );
    assert!(stdout.contains("4. + distill w/o mixup"), "{stdout}");
    assert!(!home.path().join("data/botui/studies").exists());
    let out = run(botui(home.path()).args(["study", "tabel6-resnet50d-laptop"]));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("did you mean `table6-resnet50d-laptop`")
    );
}

#[test]
fn a_failed_run_is_reported_and_the_others_go_on() {
    let home = tempfile::tempdir().unwrap();
    let empty = home.path().join("empty");
    std::fs::create_dir_all(empty.join("train/a")).unwrap();
    // Row 1 reads a folder without images: it passes the checks (the folder exists) and fails
    // when its run opens the data. Row 2 (one at a time: the base plus its own change, so the
    // built-in data) runs anyway; --resume tries row 1 again.
    let text = STUDY
        .replace("seeds = 2", "seeds = 1")
        .replace("cumulative", "one-at-a-time")
        .replace(
            "name = \"baseline\"",
            &format!(
                "name = \"baseline\"\nset = [\"data.source=imagefolder:{}\"]",
                empty.display()
            ),
        );
    let text = &text[..text.find("[[row]]\nname = \"+ label smoothing\"").unwrap()];
    let file = write_study(home.path(), text);
    let dir = home.path().join("study");
    let out = study(home.path(), &file, &dir);
    assert!(
        !out.status.success(),
        "a study with a failed run exits non-zero"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("row 1 `baseline` seed 0 failed"),
        "{stderr}"
    );
    assert!(stderr.contains("1 run(s) failed"), "{stderr}");
    let folders = run_folders(&dir);
    assert!(folders[0][0].join("failed.txt").is_file());
    assert_eq!(epochs(&folders[1][0]).len(), 3, "row 2 ran all the same");
    let md = std::fs::read_to_string(dir.join("study.md")).unwrap();
    assert!(md.contains("| 1 | baseline | 0/1 (1 failed) |"), "{md}");
    assert!(md.contains("## Failed runs"), "{md}");
    let out = run(botui(home.path()).arg("study").arg("--resume").arg(&dir));
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1 runs already finished are kept; 1 to run"),
        "{stdout}"
    );
}
