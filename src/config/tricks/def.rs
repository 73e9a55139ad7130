//! One trick's entry in the registry: what it is, where it comes from, how a run config
//! switches it, and what it applies to. Reading and writing go through the config's TOML
//! form ([`crate::config::overrides`]), the same path as `--set`, so serde parses and checks.

use std::fmt;

use toml::Value;

use super::gain::Gain;
use super::param::ParamDef;
use crate::config::RunConfig;
use crate::config::overrides::{get_value, set_value};
use crate::model::ModelName;

/// Which list a trick is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// "Bag of Tricks" (He et al., 2018) itself, Sections 3-5.
    Paper,
    /// Tricks the training recipes since then added (timm's "ResNet strikes back", FFCV,
    /// the CIFAR-10 speed records).
    AfterPaper,
}

impl Group {
    pub const ALL: [Group; 2] = [Group::Paper, Group::AfterPaper];

    /// The heading of the group in lists.
    pub fn title(self) -> &'static str {
        match self {
            Group::Paper => "the paper",
            Group::AfterPaper => "after the paper",
        }
    }
}

/// How a config switches the trick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Switch {
    /// A boolean key (`mixup.enabled`).
    Flag(&'static str),
    /// A key with choices: on while its value is one of `on` (switching on picks the first),
    /// off at `off` (`schedule.decay`: on at `cosine`, off at `step`).
    Choice {
        key: &'static str,
        on: &'static [&'static str],
        off: &'static str,
    },
}

impl Switch {
    /// The config key the switch lives under.
    pub fn key(self) -> &'static str {
        match self {
            Switch::Flag(key) | Switch::Choice { key, .. } => key,
        }
    }
}

/// Which models a trick means anything for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    AnyModel,
    /// Zero gamma and the ResNet tweaks act on residual blocks.
    ResNets,
}

impl Scope {
    pub fn applies(self, config: &RunConfig) -> bool {
        match self {
            Scope::AnyModel => true,
            Scope::ResNets => matches!(config.model.name, ModelName::ResNet(_)),
        }
    }

    /// What the trick is for, for a refusal message (`for ResNets`).
    pub fn models(self) -> &'static str {
        match self {
            Scope::AnyModel => "for every model",
            Scope::ResNets => "for ResNets",
        }
    }
}

/// The word a trick goes by in lists of runs and presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Short {
    /// The trick's name.
    Name,
    /// A prefix and the lower-cased value at `key` (`resnet-` + `model.variant`: `resnet-d`).
    Value {
        prefix: &'static str,
        key: &'static str,
    },
}

/// One trick: everything every view (the Tricks pane, the Runs tab, `botui presets`) shows
/// of it and every edit the workbench makes to it.
pub struct TrickDef {
    /// Unique; the id of the trick (`label-smoothing`).
    pub name: &'static str,
    /// In the source's words (`label smoothing`).
    pub label: &'static str,
    pub group: Group,
    /// Where it is described: a section of the paper (`Sec. 5.2`) or a citation.
    pub source: &'static str,
    /// What it does, in a line.
    pub summary: &'static str,
    pub switch: Switch,
    pub scope: Scope,
    pub short: Short,
    /// Shown and edited under the trick while it is on.
    pub params: &'static [ParamDef],
    /// The published top-1 gain in the setting closest to a config; `None` where the source
    /// has no number for it.
    pub gain: fn(&RunConfig) -> Option<Gain>,
}

impl TrickDef {
    /// The source and the summary: `Sec. 5.2: target 1 - eps ...`.
    pub fn describe(&self) -> String {
        format!("{}: {}", self.source, self.summary)
    }

    /// Whether the trick means anything for the configured model.
    pub fn applies(&self, config: &RunConfig) -> bool {
        self.scope.applies(config)
    }

    pub fn is_on(&self, config: &RunConfig) -> bool {
        let value = get_value(config, self.switch.key());
        match (self.switch, value) {
            (Switch::Flag(_), Some(Value::Boolean(on))) => on,
            (Switch::Choice { on, .. }, Some(Value::String(v))) => on.contains(&v.as_str()),
            _ => false,
        }
    }

    /// The config with the trick switched the other way.
    pub fn toggled(&self, config: &RunConfig) -> Result<RunConfig, String> {
        let on = !self.is_on(config);
        let value = match self.switch {
            Switch::Flag(_) => Value::Boolean(on),
            Switch::Choice { on: choices, .. } if on => Value::String(choices[0].into()),
            Switch::Choice { off, .. } => Value::String(off.into()),
        };
        set_value(config, self.switch.key(), value)
    }

    /// The word for lists (`warmup`, `fp16`, `resnet-d`).
    pub fn short_name(&self, config: &RunConfig) -> String {
        match self.short {
            Short::Name => self.name.to_string(),
            Short::Value { prefix, key } => {
                let value = get_value(config, key).map_or(String::new(), |v| match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                });
                format!("{prefix}{}", value.to_lowercase())
            }
        }
    }

    /// The parameter at `key` (`label_smoothing.epsilon`).
    pub fn param(&self, key: &str) -> Option<&'static ParamDef> {
        self.params.iter().find(|p| p.key == key)
    }
}

impl PartialEq for TrickDef {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for TrickDef {}

impl fmt::Debug for TrickDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TrickDef({})", self.name)
    }
}
