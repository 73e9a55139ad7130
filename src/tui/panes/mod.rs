//! One file per pane; each is a borrowed widget struct drawn from the app state.

pub mod curves;
pub mod hardware;
pub mod log;
pub mod lr;
pub mod metrics;
pub mod popups;
pub mod runs;
pub mod setup;
// The Study tab's panes: drawn only by their tests until the tab is wired in (issue 17 first).
#[allow(dead_code)]
pub mod study_curves;
#[allow(dead_code)]
pub mod study_list;
#[allow(dead_code)]
pub mod study_table;
pub mod tricks;
