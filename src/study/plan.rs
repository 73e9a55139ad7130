//! A study resolved: every row (and teacher) as the full run config it trains, checked before
//! anything runs. Saved in the study folder as `plan.json`, so that a resumed study trains
//! exactly what it started with, whatever happened to the presets since.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::RunConfig;
use crate::device::DeviceName;

use super::spec::{Mode, PaperNumbers};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyPlan {
    pub name: String,
    pub description: String,
    /// The paper's table it reproduces ("Table 6"), if any.
    pub table: String,
    pub mode: Mode,
    /// Runs per row: seed offsets 0 .. seeds.
    pub seeds: usize,
    /// The study file as errors call it.
    pub source: String,
    pub teachers: Vec<PlannedTeacher>,
    pub rows: Vec<PlannedRow>,
}

/// A distillation teacher, trained once before the rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedTeacher {
    pub name: String,
    pub config: RunConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedRow {
    pub name: String,
    /// The row's config for seed offset 0 (`distillation.teacher` is filled in when it runs).
    pub config: RunConfig,
    /// The `[teachers]` entry it distils from.
    pub teacher: Option<String>,
    pub paper: Option<PaperNumbers>,
    /// What differs from the row it is compared with (the row above when cumulative, the first
    /// row when one at a time), as `key = value`.
    pub changes: Vec<String>,
}

/// One run of a study: a row and a seed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RunId {
    pub row: usize,
    pub seed: usize,
}

impl StudyPlan {
    /// Every device the study would train on (`requested`, or else each run's own) answers,
    /// before anything runs.
    pub fn check_devices(&self, requested: &[DeviceName]) -> Result<(), String> {
        let mut devices: Vec<DeviceName> = requested.to_vec();
        if devices.is_empty() {
            let configs = self.rows.iter().map(|r| &r.config);
            devices.extend(
                configs
                    .chain(self.teachers.iter().map(|t| &t.config))
                    .map(|c| c.device),
            );
        }
        devices.dedup();
        for d in devices {
            d.resolve()
                .map_err(|e| format!("the study trains on {d}: {e:#}"))?;
        }
        Ok(())
    }

    /// Every run, seed by seed: the first seed of every row comes first, so the table has a
    /// number in each row early and error bars fill in after.
    pub fn runs(&self) -> Vec<RunId> {
        (0..self.seeds)
            .flat_map(|seed| (0..self.rows.len()).map(move |row| RunId { row, seed }))
            .collect()
    }

    /// The seed a run trains with: the row's `seed` plus the seed offset.
    pub fn seed_of(&self, id: RunId) -> u64 {
        self.rows[id.row].config.seed + id.seed as u64
    }

    /// The config one run trains: the row's with its seed, a name that says which run it is,
    /// and its teacher's folder.
    pub fn run_config(&self, id: RunId, teacher_dir: Option<&std::path::Path>) -> RunConfig {
        let row = &self.rows[id.row];
        let mut config = row.config.clone();
        config.seed = self.seed_of(id);
        config.name = format!("{}: {} (seed {})", self.name, row.name, config.seed);
        if let Some(dir) = teacher_dir {
            config.distillation.teacher = dir.display().to_string();
        }
        config
    }
}

/// The keys where `to` differs from `from`, as `key = value` (identity and paper numbers left
/// out), in key order.
pub fn differences(from: &RunConfig, to: &RunConfig) -> Vec<String> {
    let (a, b) = (flatten(from), flatten(to));
    let mut out: Vec<String> = b
        .iter()
        .filter(|(k, v)| a.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    out.extend(
        a.keys()
            .filter(|k| !b.contains_key(*k))
            .map(|k| format!("{k} unset")),
    );
    out
}

fn flatten(config: &RunConfig) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(toml::Value::Table(table)) = toml::Value::try_from(config) {
        walk(&table, "", &mut out);
    }
    for skip in ["name", "description", "seed"] {
        out.remove(skip);
    }
    out.retain(|k, _| !k.starts_with("paper."));
    out
}

fn walk(table: &toml::Table, prefix: &str, out: &mut BTreeMap<String, String>) {
    for (key, value) in table {
        let path = format!("{prefix}{key}");
        match value {
            toml::Value::Table(t) => walk(t, &format!("{path}."), out),
            v => {
                out.insert(path, v.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(rows: usize, seeds: usize) -> StudyPlan {
        let row = |i: usize| PlannedRow {
            name: format!("row{i}"),
            config: RunConfig {
                seed: 10,
                ..RunConfig::default()
            },
            teacher: None,
            paper: None,
            changes: Vec::new(),
        };
        StudyPlan {
            name: "s".into(),
            description: String::new(),
            table: String::new(),
            mode: Mode::Cumulative,
            seeds,
            source: "s.toml".into(),
            teachers: Vec::new(),
            rows: (0..rows).map(row).collect(),
        }
    }

    #[test]
    fn runs_go_seed_by_seed_and_seeds_count_from_the_rows_seed() {
        let p = plan(3, 2);
        let order: Vec<(usize, usize)> = p.runs().iter().map(|r| (r.row, r.seed)).collect();
        assert_eq!(order, [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)]);
        let c = p.run_config(RunId { row: 1, seed: 1 }, None);
        assert_eq!(c.seed, 11);
        assert_eq!(c.name, "s: row1 (seed 11)");
    }

    #[test]
    fn differences_list_changed_keys_only() {
        let a = RunConfig::default();
        let mut b = a.clone();
        b.warmup.enabled = true;
        b.epochs = 3;
        b.name = "ignored".into();
        assert_eq!(differences(&a, &b), ["epochs = 3", "warmup.enabled = true"]);
        assert!(differences(&a, &a).is_empty());
    }
}
