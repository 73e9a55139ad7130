//! Where botui keeps the user's files: `config.toml`, `presets/`, `themes/` and `studies/` in
//! one folder (`directories::ProjectDirs::from("", "", "botui")`: `~/.config/botui` on Linux).

use std::path::{Path, PathBuf};

/// The user's botui config folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigPaths {
    pub dir: PathBuf,
}

impl ConfigPaths {
    /// The platform's config folder for botui; `None` where there is no home folder.
    pub fn user() -> Option<Self> {
        directories::ProjectDirs::from("", "", "botui").map(|d| Self::at(d.config_dir()))
    }

    /// A folder of one's choosing (tests, `--config-dir`).
    pub fn at(dir: impl AsRef<Path>) -> Self {
        ConfigPaths {
            dir: dir.as_ref().to_path_buf(),
        }
    }

    /// `<dir>/config.toml`: the next run and the workbench settings.
    pub fn config_file(&self) -> PathBuf {
        self.dir.join("config.toml")
    }

    /// `<dir>/presets/`: user presets, `NAME.toml`.
    pub fn presets_dir(&self) -> PathBuf {
        self.dir.join("presets")
    }

    /// `<dir>/themes/`: user themes, `NAME.toml`.
    pub fn themes_dir(&self) -> PathBuf {
        self.dir.join("themes")
    }

    /// `<dir>/studies/`: user studies, `NAME.toml` (`botui studies`).
    pub fn studies_dir(&self) -> PathBuf {
        self.dir.join("studies")
    }
}
