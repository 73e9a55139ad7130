//! `botui bench ui`: how long drawing one full frame takes with a long run's worth of data
//! (into a TestBackend, so the terminal's own speed is not measured), next to the cost of a
//! screen of plain text in the same buffer as the reference.

use std::time::Instant;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::app::Tab;
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

/// Milliseconds per frame of one tab (or of the reference screen).
#[derive(Debug, Clone, serde::Serialize)]
pub struct FrameTimes {
    pub tab: String,
    pub frames: usize,
    pub mean_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

fn time_frames(
    name: &str,
    terminal: &mut Terminal<TestBackend>,
    frames: usize,
    mut draw: impl FnMut(&mut ratatui::Frame),
) -> FrameTimes {
    let mut ms = Vec::with_capacity(frames);
    for _ in 0..frames.max(1) {
        let start = Instant::now();
        terminal.draw(&mut draw).expect("a TestBackend never fails");
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    let p99 = ms[((ms.len() as f64 * 0.99).ceil() as usize).clamp(1, ms.len()) - 1];
    FrameTimes {
        tab: name.to_string(),
        frames: ms.len(),
        mean_ms: ms.iter().sum::<f64>() / ms.len() as f64,
        p99_ms: p99,
        max_ms: *ms.last().unwrap_or(&0.0),
    }
}

/// The reference: a screen full of plain text (what any full-screen redraw costs).
fn text_screen(width: u16, height: u16) -> Paragraph<'static> {
    let line: String = "botui ".repeat(width as usize / 6 + 1);
    let lines: Vec<Line> = (0..height)
        .map(|_| Line::raw(line[..width as usize].to_string()))
        .collect();
    Paragraph::new(lines)
}

/// Builds the run (all epochs done, every iteration reported), then times the reference
/// screen (first) and each tab.
pub fn run(b: UiBench) -> Vec<FrameTimes> {
    let iters_per_epoch = (b.iterations / b.epochs.max(1)).max(1);
    let mut app = long_run_app(b.epochs, b.epochs, iters_per_epoch, b.gpus);
    app.size = (b.width, b.height);
    // The runs tab with the run itself listed twice, one overlaid on the other.
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
    let text = text_screen(b.width, b.height);
    let mut out = vec![time_frames("text", &mut terminal, b.frames, |f| {
        f.render_widget(text.clone(), f.area())
    })];
    for tab in Tab::ALL {
        app.tab = tab;
        out.push(time_frames(tab.title(), &mut terminal, b.frames, |f| {
            super::ui::draw(f, &app)
        }));
    }
    out
}
