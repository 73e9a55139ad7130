//! The rows' val top-1 curves overlaid: each row's mean over the seeds that reached each epoch,
//! the highlighted row in full color and the others dimmed.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Widget};

use botui::config::Role;

use crate::tui::app::App;
use crate::tui::panes::curves::{AccuracyChart, Curve};
use crate::tui::style::Styles;

/// Colors for the rows, in order (then again).
const ROW_ROLES: [Role; 6] = [
    Role::Val,
    Role::Train,
    Role::Lr,
    Role::Accent,
    Role::Warning,
    Role::Success,
];

pub struct StudyCurvesPane<'a> {
    pub app: &'a App,
    pub styles: Styles<'a>,
    pub focused: bool,
}

impl Widget for StudyCurvesPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let s = self.styles;
        let block = s.block("Val top-1 by row (mean over seeds)", self.focused);
        let Some(c) = &self.app.study.current else {
            Paragraph::new(s.span(Role::Muted, "The rows' curves appear as epochs finish."))
                .block(block)
                .render(area, buf);
            return;
        };
        let curves: Vec<Curve> = c
            .row_curves()
            .into_iter()
            .enumerate()
            .map(|(i, (name, points))| Curve {
                name: format!("{} {name}", i + 1),
                points,
                role: ROW_ROLES[i % ROW_ROLES.len()],
                dim: i != self.app.study.row,
            })
            .collect();
        AccuracyChart {
            block,
            curves: &curves,
            paper: None,
            epochs: c.max_epochs(),
            best: None,
            styles: s,
        }
        .render(area, buf);
    }
}
