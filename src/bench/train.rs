//! `botui bench train`: images per second of full training steps (forward, backward,
//! optimizer) on random data after warm-up, the same step `benches/train_pytorch.py` times in
//! PyTorch eager.

use std::time::Instant;

use burn::optim::GradientsParams;
use burn::tensor::{Device, Distribution, Int, Tensor, TensorData};

use crate::config::RunConfig;
use crate::device::DeviceName;
use crate::model::ModelConfig;
use crate::model::kernels::{self, profile::KernelTime};
use crate::train::loss::soft_cross_entropy;
use crate::train::optim::build_optimizer;

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
    /// With `profile`: the flex kernels' time over the timed steps, slowest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profile: Vec<KernelTime>,
}

/// Times `steps` training steps after `warmup` untimed ones; with `profile`, also each flex
/// kernel within them (see [`kernels::profile`]).
pub fn bench_train(
    model: &ModelConfig,
    device: DeviceName,
    batch: usize,
    warmup: usize,
    steps: usize,
    profile: bool,
) -> Result<TrainBenchResult, String> {
    let base = device.resolve().map_err(|e| e.to_string())?;
    base.seed(0);
    let ad = base.clone().autodiff();
    // An Option, as in the trainer: the optimizer gets the only handle on the parameters, so a
    // backend may update them in place.
    let mut net = Some(model.init(&ad).map_err(|e| e.to_string())?);
    let mut optim = build_optimizer(&RunConfig::default());
    let s = model.input;
    let x = Tensor::<4>::random([batch, 3, s, s], Distribution::Normal(0.0, 1.0), &ad);
    let labels: Vec<i64> = (0..batch as i64)
        .map(|i| i % model.classes as i64)
        .collect();
    let y = Tensor::<1, Int>::from_data(TensorData::new(labels, [batch]), &ad);
    let targets = y.one_hot(model.classes).float();
    let mut run = |n: usize| {
        for _ in 0..n {
            let m = net.take().expect("the model is put back after every step");
            let logits = m.forward(x.clone());
            let loss = soft_cross_entropy(logits, targets.clone());
            let grads = GradientsParams::from_grads(loss.backward(), &m);
            net = Some(optim.step(0.01, m, grads));
        }
        sync(
            &base,
            net.as_ref()
                .expect("the model is put back after every step"),
        );
    };
    run(warmup);
    if profile {
        kernels::profile::start();
    }
    let start = Instant::now();
    run(steps);
    let seconds = start.elapsed().as_secs_f64();
    let kernel_times = if profile {
        kernels::profile::stop()
    } else {
        Vec::new()
    };
    Ok(TrainBenchResult {
        model: model.display_name(),
        device: device.to_string(),
        input: s,
        batch,
        steps,
        seconds,
        images_per_sec: (steps * batch) as f64 / seconds,
        kernels: if kernels::burn_composites() {
            "burn"
        } else {
            "fused"
        },
        profile: kernel_times,
    })
}

/// Waits for queued work: reading one weight back forces every step before it to finish.
fn sync(device: &Device, net: &crate::model::Model) {
    let _ = device.sync();
    let _ = crate::model::trainable_params(net);
}
