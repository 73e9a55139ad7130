//! Configuration: the run config (one section per trick) and its validation; presets that
//! reproduce the paper's rows; config.toml (the next run and the workbench settings) with
//! format-preserving edits and hot reload; themes and key bindings. No terminal code.
//!
//! Errors from files are [`ConfigError`]s: one [`Diagnostic`] per problem, each naming the
//! file, line, column and key.
//!
//! Entry points:
//! - `botui train --preset NAME`: `PresetLibrary::load_user()?.resolve(NAME)?.run_config()?`
//!   (the last step says what a distillation preset still needs).
//! - The workbench: `ConfigStore::user()`, then `ensure()` (first start), `load()` into
//!   [`Settings`] (`run`, `ui`, `theme`, `keys`), `edit(|e| ...)` for format-preserving
//!   atomic writes, `watch()` for [`ConfigEvent`]s folded by [`LiveSettings`]. Use one store
//!   (or its clones) for writing and watching, so that botui's own writes are not reported.
//! - Colors: `settings.theme.color(Role::Train)`; keys: `settings.keys.actions(chord)`.

pub mod after_paper_sections;
mod builtin;
pub mod check;
mod chord;
pub mod color;
mod data_source;
pub mod diag;
mod edit;
pub mod file;
pub mod keys;
mod layers;
pub mod overrides;
pub mod paths;
pub mod performance;
pub mod presets;
pub mod run;
mod schema;
pub mod section;
mod sections;
pub mod settings;
mod sources;
pub mod theme;
mod tree;
pub mod tricks;
pub mod validate;
pub mod watch;

pub use after_paper_sections::{
    CutMix, Ema, LossKind, LossSection, ProgressiveResize, RandAugmentSection, RepeatedAugment,
    StochasticDepth, Tta,
};
pub use color::{Color, Role};
pub use data_source::{BUILTIN_DEFAULT_DIFFICULTY, BUILTIN_MAX_CLASSES, DataSource, SourceSpec};
pub use diag::{ConfigError, Diagnostic, Problem};
pub use edit::ConfigEdit;
pub use file::{ConfigStore, default_config_text};
pub use keys::{Action, KeyChord, KeyCode, KeyMap, Modifiers};
pub use paths::ConfigPaths;
pub use performance::{AutoSwitch, PerformanceSection};
pub use presets::{Preset, PresetLibrary, PresetSource};
pub use run::*;
pub use section::Section;
pub use sections::UiSettings;
pub use settings::{RunChoice, Settings};
/// Named files shipped in the binary plus the user's (studies keep theirs in one too).
pub(crate) use sources::Catalog;
pub use sources::{NamedFile, Origin};
pub use theme::{Theme, ThemeLibrary};
pub use tricks::Trick;
pub use validate::{Checker, InvalidConfig, InvalidValue, MissingInput};
pub use watch::{Applied, ConfigEvent, ConfigWatcher, LiveSettings};
