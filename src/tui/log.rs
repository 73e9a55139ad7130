//! The log pane's lines: warnings and errors (and the trainer's notes) from the engine, the
//! config watcher and the workbench itself, capped so a long run cannot grow it forever.

use std::collections::VecDeque;

use botui::train::LogLevel;

/// Lines kept; older ones are dropped.
pub const LOG_CAP: usize = 500;

/// Who said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSource {
    Trainer,
    Config,
    Workbench,
    /// Text written to stderr (captured so it cannot scribble over the screen).
    Stderr,
}

impl LogSource {
    pub fn tag(self) -> &'static str {
        match self {
            LogSource::Trainer => "train",
            LogSource::Config => "config",
            LogSource::Workbench => "ui",
            LogSource::Stderr => "stderr",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub level: LogLevel,
    pub source: LogSource,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogState {
    pub lines: VecDeque<LogLine>,
    /// Lines scrolled back from the newest (0: follow the end).
    pub scroll: usize,
    /// Lines dropped at the cap, for the pane's title.
    pub dropped: usize,
    /// Warnings and errors logged while the log pane was not on screen.
    pub unseen: usize,
}

impl LogState {
    pub fn push(&mut self, level: LogLevel, source: LogSource, message: impl Into<String>) {
        let message = message.into();
        // One line per entry: multi-line errors are joined so the pane's rows stay aligned.
        let message = message.lines().collect::<Vec<_>>().join(" | ");
        if level != LogLevel::Info {
            self.unseen += 1;
        }
        if self.lines.len() == LOG_CAP {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(LogLine {
            level,
            source,
            message,
        });
        if self.scroll > 0 {
            self.scroll = (self.scroll + 1).min(self.lines.len().saturating_sub(1));
        }
    }

    pub fn count(&self, level: LogLevel) -> usize {
        self.lines.iter().filter(|l| l.level == level).count()
    }

    pub fn scroll_by(&mut self, lines: i32) {
        let max = self.lines.len().saturating_sub(1) as i64;
        self.scroll = (self.scroll as i64 + lines as i64).clamp(0, max) as usize;
    }
}
