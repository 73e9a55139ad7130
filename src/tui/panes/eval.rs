//! The eval popup over the Runs tab: a gauge while the selected run is evaluated in the
//! background, then its loss, top-1 and top-5, accuracy per class and the most confused class
//! pairs (what `botui eval RUN` prints), or the error.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Gauge, Paragraph, Widget, Wrap};

use super::popups::centered;
use crate::tui::eval::EvalView;
use crate::tui::style::Styles;
use botui::config::Role;
use botui::eval::EvalReport;

/// Draws `view` centered in `area`.
pub fn eval_popup(view: &EvalView, s: Styles<'_>, area: Rect, buf: &mut Buffer) {
    let esc = if view.is_running() {
        "esc cancels"
    } else {
        "esc closes"
    };
    let title = format!("Eval · {} · {esc}", view.run());
    match view {
        EvalView::Running { done, total, .. } => {
            let r = centered(area, 60, 5);
            Clear.render(r, buf);
            let block = s.block(title, true);
            let inner = block.inner(r);
            block.render(r, buf);
            let ratio = if *total > 0 {
                (*done as f64 / *total as f64).min(1.0)
            } else {
                0.0
            };
            let label = if *total > 0 {
                format!("{done}/{total} validation images")
            } else {
                "opening the run's checkpoint and data".into()
            };
            Gauge::default()
                .gauge_style(
                    Style::default()
                        .fg(s.color(Role::Gauge))
                        .bg(s.color(Role::GaugeBackground)),
                )
                .ratio(ratio)
                .label(label)
                .render(Rect { height: 1, ..inner }, buf);
        }
        EvalView::Failed { error, .. } => {
            let r = centered(area, 80, 7);
            Clear.render(r, buf);
            Paragraph::new(vec![
                Line::from(s.span(Role::Error, "The evaluation failed:")),
                Line::from(s.span(Role::Text, error.clone())),
            ])
            .wrap(Wrap { trim: true })
            .block(s.block(title, true))
            .render(r, buf);
        }
        EvalView::Report { report, .. } => {
            let lines = report_lines(report, s, area.height.saturating_sub(2) as usize);
            let r = centered(area, 84, lines.len() as u16 + 2);
            Clear.render(r, buf);
            Paragraph::new(lines)
                .block(s.block(title, true))
                .render(r, buf);
        }
    }
}

/// The report in at most `max` lines: totals, then classes (worst first, as many as fit), then
/// confused pairs.
fn report_lines(r: &EvalReport, s: Styles<'_>, max: usize) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::from(vec![
            s.span(Role::Muted, " checkpoint "),
            s.span(
                Role::Text,
                match (r.epoch, r.trained_top1) {
                    (Some(e), Some(t)) => format!("epoch {e} (trainer: top-1 {t:.2} %)"),
                    (Some(e), None) => format!("epoch {e}"),
                    _ => r.file.display().to_string(),
                },
            ),
        ]),
        Line::from(vec![
            s.span(Role::Muted, " data "),
            s.span(
                Role::Text,
                format!("{}, {} images at {}x{}", r.data, r.images, r.input, r.input),
            ),
        ]),
        Line::from(vec![
            s.span(Role::Muted, " loss "),
            s.span(Role::Val, format!("{:.4}", r.loss)),
            s.span(Role::Muted, "   top-1 "),
            s.span(Role::Val, format!("{:.2} %", r.top1)),
            s.span(Role::Muted, format!("   top-{} ", r.top_k)),
            s.span(Role::Val, format!("{:.2} %", r.top5)),
        ]),
        Line::raw(""),
    ];
    let confused_rows = r.confused.len().min(5);
    let room = max.saturating_sub(lines.len() + 2 + confused_rows + 1);
    let mut classes: Vec<_> = r.per_class.iter().collect();
    classes.sort_by(|a, b| a.top1.unwrap_or(100.0).total_cmp(&b.top1.unwrap_or(100.0)));
    lines.push(Line::from(s.span(
        Role::Title,
        format!(
            " {:<36} {:>7} {:>9}",
            "class (worst first)", "images", "top-1"
        ),
    )));
    for c in classes.iter().take(room) {
        let top1 = c.top1.map_or("-".into(), |t| format!("{t:.2} %"));
        lines.push(Line::from(s.span(
            Role::Text,
            format!(
                " {:<36} {:>7} {:>9}",
                truncate(&c.class, 36),
                c.images,
                top1
            ),
        )));
    }
    if classes.len() > room {
        lines.push(Line::from(s.span(
            Role::Muted,
            format!(
                " ... {} more (botui eval prints them all)",
                classes.len() - room
            ),
        )));
    }
    if confused_rows > 0 {
        lines.push(Line::raw(""));
        lines.push(Line::from(
            s.span(Role::Title, " most confused (true -> predicted)"),
        ));
        for p in r.confused.iter().take(confused_rows) {
            lines.push(Line::from(s.span(
                Role::Text,
                format!(
                    " {} -> {}: {} images ({:.1} %)",
                    truncate(&p.class, 28),
                    truncate(&p.predicted, 28),
                    p.images,
                    p.share
                ),
            )));
        }
    }
    lines.truncate(max);
    lines
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fake::eval_report as report;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn draw(view: &EvalView) -> String {
        let theme = botui::config::ThemeLibrary::builtin()
            .resolve("dark")
            .unwrap();
        let mut terminal = Terminal::new(TestBackend::new(90, 24)).unwrap();
        terminal
            .draw(|f| eval_popup(view, Styles::new(&theme), f.area(), f.buffer_mut()))
            .unwrap();
        let buf = terminal.backend().buffer();
        (0..24)
            .map(|y| {
                let line: String = (0..90).map(|x| buf[(x, y)].symbol()).collect();
                line.trim_end().to_string() + "\n"
            })
            .collect()
    }

    #[test]
    fn the_report_shows_totals_worst_classes_first_and_confusions() {
        let screen = draw(&EvalView::Report {
            run: "a".into(),
            report: Box::new(report()),
        });
        assert!(screen.contains("Eval · a · esc closes"), "{screen}");
        assert!(screen.contains("top-1 62.50 %"), "{screen}");
        assert!(
            screen.contains("epoch 2 (trainer: top-1 62.50 %)"),
            "{screen}"
        );
        let square = screen.find("square").unwrap();
        let circle = screen.find("circle ").unwrap();
        assert!(square < circle, "worst class first:\n{screen}");
        assert!(
            screen.contains("square -> circle: 6 images (75.0 %)"),
            "{screen}"
        );
    }

    #[test]
    fn progress_and_errors_are_shown() {
        let screen = draw(&EvalView::Running {
            run: "a".into(),
            done: 16,
            total: 32,
        });
        assert!(screen.contains("16/32 validation images"), "{screen}");
        let screen = draw(&EvalView::Failed {
            run: "a".into(),
            error: "a.ckpt does not exist".into(),
        });
        assert!(screen.contains("a.ckpt does not exist"), "{screen}");
    }
}
