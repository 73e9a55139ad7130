//! The study's table as it fills: per row, the finished seeds, mean val top-1 ± std, the deltas
//! against the row above and the baseline (a delta within noise is marked ≈ and dimmed), and
//! the paper's numbers beside; then the runs training now.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use botui::config::Role;
use botui::study::results::{Deltas, RowResult, format_delta, format_spread};

use crate::tui::app::App;
use crate::tui::study::{StudyPhase, StudyRun};
use crate::tui::style::Styles;

pub struct StudyTablePane<'a> {
    pub app: &'a App,
    pub styles: Styles<'a>,
    pub focused: bool,
}

/// A delta, colored: better or worse beyond the noise, muted within it.
fn delta_span(d: Option<&Deltas>, s: Styles<'_>) -> Span<'static> {
    let Some(d) = d else {
        return Span::raw(format!("{:>8}", ""));
    };
    let role = match d.top1.within_noise {
        Some(true) => Role::Muted,
        Some(false) if d.top1.value > 0.0 => Role::Success,
        Some(false) => Role::Error,
        None => Role::Text,
    };
    s.span(role, format!("{:>8}", format_delta(&d.top1)))
}

fn status(c: &StudyRun) -> String {
    let (done, all) = c.progress();
    let phase = match c.phase {
        StudyPhase::Running => "running".to_string(),
        StudyPhase::Stopping => "stopping".to_string(),
        StudyPhase::Stopped => "stopped (resumable)".to_string(),
        StudyPhase::Finished { failed: 0 } => "finished".to_string(),
        StudyPhase::Finished { failed } => format!("finished, {failed} failed"),
    };
    format!("{phase} · {done}/{all} runs · {}", c.dir.display())
}

fn row_line(
    i: usize,
    row: &RowResult,
    above_paper: Option<f64>,
    highlighted: bool,
    s: Styles<'_>,
) -> Line<'static> {
    let top1 = row
        .final_top1
        .as_ref()
        .map_or("-".to_string(), format_spread);
    let runs = format!("{}/{}", row.finished(), row.seeds.len());
    let name: String = row.name.chars().take(22).collect();
    let name_style = if highlighted { s.selected() } else { s.text() };
    let paper = row
        .paper
        .map_or(String::new(), |p| format!("{:.2}", p.top1));
    let paper_delta = match (above_paper, row.paper) {
        (Some(a), Some(p)) => format!("{:+.2}", p.top1 - a),
        _ => String::new(),
    };
    let failed = if row.failed() > 0 {
        s.span(Role::Error, format!(" {} failed", row.failed()))
    } else {
        Span::raw("")
    };
    Line::from(vec![
        s.span(Role::Muted, format!("{:>2} ", i + 1)),
        Span::styled(format!("{name:<22}"), name_style),
        s.span(Role::Muted, format!(" {runs:>5} ")),
        s.span(Role::Val, format!("{top1:>14}")),
        delta_span(row.vs_above.as_ref(), s),
        delta_span(row.vs_baseline.as_ref(), s),
        s.span(Role::PaperReference, format!("{paper:>8}{paper_delta:>8}")),
        failed,
    ])
}

impl Widget for StudyTablePane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let s = self.styles;
        let Some(c) = &self.app.study.current else {
            Paragraph::new(vec![
                Line::from(s.span(Role::Muted, "No study yet: pick one and press enter.")),
                Line::from(s.span(
                    Role::Muted,
                    "Each row runs with several seeds; the table fills as runs finish.",
                )),
            ])
            .block(s.block("Study", self.focused))
            .render(area, buf);
            return;
        };
        let title = match c.plan.table.as_str() {
            "" => format!("Study · {}", c.plan.name),
            t => format!("Study · {} ({t})", c.plan.name),
        };
        let mut lines = vec![
            Line::from(s.span(Role::Muted, status(c))),
            Line::from(s.span(
                Role::Muted,
                format!(
                    " # {:<22} {:>5} {:>14}{:>8}{:>8}{:>8}{:>8}",
                    "row", "runs", "val top-1", "Δ above", "Δ base", "paper", "Δ paper"
                ),
            )),
        ];
        if let Some(r) = &c.results {
            for (i, row) in r.rows.iter().enumerate() {
                let above = i
                    .checked_sub(1)
                    .and_then(|j| r.rows[j].paper.map(|p| p.top1));
                let highlighted = self.focused && i == self.app.study.row;
                lines.push(row_line(i, row, above, highlighted, s));
            }
        }
        lines.push(Line::from(s.span(
            Role::Muted,
            "≈: |Δ| ≤ the pooled std of the two rows' seeds (within noise)",
        )));
        for a in &c.active {
            let top1 = a
                .last_top1
                .map_or(String::new(), |t| format!(", val top-1 {t:.2} %"));
            lines.push(Line::from(s.span(
                Role::Train,
                format!("▶ {}: epoch {}/{}{top1}", c.label(a.run), a.epoch, a.epochs),
            )));
        }
        Paragraph::new(lines)
            .block(s.block(title, self.focused))
            .render(area, buf);
    }
}
