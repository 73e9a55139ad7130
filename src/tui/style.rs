//! The theme as ratatui styles: panes ask for a role ("the border of a focused pane", "the
//! validation curve"), never for a color.

use ratatui::style::{Color as TuiColor, Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Borders};

use botui::config::{Color, Role, Theme};

pub fn tui_color(c: Color) -> TuiColor {
    match c {
        Color::Default => TuiColor::Reset,
        Color::Ansi(i) => match i {
            0 => TuiColor::Black,
            1 => TuiColor::Red,
            2 => TuiColor::Green,
            3 => TuiColor::Yellow,
            4 => TuiColor::Blue,
            5 => TuiColor::Magenta,
            6 => TuiColor::Cyan,
            7 => TuiColor::Gray,
            8 => TuiColor::DarkGray,
            9 => TuiColor::LightRed,
            10 => TuiColor::LightGreen,
            11 => TuiColor::LightYellow,
            12 => TuiColor::LightBlue,
            13 => TuiColor::LightMagenta,
            14 => TuiColor::LightCyan,
            _ => TuiColor::White,
        },
        Color::Rgb(r, g, b) => TuiColor::Rgb(r, g, b),
    }
}

/// Styles by role for one theme.
#[derive(Clone, Copy)]
pub struct Styles<'a> {
    pub theme: &'a Theme,
}

impl<'a> Styles<'a> {
    pub fn new(theme: &'a Theme) -> Self {
        Self { theme }
    }

    pub fn color(&self, role: Role) -> TuiColor {
        tui_color(self.theme.color(role))
    }

    pub fn fg(&self, role: Role) -> Style {
        Style::default().fg(self.color(role))
    }

    pub fn text(&self) -> Style {
        self.fg(Role::Text)
    }

    pub fn muted(&self) -> Style {
        self.fg(Role::Muted)
    }

    pub fn selected(&self) -> Style {
        Style::default()
            .fg(self.color(Role::SelectionText))
            .bg(self.color(Role::Selection))
    }

    pub fn span(&self, role: Role, text: impl Into<String>) -> Span<'static> {
        Span::styled(text.into(), self.fg(role))
    }

    /// A pane's frame: rounded, accented when focused, the title in the title color.
    pub fn block(&self, title: impl Into<String>, focused: bool) -> Block<'static> {
        let border = if focused {
            Role::BorderFocused
        } else {
            Role::Border
        };
        let mut title_style = self.fg(Role::Title);
        if focused {
            title_style = title_style.add_modifier(Modifier::BOLD);
        }
        Block::default()
            .borders(Borders::ALL)
            .border_type(BorderType::Rounded)
            .border_style(self.fg(border))
            .title(Span::styled(format!(" {} ", title.into()), title_style))
    }
}
