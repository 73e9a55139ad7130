//! The Study tab's reducers: a study's events in, the tab's state out.

use std::path::PathBuf;

use botui::config::RunConfig;
use botui::study::plan::{PlannedRow, PlannedTeacher};
use botui::study::results::{RowResult, SeedResult};
use botui::study::{
    Mode, RunId, RunOutcome, RunRef, RunState, StudyEvent, StudyPlan, StudyResults,
};
use botui::train::TrainEvent;

use super::{chord, key};
use crate::tui::app::{App, Effect, Msg, PaneId, Popup, Tab};
use crate::tui::fake;
use crate::tui::study::{StudyEntry, StudyPhase, StudyState};
use botui::config::KeyCode;

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

/// A Table 6-like study half way: rows 1 and 2 done, row 3 with two seeds of three (the third
/// training now), row 4 not started.
fn half_way() -> App {
    use botui::study::results::Deltas;
    use botui::study::spec::PaperNumbers;
    use botui::study::stats::{Delta, Spread};
    let mut plan = plan();
    plan.seeds = 3;
    plan.teachers.clear();
    plan.rows = [
        "efficient",
        "+ cosine decay",
        "+ label smoothing",
        "+ mixup",
    ]
    .iter()
    .zip([7, 7, 7, 12])
    .map(|(n, e)| PlannedRow {
        name: n.to_string(),
        config: RunConfig {
            epochs: e,
            ..RunConfig::default()
        },
        teacher: None,
        paper: None,
        changes: Vec::new(),
    })
    .collect();
    let papers = [
        (71.90, 90.53),
        (72.83, 91.00),
        (72.93, 91.14),
        (73.28, 91.30),
    ];
    let curves: [&[&[f64]]; 4] = [
        &[
            &[40.0, 55.0, 60.0, 64.0, 68.0, 70.0, 70.8],
            &[42.0, 50.0, 61.0, 66.0, 69.0, 71.0, 72.0],
            &[38.0, 52.0, 58.0, 63.0, 66.0, 68.0, 69.6],
        ],
        &[
            &[41.0, 56.0, 62.0, 67.0, 70.0, 72.0, 73.4],
            &[43.0, 52.0, 63.0, 68.0, 71.0, 73.0, 74.0],
            &[39.0, 54.0, 60.0, 65.0, 69.0, 71.0, 72.6],
        ],
        &[
            &[41.0, 55.0, 61.0, 66.0, 70.0, 72.0, 73.0],
            &[42.0, 53.0, 62.0, 67.0, 70.0, 72.0, 73.8],
            &[40.0, 51.0, 59.0],
        ],
        &[&[], &[], &[]],
    ];
    let mut rows: Vec<RowResult> = curves
        .iter()
        .zip(&plan.rows)
        .zip(papers)
        .map(|((c, p), (top1, top5))| {
            let mut r = row_result(&p.name, c, p.config.epochs);
            r.paper = Some(PaperNumbers {
                top1,
                top5: Some(top5),
            });
            let finals: Vec<f64> = r
                .seeds
                .iter()
                .filter(|s| s.state == RunState::Finished)
                .filter_map(|s| s.final_top1)
                .collect();
            r.final_top1 = Spread::of(&finals);
            r
        })
        .collect();
    for i in 1..rows.len() {
        let delta = |a: &RowResult, b: &RowResult| {
            let (a, b) = (a.final_top1?, b.final_top1?);
            Some(Deltas {
                top1: Delta::between(&a, &b),
                top5: Delta::between(&a, &b),
            })
        };
        rows[i].vs_above = delta(&rows[i - 1], &rows[i]);
        rows[i].vs_baseline = delta(&rows[0], &rows[i]);
    }
    let mut app = super::app_with(RunConfig::default());
    let list =
        [
            "table4-bs256-laptop",
            "table5-laptop",
            "table6-mobilenet-laptop",
        ]
        .iter()
        .map(|n| StudyEntry {
            name: n.to_string(),
            description:
                "Table 6, MobileNet: efficient, then + cosine decay, + label smoothing, + mixup."
                    .into(),
        })
        .collect();
    app.update(Msg::StudiesListed(list, Vec::new()));
    // Pick the third study and run it, as a person would.
    app.update(Msg::Key(chord('4')));
    app.update(Msg::Key(key(KeyCode::Down)));
    app.update(Msg::Key(key(KeyCode::Down)));
    assert_eq!(
        app.update(Msg::Key(key(KeyCode::Enter))),
        [Effect::StartStudy("table6-mobilenet-laptop".into())]
    );
    plan.name = "table6-mobilenet-laptop".into();
    app.update(Msg::StudyStarted {
        dir: PathBuf::from("/studies/20261129-table6-mobilenet-laptop"),
        plan: Box::new(plan),
    });
    let mut events = vec![StudyEvent::Started {
        finished: 0,
        to_run: 12,
    }];
    let ran = (0..3).flat_map(|row| (0..3).map(move |seed| RunId { row, seed }));
    for id in ran {
        let run = RunRef::Row(id);
        events.push(StudyEvent::RunStarted {
            run,
            dir: PathBuf::from("/x"),
            device: botui::device::DeviceName::Flex,
            resumed: false,
        });
        if id != (RunId { row: 2, seed: 2 }) {
            events.push(StudyEvent::RunEnded {
                run,
                outcome: RunOutcome::Finished,
            });
        }
    }
    let mut m = fake::epoch(3, 7, 0.1);
    m.val_top1 = 59.0;
    events.push(StudyEvent::Train {
        run: RunRef::Row(RunId { row: 2, seed: 2 }),
        event: TrainEvent::EpochEnd(m),
    });
    events.push(StudyEvent::Results(Box::new(StudyResults {
        name: "table6-mobilenet-laptop".into(),
        description: String::new(),
        table: "Table 6".into(),
        mode: Mode::Cumulative,
        seeds: 3,
        rows,
    })));
    for e in events {
        assert_eq!(app.update(Msg::Study(e)), []);
    }
    // Highlight the second row's curve from the table.
    app.set_focus(PaneId::StudyTable);
    app.update(Msg::Key(key(KeyCode::Down)));
    app
}

#[test]
fn the_study_tab_shows_spreads_marks_noise_and_overlays_the_rows_curves() {
    let mut app = half_way();
    assert_eq!(app.tab, Tab::Study);
    assert_eq!(app.study.row, 1);
    let c = app.study.current.as_ref().unwrap();
    let rows = &c.results.as_ref().unwrap().rows;
    // efficient 70.8 72.0 69.6 (mean 70.8, std 1.2); + cosine 73.4 74.0 72.6 (73.333, 0.702):
    // +2.53 against a pooled std of 0.98, outside the noise; + label smoothing (73.0, 73.8):
    // +0.07, within it.
    let above = |i: usize| rows[i].vs_above.unwrap().top1;
    assert_eq!(above(1).within_noise, Some(false));
    assert_eq!(above(2).within_noise, Some(true));
    assert!(rows[3].vs_above.is_none());
    assert_eq!(c.progress(), (8, 12));
    insta::assert_snapshot!(super::screens::screen(&mut app, 120, 40));
}

#[test]
fn the_study_tab_draws_at_any_size() {
    let mut app = half_way();
    for (w, h) in [(1, 1), (10, 4), (33, 9), (80, 24), (99, 30), (250, 80)] {
        let _ = super::screens::screen(&mut app, w, h);
    }
}

#[test]
fn a_study_starts_stops_and_finishes_through_the_app() {
    let mut app = half_way();
    // Another study, or a run, cannot start while this one trains.
    assert_eq!(app.update(Msg::Key(chord('s'))), []);
    app.update(Msg::Key(chord('1')));
    assert_eq!(app.update(Msg::Key(chord('s'))), []);
    assert!(app.run.is_none());
    app.update(Msg::Key(chord('4')));
    assert_eq!(app.update(Msg::Key(chord('x'))), [Effect::StopStudy]);
    let phase = |app: &App| app.study.current.as_ref().unwrap().phase;
    assert_eq!(phase(&app), StudyPhase::Stopping);
    // A second stop sends nothing more.
    assert_eq!(app.update(Msg::Key(chord('x'))), []);
    let stopped = Msg::Study(StudyEvent::Finished {
        stopped: true,
        failed: 0,
    });
    assert_eq!(app.update(stopped), [Effect::ScanRuns]);
    assert_eq!(phase(&app), StudyPhase::Stopped);
    assert!(!app.busy());
    // Now the selected study may start again.
    assert_eq!(
        app.update(Msg::Key(chord('s'))),
        [Effect::StartStudy("table6-mobilenet-laptop".into())]
    );
}

#[test]
fn a_study_is_refused_while_a_run_trains() {
    let mut app = super::started_app(3, 4);
    app.update(Msg::StudiesListed(
        vec![StudyEntry {
            name: "table5-laptop".into(),
            description: String::new(),
        }],
        Vec::new(),
    ));
    app.update(Msg::Key(chord('4')));
    assert_eq!(app.update(Msg::Key(key(KeyCode::Enter))), []);
    // x on the Study tab still stops the run, as no study trains.
    assert_eq!(
        app.update(Msg::Key(chord('x'))),
        [Effect::Command(botui::train::TrainCommand::Stop)]
    );
}

#[test]
fn quitting_during_a_study_stops_it_and_quits_when_it_ends() {
    let mut app = half_way();
    assert_eq!(app.update(Msg::Key(chord('q'))), []);
    assert_eq!(app.popup, Some(Popup::ConfirmQuit));
    assert!(super::screens::screen(&mut app, 120, 40).contains("A study is training."));
    assert_eq!(app.update(Msg::Key(chord('y'))), [Effect::StopStudy]);
    let run = RunRef::Row(RunId { row: 2, seed: 2 });
    let ended = Msg::Study(StudyEvent::RunEnded {
        run,
        outcome: RunOutcome::Stopped,
    });
    assert_eq!(app.update(ended), []);
    let finished = Msg::Study(StudyEvent::Finished {
        stopped: true,
        failed: 0,
    });
    assert_eq!(app.update(finished), [Effect::Quit]);
}

#[test]
fn a_failed_run_and_the_runs_log_lines_reach_the_log() {
    let mut app = half_way();
    let run = RunRef::Row(RunId { row: 2, seed: 2 });
    app.update(Msg::Study(StudyEvent::Train {
        run,
        event: TrainEvent::Log {
            level: botui::train::LogLevel::Info,
            message: "resumed at epoch 3".into(),
        },
    }));
    app.update(Msg::Study(StudyEvent::RunEnded {
        run,
        outcome: RunOutcome::Failed("out of memory".into()),
    }));
    let lines: Vec<String> = app.log.lines.iter().map(|l| l.message.clone()).collect();
    assert!(
        lines.contains(&"row 3 s2: resumed at epoch 3".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"study row 3 s2 failed: out of memory".to_string()),
        "{lines:?}"
    );
    assert_eq!(app.study.current.as_ref().unwrap().ended, 9);
}
