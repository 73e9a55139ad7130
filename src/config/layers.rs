//! A run config built from layers of TOML: a preset, the presets it extends, and the `[run]`
//! overrides of config.toml. Each layer is checked on its own (syntax, unknown keys, types,
//! with lines from its own file), then the layers merge deep, base first, and the result is
//! range-checked with every error traced to the file that set the key.

use serde::Deserialize;

use super::diag::{ConfigError, Diagnostic, Problem, Source};
use super::run::RunConfig;
use super::schema::{KeyCheck, run_schema};
use super::tree;
use super::validate::{InvalidConfig, MissingInput};

/// One file's contribution to a run config.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Layer {
    /// The file as the user knows it (a path, or `builtin:presets/NAME.toml`).
    pub file: String,
    pub text: String,
    /// Where the run keys sit in the file: `[]` for a preset, `["run"]` for config.toml.
    pub prefix: &'static [&'static str],
    /// Keys of the file kind that are not run keys (`extends`, `preset`).
    pub extra: &'static [&'static str],
    /// Whether `name` and `description` pass on to the layer above. A preset's own identity
    /// does not pass to a preset that extends it; a preset's does pass to config.toml.
    pub keep_identity: bool,
}

/// Identity keys: what a preset is called and says about itself.
const IDENTITY: [&str; 2] = ["name", "description"];

impl Layer {
    fn source(&self) -> Source<'_> {
        Source::new(&self.file, &self.text)
    }

    /// This layer's run keys (without the extra keys), or what is wrong with them.
    pub fn check(&self) -> Result<toml::Table, Vec<Diagnostic>> {
        let src = self.source();
        let root = tree::parse(&self.text).map_err(|e| vec![src.syntax(&e)])?;
        let Some(table) = tree::table_at(root.get_ref(), self.prefix) else {
            let span = tree::value_span(root.get_ref(), self.prefix);
            if span.is_none() {
                return Ok(toml::Table::new()); // no [run] section: nothing to override
            }
            let key = self.prefix.join(".");
            let message = format!("`{key}` must be a table (a [{key}] section)");
            return Err(vec![src.diag(span, Some(key), Problem::WrongType, message)]);
        };
        let check = KeyCheck {
            src,
            prefix: self.prefix,
            extra: self.extra,
        };
        let unknown = check.unknown_keys(table, run_schema());
        if !unknown.is_empty() {
            return Err(unknown);
        }
        let mut run = table.clone();
        for key in self.extra {
            run.remove(*key);
        }
        let span = tree::value_span(root.get_ref(), self.prefix).unwrap_or(root.span());
        let de = toml::de::Deserializer::from(toml::Spanned::new(span, run));
        if let Err(e) = RunConfig::deserialize(de) {
            return Err(vec![self.type_error(root.get_ref(), &e)]);
        }
        let plain: toml::Table = toml::from_str(&self.text).map_err(|e| vec![src.syntax(&e)])?;
        let mut run = tree::plain_table_at(&plain, self.prefix);
        for key in self.extra {
            run.remove(*key);
        }
        Ok(run)
    }

    fn type_error(&self, root: &toml::de::DeTable<'_>, e: &toml::de::Error) -> Diagnostic {
        let key = e
            .span()
            .and_then(|s| tree::key_at(root, s.start))
            .map(|p| p.join("."));
        let message = match &key {
            Some(k) => format!("`{k}`: {}", e.message().trim()),
            None => e.message().trim().to_string(),
        };
        self.source()
            .diag(e.span(), key, Problem::WrongType, message)
    }
}

/// Checks every layer, merges them and deserializes the result. Ranges are not checked here
/// (see [`locate`]).
pub(crate) fn merge(layers: &[Layer]) -> Result<(toml::Table, RunConfig), ConfigError> {
    let mut diagnostics = Vec::new();
    let mut tables = Vec::new();
    for layer in layers {
        match layer.check() {
            Ok(t) => tables.push(t),
            Err(d) => diagnostics.extend(d),
        }
    }
    ConfigError::from_list(diagnostics)?;
    let mut merged = toml::Table::new();
    for (i, (layer, mut table)) in layers.iter().zip(tables).enumerate() {
        if !layer.keep_identity && i + 1 < layers.len() {
            for key in IDENTITY {
                table.remove(key);
            }
        }
        tree::deep_merge(&mut merged, &table);
    }
    let config = RunConfig::deserialize(toml::Value::Table(merged.clone())).map_err(|e| {
        let top = layers.last().map_or("", |l| l.file.as_str());
        ConfigError::from(Source::new(top, "").diag(
            None,
            None,
            Problem::WrongType,
            e.message().trim().to_string(),
        ))
    })?;
    Ok((merged, config))
}

/// Range errors of the merged config, each placed at the layer (topmost first) that sets the
/// key, as `file:line:column: run.warmup.epochs = 9: expected ...`.
pub(crate) fn locate(layers: &[Layer], invalid: &InvalidConfig) -> ConfigError {
    let diagnostics = invalid
        .0
        .iter()
        .map(|v| {
            let path: Vec<&str> = v.key.split('.').collect();
            for layer in layers.iter().rev() {
                let full: Vec<&str> = layer.prefix.iter().copied().chain(path.clone()).collect();
                let Ok(root) = tree::parse(&layer.text) else {
                    continue;
                };
                if let Some(span) = tree::key_span(root.get_ref(), &full) {
                    let key = full.join(".");
                    let message = format!("{key} = {}: expected {}", v.value, v.expected);
                    return layer.source().diag(
                        Some(span),
                        Some(key),
                        Problem::OutOfRange,
                        message,
                    );
                }
            }
            let top = layers.last();
            let prefix: Vec<&str> = top.map(|l| l.prefix.to_vec()).unwrap_or_default();
            let key = prefix.into_iter().chain(path).collect::<Vec<_>>().join(".");
            let message = format!("{key} = {}: expected {}", v.value, v.expected);
            Source::new(top.map_or("", |l| l.file.as_str()), "").diag(
                None,
                Some(key),
                Problem::OutOfRange,
                message,
            )
        })
        .collect();
    ConfigError { diagnostics }
}

/// Merges, then checks ranges with [`RunConfig::validate_template`] (a teacher may still be
/// missing: see [`RunConfig::missing_inputs`]).
pub(crate) fn build(layers: &[Layer]) -> Result<(toml::Table, RunConfig), ConfigError> {
    let (table, config) = merge(layers)?;
    config
        .validate_template()
        .map_err(|invalid| locate(layers, &invalid))?;
    Ok((table, config))
}

/// `config` ready to run: each input the user must still give (a distillation teacher)
/// becomes a [`Problem::NeedsInput`] diagnostic of `file`, keyed `key_prefix` + the key and
/// worded by `message`; then the range checks, each located in the layer that set the value.
pub(crate) fn ready(
    config: &RunConfig,
    layers: &[Layer],
    file: &str,
    key_prefix: &str,
    message: impl Fn(&MissingInput) -> String,
) -> Result<RunConfig, ConfigError> {
    let diagnostics: Vec<Diagnostic> = config
        .missing_inputs()
        .into_iter()
        .map(|m| Diagnostic {
            file: file.to_string(),
            line: None,
            column: None,
            key: Some(format!("{key_prefix}{}", m.key)),
            problem: Problem::NeedsInput,
            message: message(&m),
        })
        .collect();
    ConfigError::from_list(diagnostics)?;
    config
        .validate()
        .map_err(|invalid| locate(layers, &invalid))?;
    Ok(config.clone())
}
