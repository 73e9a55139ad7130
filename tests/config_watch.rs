//! Hot reload against real files: an editor that renames a new file over config.toml and one
//! that truncates and writes are both seen within a second; a bad edit is rejected and the
//! last good settings stay; botui's own write is not reported back.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use botui::config::{
    ConfigEvent, ConfigPaths, ConfigStore, LiveSettings, Problem, default_config_text,
};

const WITHIN: Duration = Duration::from_secs(1);

fn with(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from}");
    text.replacen(from, to, 1)
}

/// An editor that writes a new file and renames it over the old one (vim, most IDEs).
fn save_by_rename(path: &Path, text: &str) {
    let tmp = path.with_file_name(".config.toml.swp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// An editor that truncates the file and writes into it (nano, `>`).
fn save_by_truncate(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f.sync_all().unwrap();
}

fn next(rx: &crossbeam_channel::Receiver<ConfigEvent>) -> (ConfigEvent, Duration) {
    let start = Instant::now();
    let event = rx
        .recv_timeout(WITHIN)
        .unwrap_or_else(|_| panic!("no event within {WITHIN:?}"));
    (event, start.elapsed())
}

#[test]
fn edits_are_seen_bad_edits_rejected_and_own_writes_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let store = ConfigStore::new(ConfigPaths::at(dir.path()));
    store.ensure().unwrap();
    let path = store.paths().config_file();
    let mut live = LiveSettings::new(store.load().unwrap());
    let watcher = store.watch().unwrap();
    let rx = watcher.events();
    std::thread::sleep(Duration::from_millis(200)); // let the watch settle
    let default = default_config_text();

    // Rename over: the theme changes, a UI change.
    let light = with(&default, "theme = \"dark\"", "theme = \"light\"");
    save_by_rename(&path, &light);
    let (event, took) = next(rx);
    let applied = live.apply(event);
    assert!(applied.ui && !applied.run, "{applied:?} after {took:?}");
    assert_eq!(live.current.theme.name, "light");

    // Truncate and write: the run changes, for the next run.
    let short = with(
        &light,
        "preset = \"quick\"",
        "preset = \"quick\"\nepochs = 2",
    );
    save_by_truncate(&path, &short);
    let (event, _) = next(rx);
    let applied = live.apply(event);
    assert!(applied.run && !applied.ui, "{applied:?}");
    assert_eq!(live.current.run.config.epochs, 2);

    // A bad edit: rejected with file, line and key; the last good settings stay.
    let bad = with(&short, "fps = 10", "fps = 0");
    save_by_rename(&path, &bad);
    let (event, _) = next(rx);
    let ConfigEvent::Rejected(err) = &event else {
        panic!("accepted fps = 0: {event:?}");
    };
    let d = err.first();
    assert_eq!(
        (d.problem, d.key.as_deref()),
        (Problem::OutOfRange, Some("ui.fps"))
    );
    let line = bad.lines().position(|l| l.starts_with("fps = 0")).unwrap() + 1;
    assert_eq!((d.line, d.column), (Some(line), Some(7)));
    assert_eq!(d.file, path.display().to_string());
    let before = live.current.clone();
    assert_eq!(live.apply(event), Default::default());
    assert_eq!(live.current, before);
    assert_eq!(
        (live.current.ui.fps, live.current.theme.name.as_str()),
        (10, "light")
    );
    assert!(live.error.is_some());

    // botui's own write: nothing comes back.
    store
        .edit(|e| {
            e.set_fps(25);
            Ok(())
        })
        .unwrap();
    assert!(
        rx.recv_timeout(WITHIN).is_err(),
        "botui's own write was reported back"
    );
    assert!(std::fs::read_to_string(&path).unwrap().contains("fps = 25"));

    // ... and the watcher still sees the next outside change, which clears the error.
    let again = std::fs::read_to_string(&path)
        .unwrap()
        .replace("mouse = true", "mouse = false");
    save_by_truncate(&path, &again);
    let (event, _) = next(rx);
    assert!(live.apply(event).ui);
    assert!(!live.current.ui.mouse && live.current.ui.fps == 25 && live.error.is_none());
}

#[test]
fn a_changed_user_theme_reloads_the_settings() {
    let dir = tempfile::tempdir().unwrap();
    let store = ConfigStore::new(ConfigPaths::at(dir.path()));
    store.ensure().unwrap();
    let theme = store.paths().themes_dir().join("mine.toml");
    std::fs::write(&theme, "extends = \"dark\"\n[colors]\naccent = \"red\"\n").unwrap();
    let text = default_config_text().replace("theme = \"dark\"", "theme = \"mine\"");
    std::fs::write(store.paths().config_file(), &text).unwrap();
    let mut live = LiveSettings::new(store.load().unwrap());
    let watcher = store.watch().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    save_by_truncate(&theme, "extends = \"dark\"\n[colors]\naccent = \"green\"\n");
    let (event, _) = next(watcher.events());
    assert!(live.apply(event).ui);
    assert_eq!(
        live.current.theme.color(botui::config::Role::Accent),
        botui::config::Color::Ansi(2)
    );
    save_by_truncate(&theme, "extends = \"dark\"\n[colors]\naccent = \"grene\"\n");
    let (event, _) = next(watcher.events());
    let ConfigEvent::Rejected(err) = event else {
        panic!("accepted grene")
    };
    assert_eq!(err.first().problem, Problem::UnknownColor);
    assert_eq!(err.first().file, theme.display().to_string());
}
