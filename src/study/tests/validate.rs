use std::path::PathBuf;

use crate::config::diag::Problem;
use crate::config::{DecayKind, Origin, PresetLibrary};
use crate::study::library::StudyLibrary;
use crate::study::spec::Mode;
use crate::study::{Overrides, StudyFile, StudyPlan, plan};

fn file(text: &str) -> StudyFile {
    StudyFile {
        name: "s".into(),
        label: "s.toml".into(),
        origin: Origin::User(PathBuf::from("s.toml")),
        text: text.into(),
    }
}

fn resolve(text: &str, overrides: &Overrides) -> Result<StudyPlan, String> {
    plan(&file(text), overrides, &PresetLibrary::builtin()).map_err(|e| e.to_string())
}

const THREE_ROWS: &str = r#"seeds = 2
mode = "cumulative"

[base]
preset = "quick"
epochs = 3
set = ["warmup.enabled=false"]

[[row]]
name = "baseline"

[[row]]
name = "+ label smoothing"
set = ["label_smoothing.enabled=true"]

[[row]]
name = "+ mixup"
set = ["mixup.enabled=true"]
paper = { top1 = 79.15 }
"#;

#[test]
fn cumulative_rows_keep_the_changes_above_and_one_at_a_time_rows_do_not() {
    let p = resolve(THREE_ROWS, &Overrides::default()).unwrap();
    assert_eq!((p.seeds, p.mode, p.rows.len()), (2, Mode::Cumulative, 3));
    let [a, b, c] = [&p.rows[0].config, &p.rows[1].config, &p.rows[2].config];
    // The base: quick, then its flags and set.
    assert_eq!(a.epochs, 3);
    assert!(!a.warmup.enabled);
    assert_eq!(
        a.schedule.decay,
        DecayKind::Cosine,
        "quick's own setting stays"
    );
    assert!(!a.label_smoothing.enabled && !a.mixup.enabled);
    assert!(b.label_smoothing.enabled && !b.mixup.enabled);
    assert!(c.label_smoothing.enabled && c.mixup.enabled);
    assert_eq!(p.rows[2].changes, ["mixup.enabled = true"]);
    assert_eq!(p.rows[2].paper.unwrap().top1, 79.15);
    assert_eq!(p.rows[2].paper.unwrap().top5, None);

    let p = resolve(
        &THREE_ROWS.replace("cumulative", "one-at-a-time"),
        &Overrides::default(),
    )
    .unwrap();
    let c = &p.rows[2].config;
    assert!(c.mixup.enabled && !c.label_smoothing.enabled);
    assert_eq!(p.rows[2].changes, ["mixup.enabled = true"], "against row 1");
}

#[test]
fn the_command_line_comes_after_the_file_and_applies_to_every_row() {
    let overrides = Overrides {
        seeds: Some(5),
        epochs: Some(7),
        data: Some("builtin".into()),
        set: vec!["warmup.enabled=true".into(), "data.workers=1".into()],
        ..Overrides::default()
    };
    let p = resolve(THREE_ROWS, &overrides).unwrap();
    assert_eq!(p.seeds, 5);
    for row in &p.rows {
        assert_eq!(row.config.epochs, 7);
        assert!(row.config.warmup.enabled, "--set beats the file's base set");
        assert_eq!(row.config.data.workers, 1);
    }
}

#[test]
fn preset_rows_start_over_with_the_base_changes_and_bring_their_paper_numbers() {
    let text = r#"
[base]
epochs = 2
set = ["data.workers=1"]

[[row]]
name = "efficient"
preset = "resnet50d-efficient-laptop"

[[row]]
name = "+ cosine"
set = ["schedule.decay=cosine"]

[[row]]
name = "+ smoothing (preset)"
preset = "resnet50d-label-smoothing-laptop"
set = ["label_smoothing.epsilon=0.2"]
"#;
    let p = resolve(text, &Overrides::default()).unwrap();
    let rows = &p.rows;
    assert_eq!(rows[0].paper.unwrap().top1, 77.16);
    assert_eq!(
        rows[1].paper, None,
        "a set row has no paper numbers unless given"
    );
    assert_eq!(rows[2].paper.unwrap().top1, 78.31);
    for row in rows {
        assert_eq!(row.config.epochs, 2, "{}: the base's flags", row.name);
        assert_eq!(row.config.data.workers, 1, "{}: the base's set", row.name);
        assert_eq!(row.config.model.variant, crate::model::ResNetVariant::D);
    }
    assert_eq!(rows[1].config.schedule.decay, DecayKind::Cosine);
    assert_eq!(rows[2].config.label_smoothing.epsilon, 0.2);
}

#[test]
fn a_bad_row_names_the_file_line_row_and_key_and_every_problem_is_reported() {
    let text = THREE_ROWS
        .replace(
            "label_smoothing.enabled=true",
            "label_smoothing.epsilom=0.1",
        )
        .replace("mixup.enabled=true", "warmup.epochs=-1");
    let err = plan(
        &file(&text),
        &Overrides::default(),
        &PresetLibrary::builtin(),
    )
    .unwrap_err();
    assert_eq!(err.diagnostics.len(), 2, "{err}");
    let unknown = &err.diagnostics[0];
    assert_eq!(unknown.problem, Problem::UnknownKey);
    assert_eq!((unknown.file.as_str(), unknown.line), ("s.toml", Some(14)));
    assert_eq!(unknown.key.as_deref(), Some("label_smoothing.epsilom"));
    let message = unknown.to_string();
    assert!(message.contains("row 2 (`+ label smoothing`)"), "{message}");
    assert!(message.contains("epsilom"), "{message}");
    let range = &err.diagnostics[1];
    assert_eq!(range.problem, Problem::OutOfRange);
    assert_eq!(range.line, Some(18), "{err}");
    assert!(range.to_string().contains("row 3 (`+ mixup`)"), "{err}");
    assert!(range.to_string().contains("warmup.epochs = -1"), "{err}");
}

#[test]
fn base_errors_unknown_presets_and_bad_seeds_are_located() {
    let err = resolve(
        &THREE_ROWS.replace("\"quick\"", "\"quik\""),
        &Overrides::default(),
    )
    .unwrap_err();
    assert!(
        err.starts_with("s.toml:5:10: base: preset = \"quik\""),
        "{err}"
    );
    assert!(err.contains("did you mean `quick`"), "{err}");
    let err = resolve(
        &THREE_ROWS.replace("seeds = 2", "seeds = 0"),
        &Overrides::default(),
    )
    .unwrap_err();
    assert!(err.starts_with("s.toml:1:9: seeds = 0"), "{err}");
    let cli = Overrides {
        set: vec!["epochs=none".into()],
        ..Overrides::default()
    };
    let err = resolve(THREE_ROWS, &cli).unwrap_err();
    assert!(
        err.contains("base: command line: --set epochs=none"),
        "{err}"
    );
    let err = resolve("[base]\npreset = \"quick\"\n", &Overrides::default()).unwrap_err();
    assert!(err.contains("at least one [[row]]"), "{err}");
}

const DISTILL: &str = r#"
[teachers.big]
preset = "resnet152d-teacher-laptop"

[[row]]
name = "smoothing"
preset = "resnet50d-label-smoothing-laptop"

[[row]]
name = "+ distill"
preset = "resnet50d-distill-laptop"
teacher = "big"
"#;

#[test]
fn teachers_get_the_rows_data_and_rows_name_one() {
    let overrides = Overrides {
        set: vec![
            "data.builtin_classes=7".into(),
            "label_smoothing.epsilon=0.2".into(),
        ],
        ..Overrides::default()
    };
    let p = resolve(DISTILL, &overrides).unwrap();
    let teacher = &p.teachers[0];
    assert_eq!(teacher.name, "big");
    assert_eq!(teacher.config.data.builtin_classes, 7, "the base's data");
    assert_eq!(
        teacher.config.label_smoothing.epsilon, 0.1,
        "not the base's tricks"
    );
    assert_eq!(p.rows[1].teacher.as_deref(), Some("big"));
    assert_eq!(p.rows[0].teacher, None);
    assert!(
        p.rows[1]
            .changes
            .contains(&"distillation.enabled = true".to_string()),
        "{:?}",
        p.rows[1].changes
    );

    let err = resolve(
        &DISTILL.replace("teacher = \"big\"", "teacher = \"bgi\""),
        &Overrides::default(),
    )
    .unwrap_err();
    assert!(
        err.contains("row 2 (`+ distill`): teacher = \"bgi\""),
        "{err}"
    );
    assert!(err.contains("did you mean `big`"), "{err}");

    let err = resolve(
        &DISTILL.replace("teacher = \"big\"\n", ""),
        &Overrides::default(),
    )
    .unwrap_err();
    assert!(
        err.contains("row 2 (`+ distill`): distillation is on"),
        "{err}"
    );
    assert!(err.contains("teacher = \"big\""), "{err}");

    let other_data = DISTILL.replace(
        "preset = \"resnet152d-teacher-laptop\"",
        "preset = \"resnet152d-teacher-laptop\"\nset = [\"data.builtin_classes=5\"]",
    );
    let err = resolve(&other_data, &Overrides::default()).unwrap_err();
    assert!(err.contains("teacher `big` trains on other data"), "{err}");
    assert!(err.contains("data.builtin_classes = 10"), "{err}");
}

#[test]
fn every_laptop_study_that_ships_resolves() {
    let library = StudyLibrary::builtin();
    let presets = PresetLibrary::builtin();
    let mut laptop = 0;
    for name in library.names() {
        let file = library.get(name).unwrap();
        let result = plan(&file, &Overrides::default(), &presets);
        if name.ends_with("-laptop") {
            laptop += 1;
            let p = result.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(p.rows.iter().all(|r| r.paper.is_some()), "{name}");
            assert!(p.seeds >= 3, "{name}: error bars need seeds");
        } else {
            // The full-size studies want ImageNet in ./imagenet; with the data moved they resolve.
            let here = Overrides {
                data: Some("builtin".into()),
                ..Overrides::default()
            };
            plan(&file, &here, &presets).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
    assert_eq!(laptop, 6);
}
