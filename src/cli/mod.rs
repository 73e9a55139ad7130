//! Command-line entry: parses arguments and dispatches to one module per command.

mod bench_data;
mod data;
mod devices;
mod model;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// A terminal workbench for "Bag of Tricks for Image Classification with Convolutional Neural
/// Networks" (He et al., 2018).
#[derive(Parser, Debug)]
#[command(name = "botui", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the devices this build has and which answer on this machine.
    Devices(devices::DevicesArgs),
    /// Print a zoo model's architecture, parameter count and multiply-accumulates.
    Model(model::ModelArgs),
    /// Download public datasets (cifar10, cifar100, mnist, imagenette).
    Data(data::DataArgs),
    /// Benchmarks: `bench data` measures the data pipeline's images/s.
    Bench(bench_data::BenchArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Devices(args)) => devices::run(args),
        Some(Command::Model(args)) => model::run(args),
        Some(Command::Data(args)) => data::run(args),
        Some(Command::Bench(args)) => bench_data::run(args),
        None => Err(anyhow::anyhow!(
            "the workbench is not built yet; try `botui --help`"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("botui: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
