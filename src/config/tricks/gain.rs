//! A trick's published effect: top-1 of the row before and of the row that adds it.

/// One trick's gain as its source printed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Gain {
    /// Where the numbers are printed (`Table 6`: of the paper unless it names another source).
    pub table: &'static str,
    /// The same in a few letters, for narrow lists (`T6`).
    pub table_short: &'static str,
    /// The row that adds the trick, as printed.
    pub row: &'static str,
    /// The column: model and, in Table 4, batch size.
    pub column: String,
    /// The column in a few letters, for the checklist (`bs1024`, `R50-D`).
    pub short: &'static str,
    pub before: f64,
    pub after: f64,
}

impl Gain {
    /// Top-1 points gained (negative: lost), rounded to two decimals as the tables print.
    pub fn gain(&self) -> f64 {
        ((self.after - self.before) * 100.0).round() / 100.0
    }
}
