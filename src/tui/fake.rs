//! Made-up but plausible workbench data, for `botui bench ui` and the screen snapshots: a run
//! with a given number of epochs and iterations, GPUs or a CPU-only machine, log lines.

use std::path::PathBuf;

use botui::config::{DecayKind, PaperReference, RunConfig};
use botui::hw::{GpuSample, HostSample, HwSample};
use botui::model::{ModelName, ResNetVariant};
use botui::train::schedule::LrSchedule;
use botui::train::{EpochMetrics, IterationStats, LogLevel, RunStart, TrainEvent};

use super::app::{App, Msg};

/// ResNet-50-D with warmup, cosine and label smoothing, batch 1024: the paper's row.
pub fn paper_config(epochs: usize) -> RunConfig {
    let mut c = RunConfig {
        name: "resnet50d-label-smoothing".into(),
        batch_size: 1024,
        epochs,
        ..RunConfig::default()
    };
    c.model.name = ModelName::ResNet(50);
    c.model.variant = ResNetVariant::D;
    c.warmup.enabled = true;
    c.zero_gamma.enabled = true;
    c.no_bias_decay.enabled = true;
    c.schedule.decay = DecayKind::Cosine;
    c.label_smoothing.enabled = true;
    c.paper = Some(PaperReference {
        table: "Table 6".into(),
        row: "+ label smoothing".into(),
        model: "ResNet-50-D".into(),
        top1: 78.31,
        top5: Some(94.09),
    });
    c
}

/// Epoch `e` (1-based) of a run that climbs towards 78 % top-1.
pub fn epoch(e: usize, epochs: usize, lr: f64) -> EpochMetrics {
    let t = e as f64 / epochs as f64;
    let top1 = 78.0 * (1.0 - (-4.0 * t).exp()) + if e.is_multiple_of(7) { -1.5 } else { 0.0 };
    EpochMetrics {
        epoch: e,
        train_loss: 6.9 * (-3.0 * t).exp() + 0.9,
        train_top1: Some(top1 - 2.0),
        val_loss: 6.9 * (-3.0 * t).exp() + 1.0,
        val_top1: top1,
        val_top5: (top1 + 16.0).min(99.0),
        ema_val_top1: None,
        lr,
        images_per_sec: 2900.0,
        data_wait_seconds: 1.5,
        seconds: 440.0,
        skipped_images: 0,
    }
}

/// The `Started` event of `config` with `iters_per_epoch` iterations per epoch.
pub fn started(config: &RunConfig, iters_per_epoch: usize) -> TrainEvent {
    TrainEvent::Started(Box::new(RunStart {
        run_dir: PathBuf::from("/runs/fake"),
        config: config.clone(),
        classes: (0..1000).map(|c| format!("class{c}")).collect(),
        train_images: iters_per_epoch * config.batch_size,
        val_images: 50_000,
        iters_per_epoch,
        lr_plan: LrSchedule::new(config, iters_per_epoch).plan(),
        history: Vec::new(),
        model_params: 25_576_264,
    }))
}

/// An iteration report with a noisy, falling loss.
pub fn iteration(i: usize, iters_per_epoch: usize, total: usize, lr: f64) -> TrainEvent {
    let t = i as f64 / total.max(1) as f64;
    let noise = ((i as f64 * 12.9898).sin() * 43_758.545).fract() * 0.3;
    TrainEvent::Iteration(IterationStats {
        epoch: i / iters_per_epoch.max(1),
        iteration: i,
        lr,
        loss: 6.9 * (-3.0 * t).exp() + 0.9 + noise,
        top1: Some(70.0 * t),
        images_per_sec: 2900.0 + 100.0 * noise,
        data_wait: 0.02,
    })
}

/// `n` H100-like GPUs, busy.
pub fn gpus(n: usize, step: usize) -> Vec<GpuSample> {
    (0..n)
        .map(|i| GpuSample {
            index: i as u32,
            name: "NVIDIA H100 80GB HBM3".into(),
            utilization: (80 + (step * 7 + i * 3) % 20) as f32,
            memory_used: (60u64 + i as u64) << 30,
            memory_total: 80u64 << 30,
            temperature_c: Some(60 + (i as u32 % 5)),
            power_w: Some(520.0 + 10.0 * i as f32),
            power_limit_w: Some(700.0),
        })
        .collect()
}

pub fn host(step: usize) -> HostSample {
    HostSample {
        cores: 2,
        cpu_percent: 90.0 + (step % 10) as f32,
        memory_used: 6 << 30,
        memory_total: 24 << 30,
        process_cpu_percent: 85.0 + (step % 5) as f32,
        process_memory: 3 << 29,
    }
}

/// Feeds `samples` hardware samples with `n_gpus` GPUs (0: a CPU-only machine).
pub fn feed_hw(app: &mut App, n_gpus: usize, samples: usize) {
    for step in 0..samples {
        app.update(Msg::Hw(HwSample {
            gpus: gpus(n_gpus, step),
            host: host(step),
            gpu_note: (n_gpus == 0).then(|| "no NVIDIA driver (NVML library not found)".into()),
        }));
    }
}

/// An app in the middle of a long run: `epochs` planned, `done` finished, `iters_per_epoch`
/// iterations each, every iteration reported, `n_gpus` GPUs, the log full.
pub fn long_run_app(epochs: usize, done: usize, iters_per_epoch: usize, n_gpus: usize) -> App {
    let config = paper_config(epochs);
    let mut app = App::new(config.clone(), vec!["flex".into()]);
    app.run = Some(super::run::RunState::starting(config.clone()));
    app.update(Msg::Train(started(&config, iters_per_epoch)));
    let plan = app
        .run
        .as_ref()
        .map(|r| r.lr_plan.clone())
        .unwrap_or_default();
    let total = plan.len();
    for e in 0..done {
        let this_epoch = e * iters_per_epoch..(e + 1) * iters_per_epoch;
        for (i, lr) in plan[this_epoch.clone()].iter().enumerate() {
            let i = this_epoch.start + i;
            app.update(Msg::Train(iteration(i, iters_per_epoch, total, *lr)));
        }
        let lr = plan[(e + 1) * iters_per_epoch - 1];
        app.update(Msg::Train(TrainEvent::EpochEnd(epoch(e + 1, epochs, lr))));
    }
    feed_hw(&mut app, n_gpus, 120);
    for i in 0..600usize {
        let level = if i.is_multiple_of(3) {
            LogLevel::Warning
        } else {
            LogLevel::Info
        };
        app.update(Msg::Train(TrainEvent::Log {
            level,
            message: format!("log line {i}: 3 images could not be read and were skipped"),
        }));
    }
    app
}

/// What evaluating a tiny 4-class run reports: one class always right, one mostly confused
/// with another.
#[cfg(test)]
pub fn eval_report() -> botui::eval::EvalReport {
    use botui::eval::{ClassAccuracy, ConfusedPair, EvalReport};
    let class = |name: &str, images, correct| ClassAccuracy {
        class: name.into(),
        images,
        correct,
        top1: Some(100.0 * correct as f64 / images as f64),
    };
    EvalReport {
        model: "resnet18-B".into(),
        file: "runs/a/best.ckpt".into(),
        epoch: Some(2),
        trained_top1: Some(62.5),
        data: "builtin".into(),
        images: 32,
        input: 32,
        batch_size: 16,
        tta: false,
        loss: 0.9321,
        top1: 62.5,
        top5: 100.0,
        top_k: 4,
        per_class: vec![
            class("circle", 8, 8),
            class("square", 8, 2),
            class("ring", 8, 5),
            class("disk", 8, 5),
        ],
        confused: vec![ConfusedPair {
            class: "square".into(),
            predicted: "circle".into(),
            images: 6,
            share: 75.0,
        }],
    }
}
