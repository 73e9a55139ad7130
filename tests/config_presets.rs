//! The built-in presets against the paper (PAPER.md Tables 2, 4, 5 and 6, transcribed here by
//! hand, not from the preset files): every preset resolves, each paper preset has its row's
//! switches and numbers, and each laptop companion keeps its paper preset's tricks.

use botui::config::{DecayKind, OptimizerKind, Precision, Preset, PresetLibrary, Problem, Trick};
use botui::device::DeviceName;
use botui::model::{InitScheme, ModelName, ResNetVariant, StemKind};

/// One paper row as the preset must reproduce it.
struct Row {
    name: &'static str,
    model: ModelName,
    variant: Option<ResNetVariant>,
    batch: usize,
    /// The learning rate the schedule peaks at (linear scaling applied).
    peak_lr: f64,
    /// Switches, by short name: ls wu zg nbd fp16 cos sm kd mix.
    on: &'static str,
    epochs: usize,
    table: &'static str,
    row: &'static str,
    top1: f64,
    top5: f64,
}

const R50: ModelName = ModelName::ResNet(50);
const INC: ModelName = ModelName::InceptionV3;
const MOB: ModelName = ModelName::MobileNet;
const A: Option<ResNetVariant> = Some(ResNetVariant::A);
const D: Option<ResNetVariant> = Some(ResNetVariant::D);
const EFF: &str = "ls wu zg nbd fp16";

#[rustfmt::skip]
fn rows() -> Vec<Row> {
    let r = |name, model, variant, batch, peak_lr, on, epochs, table, row, top1, top5| Row {
        name, model, variant, batch, peak_lr, on, epochs, table, row, top1, top5,
    };
    vec![
        // Table 2: baselines, no tricks.
        r("resnet50-baseline", R50, A, 256, 0.1, "", 120, "Table 2", "baseline", 75.87, 92.70),
        r("inception-v3-baseline", INC, None, 256, 0.1, "", 120, "Table 2", "baseline", 77.32, 93.43),
        r("mobilenet-baseline", MOB, None, 256, 0.1, "", 120, "Table 2", "baseline", 69.03, 88.71),
        // Table 4, batch 256 (lr 0.1) and 1024 (lr 0.4).
        r("resnet50-bs256-linear-scaling", R50, A, 256, 0.1, "ls", 120, "Table 4", "linear scaling, batch 256", 75.87, 92.70),
        r("resnet50-bs256-warmup", R50, A, 256, 0.1, "ls wu", 120, "Table 4", "+ LR warmup, batch 256", 76.03, 92.81),
        r("resnet50-bs256-zero-gamma", R50, A, 256, 0.1, "ls wu zg", 120, "Table 4", "+ zero gamma, batch 256", 76.19, 93.03),
        r("resnet50-bs256-no-bias-decay", R50, A, 256, 0.1, "ls wu zg nbd", 120, "Table 4", "+ no bias decay, batch 256", 76.16, 92.97),
        r("resnet50-bs256-fp16", R50, A, 256, 0.1, "ls wu zg nbd fp16", 120, "Table 4", "+ FP16, batch 256", 76.15, 93.09),
        r("resnet50-bs1024-linear-scaling", R50, A, 1024, 0.4, "ls", 120, "Table 4", "linear scaling, batch 1024", 75.17, 92.54),
        r("resnet50-bs1024-warmup", R50, A, 1024, 0.4, "ls wu", 120, "Table 4", "+ LR warmup, batch 1024", 75.93, 92.84),
        r("resnet50-bs1024-zero-gamma", R50, A, 1024, 0.4, "ls wu zg", 120, "Table 4", "+ zero gamma, batch 1024", 76.37, 92.96),
        r("resnet50-bs1024-no-bias-decay", R50, A, 1024, 0.4, "ls wu zg nbd", 120, "Table 4", "+ no bias decay, batch 1024", 76.03, 92.86),
        r("resnet50-bs1024-fp16", R50, A, 1024, 0.4, "ls wu zg nbd fp16", 120, "Table 4", "+ FP16, batch 1024", 76.21, 92.97),
        // Table 5: the efficient setting, variants A-D.
        r("resnet50a-efficient", R50, A, 1024, 0.4, EFF, 120, "Table 5", "ResNet-50 (A)", 76.21, 92.97),
        r("resnet50b-efficient", R50, Some(ResNetVariant::B), 1024, 0.4, EFF, 120, "Table 5", "ResNet-50-B", 76.66, 93.28),
        r("resnet50c-efficient", R50, Some(ResNetVariant::C), 1024, 0.4, EFF, 120, "Table 5", "ResNet-50-C", 76.87, 93.48),
        r("resnet50d-efficient", R50, D, 1024, 0.4, EFF, 120, "Table 5", "ResNet-50-D", 77.16, 93.52),
        // Table 6, ResNet-50-D (its 'efficient' row is Table 5's ResNet-50-D).
        r("resnet50d-cosine", R50, D, 1024, 0.4, "ls wu zg nbd fp16 cos", 120, "Table 6", "+ cosine decay", 77.91, 93.81),
        r("resnet50d-label-smoothing", R50, D, 1024, 0.4, "ls wu zg nbd fp16 cos sm", 120, "Table 6", "+ label smoothing", 78.31, 94.09),
        r("resnet50d-distill", R50, D, 1024, 0.4, "ls wu zg nbd fp16 cos sm kd", 120, "Table 6", "+ distill w/o mixup", 78.67, 94.36),
        r("resnet50d-mixup", R50, D, 1024, 0.4, "ls wu zg nbd fp16 cos sm mix", 200, "Table 6", "+ mixup w/o distill", 79.15, 94.58),
        r("resnet50d-distill-mixup", R50, D, 1024, 0.4, "ls wu zg nbd fp16 cos sm mix kd", 200, "Table 6", "+ distill w/ mixup", 79.29, 94.63),
        // Table 6, Inception-V3.
        r("inception-v3-efficient", INC, None, 1024, 0.4, EFF, 120, "Table 6", "efficient", 77.50, 93.60),
        r("inception-v3-cosine", INC, None, 1024, 0.4, "ls wu zg nbd fp16 cos", 120, "Table 6", "+ cosine decay", 78.19, 94.06),
        r("inception-v3-label-smoothing", INC, None, 1024, 0.4, "ls wu zg nbd fp16 cos sm", 120, "Table 6", "+ label smoothing", 78.40, 94.13),
        r("inception-v3-distill", INC, None, 1024, 0.4, "ls wu zg nbd fp16 cos sm kd", 120, "Table 6", "+ distill w/o mixup", 78.26, 94.01),
        r("inception-v3-mixup", INC, None, 1024, 0.4, "ls wu zg nbd fp16 cos sm mix", 200, "Table 6", "+ mixup w/o distill", 78.77, 94.39),
        r("inception-v3-distill-mixup", INC, None, 1024, 0.4, "ls wu zg nbd fp16 cos sm mix kd", 200, "Table 6", "+ distill w/ mixup", 78.34, 94.16),
        // Table 6, MobileNet (Table 3 prints top-5 90.47 for the efficient run; Table 6 90.53).
        r("mobilenet-efficient", MOB, None, 1024, 0.4, EFF, 120, "Table 6", "efficient", 71.90, 90.53),
        r("mobilenet-cosine", MOB, None, 1024, 0.4, "ls wu zg nbd fp16 cos", 120, "Table 6", "+ cosine decay", 72.83, 91.00),
        r("mobilenet-label-smoothing", MOB, None, 1024, 0.4, "ls wu zg nbd fp16 cos sm", 120, "Table 6", "+ label smoothing", 72.93, 91.14),
        r("mobilenet-distill", MOB, None, 1024, 0.4, "ls wu zg nbd fp16 cos sm kd", 120, "Table 6", "+ distill w/o mixup", 71.97, 90.89),
        r("mobilenet-mixup", MOB, None, 1024, 0.4, "ls wu zg nbd fp16 cos sm mix", 200, "Table 6", "+ mixup w/o distill", 73.28, 91.30),
        r("mobilenet-distill-mixup", MOB, None, 1024, 0.4, "ls wu zg nbd fp16 cos sm mix kd", 200, "Table 6", "+ distill w/ mixup", 72.51, 91.02),
    ]
}

fn resolve(library: &PresetLibrary, name: &str) -> Preset {
    library
        .resolve(name)
        .unwrap_or_else(|e| panic!("preset {name}: {e}"))
}

#[test]
fn every_builtin_preset_resolves_and_validates_as_a_template() {
    let library = PresetLibrary::builtin();
    let names = library.names();
    assert_eq!(
        names.len(),
        78,
        "34 paper rows + 2 teachers, a laptop each, quick, 4 FFCV configs and airbench94"
    );
    for name in names {
        let p = resolve(&library, name);
        assert_eq!(p.config.name, name);
        assert!(p.config.validate_template().is_ok(), "{name}");
        assert!(p.description().len() > 40, "{name} needs a description");
        let own = library.file(name).unwrap();
        assert!(
            own.text.contains("description ="),
            "{name}: description not inherited"
        );
        // Only distillation presets miss something, and only the teacher.
        let missing: Vec<_> = p.missing_inputs().iter().map(|m| m.key).collect();
        if p.config.distillation.enabled {
            assert_eq!(missing, ["distillation.teacher"], "{name}");
        } else {
            assert!(missing.is_empty(), "{name}");
            assert_eq!(p.run_config().unwrap(), p.config, "{name}");
        }
    }
}

#[test]
fn paper_presets_match_their_table_rows() {
    let library = PresetLibrary::builtin();
    for row in rows() {
        let p = resolve(&library, row.name);
        let c = &p.config;
        let n = row.name;
        let on = |flag: &str| row.on.split_whitespace().any(|f| f == flag);
        assert_eq!(c.model.name, row.model, "{n} model");
        if let Some(v) = row.variant {
            assert_eq!(c.model.variant, v, "{n} variant");
        }
        let input = if row.model == INC { 299 } else { 224 };
        assert_eq!(
            (c.model.input, c.model.stem),
            (input, StemKind::Imagenet),
            "{n}"
        );
        assert_eq!(c.model.init, InitScheme::Xavier, "{n}");
        assert_eq!(c.batch_size, row.batch, "{n} batch");
        assert_eq!(c.epochs, row.epochs, "{n} epochs");
        assert!(
            (c.peak_lr() - row.peak_lr).abs() < 1e-12,
            "{n} lr {}",
            c.peak_lr()
        );
        assert!((c.base_lr - 0.1).abs() < 1e-12, "{n} base lr");
        assert_eq!(c.device, DeviceName::Cuda(0), "{n}");
        assert_eq!(c.data.source, "imagefolder:imagenet", "{n}");
        assert_eq!(c.optimizer.kind, OptimizerKind::Nag, "{n}");
        assert_eq!(
            (c.optimizer.momentum, c.optimizer.weight_decay),
            (0.9, 1e-4),
            "{n}"
        );
        assert_eq!(c.linear_scaling.enabled, on("ls"), "{n} linear scaling");
        assert_eq!(c.linear_scaling.reference_batch, 256, "{n}");
        assert_eq!(c.warmup.enabled, on("wu"), "{n} warmup");
        assert_eq!(c.warmup.epochs, 5.0, "{n} warmup epochs");
        assert_eq!(c.zero_gamma.enabled, on("zg"), "{n} zero gamma");
        assert_eq!(c.no_bias_decay.enabled, on("nbd"), "{n} no bias decay");
        assert_eq!(c.low_precision.enabled, on("fp16"), "{n} fp16");
        assert_eq!(c.low_precision.dtype, Precision::Fp16, "{n}");
        let decay = if on("cos") {
            DecayKind::Cosine
        } else {
            DecayKind::Step
        };
        assert_eq!(c.schedule.decay, decay, "{n} decay");
        assert_eq!(c.schedule.step_epochs, [30, 60, 90], "{n}");
        assert_eq!(c.schedule.step_factor, 0.1, "{n}");
        assert_eq!(c.label_smoothing.enabled, on("sm"), "{n} label smoothing");
        assert_eq!(c.label_smoothing.epsilon, 0.1, "{n}");
        assert_eq!(c.mixup.enabled, on("mix"), "{n} mixup");
        assert_eq!((c.mixup.alpha, c.mixup.off_epochs), (0.2, 0), "{n}");
        let d = &c.distillation;
        assert_eq!(d.enabled, on("kd"), "{n} distillation");
        if d.enabled {
            assert_eq!(d.teacher, "", "{n}: the user fills in the teacher");
            assert_eq!(d.teacher_model, "resnet152d", "{n}");
            assert_eq!((d.temperature, d.hard_weight), (20.0, 0.5), "{n}");
        }
        let paper = p
            .paper()
            .unwrap_or_else(|| panic!("{n} has no paper numbers"));
        assert_eq!(
            (paper.table.as_str(), paper.row.as_str()),
            (row.table, row.row),
            "{n}"
        );
        assert_eq!(
            (paper.top1, paper.top5),
            (row.top1, Some(row.top5)),
            "{n} numbers"
        );
        assert!(!p.is_laptop());
    }
}

#[test]
fn every_paper_preset_is_checked_above() {
    let library = PresetLibrary::builtin();
    let checked: Vec<&str> = rows().iter().map(|r| r.name).collect();
    for name in library.names() {
        let p = resolve(&library, name);
        if p.paper().is_some() && !p.is_laptop() {
            assert!(
                checked.contains(&name)
                    || ffcv_rows().iter().any(|r| r.0 == name)
                    || name == "airbench94-cifar10",
                "{name} has paper numbers but no row above"
            );
        }
    }
}

#[test]
fn laptop_companions_keep_the_trick_set_and_scale_the_rest() {
    let library = PresetLibrary::builtin();
    let names = library.names();
    let originals: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| {
            !n.ends_with("-laptop")
                && *n != "quick"
                && !n.starts_with("ffcv-")
                && !n.starts_with("airbench")
        })
        .collect();
    assert_eq!(originals.len(), 36);
    for name in originals {
        let laptop = format!("{name}-laptop");
        let big = resolve(&library, name);
        let small = resolve(&library, &laptop);
        let (b, s) = (&big.config, &small.config);
        assert!(small.is_laptop());
        assert_eq!(small.extends[0], name, "{laptop} extends its paper preset");
        assert_eq!(small.tricks(), big.tricks(), "{laptop} tricks");
        assert_eq!(s.zero_gamma, b.zero_gamma, "{laptop}");
        assert_eq!(s.label_smoothing, b.label_smoothing, "{laptop}");
        assert_eq!(s.mixup, b.mixup, "{laptop}");
        assert_eq!(s.distillation, b.distillation, "{laptop}");
        assert_eq!(s.low_precision, b.low_precision, "{laptop}");
        assert_eq!(s.schedule.decay, b.schedule.decay, "{laptop}");
        assert_eq!(
            (s.model.name, s.model.variant),
            (b.model.name, b.model.variant),
            "{laptop}"
        );
        assert_eq!(s.paper, b.paper, "{laptop} shows its row's numbers");
        // Scaled: input 32 with the small stem, built-in data, the CPU backend.
        assert_eq!(
            (s.model.input, s.model.stem),
            (32, StemKind::Small),
            "{laptop}"
        );
        assert_eq!(s.device, DeviceName::Flex, "{laptop}");
        assert_eq!(s.data.source, "builtin", "{laptop}");
        let images = s.data.builtin_classes * s.data.builtin_train_per_class;
        assert_eq!(images, 500, "{laptop}");
        // Epochs / 10, batch / 8, lr / 8 (by linear scaling, or by hand in the baselines).
        assert_eq!(s.epochs * 10, b.epochs, "{laptop} epochs");
        assert_eq!(s.batch_size * 8, b.batch_size, "{laptop} batch");
        assert!(
            (s.peak_lr() * 8.0 - b.peak_lr()).abs() < 1e-12,
            "{laptop} lr"
        );
        assert_eq!(s.schedule.step_epochs, [3, 6, 9], "{laptop}");
        assert_eq!(s.warmup.epochs * 10.0, b.warmup.epochs, "{laptop} warmup");
        assert!(small.description().contains("laptop"), "{laptop} says so");
    }
}

#[test]
fn each_row_extends_the_row_above_and_adds_one_trick() {
    let library = PresetLibrary::builtin();
    let chains: [&[&str]; 5] = [
        &[
            "resnet50-baseline",
            "resnet50-bs256-linear-scaling",
            "resnet50-bs256-warmup",
            "resnet50-bs256-zero-gamma",
            "resnet50-bs256-no-bias-decay",
            "resnet50-bs256-fp16",
        ],
        &[
            "resnet50-bs1024-linear-scaling",
            "resnet50-bs1024-warmup",
            "resnet50-bs1024-zero-gamma",
            "resnet50-bs1024-no-bias-decay",
            "resnet50-bs1024-fp16",
            "resnet50a-efficient",
        ],
        &[
            "resnet50d-efficient",
            "resnet50d-cosine",
            "resnet50d-label-smoothing",
            "resnet50d-distill",
        ],
        &[
            "inception-v3-efficient",
            "inception-v3-cosine",
            "inception-v3-label-smoothing",
            "inception-v3-mixup",
            "inception-v3-distill-mixup",
        ],
        &[
            "mobilenet-efficient",
            "mobilenet-cosine",
            "mobilenet-label-smoothing",
            "mobilenet-mixup",
            "mobilenet-distill-mixup",
        ],
    ];
    for chain in chains {
        for pair in chain.windows(2) {
            let (above, this) = (resolve(&library, pair[0]), resolve(&library, pair[1]));
            assert_eq!(this.extends[0], pair[0]);
            let new: Vec<Trick> = this
                .tricks()
                .into_iter()
                .filter(|t| !above.tricks().contains(t))
                .collect();
            let gone = above
                .tricks()
                .into_iter()
                .filter(|t| !this.tricks().contains(t))
                .count();
            let expected = usize::from(pair[1] != "resnet50a-efficient"); // same config, Table 5
            assert_eq!(
                (new.len(), gone),
                (expected, 0),
                "{} -> {}: {new:?}",
                pair[0],
                pair[1]
            );
        }
    }
}

#[test]
fn distillation_presets_say_what_they_need_and_run_once_filled() {
    let library = PresetLibrary::builtin();
    let p = resolve(&library, "resnet50d-distill");
    let err = p.run_config().unwrap_err();
    assert_eq!(err.first().problem, Problem::NeedsInput);
    assert_eq!(
        err.to_string(),
        "preset `resnet50d-distill` needs distillation.teacher = <path to a resnet152d checkpoint \
         (a botui run folder or checkpoint file) or timm resnet152d weights (.safetensors or .pth)>"
    );
    let mut filled = p.clone();
    filled.config.distillation.teacher = "runs/resnet152d-teacher".into();
    assert!(filled.run_config().is_ok());
    // The teachers the distillation presets point to exist, with the right recipe.
    let teacher = resolve(&library, "resnet152d-teacher").config;
    assert_eq!(
        (teacher.model.name, teacher.model.variant),
        (ModelName::ResNet(152), ResNetVariant::D)
    );
    assert_eq!(teacher.schedule.decay, DecayKind::Cosine);
    assert!(teacher.label_smoothing.enabled && !teacher.mixup.enabled && teacher.paper.is_none());
    let teacher = resolve(&library, "resnet152d-teacher-mixup").config;
    assert!(teacher.label_smoothing.enabled && teacher.mixup.enabled && teacher.epochs == 200);
    let text = &library.file("resnet50d-distill-mixup").unwrap().text;
    assert!(
        text.contains("resnet152d-teacher-mixup"),
        "names its teacher preset"
    );
}

#[test]
fn quick_is_a_few_minutes_of_resnet18_on_the_cpu() {
    let c = resolve(&PresetLibrary::builtin(), "quick").config;
    assert_eq!(c.model.name, ModelName::ResNet(18));
    assert_eq!((c.model.input, c.model.stem), (32, StemKind::Small));
    assert_eq!(
        (c.device, c.data.source.as_str()),
        (DeviceName::Flex, "builtin")
    );
    assert_eq!((c.epochs, c.batch_size), (5, 64));
    assert!((c.peak_lr() - 0.025).abs() < 1e-12); // 0.1 x 64 / 256
    assert_eq!(c.data.builtin_classes * c.data.builtin_train_per_class, 500);
    assert!(c.paper.is_none());
}

#[test]
fn builtin_list_matches_the_presets_and_themes_folders() {
    for (dir, names) in [
        (
            "presets",
            PresetLibrary::builtin()
                .names()
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
        ),
        (
            "themes",
            botui::config::ThemeLibrary::builtin()
                .names()
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ),
    ] {
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files, names, "{dir}/ and src/config/builtin.rs differ");
    }
}

#[test]
fn resolved_toml_reads_back_as_the_same_preset() {
    let library = PresetLibrary::builtin();
    for name in [
        "resnet50d-distill-mixup-laptop",
        "mobilenet-efficient",
        "quick",
    ] {
        let p = resolve(&library, name);
        let mut copy = library.clone();
        copy.add_text("copy", "copy.toml", &p.to_toml());
        let back = resolve(&copy, "copy");
        assert_eq!(back.config, p.config, "{name}");
    }
}

/// FFCV's ImageNet configs as libffcv/ffcv-imagenet's README and YAML files print them (by
/// hand): name, depth, epochs, batch (GPUs x per-GPU batch), lr, weight decay, the resizing
/// ramp's epochs, top-1, top-5.
#[allow(clippy::type_complexity)]
fn ffcv_rows() -> [(
    &'static str,
    usize,
    usize,
    usize,
    f64,
    f64,
    usize,
    usize,
    f64,
    f64,
); 4] {
    [
        (
            "ffcv-rn50-88-epochs",
            50,
            88,
            8 * 512,
            1.7,
            1e-4,
            65,
            76,
            78.4,
            94.1,
        ),
        (
            "ffcv-rn50-16-epochs",
            50,
            16,
            8 * 512,
            1.7,
            1e-4,
            11,
            13,
            73.8,
            90.8,
        ),
        (
            "ffcv-rn18-88-epochs",
            18,
            88,
            1024,
            0.5,
            5e-5,
            65,
            76,
            72.4,
            90.3,
        ),
        (
            "ffcv-rn18-16-epochs",
            18,
            16,
            1024,
            0.5,
            5e-5,
            11,
            13,
            66.9,
            86.8,
        ),
    ]
}

#[test]
fn ffcv_presets_match_their_configs() {
    let library = PresetLibrary::builtin();
    for (name, depth, epochs, batch, lr, wd, start, end, top1, top5) in ffcv_rows() {
        let p = resolve(&library, name);
        let c = &p.config;
        assert_eq!(c.model.name, ModelName::ResNet(depth), "{name}");
        assert_eq!((c.epochs, c.batch_size), (epochs, batch), "{name}");
        assert_eq!((c.peak_lr(), c.optimizer.weight_decay), (lr, wd), "{name}");
        assert_eq!(c.optimizer.kind, OptimizerKind::Sgd, "{name}");
        assert_eq!(c.optimizer.momentum, 0.9, "{name}");
        let r = &c.progressive_resize;
        assert!(r.enabled, "{name}");
        assert_eq!((r.min_side, r.max_side), (160, 192), "{name}");
        assert_eq!((r.start_epoch, r.end_epoch), (start, end), "{name}");
        assert_eq!(c.model.input, 256, "{name}: FFCV validates at 256");
        assert!(c.tta.enabled && c.no_bias_decay.enabled, "{name}");
        assert!(
            c.label_smoothing.enabled && c.label_smoothing.epsilon == 0.1,
            "{name}"
        );
        let paper = p.paper().unwrap();
        assert_eq!(paper.table, "FFCV ImageNet configs", "{name}");
        assert_eq!((paper.top1, paper.top5), (top1, Some(top5)), "{name}");
    }
}

/// The speed record's preset: its network and its target (94 % on CIFAR-10), with airbench's
/// label smoothing (0.2), momentum (0.85), batch (1024) and flip TTA.
#[test]
fn airbench_preset_targets_94_percent_on_cifar10() {
    let p = resolve(&PresetLibrary::builtin(), "airbench94-cifar10");
    let c = &p.config;
    assert_eq!(c.model.name, ModelName::Airbench94);
    assert_eq!((c.model.input, c.batch_size), (32, 1024));
    assert!(c.data.source.as_str().starts_with("cifar10:"));
    assert_eq!(
        (c.optimizer.kind, c.optimizer.momentum),
        (OptimizerKind::Nag, 0.85)
    );
    assert_eq!(c.label_smoothing.epsilon, 0.2);
    assert!(c.label_smoothing.enabled && c.tta.enabled);
    assert_eq!(p.paper().unwrap().top1, 94.0);
}
