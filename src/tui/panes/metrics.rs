//! Metrics of the live run: progress with ETA, per-epoch top-1/top-5 (train and val) as a
//! chart with the paper's numbers as reference lines and as a table with the best epoch
//! marked, and the training loss and throughput.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Borders, Cell, Chart, Dataset, GraphType, LineGauge, Paragraph, Row, Sparkline,
    Table, Widget,
};

use crate::tui::app::App;
use crate::tui::layout::{WIDE, inner};
use crate::tui::panes::curves::{AccuracyChart, Curve, history_curves};
use crate::tui::run::{Phase, RunState, format_duration};
use crate::tui::series::{min_max, y_bounds};
use crate::tui::style::Styles;
use botui::config::Role;

pub struct MetricsPane<'a> {
    pub app: &'a App,
    pub styles: Styles<'a>,
    pub focused: bool,
}

fn phase_text(p: &Phase) -> (&'static str, Role) {
    match p {
        Phase::Starting => ("starting", Role::Accent),
        Phase::Running => ("running", Role::Success),
        Phase::Paused => ("paused", Role::Warning),
        Phase::Stopping => ("stopping", Role::Warning),
        Phase::Finished { stopped: false } => ("finished", Role::Success),
        Phase::Finished { stopped: true } => ("stopped", Role::Warning),
        Phase::Failed(_) => ("failed", Role::Error),
    }
}

/// `ep 3/10 · it 1234/5000 · loss 1.234 · 812 img/s · ETA 4:12`
pub fn progress_text(r: &RunState) -> String {
    let mut parts = vec![
        format!("ep {}/{}", r.epochs.len(), r.config.epochs),
        format!("it {}/{}", r.iteration(), r.total_iters()),
    ];
    if let Some(last) = &r.last {
        parts.push(format!("loss {:.3}", last.loss));
        parts.push(format!("{:.0} img/s", last.images_per_sec));
    }
    if let Some(eta) = r.eta_seconds() {
        parts.push(format!("ETA {}", format_duration(eta)));
    }
    parts.join(" · ")
}

impl MetricsPane<'_> {
    fn table(&self, r: &RunState, area: Rect, buf: &mut Buffer) {
        let s = self.styles;
        let wide = area.width >= 40;
        let mut header = vec!["ep", "loss", "tr@1", "val@1", "val@5"];
        // The EMA's top-1 beside the raw weights' when the run keeps one and there is room
        // (the title shows its latest either way).
        let ema = wide && r.epochs.iter().any(|m| m.ema_val_top1.is_some());
        if ema {
            header.push("ema@1");
        }
        if wide {
            header.push("lr");
        }
        let height = area.height.saturating_sub(1) as usize;
        let skip = r.epochs.len().saturating_sub(height);
        let rows: Vec<Row> = r
            .epochs
            .iter()
            .enumerate()
            .skip(skip)
            .map(|(i, m)| {
                let best = r.best == Some(i);
                let mark = if best { "★" } else { " " };
                let mut cells = vec![
                    Cell::from(format!("{mark}{}", m.epoch)),
                    Cell::from(format!("{:.3}", m.train_loss)),
                    Cell::from(m.train_top1.map_or("-".into(), |t| format!("{t:.1}"))),
                    Cell::from(format!("{:.2}", m.val_top1)),
                    Cell::from(format!("{:.2}", m.val_top5)),
                ];
                if ema {
                    cells.push(Cell::from(
                        m.ema_val_top1.map_or("-".into(), |t| format!("{t:.2}")),
                    ));
                }
                if wide {
                    cells.push(Cell::from(format!("{:.2e}", m.lr)));
                }
                let style = if best { s.fg(Role::Success) } else { s.text() };
                Row::new(cells).style(style)
            })
            .collect();
        let mut widths = vec![
            Constraint::Length(5),
            Constraint::Length(6),
            Constraint::Length(5),
            Constraint::Length(6),
            Constraint::Length(6),
        ];
        if ema {
            widths.push(Constraint::Length(6));
        }
        if wide {
            widths.push(Constraint::Length(8));
        }
        Table::new(rows, &widths)
            .header(Row::new(header).style(s.muted()))
            .column_spacing(1)
            .render(area, buf);
    }

    fn loss(&self, r: &RunState, area: Rect, buf: &mut Buffer) {
        let s = self.styles;
        if r.loss.is_empty() {
            Paragraph::new(vec![
                Line::from(s.span(Role::Muted, "train loss")),
                Line::from(s.span(Role::Muted, "(after the first iterations)")),
            ])
            .render(area, buf);
            return;
        }
        let [chart_area, tp_area] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
        let now = r.throughput.last().copied().unwrap_or(0.0);
        let label = format!("{now:>5.0} img/s ");
        let label_w = (label.len() as u16).min(tp_area.width);
        Paragraph::new(s.span(Role::Muted, label))
            .render(Rect::new(tp_area.x, tp_area.y, label_w, 1), buf);
        let spark_area = Rect::new(tp_area.x + label_w, tp_area.y, tp_area.width - label_w, 1);
        let pts = min_max(&r.loss.points(), chart_area.width.max(10) as usize);
        let (lo, hi) = y_bounds(&pts);
        let total = r.total_iters().max(1) as f64;
        let data = Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(s.fg(Role::Train))
            .data(&pts);
        Chart::new(vec![data])
            .block(Block::default().title(s.span(Role::Muted, "train loss")))
            .x_axis(Axis::default().bounds([0.0, total]))
            .y_axis(
                Axis::default()
                    .bounds([lo.min(0.0), hi])
                    .labels(vec![
                        Span::raw(format!("{:.2}", lo.min(0.0))),
                        Span::raw(format!("{hi:.2}")),
                    ])
                    .style(s.muted()),
            )
            .render(chart_area, buf);
        let skip = r.throughput.len().saturating_sub(spark_area.width as usize);
        let tp: Vec<u64> = r.throughput[skip..]
            .iter()
            .map(|v| v.round() as u64)
            .collect();
        Sparkline::default()
            .data(&tp)
            .style(s.fg(Role::Gauge))
            .render(spark_area, buf);
    }
}

impl Widget for MetricsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let s = self.styles;
        let Some(r) = self.app.run.as_ref() else {
            let block = s.block("Metrics", self.focused);
            let keys = self.app.keys.keys(botui::config::Action::Start);
            let key = keys.first().map_or("start".into(), |k| k.to_string());
            Paragraph::new(vec![
                Line::from(s.span(Role::Muted, "No run yet.")),
                Line::from(s.span(Role::Muted, format!("Press {key} to train the setup."))),
            ])
            .block(block)
            .render(area, buf);
            return;
        };
        let mut title = format!("Metrics · {}", r.config.model_config(2).display_name());
        if let Some(b) = r.best.and_then(|i| r.epochs.get(i)) {
            title.push_str(&format!(" · best top-1 {:.2} @ ep {}", b.val_top1, b.epoch));
        }
        // The EMA of the weights (after the paper): its latest top-1 beside the raw weights'.
        if let Some(ema) = r.epochs.iter().rev().find_map(|m| m.ema_val_top1) {
            title.push_str(&format!(" · EMA top-1 {ema:.2}"));
        }
        let mut block = s.block(title, self.focused);
        if let Some(p) = r.paper() {
            let top5 = p.top5.map_or(String::new(), |t| format!(" / {t:.2}"));
            block = block.title_bottom(s.span(
                Role::PaperReference,
                format!(
                    " paper {} \"{}\" {}: {:.2}{top5} ",
                    p.table, p.row, p.model, p.top1
                ),
            ));
        }
        let body = inner(area);
        block.render(area, buf);
        let [gauge_area, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(body);
        let (phase, role) = phase_text(&r.phase);
        let label = format!("{phase} · {}", progress_text(r));
        LineGauge::default()
            .ratio(r.progress())
            .label(Line::from(s.span(role, label)))
            .filled_style(s.fg(Role::Gauge))
            .unfilled_style(s.fg(Role::GaugeBackground))
            .render(gauge_area, buf);
        let rest = if let Phase::Failed(e) = &r.phase {
            let [err, rest] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(rest);
            Paragraph::new(s.span(Role::Error, format!("failed: {e}"))).render(err, buf);
            rest
        } else {
            rest
        };
        let wide = area.width >= WIDE;
        let cols = if wide {
            Layout::horizontal([
                Constraint::Percentage(46),
                Constraint::Percentage(26),
                Constraint::Min(0),
            ])
            .split(rest)
            .to_vec()
        } else {
            Layout::horizontal([Constraint::Percentage(58), Constraint::Min(0)])
                .split(rest)
                .to_vec()
        };
        let mut curves = history_curves(&r.epochs, "", Role::Val);
        curves.push(Curve {
            name: "train top-1".into(),
            points: r
                .epochs
                .iter()
                .filter_map(|m| m.train_top1.map(|t| (m.epoch as f64, t)))
                .collect(),
            role: Role::Train,
            dim: false,
        });
        let best = r
            .best
            .and_then(|i| r.epochs.get(i))
            .map(|m| (m.epoch as f64, m.val_top1));
        AccuracyChart {
            block: Block::default().borders(Borders::NONE),
            curves: &curves,
            paper: r.paper(),
            epochs: r.config.epochs,
            best,
            styles: s,
        }
        .render(cols[0], buf);
        if wide {
            self.loss(r, cols[1], buf);
        }
        let table_area = *cols.last().unwrap_or(&rest);
        self.table(r, table_area.inner(ratatui::layout::Margin::new(1, 0)), buf);
    }
}
