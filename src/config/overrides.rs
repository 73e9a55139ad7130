//! `--set key=value` overrides on a run config: the key is a dotted path into the TOML form
//! (`warmup.epochs=5`, `model.variant="D"`), the value a TOML literal (a bare word that is not
//! one is taken as a string, so `device=libtorch` works).

use toml::Value;

use super::RunConfig;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OverrideError {
    #[error("--set {0}: expected key=value")]
    Syntax(String),
    #[error("--set {assignment}: {message}")]
    Invalid { assignment: String, message: String },
}

/// Applies one `key=value` to `config`.
pub fn apply_set(config: &RunConfig, assignment: &str) -> Result<RunConfig, OverrideError> {
    let (key, raw) = assignment
        .split_once('=')
        .ok_or_else(|| OverrideError::Syntax(assignment.to_string()))?;
    let key = key.trim();
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err(OverrideError::Syntax(assignment.to_string()));
    }
    set_value(config, key, parse_value(raw.trim())).map_err(|message| OverrideError::Invalid {
        assignment: assignment.to_string(),
        message,
    })
}

/// `config` with the value at the dotted `key` replaced by `value`, parsed and checked by
/// serde as a config file would be (the path `--set` and the workbench's edits share).
pub fn set_value(config: &RunConfig, key: &str, value: Value) -> Result<RunConfig, String> {
    let mut tree = full_tree(config)?;
    let parts: Vec<&str> = key.split('.').collect();
    let (leaf, tables) = parts.split_last().expect("non-empty key");
    let mut node = &mut tree;
    for (depth, part) in tables.iter().enumerate() {
        let table = node
            .as_table_mut()
            .ok_or_else(|| format!("`{}` is not a section", parts[..depth].join(".")))?;
        node = table
            .entry(part.to_string())
            .or_insert_with(|| Value::Table(Default::default()));
    }
    let table = node
        .as_table_mut()
        .ok_or_else(|| format!("`{}` is not a section", tables.join(".")))?;
    table.insert(leaf.to_string(), value);
    tree.try_into::<RunConfig>()
        .map_err(|e| e.to_string().trim().replace('\n', " "))
}

/// The value at the dotted `key` (`mixup.alpha`) as the TOML form of `config` has it.
pub fn get_value(config: &RunConfig, key: &str) -> Option<Value> {
    let tree = full_tree(config).ok()?;
    key.split('.')
        .try_fold(&tree, |node, part| node.get(part))
        .cloned()
}

/// The TOML form of `config` with every section present: a section that is not written
/// while at its defaults ([`Section::WRITTEN_AT_DEFAULTS`](super::section::Section)) still
/// has its keys (for `--set`, the checklist and the unknown-key check).
pub(crate) fn full_tree(config: &RunConfig) -> Result<Value, String> {
    let mut tree = Value::try_from(config).map_err(|e| e.to_string())?;
    let table = tree.as_table_mut().expect("a config is a table");
    for (key, section) in config.sections() {
        if !table.contains_key(key)
            && let Some(value) = section.tree()?
        {
            table.insert(key.to_string(), value);
        }
    }
    Ok(tree)
}

/// A value as typed after `key=`: a TOML literal, or a bare word taken as a string.
pub fn parse_value(raw: &str) -> Value {
    let doc = format!("v = {raw}");
    match toml::from_str::<toml::Table>(&doc) {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| Value::String(raw.to_string())),
        Err(_) => Value::String(raw.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::DeviceName;
    use crate::model::ResNetVariant;

    #[test]
    fn sets_nested_keys_with_typed_values() {
        let c = RunConfig::default();
        let c = apply_set(&c, "warmup.epochs=3").unwrap();
        let c = apply_set(&c, "warmup.enabled=true").unwrap();
        let c = apply_set(&c, "model.variant=D").unwrap();
        let c = apply_set(&c, "device=flex").unwrap();
        let c = apply_set(&c, "schedule.step_epochs=[5, 8]").unwrap();
        assert!(c.warmup.enabled);
        assert_eq!(c.warmup.epochs, 3.0);
        assert_eq!(c.model.variant, ResNetVariant::D);
        assert_eq!(c.device, DeviceName::Flex);
        assert_eq!(c.schedule.step_epochs, vec![5, 8]);
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_errors() {
        let c = RunConfig::default();
        let err = apply_set(&c, "warmup.epochz=3").unwrap_err().to_string();
        assert!(err.contains("epochz"), "{err}");
        let err = apply_set(&c, "epochs=many").unwrap_err().to_string();
        assert!(err.contains("epochs=many"), "{err}");
        assert!(apply_set(&c, "epochs").is_err());
        assert!(apply_set(&c, ".x=1").is_err());
    }
}
