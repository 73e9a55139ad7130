//! `botui bench train`: images per second of full training steps (forward, backward,
//! optimizer) on random data after warm-up, the same step `benches/train_pytorch.py` times in
//! PyTorch eager.

use std::time::Instant;

use burn::optim::GradientsParams;
use burn::tensor::{Device, Distribution, Int, Tensor, TensorData};

use crate::config::RunConfig;
use crate::device::DeviceName;
use crate::dist::Ranks;
use crate::model::ModelConfig;
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
    /// Data-parallel ranks (1: a single process). `batch` is per rank; `images_per_sec` counts
    /// the images of all ranks.
    pub ranks: usize,
}

/// Times `steps` training steps after `warmup` untimed ones. With `ranks`, every step also
/// averages the gradients over them (c10d's bucketed all-reduce), as data-parallel training
/// does; each rank trains on its own `batch`.
pub fn bench_train(
    model: &ModelConfig,
    device: DeviceName,
    batch: usize,
    warmup: usize,
    steps: usize,
    mut ranks: Option<&mut Ranks>,
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
            let mut grads = GradientsParams::from_grads(loss.backward(), &m);
            if let Some(r) = ranks.as_deref_mut() {
                grads = r
                    .all_reduce_grads(&m, grads, &[])
                    .map_err(|e| e.to_string())?
                    .0;
            }
            net = Some(optim.step(0.01, m, grads));
        }
        sync(
            &base,
            net.as_ref()
                .expect("the model is put back after every step"),
        );
        Ok::<(), String>(())
    };
    run(warmup)?;
    let start = Instant::now();
    run(steps)?;
    let seconds = start.elapsed().as_secs_f64();
    let world = ranks.as_ref().map_or(1, |r| r.world().size);
    Ok(TrainBenchResult {
        model: model.display_name(),
        device: device.to_string(),
        input: s,
        batch,
        steps,
        seconds,
        images_per_sec: (steps * batch * world) as f64 / seconds,
        kernels: if crate::model::kernels::burn_composites() {
            "burn"
        } else {
            "fused"
        },
        ranks: world,
    })
}

/// Waits for queued work: reading one weight back forces every step before it to finish.
fn sync(device: &Device, net: &crate::model::Model) {
    let _ = device.sync();
    let _ = crate::model::trainable_params(net);
}
