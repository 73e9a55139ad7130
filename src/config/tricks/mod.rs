//! The trick registry: every trick botui knows, defined once. For each: its source (a section
//! of the paper or a later recipe), label, short name and summary, whether a [`RunConfig`] has
//! it on and how to switch it, the models it applies to, its parameters (stepped and set
//! through the same path as `--set`), and its published top-1 gain for the config's setting.
//!
//! The Tricks pane, the Runs tab, `botui presets` and [`RunConfig::tricks`] are views over
//! [`all`]. A new trick is one entry in [`paper`] or [`after_paper`] plus its engine code.

pub mod after_paper;
mod def;
mod gain;
pub mod paper;
pub mod paper_tables;
mod param;

use std::fmt;

pub use def::{Group, Scope, Short, Switch, TrickDef};
pub use gain::Gain;
pub use param::{ParamDef, Step};

use super::run::RunConfig;

/// Every trick, the paper's first, each group in its source's order.
pub fn all() -> impl Iterator<Item = &'static TrickDef> {
    paper::TRICKS.iter().chain(after_paper::TRICKS)
}

/// The tricks of one group.
pub fn in_group(group: Group) -> impl Iterator<Item = &'static TrickDef> {
    all().filter(move |t| t.group == group)
}

/// The trick named `name` (`label-smoothing`). Panics on a name that is not registered: the
/// names are fixed at compile time.
pub fn find(name: &str) -> &'static TrickDef {
    all()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no trick named `{name}` in the registry"))
}

/// One trick a config has on, under the word lists use for it in that config (`fp16`,
/// `resnet-d`).
#[derive(Clone, PartialEq, Eq)]
pub struct Trick {
    pub def: &'static TrickDef,
    short: String,
}

impl Trick {
    /// Short name for lists: `linear-scaling`, `warmup`, `zero-gamma`, `no-bias-decay`,
    /// `fp16`, `resnet-d`, `cosine`, `label-smoothing`, `distill`, `mixup`.
    pub fn short_name(&self) -> String {
        self.short.clone()
    }
}

impl fmt::Display for Trick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short)
    }
}

impl fmt::Debug for Trick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short)
    }
}

impl RunConfig {
    /// The tricks this config has on, in the registry's order. A switch that has nothing to
    /// act on is left out: zero gamma and the ResNet tweaks outside ResNets.
    pub fn tricks(&self) -> Vec<Trick> {
        all()
            .filter(|t| t.is_on(self) && t.applies(self))
            .map(|def| Trick {
                def,
                short: def.short_name(self),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
