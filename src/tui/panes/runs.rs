//! Past runs: the list (newest first) and the curves of the opened run, with a second run
//! overlaid to compare.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::tui::app::App;
use crate::tui::layout::{inner, list_offset};
use crate::tui::panes::curves::{AccuracyChart, history_curves};
use crate::tui::runs::{PastRun, format_time};
use crate::tui::style::Styles;
use botui::config::Role;

pub struct RunListPane<'a> {
    pub app: &'a App,
    pub styles: Styles<'a>,
    pub focused: bool,
}

impl Widget for RunListPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let s = self.styles;
        let runs = &self.app.runs;
        let block = s.block(format!("Runs · {}", runs.list.len()), self.focused);
        let body = inner(area);
        if runs.list.is_empty() {
            let text = if runs.scanned {
                "No runs yet: the runs the workbench starts are kept here."
            } else {
                "Reading the run folders..."
            };
            Paragraph::new(s.span(Role::Muted, text))
                .block(block)
                .render(area, buf);
            return;
        }
        let wide = body.width >= 44;
        let mut lines = vec![Line::from(s.span(
            Role::Muted,
            if wide {
                "   when (UTC)        top-1  ep   name"
            } else {
                "   top-1  ep   name"
            },
        ))];
        let height = body.height.saturating_sub(1) as usize;
        let offset = list_offset(runs.selected, runs.list.len(), height);
        for (i, r) in runs.list.iter().enumerate().skip(offset).take(height) {
            let mark = if runs.opened == Some(i) {
                s.span(Role::Val, "▶ ")
            } else if runs.compare == Some(i) {
                s.span(Role::Train, "+ ")
            } else {
                Span::raw("  ")
            };
            let best = r
                .best()
                .map_or("    -".into(), |b| format!("{:>5.1}", b.val_top1));
            let eps = format!("{:>2}/{:<3}", r.history.len(), r.config.epochs);
            let text = if wide {
                format!("{}  {best}  {eps} {}", format_time(r.modified), r.label())
            } else {
                format!("{best}  {eps} {}", r.label())
            };
            let style = if self.focused && i == runs.selected {
                s.selected()
            } else {
                s.text()
            };
            lines.push(Line::from(vec![mark, Span::styled(text, style)]));
        }
        Paragraph::new(lines).block(block).render(area, buf);
    }
}

pub struct RunViewPane<'a> {
    pub app: &'a App,
    pub styles: Styles<'a>,
    pub focused: bool,
}

fn summary(r: &PastRun, role: Role, s: Styles<'_>) -> Vec<Line<'static>> {
    let best = r.best().map_or("no finished epoch".to_string(), |b| {
        format!(
            "best {:.2} / {:.2} at epoch {}",
            b.val_top1, b.val_top5, b.epoch
        )
    });
    vec![
        Line::from(vec![
            s.span(role, format!("{} ", r.label())),
            s.span(
                Role::Muted,
                format!(
                    "{}  {}",
                    r.config.model_config(2).display_name(),
                    format_time(r.modified)
                ),
            ),
        ]),
        Line::from(vec![
            s.span(Role::Text, best),
            s.span(
                Role::Muted,
                format!("  {}/{} epochs", r.history.len(), r.config.epochs),
            ),
        ]),
        Line::from(s.span(Role::Muted, r.tricks())),
    ]
}

impl Widget for RunViewPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let s = self.styles;
        let runs = &self.app.runs;
        let opened = runs.opened.and_then(|i| runs.list.get(i));
        let compare = runs.compare.and_then(|i| runs.list.get(i));
        let Some(a) = opened else {
            Paragraph::new(vec![
                Line::from(s.span(Role::Muted, "enter: open the selected run's curves")),
                Line::from(s.span(Role::Muted, "space: overlay another run to compare")),
            ])
            .block(s.block("Curves", self.focused))
            .render(area, buf);
            return;
        };
        let title = match compare {
            Some(b) => format!("Curves · {} vs + {}", a.label(), b.label()),
            None => format!("Curves · {}", a.label()),
        };
        let block = s.block(title, self.focused);
        let body = inner(area);
        block.render(area, buf);
        let info_h = if compare.is_some() { 6 } else { 3 };
        let [chart_area, info_area] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(info_h)]).areas(body);
        let mut curves = history_curves(&a.history, "", Role::Val);
        let mut epochs = a.config.epochs;
        if let Some(b) = compare {
            curves.extend(history_curves(&b.history, "+ ", Role::Train));
            epochs = epochs.max(b.config.epochs);
        }
        let best = a.best().map(|m| (m.epoch as f64, m.val_top1));
        AccuracyChart {
            block: Block::default().borders(Borders::NONE),
            curves: &curves,
            paper: a.config.paper.as_ref(),
            epochs,
            best,
            styles: s,
        }
        .render(chart_area, buf);
        let mut lines = summary(a, Role::Val, s);
        if let Some(b) = compare {
            lines.extend(summary(b, Role::Train, s));
        }
        Paragraph::new(lines).render(info_area, buf);
    }
}
