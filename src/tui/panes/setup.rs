//! Run setup: preset (with the paper's numbers), model, data, device, batch, epochs, lr and
//! input size of the next run.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::tui::app::App;
use crate::tui::setup::SetupRow;
use crate::tui::style::Styles;
use botui::config::Role;

pub struct SetupPane<'a> {
    pub app: &'a App,
    pub styles: Styles<'a>,
    pub focused: bool,
}

impl SetupPane<'_> {
    fn detail(&self, row: SetupRow) -> String {
        let c = &self.app.config;
        match row {
            SetupRow::Data => {
                let p = &self.app.preview;
                if c.data.source.is_builtin() {
                    format!(
                        "{} classes x {} = {} images",
                        c.data.builtin_classes, c.data.builtin_train_per_class, p.train_images
                    )
                } else if p.exact {
                    format!("{} train images", p.train_images)
                } else {
                    "size unknown until opened".into()
                }
            }
            SetupRow::Device => {
                if c.device.is_cpu() {
                    "CPU".into()
                } else {
                    "GPU".into()
                }
            }
            SetupRow::BaseLr if c.linear_scaling.enabled => format!(
                "peak {} = {} x {}/{}",
                trim(c.peak_lr()),
                c.base_lr,
                c.batch_size,
                c.linear_scaling.reference_batch
            ),
            SetupRow::Epochs => format!("{} it/epoch", self.app.preview.schedule.iters_per_epoch),
            _ => String::new(),
        }
    }

    fn preset_spans(&self) -> Vec<Span<'static>> {
        let s = self.styles;
        let Some(name) = self.app.preset.as_deref() else {
            let hint = if self.app.presets.is_empty() {
                "(none)"
            } else {
                "(none: enter to pick)"
            };
            return vec![s.span(Role::Muted, hint)];
        };
        let mut spans = vec![s.span(Role::Text, name.to_string())];
        if let Some(p) = self.app.config.paper.as_ref() {
            let top5 = p.top5.map_or(String::new(), |t| format!(" / {t:.2}"));
            spans.push(s.span(Role::PaperReference, format!("  paper {:.2}{top5}", p.top1)));
        }
        spans
    }
}

/// A float without trailing noise: 0.4, 0.0125.
pub fn trim(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

impl Widget for SetupPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let s = self.styles;
        let block = s.block("Run setup", self.focused);
        let mut lines = Vec::new();
        for (i, row) in SetupRow::ALL.iter().enumerate() {
            let selected = self.focused && i == self.app.setup_row;
            let marker = if selected { "▸ " } else { "  " };
            let mut spans = vec![
                s.span(Role::Accent, marker),
                s.span(Role::Muted, format!("{:<8} ", row.label())),
            ];
            if *row == SetupRow::Preset {
                spans.extend(self.preset_spans());
            } else {
                let value = row.value(&self.app.config);
                let style = if selected { s.selected() } else { s.text() };
                spans.push(Span::styled(value, style));
                let detail = self.detail(*row);
                if !detail.is_empty() {
                    spans.push(s.span(Role::Muted, format!("  {detail}")));
                }
            }
            lines.push(Line::from(spans));
        }
        Paragraph::new(lines).block(block).render(area, buf);
    }
}
