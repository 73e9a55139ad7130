//! config.toml both ways through a real store in a temporary folder: workbench edits are
//! written (only what differs from the preset), outside edits come back through the
//! watcher, a broken file keeps the last good setup, user presets are saved and listed.

use std::time::{Duration, Instant};

use botui::config::{ConfigPaths, ConfigStore, DecayKind, PresetLibrary};
use botui::train::LogLevel;

use super::chord;
use crate::tui::app::{App, Effect, Msg, PaneId};
use crate::tui::config_link::ConfigLink;
use crate::tui::tricks::Item;
use botui::config::tricks::find;

fn open(dir: &std::path::Path) -> (ConfigLink, App) {
    let store = ConfigStore::new(ConfigPaths::at(dir));
    let (link, startup) = ConfigLink::open_store(Some(store));
    assert!(startup.notes.is_empty(), "{:?}", startup.notes);
    let app = App::from_settings(startup.settings, startup.presets, vec!["flex".into()]);
    (link, app)
}

/// Waits for the watcher's next message (the debounce is 150 ms).
fn next_config_msg(link: &ConfigLink) -> Msg {
    let start = Instant::now();
    loop {
        if let Some(m) = link.drain().into_iter().next() {
            return m;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no reload within 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_first_start_writes_a_commented_config_with_the_quick_preset() {
    let dir = tempfile::tempdir().unwrap();
    let (link, app) = open(dir.path());
    let text = std::fs::read_to_string(link.config_file().unwrap()).unwrap();
    assert!(text.contains("preset = \"quick\""), "{text}");
    assert_eq!(app.preset.as_deref(), Some("quick"));
    assert_eq!(app.config.epochs, 5);
    assert!(app.presets.iter().any(|p| p.name == "resnet50d-cosine"));
}

#[test]
fn a_toggle_is_written_as_an_override_and_undoing_it_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let (link, mut app) = open(dir.path());
    app.set_focus(PaneId::Tricks);
    app.trick_row = app
        .trick_items()
        .iter()
        .position(|i| *i == Item::Trick(find("mixup")))
        .unwrap();
    assert_eq!(app.update(Msg::Key(chord(' '))), vec![Effect::WriteConfig]);
    link.write(&app).unwrap();
    let path = link.config_file().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let run = run_table(&text);
    assert_eq!(run["mixup"]["enabled"].as_bool(), Some(true), "{text}");
    assert_eq!(run["preset"].as_str(), Some("quick"));
    assert_eq!(run.len(), 2, "only what differs from the preset: {text}");
    assert!(text.contains("# botui settings."), "comments kept: {text}");
    // Our own write is not reported back as an outside change.
    std::thread::sleep(Duration::from_millis(600));
    assert!(link.drain().is_empty());
    // Off again: the override goes, the preset's value applies.
    app.update(Msg::Key(chord(' ')));
    link.write(&app).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let run = run_table(&text);
    assert!(
        run.get("mixup").and_then(|m| m.get("enabled")).is_none(),
        "{text}"
    );
}

/// The `[run]` table of a config.toml.
fn run_table(text: &str) -> toml::Table {
    let doc: toml::Table = toml::from_str(text).unwrap();
    doc["run"].as_table().unwrap().clone()
}

#[test]
fn an_edit_in_an_editor_is_reloaded_and_a_broken_one_keeps_the_last_good_setup() {
    let dir = tempfile::tempdir().unwrap();
    let (link, mut app) = open(dir.path());
    let path = link.config_file().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replace(
        "preset = \"quick\"",
        "preset = \"quick\"\nepochs = 7\n[run.schedule]\ndecay = \"step\"",
    );
    std::fs::write(&path, &edited).unwrap();
    app.update(next_config_msg(&link));
    assert_eq!(app.config.epochs, 7);
    assert_eq!(app.config.schedule.decay, DecayKind::Step);
    assert_eq!(
        app.preview.schedule.total_iters,
        7 * 7,
        "500 images / 64 = 7 it/epoch"
    );
    // A mistake: the error goes to the log, the setup stays.
    std::fs::write(&path, edited.replace("epochs = 7", "epochs = 0")).unwrap();
    app.update(next_config_msg(&link));
    assert_eq!(app.config.epochs, 7);
    let line = app.log.lines.back().unwrap();
    assert_eq!(line.level, LogLevel::Error);
    assert!(line.message.contains("epochs"), "{}", line.message);
}

#[test]
fn the_setup_is_saved_as_a_user_preset_once() {
    let dir = tempfile::tempdir().unwrap();
    let (link, mut app) = open(dir.path());
    app.config.epochs = 3;
    let path = link.save_preset("mine", &app.config).unwrap();
    assert!(path.ends_with("presets/mine.toml"));
    let library = PresetLibrary::load(Some(&dir.path().join("presets"))).unwrap();
    let mine = library.resolve("mine").unwrap();
    assert_eq!(mine.config.epochs, 3);
    assert_eq!(mine.config.model, app.config.model);
    let again = link.save_preset("mine", &app.config).unwrap_err();
    assert!(again.contains("exists already"), "{again}");
    let builtin = link.save_preset("quick", &app.config).unwrap_err();
    assert!(builtin.contains("exists already"), "{builtin}");
}
