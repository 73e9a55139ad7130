//! Hot reload: watches the config folder (not config.toml itself: editors save by renaming a
//! new file over the old one, or by truncating and writing, and a watch on the old file would
//! miss the first), re-reads config.toml, the user's presets and themes after a change, and
//! sends one typed [`ConfigEvent`] per settled change.
//!
//! How a consumer applies events:
//! - [`ConfigEvent::Reloaded`]: apply `ui`, `theme` and `keys` at once; keep `run` for the
//!   next run (a running training keeps the config it started with).
//! - [`ConfigEvent::Rejected`]: show the error (file, line, column, key); the last good
//!   settings stay in force.
//!
//! botui's own writes ([`ConfigStore::write`], [`ConfigStore::edit`]) are not reported back:
//! the store remembers the hash of what it wrote. A zero-byte config.toml is taken as an
//! editor halfway through truncate-and-write and skipped.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, unbounded};
use notify::RecursiveMode;
use notify::event::EventKind;
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use super::diag::ConfigError;
use super::file::{ConfigStore, content_hash};
use super::settings::Settings;

/// What the watcher reports.
#[derive(Debug, Clone)]
pub enum ConfigEvent {
    /// The files changed and check out: the new settings.
    Reloaded(Box<Settings>),
    /// The files changed and have an error; the last good settings stay in force.
    Rejected(ConfigError),
}

/// How long the watcher waits for a burst of file events to settle.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// A running watch; dropping it stops watching.
pub struct ConfigWatcher {
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
    events: Receiver<ConfigEvent>,
}

impl ConfigWatcher {
    /// The channel the events arrive on (drain it in the UI loop with `try_recv`).
    pub fn events(&self) -> &Receiver<ConfigEvent> {
        &self.events
    }
}

impl ConfigStore {
    /// Starts watching the config folder (created if missing), with its `presets/` and
    /// `themes/`. Call [`ConfigStore::load`] first for the initial settings.
    pub fn watch(&self) -> Result<ConfigWatcher, ConfigError> {
        self.ensure_dirs()?;
        let (tx, rx) = unbounded();
        let store = self.clone();
        let mut debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| {
            handle(&store, &tx, result);
        })
        .map_err(|e| watch_error(self, &e))?;
        debouncer
            .watch(&self.paths().dir, RecursiveMode::Recursive)
            .map_err(|e| watch_error(self, &e))?;
        Ok(ConfigWatcher {
            _debouncer: debouncer,
            events: rx,
        })
    }

    fn ensure_dirs(&self) -> Result<(), ConfigError> {
        let dir = &self.paths().dir;
        std::fs::create_dir_all(dir)
            .map_err(|e| ConfigError::io(&dir.display().to_string(), "create the folder", &e))
    }
}

fn watch_error(store: &ConfigStore, e: &notify::Error) -> ConfigError {
    let err = std::io::Error::other(e.to_string());
    ConfigError::io(
        &store.paths().dir.display().to_string(),
        "watch the folder",
        &err,
    )
}

/// What a batch of events touched.
#[derive(Debug, Default, PartialEq, Eq)]
struct Touched {
    config: bool,
    library: bool,
}

fn classify(store: &ConfigStore, paths: &[PathBuf]) -> Touched {
    let p = store.paths();
    let config = p.config_file();
    let mut t = Touched::default();
    for path in paths {
        if *path == config {
            t.config = true;
        } else if is_toml_in(path, &p.presets_dir()) || is_toml_in(path, &p.themes_dir()) {
            t.library = true;
        }
    }
    t
}

fn is_toml_in(path: &Path, dir: &Path) -> bool {
    path.parent() == Some(dir) && path.extension().is_some_and(|e| e == "toml")
}

fn handle(store: &ConfigStore, tx: &Sender<ConfigEvent>, result: DebounceEventResult) {
    let Ok(events) = result else {
        return; // watcher errors: the next change will be picked up again
    };
    let paths: Vec<PathBuf> = events
        .iter()
        .filter(|e| !matches!(e.kind, EventKind::Access(_)))
        .flat_map(|e| e.paths.iter().cloned())
        .collect();
    let touched = classify(store, &paths);
    if !touched.config && !touched.library {
        return;
    }
    let text = match std::fs::read(store.paths().config_file()) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return, // mid-rename
        Err(e) => {
            let _ = tx.send(ConfigEvent::Rejected(ConfigError::io(
                &store.label(),
                "read the file",
                &e,
            )));
            return;
        }
    };
    if text.is_empty() {
        return; // truncated, the write is still to come
    }
    let hash = content_hash(&text);
    let own = same(&store.log.written, hash);
    let unchanged = same(&store.log.seen, hash);
    if !touched.library && (own || unchanged) {
        return;
    }
    if let Ok(mut seen) = store.log.seen.lock() {
        *seen = Some(hash);
    }
    let event = match store.load() {
        Ok(settings) => ConfigEvent::Reloaded(Box::new(settings)),
        Err(e) => ConfigEvent::Rejected(e),
    };
    let _ = tx.send(event);
}

fn same(slot: &Mutex<Option<u64>>, hash: u64) -> bool {
    slot.lock().map(|s| *s == Some(hash)).unwrap_or(false)
}

/// The settings in force, as a pure reducer over [`ConfigEvent`]s: a rejected change keeps
/// the last good settings and records the error until the next good reload.
#[derive(Debug, Clone)]
pub struct LiveSettings {
    pub current: Settings,
    /// The error of the last rejected change, until a good one replaces it.
    pub error: Option<ConfigError>,
}

/// What an applied event changed, so the consumer knows what to redo.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Theme, fps, mouse or keys changed: apply now.
    pub ui: bool,
    /// The run config changed: it applies to the next run.
    pub run: bool,
}

impl LiveSettings {
    pub fn new(current: Settings) -> Self {
        LiveSettings {
            current,
            error: None,
        }
    }

    pub fn apply(&mut self, event: ConfigEvent) -> Applied {
        match event {
            ConfigEvent::Reloaded(new) => {
                let applied = Applied {
                    ui: new.ui != self.current.ui
                        || new.theme != self.current.theme
                        || new.keys != self.current.keys,
                    run: new.run != self.current.run,
                };
                self.current = *new;
                self.error = None;
                applied
            }
            ConfigEvent::Rejected(e) => {
                self.error = Some(e);
                Applied::default()
            }
        }
    }
}
