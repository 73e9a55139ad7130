//! The dataset a run started from the workbench trains on: the data module's loaders.

use botui::train::SourceFactory;

pub fn factory() -> SourceFactory {
    botui::data::source_factory()
}
