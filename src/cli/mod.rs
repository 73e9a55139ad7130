//! Command-line entry: parses arguments and dispatches to one module per command.

mod bench;
mod devices;
mod model;
mod presets;

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
    /// Throughput benchmarks (training steps, data pipeline, drawing the workbench).
    Bench(bench::BenchArgs),
    /// List the devices this build has and which answer on this machine.
    Devices(devices::DevicesArgs),
    /// Print a zoo model's architecture, parameter count and multiply-accumulates.
    Model(model::ModelArgs),
    /// List the presets (the paper's configurations and yours), or show one resolved.
    Presets(presets::PresetsArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => return crate::tui::main(),
        Some(Command::Bench(args)) => bench::run(args),
        Some(Command::Devices(args)) => devices::run(args),
        Some(Command::Model(args)) => model::run(args),
        Some(Command::Presets(args)) => presets::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("botui: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
