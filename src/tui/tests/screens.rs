//! Whole screens at fixed sizes (120x40 and 80x24) with fake events and fake GPUs, drawn
//! into a TestBackend and compared with insta snapshots (`cargo insta review` after a
//! deliberate change). Volatile text (ETA, home folder) is masked.

use botui::train::{LogLevel, TrainEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::{app_with, chord, past_runs};
use crate::tui::app::{App, Msg, PaneId, Popup, Tab};
use crate::tui::eval::{EvalEvent, EvalView};
use crate::tui::fake;
use crate::tui::tricks::Item;
use botui::config::tricks::find;

/// The screen as text, one line per row, trailing blanks cut.
pub(super) fn screen(app: &mut App, width: u16, height: u16) -> String {
    app.size = (width, height);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| crate::tui::ui::draw(f, app)).unwrap();
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        let line: String = (0..width).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    mask(&out)
}

/// `ETA 1:02:03` -> `ETA [eta]` and the home folder -> `~`.
fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("ETA ") {
        out.push_str(&rest[..i + 4]);
        rest = &rest[i + 4..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == ':'))
            .unwrap_or(rest.len());
        out.push_str("[eta]");
        rest = &rest[end..];
    }
    out.push_str(rest);
    match std::env::var("HOME") {
        Ok(home) if !home.is_empty() => out.replace(&home, "~"),
        _ => out,
    }
}

fn setup_app() -> App {
    let mut config = fake::paper_config(120);
    config.batch_size = 256;
    let mut app = app_with(config);
    fake::feed_hw(&mut app, 0, 30);
    app.set_focus(PaneId::Tricks);
    app.trick_row = app
        .trick_items()
        .iter()
        .position(|i| *i == Item::Trick(find("cosine")))
        .unwrap();
    app
}

#[test]
fn setup_tab_120x40() {
    let mut app = setup_app();
    insta::assert_snapshot!(screen(&mut app, 120, 40));
}

#[test]
fn setup_tab_80x24() {
    let mut app = setup_app();
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

#[test]
fn train_tab_with_gpus_120x40() {
    let mut app = fake::long_run_app(30, 12, 50, 2);
    app.tab = Tab::Train;
    insta::assert_snapshot!(screen(&mut app, 120, 40));
}

#[test]
fn train_tab_with_gpus_80x24() {
    let mut app = fake::long_run_app(30, 12, 50, 1);
    app.tab = Tab::Train;
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

/// No NVIDIA GPU, and the run failed: the error is in the metrics pane and the log.
#[test]
fn train_tab_cpu_only_with_an_error_120x40() {
    let mut app = fake::long_run_app(30, 5, 20, 0);
    let error = "the device ran out of memory (CUDA out of memory); try a smaller batch_size";
    app.update(Msg::Train(TrainEvent::Log {
        level: LogLevel::Error,
        message: error.into(),
    }));
    app.update(Msg::Train(TrainEvent::Failed {
        error: error.into(),
    }));
    app.tab = Tab::Train;
    app.set_focus(PaneId::Log);
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("CPU only"), "{text}");
    assert!(
        text.contains("error train  the device ran out of memory"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn runs_tab_two_runs_overlaid_120x40() {
    let mut app = app_with(fake::paper_config(30));
    app.update(Msg::RunsScanned(past_runs(), Vec::new()));
    app.update(Msg::Key(chord('3')));
    app.runs.opened = Some(0);
    app.runs.compare = Some(1);
    insta::assert_snapshot!(screen(&mut app, 120, 40));
}

/// The selected run evaluated: its report over the Runs tab.
#[test]
fn runs_tab_eval_report_120x40() {
    let mut app = app_with(fake::paper_config(30));
    app.update(Msg::RunsScanned(past_runs(), Vec::new()));
    app.update(Msg::Key(chord('3')));
    app.update(Msg::Key(chord('v')));
    app.update(Msg::Eval(EvalEvent::Progress { done: 8, total: 32 }));
    let running = screen(&mut app, 120, 40);
    assert!(running.contains("8/32 validation images"), "{running}");
    assert!(running.contains("esc cancel"), "{running}");
    app.update(Msg::Eval(EvalEvent::Finished(
        Box::new(fake::eval_report()),
    )));
    insta::assert_snapshot!(screen(&mut app, 120, 40));
}

#[test]
fn help_overlay_120x40() {
    let mut app = setup_app();
    app.popup = Some(Popup::Help);
    insta::assert_snapshot!(screen(&mut app, 120, 40));
}

#[test]
fn quit_confirmation_80x24() {
    let mut app = fake::long_run_app(30, 3, 20, 0);
    app.tab = Tab::Train;
    app.update(Msg::Key(chord('q')));
    insta::assert_snapshot!(screen(&mut app, 80, 24));
}

/// Any size, however small, draws without a panic (the terminal can be resized at any time).
#[test]
fn every_tab_and_popup_draws_at_any_size() {
    let mut busy = fake::long_run_app(30, 12, 50, 8);
    busy.update(Msg::RunsScanned(past_runs(), Vec::new()));
    busy.runs.opened = Some(0);
    busy.runs.compare = Some(1);
    let idle = setup_app();
    let popups = [
        None,
        Some(Popup::Help),
        Some(Popup::ConfirmQuit),
        Some(Popup::Presets { selected: 0 }),
        Some(Popup::Eval(EvalView::start("a"))),
        Some(Popup::Eval(EvalView::Report {
            run: "a".into(),
            report: Box::new(fake::eval_report()),
        })),
        Some(Popup::Eval(EvalView::Failed {
            run: "a".into(),
            error: "a/best.ckpt: not a checkpoint ".repeat(9),
        })),
    ];
    let sizes = [
        (1, 1),
        (2, 3),
        (10, 4),
        (33, 9),
        (79, 23),
        (80, 24),
        (99, 30),
        (100, 12),
        (250, 80),
    ];
    for mut app in [busy, idle] {
        for tab in Tab::ALL {
            for popup in &popups {
                for (w, h) in sizes {
                    app.tab = tab;
                    app.popup = popup.clone();
                    app.lr_log_scale = w % 2 == 0;
                    let _ = screen(&mut app, w, h);
                }
            }
        }
    }
}

#[test]
fn the_scale_key_switches_the_lr_pane_to_log() {
    let mut app = setup_app();
    let linear = screen(&mut app, 120, 40);
    assert!(linear.contains("peak 0.1 · linear"), "{linear}");
    app.update(Msg::Key(chord('g')));
    let log = screen(&mut app, 120, 40);
    assert!(log.contains("peak 0.1 · log"), "{log}");
    // The cosine plan ends near 1e-7 (floored at 1e-6) and peaks at 0.1 = 1e-1.
    assert!(log.contains("│1e-6") || log.contains("1e-6│"), "{log}");
    assert!(log.contains("1e-1"), "{log}");
}

/// A run that keeps an EMA of its weights shows the EMA's top-1 beside the raw weights' in
/// the Metrics pane's title (and an `ema@1` column where the table has room); a run without
/// one shows neither.
#[test]
fn metrics_pane_shows_the_ema_top1_only_when_the_run_has_one() {
    let mut app = super::started_app(10, 20);
    let mut m = fake::epoch(1, 10, 0.1);
    m.val_top1 = 40.0;
    m.ema_val_top1 = Some(43.21);
    app.update(Msg::Train(TrainEvent::EpochEnd(m)));
    app.tab = Tab::Train;
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("EMA top-1 43.21"), "{text}");

    let mut plain = super::started_app(10, 20);
    super::feed_epochs(&mut plain, &[40.0]);
    plain.tab = Tab::Train;
    assert!(!screen(&mut plain, 120, 40).contains("EMA"));
}

/// The hardware pane alone at `width` x `height`, as text.
fn hardware_pane(app: &App, width: u16, height: u16) -> String {
    use ratatui::widgets::Widget;
    let area = ratatui::layout::Rect::new(0, 0, width, height);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    crate::tui::panes::hardware::HardwarePane {
        app,
        styles: crate::tui::style::Styles::new(&app.theme),
        focused: false,
    }
    .render(area, &mut buf);
    let mut out = String::new();
    for y in 0..height {
        let line: String = (0..width).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A fake 4-GPU machine training on three of its GPUs (`cuda:1,2,3`, as the workbench's
/// device picker or config would name them): the run's GPUs first, each with its rank, the
/// idle one after them; every GPU in use is shown, with two lines, one line, or, when even
/// that does not fit, a count of those left out.
#[test]
fn hardware_pane_shows_every_gpu_of_a_multi_gpu_run() {
    let mut app = fake::long_run_app(30, 2, 10, 4);
    app.run.as_mut().unwrap().config.device = "cuda:1,2,3".parse().unwrap();
    insta::assert_snapshot!(
        "hardware_4_gpus_3_in_use_roomy",
        hardware_pane(&app, 60, 10)
    );
    let compact = hardware_pane(&app, 44, 6);
    insta::assert_snapshot!("hardware_4_gpus_3_in_use_compact", compact);
    let cramped = hardware_pane(&app, 60, 5);
    assert!(
        cramped.contains("1 r0") && cramped.contains("2 r1"),
        "{cramped}"
    );
    assert!(
        cramped.contains("+2 more (GPUs 3,0, 1 in this run)"),
        "{cramped}"
    );
}
