//! What config.toml says, checked: the next run (a preset plus overrides, or a run section of
//! its own), the workbench settings, the theme and the key bindings.
//!
//! ```toml
//! [run]
//! preset = "quick"        # optional; without it the keys below apply over botui's defaults
//! epochs = 8              # any run-config key overrides the preset
//! [run.warmup]
//! enabled = true
//!
//! [ui]
//! theme = "dark"
//! fps = 10
//! mouse = true
//!
//! [keys]
//! quit = ["q", "ctrl+c"]  # action = keys; actions not named keep their defaults
//! ```

use toml::de::{DeTable, DeValue};

use super::color::Role;
use super::diag::{ConfigError, Found, Problem, Source};
use super::keys::KeyMap;
use super::layers::{self, Layer};
use super::presets::PresetLibrary;
use super::run::RunConfig;
use super::schema::unknown_key_message;
use super::sections::{UiSettings, key_map, ui_settings};
use super::theme::{Theme, ThemeLibrary};
use super::tree;
use super::validate::MissingInput;

/// The `[run]` section: the config the next run gets.
#[derive(Debug, Clone)]
pub struct RunChoice {
    /// The preset it starts from; `None`: botui's defaults.
    pub preset: Option<String>,
    /// The preset (or the defaults) before config.toml's overrides: what the workbench
    /// compares against to write only what differs ([`super::ConfigEdit::set_run_diff`]).
    pub base: RunConfig,
    /// Preset plus overrides, range-checked (a teacher may still be missing).
    pub config: RunConfig,
    pub(crate) layers: Vec<Layer>,
}

/// Equal when the preset and the configs are: the files they came from may differ in
/// anything else (comments, the [ui] section).
impl PartialEq for RunChoice {
    fn eq(&self, other: &Self) -> bool {
        self.preset == other.preset && self.base == other.base && self.config == other.config
    }
}

impl RunChoice {
    pub fn missing_inputs(&self) -> Vec<MissingInput> {
        self.config.missing_inputs()
    }

    /// The config ready to run, or what the user still has to fill in.
    pub fn ready(&self) -> Result<RunConfig, ConfigError> {
        let file = self.layers.last().map_or("", |l| l.file.as_str());
        let what = match &self.preset {
            Some(p) => format!("the run (preset `{p}`)"),
            None => "the run".to_string(),
        };
        layers::ready(&self.config, &self.layers, file, "run.", |m| {
            format!("{what} needs {m}: set it in [run]")
        })
    }
}

/// Everything config.toml says, checked and resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub run: RunChoice,
    pub ui: UiSettings,
    /// The theme `ui.theme` names, resolved.
    pub theme: Theme,
    pub keys: KeyMap,
}

const TOP: [&str; 3] = ["keys", "run", "ui"];

impl Settings {
    /// Checks config.toml's text (`file` is how errors name it) against the presets and
    /// themes; every problem found is reported, each with its line.
    pub fn parse(
        file: &str,
        text: &str,
        presets: &PresetLibrary,
        themes: &ThemeLibrary,
    ) -> Result<Settings, ConfigError> {
        let src = Source::new(file, text);
        let root = tree::parse(text).map_err(|e| ConfigError::from(src.syntax(&e)))?;
        let root = root.get_ref();
        let mut out = Vec::new();
        for (key, _) in root.iter() {
            let name = key.get_ref().as_ref();
            if !TOP.contains(&name) {
                let message = match super::schema::run_schema().get(name) {
                    Some(toml::Value::Table(_)) => format!(
                        "unknown key `{name}` at the top level: run settings go under [run] \
                         (write [run.{name}])"
                    ),
                    Some(_) => format!(
                        "unknown key `{name}` at the top level: run settings go under [run]"
                    ),
                    None => unknown_key_message(name, &[], &TOP),
                };
                out.push(src.diag(
                    Some(key.span()),
                    Some(name.into()),
                    Problem::UnknownKey,
                    message,
                ));
            }
        }
        let run = run_choice(&src, root, presets);
        let ui = section(&src, root, "ui").and_then(|t| ui_settings(&src, t, themes));
        let keys = section(&src, root, "keys").and_then(|t| key_map(&src, t));
        let (run, ui, keys) = match (run, ui, keys) {
            (Ok(r), Ok(u), Ok(k)) if out.is_empty() => (r, u, k),
            (r, u, k) => {
                for part in [r.err(), u.err(), k.err()].into_iter().flatten() {
                    out.extend(part);
                }
                // This file's problems first, by line; then those in the presets and themes it uses.
                out.sort_by_key(|d| (d.file != file, d.line, d.column));
                return Err(ConfigError { diagnostics: out });
            }
        };
        let (ui, theme) = ui;
        Ok(Settings {
            run,
            ui,
            theme,
            keys,
        })
    }

    /// What an empty config.toml gives: botui's default run, dark theme, default keys.
    pub fn defaults(
        presets: &PresetLibrary,
        themes: &ThemeLibrary,
    ) -> Result<Settings, ConfigError> {
        Settings::parse("", "", presets, themes)
    }

    /// The color of a role in the current theme.
    pub fn color(&self, role: Role) -> super::color::Color {
        self.theme.color(role)
    }
}

/// The table `name` of the root; a missing section is an empty table.
fn section<'a, 't>(
    src: &Source<'_>,
    root: &'a DeTable<'t>,
    name: &str,
) -> Found<Option<&'a DeTable<'t>>> {
    match tree::entry(root, name) {
        None => Ok(None),
        Some((_, v)) => match v.get_ref() {
            DeValue::Table(t) => Ok(Some(t)),
            _ => {
                let message = format!("`{name}` must be a table (a [{name}] section)");
                Err(vec![src.diag(
                    Some(v.span()),
                    Some(name.into()),
                    Problem::WrongType,
                    message,
                )])
            }
        },
    }
}

fn run_choice(src: &Source<'_>, root: &DeTable<'_>, presets: &PresetLibrary) -> Found<RunChoice> {
    let preset = match tree::table_at(root, &["run"]).and_then(|t| tree::entry(t, "preset")) {
        None => None,
        Some((_, v)) => match v.get_ref() {
            DeValue::String(s) if presets.file(s).is_some() => Some(s.to_string()),
            DeValue::String(s) => {
                let message = format!("run.preset = \"{s}\": {}", presets.unknown_message(s));
                return Err(vec![src.diag(
                    Some(v.span()),
                    Some("run.preset".into()),
                    Problem::UnknownName,
                    message,
                )]);
            }
            _ => {
                let message = "`run.preset` must be a preset name (a string)".to_string();
                return Err(vec![src.diag(
                    Some(v.span()),
                    Some("run.preset".into()),
                    Problem::WrongType,
                    message,
                )]);
            }
        },
    };
    let mut layers = match &preset {
        Some(name) => presets.layers(name).map_err(|e| e.diagnostics)?,
        None => Vec::new(),
    };
    let base = if layers.is_empty() {
        RunConfig::default()
    } else {
        let (_, mut config) = layers::merge(&layers).map_err(|e| e.diagnostics)?;
        if config.name.is_empty() {
            config.name = preset.clone().unwrap_or_default();
        }
        config
    };
    if let Some(top) = layers.last_mut() {
        top.keep_identity = true;
    }
    layers.push(Layer {
        file: src.file.to_string(),
        text: src.text.to_string(),
        prefix: &["run"],
        extra: &["preset"],
        keep_identity: true,
    });
    let (_, mut config) = layers::build(&layers).map_err(|e| e.diagnostics)?;
    if config.name.is_empty() {
        config.name = base.name.clone();
    }
    Ok(RunChoice {
        preset,
        base,
        config,
        layers,
    })
}
