//! Command-line entry: parses arguments and dispatches to one module per command.

mod bench;
mod bench_data;
mod data;
mod devices;
mod eval;
mod export;
mod hw;
mod model;
mod predict;
mod presets;
mod selftest;
mod study;
mod train;

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
    /// Print what the hardware pane reads (NVIDIA GPUs through NVML, the CPU and memory).
    Hw(hw::HwArgs),
    /// Print a zoo model's architecture, parameter count and multiply-accumulates.
    Model(model::ModelArgs),
    /// Evaluate a run, checkpoint or weights file: top-1, top-5, loss, per-class accuracy.
    Eval(eval::EvalArgs),
    /// Classify image files with a run or checkpoint.
    Predict(predict::PredictArgs),
    /// Write a run's weights for torchvision or timm (.safetensors or .pth).
    Export(export::ExportArgs),
    /// List the presets (the paper's configurations and yours), or show one resolved.
    Presets(presets::PresetsArgs),
    /// Check the training kernels against burn's own operations on a device (exit 1 on a mismatch).
    Selftest(selftest::SelftestArgs),
    /// Download public datasets (cifar10, cifar100, mnist, imagenette).
    Data(data::DataArgs),
    /// Train headless: a preset or config file, flags and `--set KEY=VALUE` overrides.
    Train(train::TrainArgs),
    /// Print the learning rate the run config plans, epoch by epoch (or every iteration).
    Lr(train::LrArgs),
    /// Run a study: a paper table's rows x N seeds, each a run, then the table with error bars.
    Study(study::StudyArgs),
    /// List the studies (the paper's tables and yours), or print one.
    Studies(study::StudiesArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(
        cli.command,
        None | Some(Command::Train(_)) | Some(Command::Study(_))
    ) {
        // `botui presets | head`: end quietly when the reader goes away, like other
        // command-line tools, instead of panicking in println!.
        #[cfg(unix)]
        // SAFETY: restoring the default disposition before any thread is started.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    let result = match cli.command {
        None => return crate::tui::main(),
        Some(Command::Bench(args)) => bench::run(args),
        Some(Command::Devices(args)) => devices::run(args),
        Some(Command::Hw(args)) => hw::run(args),
        Some(Command::Model(args)) => model::run(args),
        Some(Command::Eval(args)) => eval::run(args),
        Some(Command::Predict(args)) => predict::run(args),
        Some(Command::Export(args)) => export::run(args),
        Some(Command::Presets(args)) => presets::run(args),
        Some(Command::Data(args)) => data::run(args),
        Some(Command::Selftest(args)) => selftest::run(args),
        Some(Command::Train(args)) => train::run_train(args),
        Some(Command::Lr(args)) => train::run_lr(args),
        Some(Command::Study(args)) => study::run_study(args),
        Some(Command::Studies(args)) => study::run_studies(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("botui: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
