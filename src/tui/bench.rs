//! `botui bench ui`: how long drawing one full frame takes with a long run's worth of data
//! (into a TestBackend, so the terminal's own speed is not measured).

use std::time::Instant;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{App, Tab};
use super::fake::long_run_app;

/// The setting of one measurement.
#[derive(Debug, Clone, Copy)]
pub struct UiBench {
    pub width: u16,
    pub height: u16,
    pub epochs: usize,
    pub iterations: usize,
    pub gpus: usize,
    pub frames: usize,
}

/// Milliseconds per frame of one tab.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FrameTimes {
    pub tab: String,
    pub frames: usize,
    pub mean_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

fn time_tab(
    app: &mut App,
    terminal: &mut Terminal<TestBackend>,
    tab: Tab,
    frames: usize,
) -> FrameTimes {
    app.tab = tab;
    let mut ms = Vec::with_capacity(frames);
    for _ in 0..frames.max(1) {
        let start = Instant::now();
        terminal
            .draw(|f| super::ui::draw(f, app))
            .expect("a TestBackend never fails");
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    let p99 = ms[((ms.len() as f64 * 0.99).ceil() as usize).clamp(1, ms.len()) - 1];
    FrameTimes {
        tab: tab.title().to_string(),
        frames: ms.len(),
        mean_ms: ms.iter().sum::<f64>() / ms.len() as f64,
        p99_ms: p99,
        max_ms: *ms.last().unwrap_or(&0.0),
    }
}

/// Builds the run (all epochs done, every iteration reported) and times each tab.
pub fn run(b: UiBench) -> Vec<FrameTimes> {
    let iters_per_epoch = (b.iterations / b.epochs.max(1)).max(1);
    let mut app = long_run_app(b.epochs, b.epochs, iters_per_epoch, b.gpus);
    app.size = (b.width, b.height);
    // The runs tab with the run itself opened twice (overlay).
    if let Some(r) = app.run.as_ref() {
        let past = super::runs::PastRun {
            path: "/runs/fake".into(),
            modified: 0,
            config: r.config.clone(),
            history: r.epochs.clone(),
        };
        app.runs.set_list(vec![past.clone(), past]);
        app.runs.opened = Some(0);
        app.runs.compare = Some(1);
    }
    let mut terminal =
        Terminal::new(TestBackend::new(b.width, b.height)).expect("a TestBackend never fails");
    Tab::ALL
        .iter()
        .map(|t| time_tab(&mut app, &mut terminal, *t, b.frames))
        .collect()
}
