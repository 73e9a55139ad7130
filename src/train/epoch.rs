//! One training epoch: batches from the source, one step each, iteration events at most every
//! [`EVENT_INTERVAL`], and the epoch's running totals.

use std::time::{Duration, Instant};

use burn::module::Module;

use super::batch_mix::BatchMix;
use super::error::TrainError;
use super::events::{IterationStats, LogLevel, TrainEvent};
use super::metrics::{Running, correct_top_k};
use super::parallel::StepTotals;
use super::session::{Control, Session};
use super::source::{BatchSource, HostBatch};
use super::step::Update;

/// Iteration events go out at most this often.
const EVENT_INTERVAL: Duration = Duration::from_millis(50);

/// What an epoch's batches added up to.
#[derive(Default)]
pub(super) struct EpochTotals {
    pub loss: Running,
    /// Top-1 on un-mixed batches (a fraction per batch, weighted by its size).
    pub top1: Running,
    /// Seconds spent waiting for batches.
    pub data_wait: f64,
    pub images: usize,
}

/// Throughput since the last iteration event.
struct Window {
    started: Instant,
    images: usize,
    data_wait: f64,
}

impl Window {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            images: 0,
            data_wait: 0.0,
        }
    }
}

/// What one iteration measured, over the ranks of a data-parallel run.
struct StepOutput {
    /// The mean loss over the (global) batch.
    loss: f64,
    /// Correct top-1 predictions; `None` on a mixed batch.
    correct: Option<usize>,
    /// Images in the (global) batch.
    images: usize,
    /// Whether some rank asked to stop after this iteration.
    stop: bool,
}

impl Session {
    /// Trains `epoch` from where the run is (a resumed run skips the batches it has done);
    /// stops early when told to. The ranks of a data-parallel run stop together: a stop asked
    /// on one rank rides along with the next step's all-reduce, and every rank stops after it.
    pub(super) fn train_epoch(
        &mut self,
        source: &mut dyn BatchSource,
        epoch: usize,
    ) -> Result<(EpochTotals, Control), TrainError> {
        let per_epoch = self.schedule.iters_per_epoch;
        let skip = self.iteration.saturating_sub(epoch * per_epoch);
        let mut totals = EpochTotals::default();
        let mut window = Window::new();
        let mut last_event = Instant::now() - EVENT_INTERVAL;
        let mut batches = source.train_epoch(epoch, self.config.batch_size, skip);
        let mut stop_asked = false;
        loop {
            if let Control::Stop = self.poll_commands()? {
                if self.parallel.is_none() {
                    return Ok((totals, Control::Stop));
                }
                stop_asked = true;
            }
            let waited = Instant::now();
            let Some(batch) = batches.next() else { break };
            let batch = batch.map_err(TrainError::Data)?;
            let wait = waited.elapsed().as_secs_f64();
            totals.data_wait += wait;
            window.data_wait += wait;
            let plan = self
                .step
                .mix_plan(epoch, self.iteration, batch.len(), batch.side);
            let lr = self.schedule.lr(self.iteration);
            let out = self.iterate(&batch, plan.as_ref(), lr, epoch, stop_asked)?;
            totals.loss.add(out.loss, out.images);
            if let Some(correct) = out.correct {
                totals
                    .top1
                    .add(correct as f64 / out.images as f64, out.images);
            }
            // Images over all ranks: the run's throughput, not this rank's.
            totals.images += out.images;
            window.images += out.images;
            self.iteration += 1;
            let end_of_epoch = self.iteration == (epoch + 1) * per_epoch;
            if last_event.elapsed() >= EVENT_INTERVAL || end_of_epoch {
                let secs = window.started.elapsed().as_secs_f64().max(1e-9);
                self.send(TrainEvent::Iteration(IterationStats {
                    epoch,
                    iteration: self.iteration - 1,
                    lr,
                    loss: out.loss,
                    top1: out.correct.map(|c| 100.0 * c as f64 / out.images as f64),
                    images_per_sec: window.images as f64 / secs,
                    data_wait: (window.data_wait / secs).min(1.0),
                }));
                last_event = Instant::now();
                window = Window::new();
            }
            if out.stop {
                return Ok((totals, Control::Stop));
            }
        }
        Ok((totals, Control::Continue))
    }

    /// One iteration: forward, loss, backward, the gradients averaged over the ranks (when
    /// there are several), optimizer step. `stop` asks every rank to stop after it.
    fn iterate(
        &mut self,
        batch: &HostBatch,
        plan: Option<&BatchMix>,
        lr: f64,
        epoch: usize,
        stop: bool,
    ) -> Result<StepOutput, TrainError> {
        let (x, note) = self.step.inputs(batch, plan, &self.autodiff);
        if let Some(note) = note {
            self.log(LogLevel::Warning, note);
        }
        let targets = self.step.targets(&batch.labels, plan, &self.autodiff);
        let model = self.model.take().expect("model present between steps");
        let logits = self.step.forward(&model, x.clone());
        let loss = self.step.loss(logits.clone(), x, targets);
        let value = loss.clone().inner().into_scalar::<f32>() as f64;
        let correct = plan.is_none().then(|| {
            let host = logits.inner().into_data().convert::<f32>();
            let host = host.as_slice::<f32>().expect("f32 logits");
            correct_top_k(host, self.classes, &batch.labels, 1)
        });
        let mut out = StepOutput {
            loss: value,
            correct,
            images: batch.len(),
            stop,
        };
        // Alone, a non-finite loss stops before the backward pass; the ranks of a
        // data-parallel run first share it in the all-reduce, so that all of them stop here.
        let grads = match self.parallel.as_mut() {
            None if !value.is_finite() => None,
            None => Some(self.step.backward(loss, &model)),
            Some(p) => {
                let grads = self.step.backward(loss, &model);
                let local = StepTotals {
                    loss_sum: value * batch.len() as f64,
                    correct: correct.map(|c| c as f64),
                    images: batch.len() as f64,
                    stop,
                };
                let (grads, all) = match p.average_grads(&model, grads, local) {
                    Ok(reduced) => reduced,
                    Err(e) => {
                        self.model = Some(model);
                        return Err(e.into());
                    }
                };
                out = StepOutput {
                    loss: all.loss_sum / all.images.max(1.0),
                    correct: all.correct.map(|c| c.round() as usize),
                    images: all.images.round() as usize,
                    stop: all.stop,
                };
                Some(grads)
            }
        };
        let Some(grads) = grads.filter(|_| out.loss.is_finite()) else {
            self.model = Some(model);
            return Err(TrainError::NonFinite {
                value: out.loss,
                iteration: self.iteration,
                epoch: epoch + 1,
            });
        };
        match self.step.update(&model, grads) {
            Update::Apply(grads) => {
                let model = self.optim.step(lr, model, grads);
                if let Some(ema) = self.ema.as_mut() {
                    ema.update(&model.valid());
                }
                self.model = Some(model);
            }
            Update::Skip { scale, skipped } => {
                if skipped.is_power_of_two() {
                    self.log(
                        LogLevel::Warning,
                        format!(
                            "FP16 gradient overflow at iteration {}: step skipped, loss scale now {scale} ({skipped} skipped so far)",
                            self.iteration
                        ),
                    );
                }
                self.model = Some(model);
            }
        }
        Ok(out)
    }
}
