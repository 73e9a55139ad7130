//! Per-epoch accuracy curves with the paper's numbers as reference lines: shared by the
//! metrics pane (the live run) and the runs pane (past runs, overlaid).

use botui::config::PaperReference;
use botui::train::EpochMetrics;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, LegendPosition, Widget};

use crate::tui::style::Styles;
use botui::config::Role;

/// One line of the chart.
pub struct Curve {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub role: Role,
    /// A second series of the same color (top-5 next to top-1): drawn dimmed.
    pub dim: bool,
}

/// Val top-1, val top-5 and train top-1 of a history; `prefix` tells overlaid runs apart.
pub fn history_curves(history: &[EpochMetrics], prefix: &str, role: Role) -> Vec<Curve> {
    let pts = |f: &dyn Fn(&EpochMetrics) -> Option<f64>| -> Vec<(f64, f64)> {
        history
            .iter()
            .filter_map(|m| f(m).map(|v| (m.epoch as f64, v)))
            .collect()
    };
    vec![
        Curve {
            name: format!("{prefix}val top-1"),
            points: pts(&|m| Some(m.val_top1)),
            role,
            dim: false,
        },
        Curve {
            name: format!("{prefix}val top-5"),
            points: pts(&|m| Some(m.val_top5)),
            role,
            dim: true,
        },
    ]
}

/// The curves on 0-100 % over epochs 1..=`epochs`, the paper's top-1 and top-5 as flat
/// lines, and `best` as a highlighted point.
pub struct AccuracyChart<'a> {
    pub block: Block<'static>,
    pub curves: &'a [Curve],
    pub paper: Option<&'a PaperReference>,
    pub epochs: usize,
    pub best: Option<(f64, f64)>,
    pub styles: Styles<'a>,
}

impl Widget for AccuracyChart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let AccuracyChart {
            block,
            curves,
            paper,
            epochs,
            best,
            styles: s,
        } = self;
        let x_max = (epochs.max(2)) as f64;
        // The paper's numbers as dotted lines: 40 dots across.
        let dotted = |y: f64| -> Vec<(f64, f64)> {
            (0..=40)
                .map(|i| (1.0 + (x_max - 1.0) * f64::from(i) / 40.0, y))
                .collect()
        };
        let paper_lines: Vec<(String, Vec<(f64, f64)>)> = paper
            .map(|p| {
                let mut v = vec![(format!("paper top-1 {:.2}", p.top1), dotted(p.top1))];
                if let Some(t5) = p.top5 {
                    v.push((format!("paper top-5 {t5:.2}"), dotted(t5)));
                }
                v
            })
            .unwrap_or_default();
        let best_point: Vec<(f64, f64)> = best.into_iter().collect();
        let mut datasets = Vec::new();
        for (name, pts) in &paper_lines {
            datasets.push(
                Dataset::default()
                    .name(name.clone())
                    .marker(Marker::Braille)
                    .graph_type(GraphType::Scatter)
                    .style(s.fg(Role::PaperReference))
                    .data(pts),
            );
        }
        for c in curves {
            let style = if c.dim {
                s.fg(c.role).add_modifier(Modifier::DIM)
            } else {
                s.fg(c.role)
            };
            datasets.push(
                Dataset::default()
                    .name(c.name.clone())
                    .marker(Marker::Braille)
                    .graph_type(GraphType::Line)
                    .style(style)
                    .data(&c.points),
            );
        }
        if !best_point.is_empty() {
            datasets.push(
                Dataset::default()
                    .name("best")
                    .marker(Marker::Block)
                    .graph_type(GraphType::Scatter)
                    .style(s.fg(Role::Success).add_modifier(Modifier::BOLD))
                    .data(&best_point),
            );
        }
        let last = epochs.max(2);
        let x_labels = if last > 3 {
            vec![
                Span::raw("1"),
                Span::raw(format!("{}", last.div_ceil(2))),
                Span::raw(format!("{last}")),
            ]
        } else {
            vec![Span::raw("1"), Span::raw(format!("{last}"))]
        };
        Chart::new(datasets)
            .block(block)
            .legend_position(Some(LegendPosition::BottomRight))
            .hidden_legend_constraints((
                ratatui::layout::Constraint::Percentage(60),
                ratatui::layout::Constraint::Percentage(60),
            ))
            .x_axis(
                Axis::default()
                    .bounds([1.0, x_max])
                    .labels(x_labels)
                    .style(s.muted()),
            )
            .y_axis(
                Axis::default()
                    .bounds([0.0, 100.0])
                    .labels(vec![Span::raw("0"), Span::raw("50"), Span::raw("100%")])
                    .style(s.muted()),
            )
            .render(area, buf);
    }
}
