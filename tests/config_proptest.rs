//! Arbitrary text into every parser (config.toml, presets, themes, key chords, colors): an
//! error or a value, never a panic.

use botui::config::{Color, KeyChord, PresetLibrary, Settings, ThemeLibrary};
use proptest::prelude::*;

/// Text that looks like TOML often enough to get past the syntax check.
fn tomlish() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("[run]".to_string()),
        Just("[ui]".to_string()),
        Just("[keys]".to_string()),
        Just("[colors]".to_string()),
        Just("[run.warmup]".to_string()),
        Just("[mixup]".to_string()),
        "[a-z_.]{1,12}".prop_map(|k| format!("[{k}]")),
        (
            "[a-z_.]{1,14}",
            prop_oneof![
                Just("true".to_string()),
                Just("\"quick\"".to_string()),
                Just("\"resnet50\"".to_string()),
                Just("\"#00ff00\"".to_string()),
                Just("[\"q\", \"ctrl+c\"]".to_string()),
                Just("{ a = 1 }".to_string()),
                "-?[0-9]{1,20}",
                "-?[0-9]{1,4}\\.[0-9]{1,4}",
                "\"[ -~]{0,10}\"",
                "\\[[0-9, ]{0,10}\\]",
            ]
        )
            .prop_map(|(k, v)| format!("{k} = {v}")),
        Just("extends = \"quick\"".to_string()),
        Just("extends = \"fuzz\"".to_string()),
        Just("preset = \"resnet50d-distill-laptop\"".to_string()),
        "[ -~]{0,20}",
    ];
    prop::collection::vec(line, 0..12).prop_map(|lines| lines.join("\n"))
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![tomlish(), any::<String>()]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn config_text_never_panics(t in text()) {
        let presets = PresetLibrary::builtin();
        let themes = ThemeLibrary::builtin();
        if let Err(e) = Settings::parse("fuzz.toml", &t, &presets, &themes) {
            prop_assert!(!e.diagnostics.is_empty());
            let _ = e.to_string();
        }
    }

    #[test]
    fn preset_text_never_panics(t in text()) {
        let mut presets = PresetLibrary::builtin();
        presets.add_text("fuzz", "fuzz.toml", &t);
        if let Ok(p) = presets.resolve("fuzz") {
            let _ = p.run_config();
            let _ = p.to_toml();
        }
    }

    #[test]
    fn theme_text_never_panics(t in text()) {
        let mut themes = ThemeLibrary::builtin();
        themes.add_text("fuzz", "fuzz.toml", &t);
        let _ = themes.resolve("fuzz");
    }

    #[test]
    fn keys_and_colors_never_panic(t in "\\PC{0,12}") {
        if let Ok(k) = t.parse::<KeyChord>() {
            // What prints parses back to the same chord.
            prop_assert_eq!(k.to_string().parse::<KeyChord>(), Ok(k));
        }
        if let Ok(c) = t.parse::<Color>() {
            prop_assert_eq!(c.to_string().parse::<Color>(), Ok(c));
        }
    }
}

#[test]
fn deep_nesting_is_an_error_or_a_value_not_a_crash() {
    let presets = PresetLibrary::builtin();
    let themes = ThemeLibrary::builtin();
    for depth in [100, 20_000] {
        let dotted = format!("[run]\nmodel.name.{} = 1\n", vec!["a"; depth].join("."));
        let inline = format!(
            "[run]\nmodel = {}1{}\n",
            "{ a = ".repeat(depth),
            " }".repeat(depth)
        );
        let arrays = format!(
            "[run]\nseed = {}1{}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        for text in [dotted, inline, arrays] {
            assert!(Settings::parse("deep.toml", &text, &presets, &themes).is_err());
        }
    }
}
