//! Studies: a paper table reproduced as one thing. A study is a base configuration and a list
//! of rows (each a set of `--set` changes or another preset; cumulative, like Table 6, or one at
//! a time), times N seeds; it runs every row and seed as a normal run, resumably, and writes the
//! paper-style table with error bars. No terminal code.
//!
//! - [`spec`]: the study file (TOML); [`library`]: built-in studies (`studies/*.toml`) and the
//!   user's (`<config dir>/studies`);
//! - [`validate::plan`]: every row resolved to a full run config and checked before anything
//!   runs, into a [`StudyPlan`];
//! - [`folder`]: the study folder and each run's state; [`runner::spawn`]: runs it;
//! - [`results`]: means and standard deviations over seeds, deltas and noise ([`stats`]),
//!   written as `study.md`, `study.csv` ([`table`]) and `study.json`.

pub mod folder;
pub mod library;
pub mod plan;
pub mod results;
pub mod runner;
pub mod spec;
pub mod stats;
pub mod table;
#[cfg(test)]
mod tests;
pub mod validate;

pub use folder::{RunState, StudyDir, StudyDirError};
pub use library::{StudyFile, StudyLibrary};
pub use plan::{RunId, StudyPlan};
pub use results::StudyResults;
pub use runner::{RunOutcome, RunRef, StudyCommand, StudyEvent, StudyHandle, StudyRequest, spawn};
pub use spec::{Mode, StudySpec};
pub use validate::{Overrides, plan};
