//! One section of the run config (`[warmup]`, `[cutmix]`): the one kind of thing the schema,
//! `--set`, validation and the trick registry read, the paper's tricks and the later ones
//! alike. A section is a serde struct with `Default` (its defaults) that implements
//! [`Section`] (its range checks and whether a file has it while at its defaults); its key is
//! its field name in `RunConfig`, declared once in `run.rs` through `run_config!`, which
//! derives the struct, its defaults and `RunConfig::sections` from that one declaration.
//! Nothing else lists the sections: a new one is its struct, its `impl Section` and its field.

use serde::Serialize;
use toml::Value;

use super::check::Checker;

/// A `[table]` of the run config.
pub trait Section: Serialize + Default + PartialEq {
    /// Whether a written config has the section while it is at its defaults. The tricks after
    /// the paper say no, so the files of runs without them read as before; their keys are
    /// keys all the same (`--set cutmix.enabled=true`, the unknown-key check).
    const WRITTEN_AT_DEFAULTS: bool = true;

    /// Checks the section's own values; `c` names each problem under the section's key, so a
    /// check says `c.positive("alpha", ..)` for `cutmix.alpha`. A limit that comes from
    /// another section (`warmup.epochs` below `epochs`) is the run config's to check
    /// (`validate.rs`), so that a section knows nothing of the config around it.
    fn check(&self, c: &mut Checker);

    /// The section's TOML form; `None` for an optional section that is absent.
    fn tree(&self) -> Result<Option<Value>, String> {
        Value::try_from(self).map(Some).map_err(|e| e.to_string())
    }
}

/// An optional section (`[paper]`): absent by default, never written while absent, checked
/// when present.
impl<T: Section> Section for Option<T> {
    const WRITTEN_AT_DEFAULTS: bool = false;

    fn check(&self, c: &mut Checker) {
        if let Some(section) = self {
            section.check(c);
        }
    }

    fn tree(&self) -> Result<Option<Value>, String> {
        self.as_ref().map_or(Ok(None), Section::tree)
    }
}

/// Whether serde leaves `section` out of a written config (`skip_serializing_if`).
pub(crate) fn unwritten<S: Section>(section: &S) -> bool {
    !S::WRITTEN_AT_DEFAULTS && *section == S::default()
}

/// A [`Section`] behind a reference, for `RunConfig::sections`.
pub trait AnySection {
    fn check(&self, c: &mut Checker);
    fn tree(&self) -> Result<Option<Value>, String>;
}

impl<S: Section> AnySection for S {
    fn check(&self, c: &mut Checker) {
        Section::check(self, c);
    }

    fn tree(&self) -> Result<Option<Value>, String> {
        Section::tree(self)
    }
}

/// The problems [`Section::check`] finds in `section`, under `key` (for tests of one section).
#[cfg(test)]
pub(crate) fn section_problems<S: Section>(
    key: &'static str,
    section: &S,
) -> Vec<super::check::InvalidValue> {
    let mut c = Checker::default();
    c.enter(key);
    section.check(&mut c);
    c.into_result().err().map_or_else(Vec::new, |e| e.0)
}

/// Declares `RunConfig`: its top-level values, each with its default, then its sections, each
/// a [`Section`] under its field name. Derives serde (unknown keys are errors, every key has a
/// default), `Default`, `RunConfig::SECTIONS` and `RunConfig::sections`.
macro_rules! run_config {
    (
        $(#[$meta:meta])*
        pub struct RunConfig {
            $( $(#[$value_meta:meta])* $value:ident: $value_ty:ty = $default:expr, )*
        }
        sections {
            $( $(#[$section_meta:meta])* $section:ident: $section_ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct RunConfig {
            $( $(#[$value_meta])* pub $value: $value_ty, )*
            $(
                $(#[$section_meta])*
                #[serde(skip_serializing_if = "crate::config::section::unwritten")]
                pub $section: $section_ty,
            )*
        }

        impl Default for RunConfig {
            fn default() -> Self {
                Self {
                    $( $value: $default, )*
                    $( $section: <$section_ty>::default(), )*
                }
            }
        }

        impl RunConfig {
            /// The key of every section, in file order.
            pub const SECTIONS: &'static [&'static str] = &[$(stringify!($section)),*];

            /// Every section under its key, in file order.
            pub fn sections(&self) -> Vec<(&'static str, &dyn crate::config::section::AnySection)> {
                vec![$((stringify!($section), &self.$section as &dyn crate::config::section::AnySection)),*]
            }
        }
    };
}

pub(crate) use run_config;
