//! Key chords without a terminal library: `q`, `Q`, `?`, `space`, `ctrl+c`, `shift+up`, `f1`
//! parsed from config.toml and printed back the same way.

use std::fmt;
use std::str::FromStr;

/// A key, without modifiers. Space is `Char(' ')`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCode {
    Char(char),
    /// F1 to F24.
    F(u8),
    Enter,
    Esc,
    Tab,
    /// Shift+Tab.
    BackTab,
    Backspace,
    Delete,
    Insert,
    Home,
    End,
    PageUp,
    PageDown,
    Up,
    Down,
    Left,
    Right,
}

const NAMED: [(&str, KeyCode); 19] = [
    ("space", KeyCode::Char(' ')),
    ("enter", KeyCode::Enter),
    ("return", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("escape", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
];

/// Modifier keys held with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Modifiers {
    pub ctrl: bool,
    pub alt: bool,
    /// Only with non-character keys: a shifted character is its own character (`Q`, `?`).
    pub shift: bool,
}

/// A key with modifiers, as written in config.toml (`ctrl+c`, `shift+up`, `?`, `f5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub mods: Modifiers,
}

impl KeyChord {
    pub fn new(code: KeyCode, mods: Modifiers) -> Self {
        KeyChord { code, mods }.normalized()
    }

    /// Folds shift into characters (`shift+q` is `Q`) and shift+tab into `backtab`, so that
    /// one key has one chord.
    pub fn normalized(mut self) -> Self {
        match self.code {
            KeyCode::Char(c) if self.mods.shift => {
                self.code = KeyCode::Char(c.to_uppercase().next().unwrap_or(c));
                self.mods.shift = false;
            }
            KeyCode::Tab if self.mods.shift => {
                self.code = KeyCode::BackTab;
                self.mods.shift = false;
            }
            _ => {}
        }
        self
    }
}

impl FromStr for KeyChord {
    type Err = String;

    /// Parses `q`, `Q`, `?`, `+`, `space`, `ctrl+c`, `alt+enter`, `shift+up`, `f1`, `ctrl++`.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (mods_part, key) = if s == "+" {
            ("", "+")
        } else if let Some(rest) = s.strip_suffix("++") {
            (rest, "+")
        } else {
            match s.rsplit_once('+') {
                Some((m, k)) => (m, k),
                None => ("", s),
            }
        };
        if key.is_empty() {
            return Err("no key after the modifiers".into());
        }
        let mut mods = Modifiers::default();
        for m in mods_part.split('+').filter(|m| !m.is_empty()) {
            match m.to_ascii_lowercase().as_str() {
                "ctrl" | "control" => mods.ctrl = true,
                "alt" | "meta" | "option" => mods.alt = true,
                "shift" => mods.shift = true,
                other => return Err(format!("unknown modifier `{other}` (ctrl, alt or shift)")),
            }
        }
        let code = parse_code(key)?;
        if mods.shift
            && let KeyCode::Char(c) = code
            && !c.is_alphabetic()
        {
            return Err(format!(
                "write the shifted character itself instead of shift+{c}"
            ));
        }
        Ok(KeyChord { code, mods }.normalized())
    }
}

fn parse_code(key: &str) -> Result<KeyCode, String> {
    let mut chars = key.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Ok(KeyCode::Char(c));
    }
    let lower = key.to_ascii_lowercase();
    if let Some((_, code)) = NAMED.iter().find(|(n, _)| *n == lower) {
        return Ok(*code);
    }
    if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok())
        && (1..=24).contains(&n)
    {
        return Ok(KeyCode::F(n));
    }
    Err(format!(
        "`{key}` is not a key (a single character, f1-f24, or one of {})",
        NAMED.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
    ))
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (on, name) in [
            (self.mods.ctrl, "ctrl+"),
            (self.mods.alt, "alt+"),
            (self.mods.shift, "shift+"),
        ] {
            if on {
                f.write_str(name)?;
            }
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            code => {
                let name = NAMED.iter().find(|(_, c)| *c == code).map_or("?", |n| n.0);
                f.write_str(name)
            }
        }
    }
}
