//! The learning-rate schedule: the next run's whole plan before it starts (warmup, then
//! cosine or steps), the running plan with a marker at the current iteration once it runs;
//! linear or log scale.

use botui::config::DecayKind;
use botui::train::schedule::LrSchedule;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Widget};

use crate::tui::app::App;
use crate::tui::layout::inner;
use crate::tui::panes::setup::trim;
use crate::tui::series::{min_max, scale_y, schedule_points};
use crate::tui::style::Styles;
use botui::config::Role;

pub struct LrPane<'a> {
    pub app: &'a App,
    pub styles: Styles<'a>,
    pub focused: bool,
}

fn describe(s: &LrSchedule, epochs: usize) -> String {
    let mut parts = Vec::new();
    if s.warmup_iters > 0 {
        let ep = s.warmup_iters as f64 / s.iters_per_epoch as f64;
        parts.push(format!("warmup {} ep", trim((ep * 100.0).round() / 100.0)));
    }
    parts.push(match s.decay {
        DecayKind::Cosine => "cosine".to_string(),
        DecayKind::Step => {
            let at: Vec<String> = s
                .step_epochs
                .iter()
                .filter(|e| **e < epochs)
                .map(|e| e.to_string())
                .collect();
            if at.is_empty() {
                "constant".into()
            } else {
                format!("x{} at {}", trim(s.step_factor), at.join(","))
            }
        }
    });
    format!("{} · peak {}", parts.join(" + "), trim(s.peak))
}

fn label(v: f64, log: bool) -> String {
    if log {
        format!("1e{:.0}", v)
    } else {
        trim((v * 1e4).round() / 1e4)
    }
}

impl Widget for LrPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let s = self.styles;
        let app = self.app;
        let log = app.lr_log_scale;
        let width = inner(area).width.max(10) as usize;
        let run = app.run.as_ref().filter(|r| !r.lr_plan.is_empty());
        let (points, epochs, iters_per_epoch, title, footer) = match run {
            Some(r) => {
                let sched = LrSchedule::new(&r.config, r.iters_per_epoch);
                let now = r.iteration().min(r.total_iters().saturating_sub(1));
                let lr_now = r.lr_plan.get(now).copied().unwrap_or(0.0);
                (
                    min_max(&r.lr_points, width * 2),
                    r.config.epochs,
                    r.iters_per_epoch,
                    format!("LR · {}", describe(&sched, r.config.epochs)),
                    format!(" it {now} lr {} ", trim(lr_now)),
                )
            }
            None => {
                let p = &app.preview;
                let note = if p.exact {
                    format!(" {} it/epoch ", p.schedule.iters_per_epoch)
                } else {
                    format!(
                        " {} it/epoch (estimate: image folder size assumed {}) ",
                        p.schedule.iters_per_epoch, p.train_images
                    )
                };
                (
                    schedule_points(&p.schedule, width * 2),
                    app.config.epochs,
                    p.schedule.iters_per_epoch,
                    format!("LR plan · {}", describe(&p.schedule, app.config.epochs)),
                    note,
                )
            }
        };
        let scale = if log { "log" } else { "linear" };
        let block = s
            .block(format!("{title} · {scale}"), self.focused)
            .title_bottom(s.span(Role::Muted, footer));
        let drawn: Vec<(f64, f64)> = points.iter().map(|p| (p.0, scale_y(p.1, log))).collect();
        let total = (epochs * iters_per_epoch).max(1) as f64;
        let (mut lo, mut hi) = crate::tui::series::y_bounds(&drawn);
        if !log {
            // From zero to the peak, the peak drawn on the top row.
            lo = 0.0;
            hi = drawn.iter().map(|p| p.1).fold(0.0, f64::max);
            if hi <= 0.0 {
                hi = 1.0;
            }
        }
        let marker: Vec<(f64, f64)> = run
            .map(|r| {
                let x = r.iteration().min(r.total_iters().saturating_sub(1)) as f64;
                vec![(x, lo), (x, hi)]
            })
            .unwrap_or_default();
        let mut datasets = vec![
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(s.fg(Role::Lr))
                .data(&drawn),
        ];
        if !marker.is_empty() {
            datasets.push(
                Dataset::default()
                    .marker(Marker::Braille)
                    .graph_type(GraphType::Line)
                    .style(s.fg(Role::Accent))
                    .data(&marker),
            );
        }
        let x_labels = vec![
            Span::raw("ep 0"),
            Span::raw(format!("ep {}", epochs / 2)),
            Span::raw(format!("ep {epochs}")),
        ];
        let y_labels = vec![Span::raw(label(lo, log)), Span::raw(label(hi, log))];
        Chart::new(datasets)
            .block(block)
            .x_axis(
                Axis::default()
                    .bounds([0.0, total])
                    .labels(x_labels)
                    .style(s.muted()),
            )
            .y_axis(
                Axis::default()
                    .bounds([lo, hi])
                    .labels(y_labels)
                    .style(s.muted()),
            )
            .render(area, buf);
    }
}
