//! Presets: run configs that reproduce the paper's rows (Tables 2, 4, 5 and 6), their laptop
//! companions and `quick`, built into botui from `presets/*.toml`; the user's
//! `<config dir>/presets/*.toml` add to them or replace them by name.
//!
//! A preset file is a run config plus one key, `extends = "other"`: the preset is then the
//! other one with this file's keys merged over it (tables merge key by key), so each table
//! row reads as "the row above plus one trick". `name` and `description` belong to each
//! file and are not inherited. A preset may leave `distillation.teacher` empty (botui cannot
//! know where the user keeps a teacher): it validates as a template, and
//! [`Preset::run_config`] says what to fill in before it can run.

use std::path::Path;

use super::builtin::PRESETS;
use super::diag::ConfigError;
use super::layers::{self, Layer};
use super::paths::ConfigPaths;
use super::run::{PaperReference, RunConfig};
use super::sources::{Catalog, NamedFile, Origin};
use super::tricks::Trick;
use super::validate::MissingInput;

/// Keys a preset file has besides run-config keys.
pub(crate) const PRESET_KEYS: &[&str] = &["extends"];

/// Built-in presets plus the user's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetLibrary {
    catalog: Catalog,
}

impl Default for PresetLibrary {
    fn default() -> Self {
        Self::builtin()
    }
}

impl PresetLibrary {
    /// The presets inside the binary.
    pub fn builtin() -> Self {
        PresetLibrary {
            catalog: Catalog::builtin("preset", "presets", PRESETS),
        }
    }

    /// Built-in presets plus every `*.toml` in `user_dir` (a missing folder is fine). Files are
    /// only read here; each preset is checked when it is resolved.
    pub fn load(user_dir: Option<&Path>) -> Result<Self, ConfigError> {
        Ok(PresetLibrary {
            catalog: Catalog::load("preset", "presets", PRESETS, user_dir)?,
        })
    }

    /// Built-in presets plus those in the user's config folder (`ConfigPaths::user()`).
    pub fn load_user() -> Result<Self, ConfigError> {
        let paths = ConfigPaths::user();
        Self::load(paths.as_ref().map(|p| p.presets_dir()).as_deref())
    }

    /// Adds (or replaces) a preset from text, as if it were a user file called `label`
    /// (what "save as preset" previews, and what tests feed in).
    pub fn add_text(&mut self, name: &str, label: &str, text: &str) {
        self.catalog.add_text(name, label, text);
    }

    /// Every preset name, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.catalog.names()
    }

    /// A preset's file (its text, origin and label) without resolving it.
    pub fn file(&self, name: &str) -> Option<&NamedFile> {
        self.catalog.get(name)
    }

    /// The preset with its `extends` chain merged, checked and range-validated.
    pub fn resolve(&self, name: &str) -> Result<Preset, ConfigError> {
        let chain = self.catalog.chain(name)?;
        let layers = to_layers(&chain);
        let (_, mut config) = layers::build(&layers)?;
        if config.name.is_empty() {
            config.name = name.to_string();
        }
        Ok(Preset {
            name: name.to_string(),
            origin: chain[0].origin.clone(),
            extends: chain[1..].iter().map(|f| f.name.clone()).collect(),
            config,
            layers,
        })
    }

    /// Every preset, resolved or with what is wrong with it, in name order.
    pub fn resolve_all(&self) -> Vec<(String, Result<Preset, ConfigError>)> {
        self.names()
            .into_iter()
            .map(|n| (n.to_string(), self.resolve(n)))
            .collect()
    }

    /// The layers of a preset, its root base first.
    pub(crate) fn layers(&self, name: &str) -> Result<Vec<Layer>, ConfigError> {
        Ok(to_layers(&self.catalog.chain(name)?))
    }

    /// "no preset named `x` (did you mean `y`?)"
    pub fn unknown_message(&self, name: &str) -> String {
        self.catalog.unknown(name)
    }
}

fn to_layers(chain: &[&NamedFile]) -> Vec<Layer> {
    chain
        .iter()
        .rev()
        .map(|f| Layer {
            file: f.label.clone(),
            text: f.text.clone(),
            prefix: &[],
            extra: PRESET_KEYS,
            keep_identity: false,
        })
        .collect()
}

/// A resolved preset.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    pub name: String,
    pub origin: Origin,
    /// The presets below this one: the one it extends first.
    pub extends: Vec<String>,
    /// The merged config; may still miss a teacher (see [`Preset::run_config`]).
    pub config: RunConfig,
    pub(crate) layers: Vec<Layer>,
}

/// Where a preset's reference numbers come from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PresetSource {
    /// The paper's Tables 2 to 7.
    Paper,
    /// A recipe after the paper (`FFCV ImageNet configs`).
    Recipe(String),
    /// botui's own (`quick`): no published numbers.
    Own,
}

impl std::fmt::Display for PresetSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PresetSource::Paper => f.write_str("the paper's tables"),
            PresetSource::Recipe(table) => f.write_str(table),
            PresetSource::Own => f.write_str("botui's own"),
        }
    }
}

impl Preset {
    pub fn description(&self) -> &str {
        &self.config.description
    }

    /// The tricks it switches on, in the paper's order.
    pub fn tricks(&self) -> Vec<Trick> {
        self.config.tricks()
    }

    /// The paper's numbers for the row it reproduces (a laptop companion keeps its row's).
    pub fn paper(&self) -> Option<&PaperReference> {
        self.config.paper.as_ref()
    }

    /// Where its numbers come from, for grouping lists: the paper's tables, a recipe after it
    /// (named by its `[paper] table`), or none.
    pub fn source(&self) -> PresetSource {
        match self.paper() {
            Some(r) if r.table.starts_with("Table") => PresetSource::Paper,
            Some(r) => PresetSource::Recipe(r.table.clone()),
            None => PresetSource::Own,
        }
    }

    /// A scaled-down companion of a paper preset (`NAME-laptop`).
    pub fn is_laptop(&self) -> bool {
        self.name.ends_with("-laptop")
    }

    /// What the user must fill in before it runs (a distillation teacher).
    pub fn missing_inputs(&self) -> Vec<MissingInput> {
        self.config.missing_inputs()
    }

    /// The config ready to run, or "preset `X` needs distillation.teacher = <...>".
    pub fn run_config(&self) -> Result<RunConfig, ConfigError> {
        layers::ready(&self.config, &self.layers, "", "", |m| {
            format!("preset `{}` needs {m}", self.name)
        })
    }

    /// The fully resolved preset as TOML (every key spelled out), with a header that says
    /// where it comes from. Saved as a user preset it gives the same config.
    pub fn to_toml(&self) -> String {
        let mut out = format!("# preset `{}`", self.name);
        if !self.extends.is_empty() {
            out.push_str(&format!(" (extends {})", self.extends.join(" -> ")));
        }
        out.push_str(", fully resolved\n");
        if let Some(layer) = self.layers.last() {
            out.push_str(&format!("# from {}\n", layer.file));
        }
        for m in self.missing_inputs() {
            out.push_str(&format!("# to run it, set {m}\n"));
        }
        out.push('\n');
        match toml::to_string(&self.config) {
            Ok(body) => out.push_str(&body),
            Err(e) => out.push_str(&format!("# cannot write this config as TOML: {e}\n")),
        }
        out
    }
}
