//! Past runs: the run folders under botui's data dir (`runs/`), each with its config and
//! per-epoch metrics; one can be opened to see its curves and a second overlaid to compare.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use botui::config::RunConfig;
use botui::train::EpochMetrics;
use botui::train::run_dir::RunDir;
pub use botui::train::run_names::{civil, new_run_dir, runs_dir};

use super::run::best_epoch;

/// A run folder read from disk.
#[derive(Debug, Clone, PartialEq)]
pub struct PastRun {
    pub path: PathBuf,
    /// Seconds since the Unix epoch of the last metrics (or config) write.
    pub modified: u64,
    pub config: RunConfig,
    pub history: Vec<EpochMetrics>,
}

impl PastRun {
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    }

    /// The folder name without the `YYYYMMDD-HHMMSS-` stamp botui puts in front (the list
    /// shows the time in its own column).
    pub fn label(&self) -> String {
        let name = self.name();
        let b = name.as_bytes();
        let stamped = b.len() > 16
            && b[..8].iter().all(u8::is_ascii_digit)
            && b[8] == b'-'
            && b[9..15].iter().all(u8::is_ascii_digit)
            && b[15] == b'-';
        if stamped {
            name[16..].to_string()
        } else {
            name
        }
    }

    pub fn best(&self) -> Option<&EpochMetrics> {
        best_epoch(&self.history).map(|i| &self.history[i])
    }

    /// The tricks it had on, in the registry's order (`warmup cosine mixup`).
    pub fn tricks(&self) -> String {
        self.config
            .tricks()
            .iter()
            .map(|t| t.short_name())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn mtime(path: &Path) -> Option<u64> {
    let t = std::fs::metadata(path).ok()?.modified().ok()?;
    t.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

/// Every run folder in `dir`, newest first, and one message per folder that could not be
/// read (a run folder with a broken config or metrics file).
pub fn scan(dir: &Path) -> (Vec<PastRun>, Vec<String>) {
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (runs, problems); // no runs yet
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.join("config.toml").is_file() {
            continue;
        }
        match RunDir::open(&path) {
            Ok((_, config, history)) => {
                let modified = mtime(&path.join("metrics.jsonl"))
                    .or_else(|| mtime(&path.join("config.toml")))
                    .unwrap_or(0);
                runs.push(PastRun {
                    path,
                    modified,
                    config,
                    history,
                });
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    runs.sort_by(|a, b| b.modified.cmp(&a.modified).then(b.path.cmp(&a.path)));
    (runs, problems)
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunsState {
    pub list: Vec<PastRun>,
    pub selected: usize,
    /// Index into `list` of the run whose curves are shown.
    pub opened: Option<usize>,
    /// Index into `list` of the run overlaid on the opened one.
    pub compare: Option<usize>,
    /// Whether a scan has come back.
    pub scanned: bool,
}

impl RunsState {
    /// Replaces the list, keeping the opened and compared runs by folder.
    pub fn set_list(&mut self, list: Vec<PastRun>) {
        let find = |i: Option<usize>, old: &[PastRun], new: &[PastRun]| {
            i.and_then(|i| old.get(i))
                .and_then(|r| new.iter().position(|n| n.path == r.path))
        };
        self.opened = find(self.opened, &self.list, &list);
        self.compare = find(self.compare, &self.list, &list);
        self.list = list;
        self.selected = self.selected.min(self.list.len().saturating_sub(1));
        self.scanned = true;
    }

    pub fn move_by(&mut self, d: i32) {
        if self.list.is_empty() {
            return;
        }
        let max = self.list.len() as i32 - 1;
        self.selected = (self.selected as i32 + d).clamp(0, max) as usize;
    }

    /// Shows the selected run's curves.
    pub fn open_selected(&mut self) {
        if self.selected < self.list.len() {
            if self.compare == Some(self.selected) {
                self.compare = None;
            }
            self.opened = Some(self.selected);
        }
    }

    /// Marks the selected run to overlay on the opened one (again: unmarks it). With no run
    /// opened yet, the selected one is opened instead.
    pub fn toggle_compare(&mut self) {
        if self.selected >= self.list.len() {
            return;
        }
        match self.opened {
            None => self.opened = Some(self.selected),
            Some(o) if o == self.selected => {}
            Some(_) if self.compare == Some(self.selected) => self.compare = None,
            Some(_) => self.compare = Some(self.selected),
        }
    }
}

/// `2026-05-14 09:03` (UTC).
pub fn format_time(secs: u64) -> String {
    let (y, mo, d, h, mi, _) = civil(secs);
    format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}")
}
