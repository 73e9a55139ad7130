//! `botui bench ...`: throughput benchmarks. Each prints its numbers; compare them with a
//! reference measured in the same run (see benches/ and the README).

use anyhow::Context;
use botui::bench::train::{TrainBench, TrainBenchResult, bench_train};
use botui::config::{LowPrecision, Precision};
use botui::device::DeviceName;
use botui::dist::launch::{self, Launch, without_flags};
use botui::dist::plan::{Placement, place};
use botui::dist::ranks::check_device;
use botui::dist::{Ranks, World};
use botui::model::{ModelConfig, StemKind, parse_model};
use botui::train::precision::check_support;
use burn::tensor::FloatDType;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchCommand,
}

#[derive(clap::Subcommand, Debug)]
enum BenchCommand {
    /// Images per second of full training steps (forward, backward, optimizer).
    Train(TrainArgs),
    /// Images/s through decode + the paper's training transform (compare with
    /// benches/data_torchvision.py).
    Data(super::bench_data::BenchDataArgs),
    /// Milliseconds to draw one full workbench frame with a long run's worth of data.
    Ui(UiArgs),
}

#[derive(clap::Args, Debug)]
struct UiArgs {
    #[arg(long, default_value_t = 200)]
    width: u16,
    #[arg(long, default_value_t = 60)]
    height: u16,
    /// Epochs of the fake run (all finished).
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    /// Iterations of the fake run: lr plan and loss history length.
    #[arg(long, default_value_t = 100_000)]
    iterations: usize,
    /// Fake NVIDIA GPUs (0: the CPU-only hardware pane).
    #[arg(long, default_value_t = 8)]
    gpus: usize,
    /// Frames timed per tab.
    #[arg(long, default_value_t = 200)]
    frames: usize,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
struct TrainArgs {
    /// Zoo model (resnet18, resnet50d, mobilenet, inception_v3, ...).
    #[arg(long, default_value = "resnet18")]
    model: String,
    /// Image side.
    #[arg(long, default_value_t = 32)]
    input: usize,
    #[arg(long, default_value_t = 128)]
    batch: usize,
    #[arg(long, default_value = "flex")]
    device: DeviceName,
    #[arg(long, default_value_t = 100)]
    classes: usize,
    /// Untimed steps first.
    #[arg(long, default_value_t = 2)]
    warmup: usize,
    /// Timed steps.
    #[arg(long, default_value_t = 5)]
    steps: usize,
    /// Stem: auto, imagenet or small.
    #[arg(long, default_value = "auto")]
    stem: String,
    /// Training kernels for conv backward, BN and ReLU: fused (botui's, the default) or burn
    /// (burn's composite operations), to measure one against the other.
    #[arg(long, default_value = "fused", value_parser = ["fused", "burn"])]
    kernels: String,
    /// Data-parallel: N ranks on this machine (LibTorch: Gloo on the CPU, NCCL on GPUs), each
    /// with --batch images and the gradient all-reduce in every step. Runs one rank first and
    /// prints the scaling efficiency: images/s of N ranks / (N x images/s of one rank).
    #[arg(long, value_name = "N")]
    nproc: Option<usize>,
    /// The rendezvous port for --nproc (default: a free one).
    #[arg(long, value_name = "PORT", requires = "nproc")]
    master_port: Option<u16>,
    /// LibTorch CPU threads per process (default: LibTorch's choice, one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// fp32, fp16 (with dynamic loss scaling; CUDA) or bf16 (CUDA, or a CPU with AVX512-BF16).
    #[arg(long, default_value = "fp32", value_parser = ["fp32", "fp16", "bf16"])]
    precision: String,
    /// Low precision per operation like torch.autocast (on), or the whole model cast (off).
    #[arg(long, default_value = "on", value_parser = ["on", "off"])]
    autocast: String,
    /// Images and activations in the channels_last memory format (LibTorch).
    #[arg(long)]
    channels_last: bool,
    /// cuDNN autotuning (torch.backends.cudnn.benchmark).
    #[arg(long)]
    cudnn_benchmark: bool,
    /// Also time each flex training kernel (per shape) during the timed steps and print where
    /// the step's time goes (with --json: a "profile" list).
    #[arg(long)]
    profile: bool,
    #[arg(long)]
    json: bool,
}

/// Where a rank of `bench train --nproc` leaves rank 0's result for the launcher.
const BENCH_OUT: &str = "BOTUI_BENCH_OUT";

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.what {
        BenchCommand::Data(a) => super::bench_data::bench_data(a),
        BenchCommand::Ui(a) => bench_ui(a),
        BenchCommand::Train(a) => {
            let (name, variant) = parse_model(&a.model)?;
            let mut config = ModelConfig::new(name, a.classes, a.input);
            config.variant = variant.unwrap_or_default();
            config.stem = match a.stem.as_str() {
                "auto" => StemKind::Auto,
                "imagenet" => StemKind::Imagenet,
                "small" => StemKind::Small,
                other => anyhow::bail!("unknown stem '{other}': expected auto, imagenet or small"),
            };
            botui::model::kernels::use_burn_composites(a.kernels == "burn");
            let dtype = match a.precision.as_str() {
                "fp16" => Some(FloatDType::F16),
                "bf16" => Some(FloatDType::BF16),
                _ => None,
            };
            if dtype.is_some() {
                let low = LowPrecision {
                    enabled: true,
                    dtype: if dtype == Some(FloatDType::F16) {
                        Precision::Fp16
                    } else {
                        Precision::Bf16
                    },
                    ..LowPrecision::default()
                };
                check_support(&low, a.device).map_err(|why| {
                    anyhow::anyhow!("--precision {} on {}: {why}", a.precision, a.device)
                })?;
            }
            if let Some(n) = a.nproc {
                return bench_ranks(&a, n);
            }
            set_threads(a.threads)?;
            let mut bench = TrainBench {
                model: config,
                device: a.device,
                batch: a.batch,
                warmup: a.warmup,
                steps: a.steps,
                dtype,
                autocast: a.autocast == "on",
                channels_last: a.channels_last,
                cudnn_benchmark: a.cudnn_benchmark,
                profile: a.profile,
            };
            let r = match World::from_env()? {
                Some(world) => {
                    bench.device = world.device(a.device)?;
                    let leader = world.is_leader();
                    let mut ranks = Ranks::join(world, bench.device)?;
                    let r = bench_train(&bench, Some(&mut ranks))
                        .map_err(anyhow::Error::msg)
                        .context("bench train")?;
                    ranks.finish()?;
                    if !leader {
                        return Ok(());
                    }
                    r
                }
                None => bench_train(&bench, None)
                    .map_err(anyhow::Error::msg)
                    .context("bench train")?,
            };
            if let Some(path) = std::env::var_os(BENCH_OUT) {
                std::fs::write(&path, serde_json::to_string(&r)?)
                    .with_context(|| format!("cannot write {}", path.to_string_lossy()))?;
                return Ok(());
            }
            if a.json {
                println!("{}", serde_json::to_string(&r)?);
            } else {
                println!("{}", describe(&r));
                if a.profile {
                    print_profile(&r);
                }
            }
            Ok(())
        }
    }
}

/// The kernels' share of the timed steps, then one line per kernel and shape, slowest first.
fn print_profile(r: &TrainBenchResult) {
    let total: f64 = r.profile.iter().map(|k| k.seconds).sum();
    println!(
        "flex kernels: {total:.2} s of {:.2} s ({:.0} %); the rest is burn's own operations \
         (pooling, residual adds, linear, loss), autodiff bookkeeping and the optimizer",
        r.seconds,
        100.0 * total / r.seconds
    );
    if r.profile.is_empty() {
        println!("  (no flex kernel ran: another device, or --kernels burn)");
        return;
    }
    println!(
        "  {:>8}  {:>6}  {:>5}  {:>7}  kernel",
        "seconds", "step", "calls", "GFLOP/s"
    );
    for k in &r.profile {
        let gflops = if k.flops > 0.0 {
            format!("{:.1}", k.flops / k.seconds / 1e9)
        } else {
            "-".into()
        };
        println!(
            "  {:>8.3}  {:>5.1}%  {:>5}  {gflops:>7}  {}",
            k.seconds,
            100.0 * k.seconds / r.seconds,
            k.calls,
            k.kernel
        );
    }
}

fn bench_ui(a: UiArgs) -> anyhow::Result<()> {
    use crate::tui::bench::{UiBench, run};
    let times = run(UiBench {
        width: a.width,
        height: a.height,
        epochs: a.epochs,
        iterations: a.iterations,
        gpus: a.gpus,
        frames: a.frames,
    });
    if a.json {
        println!("{}", serde_json::to_string(&times)?);
        return Ok(());
    }
    println!(
        "workbench frame at {}x{}: {} epochs, {} iterations, {} GPUs ({} frames per tab)",
        a.width, a.height, a.epochs, a.iterations, a.gpus, a.frames
    );
    let reference = times.first().map_or(1.0, |t| t.mean_ms.max(1e-9));
    for t in &times {
        println!(
            "  {:<6} mean {:.3} ms  p99 {:.3} ms  max {:.3} ms  ({:.1}x a screen of text)",
            t.tab,
            t.mean_ms,
            t.p99_ms,
            t.max_ms,
            t.mean_ms / reference
        );
    }
    Ok(())
}

fn describe(r: &TrainBenchResult) -> String {
    let ranks = if r.ranks > 1 {
        format!(" x {} ranks", r.ranks)
    } else {
        String::new()
    };
    let layout = if r.channels_last {
        ", channels_last"
    } else {
        ""
    };
    format!(
        "{} on {}, {}x{} input, batch {}{ranks}, {} ({}{layout}): {:.1} images/s ({} steps in {:.2} s)",
        r.model,
        r.device,
        r.input,
        r.input,
        r.batch,
        r.precision,
        r.compute,
        r.images_per_sec,
        r.steps,
        r.seconds
    )
}

/// LibTorch's intra-op threads for this process.
fn set_threads(threads: Option<usize>) -> anyhow::Result<()> {
    let Some(n) = threads else { return Ok(()) };
    if n == 0 {
        anyhow::bail!("--threads 0: expected at least 1");
    }
    #[cfg(feature = "tch")]
    tch::set_num_threads(n as i32);
    Ok(())
}

/// `bench train --nproc N`: one rank, then N ranks, each launched like `train --nproc`; prints
/// both and the scaling efficiency.
fn bench_ranks(a: &TrainArgs, n: usize) -> anyhow::Result<()> {
    check_device(a.device)?;
    if n == 0 {
        return Err(launch::LaunchError::NoRanks.into());
    }
    let cuda_visible = match place(a.device, Some(n), botui::device::cuda_device_count())? {
        Placement::Ranks(ranks) => ranks.cuda_visible,
        Placement::Alone(_) => None,
    };
    let dir = std::env::temp_dir().join(format!("botui-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let args = without_flags(std::env::args_os().skip(1), &["--nproc", "--master-port"]);
    let mut results = Vec::new();
    for ranks in [1, n] {
        let out = dir.join(format!("ranks{ranks}.json"));
        let mut plan = Launch::this_program(ranks, args.clone())?;
        plan.master_port = a.master_port;
        plan.cuda_visible = cuda_visible.clone();
        plan.env.push((BENCH_OUT.into(), out.clone().into()));
        launch::run(&plan)?;
        let text = std::fs::read_to_string(&out)
            .with_context(|| format!("rank 0 left no result in {}", out.display()))?;
        let r: serde_json::Value = serde_json::from_str(&text)?;
        results.push(r);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let ips = |r: &serde_json::Value| r["images_per_sec"].as_f64().unwrap_or(f64::NAN);
    let (one, many) = (ips(&results[0]), ips(&results[1]));
    let efficiency = many / (n as f64 * one);
    if a.json {
        println!(
            "{}",
            serde_json::json!({ "one_rank": results[0], "ranks": results[1], "nproc": n, "scaling_efficiency": efficiency })
        );
    } else {
        println!("1 rank:  {one:.1} images/s");
        println!("{n} ranks: {many:.1} images/s (batch {} per rank)", a.batch);
        println!(
            "scaling efficiency: {:.1} % ({many:.1} / ({n} x {one:.1}))",
            100.0 * efficiency
        );
    }
    Ok(())
}
