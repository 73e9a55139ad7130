//! Log: warnings and errors from the trainer, the config watcher and the workbench, newest
//! at the bottom; scrolls back while focused.

use botui::train::LogLevel;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

use crate::tui::app::App;
use crate::tui::layout::inner;
use crate::tui::style::Styles;
use botui::config::Role;

pub struct LogPane<'a> {
    pub app: &'a App,
    pub styles: Styles<'a>,
    pub focused: bool,
}

impl Widget for LogPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let s = self.styles;
        let log = &self.app.log;
        let (errors, warnings) = (log.count(LogLevel::Error), log.count(LogLevel::Warning));
        let mut title = format!("Log · {errors} errors · {warnings} warnings");
        if log.scroll > 0 {
            title.push_str(&format!(" · {} lines back", log.scroll));
        }
        let block = s.block(title, self.focused);
        let height = inner(area).height as usize;
        let end = log.lines.len().saturating_sub(log.scroll);
        let start = end.saturating_sub(height);
        let lines: Vec<Line> = log
            .lines
            .range(start..end)
            .map(|l| {
                let (tag, role) = match l.level {
                    LogLevel::Info => ("info ", Role::Muted),
                    LogLevel::Warning => ("warn ", Role::Warning),
                    LogLevel::Error => ("error", Role::Error),
                };
                let text_role = if l.level == LogLevel::Info {
                    Role::Muted
                } else {
                    Role::Text
                };
                Line::from(vec![
                    s.span(role, format!("{tag} ")),
                    s.span(Role::Muted, format!("{:<6} ", l.source.tag())),
                    s.span(text_role, l.message.clone()),
                ])
            })
            .collect();
        Paragraph::new(lines).block(block).render(area, buf);
    }
}
