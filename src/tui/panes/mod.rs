//! One file per pane; each is a borrowed widget struct drawn from the app state.

pub mod curves;
pub mod eval;
pub mod hardware;
pub mod log;
pub mod lr;
pub mod metrics;
pub mod popups;
pub mod runs;
pub mod setup;
pub mod study_curves;
pub mod study_list;
pub mod study_table;
pub mod tricks;
