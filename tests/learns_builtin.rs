//! A short run on the built-in dataset, through the real loader and the paper's augmentation,
//! ends well above chance: on flex always, alone and with each trick after the paper, and on
//! LibTorch (CPU) in a `tch` build.

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

#[cfg(feature = "tch")]
#[test]
fn libtorch_learns_the_builtin_data() {
    let (best, _) = learns_over_seeds(&config(DeviceName::LibTorch), &[("libtorch", RAW)], 50.0);
    assert!(
        best[0] >= 50.0,
        "best val top-1 {} %, chance is 25 %",
        best[0]
    );
}

/// BF16 forward and backward with FP32 master weights on LibTorch's CPU (Sec. 3.2, on a CPU
/// with AVX512-BF16): the log says so, and the run learns like the FP32 one (a CI run on
/// 2026-11-29 ended at 48.4 % on the first seed, where the bar is 50 %: it gets the same
/// retries).
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
    let (best, Run { logs, .. }) = learns_over_seeds(&c, &[("libtorch bf16", RAW)], 50.0);
    assert!(
        logs.iter()
            .any(|l| l.contains("low precision: BF16") && l.contains("FP32 master weights")),
        "{logs:?}"
    );
    assert!(
        best[0] >= 50.0,
        "best val top-1 {} %, chance is 25 %",
        best[0]
    );
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

/// The small baseline each trick after the paper is switched on over: MobileNet x0.25 at
/// 32 x 32 on 2 built-in classes at difficulty 0 (clean objects; chance: 50 % top-1), 128
/// training and 128 validation images a class, the paper's crop keeping half the image or more
/// and its flip (no color jitter or lighting), 8 epochs of batch 16 (16 steps each), NAG lr
/// 0.05, half an epoch of warmup, then cosine decay; seed 1.
fn small_baseline() -> RunConfig {
    let mut c = config(DeviceName::Flex);
    c.seed = 1;
    c.model.width = 0.25;
    c.data.builtin_classes = 2;
    c.data.builtin_val_per_class = 128;
    c.data.builtin_difficulty = 0.0;
    c.augment.crop_area = [0.5, 1.0];
    c.augment.color_jitter = false;
    c.augment.lighting = false;
    c.batch_size = 16;
    c.warmup.epochs = 0.5;
    c
}

/// A run has learned when its best validation top-1 reaches this, where chance is 50 %: a
/// network that has learned nothing predicts one class for every image (exactly 50 % of the
/// 256), and a guess's top-1 on 256 images has a standard deviation of 3.1 points.
const LEARNED: f64 = 65.0;

/// How many seeds a run is tried with (its own, then the next ones) until it has learned. A
/// short run's trajectory
/// varies with the seed and also with the machine (flex splits its sums by thread count: one
/// thread and two give different runs from one seed). Measured on this baseline (2026-11-29, 2
/// cores; 41 runs, 3 to 7 seeds a trick): 2 ended below [`LEARNED`], both CutMix (61 and 62 %,
/// in 2 of its 7 seeds, each of its other seeds 77-89 %); the lowest of the rest was 68 %. A
/// trick that stops learning stays near 50 % on every seed (breaking BCE's targets: 52.7, 52.3
/// and 50.0 %).
const TRIES: u64 = 3;

type Metric = fn(&botui::train::EpochMetrics) -> Option<f64>;

/// One run over [`small_baseline`] and what it is judged by.
struct TrickRun {
    /// The trick it switches on, as `RunConfig::tricks()` names it.
    trick: &'static str,
    switch_on: fn(&mut RunConfig),
    /// (what is judged, its top-1 per epoch): the trick's own, or two where an
    /// evaluation-only trick rides along on the baseline without touching its training.
    judged: Vec<(&'static str, Metric)>,
}

impl TrickRun {
    /// `trick` on alone, judged by the run's validation top-1.
    fn alone(trick: &'static str, switch_on: fn(&mut RunConfig)) -> Self {
        TrickRun {
            trick,
            switch_on,
            judged: vec![(trick, RAW)],
        }
    }
}

const RAW: Metric = |m| Some(m.val_top1);

/// Trains `c` on its own seed and, while some judged top-1 has not reached `bar` on any run
/// yet, on the next seeds ([`TRIES`] runs at most). Every run's losses must be finite and it
/// must end all its epochs. Returns each judged top-1's best over the runs tried, and the last
/// run.
fn learns_over_seeds(c: &RunConfig, judged: &[(&str, Metric)], bar: f64) -> (Vec<f64>, Run) {
    let mut best = vec![0.0_f64; judged.len()];
    let mut seed = c.seed;
    loop {
        let started = std::time::Instant::now();
        let tried = run(RunConfig { seed, ..c.clone() });
        let epochs = &tried.epochs;
        assert_eq!(epochs.len(), c.epochs);
        for m in epochs {
            assert!(m.train_loss.is_finite(), "{m:?}");
        }
        for ((name, metric), best) in judged.iter().zip(&mut best) {
            let tops: Vec<f64> = epochs.iter().filter_map(metric).collect();
            let top = tops.iter().copied().fold(0.0, f64::max);
            let per_epoch: Vec<String> = tops.iter().map(|t| format!("{t:.0}")).collect();
            eprintln!(
                "{name}, seed {seed}: best val top-1 {top:.1} % (per epoch {}; train loss {:.3} \
                 -> {:.3}) in {:.1} s",
                per_epoch.join(" "),
                epochs[0].train_loss,
                epochs[epochs.len() - 1].train_loss,
                started.elapsed().as_secs_f64()
            );
            *best = best.max(top);
        }
        seed += 1;
        if best.iter().all(|&b| b >= bar) || seed == c.seed + TRIES {
            return (best, tried);
        }
    }
}

/// Each trick after the paper, on alone over [`small_baseline`], learns the built-in data: its
/// best validation top-1 reaches [`LEARNED`]. Validation top-1 rather than training loss,
/// because several tricks change what the training loss measures (CutMix's mixed targets, BCE,
/// RandAugment's harder images) but none changes validation. The baseline itself is judged in
/// the same way (it is the flex learning run of this file), with EMA beside it: an EMA only
/// reads the weights, so that run's raw top-1 is the baseline's and its average's top-1 is
/// EMA's. Stochastic depth needs residual blocks: its run is a ResNet-18 with the ImageNet stem
/// (4x downsampling: a fifth of the small stem's cost at 32 x 32) and zero-init of each block's
/// last BN (as timm's ResNets, which RSB trains), for 4 epochs.
#[test]
fn flex_learns_the_builtin_data_and_so_does_each_trick_after_the_paper() {
    use botui::config::{LossKind, OptimizerKind};
    let runs = [
        TrickRun {
            trick: "ema",
            switch_on: |c| {
                c.ema.enabled = true;
                c.ema.decay = 0.99;
            },
            judged: vec![("baseline", RAW), ("ema", |m| m.ema_val_top1)],
        },
        // CutMix's own CIFAR runs mix half the batches (its ImageNet runs: all).
        TrickRun::alone("cutmix", |c| {
            c.cutmix.enabled = true;
            c.cutmix.probability = 0.5;
        }),
        TrickRun::alone("stochastic-depth", |c| {
            c.model.name = ModelName::ResNet(18);
            c.model.stem = botui::model::StemKind::Imagenet;
            c.zero_gamma.enabled = true;
            c.stochastic_depth.enabled = true;
            c.stochastic_depth.rate = 0.1;
            c.epochs = 4;
        }),
        TrickRun::alone("randaugment", |c| c.randaugment.enabled = true),
        TrickRun::alone("repeated-augment", |c| c.repeated_augment.enabled = true),
        // FFCV's 160 -> 192 is a rise of 1.2x; here 32 -> 40, validated at 40.
        TrickRun::alone("progressive-resize", |c| {
            c.model.input = 40;
            c.progressive_resize.enabled = true;
            c.progressive_resize.min_side = 32;
            c.progressive_resize.max_side = 40;
            c.progressive_resize.start_epoch = 1;
            c.progressive_resize.end_epoch = 3;
        }),
        TrickRun::alone("tta", |c| c.tta.enabled = true),
        TrickRun::alone("bce", |c| {
            c.loss.kind = LossKind::Bce;
            c.loss.target_threshold = Some(0.2);
        }),
        TrickRun::alone("lamb", |c| {
            c.optimizer.kind = OptimizerKind::Lamb;
            c.optimizer.weight_decay = 0.02;
            c.base_lr = 1e-2;
        }),
        TrickRun::alone("adamw", |c| {
            c.optimizer.kind = OptimizerKind::Adamw;
            c.optimizer.weight_decay = 0.05;
            c.base_lr = 4e-3;
        }),
    ];
    let mut failed = Vec::new();
    for trick_run in &runs {
        let mut c = small_baseline();
        (trick_run.switch_on)(&mut c);
        let on: Vec<String> = c.tricks().iter().map(|t| t.short_name()).collect();
        let trick = trick_run.trick;
        assert!(on.iter().any(|t| t == trick), "{trick} is not on: {on:?}");
        let (best, _) = learns_over_seeds(&c, &trick_run.judged, LEARNED);
        for ((name, _), b) in trick_run.judged.iter().zip(&best) {
            if *b < LEARNED {
                failed.push(format!("{name}: {b:.1} %"));
            }
        }
    }
    assert!(
        failed.is_empty(),
        "below {LEARNED} % on each of {TRIES} seeds (chance 50 %): {failed:?}"
    );
}
