//! Diagnostics for config, preset and theme files: each names the file, the line and column
//! (where there is one), the key, and what was expected, like a compiler:
//! `config.toml:7:1: unknown key `warmpu` in [run]: did you mean `warmup`?`.

use std::fmt;
use std::ops::Range;

/// What kind of problem a [`Diagnostic`] reports (for code that reacts to some kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Problem {
    /// The file could not be read or written.
    Io,
    /// Not TOML.
    Syntax,
    /// A key the file kind does not have.
    UnknownKey,
    /// A value of the wrong TOML type, or a string that is not one of the allowed names.
    WrongType,
    /// A value out of its range (from [`RunConfig::validate`](super::RunConfig::validate)).
    OutOfRange,
    /// `extends` names a preset or theme that does not exist.
    MissingBase,
    /// `extends` names the file itself.
    SelfExtends,
    /// `extends` chains loop.
    Cycle,
    /// A preset or theme name (outside `extends`) that does not exist.
    UnknownName,
    /// A theme color that is neither an ANSI name nor `#rrggbb`.
    UnknownColor,
    /// A theme role botui does not have.
    UnknownRole,
    /// A theme that leaves roles without a color.
    MissingRole,
    /// A key binding for an action botui does not have.
    UnknownAction,
    /// A key binding that is not a key.
    BadKey,
    /// One key bound to two actions.
    DuplicateKey,
    /// A value only the user can supply (a teacher checkpoint) is still empty.
    NeedsInput,
}

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as the user knows it: a path, or `builtin:presets/NAME.toml` (empty for a
    /// problem with no file, such as an unknown preset name on the command line).
    pub file: String,
    /// 1-based line.
    pub line: Option<usize>,
    /// 1-based column, in characters.
    pub column: Option<usize>,
    /// The dotted key in the file (`run.warmup.epochs`), where the problem has one.
    pub key: Option<String>,
    pub problem: Problem,
    /// What is wrong and what is allowed, without the location.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.file.is_empty() {
            return write!(f, "{}", self.message);
        }
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// A checked value, or every problem found on the way.
pub(crate) type Found<T> = Result<T, Vec<Diagnostic>>;

/// Everything wrong with a config, preset or theme: one or more [`Diagnostic`]s, one per line
/// when displayed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl From<Diagnostic> for ConfigError {
    fn from(d: Diagnostic) -> Self {
        ConfigError {
            diagnostics: vec![d],
        }
    }
}

impl ConfigError {
    /// The first problem (where an editor should jump).
    pub fn first(&self) -> &Diagnostic {
        &self.diagnostics[0]
    }

    pub(crate) fn from_list(diagnostics: Vec<Diagnostic>) -> Result<(), ConfigError> {
        if diagnostics.is_empty() {
            Ok(())
        } else {
            Err(ConfigError { diagnostics })
        }
    }

    pub(crate) fn io(file: &str, what: &str, err: &std::io::Error) -> Self {
        Diagnostic {
            file: file.to_string(),
            line: None,
            column: None,
            key: None,
            problem: Problem::Io,
            message: format!("cannot {what}: {err}"),
        }
        .into()
    }
}

/// A file's name and text, to turn byte spans into lines and columns.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

impl<'a> Source<'a> {
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Source { file, text }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    pub fn diag(
        &self,
        span: Option<Range<usize>>,
        key: Option<String>,
        problem: Problem,
        message: String,
    ) -> Diagnostic {
        let (line, column) = match span.map(|s| self.position(s.start)) {
            Some((l, c)) => (Some(l), Some(c)),
            None => (None, None),
        };
        Diagnostic {
            file: self.file.to_string(),
            line,
            column,
            key,
            problem,
            message,
        }
    }

    /// A TOML syntax error from the `toml` parser.
    pub fn syntax(&self, err: &toml::de::Error) -> Diagnostic {
        let message = err.message().trim().replace('\n', "; ");
        self.diag(
            err.span(),
            None,
            Problem::Syntax,
            format!("invalid TOML: {message}"),
        )
    }
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbours each cost 1 (`warmpu` -> `warmup` is 1).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// The candidate nearest to `word` by [`edit_distance`], whatever the distance; on a tie the
/// one closest in length, then the first.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = word.chars().count();
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c.chars().count().abs_diff(len), c))
        .min_by_key(|(d, l, _)| (*d, *l))
        .map(|(_, _, c)| c)
}

/// `nearest`, but only when it is a plausible typo (at most a third of the word wrong).
pub fn close<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let best = nearest(word, candidates)?;
    let limit = (word.chars().count().max(best.chars().count()) / 3).max(1);
    (edit_distance(word, best) <= limit).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_worked_by_hand() {
        assert_eq!(edit_distance("warmpu", "warmup"), 1); // one swap
        assert_eq!(edit_distance("epochs", "epoch"), 1); // one deletion
        assert_eq!(edit_distance("kitten", "sitting"), 3); // k->s, e->i, +g
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("ca", "abc"), 3); // OSA, not full Damerau (which gives 2)
        // w->e, +n, a, r->b, m->l, p->e, u->d; and six substitutions: a tie.
        assert_eq!(edit_distance("warmpu", "enabled"), 6);
        assert_eq!(edit_distance("warmpu", "epochs"), 6);
    }

    #[test]
    fn nearest_always_answers_close_only_for_typos() {
        let keys = ["enabled", "epochs"];
        assert_eq!(nearest("epohcs", keys), Some("epochs"));
        assert_eq!(nearest("zzzzzzzz", keys), Some("enabled"));
        assert_eq!(close("zzzzzzzz", keys), None);
        assert_eq!(close("enabeld", keys), Some("enabled"));
        // The tie above goes to the candidate of the same length.
        assert_eq!(nearest("warmpu", keys), Some("epochs"));
    }

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let s = Source::new("f.toml", "a = 1\nbé = 2\n");
        assert_eq!(s.position(0), (1, 1));
        assert_eq!(s.position(6), (2, 1));
        // "bé = 2": '=' is the 4th character but the 5th byte of the line.
        assert_eq!(s.position(6 + 4), (2, 4));
        assert_eq!(s.position(1000), (3, 1));
    }
}
