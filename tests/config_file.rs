//! config.toml on disk: created once with comments, edited without losing the user's
//! comments, written atomically, refused when an edit would make it invalid; key chords.

use botui::config::{
    Action, ConfigPaths, ConfigStore, KeyChord, KeyCode, KeyMap, Modifiers, PresetLibrary,
    Settings, ThemeLibrary, default_config_text,
};

fn store() -> (tempfile::TempDir, ConfigStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = ConfigStore::new(ConfigPaths::at(dir.path().join("botui")));
    (dir, store)
}

fn read(store: &ConfigStore) -> String {
    std::fs::read_to_string(store.paths().config_file()).unwrap()
}

#[test]
fn first_start_creates_a_commented_config_once() {
    let (_dir, store) = store();
    assert!(store.ensure().unwrap());
    assert!(store.paths().presets_dir().is_dir() && store.paths().themes_dir().is_dir());
    let text = read(&store);
    assert!(text.starts_with("# botui settings."));
    let s = store.load().unwrap();
    assert_eq!(s.run.preset.as_deref(), Some("quick"));
    assert_eq!(
        (s.ui.theme.as_str(), s.ui.fps, s.ui.mouse),
        ("dark", 10, true)
    );
    assert_eq!(s.keys, KeyMap::default());
    assert_eq!(
        s.run.config,
        PresetLibrary::builtin().resolve("quick").unwrap().config
    );
    std::fs::write(store.paths().config_file(), "[ui]\nfps = 20\n").unwrap();
    assert!(
        !store.ensure().unwrap(),
        "an existing file is never overwritten"
    );
    assert_eq!(read(&store), "[ui]\nfps = 20\n");
}

#[test]
fn default_text_lists_every_action_with_its_default_keys() {
    let text = default_config_text();
    for action in Action::all() {
        assert!(
            text.contains(&format!("\n{} = [", action.name())),
            "{action}"
        );
    }
    let s = Settings::parse(
        "config.toml",
        &text,
        &PresetLibrary::builtin(),
        &ThemeLibrary::builtin(),
    )
    .unwrap();
    assert_eq!(s.keys, KeyMap::default());
    assert!(KeyMap::default().conflicts().is_empty());
    let quit = KeyMap::default();
    assert_eq!(quit.actions("ctrl+c".parse().unwrap()), [Action::Quit]);
}

const USER_FILE: &str = "\
# my settings
[run]
preset = \"quick\"   # the one I like
epochs = 3          # short runs

[ui]
# light at work
theme = \"dark\"
";

#[test]
fn edits_keep_the_users_comments_and_layout() {
    let (_dir, store) = store();
    store.ensure().unwrap();
    std::fs::write(store.paths().config_file(), USER_FILE).unwrap();
    let settings = store
        .edit(|e| {
            e.set_run("epochs", 8i64);
            e.set_run("warmup.enabled", false);
            e.set_theme("light");
            e.set_keys(Action::Start, &["f5".parse().unwrap()]);
            Ok(())
        })
        .unwrap();
    let text = read(&store);
    assert_eq!(
        text,
        "\
# my settings
[run]
preset = \"quick\"   # the one I like
epochs = 8          # short runs

[run.warmup]
enabled = false

[ui]
# light at work
theme = \"light\"

[keys]
start = [\"f5\"]
"
    );
    assert_eq!(settings.run.config.epochs, 8);
    assert!(!settings.run.config.warmup.enabled);
    assert_eq!(settings.theme.name, "light");
    assert_eq!(
        settings.keys.keys(Action::Start),
        ["f5".parse::<KeyChord>().unwrap()]
    );
    assert_eq!(store.load().unwrap(), settings);
}

#[test]
fn run_diff_writes_only_what_the_user_changed() {
    let (_dir, store) = store();
    store.ensure().unwrap();
    std::fs::write(
        store.paths().config_file(),
        "[run]\npreset = \"quick\"\nbatch_size = 32\n",
    )
    .unwrap();
    let current = store.load().unwrap();
    let mut edited = current.run.base.clone(); // quick as the preset has it (batch 64)
    edited.epochs = 8;
    edited.mixup.enabled = true;
    edited.model.variant = botui::model::ResNetVariant::D;
    let settings = store
        .edit(|e| {
            e.set_run_diff(&current.run.base, &edited);
            Ok(())
        })
        .unwrap();
    assert_eq!(settings.run.config, edited);
    let text = read(&store);
    assert!(
        !text.contains("batch_size"),
        "equal to the preset again: dropped\n{text}"
    );
    for line in ["epochs = 8", "enabled = true", "variant = \"D\""] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
    assert_eq!(
        text.matches(" = ").count(),
        4,
        "preset + 3 changes only:\n{text}"
    );
}

#[test]
fn an_edit_that_breaks_the_file_writes_nothing() {
    let (_dir, store) = store();
    store.ensure().unwrap();
    let before = read(&store);
    let err = store
        .edit(|e| {
            e.set_fps(0);
            Ok(())
        })
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("ui.fps = 0: expected a refresh rate from 1 to 60"),
        "{err}"
    );
    assert_eq!(read(&store), before);
    let err = store
        .edit(|e| {
            e.set_preset(Some("no-such-preset"));
            Ok(())
        })
        .unwrap_err();
    assert!(
        err.to_string().contains("no preset named `no-such-preset`"),
        "{err}"
    );
    assert_eq!(read(&store), before);
}

#[test]
fn writes_leave_no_temporary_files() {
    let (_dir, store) = store();
    store.ensure().unwrap();
    for fps in [11, 12, 13] {
        store
            .edit(|e| {
                e.set_fps(fps);
                Ok(())
            })
            .unwrap();
    }
    let mut names: Vec<String> = std::fs::read_dir(&store.paths().dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["config.toml", "presets", "themes"]);
    assert_eq!(store.load().unwrap().ui.fps, 13);
}

#[test]
fn key_chords_parse_and_print_back() {
    let chord = |s: &str| s.parse::<KeyChord>().unwrap();
    let ctrl = Modifiers {
        ctrl: true,
        ..Modifiers::default()
    };
    assert_eq!(
        chord("q"),
        KeyChord::new(KeyCode::Char('q'), Modifiers::default())
    );
    assert_eq!(chord("ctrl+c"), KeyChord::new(KeyCode::Char('c'), ctrl));
    assert_eq!(chord("Ctrl+C").mods, ctrl);
    assert_eq!(
        chord("shift+q"),
        chord("Q"),
        "shift folds into the character"
    );
    assert_eq!(chord("shift+tab"), chord("backtab"));
    assert_eq!(chord("space").code, KeyCode::Char(' '));
    assert_eq!(chord("f12").code, KeyCode::F(12));
    assert_eq!(chord("+").code, KeyCode::Char('+'));
    assert_eq!(chord("ctrl++"), KeyChord::new(KeyCode::Char('+'), ctrl));
    assert_eq!(chord("alt+shift+up").to_string(), "alt+shift+up");
    for text in [
        "q",
        "?",
        "space",
        "ctrl+s",
        "f1",
        "backtab",
        "S",
        "ctrl+alt+delete",
    ] {
        assert_eq!(chord(text).to_string(), text);
    }
    for bad in [
        "", "ctrl+", "hyper+x", "f25", "f0", "shift+1", "enterr", "ctrl+ab",
    ] {
        assert!(bad.parse::<KeyChord>().is_err(), "{bad:?} accepted");
    }
    // crossterm reports `S` with SHIFT held: the same chord as "S".
    let shifted = KeyChord::new(
        KeyCode::Char('S'),
        Modifiers {
            shift: true,
            ..Modifiers::default()
        },
    );
    assert_eq!(KeyMap::default().actions(shifted), [Action::SavePreset]);
}
