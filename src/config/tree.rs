//! Walking parsed TOML: key lookup with spans (for line numbers), the key under a byte offset,
//! and the deep merge that `extends` and config overrides use.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

pub(crate) type SpannedTable<'t> = Spanned<DeTable<'t>>;

/// Parses a whole file, keeping spans.
pub(crate) fn parse(text: &str) -> Result<SpannedTable<'_>, toml::de::Error> {
    DeTable::parse(text)
}

/// The entry `key` of a table: its key span and value.
pub(crate) fn entry<'a, 't>(
    table: &'a DeTable<'t>,
    key: &str,
) -> Option<(Range<usize>, &'a Spanned<DeValue<'t>>)> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(k, v)| (k.span(), v))
}

/// The table at `path` (empty: the root), if every step is a table.
pub(crate) fn table_at<'a, 't>(root: &'a DeTable<'t>, path: &[&str]) -> Option<&'a DeTable<'t>> {
    let mut table = root;
    for step in path {
        match entry(table, step)?.1.get_ref() {
            DeValue::Table(t) => table = t,
            _ => return None,
        }
    }
    Some(table)
}

/// The span of the last key of `path` (`["run", "warmup", "epochs"]`), where the file has it.
pub(crate) fn key_span(root: &DeTable<'_>, path: &[&str]) -> Option<Range<usize>> {
    let (last, parents) = path.split_last()?;
    let table = table_at(root, parents)?;
    entry(table, last).map(|(span, _)| span)
}

/// The span of the value at `path`.
pub(crate) fn value_span(root: &DeTable<'_>, path: &[&str]) -> Option<Range<usize>> {
    let (last, parents) = path.split_last()?;
    let table = table_at(root, parents)?;
    entry(table, last).map(|(_, v)| v.span())
}

/// The dotted path of the innermost key whose key or value covers `offset` (where a serde
/// error that only has a span happened).
pub(crate) fn key_at(root: &DeTable<'_>, offset: usize) -> Option<Vec<String>> {
    let mut best: Option<(usize, Vec<String>)> = None;
    let mut path = Vec::new();
    search(root, offset, &mut path, &mut best);
    best.map(|(_, p)| p)
}

fn search(
    table: &DeTable<'_>,
    offset: usize,
    path: &mut Vec<String>,
    best: &mut Option<(usize, Vec<String>)>,
) {
    for (k, v) in table.iter() {
        path.push(k.get_ref().to_string());
        let covers = |s: Range<usize>| s.start <= offset && offset < s.end.max(s.start + 1);
        if covers(k.span()) || covers(v.span()) {
            let depth = path.len();
            if best.as_ref().is_none_or(|(d, _)| depth >= *d) {
                *best = Some((depth, path.clone()));
            }
        }
        if let DeValue::Table(t) = v.get_ref() {
            search(t, offset, path, best);
        }
        path.pop();
    }
}

/// Copies `over` onto `base`: tables merge key by key, anything else replaces.
pub(crate) fn deep_merge(base: &mut toml::Table, over: &toml::Table) {
    for (key, value) in over {
        match (base.get_mut(key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => deep_merge(b, o),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// The plain table at `path` of a parsed file (a missing step gives an empty table).
pub(crate) fn plain_table_at(root: &toml::Table, path: &[&str]) -> toml::Table {
    let mut table = root;
    for step in path {
        match table.get(*step) {
            Some(toml::Value::Table(t)) => table = t,
            _ => return toml::Table::new(),
        }
    }
    table.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_is_deep_for_tables_and_replaces_the_rest() {
        let mut base: toml::Table =
            toml::from_str("a = 1\n[w]\nenabled = false\nepochs = 5\n").unwrap();
        let over: toml::Table = toml::from_str("a = [2]\n[w]\nenabled = true\n").unwrap();
        deep_merge(&mut base, &over);
        let want: toml::Table =
            toml::from_str("a = [2]\n[w]\nenabled = true\nepochs = 5\n").unwrap();
        assert_eq!(base, want);
    }

    #[test]
    fn spans_find_keys_and_keys_are_found_from_offsets() {
        let text = "x = 1\n[run.warmup]\nepochs = \"five\"\n";
        let root = parse(text).unwrap();
        let span = key_span(root.get_ref(), &["run", "warmup", "epochs"]).unwrap();
        assert_eq!(&text[span], "epochs");
        let value = value_span(root.get_ref(), &["run", "warmup", "epochs"]).unwrap();
        assert_eq!(&text[value.clone()], "\"five\"");
        assert_eq!(
            key_at(root.get_ref(), value.start + 2).unwrap(),
            ["run", "warmup", "epochs"]
        );
        assert_eq!(key_at(root.get_ref(), 0).unwrap(), ["x"]);
    }
}
