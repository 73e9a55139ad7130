//! Data parallelism on c10d's Gloo backend, with two real rank processes (this test binary
//! started twice more, each running `rank_main`): two ranks with batch B reach the weights that
//! one process with batch 2B reaches after several NAG steps, and the ranks read disjoint
//! halves of every global batch.
//!
//! The model has no BatchNorm, so per-replica statistics cannot change the math; rank 1 starts
//! from other random weights, so the test also checks that rank 0's weights are broadcast.
//!
//! A second test kills one of two ranks with SIGKILL mid-training, with no supervisor (as under
//! `srun`): the other must exit non-zero within 60 s, naming the lost rank.
#![cfg(feature = "tch")]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use botui::config::RunConfig;
use botui::data::shard::Shard;
use botui::device::DeviceName;
use botui::dist::{Ranks, World};
use botui::train::loss::soft_cross_entropy;
use botui::train::optim::build_optimizer;
use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::{Linear, LinearConfig};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Int, Tensor, TensorData};

const CHILD_DIR: &str = "BOTUI_TEST_DIST_DIR";
/// Set for the ranks of the kill test: train until the other rank is gone.
const FOREVER: &str = "BOTUI_TEST_DIST_FOREVER";
const FEATURES: usize = 6;
const CLASSES: usize = 4;
const IMAGES: usize = 40;
/// Per-rank batch B; one process trains with 2B.
const B: usize = 4;
const STEPS: usize = 5;
const SEED: u64 = 7;
/// Largest |difference| allowed between the two runs' weights (f32; the two runs sum the same
/// per-image gradients in a different order).
const TOLERANCE: f32 = 1e-5;

#[derive(Module, Debug)]
struct Mlp {
    hidden: Linear,
    out: Linear,
}

impl Mlp {
    fn new(device: &Device) -> Mlp {
        Mlp {
            hidden: LinearConfig::new(FEATURES, 16).init(device),
            out: LinearConfig::new(16, CLASSES).init(device),
        }
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.out
            .forward(burn::tensor::activation::relu(self.hidden.forward(x)))
    }
}

/// Image `i`: a fixed pattern of its label plus a little of its index.
fn example(i: usize) -> (Vec<f32>, usize) {
    let label = i % CLASSES;
    let x = (0..FEATURES)
        .map(|f| ((label * 7 + f * 3) % 5) as f32 - 2.0 + 0.1 * ((i * 13 + f) % 7) as f32)
        .collect();
    (x, label)
}

/// The epoch's permutation, the same on every rank (a seeded shuffle).
fn epoch_order() -> Vec<usize> {
    let mut order: Vec<usize> = (0..IMAGES).collect();
    order.sort_by_key(|&i| (i as u64 ^ SEED).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    order
}

fn batch(indices: &[usize], device: &Device) -> (Tensor<2>, Tensor<2>) {
    let mut xs = Vec::new();
    let mut labels = Vec::new();
    for &i in indices {
        let (x, label) = example(i);
        xs.extend(x);
        labels.push(label as i64);
    }
    let n = indices.len();
    let x = Tensor::from_data(TensorData::new(xs, [n, FEATURES]), device);
    let y = Tensor::<1, Int>::from_data(TensorData::new(labels, [n]), device);
    (x, y.one_hot(CLASSES).float())
}

#[allow(clippy::field_reassign_with_default)] // reads as "the default, except"
fn config() -> RunConfig {
    let mut c = RunConfig::default();
    c.optimizer.weight_decay = 1e-3;
    c
}

#[derive(Default)]
struct Weights(Vec<f32>);

impl ModuleVisitor for Weights {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.extend(
            param
                .val()
                .into_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .unwrap(),
        );
    }
}

fn weights(model: &Mlp) -> Vec<f32> {
    let mut w = Weights::default();
    model.visit(&mut w);
    w.0
}

/// `STEPS` NAG steps over `order`'s batches of `batch_size`; with `ranks`, every gradient is
/// averaged over them first.
fn train(order: &[usize], batch_size: usize, seed: u64, ranks: Option<&mut Ranks>) -> Mlp {
    let device = DeviceName::LibTorch.resolve().unwrap();
    device.seed(seed);
    let ad = device.autodiff();
    let mut model = Mlp::new(&ad);
    let mut ranks = ranks;
    if let Some(r) = ranks.as_deref_mut() {
        model = r.broadcast_module(model).unwrap();
    }
    let mut optim = build_optimizer(&config());
    for step in 0..STEPS {
        let (x, y) = batch(&order[step * batch_size..(step + 1) * batch_size], &ad);
        let loss = soft_cross_entropy(model.forward(x), y);
        let mut grads = GradientsParams::from_grads(loss.backward(), &model);
        if let Some(r) = ranks.as_deref_mut() {
            let (reduced, sums) = r.all_reduce_grads(&model, grads, &[1.0]).unwrap();
            assert_eq!(sums, [2.0], "the extra numbers are summed over both ranks");
            grads = reduced;
        }
        model = optim.step(0.1, model, grads);
    }
    model
}

#[test]
#[ignore = "one rank of two_gloo_ranks_match_one_rank_with_twice_the_batch, started by it"]
fn rank_main() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    tch::set_num_threads(1);
    let world = World::from_env().unwrap().expect("started as a rank");
    let rank = world.rank;
    let mut ranks = Ranks::join(world, DeviceName::LibTorch).unwrap();
    if std::env::var(FOREVER).is_ok() {
        train_until_lost(&mut ranks, Path::new(&dir));
    }
    let shard = Shard::new(rank, 2);
    let mine = shard.train_order(&epoch_order(), 2 * B);
    // Rank 1 draws other initial weights: only the broadcast makes them rank 0's.
    let model = train(&mine, B, SEED + rank as u64, Some(&mut ranks));
    ranks.finish().unwrap();
    let out = serde_json::json!({ "weights": weights(&model), "seen": &mine[..STEPS * B] });
    std::fs::write(
        Path::new(&dir).join(format!("rank{rank}.json")),
        out.to_string(),
    )
    .unwrap();
}

fn read(dir: &Path, rank: usize) -> (Vec<f32>, Vec<usize>) {
    let text = std::fs::read_to_string(dir.join(format!("rank{rank}.json"))).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    (
        serde_json::from_value(v["weights"].clone()).unwrap(),
        serde_json::from_value(v["seen"].clone()).unwrap(),
    )
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Two ranks: this test binary running `rank_main`, with the environment `env` gives rank r.
fn spawn_ranks(dir: &Path, env: impl Fn(usize, &mut Command)) -> Vec<std::process::Child> {
    (0..2)
        .map(|rank| {
            let mut c = Command::new(std::env::current_exe().unwrap());
            c.args([
                "rank_main",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, dir)
            .stdout(Stdio::null());
            env(rank, &mut c);
            c.spawn().unwrap()
        })
        .collect()
}

#[test]
fn two_gloo_ranks_match_one_rank_with_twice_the_batch() {
    if std::env::var(CHILD_DIR).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = botui::dist::launch::rendezvous_port(None).unwrap();
    let mut children = spawn_ranks(dir.path(), |rank, c| {
        c.env("RANK", rank.to_string())
            .env("WORLD_SIZE", "2")
            .env("MASTER_ADDR", "127.0.0.1")
            .env("MASTER_PORT", port.to_string())
            .env("BOTUI_DIST_TIMEOUT", "60");
    });
    let deadline = Instant::now() + Duration::from_secs(240);
    for (rank, child) in children.iter_mut().enumerate() {
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "rank {rank} failed: {status}");
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("rank {rank} did not finish in 240 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let (w0, seen0) = read(dir.path(), 0);
    let (w1, seen1) = read(dir.path(), 1);
    assert_eq!(w0, w1, "the replicas' weights are identical");

    // Disjoint halves that together are the single process's batches, step by step.
    let order = epoch_order();
    for step in 0..STEPS {
        let local = |seen: &[usize]| seen[step * B..(step + 1) * B].to_vec();
        let mut union = [local(&seen0), local(&seen1)].concat();
        assert!(local(&seen0).iter().all(|i| !local(&seen1).contains(i)));
        let mut global = order[step * 2 * B..(step + 1) * 2 * B].to_vec();
        union.sort();
        global.sort();
        assert_eq!(union, global, "step {step}");
    }

    tch::set_num_threads(1);
    let reference = weights(&train(&order, 2 * B, SEED, None));
    let diff = max_diff(&w0, &reference);
    assert!(
        diff < TOLERANCE,
        "2 ranks x {B} vs 1 x {}: max |diff| {diff}",
        2 * B
    );
    // The check can fail: one process with batch B alone lands elsewhere.
    let alone = weights(&train(&seen0, B, SEED, None));
    assert!(max_diff(&alone, &reference) > 100.0 * TOLERANCE);
}

/// Steps until a collective fails; prints the error and exits 1, as a botui rank does.
fn train_until_lost(ranks: &mut Ranks, dir: &Path) -> ! {
    let device = DeviceName::LibTorch.resolve().unwrap();
    let ad = device.autodiff();
    let mut model = ranks.broadcast_module(Mlp::new(&ad)).unwrap();
    let mut optim = build_optimizer(&config());
    let order = epoch_order();
    for step in 0.. {
        let start = (step * B) % (IMAGES - B);
        let (x, y) = batch(&order[start..start + B], &ad);
        let loss = soft_cross_entropy(model.forward(x), y);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        match ranks.all_reduce_grads(&model, grads, &[]) {
            Ok((grads, _)) => model = optim.step(0.1, model, grads),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        }
        if step == 3 {
            let rank = ranks.world().rank;
            std::fs::write(dir.join(format!("stepping{rank}")), "").unwrap();
        }
    }
    unreachable!()
}

#[test]
fn a_killed_rank_is_named_by_the_survivor_within_60_s() {
    if std::env::var(CHILD_DIR).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = botui::dist::launch::rendezvous_port(None).unwrap();
    let mut ranks = spawn_ranks(dir.path(), |rank, c| {
        c.env(FOREVER, "1")
            .env("SLURM_PROCID", rank.to_string())
            .env("SLURM_NTASKS", "2")
            .env("SLURM_JOB_NODELIST", "127.0.0.1")
            .env("MASTER_PORT", port.to_string())
            .env("BOTUI_DIST_TIMEOUT", "120")
            .stderr(Stdio::piped());
    });
    let deadline = Instant::now() + Duration::from_secs(240);
    while !(0..2).all(|r| dir.path().join(format!("stepping{r}")).exists()) {
        assert!(
            Instant::now() < deadline,
            "the ranks did not start stepping in 240 s"
        );
        for (rank, child) in ranks.iter_mut().enumerate() {
            assert!(
                child.try_wait().unwrap().is_none(),
                "rank {rank} ended early"
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut victim = ranks.pop().unwrap();
    victim.kill().unwrap(); // SIGKILL
    victim.wait().unwrap();
    let killed = Instant::now();
    let mut survivor = ranks.pop().unwrap();
    let status = loop {
        if let Some(status) = survivor.try_wait().unwrap() {
            break status;
        }
        if killed.elapsed() > Duration::from_secs(60) {
            let _ = survivor.kill();
            panic!("rank 0 still runs 60 s after rank 1 was killed");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut survivor.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("rank 0: lost rank 1"), "{stderr}");
}
