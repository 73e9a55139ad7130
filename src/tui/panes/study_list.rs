//! The studies to pick from (the paper's tables and the user's), and what the selected one is.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::tui::app::App;
use crate::tui::layout::{inner, list_offset};
use crate::tui::panes::popups::keys_of;
use crate::tui::style::Styles;
use botui::config::{Action, Role};

pub struct StudyListPane<'a> {
    pub app: &'a App,
    pub styles: Styles<'a>,
    pub focused: bool,
}

impl Widget for StudyListPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let s = self.styles;
        let st = &self.app.study;
        let block = s.block(format!("Studies · {}", st.list.len()), self.focused);
        let body = inner(area);
        block.render(area, buf);
        let [list_area, about_area] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(6)]).areas(body);
        let height = list_area.height as usize;
        let offset = list_offset(st.selected, st.list.len(), height);
        let running = st
            .current
            .as_ref()
            .filter(|c| c.phase.is_active())
            .map(|c| c.plan.name.as_str());
        let lines: Vec<Line> = st
            .list
            .iter()
            .enumerate()
            .skip(offset)
            .take(height)
            .map(|(i, e)| {
                let mark = if running == Some(e.name.as_str()) {
                    "▶ "
                } else {
                    "  "
                };
                let style = if self.focused && i == st.selected {
                    s.selected()
                } else {
                    s.text()
                };
                Line::from(vec![
                    s.span(Role::Val, mark),
                    ratatui::text::Span::styled(e.name.clone(), style),
                ])
            })
            .collect();
        Paragraph::new(lines).render(list_area, buf);
        let about = st
            .selected_entry()
            .map_or(String::new(), |e| e.description.clone());
        let key = |a: Action| {
            let keys = keys_of(self.app, a);
            keys.split(' ').next().unwrap_or_default().to_string()
        };
        let hint = if st.is_active() {
            format!(
                "{}: stop the study (runs save a checkpoint)",
                key(Action::Stop)
            )
        } else {
            format!("{}: run the selected study", key(Action::Edit))
        };
        Paragraph::new(vec![
            Line::from(s.span(Role::Muted, about)),
            Line::from(s.span(Role::Accent, hint)),
        ])
        .wrap(Wrap { trim: true })
        .render(about_area, buf);
    }
}
