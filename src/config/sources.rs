//! Named TOML files that ship inside botui and that users add or replace in their config
//! folder (presets, themes), and the `extends` chains between them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::de::DeValue;

use super::diag::{ConfigError, Diagnostic, Problem, Source, close};
use super::tree;

/// Where a preset or theme comes from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Inside the botui binary.
    BuiltIn,
    /// A file in the user's config folder.
    User(PathBuf),
}

/// One preset or theme file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedFile {
    /// The file name without `.toml`.
    pub name: String,
    pub origin: Origin,
    pub text: String,
    /// A user file that replaces the built-in one of the same name.
    pub replaces_builtin: bool,
    /// What errors call the file: its path, or `builtin:presets/NAME.toml`.
    pub label: String,
}

/// The built-in files of one kind plus the user's, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Catalog {
    /// "preset" or "theme", for messages.
    pub kind: &'static str,
    files: BTreeMap<String, NamedFile>,
}

impl Catalog {
    /// The built-in files, `(name, text)`, shipped in `dir` (`presets`, `themes`).
    pub fn builtin(kind: &'static str, dir: &str, files: &[(&str, &str)]) -> Self {
        let files = files
            .iter()
            .map(|(name, text)| {
                let file = NamedFile {
                    name: name.to_string(),
                    origin: Origin::BuiltIn,
                    text: text.to_string(),
                    replaces_builtin: false,
                    label: format!("builtin:{dir}/{name}.toml"),
                };
                (name.to_string(), file)
            })
            .collect();
        Catalog { kind, files }
    }

    /// The built-in files plus every `*.toml` of the user's folder `user_dir` (a missing folder
    /// adds nothing). Files are only read here; each is checked when it is used.
    pub fn load(
        kind: &'static str,
        dir: &str,
        files: &[(&str, &str)],
        user_dir: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        let mut catalog = Self::builtin(kind, dir, files);
        if let Some(user) = user_dir {
            catalog.add_dir(user)?;
        }
        Ok(catalog)
    }

    /// Every name, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.files.keys().map(String::as_str).collect()
    }

    /// Adds every `*.toml` of `dir` (a missing folder adds nothing); a user file replaces the
    /// built-in one of the same name.
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), ConfigError> {
        let label = dir.display().to_string();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(ConfigError::io(&label, "list the folder", &e)),
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .collect();
        paths.sort();
        for path in paths {
            let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
                continue; // not UTF-8: cannot be named in a config anyway
            };
            let file_label = path.display().to_string();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| ConfigError::io(&file_label, "read the file", &e))?;
            self.add_text(name, &file_label, &text);
        }
        Ok(())
    }

    /// Adds (or replaces) a file from text, as a user file called `label`.
    pub fn add_text(&mut self, name: &str, label: &str, text: &str) {
        let replaces_builtin = self
            .files
            .get(name)
            .is_some_and(|f| f.origin == Origin::BuiltIn);
        let file = NamedFile {
            name: name.to_string(),
            origin: Origin::User(PathBuf::from(label)),
            text: text.to_string(),
            replaces_builtin,
            label: label.to_string(),
        };
        self.files.insert(name.to_string(), file);
    }

    pub fn get(&self, name: &str) -> Option<&NamedFile> {
        self.files.get(name)
    }

    /// "no preset named `x` (did you mean `y`?)"
    pub fn unknown(&self, name: &str) -> String {
        let mut message = format!("no {} named `{name}`", self.kind);
        if let Some(best) = close(name, self.files.keys().map(String::as_str)) {
            message.push_str(&format!(" (did you mean `{best}`?)"));
        }
        message
    }

    /// `name`, the file it extends, that file's base, ...: the top first.
    pub fn chain(&self, name: &str) -> Result<Vec<&NamedFile>, ConfigError> {
        let mut file = self.get(name).ok_or_else(|| {
            ConfigError::from(Source::new("", "").diag(
                None,
                None,
                Problem::UnknownName,
                self.unknown(name),
            ))
        })?;
        let mut chain: Vec<&NamedFile> = Vec::new();
        loop {
            chain.push(file);
            let Some(base) = self.base_of(file, &chain)? else {
                return Ok(chain);
            };
            file = base;
        }
    }

    /// The file `file` extends, checking that it exists and closes no loop.
    fn base_of<'a>(
        &'a self,
        file: &NamedFile,
        chain: &[&NamedFile],
    ) -> Result<Option<&'a NamedFile>, Diagnostic> {
        let src = Source::new(&file.label, &file.text);
        let root = tree::parse(&file.text).map_err(|e| src.syntax(&e))?;
        let Some((_, value)) = tree::entry(root.get_ref(), "extends") else {
            return Ok(None);
        };
        let key = Some("extends".to_string());
        let span = Some(value.span());
        let DeValue::String(base) = value.get_ref() else {
            let message = format!("`extends` must be a {} name (a string)", self.kind);
            return Err(src.diag(span, key, Problem::WrongType, message));
        };
        let kind = self.kind;
        if base.as_ref() == file.name {
            let mut message = format!("extends = \"{base}\": a {kind} cannot extend itself");
            if file.replaces_builtin {
                message.push_str(&format!(
                    " (this file replaces the built-in `{base}`; copy what you need from \
                     `botui {kind}s show {base}` instead)"
                ));
            }
            return Err(src.diag(span, key, Problem::SelfExtends, message));
        }
        if chain.iter().any(|f| f.name == base.as_ref()) {
            let names: Vec<&str> = chain.iter().map(|f| f.name.as_str()).collect();
            let message = format!(
                "extends = \"{base}\": {kind}s extend each other in a cycle: {} -> {base}",
                names.join(" -> ")
            );
            return Err(src.diag(span, key, Problem::Cycle, message));
        }
        match self.get(base) {
            Some(next) => Ok(Some(next)),
            None => {
                let message = format!("extends = \"{base}\": {}", self.unknown(base));
                Err(src.diag(span, key, Problem::MissingBase, message))
            }
        }
    }
}
