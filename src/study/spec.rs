//! The study file: a base configuration, a list of rows and a number of seeds, in TOML.
//!
//! ```toml
//! description = "Table 6 at laptop scale"
//! table = "Table 6"            # what study.md calls the paper's table
//! mode = "cumulative"          # or "one-at-a-time"
//! seeds = 3                    # each row runs with seeds seed, seed + 1, ..., seed + 2
//!
//! [base]                       # as for `botui train`: a preset or a config file, flags, --set
//! preset = "resnet50d-efficient-laptop"
//! # config = "my-config.toml"  (botui's config.toml format; relative to this file)
//! # model, data, device, epochs, batch_size, input: the `botui train` flags
//! set = ["data.workers=2"]
//!
//! [teachers.plain]             # trained once, before the rows that distil from it
//! preset = "resnet152d-teacher-laptop"
//!
//! [[row]]
//! name = "efficient"           # the first row is the baseline
//! paper = { top1 = 77.16, top5 = 93.52 }
//!
//! [[row]]
//! name = "+ cosine decay"
//! set = ["schedule.decay=cosine"]
//!
//! [[row]]
//! name = "+ distill"
//! preset = "resnet50d-distill-laptop"  # a row may be another preset instead of (or and) `set`
//! teacher = "plain"
//! ```
//!
//! What each row's config is, is [`super::validate`]'s business; this file only reads the TOML,
//! with the spans the diagnostics point at.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::config::diag::{ConfigError, Problem, Source};

/// How the rows build on each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Each row is the row above plus its own changes (the paper's Tables 4 and 6).
    #[default]
    Cumulative,
    /// Each row is the base plus its own changes only (each trick alone).
    OneAtATime,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Cumulative => "cumulative",
            Mode::OneAtATime => "one-at-a-time",
        }
    }
}

/// A whole study file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudySpec {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub table: String,
    #[serde(default)]
    pub mode: Option<Spanned<Mode>>,
    #[serde(default)]
    pub seeds: Option<Spanned<i64>>,
    #[serde(default)]
    pub base: BaseSpec,
    #[serde(default)]
    pub teachers: BTreeMap<String, Spanned<TeacherSpec>>,
    #[serde(default, rename = "row")]
    pub rows: Vec<Spanned<RowSpec>>,
}

/// Where every row starts: what `botui train` takes (a preset or a config file, its flags
/// and its `--set` list).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseSpec {
    pub preset: Option<Spanned<String>>,
    pub config: Option<Spanned<String>>,
    pub model: Option<Spanned<String>>,
    pub data: Option<Spanned<String>>,
    pub device: Option<Spanned<String>>,
    pub epochs: Option<Spanned<usize>>,
    pub batch_size: Option<Spanned<usize>>,
    pub input: Option<Spanned<usize>>,
    #[serde(default)]
    pub set: Vec<Spanned<String>>,
}

/// A distillation teacher the study trains once.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeacherSpec {
    pub preset: Option<Spanned<String>>,
    #[serde(default)]
    pub set: Vec<Spanned<String>>,
}

/// One row of the table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowSpec {
    pub name: Spanned<String>,
    /// Start this row (and, cumulatively, the rows below) from this preset.
    pub preset: Option<Spanned<String>>,
    #[serde(default)]
    pub set: Vec<Spanned<String>>,
    /// A `[teachers]` entry to distil from.
    pub teacher: Option<Spanned<String>>,
    /// The paper's numbers for this row (a preset row brings its preset's).
    pub paper: Option<PaperNumbers>,
}

/// The paper's top-1 and top-5 for a row, percent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaperNumbers {
    pub top1: f64,
    pub top5: Option<f64>,
}

impl StudySpec {
    /// Reads a study file; `label` is the file as the user knows it (a path, or
    /// `builtin:studies/NAME.toml`).
    pub fn parse(label: &str, text: &str) -> Result<StudySpec, ConfigError> {
        let src = Source::new(label, text);
        let root = DeTable::parse(text).map_err(|e| ConfigError::from(src.syntax(&e)))?;
        toml::from_str::<StudySpec>(text).map_err(|e| {
            let message = e.message().trim().replace('\n', "; ");
            let problem = if message.starts_with("unknown field") {
                Problem::UnknownKey
            } else {
                Problem::WrongType
            };
            let row = e.span().and_then(|s| row_at(root.get_ref(), s.start));
            let message = match row {
                Some(i) => format!("row {}: {message}", i + 1),
                None => message,
            };
            ConfigError::from(src.diag(e.span(), None, problem, message))
        })
    }
}

/// The index of the `[[row]]` whose text holds `offset`: the last table header at or before
/// it, when that header is a row's.
fn row_at(root: &DeTable<'_>, offset: usize) -> Option<usize> {
    let mut headers: Vec<(Range<usize>, Option<usize>)> = Vec::new();
    for (key, value) in root.iter() {
        match value.get_ref() {
            DeValue::Array(items) if key.get_ref().as_ref() == "row" => {
                headers.extend(items.iter().enumerate().map(|(i, v)| (v.span(), Some(i))));
            }
            DeValue::Table(_) => headers.push((value.span(), None)),
            _ => {}
        }
    }
    headers
        .into_iter()
        .filter(|(span, _)| span.start <= offset)
        .max_by_key(|(span, _)| span.start)
        .and_then(|(_, row)| row)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
description = "two tricks"
mode = "one-at-a-time"
seeds = 2

[base]
preset = "quick"
epochs = 2
set = ["data.workers=1"]

[teachers.big]
preset = "resnet152d-teacher-laptop"

[[row]]
name = "efficient"

[[row]]
name = "+ cosine decay"
set = ["schedule.decay=cosine"]
paper = { top1 = 77.91, top5 = 93.81 }
"#;

    #[test]
    fn reads_every_part_with_spans() {
        let spec = StudySpec::parse("s.toml", GOOD).unwrap();
        assert_eq!(spec.mode.unwrap().into_inner(), Mode::OneAtATime);
        assert_eq!(*spec.seeds.unwrap().get_ref(), 2);
        assert_eq!(spec.base.preset.unwrap().into_inner(), "quick");
        assert_eq!(spec.base.epochs.unwrap().into_inner(), 2);
        assert_eq!(spec.base.set[0].get_ref(), "data.workers=1");
        assert!(spec.teachers.contains_key("big"));
        assert_eq!(spec.rows.len(), 2);
        let row = spec.rows[1].get_ref();
        assert_eq!(row.name.get_ref(), "+ cosine decay");
        assert_eq!(&GOOD[row.set[0].span()], "\"schedule.decay=cosine\"");
        assert_eq!(row.paper.unwrap().top5, Some(93.81));
    }

    #[test]
    fn unknown_keys_name_the_row_and_line() {
        let text = GOOD.replace(
            "set = [\"schedule.decay=cosine\"]",
            "sets = [\"schedule.decay=cosine\"]",
        );
        let err = StudySpec::parse("s.toml", &text).unwrap_err();
        let d = err.first();
        assert_eq!(d.problem, Problem::UnknownKey);
        assert_eq!(d.line, Some(19), "{err}");
        assert!(
            err.to_string().contains("row 2: unknown field `sets`"),
            "{err}"
        );
        // Outside the rows, no row is named.
        let text = GOOD.replace("epochs = 2", "epochz = 2");
        let err = StudySpec::parse("s.toml", &text).unwrap_err().to_string();
        assert!(err.starts_with("s.toml:8:"), "{err}");
        assert!(!err.contains("row "), "{err}");
    }

    #[test]
    fn bad_values_and_syntax_are_located() {
        let err = StudySpec::parse("s.toml", &GOOD.replace("one-at-a-time", "each"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("s.toml:3:"), "{err}");
        assert!(err.contains("cumulative"), "{err}");
        let err = StudySpec::parse("s.toml", "[[row]\n").unwrap_err();
        assert_eq!(err.first().problem, Problem::Syntax);
    }
}
