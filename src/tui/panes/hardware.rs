//! Hardware: per NVIDIA GPU utilization, memory, temperature and power with a short
//! history; without one, the machine's and botui's CPU and memory, labelled as such. While a
//! run trains on GPUs, its GPUs come first, each marked with its rank (`r0`, `r1`, ...; `run`
//! for a single GPU), and the machine's other GPUs are dimmed; GPUs that do not fit are
//! counted on a last line.

use std::collections::VecDeque;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Sparkline, Widget};

use crate::tui::app::App;
use crate::tui::hwstate::percent;
use crate::tui::layout::inner;
use crate::tui::style::Styles;
use botui::config::Role;

pub struct HardwarePane<'a> {
    pub app: &'a App,
    pub styles: Styles<'a>,
    pub focused: bool,
}

const GIB: f64 = (1u64 << 30) as f64;

fn gib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / GIB)
}

/// The last `width` values of a history, for a sparkline of that width.
fn tail(series: &VecDeque<u64>, width: u16) -> Vec<u64> {
    let skip = series.len().saturating_sub(width as usize);
    series.iter().skip(skip).copied().collect()
}

impl HardwarePane<'_> {
    /// One line of numbers and, when there is room, a sparkline under it.
    fn row(
        &self,
        buf: &mut Buffer,
        area: Rect,
        y: &mut u16,
        text: Line<'static>,
        spark: Option<(&VecDeque<u64>, Role)>,
        room: bool,
    ) {
        if *y >= area.bottom() {
            return;
        }
        Paragraph::new(text).render(Rect::new(area.x, *y, area.width, 1), buf);
        *y += 1;
        if let Some((series, role)) = spark
            && room
            && *y < area.bottom()
        {
            let data = tail(series, area.width);
            Sparkline::default()
                .data(&data)
                .max(100)
                .style(self.styles.fg(role))
                .render(Rect::new(area.x, *y, area.width, 1), buf);
            *y += 1;
        }
    }
}

impl Widget for HardwarePane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let s = self.styles;
        let hw = &self.app.hw;
        let Some(sample) = hw.latest.as_ref() else {
            let block = s.block("Hardware", self.focused);
            Paragraph::new(s.span(Role::Muted, "waiting for the first sample..."))
                .block(block)
                .render(area, buf);
            return;
        };
        let title = if sample.gpus.is_empty() {
            "Hardware · CPU only (no NVIDIA GPU)".to_string()
        } else if sample.gpus.iter().all(|g| g.name == sample.gpus[0].name) {
            format!("Hardware · {} x {}", sample.gpus.len(), sample.gpus[0].name)
        } else {
            format!("Hardware · {} NVIDIA GPUs", sample.gpus.len())
        };
        let mut block = s.block(title, self.focused);
        if let Some(note) = &sample.gpu_note {
            block = block.title_bottom(s.span(Role::Muted, format!(" {note} ")));
        }
        let body = inner(area);
        block.render(area, buf);
        let mut y = body.y;
        let host = &sample.host;
        if sample.gpus.is_empty() {
            let room = body.height >= 6;
            let cpu = Line::from(vec![
                s.span(Role::Muted, "machine cpu "),
                s.span(Role::Text, format!("{:>5.1}%", host.cpu_percent)),
                s.span(Role::Muted, format!("  {} cores", host.cores)),
            ]);
            self.row(buf, body, &mut y, cpu, Some((&hw.cpu, Role::Gauge)), room);
            let mem = Line::from(vec![
                s.span(Role::Muted, "machine mem "),
                s.span(
                    Role::Text,
                    format!("{} / {} GiB", gib(host.memory_used), gib(host.memory_total)),
                ),
                s.span(
                    Role::Muted,
                    format!("  {:.0}%", percent(host.memory_used, host.memory_total)),
                ),
            ]);
            self.row(buf, body, &mut y, mem, None, room);
            let me = Line::from(vec![
                s.span(Role::Muted, "botui cpu   "),
                s.span(Role::Text, format!("{:>5.1}%", host.process_cpu_percent)),
                s.span(Role::Muted, "  mem "),
                s.span(Role::Text, format!("{} GiB", gib(host.process_memory))),
            ]);
            self.row(
                buf,
                body,
                &mut y,
                me,
                Some((&hw.process_cpu, Role::Train)),
                room,
            );
            return;
        }
        // The GPUs of the run in progress first, in rank order, each marked with its rank;
        // the machine's other GPUs after them, dimmed.
        let used: Vec<usize> = self
            .app
            .run
            .as_ref()
            .filter(|r| r.phase.is_active())
            .map(|r| r.config.device.gpus_used(sample.gpus.len()))
            .unwrap_or_default();
        let rank_of = |i: usize| {
            used.iter()
                .position(|&u| u == sample.gpus[i].index as usize)
        };
        let mut order: Vec<usize> = (0..sample.gpus.len()).collect();
        order.sort_by_key(|&i| rank_of(i).unwrap_or(usize::MAX));
        let marks = !used.is_empty();
        // Two lines per GPU when they fit, else one; a last line counts those left out.
        let rows = body.height as usize;
        let room = rows >= 2 * order.len();
        let shown = if room || rows >= order.len() {
            order.len()
        } else {
            rows.saturating_sub(1)
        };
        for &i in &order[..shown] {
            let g = &sample.gpus[i];
            let rank = rank_of(i);
            let value = if marks && rank.is_none() {
                Role::Muted
            } else {
                Role::Text
            };
            let mut spans = vec![s.span(Role::Accent, format!("{} ", g.index))];
            if marks {
                spans.push(match rank {
                    Some(r) if used.len() > 1 => s.span(Role::Train, format!("r{r:<2}")),
                    Some(_) => s.span(Role::Train, "run"),
                    None => s.span(Role::Muted, " · "),
                });
            }
            spans.extend([
                s.span(value, format!("{:>3.0}%", g.utilization)),
                s.span(Role::Muted, " mem "),
                s.span(
                    value,
                    format!("{}/{}G", gib(g.memory_used), gib(g.memory_total)),
                ),
            ]);
            if let Some(t) = g.temperature_c {
                spans.push(s.span(value, format!(" {t}°C")));
            }
            if let Some(p) = g.power_w {
                let limit = g
                    .power_limit_w
                    .map_or(String::new(), |l| format!("/{l:.0}"));
                spans.push(s.span(value, format!(" {p:.0}{limit}W")));
            }
            let line = Line::from(spans);
            match hw.gpu_util.get(i) {
                Some(series) if !room && body.width > 50 => {
                    // One line: numbers left, history right.
                    let text_w = if marks { 37 } else { 34 }.min(body.width);
                    Paragraph::new(line).render(Rect::new(body.x, y, text_w, 1), buf);
                    let data = tail(series, body.width - text_w);
                    Sparkline::default()
                        .data(&data)
                        .max(100)
                        .style(s.fg(Role::Gauge))
                        .render(Rect::new(body.x + text_w, y, body.width - text_w, 1), buf);
                    y += 1;
                }
                series => self.row(
                    buf,
                    body,
                    &mut y,
                    line,
                    series.map(|x| (x, Role::Gauge)),
                    room,
                ),
            }
            if y >= body.bottom() {
                break;
            }
        }
        let left_out = &order[shown..];
        if !left_out.is_empty() && y < body.bottom() {
            let in_run = left_out.iter().filter(|&&i| rank_of(i).is_some()).count();
            let list: Vec<String> = left_out
                .iter()
                .map(|&i| sample.gpus[i].index.to_string())
                .collect();
            let text = if in_run > 0 {
                format!(
                    "+{} more (GPUs {}, {in_run} in this run)",
                    left_out.len(),
                    list.join(",")
                )
            } else {
                format!("+{} more (GPUs {})", left_out.len(), list.join(","))
            };
            Paragraph::new(s.span(Role::Muted, text))
                .render(Rect::new(body.x, y, body.width, 1), buf);
        }
    }
}
