//! Popups drawn over the panes: help, quit confirmation, value input, preset picker.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget, Wrap};

use crate::tui::app::{App, InputBox};
use crate::tui::layout::list_offset;
use crate::tui::run::Phase;
use crate::tui::study::StudyPhase;
use crate::tui::style::Styles;
use botui::config::{Action, Role};

/// A `width` x `height` rectangle centered in `area` (clipped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// The keys bound to an action, as the help and the status bar show them.
pub fn keys_of(app: &App, action: Action) -> String {
    let keys: Vec<String> = app
        .keys
        .keys(action)
        .iter()
        .map(|k| k.to_string())
        .collect();
    if keys.is_empty() {
        "(unbound)".into()
    } else {
        keys.join(" ")
    }
}

pub fn help(app: &App, s: Styles<'_>, area: Rect, buf: &mut Buffer) {
    let mut lines: Vec<Line> = Action::all()
        .map(|a| {
            Line::from(vec![
                s.span(Role::Accent, format!(" {:<16}", keys_of(app, a))),
                s.span(Role::Text, a.description().to_string()),
                s.span(Role::Muted, format!("  ({})", a.name())),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::from(s.span(
        Role::Muted,
        " In a value box: type, enter to keep, esc to cancel. Keys come from [keys] in config.toml.",
    )));
    let first = |a: Action| {
        keys_of(app, a)
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_string()
    };
    lines.push(Line::from(s.span(
        Role::Muted,
        format!(
            " Study tab: {}/{} runs the selected study, {} stops it; `botui study --resume DIR` resumes.",
            first(Action::Start),
            first(Action::Edit),
            first(Action::Stop)
        ),
    )));
    lines.push(Line::from(s.span(
        Role::Muted,
        if app.ui.mouse {
            " Mouse: click a tab, a pane, a row or a checkbox; scroll lists. [ui] mouse = false turns it off."
        } else {
            " Mouse is off ([ui] mouse = false in config.toml)."
        },
    )));
    let h = lines.len() as u16 + 2;
    let r = centered(area, 96, h);
    Clear.render(r, buf);
    Paragraph::new(lines)
        .block(s.block("Keys · any key closes", true))
        .render(r, buf);
}

pub fn confirm_quit(app: &App, s: Styles<'_>, area: Rect, buf: &mut Buffer) {
    let study = app.study.current.as_ref().map(|c| c.phase);
    let what = match app.run.as_ref().map(|r| &r.phase) {
        _ if study == Some(StudyPhase::Stopping) => {
            "The study is stopping (each run saves a checkpoint)."
        }
        _ if study == Some(StudyPhase::Running) => "A study is training.",
        Some(Phase::Stopping) => "The run is stopping (saving a checkpoint).",
        _ => "A run is training.",
    };
    let lines = vec![
        Line::from(s.span(Role::Text, what)),
        Line::from(s.span(Role::Text, "Stop it (a checkpoint is saved) and quit?")),
        Line::raw(""),
        Line::from(vec![
            s.span(Role::Accent, "y"),
            s.span(Role::Muted, " stop and quit   "),
            s.span(Role::Accent, "any other key"),
            s.span(Role::Muted, " keep training"),
        ]),
    ];
    let r = centered(area, 52, 6);
    Clear.render(r, buf);
    Paragraph::new(lines)
        .block(s.block("Quit?", true))
        .render(r, buf);
}

pub fn input(input: &InputBox, s: Styles<'_>, area: Rect, buf: &mut Buffer) {
    let mut lines = vec![Line::from(vec![
        s.span(Role::Text, input.buffer.clone()),
        s.span(Role::Accent, "█"),
    ])];
    match &input.error {
        Some(e) => lines.push(Line::from(s.span(Role::Error, e.clone()))),
        None => lines.push(Line::from(s.span(Role::Muted, "enter: keep · esc: cancel"))),
    }
    let r = centered(area, 64, 5);
    Clear.render(r, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(s.block(input.title.clone(), true))
        .render(r, buf);
}

pub fn presets(app: &App, selected: usize, s: Styles<'_>, area: Rect, buf: &mut Buffer) {
    let r = centered(area, 100, area.height.saturating_sub(4).max(8));
    Clear.render(r, buf);
    let height = r.height.saturating_sub(2) as usize;
    let offset = list_offset(selected, app.presets.len(), height);
    let name_w = app
        .presets
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(8)
        + 1;
    let lines: Vec<Line> = app
        .presets
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, p)| {
            let paper = p.paper().map_or(String::new(), |r| {
                let t5 = r.top5.map_or(String::new(), |t| format!("/{t:.2}"));
                format!("{:.2}{t5}", r.top1)
            });
            let (style, mark) = if i == selected {
                (s.selected(), "▸")
            } else {
                (s.text(), " ")
            };
            Line::from(vec![
                s.span(Role::Accent, mark),
                Span::styled(format!("{:<name_w$}", p.name), style),
                s.span(Role::PaperReference, format!("{paper:<13}")),
                s.span(Role::Muted, p.description.clone()),
            ])
        })
        .collect();
    let lines = if lines.is_empty() {
        vec![Line::from(s.span(Role::Muted, " no presets"))]
    } else {
        lines
    };
    Paragraph::new(lines)
        .block(s.block(
            "Presets · paper top-1/top-5 · enter: use · esc: cancel",
            true,
        ))
        .render(r, buf);
}
