//! The study's table, read from its run folders: per row, the mean and sample standard
//! deviation over seeds of the final and the best val top-1 / top-5 (each run's
//! `metrics.jsonl`), the deltas against the row above and against the baseline (the first
//! row), whether each is within noise ([`super::stats`]), and the paper's numbers beside.
//! Written as `study.md`, `study.csv` ([`super::table`]) and `study.json`, each atomically.
//!
//! Only finished runs count. "Final" is the last epoch; "best" is the epoch with the highest
//! val top-1 (the first of equals, as the trainer's `best` checkpoint), with that epoch's top-5.
//! Deltas compare final accuracies, in percentage points.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsutil::write_atomic;
use crate::train::EpochMetrics;
use crate::train::run_dir::RunDir;

use super::folder::{RunState, StudyDir};
use super::plan::{RunId, StudyPlan};
use super::spec::{Mode, PaperNumbers};
use super::stats::{Delta, Spread};

/// One run of a row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedResult {
    pub seed: u64,
    pub dir: PathBuf,
    pub state: RunState,
    pub epochs: usize,
    /// Val top-1 of every epoch done (the curve).
    pub val_top1: Vec<f64>,
    pub final_top1: Option<f64>,
    pub final_top5: Option<f64>,
    pub best_top1: Option<f64>,
    pub best_top5: Option<f64>,
    pub best_epoch: Option<usize>,
}

/// A delta of top-1 and one of top-5.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Deltas {
    pub top1: Delta,
    pub top5: Delta,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowResult {
    pub name: String,
    pub changes: Vec<String>,
    pub paper: Option<PaperNumbers>,
    pub seeds: Vec<SeedResult>,
    pub final_top1: Option<Spread>,
    pub final_top5: Option<Spread>,
    pub best_top1: Option<Spread>,
    pub best_top5: Option<Spread>,
    pub vs_above: Option<Deltas>,
    pub vs_baseline: Option<Deltas>,
}

impl RowResult {
    pub fn finished(&self) -> usize {
        self.count(|s| matches!(s, RunState::Finished))
    }

    pub fn failed(&self) -> usize {
        self.count(|s| matches!(s, RunState::Failed { .. }))
    }

    pub fn running(&self) -> usize {
        self.count(|s| matches!(s, RunState::Partial { .. }))
    }

    fn count(&self, f: impl Fn(&RunState) -> bool) -> usize {
        self.seeds.iter().filter(|s| f(&s.state)).count()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyResults {
    pub name: String,
    pub description: String,
    pub table: String,
    pub mode: Mode,
    pub seeds: usize,
    pub rows: Vec<RowResult>,
}

/// Reads every run folder of the study.
pub fn collect(dir: &StudyDir, plan: &StudyPlan) -> StudyResults {
    let mut rows: Vec<RowResult> = plan
        .rows
        .iter()
        .enumerate()
        .map(|(row, planned)| {
            let seeds: Vec<SeedResult> = (0..plan.seeds)
                .map(|seed| {
                    let id = RunId { row, seed };
                    read_seed(
                        &dir.run_dir(plan, id),
                        plan.seed_of(id),
                        planned.config.epochs,
                    )
                })
                .collect();
            let done: Vec<&SeedResult> = seeds
                .iter()
                .filter(|s| s.state == RunState::Finished)
                .collect();
            let spread = |f: fn(&SeedResult) -> Option<f64>| {
                Spread::of(&done.iter().filter_map(|s| f(s)).collect::<Vec<_>>())
            };
            RowResult {
                name: planned.name.clone(),
                changes: planned.changes.clone(),
                paper: planned.paper,
                final_top1: spread(|s| s.final_top1),
                final_top5: spread(|s| s.final_top5),
                best_top1: spread(|s| s.best_top1),
                best_top5: spread(|s| s.best_top5),
                seeds,
                vs_above: None,
                vs_baseline: None,
            }
        })
        .collect();
    for i in 1..rows.len() {
        rows[i].vs_above = deltas(&rows[i - 1], &rows[i]);
        rows[i].vs_baseline = deltas(&rows[0], &rows[i]);
    }
    StudyResults {
        name: plan.name.clone(),
        description: plan.description.clone(),
        table: plan.table.clone(),
        mode: plan.mode,
        seeds: plan.seeds,
        rows,
    }
}

fn deltas(from: &RowResult, to: &RowResult) -> Option<Deltas> {
    Some(Deltas {
        top1: Delta::between(from.final_top1.as_ref()?, to.final_top1.as_ref()?),
        top5: Delta::between(from.final_top5.as_ref()?, to.final_top5.as_ref()?),
    })
}

fn read_seed(dir: &Path, seed: u64, epochs: usize) -> SeedResult {
    let state = RunState::of(dir, epochs);
    let history: Vec<EpochMetrics> = match RunDir::open(dir) {
        Ok((_, _, history)) => history,
        Err(_) => Vec::new(),
    };
    let last = history.last();
    let best = history
        .iter()
        .fold(None::<&EpochMetrics>, |best, m| match best {
            Some(b) if b.val_top1 >= m.val_top1 => Some(b),
            _ => Some(m),
        });
    SeedResult {
        seed,
        dir: dir.to_path_buf(),
        state,
        epochs,
        val_top1: history.iter().map(|m| m.val_top1).collect(),
        final_top1: last.map(|m| m.val_top1),
        final_top5: last.map(|m| m.val_top5),
        best_top1: best.map(|m| m.val_top1),
        best_top5: best.map(|m| m.val_top5),
        best_epoch: best.map(|m| m.epoch),
    }
}

impl StudyResults {
    /// Writes `study.md`, `study.csv` and `study.json` into the study folder, each atomically.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        write_atomic(&dir.join("study.md"), self.to_markdown().as_bytes())?;
        write_atomic(&dir.join("study.csv"), self.to_csv().as_bytes())?;
        let json = serde_json::to_vec_pretty(self).expect("results serialize");
        write_atomic(&dir.join("study.json"), &json)
    }

    /// How many runs are finished, out of all.
    pub fn progress(&self) -> (usize, usize) {
        let done = self.rows.iter().map(RowResult::finished).sum();
        (done, self.rows.len() * self.seeds)
    }
}

/// `+0.83`, with ` ≈` when within noise.
pub fn format_delta(d: &Delta) -> String {
    let mark = if d.within_noise == Some(true) {
        " ≈"
    } else {
        ""
    };
    format!("{:+.2}{mark}", d.value)
}

/// `71.20 ± 0.35` (`71.20` with one seed).
pub fn format_spread(s: &Spread) -> String {
    match s.std {
        Some(std) => format!("{:.2} ± {std:.2}", s.mean),
        None => format!("{:.2}", s.mean),
    }
}
