//! The whole screen: tab bar, the panes of the tab, the status bar with the keys that work
//! now, and a popup on top.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::app::{App, PaneId, Popup};
use super::layout::tab_label;
use super::panes::eval::eval_popup;
use super::panes::hardware::HardwarePane;
use super::panes::log::LogPane;
use super::panes::lr::LrPane;
use super::panes::metrics::{MetricsPane, progress_text};
use super::panes::popups::{self, keys_of};
use super::panes::runs::{RunListPane, RunViewPane};
use super::panes::setup::SetupPane;
use super::panes::study_curves::StudyCurvesPane;
use super::panes::study_list::StudyListPane;
use super::panes::study_table::StudyTablePane;
use super::panes::tricks::TricksPane;
use super::run::{Phase, format_duration};
use super::study::StudyPhase;
use super::style::Styles;
use botui::config::{Action, Role};

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    render(app, area, frame.buffer_mut());
}

/// Draws the app into `buf` (also used by `botui bench ui` and the snapshot tests).
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let s = Styles::new(&app.theme);
    let base = ratatui::style::Style::default()
        .bg(s.color(Role::Background))
        .fg(s.color(Role::Text));
    ratatui::widgets::Block::default()
        .style(base)
        .render(area, buf);
    let areas = super::layout::areas(area.width, area.height, app.tab);
    tab_bar(app, s, &areas, buf);
    let focused = app.focused();
    for (pane, rect) in &areas.panes {
        let f = *pane == focused;
        // Every pane is a widget over the same three borrowed things.
        macro_rules! draw {
            ($pane:ident) => {
                $pane {
                    app,
                    styles: s,
                    focused: f,
                }
                .render(*rect, buf)
            };
        }
        match pane {
            PaneId::Setup => draw!(SetupPane),
            PaneId::Tricks => draw!(TricksPane),
            PaneId::Lr => draw!(LrPane),
            PaneId::Metrics => draw!(MetricsPane),
            PaneId::Hardware => draw!(HardwarePane),
            PaneId::Log => draw!(LogPane),
            PaneId::RunList => draw!(RunListPane),
            PaneId::RunView => draw!(RunViewPane),
            PaneId::StudyList => draw!(StudyListPane),
            PaneId::StudyTable => draw!(StudyTablePane),
            PaneId::StudyCurves => draw!(StudyCurvesPane),
        }
    }
    status_bar(app, s, areas.status, buf);
    match &app.popup {
        Some(Popup::Help) => popups::help(app, s, areas.body, buf),
        Some(Popup::ConfirmQuit) => popups::confirm_quit(app, s, areas.body, buf),
        Some(Popup::Input(input)) => popups::input(input, s, areas.body, buf),
        Some(Popup::Presets { selected }) => popups::presets(app, *selected, s, areas.body, buf),
        Some(Popup::Eval(view)) => eval_popup(view, s, areas.body, buf),
        None => {}
    }
}

fn tab_bar(app: &App, s: Styles<'_>, areas: &super::layout::Areas, buf: &mut Buffer) {
    Paragraph::new(s.span(Role::Title, "")).render(areas.tab_bar, buf);
    for (i, (tab, rect)) in areas.tabs.iter().enumerate() {
        let style = if *tab == app.tab {
            s.selected()
        } else {
            s.muted()
        };
        Paragraph::new(Span::styled(tab_label(i, *tab), style)).render(*rect, buf);
    }
    let mut end = areas.tabs.last().map_or(0, |(_, r)| r.right() + 1);
    if app.log.unseen > 0 {
        let text = format!(" ⚠ {} new in the log ", app.log.unseen);
        let w = (text.chars().count() as u16).min(areas.tab_bar.right().saturating_sub(end));
        Paragraph::new(s.span(Role::Warning, text))
            .render(Rect::new(end, areas.tab_bar.y, w, 1), buf);
        end += w;
    }
    let Some(run) = app.run.as_ref().filter(|_| !app.study.is_active()) else {
        if let Some(c) = app.study.current.as_ref().filter(|c| c.phase.is_active()) {
            let (done, all) = c.progress();
            let line = Line::from(vec![
                s.span(Role::Success, "● study "),
                s.span(
                    Role::Muted,
                    format!(
                        "{} · {done}/{all} runs · {} training ",
                        c.plan.name,
                        c.active.len()
                    ),
                ),
            ]);
            right_aligned(line, areas.tab_bar, end, buf);
            return;
        }
        let text = s.span(
            Role::Muted,
            format!("botui · {} ", app.config.model_config(2).display_name()),
        );
        right_aligned(text, areas.tab_bar, end, buf);
        return;
    };
    let (state, role) = match &run.phase {
        Phase::Starting => ("● starting", Role::Accent),
        Phase::Running => ("● running", Role::Success),
        Phase::Paused => ("‖ paused", Role::Warning),
        Phase::Stopping => ("● stopping", Role::Warning),
        Phase::Finished { stopped: false } => ("■ finished", Role::Success),
        Phase::Finished { stopped: true } => ("■ stopped", Role::Warning),
        Phase::Failed(_) => ("✗ failed", Role::Error),
    };
    let detail = if areas.tab_bar.width >= super::layout::WIDE {
        progress_text(run)
    } else {
        let eta = run
            .eta_seconds()
            .map_or(String::new(), |e| format!(" · ETA {}", format_duration(e)));
        format!("ep {}/{}{eta}", run.epochs.len(), run.config.epochs)
    };
    let line = Line::from(vec![
        s.span(role, format!("{state} ")),
        s.span(Role::Muted, format!("{detail} ")),
    ]);
    right_aligned(line, areas.tab_bar, end, buf);
}

fn right_aligned<'a>(line: impl Into<Line<'a>>, bar: Rect, min_x: u16, buf: &mut Buffer) {
    let line = line.into();
    let w = (line.width() as u16).min(bar.width.saturating_sub(min_x));
    let x = bar.right().saturating_sub(w).max(min_x);
    Paragraph::new(line).render(Rect::new(x, bar.y, bar.right().saturating_sub(x), 1), buf);
}

/// The keys that do something now, most useful first.
pub fn status_keys(app: &App) -> Vec<(String, &'static str)> {
    let k = |a: Action| {
        let key = keys_of(app, a).split(' ').next().unwrap_or("").to_string();
        match key.as_str() {
            "left" => "←".into(),
            "right" => "→".into(),
            "up" => "↑".into(),
            "down" => "↓".into(),
            _ => key,
        }
    };
    match &app.popup {
        Some(Popup::Input(_)) => {
            return vec![("enter".into(), "keep"), ("esc".into(), "cancel")];
        }
        Some(Popup::ConfirmQuit) => {
            return vec![
                ("y".into(), "stop and quit"),
                ("other".into(), "keep training"),
            ];
        }
        Some(Popup::Help) => return vec![("any key".into(), "close")],
        Some(Popup::Eval(view)) => {
            let what = if view.is_running() { "cancel" } else { "close" };
            return vec![("esc".into(), what)];
        }
        Some(Popup::Presets { .. }) => {
            return vec![
                (format!("{}/{}", k(Action::Up), k(Action::Down)), "choose"),
                ("enter".into(), "use"),
                ("esc".into(), "cancel"),
            ];
        }
        None => {}
    }
    let mut out = Vec::new();
    let study_tab = app.tab == super::app::Tab::Study;
    let study_phase = app.study.current.as_ref().map(|c| c.phase);
    match app.run.as_ref().map(|r| &r.phase) {
        // On the Study tab, start and stop act on the study (or on a run still training).
        _ if study_tab && app.study.is_active() => {
            if study_phase == Some(StudyPhase::Running) {
                out.push((k(Action::Stop), "stop study"));
            }
        }
        _ if study_tab && !app.run_active() => out.push((k(Action::Start), "run study")),
        Some(Phase::Running) => {
            out.push((k(Action::Pause), "pause"));
            out.push((k(Action::Stop), "stop"));
            out.push((k(Action::SaveNow), "save"));
        }
        Some(Phase::Paused) => {
            out.push((k(Action::Resume), "resume"));
            out.push((k(Action::Stop), "stop"));
            out.push((k(Action::SaveNow), "save"));
        }
        Some(Phase::Starting) => out.push((k(Action::Stop), "stop")),
        Some(Phase::Stopping) => {}
        _ => out.push((k(Action::Start), "start")),
    }
    match app.focused() {
        PaneId::Setup => {
            out.push((format!("{}{}", k(Action::Left), k(Action::Right)), "change"));
            out.push((k(Action::Edit), "type"));
        }
        PaneId::Tricks => {
            out.push((k(Action::Toggle), "toggle"));
            out.push((format!("{}{}", k(Action::Left), k(Action::Right)), "change"));
            out.push((k(Action::Edit), "edit"));
        }
        PaneId::Lr => out.push((k(Action::Scale), "log/linear")),
        PaneId::Log => out.push((format!("{}{}", k(Action::Up), k(Action::Down)), "scroll")),
        PaneId::RunList => {
            out.push((k(Action::Edit), "open"));
            out.push((k(Action::Toggle), "compare"));
            out.push((k(Action::Evaluate), "evaluate"));
        }
        PaneId::StudyList => {
            out.push((format!("{}{}", k(Action::Up), k(Action::Down)), "choose"));
            out.push((k(Action::Edit), "run"));
        }
        PaneId::StudyTable | PaneId::StudyCurves => {
            out.push((
                format!("{}{}", k(Action::Up), k(Action::Down)),
                "highlight row",
            ));
        }
        PaneId::Metrics | PaneId::Hardware | PaneId::RunView => {}
    }
    out.push((k(Action::FocusNext), "focus"));
    out.push((
        format!("{}-{}", k(Action::TabSetup), k(Action::TabStudy)),
        "tabs",
    ));
    out.push((k(Action::OpenEditor), "editor"));
    out.push((k(Action::SavePreset), "save preset"));
    out.push((k(Action::Help), "help"));
    out.push((k(Action::Quit), "quit"));
    out
}

fn status_bar(app: &App, s: Styles<'_>, area: Rect, buf: &mut Buffer) {
    let keys = status_keys(app);
    let width = |(k, w): &(String, &str)| k.chars().count() + w.len() + 3;
    // Help and quit always show; the others as long as they fit, most useful first.
    let split = keys.len().saturating_sub(2);
    let (head, tail) = keys.split_at(split);
    let mut budget = (area.width as usize).saturating_sub(tail.iter().map(width).sum());
    let mut shown: Vec<&(String, &str)> = Vec::new();
    for piece in head {
        if width(piece) <= budget {
            budget -= width(piece);
            shown.push(piece);
        }
    }
    shown.extend(tail);
    let spans: Vec<Span> = shown
        .iter()
        .flat_map(|(key, what)| {
            [
                s.span(Role::Accent, format!(" {key}")),
                s.span(Role::Muted, format!(" {what} ")),
            ]
        })
        .collect();
    Paragraph::new(Line::from(spans)).render(area, buf);
}
