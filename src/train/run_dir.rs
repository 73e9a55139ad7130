//! A run's folder: `config.toml` (fully resolved), `classes.json`, `metrics.jsonl` (one object
//! per epoch), `summary.csv` (timm's columns), `train.log`, and the checkpoints (`last`,
//! `best`). Metric files are rewritten atomically after every epoch, so a crash never leaves a
//! half-written line.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::RunConfig;
use crate::fsutil::write_atomic;

use super::events::EpochMetrics;

#[derive(Debug, thiserror::Error)]
pub enum RunDirError {
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error(
        "{0} is not a botui run folder (it has no config.toml); pass the folder `botui train --out` wrote"
    )]
    NotARun(PathBuf),
    #[error("{0} already holds a run; resume it with `--resume {0}` or choose another --out")]
    Exists(PathBuf),
    #[error("{path}: {message}")]
    Corrupt { path: PathBuf, message: String },
}

#[derive(Debug, Clone)]
pub struct RunDir {
    pub path: PathBuf,
}

fn io_err(path: &Path, e: impl ToString) -> RunDirError {
    RunDirError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

impl RunDir {
    /// Makes a new run folder and writes the resolved config and class names into it.
    pub fn create(
        path: &Path,
        config: &RunConfig,
        classes: &[String],
    ) -> Result<Self, RunDirError> {
        if path.join("config.toml").exists() {
            return Err(RunDirError::Exists(path.to_path_buf()));
        }
        fs::create_dir_all(path).map_err(|e| io_err(path, e))?;
        let dir = Self {
            path: path.to_path_buf(),
        };
        dir.write_config(config)?;
        let classes_json = serde_json::to_vec_pretty(classes).expect("strings serialize");
        let classes_path = path.join("classes.json");
        write_atomic(&classes_path, &classes_json).map_err(|e| io_err(&classes_path, e))?;
        Ok(dir)
    }

    /// Opens an existing run for `--resume`: its config and the metrics of finished epochs.
    pub fn open(path: &Path) -> Result<(Self, RunConfig, Vec<EpochMetrics>), RunDirError> {
        let config_path = path.join("config.toml");
        if !config_path.is_file() {
            return Err(RunDirError::NotARun(path.to_path_buf()));
        }
        let text = fs::read_to_string(&config_path).map_err(|e| io_err(&config_path, e))?;
        let config: RunConfig = toml::from_str(&text).map_err(|e| RunDirError::Corrupt {
            path: config_path.clone(),
            message: e.to_string(),
        })?;
        let dir = Self {
            path: path.to_path_buf(),
        };
        let history = dir.read_metrics()?;
        Ok((dir, config, history))
    }

    pub fn write_config(&self, config: &RunConfig) -> Result<(), RunDirError> {
        let path = self.path.join("config.toml");
        let text = format!(
            "# The fully resolved configuration of this run, written by botui.\n{}",
            toml::to_string_pretty(config).expect("run config serializes")
        );
        write_atomic(&path, text.as_bytes()).map_err(|e| io_err(&path, e))
    }

    fn read_metrics(&self) -> Result<Vec<EpochMetrics>, RunDirError> {
        let path = self.path.join("metrics.jsonl");
        if !path.exists() {
            return Ok(Vec::new());
        }
        let text = fs::read_to_string(&path).map_err(|e| io_err(&path, e))?;
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, line)| {
                serde_json::from_str(line).map_err(|e| RunDirError::Corrupt {
                    path: path.clone(),
                    message: format!("line {}: {e}", i + 1),
                })
            })
            .collect()
    }

    /// Rewrites `metrics.jsonl` and `summary.csv` with the whole history.
    pub fn write_metrics(&self, history: &[EpochMetrics]) -> Result<(), RunDirError> {
        let mut jsonl = String::new();
        let mut csv = String::from("epoch,train_loss,eval_loss,eval_top1,eval_top5,lr\n");
        for m in history {
            jsonl.push_str(&serde_json::to_string(m).expect("metrics serialize"));
            jsonl.push('\n');
            csv.push_str(&format!(
                "{},{:.6},{:.6},{:.4},{:.4},{:.8}\n",
                m.epoch, m.train_loss, m.val_loss, m.val_top1, m.val_top5, m.lr
            ));
        }
        let jsonl_path = self.path.join("metrics.jsonl");
        write_atomic(&jsonl_path, jsonl.as_bytes()).map_err(|e| io_err(&jsonl_path, e))?;
        let csv_path = self.path.join("summary.csv");
        write_atomic(&csv_path, csv.as_bytes()).map_err(|e| io_err(&csv_path, e))
    }

    /// Appends a line to `train.log` (best effort: a log line is never worth stopping a run).
    pub fn log(&self, line: &str) {
        let path = self.path.join("train.log");
        if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(f, "{line}");
        }
    }
}
