//! A trick's parameter: its config key, how Left/Right step it (as data), and typed text set
//! through the same path as `--set`, so serde parses and checks it.

use toml::Value;

use crate::config::RunConfig;
use crate::config::overrides::{get_value, parse_value, set_value};

/// How one step up or down changes a parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// Typed only (a path).
    Typed,
    /// Doubled up, halved down (whole numbers by integer division), never below `min`.
    Double { min: f64 },
    /// `delta` added up, taken away down, kept in `[min, max]`.
    Add { delta: f64, min: f64, max: f64 },
    /// The next or previous choice, round the list.
    Cycle(&'static [&'static str]),
}

/// A parameter of a trick (the same one wherever its key is).
#[derive(Debug)]
pub struct ParamDef {
    /// The dotted config key (`label_smoothing.epsilon`).
    pub key: &'static str,
    /// Under the trick's line (`epsilon`).
    pub label: &'static str,
    pub step: Step,
    /// Shown instead of an empty value (`(none: enter to set)`).
    pub placeholder: &'static str,
}

impl PartialEq for ParamDef {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for ParamDef {}

/// Rounds away float noise from repeated steps (0.1 + 0.05 = 0.15000000000000002).
fn tidy(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

impl ParamDef {
    /// The value as typed in a config file, without quotes (`0.1`, `fp16`, a path).
    pub fn text(&self, config: &RunConfig) -> String {
        match get_value(config, self.key) {
            Some(Value::String(s)) => s,
            Some(Value::Float(x)) => format!("{x}"),
            Some(other) => other.to_string(),
            None => String::new(),
        }
    }

    /// The value as a list shows it: the text, or the placeholder when empty.
    pub fn display(&self, config: &RunConfig) -> String {
        match self.text(config) {
            t if t.is_empty() => self.placeholder.to_string(),
            t => t,
        }
    }

    /// Whether Left/Right step it.
    pub fn steps(&self) -> bool {
        self.step != Step::Typed
    }

    /// The config one step up (`dir` 1) or down (-1); unchanged where it does not step.
    pub fn stepped(&self, config: &RunConfig, dir: i32) -> Result<RunConfig, String> {
        let up = dir > 0;
        let Some(now) = get_value(config, self.key) else {
            return Err(format!("no config key `{}`", self.key));
        };
        let next = match (self.step, now) {
            (Step::Typed, _) => return Ok(config.clone()),
            (Step::Double { min }, Value::Integer(i)) => {
                Value::Integer(if up { i * 2 } else { (i / 2).max(min as i64) })
            }
            (Step::Double { min }, Value::Float(x)) => {
                Value::Float(if up { x * 2.0 } else { (x / 2.0).max(min) })
            }
            (Step::Add { delta, min, max }, Value::Integer(i)) => {
                let next = i as f64 + delta * dir as f64;
                Value::Integer(next.clamp(min, max) as i64)
            }
            (Step::Add { delta, min, max }, Value::Float(x)) => {
                Value::Float(tidy((x + delta * dir as f64).clamp(min, max)))
            }
            (Step::Cycle(all), Value::String(s)) => {
                let i = all.iter().position(|c| *c == s).unwrap_or(0) as i32;
                let next = all[(i + dir).rem_euclid(all.len() as i32) as usize];
                Value::String(next.into())
            }
            (step, now) => return Err(format!("`{}` = {now} cannot step by {step:?}", self.key)),
        };
        set_value(config, self.key, next)
    }

    /// The config with the value typed as `text`: a TOML literal for numbers and choices (a
    /// choice in any case), the text itself for a string such as a path.
    pub fn set_text(&self, config: &RunConfig, text: &str) -> Result<RunConfig, String> {
        let t = text.trim();
        let value = match (self.step, get_value(config, self.key)) {
            (Step::Cycle(all), _) => match all.iter().find(|c| c.eq_ignore_ascii_case(t)) {
                Some(c) => Value::String(c.to_string()),
                None => parse_value(t),
            },
            (_, Some(Value::String(_))) => Value::String(t.to_string()),
            _ => parse_value(t),
        };
        set_value(config, self.key, value).map_err(|e| format!("{} = {t}: {e}", self.key))
    }
}
