//! Where the images come from: `data.source`, parsed once into a [`DataSource`] when the
//! config is read or edited, and kept with its text so that a bad one is reported by
//! validation with the rest (and written back as it was typed).

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The built-in dataset's distinct classes: 8 shapes x 4 textures x 4 color schemes (the data
/// module draws them and checks its count against this).
pub const BUILTIN_MAX_CLASSES: usize = 128;

/// `data.builtin_difficulty`'s default (the data module's calibration of it is in
/// `data::builtin::DEFAULT_DIFFICULTY`'s documentation).
pub const BUILTIN_DEFAULT_DIFFICULTY: f64 = 0.3;

/// Where the images come from (`data.source`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataSource {
    /// Procedurally generated, no files (the default).
    Builtin,
    /// `train/<class>/*.jpg` and `val/<class>/...`, or one folder of class folders.
    ImageFolder(PathBuf),
    Cifar10(PathBuf),
    Cifar100(PathBuf),
    Mnist(PathBuf),
}

impl DataSource {
    /// Parses `builtin`, `imagefolder:PATH`, `cifar10:PATH`, `cifar100:PATH`, `mnist:PATH`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let expected = "builtin, imagefolder:PATH, cifar10:PATH, cifar100:PATH or mnist:PATH";
        let spec = spec.trim();
        if spec.eq_ignore_ascii_case("builtin") {
            return Ok(DataSource::Builtin);
        }
        let Some((kind, path)) = spec.split_once(':') else {
            return Err(expected.to_string());
        };
        if path.trim().is_empty() {
            return Err(format!("a path after '{kind}:' ({expected})"));
        }
        let path = PathBuf::from(path.trim());
        match kind.to_ascii_lowercase().as_str() {
            "imagefolder" => Ok(DataSource::ImageFolder(path)),
            "cifar10" => Ok(DataSource::Cifar10(path)),
            "cifar100" => Ok(DataSource::Cifar100(path)),
            "mnist" => Ok(DataSource::Mnist(path)),
            _ => Err(expected.to_string()),
        }
    }
}

impl fmt::Display for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataSource::Builtin => write!(f, "builtin"),
            DataSource::ImageFolder(p) => write!(f, "imagefolder:{}", p.display()),
            DataSource::Cifar10(p) => write!(f, "cifar10:{}", p.display()),
            DataSource::Cifar100(p) => write!(f, "cifar100:{}", p.display()),
            DataSource::Mnist(p) => write!(f, "mnist:{}", p.display()),
        }
    }
}

/// `data.source` as written, with what it parses to (or what was expected instead).
#[derive(Clone, PartialEq, Eq)]
pub struct SourceSpec {
    text: String,
    parsed: Result<DataSource, String>,
}

impl SourceSpec {
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let parsed = DataSource::parse(&text);
        Self { text, parsed }
    }

    /// The text as written (`cifar10:/data/cifar`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The source, or what a valid one looks like.
    pub fn parsed(&self) -> Result<&DataSource, &str> {
        self.parsed.as_ref().map_err(String::as_str)
    }

    pub fn is_builtin(&self) -> bool {
        self.parsed == Ok(DataSource::Builtin)
    }
}

impl Default for SourceSpec {
    fn default() -> Self {
        Self::new("builtin")
    }
}

impl From<&str> for SourceSpec {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<String> for SourceSpec {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl PartialEq<&str> for SourceSpec {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

impl PartialEq<str> for SourceSpec {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl Serialize for SourceSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for SourceSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsed_once_with_its_text_kept() {
        let s = SourceSpec::from(" cifar10:/data/c ");
        assert_eq!(s.parsed(), Ok(&DataSource::Cifar10("/data/c".into())));
        assert_eq!(s.as_str(), " cifar10:/data/c ");
        assert!(SourceSpec::from("BUILTIN").is_builtin());
        let bad = SourceSpec::from("s3://bucket");
        assert!(
            bad.parsed()
                .unwrap_err()
                .starts_with("builtin, imagefolder:PATH")
        );
        assert!(!bad.is_builtin());
        assert_eq!(format!("{bad:?}"), "\"s3://bucket\"");
    }
}
