//! The `[ui]` and `[keys]` sections of config.toml, checked entry by entry with the line of
//! each problem.

use toml::de::{DeTable, DeValue};

use super::diag::Found;
use super::diag::{Problem, Source, nearest};
use super::keys::{Action, KeyMap};
use super::schema::unknown_key_message;
use super::theme::{DEFAULT_THEME, Theme, ThemeLibrary};
use super::tree;

/// Frames per second the workbench redraws at most.
pub const FPS_RANGE: std::ops::RangeInclusive<u32> = 1..=60;

/// The `[ui]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiSettings {
    pub theme: String,
    /// Redraws per second (default 10).
    pub fps: u32,
    /// Mouse clicks and scrolling in the workbench.
    pub mouse: bool,
}

impl Default for UiSettings {
    fn default() -> Self {
        UiSettings {
            theme: DEFAULT_THEME.into(),
            fps: 10,
            mouse: true,
        }
    }
}

const UI: [&str; 3] = ["fps", "mouse", "theme"];

pub(crate) fn ui_settings(
    src: &Source<'_>,
    table: Option<&DeTable<'_>>,
    themes: &ThemeLibrary,
) -> Found<(UiSettings, Theme)> {
    let mut ui = UiSettings::default();
    let mut out = Vec::new();
    for (key, value) in table.map(|t| t.iter()).into_iter().flatten() {
        let name = key.get_ref().as_ref();
        let full = format!("ui.{name}");
        let span = Some(value.span());
        let mut wrong = |expected: &str, problem: Problem| {
            let message = format!("`{full}`: expected {expected}");
            out.push(src.diag(span.clone(), Some(full.clone()), problem, message));
        };
        match (name, value.get_ref()) {
            ("theme", DeValue::String(s)) => ui.theme = s.to_string(),
            ("theme", _) => wrong("a theme name (a string)", Problem::WrongType),
            ("mouse", DeValue::Boolean(b)) => ui.mouse = *b,
            ("mouse", _) => wrong("true or false", Problem::WrongType),
            ("fps", DeValue::Integer(i)) => {
                match i64::from_str_radix(i.as_str(), i.radix())
                    .ok()
                    .and_then(|v| u32::try_from(v).ok())
                {
                    Some(v) if FPS_RANGE.contains(&v) => ui.fps = v,
                    _ => {
                        let message = format!(
                            "ui.fps = {}: expected a refresh rate from {} to {} frames per second",
                            i.as_str(),
                            FPS_RANGE.start(),
                            FPS_RANGE.end()
                        );
                        out.push(src.diag(span, Some(full), Problem::OutOfRange, message));
                    }
                }
            }
            ("fps", _) => wrong("a whole number of frames per second", Problem::WrongType),
            _ => {
                let message = unknown_key_message(name, &["ui".into()], &UI);
                out.push(src.diag(Some(key.span()), Some(full), Problem::UnknownKey, message));
            }
        }
    }
    if !out.is_empty() {
        return Err(out);
    }
    match themes.resolve(&ui.theme) {
        Ok(theme) => Ok((ui, theme)),
        Err(e) if e.first().problem == Problem::UnknownName => {
            let span = table
                .and_then(|t| tree::entry(t, "theme"))
                .map(|(_, v)| v.span());
            let message = format!(
                "ui.theme = \"{}\": {}",
                ui.theme,
                themes.unknown_message(&ui.theme)
            );
            Err(vec![src.diag(
                span,
                Some("ui.theme".into()),
                Problem::UnknownName,
                message,
            )])
        }
        Err(e) => Err(e.diagnostics),
    }
}

pub(crate) fn key_map(src: &Source<'_>, table: Option<&DeTable<'_>>) -> Found<KeyMap> {
    let mut map = KeyMap::default();
    let mut out = Vec::new();
    let mut spans = Vec::new();
    let names: Vec<&str> = Action::all().map(Action::name).collect();
    for (key, value) in table.map(|t| t.iter()).into_iter().flatten() {
        let name = key.get_ref().as_ref();
        let full = format!("keys.{name}");
        let Some(action) = Action::from_name(name) else {
            let best = nearest(name, names.iter().copied()).unwrap_or("quit");
            let message = format!(
                "unknown action `{name}` in [keys]: did you mean `{best}`? (actions: {})",
                names.join(", ")
            );
            out.push(src.diag(
                Some(key.span()),
                Some(full),
                Problem::UnknownAction,
                message,
            ));
            continue;
        };
        let DeValue::Array(items) = value.get_ref() else {
            let message = format!("`{full}`: expected a list of keys, e.g. [\"q\", \"ctrl+c\"]");
            out.push(src.diag(Some(value.span()), Some(full), Problem::WrongType, message));
            continue;
        };
        let mut chords = Vec::new();
        for item in items {
            let parsed = match item.get_ref() {
                DeValue::String(s) => s.parse().map_err(|e| format!("`{full}`: \"{s}\": {e}")),
                _ => Err(format!(
                    "`{full}`: expected keys as strings, e.g. \"ctrl+c\""
                )),
            };
            match parsed {
                Ok(chord) => {
                    chords.push(chord);
                    spans.push((action, chord, item.span()));
                }
                Err(message) => out.push(src.diag(
                    Some(item.span()),
                    Some(full.clone()),
                    Problem::BadKey,
                    message,
                )),
            }
        }
        map.bind(action, chords);
    }
    for (chord, a, b) in map.conflicts() {
        let span = spans
            .iter()
            .find(|(act, c, _)| *c == chord && (*act == a || *act == b))
            .map(|(act, _, s)| (act, s.clone()));
        let key = span.as_ref().map(|(act, _)| format!("keys.{act}"));
        let message = format!("key `{chord}` is bound to both `{a}` and `{b}`");
        out.push(src.diag(span.map(|(_, s)| s), key, Problem::DuplicateKey, message));
    }
    if out.is_empty() { Ok(map) } else { Err(out) }
}
