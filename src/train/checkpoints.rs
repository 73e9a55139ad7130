//! The run's checkpoint policy, in one place: `last` (model and optimizer, to resume) every
//! `checkpoint.every_epochs` epochs, after the last epoch, on a stop and on request; `best`
//! (the model alone) whenever validation top-1 improves. A failed save (a full disk) keeps the
//! previous file and the run goes on. In a data-parallel run rank 0 alone saves (the replicas
//! are identical); every rank reads `last` on `--resume`.

use super::events::{CheckpointKind, LogLevel, TrainEvent};
use super::persist::{self, CheckpointMeta};
use super::session::Session;

impl Session {
    /// Whether `last` is saved after `epoch` (1-based) ends.
    pub(super) fn last_due(&self, epoch: usize) -> bool {
        epoch.is_multiple_of(self.config.checkpoint.every_epochs) || epoch == self.config.epochs
    }

    /// Saves the model as `kind` (`last` with the optimizer) and says so; a failed save is a
    /// warning, the previous file is kept. Only rank 0 of a data-parallel run saves.
    pub(super) fn save(&self, kind: CheckpointKind) {
        if !self.is_leader() {
            return;
        }
        let meta = CheckpointMeta {
            epochs_done: self.epochs_done,
            iteration: self.iteration,
            best_top1: self.best.map(|b| b.top1),
            best_epoch: self.best.map(|b| b.epoch),
        };
        let (name, optim, kept) = match kind {
            CheckpointKind::Last => ("last", Some(&self.optim), "the previous checkpoint"),
            CheckpointKind::Best => ("best", None, "the previous best"),
        };
        let model_config = self.config.model_config(self.classes);
        match persist::save(
            &self.dir.path,
            name,
            self.model(),
            &model_config,
            optim,
            &meta,
        ) {
            Ok(path) => self.send(TrainEvent::CheckpointSaved {
                kind,
                epoch: self.epochs_done,
                path,
            }),
            Err(e) => self.log(LogLevel::Warning, format!("{e}; {kept} is kept")),
        }
    }
}
