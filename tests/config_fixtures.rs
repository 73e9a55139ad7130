//! Folders of good and bad files: every `valid/*.toml` must load; every `invalid/*.toml` must
//! fail with exactly the text of its sibling `.expected` file (file, line, column, key and
//! message). Config files are checked against the built-in presets and themes; preset and
//! theme folders are loaded as a user's folder would be.

use std::path::{Path, PathBuf};

use botui::config::{ConfigError, Origin, PresetLibrary, Settings, ThemeLibrary};

fn toml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{dir} has no fixtures");
    files
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Each invalid file against its `.expected`; and no `.expected` without its file.
fn check_invalid(dir: &str, load: impl Fn(&Path) -> Result<(), ConfigError>) {
    let files = toml_files(dir);
    for path in &files {
        let expected_path = path.with_extension("expected");
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{} has no .expected file", path.display()));
        match load(path) {
            Ok(()) => panic!("{} was accepted", path.display()),
            Err(e) => assert_eq!(e.to_string(), expected.trim_end(), "{}", path.display()),
        }
    }
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|x| x == "expected") {
            assert!(
                p.with_extension("toml").exists(),
                "{} has no .toml",
                p.display()
            );
        }
    }
}

fn parse_config(path: &Path) -> Result<Settings, ConfigError> {
    let text = std::fs::read_to_string(path).unwrap();
    let label = path.display().to_string();
    Settings::parse(
        &label,
        &text,
        &PresetLibrary::builtin(),
        &ThemeLibrary::builtin(),
    )
}

#[test]
fn valid_config_files_load() {
    for path in toml_files("tests/config/valid") {
        if let Err(e) = parse_config(&path) {
            panic!("{} was rejected:\n{e}", path.display());
        }
    }
}

#[test]
fn invalid_config_files_give_their_expected_errors() {
    check_invalid("tests/config/invalid", |p| parse_config(p).map(|_| ()));
}

#[test]
fn config_overrides_apply_over_the_preset() {
    let s = parse_config(Path::new("tests/config/valid/overrides.toml")).unwrap();
    let c = &s.run.config;
    assert_eq!(
        s.run.preset.as_deref(),
        Some("resnet50d-label-smoothing-laptop")
    );
    assert_eq!(c.name, "resnet50d-label-smoothing-laptop");
    assert_eq!((c.epochs, c.warmup.epochs), (6, 0.25));
    assert!(c.mixup.enabled && c.mixup.alpha == 0.4);
    assert!(c.label_smoothing.enabled, "kept from the preset");
    assert_eq!(s.run.base.epochs, 12, "the preset before overrides");
    assert_eq!(
        (s.ui.theme.as_str(), s.ui.fps, s.ui.mouse),
        ("high-contrast", 30, false)
    );
    assert_eq!(s.theme.name, "high-contrast");
    use botui::config::{Action, KeyChord};
    let space: KeyChord = "space".parse().unwrap();
    assert_eq!(s.keys.actions(space), [Action::Pause, Action::Resume]);
    assert!(s.keys.keys(Action::Scale).is_empty());
    let esc: KeyChord = "esc".parse().unwrap();
    assert_eq!(s.keys.actions(esc), [Action::Quit]);
    let s_key: KeyChord = "s".parse().unwrap();
    assert_eq!(
        s.keys.actions(s_key),
        [Action::Start],
        "unnamed actions keep defaults"
    );
}

#[test]
fn a_distillation_run_without_teacher_loads_but_is_not_ready() {
    let s = parse_config(Path::new("tests/config/valid/distill-without-teacher.toml")).unwrap();
    let err = s.run.ready().unwrap_err();
    assert_eq!(
        err.to_string(),
        "tests/config/valid/distill-without-teacher.toml: the run (preset \
         `resnet50d-distill-laptop`) needs distillation.teacher = <path to a resnet152d checkpoint \
         (a botui run folder or checkpoint file) or timm resnet152d weights (.safetensors or \
         .pth)>: set it in [run]"
    );
}

fn user_presets(dir: &str) -> PresetLibrary {
    PresetLibrary::load(Some(Path::new(dir))).unwrap()
}

#[test]
fn valid_user_presets_resolve_and_may_replace_builtin_ones() {
    let library = user_presets("tests/config/presets/valid");
    for path in toml_files("tests/config/presets/valid") {
        let name = stem(&path);
        let p = library
            .resolve(&name)
            .unwrap_or_else(|e| panic!("{name}:\n{e}"));
        assert_eq!(p.origin, Origin::User(path.clone()));
    }
    let gpu = library.resolve("my-resnet50d-gpu").unwrap();
    assert_eq!(
        gpu.extends[..2],
        ["my-resnet50d", "resnet50d-cosine-laptop"]
    );
    assert_eq!(gpu.description(), "The same on the GPU");
    assert_eq!(gpu.config.epochs, 6);
    assert!(gpu.config.mixup.enabled);
    let partial = library.resolve("paper-partial").unwrap();
    let paper = partial.paper().unwrap();
    assert_eq!(
        (paper.table.as_str(), paper.row.as_str()),
        ("Table 6", "+ cosine decay")
    );
    assert_eq!((paper.top1, paper.top5), (77.95, Some(93.81)));
    let quick = library.file("quick").unwrap();
    assert!(quick.replaces_builtin);
    assert_eq!(library.resolve("quick").unwrap().config.epochs, 2);
}

#[test]
fn invalid_user_presets_give_their_expected_errors() {
    let library = user_presets("tests/config/presets/invalid");
    check_invalid("tests/config/presets/invalid", |p| {
        library.resolve(&stem(p)).map(|_| ())
    });
    let library = user_presets("tests/config/presets/invalid-override");
    check_invalid("tests/config/presets/invalid-override", |p| {
        library.resolve(&stem(p)).map(|_| ())
    });
}

#[test]
fn unknown_preset_name_suggests_the_nearest() {
    let err = PresetLibrary::builtin()
        .resolve("resnet50-baselin")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no preset named `resnet50-baselin` (did you mean `resnet50-baseline`?)"
    );
}

fn user_themes(dir: &str) -> ThemeLibrary {
    ThemeLibrary::load(Some(Path::new(dir))).unwrap()
}

#[test]
fn builtin_and_valid_user_themes_resolve() {
    let builtin = ThemeLibrary::builtin();
    assert_eq!(builtin.names(), ["dark", "high-contrast", "light"]);
    for name in builtin.names() {
        let theme = builtin
            .resolve(name)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!theme.description.is_empty(), "{name}");
    }
    let library = user_themes("tests/themes/valid");
    for path in toml_files("tests/themes/valid") {
        library
            .resolve(&stem(&path))
            .unwrap_or_else(|e| panic!("{}:\n{e}", path.display()));
    }
    use botui::config::{Color, Role};
    let t = library.resolve("dark-magenta").unwrap();
    let dark = builtin.resolve("dark").unwrap();
    assert_eq!(t.color(Role::Accent), Color::Ansi(13));
    assert_eq!(t.color(Role::Lr), Color::Rgb(0xff, 0x87, 0x00));
    assert_eq!(t.color(Role::Train), dark.color(Role::Train), "from dark");
    assert_eq!(t.description, "", "not inherited");
    let s = library.resolve("solarized-dark").unwrap();
    assert_eq!(s.color(Role::Background), Color::Rgb(0x00, 0x2b, 0x36));
}

#[test]
fn invalid_themes_give_their_expected_errors() {
    let library = user_themes("tests/themes/invalid");
    check_invalid("tests/themes/invalid", |p| {
        library.resolve(&stem(p)).map(|_| ())
    });
}
