//! `botui bench ...`: throughput benchmarks. Each prints its numbers; compare them with a
//! reference measured in the same run (see benches/ and the README).

use anyhow::Context;
use botui::bench::train::bench_train;
use botui::device::DeviceName;
use botui::model::{ModelConfig, StemKind, parse_model};

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
    /// Also time each flex training kernel (per shape) during the timed steps and print where
    /// the step's time goes (with --json: a "profile" list).
    #[arg(long)]
    profile: bool,
    #[arg(long)]
    json: bool,
}

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
            let r = bench_train(&config, a.device, a.batch, a.warmup, a.steps, a.profile)
                .map_err(anyhow::Error::msg)
                .context("bench train")?;
            if a.json {
                println!("{}", serde_json::to_string(&r)?);
            } else {
                println!(
                    "{} on {}, {}x{} input, batch {}: {:.1} images/s ({} steps in {:.2} s)",
                    r.model,
                    r.device,
                    r.input,
                    r.input,
                    r.batch,
                    r.images_per_sec,
                    r.steps,
                    r.seconds
                );
                if a.profile {
                    print_profile(&r);
                }
            }
            Ok(())
        }
    }
}

/// The kernels' share of the timed steps, then one line per kernel and shape, slowest first.
fn print_profile(r: &botui::bench::train::TrainBenchResult) {
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
