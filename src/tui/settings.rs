//! Stand-ins for what `botui::config` gains on branch `presets` (actions and key bindings,
//! theme colors by role, the `[ui]` settings), with the same names, so that the workbench
//! switches to the library by changing imports. Delete this file once `presets` is merged.

use std::collections::BTreeMap;

/// Everything a key can do in the workbench.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Start,
    Pause,
    Resume,
    Stop,
    SaveNow,
    Quit,
    Help,
    FocusNext,
    FocusPrev,
    Up,
    Down,
    Left,
    Right,
    Toggle,
    Edit,
    OpenEditor,
    SavePreset,
    Scale,
    TabSetup,
    TabTrain,
    TabRuns,
}

/// (action, name in files, what it does, default keys)
type Row = (Action, &'static str, &'static str, &'static [&'static str]);

const ACTIONS: [Row; 21] = [
    (Action::Start, "start", "start training", &["s"]),
    (Action::Pause, "pause", "pause the run", &["p"]),
    (Action::Resume, "resume", "resume a paused run", &["r"]),
    (Action::Stop, "stop", "stop the run", &["x"]),
    (
        Action::SaveNow,
        "save_now",
        "save a checkpoint now",
        &["ctrl+s"],
    ),
    (Action::Quit, "quit", "quit botui", &["q", "ctrl+c"]),
    (Action::Help, "help", "show the key bindings", &["?", "f1"]),
    (
        Action::FocusNext,
        "focus_next",
        "focus the next pane",
        &["tab"],
    ),
    (
        Action::FocusPrev,
        "focus_prev",
        "focus the previous pane",
        &["backtab"],
    ),
    (Action::Up, "up", "move up", &["up", "k"]),
    (Action::Down, "down", "move down", &["down", "j"]),
    (
        Action::Left,
        "left",
        "decrease / previous choice",
        &["left", "h"],
    ),
    (
        Action::Right,
        "right",
        "increase / next choice",
        &["right", "l"],
    ),
    (
        Action::Toggle,
        "toggle",
        "switch on or off / mark a run",
        &["space"],
    ),
    (Action::Edit, "edit", "type a value / open", &["enter"]),
    (
        Action::OpenEditor,
        "open_editor",
        "open config.toml in $EDITOR",
        &["e"],
    ),
    (
        Action::SavePreset,
        "save_preset",
        "save the setup as a user preset",
        &["S"],
    ),
    (
        Action::Scale,
        "scale",
        "lr chart: linear or log scale",
        &["g"],
    ),
    (Action::TabSetup, "tab_setup", "show the setup tab", &["1"]),
    (
        Action::TabTrain,
        "tab_train",
        "show the training tab",
        &["2"],
    ),
    (Action::TabRuns, "tab_runs", "show the runs tab", &["3"]),
];

impl Action {
    pub fn all() -> impl Iterator<Item = Action> {
        ACTIONS.iter().map(|a| a.0)
    }

    fn row(self) -> &'static Row {
        &ACTIONS[ACTIONS.iter().position(|a| a.0 == self).unwrap_or(0)]
    }

    pub fn name(self) -> &'static str {
        self.row().1
    }

    pub fn description(self) -> &'static str {
        self.row().2
    }

    pub fn default_keys(self) -> Vec<KeyChord> {
        self.row().3.iter().filter_map(|k| parse_chord(k)).collect()
    }
}

/// A key without modifiers; space is `Char(' ')`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCode {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Home,
    End,
    PageUp,
    PageDown,
    Up,
    Down,
    Left,
    Right,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Modifiers {
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub mods: Modifiers,
}

impl KeyChord {
    /// Folds shift into characters (`shift+q` is `Q`) and shift+tab into backtab.
    pub fn new(code: KeyCode, mods: Modifiers) -> Self {
        let mut chord = KeyChord { code, mods };
        match chord.code {
            KeyCode::Char(c) if chord.mods.shift => {
                chord.code = KeyCode::Char(c.to_uppercase().next().unwrap_or(c));
                chord.mods.shift = false;
            }
            KeyCode::Tab if chord.mods.shift => {
                chord.code = KeyCode::BackTab;
                chord.mods.shift = false;
            }
            _ => {}
        }
        chord
    }
}

fn parse_chord(s: &str) -> Option<KeyChord> {
    let (ctrl, key) = match s.strip_prefix("ctrl+") {
        Some(k) => (true, k),
        None => (false, s),
    };
    let code = match key {
        "space" => KeyCode::Char(' '),
        "enter" => KeyCode::Enter,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "f1" => KeyCode::F(1),
        k if k.chars().count() == 1 => KeyCode::Char(k.chars().next()?),
        _ => return None,
    };
    let mods = Modifiers {
        ctrl,
        ..Modifiers::default()
    };
    Some(KeyChord { code, mods })
}

impl std::fmt::Display for KeyChord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.mods.ctrl {
            f.write_str("ctrl+")?;
        }
        if self.mods.alt {
            f.write_str("alt+")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{}", format!("{other:?}").to_lowercase()),
        }
    }
}

/// Which keys trigger which action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    bindings: BTreeMap<Action, Vec<KeyChord>>,
}

impl Default for KeyMap {
    fn default() -> Self {
        KeyMap {
            bindings: Action::all().map(|a| (a, a.default_keys())).collect(),
        }
    }
}

impl KeyMap {
    pub fn keys(&self, action: Action) -> &[KeyChord] {
        self.bindings.get(&action).map_or(&[], Vec::as_slice)
    }

    pub fn actions(&self, chord: KeyChord) -> Vec<Action> {
        self.bindings
            .iter()
            .filter(|(_, keys)| keys.contains(&chord))
            .map(|(a, _)| *a)
            .collect()
    }
}

/// What a color is for; panes ask for a role, never for a color.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Text,
    Muted,
    Border,
    BorderFocused,
    Title,
    Accent,
    Selection,
    SelectionText,
    Train,
    Val,
    PaperReference,
    Lr,
    Gauge,
    GaugeBackground,
    Warning,
    Error,
    Success,
}

/// A theme color: ANSI 0-15, RGB or the terminal's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Default,
    Ansi(u8),
    Rgb(u8, u8, u8),
}

/// The built-in dark theme.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Theme;

impl Theme {
    pub fn color(&self, role: Role) -> Color {
        match role {
            Role::Text => Color::Ansi(7),
            Role::Muted | Role::Border => Color::Ansi(8),
            Role::BorderFocused | Role::Accent => Color::Ansi(6),
            Role::Title | Role::SelectionText => Color::Ansi(15),
            Role::Selection => Color::Rgb(0x1f, 0x3a, 0x5f),
            Role::Train => Color::Rgb(0x5f, 0xaf, 0xff),
            Role::Val => Color::Rgb(0xff, 0xaf, 0x00),
            Role::PaperReference => Color::Rgb(0xaf, 0x87, 0xff),
            Role::Lr => Color::Ansi(10),
            Role::Gauge | Role::Success => Color::Ansi(2),
            Role::GaugeBackground => Color::Rgb(0x30, 0x30, 0x30),
            Role::Warning => Color::Ansi(3),
            Role::Error => Color::Ansi(9),
        }
    }
}

/// The `[ui]` section of config.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiSettings {
    pub fps: u32,
    pub mouse: bool,
}

impl Default for UiSettings {
    fn default() -> Self {
        UiSettings {
            fps: 10,
            mouse: true,
        }
    }
}
