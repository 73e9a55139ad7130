//! Reducers: messages in, state and effects out, no terminal. Expected numbers are worked
//! out by hand from the formulas.

use botui::config::{DecayKind, RunConfig};
use botui::train::{LogLevel, TrainCommand, TrainEvent};

use super::{app_with, chord, feed_epochs, started_app};
use crate::tui::app::{Effect, MouseMsg, Msg, PaneId, Popup, Tab};
use crate::tui::fake;
use crate::tui::log::LOG_CAP;
use crate::tui::run::Phase;
use crate::tui::tricks::Item;
use botui::config::tricks::find;

#[test]
fn started_fills_the_run_from_the_event() {
    let app = started_app(4, 10);
    let r = app.run.as_ref().unwrap();
    assert_eq!(r.phase, Phase::Running);
    assert_eq!(r.iters_per_epoch, 10);
    assert_eq!(r.total_iters(), 40);
    assert_eq!(r.classes, 1000);
    assert_eq!(r.iteration(), 0);
    assert!(r.best.is_none());
}

#[test]
fn iterations_move_progress_loss_and_throughput() {
    let mut app = started_app(4, 10);
    let plan = app.run.as_ref().unwrap().lr_plan.clone();
    for (i, lr) in plan.iter().take(5).enumerate() {
        app.update(Msg::Train(fake::iteration(i, 10, 40, *lr)));
    }
    let r = app.run.as_ref().unwrap();
    assert_eq!(r.iteration(), 5);
    // 40 planned iterations in 1024 slices: one point per slice, in order.
    let pts = r.loss.points();
    assert_eq!(pts.len(), 5);
    assert_eq!(pts[4].0, 4.0);
    assert_eq!(r.throughput.len(), 5);
    assert!((r.progress() - 5.0 / 40.0).abs() < 1e-12);
}

#[test]
fn eta_is_remaining_iterations_at_the_current_speed_plus_validation() {
    let mut app = started_app(4, 10);
    // Batch 1024 at 2048 images/s: 0.5 s per iteration.
    let mut ev = fake::iteration(9, 10, 40, 0.1);
    if let TrainEvent::Iteration(s) = &mut ev {
        s.images_per_sec = 2048.0;
    }
    app.update(Msg::Train(ev));
    // Epoch 1 took 20 s, of which 10 x 1024 / 1024 img/s = 10 s were training.
    let mut m = fake::epoch(1, 4, 0.1);
    m.images_per_sec = 1024.0;
    m.seconds = 20.0;
    app.update(Msg::Train(TrainEvent::EpochEnd(m)));
    let r = app.run.as_ref().unwrap();
    // 30 iterations x 0.5 s + 3 epochs x 10 s of validation.
    assert!((r.eta_seconds().unwrap() - 45.0).abs() < 1e-9);
}

#[test]
fn epoch_end_tracks_the_best_validation_top1() {
    let mut app = started_app(5, 10);
    feed_epochs(&mut app, &[30.0, 45.0, 44.0, 45.0, 50.5]);
    let r = app.run.as_ref().unwrap();
    assert_eq!(r.epochs.len(), 5);
    assert_eq!(r.best, Some(4));
    let mut app = started_app(5, 10);
    feed_epochs(&mut app, &[30.0, 45.0, 44.0, 45.0]);
    // A tie does not move the best epoch: the first one reached it.
    assert_eq!(app.run.as_ref().unwrap().best, Some(1));
}

#[test]
fn a_resumed_run_brings_its_history_and_best() {
    let config = fake::paper_config(10);
    let mut app = app_with(config.clone());
    app.run = Some(crate::tui::run::RunState::starting(config.clone()));
    let mut ev = fake::started(&config, 10);
    if let TrainEvent::Started(s) = &mut ev {
        s.history = vec![fake::epoch(1, 10, 0.1), fake::epoch(2, 10, 0.1)];
        s.history[0].val_top1 = 60.0;
        s.history[1].val_top1 = 40.0;
    }
    app.update(Msg::Train(ev));
    let r = app.run.as_ref().unwrap();
    assert_eq!(r.best, Some(0));
    assert_eq!(r.iteration(), 20, "two epochs of ten iterations are done");
}

#[test]
fn failed_sets_the_phase_and_the_error_reaches_the_log() {
    let mut app = started_app(4, 10);
    let error = "the device ran out of memory; try a smaller batch_size".to_string();
    let fx = app.update(Msg::Train(TrainEvent::Log {
        level: LogLevel::Error,
        message: error.clone(),
    }));
    assert!(fx.is_empty());
    let fx = app.update(Msg::Train(TrainEvent::Failed {
        error: error.clone(),
    }));
    assert_eq!(fx, vec![Effect::ScanRuns], "the run list is read again");
    assert_eq!(
        app.run.as_ref().unwrap().phase,
        Phase::Failed(error.clone())
    );
    assert_eq!(app.log.count(LogLevel::Error), 1);
    assert_eq!(app.log.lines.back().unwrap().message, error);
    assert!(!app.run_active());
}

#[test]
fn pause_and_resume_follow_the_trainer_and_keys_match_the_phase() {
    let mut app = started_app(4, 10);
    assert_eq!(
        app.update(Msg::Key(chord('p'))),
        vec![Effect::Command(TrainCommand::Pause)]
    );
    // The key asks; the trainer's event changes the phase.
    assert_eq!(app.run.as_ref().unwrap().phase, Phase::Running);
    app.update(Msg::Train(TrainEvent::Paused));
    assert_eq!(app.run.as_ref().unwrap().phase, Phase::Paused);
    assert!(
        app.update(Msg::Key(chord('p'))).is_empty(),
        "already paused"
    );
    assert_eq!(
        app.update(Msg::Key(chord('r'))),
        vec![Effect::Command(TrainCommand::Resume)]
    );
    app.update(Msg::Train(TrainEvent::Resumed));
    assert_eq!(app.run.as_ref().unwrap().phase, Phase::Running);
}

#[test]
fn stop_stays_stopping_until_the_trainer_finishes() {
    let mut app = started_app(4, 10);
    assert_eq!(
        app.update(Msg::Key(chord('x'))),
        vec![Effect::Command(TrainCommand::Stop)]
    );
    app.update(Msg::Train(fake::iteration(3, 10, 40, 0.1)));
    assert_eq!(app.run.as_ref().unwrap().phase, Phase::Stopping);
    assert!(app.update(Msg::Key(chord('x'))).is_empty(), "asked once");
    app.update(Msg::Train(TrainEvent::Finished {
        epochs_done: 0,
        best_top1: None,
        stopped: true,
    }));
    assert_eq!(
        app.run.as_ref().unwrap().phase,
        Phase::Finished { stopped: true }
    );
}

#[test]
fn quitting_a_running_training_asks_first_then_stops_and_quits() {
    let mut app = started_app(4, 10);
    assert!(app.update(Msg::Key(chord('q'))).is_empty());
    assert_eq!(app.popup, Some(Popup::ConfirmQuit));
    // Any other key keeps training.
    assert!(app.update(Msg::Key(chord('n'))).is_empty());
    assert_eq!(app.popup, None);
    app.update(Msg::Key(chord('q')));
    assert_eq!(
        app.update(Msg::Key(chord('y'))),
        vec![Effect::Command(TrainCommand::Stop)]
    );
    assert!(app.quitting);
    let fx = app.update(Msg::Train(TrainEvent::Finished {
        epochs_done: 1,
        best_top1: Some(40.0),
        stopped: true,
    }));
    assert_eq!(fx, vec![Effect::Quit]);
}

#[test]
fn quitting_without_a_run_needs_no_confirmation() {
    let mut app = app_with(RunConfig::default());
    assert_eq!(app.update(Msg::Key(chord('q'))), vec![Effect::Quit]);
}

#[test]
fn the_log_keeps_the_newest_lines_up_to_its_cap() {
    let mut app = app_with(RunConfig::default());
    for i in 0..LOG_CAP + 25 {
        app.update(Msg::Train(TrainEvent::Log {
            level: LogLevel::Warning,
            message: format!("line {i}\nsecond line"),
        }));
    }
    assert_eq!(app.log.lines.len(), LOG_CAP);
    assert_eq!(app.log.dropped, 25);
    assert_eq!(
        app.log.lines.front().unwrap().message,
        "line 25 | second line"
    );
    assert_eq!(
        app.log.lines.back().unwrap().message,
        format!("line {} | second line", LOG_CAP + 24)
    );
}

fn focus_trick(app: &mut crate::tui::app::App, trick: &str) {
    app.tab = Tab::Setup;
    app.set_focus(PaneId::Tricks);
    app.trick_row = app
        .trick_items()
        .iter()
        .position(|i| *i == Item::Trick(find(trick)))
        .unwrap();
}

#[test]
fn toggling_cosine_changes_the_config_and_the_lr_preview_at_once() {
    // Builtin data: 10 classes x 100 images at batch 100 -> 10 iterations per epoch.
    let mut c = RunConfig {
        epochs: 10,
        batch_size: 100,
        ..RunConfig::default()
    };
    c.data.builtin_classes = 10;
    c.data.builtin_train_per_class = 100;
    c.linear_scaling.enabled = false;
    let mut app = app_with(c);
    // Step decay at 30/60/90 never fires in 10 epochs: flat at 0.1.
    assert!((app.preview.schedule.lr(50) - 0.1).abs() < 1e-12);
    focus_trick(&mut app, "cosine");
    let fx = app.update(Msg::Key(chord(' ')));
    assert_eq!(fx, vec![Effect::WriteConfig]);
    assert_eq!(app.config.schedule.decay, DecayKind::Cosine);
    assert_eq!(app.preview.schedule.decay, DecayKind::Cosine);
    // Iteration 50 of 100: 0.5 (1 + cos(pi / 2)) x 0.1 = 0.05.
    assert!((app.preview.schedule.lr(50) - 0.05).abs() < 1e-12);
    // Warmup on: 5 epochs = 50 iterations; iteration 24 is batch 25: 25 x 0.1 / 50.
    focus_trick(&mut app, "warmup");
    app.update(Msg::Key(chord(' ')));
    assert_eq!(app.preview.schedule.warmup_iters, 50);
    assert!((app.preview.schedule.lr(24) - 0.05).abs() < 1e-12);
}

#[test]
fn linear_scaling_and_batch_move_the_preview_peak() {
    let mut app = app_with(RunConfig::default());
    app.set_focus(PaneId::Setup);
    app.setup_row = 4; // batch
    assert_eq!(app.update(Msg::Key(chord('l'))), vec![Effect::WriteConfig]);
    assert_eq!(app.config.batch_size, 512);
    // 0.1 x 512 / 256
    assert!((app.preview.schedule.peak - 0.2).abs() < 1e-12);
    focus_trick(&mut app, "linear-scaling");
    app.update(Msg::Key(chord(' ')));
    assert!((app.preview.schedule.peak - 0.1).abs() < 1e-12);
}

#[test]
fn trick_parameters_step_and_take_typed_values() {
    let mut app = app_with(RunConfig::default());
    focus_trick(&mut app, "label-smoothing");
    app.update(Msg::Key(chord(' ')));
    assert!(app.config.label_smoothing.enabled);
    // The line under the switch is epsilon.
    app.update(Msg::Key(chord('j')));
    assert_eq!(
        app.trick_items()[app.trick_row],
        Item::Param(
            find("label-smoothing"),
            find("label-smoothing")
                .param("label_smoothing.epsilon")
                .unwrap()
        )
    );
    app.update(Msg::Key(chord('l')));
    assert_eq!(app.config.label_smoothing.epsilon, 0.15);
    // Enter opens a box; a bad value is refused with the reason and nothing changes.
    app.update(Msg::Key(super::key(botui::config::KeyCode::Enter)));
    assert!(matches!(app.popup, Some(Popup::Input(_))));
    for _ in 0..4 {
        app.update(Msg::Key(super::key(botui::config::KeyCode::Backspace)));
    }
    for c in "1.5".chars() {
        app.update(Msg::Key(chord(c)));
    }
    app.update(Msg::Key(super::key(botui::config::KeyCode::Enter)));
    match &app.popup {
        Some(Popup::Input(b)) => {
            let e = b.error.as_deref().unwrap();
            assert!(e.contains("label_smoothing.epsilon = 1.5"), "{e}");
        }
        other => panic!("the box stays open with the error: {other:?}"),
    }
    assert_eq!(app.config.label_smoothing.epsilon, 0.15);
}

#[test]
fn a_resnet_tweak_is_refused_for_mobilenet() {
    let mut c = RunConfig::default();
    c.model.name = botui::model::ModelName::MobileNet;
    let mut app = app_with(c);
    focus_trick(&mut app, "zero-gamma");
    assert!(app.update(Msg::Key(chord(' '))).is_empty());
    assert!(!app.config.zero_gamma.enabled);
    assert!(app.log.lines.back().unwrap().message.contains("ResNets"));
}

#[test]
fn start_refuses_an_invalid_config_and_says_why() {
    let mut c = RunConfig::default();
    c.distillation.enabled = true; // no teacher named
    let mut app = app_with(c);
    assert!(app.update(Msg::Key(chord('s'))).is_empty());
    assert!(app.run.is_none());
    let last = &app.log.lines.back().unwrap().message;
    assert!(last.contains("distillation.teacher"), "{last}");
}

#[test]
fn start_hands_the_config_to_the_loop_and_shows_the_train_tab() {
    let mut app = app_with(RunConfig::default());
    let fx = app.update(Msg::Key(chord('s')));
    assert_eq!(fx, vec![Effect::StartRun(Box::default())]);
    assert_eq!(app.tab, Tab::Train);
    assert_eq!(app.run.as_ref().unwrap().phase, Phase::Starting);
}

#[test]
fn clicking_a_checkbox_toggles_its_trick() {
    let mut app = app_with(RunConfig::default());
    let areas = app.areas();
    let (_, tricks) = *areas
        .panes
        .iter()
        .find(|(p, _)| *p == PaneId::Tricks)
        .unwrap();
    let row = app
        .trick_items()
        .iter()
        .position(|i| *i == Item::Trick(find("mixup")))
        .unwrap() as u16;
    let fx = app.update(Msg::Mouse(MouseMsg::Click {
        column: tricks.x + 2,
        row: tricks.y + 1 + row,
    }));
    assert_eq!(fx, vec![Effect::WriteConfig]);
    assert!(app.config.mixup.enabled);
    assert_eq!(app.focused(), PaneId::Tricks);
    // Mouse off: clicks do nothing.
    app.ui.mouse = false;
    app.update(Msg::Mouse(MouseMsg::Click {
        column: tricks.x + 2,
        row: tricks.y + 1 + row,
    }));
    assert!(app.config.mixup.enabled);
}

#[test]
fn runs_open_one_and_overlay_another() {
    let mut app = app_with(RunConfig::default());
    let runs = super::past_runs();
    app.update(Msg::RunsScanned(
        runs,
        vec!["broken/config.toml: bad".into()],
    ));
    assert_eq!(app.log.count(LogLevel::Warning), 1);
    app.update(Msg::Key(chord('3')));
    assert_eq!(app.focused(), PaneId::RunList);
    app.update(Msg::Key(super::key(botui::config::KeyCode::Enter)));
    assert_eq!(app.runs.opened, Some(0));
    app.update(Msg::Key(chord('j')));
    app.update(Msg::Key(chord(' ')));
    assert_eq!(app.runs.compare, Some(1));
    app.update(Msg::Key(chord(' ')));
    assert_eq!(app.runs.compare, None, "space again removes the overlay");
}

#[test]
fn hardware_samples_keep_a_short_history() {
    let mut app = app_with(RunConfig::default());
    fake::feed_hw(&mut app, 2, 150);
    assert_eq!(app.hw.gpu_util.len(), 2);
    assert_eq!(app.hw.gpu_util[0].len(), crate::tui::hwstate::HW_HISTORY);
    // 61 GiB of 80 on GPU 1: 76.25 %, drawn as 76.
    assert_eq!(*app.hw.gpu_mem[1].back().unwrap(), 76);
    fake::feed_hw(&mut app, 0, 1);
    assert!(app.hw.gpu_util.is_empty(), "the GPUs went away");
}

#[test]
fn a_rejected_config_file_is_logged_and_the_setup_kept() {
    let mut app = app_with(RunConfig::default());
    app.update(Msg::Config(crate::tui::app::ConfigMsg::Rejected(
        "config.toml:3:10: run.epochs = 0: expected at least 1".into(),
    )));
    assert_eq!(app.config, RunConfig::default());
    let line = app.log.lines.back().unwrap();
    assert_eq!(line.level, LogLevel::Error);
    assert!(line.message.contains("run.epochs = 0"));
}

#[test]
fn tab_keys_and_focus_cycling_stay_on_visible_panes() {
    let mut app = app_with(RunConfig::default());
    assert_eq!(app.focused(), PaneId::Setup);
    app.update(Msg::Key(super::key(botui::config::KeyCode::Tab)));
    assert_eq!(app.focused(), PaneId::Tricks);
    app.update(Msg::Key(super::key(botui::config::KeyCode::BackTab)));
    app.update(Msg::Key(super::key(botui::config::KeyCode::BackTab)));
    assert_eq!(
        app.focused(),
        PaneId::Log,
        "backwards from the first wraps to the last"
    );
    // At 80x24 the setup tab has no log pane: focus falls back to the first pane, and
    // cycling only visits what is drawn.
    app.update(Msg::Resize(80, 24));
    assert_eq!(app.focused(), PaneId::Setup);
    for _ in 0..3 {
        app.update(Msg::Key(super::key(botui::config::KeyCode::Tab)));
    }
    assert_eq!(app.focused(), PaneId::Setup, "three panes at this size");
    app.update(Msg::Key(chord('2')));
    assert_eq!((app.tab, app.focused()), (Tab::Train, PaneId::Metrics));
}

#[test]
fn problems_logged_off_screen_are_counted_until_the_log_shows() {
    let mut app = app_with(RunConfig::default());
    app.update(Msg::Key(chord('3'))); // the runs tab has no log pane
    app.update(Msg::Problem("could not write config.toml".into()));
    app.update(Msg::Train(TrainEvent::Log {
        level: LogLevel::Info,
        message: "info lines do not count".into(),
    }));
    assert_eq!(app.log.unseen, 1);
    app.update(Msg::Key(chord('2')));
    assert_eq!(app.log.unseen, 0);
}

/// `v` on the Runs tab evaluates the selected run in a popup that follows the job's events;
/// esc while it runs cancels it, and events after that are dropped.
#[test]
fn evaluating_a_past_run_shows_progress_then_the_report_and_esc_cancels() {
    use crate::tui::eval::{EvalEvent, EvalView};
    use botui::config::KeyCode;
    let mut app = app_with(RunConfig::default());
    assert!(
        app.update(Msg::Key(chord('v'))).is_empty(),
        "only on the Runs tab"
    );
    app.update(Msg::RunsScanned(super::past_runs(), Vec::new()));
    app.update(Msg::Key(chord('3')));
    app.update(Msg::Key(chord('j')));
    let effects = app.update(Msg::Key(chord('v')));
    assert_eq!(
        effects,
        vec![Effect::StartEval("/runs/20260228-090000-baseline".into())]
    );
    assert_eq!(app.popup, Some(Popup::Eval(EvalView::start("baseline"))));
    let progress = EvalEvent::Progress {
        done: 16,
        total: 32,
    };
    app.update(Msg::Eval(progress));
    assert_eq!(
        app.popup,
        Some(Popup::Eval(EvalView::Running {
            run: "baseline".into(),
            done: 16,
            total: 32
        }))
    );
    // Keys other than esc/quit leave it open; esc cancels the running job.
    assert!(app.update(Msg::Key(chord('j'))).is_empty());
    assert!(matches!(app.popup, Some(Popup::Eval(_))));
    let effects = app.update(Msg::Key(super::key(KeyCode::Esc)));
    assert_eq!(effects, vec![Effect::CancelEval]);
    assert_eq!(app.popup, None);
    app.update(Msg::Eval(EvalEvent::Failed("cancelled".into())));
    assert_eq!(app.popup, None, "a late event does not reopen it");
    assert_eq!(app.runs.selected, 1, "keys went to the popup, not the list");

    // Again to the end: the report stays until closed, and closing cancels nothing.
    app.update(Msg::Key(chord('v')));
    let report = Box::new(fake::eval_report());
    app.update(Msg::Eval(EvalEvent::Finished(report.clone())));
    assert_eq!(
        app.popup,
        Some(Popup::Eval(EvalView::Report {
            run: "baseline".into(),
            report
        }))
    );
    assert!(
        app.update(Msg::Key(chord('q'))).is_empty(),
        "q closes, no quit"
    );
    assert_eq!(app.popup, None);
}

#[test]
fn evaluating_with_no_past_runs_says_so() {
    let mut app = app_with(RunConfig::default());
    app.update(Msg::RunsScanned(Vec::new(), Vec::new()));
    app.update(Msg::Key(chord('3')));
    assert!(app.update(Msg::Key(chord('v'))).is_empty());
    assert_eq!(app.popup, None);
    assert_eq!(
        app.log.lines.back().unwrap().message,
        "no past run to evaluate"
    );
}
