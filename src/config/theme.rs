//! Themes: a color per semantic [`Role`]. `dark`, `light` and `high-contrast` ship inside
//! botui (`themes/*.toml`); `<config dir>/themes/NAME.toml` adds or replaces themes. A theme
//! file has an optional `description`, an optional `extends = "other"` (roles it does not
//! set come from the other theme) and a `[colors]` table, `role = "color"`.

use std::collections::BTreeMap;
use std::path::Path;

use toml::de::DeValue;

use super::builtin::THEMES;
use super::color::{Color, Palette, Role};
use super::diag::{ConfigError, Diagnostic, Problem, Source, nearest};
use super::paths::ConfigPaths;
use super::schema::unknown_key_message;
use super::sources::{Catalog, NamedFile, Origin};
use super::tree;

/// A resolved theme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    pub description: String,
    pub origin: Origin,
    pub palette: Palette,
}

impl Theme {
    /// The color for a role.
    pub fn color(&self, role: Role) -> Color {
        self.palette.get(role)
    }
}

/// Built-in themes plus the user's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeLibrary {
    catalog: Catalog,
}

impl Default for ThemeLibrary {
    fn default() -> Self {
        Self::builtin()
    }
}

/// The theme botui uses when config.toml names none.
pub const DEFAULT_THEME: &str = "dark";

impl ThemeLibrary {
    pub fn builtin() -> Self {
        ThemeLibrary {
            catalog: Catalog::builtin("theme", "themes", THEMES),
        }
    }

    /// Built-in themes plus every `*.toml` in `user_dir` (a missing folder is fine).
    pub fn load(user_dir: Option<&Path>) -> Result<Self, ConfigError> {
        Ok(ThemeLibrary {
            catalog: Catalog::load("theme", "themes", THEMES, user_dir)?,
        })
    }

    /// Built-in themes plus those in the user's config folder.
    pub fn load_user() -> Result<Self, ConfigError> {
        let paths = ConfigPaths::user();
        Self::load(paths.as_ref().map(|p| p.themes_dir()).as_deref())
    }

    pub fn names(&self) -> Vec<&str> {
        self.catalog.names()
    }

    /// Adds (or replaces) a theme from text, as if it were a user file called `label`.
    pub fn add_text(&mut self, name: &str, label: &str, text: &str) {
        self.catalog.add_text(name, label, text);
    }

    /// "no theme named `x` (did you mean `y`?)"
    pub fn unknown_message(&self, name: &str) -> String {
        self.catalog.unknown(name)
    }

    /// The theme with its `extends` chain applied; every role must end up with a color.
    pub fn resolve(&self, name: &str) -> Result<Theme, ConfigError> {
        let chain = self.catalog.chain(name)?;
        let mut diagnostics = Vec::new();
        let mut colors: BTreeMap<Role, Color> = BTreeMap::new();
        let mut description = String::new();
        for (i, file) in chain.iter().rev().enumerate() {
            match parse_layer(file) {
                Ok(layer) => {
                    colors.extend(layer.colors);
                    if i + 1 == chain.len() {
                        description = layer.description;
                    }
                }
                Err(d) => diagnostics.extend(d),
            }
        }
        ConfigError::from_list(diagnostics)?;
        let missing: Vec<&str> = Role::ALL
            .iter()
            .filter(|r| !colors.contains_key(r))
            .map(|r| r.name())
            .collect();
        if !missing.is_empty() {
            let top = chain[0];
            let src = Source::new(&top.label, &top.text);
            let span = tree::parse(&top.text)
                .ok()
                .and_then(|root| tree::key_span(root.get_ref(), &["colors"]));
            let message = format!(
                "theme `{name}` has no color for {} (set them in [colors], or add \
                 extends = \"{DEFAULT_THEME}\" to take the others from a built-in theme)",
                missing.join(", ")
            );
            return Err(src
                .diag(span, Some("colors".into()), Problem::MissingRole, message)
                .into());
        }
        Ok(Theme {
            name: name.to_string(),
            description,
            origin: chain[0].origin.clone(),
            palette: Palette::from_fn(|r| colors.get(&r).copied().unwrap_or(Color::Default)),
        })
    }
}

struct ThemeLayer {
    description: String,
    colors: BTreeMap<Role, Color>,
}

fn parse_layer(file: &NamedFile) -> Result<ThemeLayer, Vec<Diagnostic>> {
    let src = Source::new(&file.label, &file.text);
    let root = tree::parse(&file.text).map_err(|e| vec![src.syntax(&e)])?;
    let mut out = Vec::new();
    let mut layer = ThemeLayer {
        description: String::new(),
        colors: BTreeMap::new(),
    };
    const TOP: [&str; 3] = ["colors", "description", "extends"];
    for (key, value) in root.get_ref().iter() {
        let name = key.get_ref().as_ref();
        let span = Some(value.span());
        match (name, value.get_ref()) {
            ("extends", _) => {} // checked when the chain is built
            ("description", DeValue::String(s)) => layer.description = s.to_string(),
            ("colors", DeValue::Table(colors)) => {
                for (role_key, color) in colors.iter() {
                    parse_color(&src, role_key, color, &mut layer, &mut out);
                }
            }
            ("description", _) | ("colors", _) => {
                let expected = if name == "colors" {
                    "a table: [colors]"
                } else {
                    "a string"
                };
                let message = format!("`{name}` must be {expected}");
                out.push(src.diag(span, Some(name.into()), Problem::WrongType, message));
            }
            _ => {
                let message = unknown_key_message(name, &[], &TOP);
                out.push(src.diag(
                    Some(key.span()),
                    Some(name.into()),
                    Problem::UnknownKey,
                    message,
                ));
            }
        }
    }
    out.sort_by_key(|d| (d.line, d.column));
    if out.is_empty() { Ok(layer) } else { Err(out) }
}

fn parse_color(
    src: &Source<'_>,
    role_key: &toml::Spanned<std::borrow::Cow<'_, str>>,
    value: &toml::Spanned<DeValue<'_>>,
    layer: &mut ThemeLayer,
    out: &mut Vec<Diagnostic>,
) {
    let role_name = role_key.get_ref().as_ref();
    let key = format!("colors.{role_name}");
    let Some(role) = Role::from_name(role_name) else {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
        let best = nearest(role_name, names.iter().copied()).unwrap_or("text");
        let message = format!(
            "unknown role `{role_name}` in [colors]: did you mean `{best}`? (roles: {})",
            names.join(", ")
        );
        out.push(src.diag(
            Some(role_key.span()),
            Some(key),
            Problem::UnknownRole,
            message,
        ));
        return;
    };
    let DeValue::String(text) = value.get_ref() else {
        let message = format!("`{key}` must be a color name or \"#rrggbb\" (a string)");
        out.push(src.diag(Some(value.span()), Some(key), Problem::WrongType, message));
        return;
    };
    match text.parse::<Color>() {
        Ok(color) => {
            layer.colors.insert(role, color);
        }
        Err(e) => {
            let message = format!("`{key}`: {e}");
            out.push(src.diag(
                Some(value.span()),
                Some(key),
                Problem::UnknownColor,
                message,
            ));
        }
    }
}
