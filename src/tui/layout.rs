//! Where everything goes, as a pure function of the terminal size and the tab: the drawing
//! code and the mouse handler ask the same function, so a click lands on what was drawn.

use ratatui::layout::{Constraint, Direction, Layout, Rect};

/// The workbench's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Setup,
    Train,
    Runs,
    Study,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Setup, Tab::Train, Tab::Runs, Tab::Study];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Setup => "Setup",
            Tab::Train => "Train",
            Tab::Runs => "Runs",
            Tab::Study => "Study",
        }
    }

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneId {
    Setup,
    Tricks,
    Lr,
    Metrics,
    Hardware,
    Log,
    RunList,
    RunView,
    StudyList,
    StudyTable,
    StudyCurves,
}

/// Wide enough for two columns of panes.
pub const WIDE: u16 = 100;

#[derive(Debug, Clone, PartialEq)]
pub struct Areas {
    pub tab_bar: Rect,
    /// Each tab's title in the tab bar.
    pub tabs: Vec<(Tab, Rect)>,
    pub body: Rect,
    pub status: Rect,
    /// The visible panes, in focus order.
    pub panes: Vec<(PaneId, Rect)>,
}

impl Areas {
    pub fn pane_at(&self, column: u16, row: u16) -> Option<(PaneId, Rect)> {
        self.panes
            .iter()
            .copied()
            .find(|(_, r)| r.contains((column, row).into()))
    }
}

fn split(area: Rect, direction: Direction, constraints: &[Constraint]) -> Vec<Rect> {
    Layout::default()
        .direction(direction)
        .constraints(constraints)
        .split(area)
        .to_vec()
}

fn rows(area: Rect, c: &[Constraint]) -> Vec<Rect> {
    split(area, Direction::Vertical, c)
}

fn cols(area: Rect, c: &[Constraint]) -> Vec<Rect> {
    split(area, Direction::Horizontal, c)
}

/// The tab titles as the tab bar draws them: ` 1 Setup `, ...
pub fn tab_label(index: usize, tab: Tab) -> String {
    format!(" {} {} ", index + 1, tab.title())
}

pub fn areas(width: u16, height: u16, tab: Tab) -> Areas {
    use Constraint::{Length, Min, Percentage};
    let screen = Rect::new(0, 0, width, height);
    let parts = rows(screen, &[Length(1), Min(0), Length(1)]);
    let (tab_bar, body, status) = (parts[0], parts[1], parts[2]);
    let mut tabs = Vec::new();
    let mut x = tab_bar.x + 1;
    for (i, t) in Tab::ALL.iter().enumerate() {
        let w = tab_label(i, *t).chars().count() as u16;
        let r = Rect::new(x, tab_bar.y, w, 1).intersection(tab_bar);
        tabs.push((*t, r));
        x += w + 1;
    }
    let wide = width >= WIDE;
    let panes = match tab {
        Tab::Setup if wide => {
            let c = cols(body, &[Percentage(46), Percentage(54)]);
            let left = rows(c[0], &[Length(10), Min(0)]);
            let right = rows(c[1], &[Percentage(58), Percentage(42)]);
            vec![
                (PaneId::Setup, left[0]),
                (PaneId::Tricks, left[1]),
                (PaneId::Lr, right[0]),
                (PaneId::Log, right[1]),
            ]
        }
        Tab::Setup => {
            let lr = (body.height * 35 / 100).max(6);
            let r = rows(body, &[Min(0), Length(lr)]);
            let top = cols(r[0], &[Percentage(44), Percentage(56)]);
            vec![
                (PaneId::Setup, top[0]),
                (PaneId::Tricks, top[1]),
                (PaneId::Lr, r[1]),
            ]
        }
        Tab::Train if wide => {
            let r = rows(body, &[Percentage(52), Percentage(30), Min(0)]);
            let mid = cols(r[1], &[Percentage(55), Percentage(45)]);
            vec![
                (PaneId::Metrics, r[0]),
                (PaneId::Lr, mid[0]),
                (PaneId::Hardware, mid[1]),
                (PaneId::Log, r[2]),
            ]
        }
        Tab::Train => {
            let r = rows(body, &[Percentage(55), Percentage(27), Min(0)]);
            let mid = cols(r[1], &[Percentage(50), Percentage(50)]);
            vec![
                (PaneId::Metrics, r[0]),
                (PaneId::Lr, mid[0]),
                (PaneId::Hardware, mid[1]),
                (PaneId::Log, r[2]),
            ]
        }
        Tab::Runs => {
            let c = cols(body, &[Percentage(if wide { 40 } else { 45 }), Min(0)]);
            vec![(PaneId::RunList, c[0]), (PaneId::RunView, c[1])]
        }
        Tab::Study => {
            let c = cols(body, &[Length(if wide { 30 } else { 24 }), Min(0)]);
            let right = rows(c[1], &[Percentage(50), Min(0)]);
            vec![
                (PaneId::StudyList, c[0]),
                (PaneId::StudyTable, right[0]),
                (PaneId::StudyCurves, right[1]),
            ]
        }
    };
    Areas {
        tab_bar,
        tabs,
        body,
        status,
        panes,
    }
}

/// The first line shown of a list of `len` lines in `height` rows so that `selected` is
/// visible (kept near the middle once the list scrolls).
pub fn list_offset(selected: usize, len: usize, height: usize) -> usize {
    if height == 0 || len <= height {
        return 0;
    }
    let half = height / 2;
    selected.saturating_sub(half).min(len - height)
}

/// The area inside a pane's border.
pub fn inner(area: Rect) -> Rect {
    Rect::new(
        area.x.saturating_add(1),
        area.y.saturating_add(1),
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    )
}
