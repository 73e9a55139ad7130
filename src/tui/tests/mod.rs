//! Tests of the workbench without a terminal: reducers, and whole screens drawn into a
//! TestBackend and compared with insta snapshots.

mod config;
mod reducers;
mod screens;
mod study;

use botui::config::RunConfig;
use botui::train::TrainEvent;

use super::app::{App, Msg};
use super::fake;
use super::run::RunState;
use super::runs::PastRun;
use botui::config::{KeyChord, KeyCode, Modifiers};

pub fn key(code: KeyCode) -> KeyChord {
    KeyChord::new(code, Modifiers::default())
}

pub fn chord(c: char) -> KeyChord {
    key(KeyCode::Char(c))
}

pub fn app_with(config: RunConfig) -> App {
    App::new(config, vec!["flex".into()])
}

/// A run of `epochs` epochs of `iters` iterations that has just started.
pub fn started_app(epochs: usize, iters: usize) -> App {
    let config = fake::paper_config(epochs);
    let mut app = app_with(config.clone());
    app.run = Some(RunState::starting(config.clone()));
    app.update(Msg::Train(fake::started(&config, iters)));
    app
}

/// Epoch ends with these validation top-1 values.
pub fn feed_epochs(app: &mut App, top1: &[f64]) {
    let epochs = app.run.as_ref().map_or(1, |r| r.config.epochs);
    for (i, t) in top1.iter().enumerate() {
        let mut m = fake::epoch(i + 1, epochs, 0.1);
        m.val_top1 = *t;
        app.update(Msg::Train(TrainEvent::EpochEnd(m)));
    }
}

/// Two finished runs: a baseline and one with cosine decay and label smoothing.
pub fn past_runs() -> Vec<PastRun> {
    let mut base = fake::paper_config(30);
    base.name = "baseline".into();
    base.schedule.decay = botui::config::DecayKind::Step;
    base.label_smoothing.enabled = false;
    let tuned = fake::paper_config(30);
    let history = |shift: f64| -> Vec<_> {
        (1..=30)
            .map(|e| {
                let mut m = fake::epoch(e, 30, 0.1);
                m.val_top1 += shift;
                m.val_top5 += shift / 2.0;
                m
            })
            .collect()
    };
    vec![
        PastRun {
            path: "/runs/20260301-101500-resnet50d-label-smoothing".into(),
            modified: 1_772_360_100,
            config: tuned,
            history: history(0.0),
        },
        PastRun {
            path: "/runs/20260228-090000-baseline".into(),
            modified: 1_772_269_200,
            config: base,
            history: history(-3.0),
        },
    ]
}
