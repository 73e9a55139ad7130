//! One run, from start (or resume) to the last epoch: the epochs, validation, checkpoints and
//! metric files, inside the trainer thread ([`super::trainer`]). The parts live in their own
//! files: [`super::step`] (one iteration), [`super::epoch`] (one epoch),
//! [`super::validate`] and [`super::checkpoints`]. A rank of a data-parallel run
//! ([`super::parallel`]) runs the same session: it reads its shard of the data, the step
//! averages gradients over the ranks, validation sums over them, and rank 0 alone writes the
//! run folder.

use std::time::Instant;

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::Device;
use crossbeam_channel::{Receiver, Sender, TryRecvError};

use crate::config::RunConfig;
use crate::dist::DistError;
use crate::model::Model;

use super::ema::{EmaDecay, ModelEma};
use super::error::TrainError;
use super::events::{CheckpointKind, EpochMetrics, LogLevel, TrainCommand, TrainEvent};
use super::parallel::DataParallel;
use super::precision::check_support;
use super::request::{RunRequest, SourceFactory};
use super::resume::{Best, restore};
use super::run_dir::RunDir;
use super::schedule::LrSchedule;
use super::source::{BatchSource, batches_per_epoch};
use super::step::Step;

/// Whether the epoch loop goes on after reading the commands.
pub(super) enum Control {
    Continue,
    Stop,
}

pub(super) struct Session {
    pub(super) config: RunConfig,
    pub(super) dir: RunDir,
    events: Sender<TrainEvent>,
    commands: Receiver<TrainCommand>,
    pub(super) device: Device,
    pub(super) autodiff: Device,
    /// Taken out during an iteration (the optimizer consumes and returns it).
    pub(super) model: Option<Model>,
    pub(super) optim: ModuleOptimizer,
    pub(super) schedule: LrSchedule,
    pub(super) step: Step,
    /// The EMA of the weights (after the paper), updated after every optimizer step.
    pub(super) ema: Option<ModelEma<Model>>,
    pub(super) classes: usize,
    pub(super) iteration: usize,
    pub(super) epochs_done: usize,
    pub(super) best: Option<Best>,
    pub(super) history: Vec<EpochMetrics>,
    /// This rank's link to the others; `None` when training alone.
    pub(super) parallel: Option<DataParallel>,
}

impl Session {
    pub(super) fn run(
        request: RunRequest,
        open_source: SourceFactory,
        events: Sender<TrainEvent>,
        commands: Receiver<TrainCommand>,
    ) -> Result<(), TrainError> {
        // On resume every rank reads the run folder; only rank 0 ever writes it.
        let (dir, config, history) = if request.resume {
            let (dir, config, history) = RunDir::open(&request.run_dir)?;
            (Some(dir), config, history)
        } else {
            (None, request.config, Vec::new())
        };
        config
            .validate()
            .map_err(|e| TrainError::Config(e.to_string()))?;
        let (mut parallel, device_name) = match request.world {
            Some(world) => {
                let rank = world.rank;
                let device_name = world.device(config.device).map_err(|e| DistError::Other {
                    rank,
                    message: e.to_string(),
                })?;
                let parallel = DataParallel::join(world, &config, device_name)?;
                (Some(parallel), device_name)
            }
            None => (None, config.device),
        };
        let leader = parallel.as_ref().is_none_or(DataParallel::is_leader);
        let device = device_name.resolve()?;
        // A device that cannot train in low precision trains in FP32 and says why (the laptop
        // companions of the paper's presets keep the FP16 switch on flex).
        let (precision, precision_note) = match check_support(&config.low_precision, device_name) {
            Ok(p) => (p, None),
            Err(why) => (None, Some(why)),
        };
        device.seed(config.seed);
        let autodiff = device.clone().autodiff();
        let mut source = open_source(&config).map_err(TrainError::Data)?;
        if let Some(p) = &parallel {
            source.set_shard(p.shard);
        }
        let classes: Vec<String> = source.classes().to_vec();
        if source.train_len() < config.batch_size {
            return Err(TrainError::Data(format!(
                "the training set has {} images, fewer than one batch of {}",
                source.train_len(),
                config.batch_size
            )));
        }
        let dir = match dir {
            Some(dir) => dir,
            None if leader => RunDir::create(&request.run_dir, &config, &classes)?,
            // The other ranks never write: the folder is rank 0's.
            None => RunDir {
                path: request.run_dir.clone(),
            },
        };
        let iters_per_epoch = batches_per_epoch(source.train_epoch_len(), config.batch_size);
        let schedule = LrSchedule::new(&config, iters_per_epoch);
        let (mut start, restart) =
            restore(&dir, &config, classes.len(), request.resume, &autodiff)?;
        if let Some(p) = parallel.as_mut() {
            // Rank 0's weights everywhere: a fresh run's random init (each rank drew its own),
            // or the checkpoint every rank read.
            start.model = p.share_weights(start.model)?;
        }
        let history = history
            .into_iter()
            .filter(|m| m.epoch <= start.epochs_done)
            .collect();
        let step = Step::new(&config, classes.len(), precision, device_name, &device)?;
        // A resumed run goes on with the average saved with `last`; without one (a checkpoint
        // from before EMA was on) it starts again from the resumed weights, with timm's update
        // count (so its decay) where the run left off.
        let ema_restored = start.ema.is_some();
        let ema = config.ema.enabled.then(|| {
            let e = &config.ema;
            let decay = EmaDecay {
                warmup_power: e.warmup_power,
                ..EmaDecay::new(e.decay, e.warmup)
            };
            match start.ema.take() {
                Some((average, updates)) => ModelEma::new(average, decay, updates),
                None => ModelEma::new(start.model.valid(), decay, start.iteration),
            }
        });
        // Process-wide switches (cuDNN autotuning) before the first step.
        step.performance().apply();
        let mut session = Session {
            step,
            ema,
            classes: classes.len(),
            config,
            dir,
            events,
            commands,
            device,
            autodiff,
            model: Some(start.model),
            optim: start.optim,
            schedule,
            iteration: start.iteration,
            epochs_done: start.epochs_done,
            best: start.best,
            history,
            parallel,
        };
        session.announce(&classes, source.as_ref());
        if restart {
            session.log(
                LogLevel::Info,
                "no checkpoint in this run folder yet: training starts from epoch 1",
            );
        }
        if request.resume && !restart && session.ema.is_some() {
            session.log(
                LogLevel::Info,
                if ema_restored {
                    "EMA of the weights restored from last.ema.ckpt"
                } else {
                    "the checkpoint has no EMA of the weights: the average starts again here"
                },
            );
        }
        if let Some(why) = precision_note {
            session.log(
                LogLevel::Warning,
                format!("low precision is on but this run trains in FP32: {why}"),
            );
        }
        if let Some(p) = &session.parallel {
            session.log(
                LogLevel::Info,
                format!(
                    "data-parallel: rank {} of {} ({}), batch {} per rank of the global {}",
                    p.rank(),
                    p.size(),
                    p.world().launcher,
                    p.shard.local_batch(session.config.batch_size),
                    session.config.batch_size
                ),
            );
        }
        session.train(source.as_mut())?;
        if let Some(p) = session.parallel.take() {
            p.finish()?;
        }
        Ok(())
    }

    /// Whether this process writes the run folder: rank 0, or a run alone.
    pub(super) fn is_leader(&self) -> bool {
        self.parallel.as_ref().is_none_or(DataParallel::is_leader)
    }

    pub(super) fn send(&self, event: TrainEvent) {
        // A gone receiver (the UI quit) must not stop or stall training.
        let _ = self.events.send(event);
    }

    pub(super) fn log(&self, level: LogLevel, message: impl Into<String>) {
        let message = message.into();
        let tag = match level {
            LogLevel::Info => "info",
            LogLevel::Warning => "warning",
            LogLevel::Error => "error",
        };
        if self.is_leader() {
            self.dir.log(&format!("[{tag}] {message}"));
        }
        self.send(TrainEvent::Log { level, message });
    }

    pub(super) fn model(&self) -> &Model {
        self.model
            .as_ref()
            .expect("the model is only taken during a step")
    }

    /// Reads pending commands; blocks while paused.
    pub(super) fn poll_commands(&mut self) -> Result<Control, TrainError> {
        let mut paused = false;
        loop {
            let command = if paused {
                self.commands.recv().ok()
            } else {
                match self.commands.try_recv() {
                    Ok(c) => Some(c),
                    Err(TryRecvError::Empty) => return Ok(Control::Continue),
                    Err(TryRecvError::Disconnected) => None,
                }
            };
            match command {
                // The front end is gone: stop cleanly rather than train unobserved forever.
                None | Some(TrainCommand::Stop) => return Ok(Control::Stop),
                // A paused rank would stall the others in their next all-reduce until the
                // timeout: a data-parallel run is stopped (and resumed), not paused.
                Some(TrainCommand::Pause) if self.parallel.is_some() => self.log(
                    LogLevel::Warning,
                    "a data-parallel run cannot pause (the other ranks would wait on this \
                     one); stop it and resume it later instead",
                ),
                Some(TrainCommand::Pause) if !paused => {
                    paused = true;
                    self.send(TrainEvent::Paused);
                    self.log(
                        LogLevel::Info,
                        format!("paused at iteration {}", self.iteration),
                    );
                }
                Some(TrainCommand::Resume) if paused => {
                    self.send(TrainEvent::Resumed);
                    return Ok(Control::Continue);
                }
                Some(TrainCommand::SaveNow) => self.save(CheckpointKind::Last),
                Some(_) => {}
            }
        }
    }

    fn train(&mut self, source: &mut dyn BatchSource) -> Result<(), TrainError> {
        let mut stopped = false;
        while self.epochs_done < self.config.epochs {
            let epoch = self.epochs_done;
            let started = Instant::now();
            let (totals, control) = self.train_epoch(source, epoch)?;
            if let Control::Stop = control {
                stopped = true;
                self.save(CheckpointKind::Last);
                break;
            }
            let train_seconds = started.elapsed().as_secs_f64();
            let (val, ema_val) = self.validate_epoch(source)?;
            for warning in source.take_warnings() {
                self.log(LogLevel::Warning, warning);
            }
            self.epochs_done = epoch + 1;
            self.finish_epoch(EpochMetrics {
                epoch: epoch + 1,
                train_loss: totals.loss.mean().unwrap_or(f64::NAN),
                train_top1: totals.top1.mean().map(|v| 100.0 * v),
                val_loss: val.loss(),
                val_top1: val.top1_percent(),
                val_top5: val.top5_percent(),
                ema_val_top1: ema_val.map(|v| v.top1_percent()),
                lr: self.schedule.lr(self.iteration.saturating_sub(1)),
                images_per_sec: totals.images as f64 / train_seconds.max(1e-9),
                data_wait_seconds: totals.data_wait,
                seconds: started.elapsed().as_secs_f64(),
                skipped_images: source.skipped(),
            });
        }
        self.log(
            LogLevel::Info,
            if stopped {
                format!("stopped after {} epochs", self.epochs_done)
            } else {
                format!("finished {} epochs", self.epochs_done)
            },
        );
        self.send(TrainEvent::Finished {
            epochs_done: self.epochs_done,
            best_top1: self.best.map(|b| b.top1),
            stopped,
        });
        Ok(())
    }

    /// Checkpoints first: a metrics line then always has its checkpoint, so a run killed
    /// between the two resumes without repeating or skipping an epoch.
    fn finish_epoch(&mut self, metrics: EpochMetrics) {
        if self.best.is_none_or(|b| metrics.val_top1 > b.top1) {
            self.best = Some(Best {
                top1: metrics.val_top1,
                epoch: metrics.epoch,
            });
            self.save(CheckpointKind::Best);
        }
        if self.last_due(metrics.epoch) {
            self.save(CheckpointKind::Last);
        }
        self.history.push(metrics.clone());
        if self.is_leader()
            && let Err(e) = self.dir.write_metrics(&self.history)
        {
            self.log(LogLevel::Warning, format!("could not write metrics: {e}"));
        }
        self.log(
            LogLevel::Info,
            format!(
                "epoch {}/{}: train loss {:.4}, val loss {:.4}, top-1 {:.2} %, top-5 {:.2} %, {:.0} img/s, {:.1} s",
                metrics.epoch,
                self.config.epochs,
                metrics.train_loss,
                metrics.val_loss,
                metrics.val_top1,
                metrics.val_top5,
                metrics.images_per_sec,
                metrics.seconds
            ),
        );
        self.send(TrainEvent::EpochEnd(metrics));
    }
}
