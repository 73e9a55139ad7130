//! The keys a run config has (taken from [`RunConfig`] itself, so they never drift), and the
//! unknown-key check that names the nearest known key.

use std::sync::OnceLock;

use toml::de::{DeTable, DeValue};

use super::diag::{Diagnostic, Problem, Source, nearest};
use super::overrides::full_tree;
use super::run::{PaperReference, RunConfig};

/// Every key of a run config as a tree: the default config serialized, with the optional
/// parts filled in.
pub(crate) fn run_schema() -> &'static toml::Table {
    static SCHEMA: OnceLock<toml::Table> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let sample = RunConfig {
            description: "-".into(),
            paper: Some(PaperReference {
                table: String::new(),
                row: String::new(),
                model: String::new(),
                top1: 0.0,
                top5: Some(0.0),
            }),
            ..RunConfig::default()
        };
        match full_tree(&sample) {
            Ok(toml::Value::Table(t)) => t,
            _ => toml::Table::new(),
        }
    })
}

/// Where a checked table sits and what its file kind adds.
pub(crate) struct KeyCheck<'a> {
    pub src: Source<'a>,
    /// The checked table's path in the file (`["run"]` for config.toml, `[]` for a preset).
    pub prefix: &'a [&'a str],
    /// Keys the file kind adds at the checked table's top (`extends`, `preset`).
    pub extra: &'a [&'a str],
}

impl KeyCheck<'_> {
    /// One diagnostic per key of `table` that `schema` does not have, in file order.
    pub fn unknown_keys(&self, table: &DeTable<'_>, schema: &toml::Table) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut path: Vec<String> = self.prefix.iter().map(|s| s.to_string()).collect();
        self.walk(table, schema, &mut path, true, &mut out);
        out.sort_by_key(|d| (d.line, d.column));
        out
    }

    fn walk(
        &self,
        table: &DeTable<'_>,
        schema: &toml::Table,
        path: &mut Vec<String>,
        top: bool,
        out: &mut Vec<Diagnostic>,
    ) {
        let extra: &[&str] = if top { self.extra } else { &[] };
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            if extra.contains(&name) {
                continue;
            }
            match schema.get(name) {
                Some(toml::Value::Table(sub)) => {
                    if let DeValue::Table(t) = value.get_ref() {
                        path.push(name.to_string());
                        self.walk(t, sub, path, false, out);
                        path.pop();
                    }
                }
                Some(_) => {}
                None => {
                    let allowed: Vec<&str> = schema
                        .keys()
                        .map(String::as_str)
                        .chain(extra.iter().copied())
                        .collect();
                    let message = unknown_key_message(name, path, &allowed);
                    let mut full = path.clone();
                    full.push(name.to_string());
                    out.push(self.src.diag(
                        Some(key.span()),
                        Some(full.join(".")),
                        Problem::UnknownKey,
                        message,
                    ));
                }
            }
        }
    }
}

/// "unknown key `warmpu` in [warmup]: did you mean `epochs`? (allowed: enabled, epochs)"
pub(crate) fn unknown_key_message(key: &str, section: &[String], allowed: &[&str]) -> String {
    let place = if section.is_empty() {
        "at the top level".to_string()
    } else {
        format!("in [{}]", section.join("."))
    };
    let mut message = format!("unknown key `{key}` {place}");
    match nearest(key, allowed.iter().copied()) {
        Some(best) => message.push_str(&format!(": did you mean `{best}`?")),
        None => message.push_str(": this table takes no keys"),
    }
    if !allowed.is_empty() && allowed.len() <= 10 {
        let mut sorted = allowed.to_vec();
        sorted.sort_unstable();
        message.push_str(&format!(" (allowed: {})", sorted.join(", ")));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_has_every_section_and_the_optional_ones() {
        let s = run_schema();
        for key in [
            "epochs",
            "description",
            "warmup",
            "mixup",
            "paper",
            "distillation",
        ] {
            assert!(s.contains_key(key), "{key}");
        }
        let paper = s["paper"].as_table().unwrap();
        assert!(paper.contains_key("top5"));
        let warmup = s["warmup"].as_table().unwrap();
        assert_eq!(warmup.keys().collect::<Vec<_>>(), ["enabled", "epochs"]);
    }

    #[test]
    fn message_names_the_nearest_key_and_the_allowed_ones() {
        let m = unknown_key_message("warmpu", &["warmup".into()], &["enabled", "epochs"]);
        assert_eq!(
            m,
            "unknown key `warmpu` in [warmup]: did you mean `epochs`? (allowed: enabled, epochs)"
        );
    }
}
