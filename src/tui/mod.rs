//! The workbench: `botui` with no arguments. State and reducers in [`app`] (with [`input`]
//! for keys and mouse), one file per pane under [`panes`], the terminal guard in
//! [`terminal`], the input thread in [`event`] and the event loop in [`runner`].

pub mod app;
pub mod bench;
pub mod config_link;
pub mod eval;
pub mod event;
pub mod fake;
pub mod hwstate;
mod input;
pub mod layout;
pub mod log;
pub mod panes;
pub mod run;
pub mod runner;
pub mod runs;
pub mod series;

pub mod setup;
pub mod stderr;
pub mod study;
mod study_app;
pub mod style;
pub mod terminal;
#[cfg(test)]
mod tests;
pub mod tricks;
pub mod ui;

use std::io::IsTerminal;
use std::process::ExitCode;

/// Exit code when stdout is not a terminal.
pub const NOT_A_TERMINAL: u8 = 2;

/// Opens the workbench; returns the process exit code.
pub fn main() -> ExitCode {
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "botui: the workbench needs a terminal, and stdout is not one.\n\
             To train without a terminal, use `botui train` (see `botui train --help`)."
        );
        return ExitCode::from(NOT_A_TERMINAL);
    }
    let devices = botui::device::usable_devices()
        .iter()
        .map(|d| d.to_string())
        .collect();
    let (link, startup) = config_link::ConfigLink::open();
    let mut app = app::App::from_settings(startup.settings, startup.presets, devices);
    for (level, note) in startup.notes {
        app.log.push(level, log::LogSource::Config, note);
    }
    match runner::run(app, link) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            terminal::restore();
            for panic in terminal::take_thread_panics() {
                eprintln!("botui: {panic}");
            }
            eprintln!("botui: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
