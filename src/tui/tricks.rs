//! The tricks checklist's lines: a view over the library's trick registry
//! ([`botui::config::tricks`]), which defines each trick, its switch, parameters and gains.

use botui::config::RunConfig;
use botui::config::tricks::{self, Group, ParamDef, TrickDef};

/// One line of the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// A group's heading, shown once the registry has tricks in more than one group.
    Group(Group),
    Trick(&'static TrickDef),
    Param(&'static TrickDef, &'static ParamDef),
}

impl Item {
    /// The trick the line belongs to (none for a heading).
    pub fn trick(self) -> Option<&'static TrickDef> {
        match self {
            Item::Group(_) => None,
            Item::Trick(t) | Item::Param(t, _) => Some(t),
        }
    }
}

/// The checklist's lines: every trick, and the parameters of those that are on, under group
/// headings when there is more than one group.
pub fn items(c: &RunConfig) -> Vec<Item> {
    let groups: Vec<Group> = Group::ALL
        .into_iter()
        .filter(|g| tricks::in_group(*g).next().is_some())
        .collect();
    let mut out = Vec::new();
    for group in &groups {
        if groups.len() > 1 {
            out.push(Item::Group(*group));
        }
        for t in tricks::in_group(*group) {
            out.push(Item::Trick(t));
            if t.is_on(c) && t.applies(c) {
                out.extend(t.params.iter().map(|p| Item::Param(t, p)));
            }
        }
    }
    out
}
