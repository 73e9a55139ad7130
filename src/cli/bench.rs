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
    #[arg(long)]
    json: bool,
}

pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.what {
        BenchCommand::Data(a) => super::bench_data::bench_data(a),
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
            let r = bench_train(&config, a.device, a.batch, a.warmup, a.steps)
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
            }
            Ok(())
        }
    }
}
