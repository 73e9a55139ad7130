//! What a run says when it starts: the [`TrainEvent::Started`] the panes draw from, and the
//! log lines that name the model, the data and the tricks that change the step.

use crate::model::trainable_params;

use super::events::{LogLevel, RunStart, TrainEvent};
use super::session::Session;
use super::source::BatchSource;

impl Session {
    pub(super) fn announce(&self, classes: &[String], source: &dyn BatchSource) {
        let c = &self.config;
        let params = trainable_params(self.model());
        self.send(TrainEvent::Started(Box::new(RunStart {
            run_dir: self.dir.path.clone(),
            config: c.clone(),
            classes: classes.to_vec(),
            train_images: source.train_len(),
            val_images: source.val_len(),
            iters_per_epoch: self.schedule.iters_per_epoch,
            lr_plan: self.schedule.plan(),
            history: self.history.clone(),
            model_params: params,
        })));
        let resumed = if self.iteration > 0 {
            format!(
                ", resumed after {} epochs ({} iterations)",
                self.epochs_done, self.iteration
            )
        } else {
            String::new()
        };
        self.log(
            LogLevel::Info,
            format!(
                "{} on {}: {} parameters, {} classes, {} train / {} val images, {} iterations per epoch, peak lr {}{resumed}",
                c.model_config(classes.len()).display_name(),
                c.device,
                params,
                classes.len(),
                source.train_len(),
                source.val_len(),
                self.schedule.iters_per_epoch,
                self.schedule.peak
            ),
        );
        let performance = self.step.performance();
        if self.step.precision().is_some() {
            let scaling = if self.step.loss_scaling() {
                ", dynamic loss scaling"
            } else {
                ""
            };
            self.log(
                LogLevel::Info,
                format!("low precision: {}{scaling}", performance.compute.describe()),
            );
        }
        self.log(LogLevel::Info, performance.describe(&c.performance));
        if c.label_smoothing.enabled {
            self.log(LogLevel::Info, self.step.smoothing().describe());
        }
        if c.mixup.enabled {
            self.log(
                LogLevel::Info,
                "mixup is on: train top-1 is not measured on mixed batches",
            );
        }
    }
}
