//! Terminal-free colors and the semantic roles a theme colors. The TUI maps [`Color`] to
//! ratatui's (`Ansi` by index 0-15, `Rgb` as is, `Default` as `Reset`).

use std::fmt;
use std::str::FromStr;

/// The 16 ANSI colors by the names config files use.
pub const ANSI_NAMES: [&str; 16] = [
    "black",
    "red",
    "green",
    "yellow",
    "blue",
    "magenta",
    "cyan",
    "white",
    "bright_black",
    "bright_red",
    "bright_green",
    "bright_yellow",
    "bright_blue",
    "bright_magenta",
    "bright_cyan",
    "bright_white",
];

/// A theme color.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Color {
    /// The terminal's own foreground or background (`default`).
    Default,
    /// One of the 16 ANSI colors, by index: 0 black ... 7 white, 8 bright_black ... 15
    /// bright_white.
    Ansi(u8),
    /// `#rrggbb`.
    Rgb(u8, u8, u8),
}

impl FromStr for Color {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let expected = "expected one of the 16 ANSI names (black, red, green, yellow, blue, \
                        magenta, cyan, white, and bright_ before each), default, or #rrggbb";
        let t = s.trim();
        if let Some(hex) = t.strip_prefix('#') {
            let ok = hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit());
            if !ok {
                return Err(format!("`{t}` is not #rrggbb (six hex digits)"));
            }
            let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
            return Ok(Color::Rgb(byte(0), byte(2), byte(4)));
        }
        let lower = t.to_ascii_lowercase().replace(['-', ' '], "_");
        if lower == "default" || lower == "reset" {
            return Ok(Color::Default);
        }
        match ANSI_NAMES.iter().position(|n| *n == lower) {
            Some(i) => Ok(Color::Ansi(i as u8)),
            None => {
                let names = ANSI_NAMES.iter().copied().chain(["default"]);
                let hint = match super::diag::close(&lower, names) {
                    Some(best) => format!(" (did you mean `{best}`?)"),
                    None => String::new(),
                };
                Err(format!("unknown color `{t}`{hint}: {expected}"))
            }
        }
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Color::Default => f.write_str("default"),
            Color::Ansi(i) => f.write_str(ANSI_NAMES.get(*i as usize).copied().unwrap_or("white")),
            Color::Rgb(r, g, b) => write!(f, "#{r:02x}{g:02x}{b:02x}"),
        }
    }
}

/// What a color is for. Panes ask the theme for a role, never for a color.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Background,
    Text,
    Muted,
    Border,
    BorderFocused,
    Title,
    Accent,
    Selection,
    SelectionText,
    /// Training curves (loss, train accuracy).
    Train,
    /// Validation curves (top-1, top-5).
    Val,
    /// The paper's numbers next to the live ones.
    PaperReference,
    /// The learning-rate schedule.
    Lr,
    Gauge,
    GaugeBackground,
    Warning,
    Error,
    Success,
}

impl Role {
    pub const ALL: [Role; 18] = [
        Role::Background,
        Role::Text,
        Role::Muted,
        Role::Border,
        Role::BorderFocused,
        Role::Title,
        Role::Accent,
        Role::Selection,
        Role::SelectionText,
        Role::Train,
        Role::Val,
        Role::PaperReference,
        Role::Lr,
        Role::Gauge,
        Role::GaugeBackground,
        Role::Warning,
        Role::Error,
        Role::Success,
    ];

    /// The key in a theme's `[colors]` table.
    pub fn name(self) -> &'static str {
        match self {
            Role::Background => "background",
            Role::Text => "text",
            Role::Muted => "muted",
            Role::Border => "border",
            Role::BorderFocused => "border_focused",
            Role::Title => "title",
            Role::Accent => "accent",
            Role::Selection => "selection",
            Role::SelectionText => "selection_text",
            Role::Train => "train",
            Role::Val => "val",
            Role::PaperReference => "paper_reference",
            Role::Lr => "lr",
            Role::Gauge => "gauge",
            Role::GaugeBackground => "gauge_background",
            Role::Warning => "warning",
            Role::Error => "error",
            Role::Success => "success",
        }
    }

    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    fn index(self) -> usize {
        Role::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }
}

/// A color for every role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Palette([Color; 18]);

impl Palette {
    pub fn get(&self, role: Role) -> Color {
        self.0[role.index()]
    }

    pub(crate) fn from_fn(f: impl Fn(Role) -> Color) -> Self {
        Palette(Role::ALL.map(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors_parse_and_print_back() {
        assert_eq!("bright_black".parse::<Color>(), Ok(Color::Ansi(8)));
        assert_eq!("Red".parse::<Color>(), Ok(Color::Ansi(1)));
        assert_eq!("#1E90ff".parse::<Color>(), Ok(Color::Rgb(0x1e, 0x90, 0xff)));
        assert_eq!("default".parse::<Color>(), Ok(Color::Default));
        for text in ["black", "bright_white", "#00ff7f", "default"] {
            assert_eq!(text.parse::<Color>().unwrap().to_string(), text);
        }
        assert!("#12345".parse::<Color>().is_err());
        assert!("#gg0000".parse::<Color>().is_err());
        let err = "magneta".parse::<Color>().unwrap_err();
        assert!(
            err.starts_with("unknown color `magneta` (did you mean `magenta`?)"),
            "{err}"
        );
    }

    #[test]
    fn roles_round_trip_by_name() {
        for role in Role::ALL {
            assert_eq!(Role::from_name(role.name()), Some(role));
        }
        assert_eq!(Role::from_name("acent"), None);
    }
}
