//! The `botui` binary: the workbench (no arguments) and the headless commands.

mod cli;
mod tui;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
