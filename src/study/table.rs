//! The study's results as text: `study.md` (the paper-style table) and `study.csv` (every
//! number at full precision, one line per row).

use super::results::{Deltas, RowResult, StudyResults, format_delta, format_spread};
use super::spec::{Mode, PaperNumbers};
use super::stats::Spread;

/// The rule the ≈ marks follow, as the table's legend says it.
pub const NOISE_RULE: &str = "≈ marks a Δ within noise: |Δ| ≤ the pooled sample standard \
deviation of the two rows' seeds (how far one run moves from seed to seed; a rule of thumb, \
not a significance test)";

impl StudyResults {
    pub fn to_markdown(&self) -> String {
        let mut out = format!("# Study `{}`", self.name);
        if !self.table.is_empty() {
            out.push_str(&format!(" ({})", self.table));
        }
        out.push_str("\n\n");
        if !self.description.is_empty() {
            out.push_str(&format!("{}\n\n", self.description));
        }
        let (done, all) = self.progress();
        let mode = match self.mode {
            Mode::Cumulative => "cumulative: each row is the row above plus its changes",
            Mode::OneAtATime => "one at a time: each row is the baseline plus its changes",
        };
        out.push_str(&format!(
            "Rows are {mode}. {} seed{} per row; {done} of {all} runs finished.\n\
             Val top-1 / top-5 in %, at the last epoch: mean ± sample standard deviation over \
             the finished seeds. Δ: difference of mean top-1, in points. {NOISE_RULE}.\n\n",
            self.seeds,
            if self.seeds == 1 { "" } else { "s" },
        ));
        let paper_delta = match self.mode {
            Mode::Cumulative => "paper Δ vs above",
            Mode::OneAtATime => "paper Δ vs baseline",
        };
        out.push_str(&format!(
            "| # | row | runs | top-1 | top-5 | Δ top-1 vs above | Δ top-1 vs baseline | best top-1 | paper top-1 / top-5 | {paper_delta} |\n\
             |--:|---|---|--:|--:|--:|--:|--:|--:|--:|\n"
        ));
        for (i, row) in self.rows.iter().enumerate() {
            let spread = |s: &Option<Spread>| s.as_ref().map_or("-".into(), format_spread);
            let delta =
                |d: &Option<Deltas>| d.as_ref().map_or(String::new(), |d| format_delta(&d.top1));
            let against = match self.mode {
                Mode::Cumulative => i.checked_sub(1),
                Mode::OneAtATime => (i > 0).then_some(0),
            };
            let paper_d = match (against.and_then(|j| self.rows[j].paper), row.paper) {
                (Some(a), Some(b)) => format!("{:+.2}", b.top1 - a.top1),
                _ => String::new(),
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {paper_d} |\n",
                i + 1,
                row.name.replace('|', "\\|"),
                runs_cell(row),
                spread(&row.final_top1),
                spread(&row.final_top5),
                delta(&row.vs_above),
                delta(&row.vs_baseline),
                spread(&row.best_top1),
                paper_cell(row.paper),
            ));
        }
        out.push_str("\n## What each row changes\n\n");
        for (i, row) in self.rows.iter().enumerate() {
            let what = if i == 0 {
                "the baseline".to_string()
            } else if row.changes.is_empty() {
                "nothing (same config as the row it is compared with)".to_string()
            } else {
                format!("`{}`", row.changes.join("`, `"))
            };
            out.push_str(&format!("{}. {}: {what}\n", i + 1, row.name));
        }
        let problems: Vec<String> = self
            .rows
            .iter()
            .enumerate()
            .flat_map(|(i, row)| {
                row.seeds.iter().filter_map(move |s| match &s.state {
                    super::folder::RunState::Failed { error } => Some(format!(
                        "- row {} (`{}`), seed {}: failed: {error} ({})",
                        i + 1,
                        row.name,
                        s.seed,
                        s.dir.display()
                    )),
                    _ => None,
                })
            })
            .collect();
        if !problems.is_empty() {
            out.push_str("\n## Failed runs\n\n");
            out.push_str(&problems.join("\n"));
            out.push('\n');
        }
        out
    }

    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "row,name,runs_finished,runs_failed,seeds,\
             top1_mean,top1_std,top5_mean,top5_std,\
             best_top1_mean,best_top1_std,best_top5_mean,best_top5_std,\
             delta_top1_vs_above,delta_top1_vs_above_noise,delta_top1_vs_above_within_noise,\
             delta_top5_vs_above,\
             delta_top1_vs_baseline,delta_top1_vs_baseline_noise,delta_top1_vs_baseline_within_noise,\
             delta_top5_vs_baseline,\
             paper_top1,paper_top5\n",
        );
        for (i, row) in self.rows.iter().enumerate() {
            let mut cells = vec![
                (i + 1).to_string(),
                csv_text(&row.name),
                row.finished().to_string(),
                row.failed().to_string(),
                self.seeds.to_string(),
            ];
            for s in [
                &row.final_top1,
                &row.final_top5,
                &row.best_top1,
                &row.best_top5,
            ] {
                cells.push(num(s.map(|s| s.mean)));
                cells.push(num(s.and_then(|s| s.std)));
            }
            for d in [&row.vs_above, &row.vs_baseline] {
                cells.push(num(d.map(|d| d.top1.value)));
                cells.push(num(d.and_then(|d| d.top1.noise)));
                cells.push(
                    d.and_then(|d| d.top1.within_noise)
                        .map_or(String::new(), |b| b.to_string()),
                );
                cells.push(num(d.map(|d| d.top5.value)));
            }
            cells.push(num(row.paper.map(|p| p.top1)));
            cells.push(num(row.paper.and_then(|p| p.top5)));
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }
}

fn runs_cell(row: &RowResult) -> String {
    let mut cell = format!("{}/{}", row.finished(), row.seeds.len());
    let mut notes = Vec::new();
    if row.running() > 0 {
        notes.push(format!("{} running", row.running()));
    }
    if row.failed() > 0 {
        notes.push(format!("{} failed", row.failed()));
    }
    if !notes.is_empty() {
        cell.push_str(&format!(" ({})", notes.join(", ")));
    }
    cell
}

fn paper_cell(paper: Option<PaperNumbers>) -> String {
    match paper {
        Some(PaperNumbers {
            top1,
            top5: Some(top5),
        }) => format!("{top1:.2} / {top5:.2}"),
        Some(p) => format!("{:.2}", p.top1),
        None => String::new(),
    }
}

/// Full precision (Rust's shortest round-trip form), empty for none.
fn num(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| v.to_string())
}

fn csv_text(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
