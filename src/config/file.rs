//! config.toml on disk: created with explanatory comments on first start, read into
//! [`Settings`], and edited by botui without losing the user's comments or layout
//! (`toml_edit`), each write atomic (temp file + rename in the same folder) and remembered so
//! that the watcher does not report botui's own writes back to it.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

use super::diag::ConfigError;
use super::edit::ConfigEdit;
use super::keys::Action;
use super::paths::ConfigPaths;
use super::presets::PresetLibrary;
use super::settings::Settings;
use super::theme::{DEFAULT_THEME, ThemeLibrary};

/// Hashes of config.toml's content: what botui last wrote and last loaded.
#[derive(Debug, Default)]
pub(crate) struct ContentLog {
    pub written: Mutex<Option<u64>>,
    pub seen: Mutex<Option<u64>>,
}

pub(crate) fn content_hash(bytes: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

fn remember(slot: &Mutex<Option<u64>>, hash: u64) {
    if let Ok(mut s) = slot.lock() {
        *s = Some(hash);
    }
}

/// The user's config folder and the one config.toml botui reads and writes.
#[derive(Debug, Clone)]
pub struct ConfigStore {
    paths: ConfigPaths,
    pub(crate) log: Arc<ContentLog>,
}

impl ConfigStore {
    pub fn new(paths: ConfigPaths) -> Self {
        ConfigStore {
            paths,
            log: Arc::default(),
        }
    }

    /// The store in the platform's config folder; `None` without a home folder.
    pub fn user() -> Option<Self> {
        ConfigPaths::user().map(Self::new)
    }

    pub fn paths(&self) -> &ConfigPaths {
        &self.paths
    }

    /// Creates the folder, `presets/`, `themes/` and a commented config.toml where missing.
    /// Returns whether config.toml was created.
    pub fn ensure(&self) -> Result<bool, ConfigError> {
        for dir in [
            self.paths.dir.clone(),
            self.paths.presets_dir(),
            self.paths.themes_dir(),
        ] {
            std::fs::create_dir_all(&dir).map_err(|e| {
                ConfigError::io(&dir.display().to_string(), "create the folder", &e)
            })?;
        }
        let file = self.paths.config_file();
        if file.exists() {
            return Ok(false);
        }
        self.write(&default_config_text())?;
        Ok(true)
    }

    /// The user's presets and themes on top of the built-in ones.
    pub fn libraries(&self) -> Result<(PresetLibrary, ThemeLibrary), ConfigError> {
        Ok((
            PresetLibrary::load(Some(&self.paths.presets_dir()))?,
            ThemeLibrary::load(Some(&self.paths.themes_dir()))?,
        ))
    }

    /// config.toml's text (a missing file reads as the default text).
    pub fn read_text(&self) -> Result<String, ConfigError> {
        let file = self.paths.config_file();
        match std::fs::read_to_string(&file) {
            Ok(text) => Ok(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(default_config_text()),
            Err(e) => Err(ConfigError::io(&self.label(), "read the file", &e)),
        }
    }

    /// Reads and checks config.toml with the user's presets and themes.
    pub fn load(&self) -> Result<Settings, ConfigError> {
        let text = self.read_text()?;
        remember(&self.log.seen, content_hash(text.as_bytes()));
        let (presets, themes) = self.libraries()?;
        Settings::parse(&self.label(), &text, &presets, &themes)
    }

    /// Applies `edits` to config.toml keeping everything else as the user wrote it, checks
    /// the result, and writes it atomically. Nothing is written when the edit or the
    /// resulting file is invalid (the error says why).
    pub fn edit(
        &self,
        edits: impl FnOnce(&mut ConfigEdit) -> Result<(), ConfigError>,
    ) -> Result<Settings, ConfigError> {
        let text = self.read_text()?;
        let mut edit = ConfigEdit::parse(&self.label(), &text)?;
        edits(&mut edit)?;
        let new_text = edit.to_string();
        let (presets, themes) = self.libraries()?;
        let settings = Settings::parse(&self.label(), &new_text, &presets, &themes)?;
        self.write(&new_text)?;
        Ok(settings)
    }

    /// Writes config.toml atomically and remembers it as botui's own write.
    pub fn write(&self, text: &str) -> Result<(), ConfigError> {
        let hash = content_hash(text.as_bytes());
        remember(&self.log.written, hash);
        remember(&self.log.seen, hash);
        crate::fsutil::write_atomic(&self.paths.config_file(), text.as_bytes())
            .map_err(|e| ConfigError::io(&self.label(), "write the file", &e))
    }

    /// How errors name config.toml: its path.
    pub fn label(&self) -> String {
        self.paths.config_file().display().to_string()
    }
}

/// The config.toml botui writes on first start: every setting with a comment.
pub fn default_config_text() -> String {
    let mut s = String::from(
        "# botui settings. botui watches this file: a change to [ui] or [keys] applies at once,\n\
         # a change to [run] applies to the next run. If an edit has an error, botui shows it\n\
         # and keeps the last good settings. botui's own changes keep your comments.\n\
         \n\
         [run]\n\
         # The preset the next run starts from (`botui presets` lists them, `botui presets show\n\
         # NAME` prints one in full). Without `preset`, the keys below apply over botui's\n\
         # defaults (the paper's baseline).\n\
         preset = \"quick\"\n\
         # Any key of a run config here overrides the preset, for example:\n\
         # epochs = 8\n\
         # device = \"flex\"          # flex, libtorch or cuda:N\n\
         # [run.warmup]\n\
         # enabled = true\n\
         # [run.distillation]\n\
         # teacher = \"runs/resnet152d-teacher\"\n\
         \n\
         [ui]\n",
    );
    let theme = format!("theme = \"{DEFAULT_THEME}\"");
    for (line, comment) in [
        (
            theme.as_str(),
            "dark, light, high-contrast, or NAME for themes/NAME.toml",
        ),
        ("fps = 10", "redraws per second, 1 to 60"),
        ("mouse = true", "clicks and scrolling in the workbench"),
    ] {
        s.push_str(&format!("{line:<18}# {comment}\n"));
    }
    s.push_str(
        "\n\
         [keys]\n\
         # action = [keys]. A key is a character (\"q\", \"?\"), f1-f24, or space, enter, esc,\n\
         # tab, backtab, backspace, delete, insert, home, end, pageup, pagedown, up, down,\n\
         # left, right; ctrl+, alt+ and shift+ go in front (\"ctrl+c\", \"shift+up\").\n\
         # An action left out keeps its default; [] unbinds it.\n",
    );
    for action in Action::all() {
        let keys: Vec<String> = action
            .default_keys()
            .iter()
            .map(|k| format!("\"{k}\""))
            .collect();
        let line = format!("{} = [{}]", action.name(), keys.join(", "));
        s.push_str(&format!("{line:<28}# {}\n", action.description()));
    }
    s
}
