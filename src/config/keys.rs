//! Key bindings without a terminal library: the workbench's [`Action`]s by stable snake_case
//! name, key chords parsed from strings such as `q`, `ctrl+c`, `space`, `f1`, `?`, and the map
//! from actions to chords. The TUI turns a terminal key event into a [`KeyChord`] (folding
//! shift into characters: crossterm's `Q` + SHIFT is the chord `Q`) and asks
//! [`KeyMap::actions`].

use std::collections::BTreeMap;
use std::fmt;

pub use super::chord::{KeyChord, KeyCode, Modifiers};

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
    /// Evaluate the selected past run on its validation data (Runs tab).
    Evaluate,
    /// The workbench's tabs: setup, training, past runs, studies.
    TabSetup,
    TabTrain,
    TabRuns,
    TabStudy,
}

/// (action, name in files, what it does, default keys)
const ACTIONS: [(Action, &str, &str, &[&str]); 23] = [
    (
        Action::Start,
        "start",
        "start training with the run settings",
        &["s"],
    ),
    (
        Action::Pause,
        "pause",
        "pause the run (between batches)",
        &["p"],
    ),
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
    (Action::Left, "left", "move left / decrease", &["left", "h"]),
    (
        Action::Right,
        "right",
        "move right / increase",
        &["right", "l"],
    ),
    (
        Action::Toggle,
        "toggle",
        "switch the selected trick on or off",
        &["space"],
    ),
    (Action::Edit, "edit", "edit the selected value", &["enter"]),
    (
        Action::OpenEditor,
        "open_editor",
        "open config.toml in $EDITOR",
        &["e"],
    ),
    (
        Action::SavePreset,
        "save_preset",
        "save the run settings as a user preset",
        &["S"],
    ),
    (
        Action::Scale,
        "scale",
        "switch the lr pane between linear and log scale",
        &["g"],
    ),
    (
        Action::Evaluate,
        "evaluate",
        "evaluate the selected past run on its validation data",
        &["v"],
    ),
    (Action::TabSetup, "tab_setup", "show the setup tab", &["1"]),
    (
        Action::TabTrain,
        "tab_train",
        "show the training tab",
        &["2"],
    ),
    (
        Action::TabRuns,
        "tab_runs",
        "show the past runs tab",
        &["3"],
    ),
    (
        Action::TabStudy,
        "tab_study",
        "show the study tab (a paper table, run with seeds)",
        &["4"],
    ),
];

impl Action {
    /// Every action, in the order the config file and the help list them.
    pub fn all() -> impl Iterator<Item = Action> {
        ACTIONS.iter().map(|a| a.0)
    }

    fn row(self) -> &'static (Action, &'static str, &'static str, &'static [&'static str]) {
        &ACTIONS[ACTIONS.iter().position(|a| a.0 == self).unwrap_or(0)]
    }

    /// The stable snake_case name used in config.toml (`save_now`).
    pub fn name(self) -> &'static str {
        self.row().1
    }

    /// One line for the help screen and the config file.
    pub fn description(self) -> &'static str {
        self.row().2
    }

    /// The keys botui binds when config.toml does not say.
    pub fn default_keys(self) -> Vec<KeyChord> {
        self.row().3.iter().filter_map(|k| k.parse().ok()).collect()
    }

    pub fn from_name(name: &str) -> Option<Action> {
        ACTIONS.iter().find(|a| a.1 == name).map(|a| a.0)
    }

    /// Actions that may share a key (one of them applies at a time).
    fn may_share(self, other: Action) -> bool {
        matches!(
            (self, other),
            (Action::Pause, Action::Resume) | (Action::Resume, Action::Pause)
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
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
    /// The keys bound to `action` (may be empty: unbound).
    pub fn keys(&self, action: Action) -> &[KeyChord] {
        self.bindings.get(&action).map_or(&[], Vec::as_slice)
    }

    /// Replaces the keys of one action.
    pub fn bind(&mut self, action: Action, keys: Vec<KeyChord>) {
        self.bindings.insert(action, keys);
    }

    /// The actions a key triggers (two only for pause and resume, which never apply at once).
    pub fn actions(&self, chord: KeyChord) -> Vec<Action> {
        let chord = chord.normalized();
        self.bindings
            .iter()
            .filter(|(_, keys)| keys.contains(&chord))
            .map(|(a, _)| *a)
            .collect()
    }

    /// Keys bound to two actions that may not share one: `(key, first action, second)`.
    pub fn conflicts(&self) -> Vec<(KeyChord, Action, Action)> {
        let mut out = Vec::new();
        let all: Vec<(Action, KeyChord)> = self
            .bindings
            .iter()
            .flat_map(|(a, keys)| keys.iter().map(move |k| (*a, *k)))
            .collect();
        for (i, (a, k)) in all.iter().enumerate() {
            for (b, k2) in &all[i + 1..] {
                if k == k2 && a != b && !a.may_share(*b) {
                    out.push((*k, *a, *b));
                }
            }
        }
        out
    }
}
