//! What the tests that drive the `botui` binary share.

use std::path::Path;
use std::process::{Command, Output};

/// `botui` with its config, data and home folders in `home`: no user presets, config or runs
/// from the machine running the tests.
pub fn botui(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_botui"));
    c.env("XDG_CONFIG_HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("HOME", home);
    c
}

/// Runs it to the end, printing what it said (shown when a test fails).
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("botui runs");
    eprintln!(
        "--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
