//! Format-preserving edits of config.toml (`toml_edit`): what the workbench changes (trick
//! switches and values, preset, model, data, device, batch, epochs, theme, keys) is written
//! into the user's file without touching their comments, order or spacing.

use std::fmt;

use toml_edit::{DocumentMut, Item, Table, TableLike};

use super::diag::{ConfigError, Problem, Source};
use super::keys::{Action, KeyChord};
use super::run::RunConfig;
use super::tree;

/// config.toml being edited. Build with [`super::ConfigStore::edit`].
#[derive(Debug, Clone)]
pub struct ConfigEdit {
    doc: DocumentMut,
}

impl ConfigEdit {
    pub(crate) fn parse(file: &str, text: &str) -> Result<Self, ConfigError> {
        match text.parse::<DocumentMut>() {
            Ok(doc) => Ok(ConfigEdit { doc }),
            Err(e) => {
                let src = Source::new(file, text);
                Err(match tree::parse(text) {
                    Err(err) => src.syntax(&err).into(),
                    Ok(_) => src
                        .diag(
                            e.span(),
                            None,
                            Problem::Syntax,
                            format!("invalid TOML: {}", e.message()),
                        )
                        .into(),
                })
            }
        }
    }

    /// `[run] preset = NAME`, or no preset (the run section stands on botui's defaults).
    pub fn set_preset(&mut self, name: Option<&str>) {
        let Some(run) = section(&mut self.doc, "run") else {
            return;
        };
        match name {
            Some(n) => set_item(run, "preset", toml_edit::value(n)),
            None => {
                run.remove("preset");
            }
        }
    }

    /// Sets a run key under `[run]`: `set_run("warmup.enabled", true)`, `set_run("epochs", 8)`.
    /// Missing tables are created (`[run.warmup]`).
    pub fn set_run(&mut self, key: &str, value: impl Into<toml_edit::Value>) {
        let path: Vec<&str> = key.split('.').collect();
        let (last, parents) = path.split_last().unwrap_or((&key, &[]));
        let Some(mut table) = section(&mut self.doc, "run") else {
            return;
        };
        for step in parents {
            let exists = table.get(step).is_some_and(Item::is_table_like);
            if !exists {
                table.insert(step, Item::Table(Table::new()));
            }
            match table.get_mut(step).and_then(Item::as_table_like_mut) {
                Some(t) => table = t,
                None => return,
            }
        }
        set_item(table, last, Item::Value(value.into()));
    }

    /// Removes a run override (the preset's value applies again). Returns whether it was set.
    pub fn remove_run(&mut self, key: &str) -> bool {
        let path: Vec<&str> = key.split('.').collect();
        let Some((last, parents)) = path.split_last() else {
            return false;
        };
        let Some(mut table) = self.doc.get_mut("run").and_then(Item::as_table_like_mut) else {
            return false;
        };
        for step in parents {
            match table.get_mut(step).and_then(Item::as_table_like_mut) {
                Some(t) => table = t,
                None => return false,
            }
        }
        table.remove(last).is_some()
    }

    /// Writes, under `[run]`, every value where `edited` differs from `base` (the preset as
    /// resolved, [`super::RunChoice::base`]) and removes overrides that now equal it: the
    /// file keeps only what the user changed.
    pub fn set_run_diff(&mut self, base: &RunConfig, edited: &RunConfig) {
        let (Ok(toml::Value::Table(b)), Ok(toml::Value::Table(e))) =
            (toml::Value::try_from(base), toml::Value::try_from(edited))
        else {
            return;
        };
        let mut changes = Vec::new();
        diff(&b, &e, &mut Vec::new(), &mut changes);
        for (key, value) in changes {
            match value {
                Some(v) => self.set_run(&key, to_edit_value(&v)),
                None => {
                    self.remove_run(&key);
                }
            }
        }
    }

    pub fn set_theme(&mut self, name: &str) {
        self.set_in("ui", "theme", toml_edit::value(name));
    }

    pub fn set_fps(&mut self, fps: u32) {
        self.set_in("ui", "fps", toml_edit::value(i64::from(fps)));
    }

    pub fn set_mouse(&mut self, on: bool) {
        self.set_in("ui", "mouse", toml_edit::value(on));
    }

    fn set_in(&mut self, section_name: &str, key: &str, item: Item) {
        if let Some(table) = section(&mut self.doc, section_name) {
            set_item(table, key, item);
        }
    }

    /// `[keys] action = ["k", ...]`.
    pub fn set_keys(&mut self, action: Action, keys: &[KeyChord]) {
        let mut array = toml_edit::Array::new();
        for k in keys {
            array.push(k.to_string());
        }
        self.set_in("keys", action.name(), toml_edit::value(array));
    }
}

impl fmt::Display for ConfigEdit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.doc)
    }
}

/// The top-level table `name`, created when missing (or replaced when it is not a table).
fn section<'a>(doc: &'a mut DocumentMut, name: &str) -> Option<&'a mut dyn TableLike> {
    let item = doc
        .as_table_mut()
        .entry(name)
        .or_insert(Item::Table(Table::new()));
    if !item.is_table_like() {
        *item = Item::Table(Table::new());
    }
    item.as_table_like_mut()
}

/// Sets `key` to `item`. An existing entry is changed in place, so the comments before the
/// key (kept on the key) and after the value (kept on the value) stay.
fn set_item(table: &mut dyn TableLike, key: &str, mut item: Item) {
    match table.get_mut(key) {
        Some(existing) => {
            if let (Item::Value(old), Item::Value(new)) = (&*existing, &mut item) {
                *new.decor_mut() = old.decor().clone();
            }
            *existing = item;
        }
        None => {
            table.insert(key, item);
        }
    }
}

/// Leaves of `edited` that differ from `base` (`Some(value)`), and leaves equal to it
/// (`None`: drop an override), as dotted keys.
fn diff(
    base: &toml::Table,
    edited: &toml::Table,
    path: &mut Vec<String>,
    out: &mut Vec<(String, Option<toml::Value>)>,
) {
    for (key, value) in edited {
        path.push(key.clone());
        match (base.get(key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(e)) => diff(b, e, path, out),
            (Some(b), e) if b == e => out.push((path.join("."), None)),
            (_, e) => out.push((path.join("."), Some(e.clone()))),
        }
        path.pop();
    }
}

fn to_edit_value(v: &toml::Value) -> toml_edit::Value {
    match v {
        toml::Value::String(s) => s.as_str().into(),
        toml::Value::Integer(i) => (*i).into(),
        toml::Value::Float(f) => (*f).into(),
        toml::Value::Boolean(b) => (*b).into(),
        toml::Value::Datetime(d) => d.to_string().into(),
        toml::Value::Array(items) => {
            toml_edit::Value::Array(items.iter().map(to_edit_value).collect())
        }
        toml::Value::Table(t) => {
            let mut inline = toml_edit::InlineTable::new();
            for (k, v) in t {
                inline.insert(k, to_edit_value(v));
            }
            toml_edit::Value::InlineTable(inline)
        }
    }
}
