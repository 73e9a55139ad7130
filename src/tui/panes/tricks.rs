//! The tricks checklist: each trick with its checkbox, its parameters (editable in place)
//! while it is on, and what its source measured for it (the paper's Tables 4-6), all read from
//! the library's trick registry.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::tui::app::App;
use crate::tui::layout::{inner, list_offset};
use crate::tui::style::Styles;
use crate::tui::tricks::Item;
use botui::config::Role;
use botui::config::tricks::{self, Gain, Group};

pub struct TricksPane<'a> {
    pub app: &'a App,
    pub styles: Styles<'a>,
    pub focused: bool,
}

fn gain_text(g: &Gain, wide: bool) -> String {
    if wide {
        format!("{:+.2} {} {:<8}", g.gain(), g.table_short, g.short)
    } else {
        format!("{:+.2} {}", g.gain(), g.table_short)
    }
}

impl TricksPane<'_> {
    fn line(&self, item: Item, selected: bool, width: usize) -> Line<'static> {
        let s = self.styles;
        let c = &self.app.config;
        let row_style = if selected { s.selected() } else { s.text() };
        match item {
            Item::Group(g) => Line::from(vec![
                Span::raw(if selected { "▸" } else { " " }),
                s.span(Role::Accent, g.title()),
            ]),
            Item::Trick(t) => {
                let applies = t.applies(c);
                let on = t.is_on(c);
                let (mark, mark_role) = match (applies, on) {
                    (false, _) => ("[-]", Role::Muted),
                    (true, true) => ("[x]", Role::Success),
                    (true, false) => ("[ ]", Role::Muted),
                };
                let label = format!(" {:<16}", t.label);
                let gain = (t.gain)(c);
                let right = if !applies {
                    format!("n/a for {}", c.model.name)
                } else {
                    gain.as_ref()
                        .map_or(String::new(), |g| gain_text(g, width >= 44))
                };
                let used = 4 + label.chars().count();
                let pad = width.saturating_sub(used + right.chars().count());
                let gain_role = match gain.map(|g| g.gain()) {
                    _ if !applies => Role::Muted,
                    Some(g) if g > 0.0 => Role::Success,
                    Some(g) if g < 0.0 => Role::Warning,
                    _ => Role::Muted,
                };
                Line::from(vec![
                    s.span(Role::Accent, if selected { "▸" } else { " " }),
                    s.span(mark_role, mark),
                    Span::styled(label, row_style),
                    Span::raw(" ".repeat(pad)),
                    s.span(gain_role, right),
                ])
            }
            Item::Param(_, p) => {
                let arrows = if selected && p.steps() { "◂ ▸" } else { "" };
                Line::from(vec![
                    s.span(Role::Accent, if selected { "▸" } else { " " }),
                    Span::raw("      "),
                    s.span(Role::Muted, format!("{:<16}", p.label)),
                    Span::styled(p.display(c), row_style),
                    s.span(Role::Accent, format!(" {arrows}")),
                ])
            }
        }
    }

    /// The paper row behind the selected trick, for the bottom border.
    fn footer(&self, item: Option<Item>) -> Option<String> {
        let t = item?.trick()?;
        let g = (t.gain)(&self.app.config)?;
        Some(format!(
            " {} · {} · {}: {:.2} → {:.2} ",
            g.table, g.row, g.short, g.before, g.after
        ))
    }
}

impl Widget for TricksPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let s = self.styles;
        let items = self.app.trick_items();
        let on = items
            .iter()
            .filter(|i| matches!(i, Item::Trick(t) if t.is_on(&self.app.config)))
            .count();
        let total = tricks::all().count();
        // Gains come from the paper alone until tricks after it are registered.
        let whose = if tricks::in_group(Group::AfterPaper).next().is_none() {
            "paper "
        } else {
            ""
        };
        let mut block = s.block(
            format!("Tricks {on}/{total} · {whose}top-1 gain"),
            self.focused,
        );
        let selected = self.app.trick_row.min(items.len().saturating_sub(1));
        if self.focused
            && let Some(footer) = self.footer(items.get(selected).copied())
        {
            block = block.title_bottom(s.span(Role::PaperReference, footer));
        }
        let body = inner(area);
        let spare = (body.height as usize).saturating_sub(items.len());
        let summary_h = if spare >= 4 { 3 } else { 0 };
        let height = body.height as usize - summary_h;
        let offset = list_offset(selected, items.len(), height);
        if let Some(t) = items
            .get(selected)
            .and_then(|i| i.trick())
            .filter(|_| summary_h > 0)
        {
            let r = Rect::new(
                body.x,
                body.bottom() - summary_h as u16,
                body.width,
                summary_h as u16,
            );
            Paragraph::new(s.span(Role::Muted, t.describe()))
                .wrap(ratatui::widgets::Wrap { trim: true })
                .render(r, buf);
        }
        let lines: Vec<Line> = items
            .iter()
            .enumerate()
            .skip(offset)
            .take(height)
            .map(|(i, item)| self.line(*item, self.focused && i == selected, body.width as usize))
            .collect();
        block.render(area, buf);
        let list = Rect::new(body.x, body.y, body.width, height as u16);
        Paragraph::new(lines).render(list, buf);
    }
}
