//! The dataset a run started from the workbench trains on.
//!
//! Until the data module lands (branch `data`), the built-in source is the trainer's test
//! dataset [`ColorSource`] sized by `data.builtin_*`; other sources are refused with a clear
//! message. Replace with `botui::data` once merged.

use botui::config::{DataSource, RunConfig};
use botui::train::SourceFactory;
use botui::train::source::{BatchSource, ColorSource};

pub fn factory() -> SourceFactory {
    Box::new(
        |config: &RunConfig| -> Result<Box<dyn BatchSource>, String> {
            match DataSource::parse(&config.data.source)? {
                DataSource::Builtin => {
                    let d = &config.data;
                    Ok(Box::new(ColorSource::new(
                        d.builtin_classes,
                        config.model.input,
                        d.builtin_classes * d.builtin_train_per_class,
                        d.builtin_classes * d.builtin_val_per_class,
                        config.seed,
                    )))
                }
                other => Err(format!(
                    "data source {other} needs the data module (not merged yet)"
                )),
            }
        },
    )
}
