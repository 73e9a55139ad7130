//! `botui bench train`: images per second of full training steps (forward, backward,
//! optimizer) on random data after warm-up, the same step `benches/train_pytorch.py` times in
//! PyTorch eager, in FP32 or low precision (FP16 with dynamic loss scaling, BF16), with the GPU
//! switches of a run's `[performance]` section.

use std::time::Instant;

use burn::optim::GradientsParams;
use burn::tensor::{Device, Distribution, FloatDType, Int, Tensor, TensorData};

use crate::config::{LowPrecision, RunConfig};
use crate::device::DeviceName;
use crate::dist::Ranks;
use crate::model::ModelConfig;
use crate::model::kernels::{self, cudnn, memory, profile::KernelTime};
use crate::train::loss::soft_cross_entropy;
use crate::train::optim::build_optimizer;
use crate::train::precision::{Compute, LossScaler, dtype_name, forward};

/// What to time.
#[derive(Debug, Clone)]
pub struct TrainBench {
    pub model: ModelConfig,
    pub device: DeviceName,
    pub batch: usize,
    pub warmup: usize,
    pub steps: usize,
    /// `None`: FP32.
    pub dtype: Option<FloatDType>,
    /// Low precision per operation (true) or the whole model cast (false).
    pub autocast: bool,
    pub channels_last: bool,
    pub cudnn_benchmark: bool,
    /// Also time each flex kernel within the timed steps (see [`kernels::profile`]).
    pub profile: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TrainBenchResult {
    pub model: String,
    pub device: String,
    pub input: usize,
    pub batch: usize,
    pub steps: usize,
    pub seconds: f64,
    pub images_per_sec: f64,
    /// "fused" (botui's training kernels) or "burn" (burn's composites).
    pub kernels: &'static str,
    /// "fp32", "fp16" or "bf16".
    pub precision: &'static str,
    /// "autocast" or "cast-model" in low precision, else "fp32".
    pub compute: &'static str,
    pub channels_last: bool,
    pub cudnn_benchmark: bool,
    /// FP16 steps skipped for a gradient overflow (the loss scale halves), timed steps only.
    pub skipped_steps: usize,
    /// Data-parallel ranks (1: a single process). `batch` is per rank; `images_per_sec` counts
    /// the images of all ranks.
    pub ranks: usize,
    /// With `profile`: the flex kernels' time over the timed steps, slowest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profile: Vec<KernelTime>,
}

/// Times `steps` training steps after `warmup` untimed ones. With `ranks`, every step also
/// averages the gradients over them (c10d's bucketed all-reduce), as data-parallel training
/// does; each rank trains on its own `batch`.
pub fn bench_train(
    b: &TrainBench,
    mut ranks: Option<&mut Ranks>,
) -> Result<TrainBenchResult, String> {
    let base = b.device.resolve().map_err(|e| e.to_string())?;
    cudnn::set_benchmark(b.cudnn_benchmark);
    base.seed(0);
    let ad = base.clone().autodiff();
    // An Option, as in the trainer: the optimizer gets the only handle on the parameters, so a
    // backend may update them in place.
    let mut net = Some(b.model.init(&ad).map_err(|e| e.to_string())?);
    let mut optim = build_optimizer(&RunConfig::default());
    let compute = Compute::new(b.dtype, b.autocast);
    let mut scaler =
        (b.dtype == Some(FloatDType::F16)).then(|| LossScaler::new(&LowPrecision::default()));
    let s = b.model.input;
    let x = Tensor::<4>::random([b.batch, 3, s, s], Distribution::Normal(0.0, 1.0), &base);
    let x = if b.channels_last {
        memory::channels_last(x)
    } else {
        x
    }
    .autodiff();
    let labels: Vec<i64> = (0..b.batch as i64)
        .map(|i| i % b.model.classes as i64)
        .collect();
    let y = Tensor::<1, Int>::from_data(TensorData::new(labels, [b.batch]), &ad);
    let targets = y.one_hot(b.model.classes).float();
    // Returns the steps skipped for an FP16 overflow.
    let mut run = |n: usize| {
        let mut skipped = 0;
        for _ in 0..n {
            let m = net.take().expect("the model is put back after every step");
            let logits = forward(&m, x.clone(), compute);
            let loss = soft_cross_entropy(logits, targets.clone());
            let loss = match &scaler {
                Some(s) => loss.mul_scalar(s.scale),
                None => loss,
            };
            let mut grads = GradientsParams::from_grads(loss.backward(), &m);
            if let Some(r) = ranks.as_deref_mut() {
                grads = r
                    .all_reduce_grads(&m, grads, &[])
                    .map_err(|e| e.to_string())?
                    .0;
            }
            // As in the trainer (and PyTorch's GradScaler): unscale, and skip the update when a
            // gradient overflowed.
            if let Some(s) = scaler.as_mut()
                && !s.unscale(&m, &mut grads)
            {
                skipped += 1;
                net = Some(m);
                continue;
            }
            net = Some(optim.step(0.01, m, grads));
        }
        sync(
            &base,
            net.as_ref()
                .expect("the model is put back after every step"),
        );
        Ok::<usize, String>(skipped)
    };
    run(b.warmup)?;
    if b.profile {
        kernels::profile::start();
    }
    let start = Instant::now();
    let skipped = run(b.steps)?;
    let seconds = start.elapsed().as_secs_f64();
    let kernel_times = if b.profile {
        kernels::profile::stop()
    } else {
        Vec::new()
    };
    let world = ranks.as_ref().map_or(1, |r| r.world().size);
    Ok(TrainBenchResult {
        model: b.model.display_name(),
        device: b.device.to_string(),
        input: s,
        batch: b.batch,
        steps: b.steps,
        seconds,
        images_per_sec: (b.steps * b.batch * world) as f64 / seconds,
        kernels: if kernels::burn_composites() {
            "burn"
        } else {
            "fused"
        },
        precision: dtype_name(b.dtype),
        compute: match compute {
            Compute::Fp32 => "fp32",
            Compute::Autocast(_) => "autocast",
            Compute::CastModel(_) => "cast-model",
        },
        channels_last: b.channels_last,
        cudnn_benchmark: b.cudnn_benchmark,
        skipped_steps: skipped,
        ranks: world,
        profile: kernel_times,
    })
}

/// Waits for queued work: reading one weight back forces every step before it to finish.
fn sync(device: &Device, net: &crate::model::Model) {
    let _ = device.sync();
    let _ = crate::model::trainable_params(net);
}
