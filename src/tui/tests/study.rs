//! The Study tab's reducers: a study's events in, the tab's state out.

use std::path::PathBuf;

use botui::config::RunConfig;
use botui::study::plan::{PlannedRow, PlannedTeacher};
use botui::study::results::{RowResult, SeedResult};
use botui::study::{
    Mode, RunId, RunOutcome, RunRef, RunState, StudyEvent, StudyPlan, StudyResults,
};
use botui::train::TrainEvent;

use crate::tui::fake;
use crate::tui::study::{StudyEntry, StudyPhase, StudyState};

pub fn plan() -> StudyPlan {
    let row = |name: &str, epochs: usize| PlannedRow {
        name: name.into(),
        config: RunConfig {
            epochs,
            ..RunConfig::default()
        },
        teacher: None,
        paper: None,
        changes: Vec::new(),
    };
    StudyPlan {
        name: "tiny".into(),
        description: String::new(),
        table: "Table 6".into(),
        mode: Mode::Cumulative,
        seeds: 2,
        source: "tiny.toml".into(),
        teachers: vec![PlannedTeacher {
            name: "big".into(),
            config: RunConfig {
                epochs: 4,
                ..RunConfig::default()
            },
        }],
        rows: vec![row("baseline", 3), row("+ cosine", 5)],
    }
}

/// A row whose seeds trained these val top-1 curves (finished when `epochs` long).
pub fn row_result(name: &str, curves: &[&[f64]], epochs: usize) -> RowResult {
    let seeds = curves
        .iter()
        .enumerate()
        .map(|(i, c)| SeedResult {
            seed: i as u64,
            dir: PathBuf::from(format!("/s/{name}/seed-{i}")),
            state: if c.len() == epochs {
                RunState::Finished
            } else {
                RunState::Partial {
                    epochs_done: c.len(),
                }
            },
            epochs,
            val_top1: c.to_vec(),
            final_top1: c.last().copied(),
            final_top5: c.last().map(|t| t + 20.0),
            best_top1: None,
            best_top5: None,
            best_epoch: None,
        })
        .collect();
    RowResult {
        name: name.into(),
        changes: Vec::new(),
        paper: None,
        seeds,
        final_top1: None,
        final_top5: None,
        best_top1: None,
        best_top5: None,
        vs_above: None,
        vs_baseline: None,
    }
}

fn started() -> StudyState {
    let mut st = StudyState::default();
    st.started(PathBuf::from("/s"), plan());
    st
}

#[test]
fn the_picker_moves_within_the_list() {
    let mut st = StudyState::default();
    st.move_by(1); // empty: nothing to move
    st.set_list(
        ["a", "b", "c"]
            .iter()
            .map(|n| StudyEntry {
                name: n.to_string(),
                description: String::new(),
            })
            .collect(),
    );
    st.move_by(5);
    assert_eq!(st.selected_entry().unwrap().name, "c");
    st.move_by(-1);
    assert_eq!(st.selected, 1);
    st.set_list(Vec::new());
    assert_eq!(st.selected, 0);
}

#[test]
fn runs_start_move_through_epochs_and_end() {
    let mut st = started();
    assert!(st.is_active());
    st.apply(&StudyEvent::Started {
        finished: 1,
        to_run: 4,
    });
    let run = RunRef::Row(RunId { row: 1, seed: 0 });
    st.apply(&StudyEvent::RunStarted {
        run,
        dir: PathBuf::from("/s/02-cosine/seed-0"),
        device: botui::device::DeviceName::Flex,
        resumed: false,
    });
    let c = st.current.as_ref().unwrap();
    assert_eq!((c.active[0].epoch, c.active[0].epochs), (0, 5));
    let mut m = fake::epoch(1, 5, 0.1);
    m.val_top1 = 42.0;
    st.apply(&StudyEvent::Train {
        run,
        event: TrainEvent::EpochEnd(m),
    });
    let c = st.current.as_ref().unwrap();
    assert_eq!(c.active[0].epoch, 1);
    assert_eq!(c.active[0].last_top1, Some(42.0));
    assert_eq!(c.label(run), "row 2 s0");
    st.apply(&StudyEvent::RunEnded {
        run,
        outcome: RunOutcome::Finished,
    });
    let c = st.current.as_ref().unwrap();
    assert!(c.active.is_empty());
    // 1 kept + 1 ended, of 2 rows x 2 seeds + 1 teacher.
    assert_eq!(c.progress(), (2, 5));
    st.stopping();
    assert_eq!(st.current.as_ref().unwrap().phase, StudyPhase::Stopping);
    st.apply(&StudyEvent::Finished {
        stopped: true,
        failed: 0,
    });
    assert_eq!(st.current.as_ref().unwrap().phase, StudyPhase::Stopped);
    assert!(!st.is_active());
}

#[test]
fn row_curves_average_the_seeds_that_reached_each_epoch() {
    let mut st = started();
    let results = StudyResults {
        name: "tiny".into(),
        description: String::new(),
        table: String::new(),
        mode: Mode::Cumulative,
        seeds: 2,
        rows: vec![
            row_result("baseline", &[&[10.0, 20.0, 30.0], &[20.0, 40.0]], 3),
            row_result("+ cosine", &[&[], &[]], 5),
        ],
    };
    st.apply(&StudyEvent::Results(Box::new(results)));
    let c = st.current.as_ref().unwrap();
    let curves = c.row_curves();
    // Epoch 1: (10 + 20) / 2; epoch 2: (20 + 40) / 2; epoch 3: only the first seed.
    assert_eq!(curves[0].1, [(1.0, 15.0), (2.0, 30.0), (3.0, 30.0)]);
    assert!(curves[1].1.is_empty());
    assert_eq!(c.max_epochs(), 5);
    st.move_row(7);
    assert_eq!(st.row, 1);
    st.move_row(-3);
    assert_eq!(st.row, 0);
}
