//! A short run on the built-in dataset, through the real loader and the paper's augmentation,
//! ends well above chance: on flex always, and on LibTorch (CPU) in a `tch` build.

use botui::config::RunConfig;
use botui::device::DeviceName;
use botui::model::ModelName;
use botui::train::{RunRequest, TrainEvent, spawn};

/// 4 built-in classes (chance: 25 % top-1), 128 training images each at 32 x 32, MobileNet
/// x0.5, NAG with warmup and cosine decay. The crop keeps at least 35 % of the image (the
/// paper's 8 % leaves a 9 x 9 patch of a 32 x 32 image, which takes many epochs to learn).
#[allow(clippy::field_reassign_with_default)] // reads as "the default, except"
fn config(device: DeviceName) -> RunConfig {
    let mut c = RunConfig::default();
    c.device = device;
    c.model.name = ModelName::MobileNet;
    c.model.width = 0.5;
    c.model.input = 32;
    c.data.builtin_classes = 4;
    c.data.builtin_train_per_class = 128;
    c.data.builtin_val_per_class = 48;
    c.data.builtin_size = 32;
    c.augment.crop_area = [0.35, 1.0];
    c.epochs = 8;
    c.batch_size = 32;
    c.base_lr = 0.05;
    c.linear_scaling.enabled = false;
    c.warmup.enabled = true;
    c.warmup.epochs = 1.0;
    c.schedule.decay = botui::config::DecayKind::Cosine;
    c
}

fn best_top1(device: DeviceName) -> f64 {
    let run = run(config(device));
    for m in &run.epochs {
        eprintln!(
            "{device}: epoch {} loss {:.3} val top-1 {:.1} %",
            m.epoch, m.train_loss, m.val_top1
        );
    }
    assert_eq!(run.epochs.len(), 8);
    run.epochs.iter().map(|m| m.val_top1).fold(0.0, f64::max)
}

#[test]
fn flex_learns_the_builtin_data() {
    let top1 = best_top1(DeviceName::Flex);
    assert!(top1 >= 50.0, "best val top-1 {top1} %, chance is 25 %");
}

#[cfg(feature = "tch")]
#[test]
fn libtorch_learns_the_builtin_data() {
    let top1 = best_top1(DeviceName::LibTorch);
    assert!(top1 >= 50.0, "best val top-1 {top1} %, chance is 25 %");
}

/// BF16 forward and backward with FP32 master weights on LibTorch's CPU (Sec. 3.2, on a CPU
/// with AVX512-BF16): the log says so, and the run learns like the FP32 one.
#[cfg(feature = "tch")]
#[test]
fn libtorch_bf16_learns_where_the_cpu_has_bf16() {
    if !botui::train::precision::cpu_has_bf16() {
        eprintln!("skipping: this CPU has no AVX512-BF16 (the run would train in FP32)");
        return;
    }
    let mut c = config(DeviceName::LibTorch);
    c.low_precision.enabled = true;
    c.low_precision.dtype = botui::config::Precision::Bf16;
    let Run { epochs, logs, .. } = run(c);
    for m in &epochs {
        assert!(m.train_loss.is_finite(), "{m:?}");
    }
    let tops: Vec<f64> = epochs.iter().map(|m| m.val_top1).collect();
    assert!(
        logs.iter()
            .any(|l| l.contains("low precision: BF16") && l.contains("FP32 master weights")),
        "{logs:?}"
    );
    let best = tops.into_iter().fold(0.0, f64::max);
    assert!(best >= 50.0, "best val top-1 {best} %, chance is 25 %");
}

/// What a run sent and wrote.
struct Run {
    epochs: Vec<botui::train::EpochMetrics>,
    logs: Vec<String>,
    /// The run folder's `metrics.jsonl`.
    jsonl: String,
}

/// Trains `c` to the end; panics if the run fails.
fn run(c: RunConfig) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let handle = spawn(
        RunRequest {
            config: c,
            run_dir: dir.path().join("run"),
            resume: false,
            world: None,
        },
        botui::data::source_factory(),
    );
    let (mut epochs, mut logs) = (Vec::new(), Vec::new());
    for event in handle.events.iter() {
        match event {
            TrainEvent::EpochEnd(m) => epochs.push(m),
            TrainEvent::Log { message, .. } => logs.push(message),
            TrainEvent::Failed { error } => panic!("{error}"),
            _ => {}
        }
    }
    handle.join();
    let jsonl = std::fs::read_to_string(dir.path().join("run/metrics.jsonl")).unwrap();
    Run {
        epochs,
        logs,
        jsonl,
    }
}

/// Every trick after the paper at once (LAMB, BCE with its threshold, CutMix with mixup, EMA,
/// stochastic depth, RandAugment, repeated augmentation, progressive resizing 32 -> 64, flip
/// TTA) on a ResNet-18, then the airbench94 network with the ones that apply to it: both train
/// through the real loader, every loss finite, the EMA's top-1 logged beside the raw one.
#[test]
#[allow(clippy::field_reassign_with_default)]
fn tricks_after_the_paper_all_on_train_on_builtin_data() {
    let mut c = config(DeviceName::Flex);
    c.model.name = ModelName::ResNet(18);
    c.data.builtin_classes = 2;
    c.data.builtin_train_per_class = 8;
    c.data.builtin_val_per_class = 4;
    c.epochs = 2;
    c.batch_size = 8;
    c.optimizer.kind = botui::config::OptimizerKind::Lamb;
    c.optimizer.weight_decay = 0.02;
    c.no_bias_decay.enabled = true;
    c.loss.kind = botui::config::LossKind::Bce;
    c.loss.target_threshold = Some(0.2);
    c.mixup.enabled = true;
    c.mixup.alpha = 0.1;
    c.mixup.off_epochs = 0;
    c.cutmix.enabled = true;
    c.ema.enabled = true;
    c.ema.decay = 0.9;
    c.stochastic_depth.enabled = true;
    c.randaugment.enabled = true;
    c.repeated_augment.enabled = true;
    c.repeated_augment.repeats = 2;
    c.progressive_resize.enabled = true;
    c.progressive_resize.min_side = 32;
    c.progressive_resize.max_side = 64;
    c.progressive_resize.start_epoch = 0;
    c.progressive_resize.end_epoch = 1;
    c.tta.enabled = true;
    let tricks: Vec<String> = c.tricks().iter().map(|t| t.short_name()).collect();
    for t in [
        "cutmix",
        "ema",
        "stochastic-depth",
        "randaugment",
        "repeated-augment",
        "progressive-resize",
        "tta",
        "bce",
        "lamb",
    ] {
        assert!(tricks.contains(&t.to_string()), "{t} not on: {tricks:?}");
    }
    let Run {
        epochs,
        logs,
        jsonl,
    } = run(c.clone());
    assert!(logs.iter().any(|l| l == "finished 2 epochs"), "{logs:?}");
    assert_eq!(epochs.len(), 2);
    for m in &epochs {
        assert!(m.train_loss.is_finite() && m.val_loss.is_finite(), "{m:?}");
        assert!(
            m.ema_val_top1.is_some_and(|t| (0.0..=100.0).contains(&t)),
            "{m:?}"
        );
    }
    assert_eq!(jsonl.matches("\"ema_val_top1\"").count(), 2, "{jsonl}");

    c.model.name = ModelName::Airbench94;
    c.stochastic_depth.enabled = false;
    c.progressive_resize.enabled = false;
    c.epochs = 1;
    c.warmup.enabled = false;
    let epochs = run(c).epochs;
    assert!(epochs[0].train_loss.is_finite(), "{:?}", epochs[0]);
}

/// With none of them on, nothing of them shows: no EMA column in the metrics.
#[test]
fn metrics_of_a_run_without_the_new_tricks_have_no_ema_field() {
    let mut c = config(DeviceName::Flex);
    c.data.builtin_train_per_class = 8;
    c.data.builtin_val_per_class = 4;
    c.epochs = 1;
    c.warmup.enabled = false;
    c.batch_size = 8;
    let Run { epochs, jsonl, .. } = run(c);
    assert_eq!(epochs[0].ema_val_top1, None);
    assert!(!jsonl.contains("ema"), "{jsonl}");
}

/// The small baseline each trick below is switched on over: [`config`]'s MobileNet x0.5 on 2
/// built-in classes (chance: 50 % top-1), 128 training and 32 validation images a class, 5
/// epochs of batch 16 (16 steps each), half an epoch of warmup, then cosine decay.
fn small_baseline() -> RunConfig {
    let mut c = config(DeviceName::Flex);
    c.data.builtin_classes = 2;
    c.data.builtin_train_per_class = 128;
    c.data.builtin_val_per_class = 32;
    c.epochs = 5;
    c.batch_size = 16;
    c.warmup.epochs = 0.5;
    c
}

/// Each trick after the paper, on alone over [`small_baseline`], trains the built-in data
/// above chance: its best validation top-1 (for EMA: the average's) reaches 65 % where chance
/// is 50 %. Validation top-1 rather than training loss, because several tricks change what the
/// training loss measures (CutMix's mixed targets, BCE, RandAugment's harder images) but none
/// changes validation. Stochastic depth needs residual blocks: its run is a ResNet-18 with the
/// ImageNet stem (a 4x-downsampling stem: at 32 x 32 it costs a fraction of the small stem's
/// run, 40 s against 300 s here).
///
/// Ignored: no baseline cheap enough for CI learns reliably yet. Measured on 2026-11-29 (flex,
/// debug build, a shared 2-core machine; best val top-1 %, each run 13-23 s, stochastic depth
/// 40-44 s): with this baseline, seed 1: baseline 57.8, cutmix 78.1, ema 57.8, stochastic depth
/// 53.1, randaugment 65.6, repeated augment 59.4, progressive resize 53.1, tta 65.6, bce 79.7,
/// lamb 73.4, adamw 65.6; seed 2: 79.7, 81.2, 78.1, 79.7, 71.9, 76.6, 76.6, 79.7, 68.8, 57.8,
/// 67.2. The baseline itself lands anywhere from 58 to 80 % between seeds (its training loss
/// ends at 0.57-0.67 against ln 2 = 0.69 at chance: 80 steps under the paper's augmentation
/// are too few on this data); 4 classes with 64 images a class over 5 epochs gave 31-43 %
/// where chance is 25 %. `tricks_after_the_paper_all_on_train_on_builtin_data` checks that
/// every trick trains (finite losses, EMA logged); run this one with `--ignored`.
#[test]
#[ignore = "no baseline cheap enough for CI learns reliably yet (see the doc comment)"]
#[allow(clippy::type_complexity)]
fn each_trick_after_the_paper_learns_alone() {
    use botui::config::{LossKind, OptimizerKind};
    let tricks: [(&str, fn(&mut RunConfig)); 11] = [
        ("baseline", |_| {}),
        ("cutmix", |c| c.cutmix.enabled = true),
        ("ema", |c| {
            c.ema.enabled = true;
            c.ema.decay = 0.99;
        }),
        ("stochastic-depth", |c| {
            c.model.name = ModelName::ResNet(18);
            c.model.stem = botui::model::StemKind::Imagenet;
            c.stochastic_depth.enabled = true;
            c.stochastic_depth.rate = 0.1;
        }),
        ("randaugment", |c| c.randaugment.enabled = true),
        ("repeated-augment", |c| c.repeated_augment.enabled = true),
        ("progressive-resize", |c| {
            c.model.input = 48; // the validation side
            c.progressive_resize.enabled = true;
            c.progressive_resize.min_side = 32;
            c.progressive_resize.max_side = 48;
            c.progressive_resize.start_epoch = 1;
            c.progressive_resize.end_epoch = 3;
        }),
        ("tta", |c| c.tta.enabled = true),
        ("bce", |c| {
            c.loss.kind = LossKind::Bce;
            c.loss.target_threshold = Some(0.2);
        }),
        ("lamb", |c| {
            c.optimizer.kind = OptimizerKind::Lamb;
            c.optimizer.weight_decay = 0.02;
            c.base_lr = 1e-2;
        }),
        ("adamw", |c| {
            c.optimizer.kind = OptimizerKind::Adamw;
            c.optimizer.weight_decay = 0.05;
            c.base_lr = 4e-3;
        }),
    ];
    let mut failed = Vec::new();
    for (name, switch_on) in tricks {
        let mut c = small_baseline();
        switch_on(&mut c);
        let on: Vec<String> = c.tricks().iter().map(|t| t.short_name()).collect();
        assert!(
            name == "baseline" || on.contains(&name.to_string()),
            "{name} is not on: {on:?}"
        );
        let started = std::time::Instant::now();
        let epochs = run(c).epochs;
        let best = |f: fn(&botui::train::EpochMetrics) -> Option<f64>| {
            epochs.iter().filter_map(f).fold(0.0, f64::max)
        };
        let top1 = if name == "ema" {
            best(|m| m.ema_val_top1)
        } else {
            best(|m| Some(m.val_top1))
        };
        let tops: Vec<String> = epochs
            .iter()
            .map(|m| format!("{:.0}", m.val_top1))
            .collect();
        eprintln!(
            "{name}: best val top-1 {top1:.1} % (per epoch {}; train loss {:.3} -> {:.3}) in {:.1} s",
            tops.join(" "),
            epochs[0].train_loss,
            epochs[epochs.len() - 1].train_loss,
            started.elapsed().as_secs_f64()
        );
        if top1 < 65.0 {
            failed.push(format!("{name}: {top1:.1} %"));
        }
    }
    assert!(failed.is_empty(), "below 65 % (chance 50 %): {failed:?}");
}
