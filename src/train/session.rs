//! One run, from start (or resume) to the last epoch: the training loop, validation,
//! checkpoints and metric files. Runs inside the trainer thread ([`super::trainer`]).

use std::time::{Duration, Instant};

use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, FloatDType};
use crossbeam_channel::{Receiver, Sender, TryRecvError};

use crate::config::RunConfig;
use crate::model::{Model, trainable_params};

use super::events::{
    CheckpointKind, EpochMetrics, IterationStats, LogLevel, RunStart, TrainCommand, TrainEvent,
};
use super::loss::{
    MixPlan, TargetSmoothing, distillation_loss, soft_cross_entropy, soft_targets, targets_tensor,
};
use super::metrics::{Running, correct_top_k};
use super::mixup::{Mixer, mix_images};
use super::optim::build_optimizer;
use super::persist::{self, CheckpointMeta};
use super::precision::{LossScaler, check_support, shadow};
use super::run_dir::RunDir;
use super::schedule::LrSchedule;
use super::source::{BatchSource, HostBatch, batches_per_epoch};
use super::teacher::load_teacher;
use super::trainer::{RunRequest, SourceFactory};

/// Why a run could not go on.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("invalid run config: {0}")]
    Config(String),
    #[error("{0}")]
    Device(#[from] crate::device::DeviceError),
    #[error("data: {0}")]
    Data(String),
    #[error("{0}")]
    RunDir(#[from] super::run_dir::RunDirError),
    #[error("{0}")]
    Checkpoint(#[from] crate::checkpoint::CheckpointError),
    #[error("{0}")]
    Model(#[from] crate::model::ModelError),
    #[error(
        "the loss became {value} at iteration {iteration} (epoch {epoch}); stopped. The last \
         good checkpoint is kept; try a lower learning rate or warmup"
    )]
    NonFinite {
        value: f64,
        iteration: usize,
        epoch: usize,
    },
    #[error("teacher: {0}")]
    Teacher(String),
}

/// Iteration events go out at most this often.
const EVENT_INTERVAL: Duration = Duration::from_millis(50);

enum Control {
    Continue,
    Stop,
}

pub(super) struct Session {
    config: RunConfig,
    dir: RunDir,
    events: Sender<TrainEvent>,
    commands: Receiver<TrainCommand>,
    device: Device,
    autodiff: Device,
    model: Option<Model>,
    optim: ModuleOptimizer,
    schedule: LrSchedule,
    teacher: Option<Model>,
    /// Low precision: the compute dtype, and FP16's loss scale.
    precision: Option<FloatDType>,
    scaler: Option<LossScaler>,
    skipped_steps: usize,
    smoothing: TargetSmoothing,
    classes: usize,
    iteration: usize,
    epochs_done: usize,
    best: Option<(f64, usize)>,
    history: Vec<EpochMetrics>,
}

struct StepOutput {
    loss: f64,
    correct: Option<usize>,
}

impl Session {
    pub(super) fn run(
        request: RunRequest,
        open_source: SourceFactory,
        events: Sender<TrainEvent>,
        commands: Receiver<TrainCommand>,
    ) -> Result<(), TrainError> {
        let (dir, config, history, resume) = if request.resume {
            let (dir, config, history) = RunDir::open(&request.run_dir)?;
            (Some(dir), config, history, true)
        } else {
            (None, request.config, Vec::new(), false)
        };
        config
            .validate()
            .map_err(|e| TrainError::Config(e.to_string()))?;
        let device = config.device.resolve()?;
        // A device that cannot train in low precision trains in FP32 and says why (the laptop
        // companions of the paper's presets keep the FP16 switch on flex).
        let (precision, precision_note) = match check_support(&config.low_precision, config.device)
        {
            Ok(p) => (p, None),
            Err(why) => (None, Some(why)),
        };
        device.seed(config.seed);
        let autodiff = device.clone().autodiff();
        let mut source = open_source(&config).map_err(TrainError::Data)?;
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
            None => RunDir::create(&request.run_dir, &config, &classes)?,
        };
        let iters_per_epoch = batches_per_epoch(source.train_len(), config.batch_size);
        let schedule = LrSchedule::new(&config, iters_per_epoch);
        let model_config = config.model_config(classes.len());
        let mut optim = build_optimizer(&config);
        // A run stopped before its first checkpoint (killed during epoch 1) starts over.
        let restart = resume && !persist::model_path(&dir.path, "last").is_file();
        let (model, epochs_done, iteration, best) = if resume && !restart {
            let (model, saved_config, meta) = persist::load_model(&dir.path, "last", &autodiff)?;
            if saved_config.classes != model_config.classes {
                return Err(TrainError::Data(format!(
                    "the checkpoint has {} classes, the dataset now has {}",
                    saved_config.classes, model_config.classes
                )));
            }
            optim = persist::load_optimizer(&dir.path, "last", optim, &model)?;
            let best = meta.best_top1.zip(meta.best_epoch);
            (model, meta.epochs_done, meta.iteration, best)
        } else {
            (model_config.init(&autodiff)?, 0, 0, None)
        };
        let history: Vec<EpochMetrics> = history
            .into_iter()
            .filter(|m| m.epoch <= epochs_done)
            .collect();
        let teacher = if config.distillation.enabled {
            Some(
                load_teacher(
                    &config.distillation,
                    classes.len(),
                    config.model.input,
                    &device,
                )
                .map_err(TrainError::Teacher)?,
            )
        } else {
            None
        };
        let scaler =
            (precision == Some(FloatDType::F16)).then(|| LossScaler::new(&config.low_precision));
        let mut session = Session {
            precision,
            scaler,
            skipped_steps: 0,
            smoothing: TargetSmoothing::from_config(&config.label_smoothing),
            classes: classes.len(),
            config,
            dir,
            events,
            commands,
            device,
            autodiff,
            model: Some(model),
            optim,
            schedule,
            teacher,
            iteration,
            epochs_done,
            best,
            history,
        };
        session.announce(&classes, source.as_ref());
        if restart {
            session.log(
                LogLevel::Info,
                "no checkpoint in this run folder yet: training starts from epoch 1",
            );
        }
        if let Some(why) = precision_note {
            session.log(
                LogLevel::Warning,
                format!("low precision is on but this run trains in FP32: {why}"),
            );
        }
        session.train(source.as_mut())
    }

    fn send(&self, event: TrainEvent) {
        // A gone receiver (the UI quit) must not stop or stall training.
        let _ = self.events.send(event);
    }

    fn log(&self, level: LogLevel, message: impl Into<String>) {
        let message = message.into();
        let tag = match level {
            LogLevel::Info => "info",
            LogLevel::Warning => "warning",
            LogLevel::Error => "error",
        };
        self.dir.log(&format!("[{tag}] {message}"));
        self.send(TrainEvent::Log { level, message });
    }

    fn model(&self) -> &Model {
        self.model
            .as_ref()
            .expect("the model is only taken during a step")
    }

    fn announce(&self, classes: &[String], source: &dyn BatchSource) {
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
        if let Some(dtype) = self.precision {
            self.log(
                LogLevel::Info,
                format!(
                    "low precision: {dtype:?} forward and backward, FP32 master weights{}",
                    if self.scaler.is_some() {
                        ", dynamic loss scaling"
                    } else {
                        ""
                    }
                ),
            );
        }
        if c.label_smoothing.enabled {
            self.log(LogLevel::Info, self.smoothing.describe());
        }
        if c.mixup.enabled {
            self.log(
                LogLevel::Info,
                "mixup is on: train top-1 is not measured on mixed batches",
            );
        }
    }

    /// Reads pending commands; blocks while paused.
    fn poll_commands(&mut self) -> Result<Control, TrainError> {
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
                Some(TrainCommand::SaveNow) => self.save_last()?,
                Some(_) => {}
            }
        }
    }

    fn train(&mut self, source: &mut dyn BatchSource) -> Result<(), TrainError> {
        let epochs = self.config.epochs;
        let mut stopped = false;
        while self.epochs_done < epochs && !stopped {
            let epoch = self.epochs_done;
            let started = Instant::now();
            let (train_loss, train_top1, wait, images, control) =
                self.train_epoch(source, epoch)?;
            if let Control::Stop = control {
                stopped = true;
                self.save_last()?;
                break;
            }
            let train_seconds = started.elapsed().as_secs_f64();
            let (val_loss, val_top1, val_top5) = self.validate(source)?;
            for warning in source.take_warnings() {
                self.log(LogLevel::Warning, warning);
            }
            self.epochs_done = epoch + 1;
            let metrics = EpochMetrics {
                epoch: epoch + 1,
                train_loss,
                train_top1,
                val_loss,
                val_top1,
                val_top5,
                lr: self.schedule.lr(self.iteration.saturating_sub(1)),
                images_per_sec: images as f64 / train_seconds.max(1e-9),
                data_wait_seconds: wait,
                seconds: started.elapsed().as_secs_f64(),
                skipped_images: source.skipped(),
            };
            self.finish_epoch(metrics)?;
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
            best_top1: self.best.map(|(top1, _)| top1),
            stopped,
        });
        Ok(())
    }

    /// Returns (mean loss, top-1 percent on un-mixed batches, data wait seconds, images, control).
    fn train_epoch(
        &mut self,
        source: &mut dyn BatchSource,
        epoch: usize,
    ) -> Result<(f64, Option<f64>, f64, usize, Control), TrainError> {
        let c = &self.config;
        let per_epoch = self.schedule.iters_per_epoch;
        let skip = self.iteration.saturating_sub(epoch * per_epoch);
        let mixup_on = c.mixup.enabled && epoch < c.epochs - c.mixup.off_epochs;
        let (mixup_alpha, seed, batch_size) = (c.mixup.alpha, c.seed, c.batch_size);
        let mut loss = Running::default();
        let mut top1 = Running::default();
        let mut wait_total = 0.0;
        let mut images = 0;
        let mut window = (Instant::now(), 0usize, 0.0f64);
        let mut last_event = Instant::now() - EVENT_INTERVAL;
        let mut batches = source.train_epoch(epoch, batch_size, skip);
        loop {
            if let Control::Stop = self.poll_commands()? {
                return Ok((
                    nan_or(loss),
                    percent(top1),
                    wait_total,
                    images,
                    Control::Stop,
                ));
            }
            let waited = Instant::now();
            let Some(batch) = batches.next() else { break };
            let batch = batch.map_err(TrainError::Data)?;
            let wait = waited.elapsed().as_secs_f64();
            wait_total += wait;
            window.2 += wait;
            let mix = mixup_on
                .then(|| Mixer::new(mixup_alpha, seed ^ self.iteration as u64).plan(batch.len()));
            let lr = self.schedule.lr(self.iteration);
            let out = self.step(&batch, mix.as_ref(), lr, epoch)?;
            loss.add(out.loss, batch.len());
            if let Some(correct) = out.correct {
                top1.add(correct as f64 / batch.len() as f64, batch.len());
            }
            images += batch.len();
            window.1 += batch.len();
            self.iteration += 1;
            let end_of_epoch = self.iteration == (epoch + 1) * per_epoch;
            if last_event.elapsed() >= EVENT_INTERVAL || end_of_epoch {
                let secs = window.0.elapsed().as_secs_f64().max(1e-9);
                self.send(TrainEvent::Iteration(IterationStats {
                    epoch,
                    iteration: self.iteration - 1,
                    lr,
                    loss: out.loss,
                    top1: out.correct.map(|c| 100.0 * c as f64 / batch.len() as f64),
                    images_per_sec: window.1 as f64 / secs,
                    data_wait: (window.2 / secs).min(1.0),
                }));
                last_event = Instant::now();
                window = (Instant::now(), 0, 0.0);
            }
        }
        Ok((
            nan_or(loss),
            percent(top1),
            wait_total,
            images,
            Control::Continue,
        ))
    }

    /// One iteration: forward, loss, backward, optimizer step.
    fn step(
        &mut self,
        batch: &HostBatch,
        mix: Option<&MixPlan>,
        lr: f64,
        epoch: usize,
    ) -> Result<StepOutput, TrainError> {
        let x = batch.images_tensor(&self.autodiff);
        let x = match mix {
            Some(plan) => mix_images(x, plan),
            None => x,
        };
        let targets = soft_targets(&batch.labels, self.classes, self.smoothing, mix);
        let targets = targets_tensor(targets, self.classes, &self.autodiff);
        let model = self.model.take().expect("model present between steps");
        let logits = match self.precision {
            Some(dtype) => shadow(&model, dtype)
                .forward(x.clone().cast(dtype))
                .cast(FloatDType::F32),
            None => model.forward(x.clone()),
        };
        let loss = match &self.teacher {
            Some(teacher) => {
                let teacher_logits = teacher.forward(x.inner());
                let d = &self.config.distillation;
                distillation_loss(
                    logits.clone(),
                    teacher_logits,
                    targets,
                    d.temperature,
                    d.hard_weight,
                )
            }
            None => soft_cross_entropy(logits.clone(), targets),
        };
        let value = loss.clone().inner().into_scalar::<f32>() as f64;
        if !value.is_finite() {
            self.model = Some(model);
            return Err(TrainError::NonFinite {
                value,
                iteration: self.iteration,
                epoch: epoch + 1,
            });
        }
        let correct = mix.is_none().then(|| {
            let host = logits.inner().into_data().convert::<f32>();
            let host = host.as_slice::<f32>().expect("f32 logits");
            correct_top_k(host, self.classes, &batch.labels, 1)
        });
        let scale = self.scaler.as_ref().map_or(1.0, |s| s.scale);
        let loss = if scale != 1.0 {
            loss.mul_scalar(scale)
        } else {
            loss
        };
        let mut grads = GradientsParams::from_grads(loss.backward(), &model);
        if let Some(scaler) = self.scaler.as_mut()
            && !scaler.unscale(&model, &mut grads)
        {
            // An FP16 gradient overflowed: skip the update; the scale has been halved.
            self.skipped_steps += 1;
            if self.skipped_steps.is_power_of_two() {
                self.log(
                    LogLevel::Warning,
                    format!(
                        "FP16 gradient overflow at iteration {}: step skipped, loss scale now {} ({} skipped so far)",
                        self.iteration, self.scaler.as_ref().map_or(0.0, |s| s.scale), self.skipped_steps
                    ),
                );
            }
            self.model = Some(model);
            return Ok(StepOutput {
                loss: value,
                correct,
            });
        }
        self.model = Some(self.optim.step(lr, model, grads));
        Ok(StepOutput {
            loss: value,
            correct,
        })
    }

    /// Validation loss (plain cross entropy), top-1 and top-5 in percent.
    fn validate(&mut self, source: &mut dyn BatchSource) -> Result<(f64, f64, f64), TrainError> {
        let eval = self.model().valid();
        let k5 = 5.min(self.classes);
        let mut loss = Running::default();
        let (mut top1, mut top5, mut seen) = (0usize, 0usize, 0usize);
        for batch in source.val_epoch(self.config.batch_size) {
            let batch = batch.map_err(TrainError::Data)?;
            let logits = eval.forward(batch.images_tensor(&self.device));
            let targets = soft_targets(&batch.labels, self.classes, TargetSmoothing::NONE, None);
            let targets = targets_tensor(targets, self.classes, &self.device);
            let l = soft_cross_entropy(logits.clone(), targets).into_scalar::<f32>() as f64;
            loss.add(l, batch.len());
            let host = logits.into_data().convert::<f32>();
            let host = host.as_slice::<f32>().expect("f32 logits");
            top1 += correct_top_k(host, self.classes, &batch.labels, 1);
            top5 += correct_top_k(host, self.classes, &batch.labels, k5);
            seen += batch.len();
        }
        if seen == 0 {
            return Err(TrainError::Data("the validation set is empty".into()));
        }
        let pct = |n: usize| 100.0 * n as f64 / seen as f64;
        Ok((nan_or(loss), pct(top1), pct(top5)))
    }

    fn meta(&self) -> CheckpointMeta {
        CheckpointMeta {
            epochs_done: self.epochs_done,
            iteration: self.iteration,
            best_top1: self.best.map(|b| b.0),
            best_epoch: self.best.map(|b| b.1),
        }
    }

    fn save_last(&mut self) -> Result<(), TrainError> {
        let meta = self.meta();
        let model_config = self.config.model_config(self.classes);
        match persist::save(
            &self.dir.path,
            "last",
            self.model(),
            &model_config,
            Some(&self.optim),
            &meta,
        ) {
            Ok(path) => self.send(TrainEvent::CheckpointSaved {
                kind: CheckpointKind::Last,
                epoch: self.epochs_done,
                path,
            }),
            // A full disk: the previous checkpoint is intact; say so and keep training.
            Err(e) => self.log(
                LogLevel::Warning,
                format!("{e}; the previous checkpoint is kept"),
            ),
        }
        Ok(())
    }

    fn finish_epoch(&mut self, metrics: EpochMetrics) -> Result<(), TrainError> {
        let improved = self.best.is_none_or(|(best, _)| metrics.val_top1 > best);
        if improved {
            self.best = Some((metrics.val_top1, metrics.epoch));
        }
        // Checkpoints first: a metrics line then always has its checkpoint, so a run killed
        // between the two resumes without repeating or skipping an epoch.
        if improved {
            let meta = self.meta();
            match persist::save(
                &self.dir.path,
                "best",
                self.model(),
                &self.config.model_config(self.classes),
                None,
                &meta,
            ) {
                Ok(path) => self.send(TrainEvent::CheckpointSaved {
                    kind: CheckpointKind::Best,
                    epoch: metrics.epoch,
                    path,
                }),
                Err(e) => self.log(LogLevel::Warning, format!("{e}; the previous best is kept")),
            }
        }
        let every = self.config.checkpoint.every_epochs;
        if metrics.epoch.is_multiple_of(every) || metrics.epoch == self.config.epochs {
            self.save_last()?;
        }
        self.history.push(metrics.clone());
        if let Err(e) = self.dir.write_metrics(&self.history) {
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
        self.send(TrainEvent::EpochEnd(metrics.clone()));
        Ok(())
    }
}

fn nan_or(r: Running) -> f64 {
    r.mean().unwrap_or(f64::NAN)
}

fn percent(r: Running) -> Option<f64> {
    r.mean().map(|v| 100.0 * v)
}
