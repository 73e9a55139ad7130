//! Studies by name: the paper's tables built into botui from `studies/*.toml`, plus the user's
//! `<config dir>/studies/*.toml` (which add to them or replace them by name), or any file by
//! its path.

use std::path::{Path, PathBuf};

use crate::config::diag::{Diagnostic, Problem};
use crate::config::{Catalog, ConfigError, ConfigPaths, Origin};

use super::spec::StudySpec;

macro_rules! embed {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../studies/", $name, ".toml")))),*]
    };
}

/// `(name, text)` of every built-in study. A test checks that this list and the folder hold the
/// same files.
pub(crate) const STUDIES: &[(&str, &str)] = embed![
    "table4-bs1024",
    "table4-bs1024-laptop",
    "table4-bs256",
    "table4-bs256-laptop",
    "table5",
    "table5-laptop",
    "table6-inception-v3",
    "table6-inception-v3-laptop",
    "table6-mobilenet",
    "table6-mobilenet-laptop",
    "table6-resnet50d",
    "table6-resnet50d-laptop",
];

/// A study file's text and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudyFile {
    /// The file name without `.toml`.
    pub name: String,
    /// The file as errors call it: its path, or `builtin:studies/NAME.toml`.
    pub label: String,
    pub origin: Origin,
    pub text: String,
}

impl StudyFile {
    /// The folder relative paths in the file (`config = "..."`) start from: the file's own for
    /// a file on disk, the working directory for a built-in study.
    pub fn dir(&self) -> PathBuf {
        match &self.origin {
            Origin::User(path) => path.parent().map(Path::to_path_buf).unwrap_or_default(),
            Origin::BuiltIn => PathBuf::new(),
        }
    }

    /// Reads a study file from disk.
    pub fn read(path: &Path) -> Result<StudyFile, ConfigError> {
        let label = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::io(&label, "read the study file", &e))?;
        let name = path
            .file_stem()
            .map_or_else(|| label.clone(), |s| s.to_string_lossy().into_owned());
        Ok(StudyFile {
            name,
            label,
            origin: Origin::User(path.to_path_buf()),
            text,
        })
    }

    /// The file's description (empty when it has none or does not parse).
    pub fn description(&self) -> String {
        StudySpec::parse(&self.label, &self.text)
            .map(|s| s.description)
            .unwrap_or_default()
    }
}

/// Built-in studies plus the user's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudyLibrary {
    catalog: Catalog,
}

impl Default for StudyLibrary {
    fn default() -> Self {
        Self::builtin()
    }
}

impl StudyLibrary {
    pub fn builtin() -> Self {
        StudyLibrary {
            catalog: Catalog::builtin("study", "studies", STUDIES),
        }
    }

    /// Built-in studies plus every `*.toml` in `user_dir` (a missing folder is fine).
    pub fn load(user_dir: Option<&Path>) -> Result<Self, ConfigError> {
        Ok(StudyLibrary {
            catalog: Catalog::load("study", "studies", STUDIES, user_dir)?,
        })
    }

    /// Built-in studies plus those in the user's config folder.
    pub fn load_user() -> Result<Self, ConfigError> {
        let paths = ConfigPaths::user();
        Self::load(paths.as_ref().map(|p| p.studies_dir()).as_deref())
    }

    /// Every study name, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.catalog.names()
    }

    /// The study called `name`.
    pub fn get(&self, name: &str) -> Option<StudyFile> {
        self.catalog.get(name).map(|f| StudyFile {
            name: f.name.clone(),
            label: f.label.clone(),
            origin: f.origin.clone(),
            text: f.text.clone(),
        })
    }

    /// A study by name, or a study file by path (anything that names an existing file or ends
    /// in `.toml`).
    pub fn open(&self, name_or_path: &str) -> Result<StudyFile, ConfigError> {
        let path = Path::new(name_or_path);
        if path.is_file() || name_or_path.ends_with(".toml") {
            return StudyFile::read(path);
        }
        self.get(name_or_path).ok_or_else(|| {
            ConfigError::from(Diagnostic {
                file: String::new(),
                line: None,
                column: None,
                key: None,
                problem: Problem::UnknownName,
                message: format!(
                    "{}; `botui studies` lists them, or give a study file's path",
                    self.catalog.unknown(name_or_path)
                ),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_list_is_the_studies_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("studies");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = STUDIES.iter().map(|(n, _)| *n).collect();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn user_files_add_and_replace_and_paths_open() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mine.toml"), "[[row]]\nname = \"a\"\n").unwrap();
        std::fs::write(dir.path().join("table5.toml"), "[[row]]\nname = \"b\"\n").unwrap();
        let library = StudyLibrary::load(Some(dir.path())).unwrap();
        assert!(library.names().contains(&"mine"));
        assert!(library.get("table5").unwrap().text.contains("\"b\""));
        let by_path = library
            .open(&dir.path().join("mine.toml").display().to_string())
            .unwrap();
        assert_eq!(by_path.name, "mine");
        assert_eq!(by_path.dir(), dir.path());
        let err = library.open("tabel5").unwrap_err().to_string();
        assert!(err.contains("did you mean `table5`"), "{err}");
    }
}
