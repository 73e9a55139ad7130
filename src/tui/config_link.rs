//! config.toml both ways, through the library's store: read at start (created with comments
//! the first time), every workbench edit written back atomically and format-preserving, every
//! outside edit (an editor) hot-reloaded; user presets saved next to it. Problems never stop
//! the workbench: they become log lines and the last good settings stay.

use std::path::PathBuf;

use botui::config::{
    ConfigEvent, ConfigStore, ConfigWatcher, PresetLibrary, RunConfig, Settings, ThemeLibrary,
};
use botui::fsutil::write_atomic;
use botui::train::LogLevel;

use super::app::{App, ConfigMsg, Msg, PresetEntry};

pub struct ConfigLink {
    store: Option<ConfigStore>,
    watcher: Option<ConfigWatcher>,
}

/// What the workbench starts with.
pub struct Startup {
    pub settings: Settings,
    pub presets: Vec<PresetEntry>,
    /// Things to say in the log pane.
    pub notes: Vec<(LogLevel, String)>,
}

/// Every preset that resolves, in name order; the others as warnings.
fn entries(library: &PresetLibrary, notes: &mut Vec<(LogLevel, String)>) -> Vec<PresetEntry> {
    let mut out = Vec::new();
    for (name, preset) in library.resolve_all() {
        match preset {
            Ok(p) => out.push(PresetEntry {
                description: p.description().to_string(),
                name,
                config: p.config,
            }),
            Err(e) => notes.push((LogLevel::Warning, format!("preset `{name}`: {e}"))),
        }
    }
    out
}

impl ConfigLink {
    /// A link that reads and writes nothing (tests, or no home folder).
    pub fn none() -> Self {
        Self {
            store: None,
            watcher: None,
        }
    }

    /// Opens the user's config folder.
    pub fn open() -> (Self, Startup) {
        Self::open_store(ConfigStore::user())
    }

    pub fn open_store(store: Option<ConfigStore>) -> (Self, Startup) {
        let mut notes = Vec::new();
        let builtin = || (PresetLibrary::builtin(), ThemeLibrary::builtin());
        let Some(store) = store else {
            notes.push((
                LogLevel::Warning,
                "no home folder: settings are botui's defaults and changes are not saved".into(),
            ));
            let (p, t) = builtin();
            let settings = Settings::defaults(&p, &t).expect("botui's defaults are valid");
            let presets = entries(&p, &mut notes);
            return (
                Self::none(),
                Startup {
                    settings,
                    presets,
                    notes,
                },
            );
        };
        if let Err(e) = store.ensure() {
            notes.push((LogLevel::Error, e.to_string()));
        }
        let (presets, themes) = store.libraries().unwrap_or_else(|e| {
            notes.push((LogLevel::Error, e.to_string()));
            builtin()
        });
        let settings = match store.load() {
            Ok(s) => s,
            Err(e) => {
                notes.push((
                    LogLevel::Error,
                    format!("{e} (using botui's defaults until the file is fixed)"),
                ));
                Settings::defaults(&presets, &themes).expect("botui's defaults are valid")
            }
        };
        let watcher = match store.watch() {
            Ok(w) => Some(w),
            Err(e) => {
                notes.push((
                    LogLevel::Warning,
                    format!("{e}: config.toml is not reloaded"),
                ));
                None
            }
        };
        let presets = entries(&presets, &mut notes);
        let link = Self {
            store: Some(store),
            watcher,
        };
        (
            link,
            Startup {
                settings,
                presets,
                notes,
            },
        )
    }

    /// config.toml's path, for the editor.
    pub fn config_file(&self) -> Option<PathBuf> {
        self.store.as_ref().map(|s| s.paths().config_file())
    }

    /// Hot-reload events as workbench messages, with the presets read again (a user preset
    /// may have been added or edited).
    pub fn drain(&self) -> Vec<Msg> {
        let (Some(w), Some(store)) = (&self.watcher, &self.store) else {
            return Vec::new();
        };
        w.events()
            .try_iter()
            .map(|event| match event {
                ConfigEvent::Reloaded(settings) => {
                    let mut notes = Vec::new();
                    let presets = store
                        .libraries()
                        .map(|(p, _)| entries(&p, &mut notes))
                        .unwrap_or_default();
                    Msg::Config(ConfigMsg::Reloaded { settings, presets })
                }
                ConfigEvent::Rejected(e) => Msg::Config(ConfigMsg::Rejected(e.to_string())),
            })
            .collect()
    }

    /// Writes the next run's setup into config.toml: the preset, and under `[run]` only what
    /// differs from it (overrides equal to the preset are removed).
    pub fn write(&self, app: &App) -> Result<(), String> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        let base = match app.preset.as_deref() {
            Some(name) => match app.presets.iter().find(|p| p.name == name) {
                Some(p) => p.config.clone(),
                None => return Err(format!("preset `{name}` is not known")),
            },
            None => RunConfig::default(),
        };
        store
            .edit(|e| {
                e.set_preset(app.preset.as_deref());
                e.set_run_diff(&base, &app.config);
                Ok(())
            })
            .map(|_| ())
            .map_err(|e| format!("config.toml not written: {e}"))
    }

    /// Saves `config` as the user preset `name` (`<config dir>/presets/NAME.toml`), fully
    /// resolved. An existing preset of that name is left alone.
    pub fn save_preset(&self, name: &str, config: &RunConfig) -> Result<PathBuf, String> {
        let Some(store) = &self.store else {
            return Err("no config folder: presets cannot be saved".into());
        };
        let library = store.libraries().map_err(|e| e.to_string())?;
        if library.0.file(name).is_some() {
            return Err(format!(
                "a preset named `{name}` exists already: choose another name"
            ));
        }
        let mut config = config.clone();
        config.name = name.to_string();
        if config.description.is_empty() {
            config.description = "saved from the workbench".into();
        }
        let body = toml::to_string(&config).map_err(|e| e.to_string())?;
        let text = format!("# user preset `{name}`, saved from the botui workbench\n\n{body}");
        let dir = store.paths().presets_dir();
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = dir.join(format!("{name}.toml"));
        write_atomic(&path, text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }
}
