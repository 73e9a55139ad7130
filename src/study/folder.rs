//! A study's folder:
//!
//! ```text
//! <data dir>/studies/20261129-101500-table6-resnet50d-laptop/
//!   study.toml        the study file as it was given
//!   plan.json         every row's resolved config (what a resumed study trains)
//!   teacher-plain/    a normal run folder per teacher ...
//!   01-efficient/seed-0/, 01-efficient/seed-1/, 02-cosine-decay/seed-0/, ...
//!                     ... and per row and seed (config.toml, metrics.jsonl, checkpoints)
//!   study.md, study.csv, study.json   the results, rewritten as runs progress
//! ```
//!
//! A run's state is read from its folder alone: no folder, some epochs, all epochs, or a
//! `failed.txt` the study wrote when the run failed.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsutil::write_atomic;
use crate::train::run_dir::{RunDir, RunDirError};
use crate::train::run_names;

use super::plan::{RunId, StudyPlan};

/// Why a study folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StudyDirError {
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("{0} is not a study folder (it has no plan.json); pass the folder `botui study` wrote")]
    NotAStudy(PathBuf),
    #[error("{0} already holds a study; continue it with `botui study --resume {0}`")]
    Exists(PathBuf),
    #[error("{path}: {message}")]
    Corrupt { path: PathBuf, message: String },
}

const PLAN: &str = "plan.json";
const SPEC: &str = "study.toml";
const FAILED: &str = "failed.txt";

/// Where a run stands, from its folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RunState {
    NotStarted,
    /// Started, not finished (running now, or killed: a resumed study continues it).
    Partial {
        epochs_done: usize,
    },
    Finished,
    Failed {
        error: String,
    },
}

impl RunState {
    /// Reads a run folder; `epochs` is how many the run should train.
    pub fn of(dir: &Path, epochs: usize) -> RunState {
        if let Ok(error) = fs::read_to_string(dir.join(FAILED)) {
            return RunState::Failed {
                error: error.trim().to_string(),
            };
        }
        match RunDir::open(dir) {
            Err(RunDirError::NotARun(_)) => RunState::NotStarted,
            Err(e) => RunState::Failed {
                error: e.to_string(),
            },
            Ok((_, _, history)) => match history.last() {
                Some(last) if last.epoch >= epochs => RunState::Finished,
                last => RunState::Partial {
                    epochs_done: last.map_or(0, |m| m.epoch),
                },
            },
        }
    }

    /// Records that the run in `dir` failed (the folder is made if the run never started).
    pub fn mark_failed(dir: &Path, error: &str) -> std::io::Result<()> {
        fs::create_dir_all(dir)?;
        write_atomic(&dir.join(FAILED), format!("{error}\n").as_bytes())
    }

    /// Forgets a failure, before the run is tried again.
    pub fn clear_failed(dir: &Path) {
        let _ = fs::remove_file(dir.join(FAILED));
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StudyDir {
    pub path: PathBuf,
}

/// `<data dir>/studies` (next to `runs`); `None` without a home folder.
pub fn studies_dir() -> Option<PathBuf> {
    run_names::runs_dir().and_then(|runs| runs.parent().map(|p| p.join("studies")))
}

fn io_err(path: &Path, e: impl ToString) -> StudyDirError {
    StudyDirError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

impl StudyDir {
    /// Makes a new study folder with its plan and the study file's text.
    pub fn create(path: &Path, plan: &StudyPlan, spec_text: &str) -> Result<Self, StudyDirError> {
        if path.join(PLAN).exists() {
            return Err(StudyDirError::Exists(path.to_path_buf()));
        }
        fs::create_dir_all(path).map_err(|e| io_err(path, e))?;
        let dir = StudyDir {
            path: path.to_path_buf(),
        };
        let spec = path.join(SPEC);
        write_atomic(&spec, spec_text.as_bytes()).map_err(|e| io_err(&spec, e))?;
        dir.write_plan(plan)?;
        Ok(dir)
    }

    /// Opens a study folder for `--resume`.
    pub fn open(path: &Path) -> Result<(Self, StudyPlan), StudyDirError> {
        let plan_path = path.join(PLAN);
        if !plan_path.is_file() {
            return Err(StudyDirError::NotAStudy(path.to_path_buf()));
        }
        let text = fs::read_to_string(&plan_path).map_err(|e| io_err(&plan_path, e))?;
        let plan = serde_json::from_str(&text).map_err(|e| StudyDirError::Corrupt {
            path: plan_path.clone(),
            message: e.to_string(),
        })?;
        Ok((
            StudyDir {
                path: path.to_path_buf(),
            },
            plan,
        ))
    }

    /// Rewrites `plan.json` (a resumed study with more seeds).
    pub fn write_plan(&self, plan: &StudyPlan) -> Result<(), StudyDirError> {
        let path = self.path.join(PLAN);
        let json = serde_json::to_vec_pretty(plan).expect("plans serialize");
        write_atomic(&path, &json).map_err(|e| io_err(&path, e))
    }

    /// `<study>/NN-<row name>/seed-<seed>`.
    pub fn run_dir(&self, plan: &StudyPlan, id: RunId) -> PathBuf {
        let row = &plan.rows[id.row];
        self.path
            .join(format!("{:02}-{}", id.row + 1, slug(&row.name)))
            .join(format!("seed-{}", plan.seed_of(id)))
    }

    /// `<study>/teacher-<name>`.
    pub fn teacher_dir(&self, name: &str) -> PathBuf {
        self.path.join(format!("teacher-{}", slug(name)))
    }
}

/// A file-safe form of a row name: `+ cosine decay` -> `cosine-decay`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        "row".into()
    } else {
        trimmed.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::EpochMetrics;

    #[test]
    fn slugs_are_file_safe() {
        assert_eq!(slug("+ cosine decay"), "cosine-decay");
        assert_eq!(slug("ResNet-50-D (A)"), "resnet-50-d-a");
        assert_eq!(slug("+ distill w/ mixup"), "distill-w-mixup");
        assert_eq!(slug("+++"), "row");
    }

    fn epoch(n: usize) -> EpochMetrics {
        EpochMetrics {
            epoch: n,
            train_loss: 1.0,
            train_top1: None,
            val_loss: 1.0,
            val_top1: 50.0,
            val_top5: 90.0,
            lr: 0.1,
            images_per_sec: 1.0,
            data_wait_seconds: 0.0,
            seconds: 1.0,
            skipped_images: 0,
            ema_val_top1: None,
        }
    }

    #[test]
    fn run_states_come_from_the_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        assert_eq!(RunState::of(&dir, 2), RunState::NotStarted);
        let config = crate::config::RunConfig::default();
        let run = RunDir::create(&dir, &config, &["a".into(), "b".into()]).unwrap();
        assert_eq!(RunState::of(&dir, 2), RunState::Partial { epochs_done: 0 });
        run.write_metrics(&[epoch(1)]).unwrap();
        assert_eq!(RunState::of(&dir, 2), RunState::Partial { epochs_done: 1 });
        run.write_metrics(&[epoch(1), epoch(2)]).unwrap();
        assert_eq!(RunState::of(&dir, 2), RunState::Finished);
        RunState::mark_failed(&dir, "the loss became NaN").unwrap();
        assert_eq!(
            RunState::of(&dir, 2),
            RunState::Failed {
                error: "the loss became NaN".into()
            }
        );
        RunState::clear_failed(&dir);
        assert_eq!(RunState::of(&dir, 2), RunState::Finished);
    }
}
