//! The table from run folders written by hand, against numbers worked out by hand.

use crate::config::RunConfig;
use crate::study::folder::{RunState, StudyDir};
use crate::study::plan::{PlannedRow, RunId, StudyPlan};
use crate::study::results::collect;
use crate::study::spec::{Mode, PaperNumbers};
use crate::train::EpochMetrics;
use crate::train::run_dir::RunDir;

fn plan() -> StudyPlan {
    let row = |name: &str, paper: Option<(f64, f64)>| PlannedRow {
        name: name.into(),
        config: RunConfig {
            epochs: 2,
            ..RunConfig::default()
        },
        teacher: None,
        paper: paper.map(|(top1, top5)| PaperNumbers {
            top1,
            top5: Some(top5),
        }),
        changes: vec!["x = 1".into()],
    };
    StudyPlan {
        name: "hand".into(),
        description: "worked by hand".into(),
        table: "Table 6".into(),
        mode: Mode::Cumulative,
        seeds: 3,
        source: "hand.toml".into(),
        teachers: Vec::new(),
        rows: vec![
            row("a", Some((77.16, 93.52))),
            row("b", Some((77.91, 93.81))),
            row("c", None),
            row("d", None),
        ],
    }
}

fn epoch(n: usize, top1: f64) -> EpochMetrics {
    EpochMetrics {
        epoch: n,
        train_loss: 1.0,
        train_top1: None,
        val_loss: 1.0,
        val_top1: top1,
        val_top5: top1 + 20.0,
        lr: 0.1,
        images_per_sec: 1.0,
        data_wait_seconds: 0.0,
        seconds: 1.0,
        skipped_images: 0,
        ema_val_top1: None,
    }
}

/// Row by row, seed by seed: the val top-1 of each epoch done (top-5 is 20 more).
const CURVES: [[&[f64]; 3]; 4] = [
    [&[71.0, 70.0], &[60.0, 72.0], &[65.0, 74.0]],
    [&[70.0, 75.0], &[70.0, 77.0], &[70.0, 73.0]],
    [&[70.0, 76.0], &[70.0, 74.0], &[70.0]],
    [&[50.0, 60.0], &[55.0], &[]],
];

fn study() -> (tempfile::TempDir, StudyDir, StudyPlan) {
    let tmp = tempfile::tempdir().unwrap();
    let plan = plan();
    let dir = StudyDir::create(&tmp.path().join("study"), &plan, "# hand").unwrap();
    for (row, seeds) in CURVES.iter().enumerate() {
        for (seed, curve) in seeds.iter().enumerate() {
            let path = dir.run_dir(&plan, RunId { row, seed });
            if curve.is_empty() {
                continue;
            }
            let run = RunDir::create(&path, &plan.rows[row].config, &["x".into()]).unwrap();
            let history: Vec<EpochMetrics> = curve
                .iter()
                .enumerate()
                .map(|(i, t)| epoch(i + 1, *t))
                .collect();
            run.write_metrics(&history).unwrap();
        }
    }
    let failed = dir.run_dir(&plan, RunId { row: 3, seed: 1 });
    RunState::mark_failed(&failed, "the loss became NaN").unwrap();
    (tmp, dir, plan)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn means_stds_deltas_and_noise_match_the_hand_computed_ones() {
    let (_tmp, dir, plan) = study();
    let r = collect(&dir, &plan);
    let [a, b, c, d] = [&r.rows[0], &r.rows[1], &r.rows[2], &r.rows[3]];
    // a: finals 70 72 74 -> 72 +- 2; bests 71 72 74 -> 72.333 +- sqrt(7/3).
    let fa = a.final_top1.unwrap();
    assert!(close(fa.mean, 72.0) && close(fa.std.unwrap(), 2.0));
    assert!(close(a.final_top5.unwrap().mean, 92.0));
    let ba = a.best_top1.unwrap();
    assert!(close(ba.mean, 217.0 / 3.0) && close(ba.std.unwrap(), (7.0f64 / 3.0).sqrt()));
    assert_eq!(a.seeds[0].best_epoch, Some(1));
    assert_eq!(a.seeds[0].val_top1, [71.0, 70.0]);
    // b: 75 +- 2; +3 over a with a pooled std of 2: outside the noise.
    let up = b.vs_above.unwrap().top1;
    assert!(close(up.value, 3.0) && close(up.noise.unwrap(), 2.0));
    assert_eq!(up.within_noise, Some(false));
    // c: two finished seeds 76 and 74 (the third ran one epoch): 75 +- sqrt(2); +0 over b is
    // within the pooled sqrt((2 * 4 + 1 * 2) / 3).
    assert_eq!((c.finished(), c.running()), (2, 1));
    let fc = c.final_top1.unwrap();
    assert!(close(fc.mean, 75.0) && close(fc.std.unwrap(), 2f64.sqrt()) && fc.n == 2);
    let flat = c.vs_above.unwrap().top1;
    assert!(close(flat.value, 0.0) && close(flat.noise.unwrap(), (10.0f64 / 3.0).sqrt()));
    assert_eq!(flat.within_noise, Some(true));
    let vs_a = c.vs_baseline.unwrap().top1;
    assert!(close(vs_a.value, 3.0));
    assert_eq!(vs_a.within_noise, Some(false));
    // d: one finished seed (60), one failed, one never started: a mean, no spread, no verdict.
    assert_eq!((d.finished(), d.failed()), (1, 1));
    assert_eq!(d.seeds[2].state, RunState::NotStarted);
    let fd = d.final_top1.unwrap();
    assert_eq!((fd.mean, fd.std), (60.0, None));
    let down = d.vs_above.unwrap().top1;
    assert!(close(down.value, -15.0));
    assert_eq!(down.within_noise, None);
    assert_eq!(r.progress(), (9, 12));
}

#[test]
fn the_markdown_and_csv_tables_say_the_same() {
    let (_tmp, dir, plan) = study();
    let r = collect(&dir, &plan);
    let md = r.to_markdown();
    for line in [
        "| 1 | a | 3/3 | 72.00 ± 2.00 | 92.00 ± 2.00 |  |  | 72.33 ± 1.53 | 77.16 / 93.52 |  |",
        "| 2 | b | 3/3 | 75.00 ± 2.00 | 95.00 ± 2.00 | +3.00 | +3.00 | 75.00 ± 2.00 | 77.91 / 93.81 | +0.75 |",
        "| 3 | c | 2/3 (1 running) | 75.00 ± 1.41 | 95.00 ± 1.41 | +0.00 ≈ | +3.00 | 75.00 ± 1.41 |  |  |",
        "| 4 | d | 1/3 (1 failed) | 60.00 | 80.00 | -15.00 | -12.00 | 60.00 |  |  |",
        "9 of 12 runs finished",
        "2. b: `x = 1`",
        "seed 1: failed: the loss became NaN",
    ] {
        assert!(md.contains(line), "missing {line:?} in\n{md}");
    }
    let csv = r.to_csv();
    let lines: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let header = &lines[0];
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    assert_eq!(lines.len(), 5);
    let b = &lines[2];
    assert_eq!(b[col("name")], "b");
    assert_eq!(b[col("top1_mean")], "75");
    assert_eq!(b[col("top1_std")], "2");
    assert_eq!(b[col("delta_top1_vs_above")], "3");
    assert_eq!(b[col("delta_top1_vs_above_within_noise")], "false");
    assert_eq!(b[col("paper_top1")], "77.91");
    let d = &lines[4];
    assert_eq!(d[col("top1_std")], "");
    assert_eq!(d[col("runs_failed")], "1");
    // Written atomically next to the runs; study.json holds the same numbers.
    r.write(&dir.path).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path.join("study.json")).unwrap()).unwrap();
    assert_eq!(json["rows"][1]["final_top1"]["mean"], 75.0);
    assert_eq!(
        std::fs::read_to_string(dir.path.join("study.md")).unwrap(),
        md
    );
}
