//! A data-parallel run started from inside a front end (the workbench's start key on a
//! device such as `cuda:0,1,2,3` or `cuda:all`): rank 0 trains in this process's trainer
//! thread, so its events are the front end's as for any run (one run, one run folder, progress
//! and log from rank 0, epoch numbers summed over the ranks); ranks 1.. are copies of this
//! program (`botui train` over the same config and run folder) that botui's launcher starts
//! with torchrun's environment, and a companion thread supervises them:
//!
//! - a rank that fails is reported with its rank and how it ended, and the others are
//!   stopped (rank 0 then fails too, naming the lost rank);
//! - when rank 0 fails, the other ranks are stopped; when it finishes, they get a grace period
//!   to finish too;
//! - the ranks die with this process (Linux), so none outlives the workbench.
//!
//! Rank r trains on the device its config names for `LOCAL_RANK` r ([`crate::dist::World::device`]).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use crate::dist::launch::{self, Launch, describe, rendezvous_port, spawn_rank, stop_all};
use crate::dist::plan::{Placement, RankPlan, place};
use crate::dist::ranks::check_device;
use crate::dist::{Launcher, World};

use super::events::{LogLevel, TrainEvent};
use super::request::{RunRequest, SourceFactory};
use super::trainer::{Outcome, TrainerHandle, spawn, spawn_with};

/// The other ranks' program and how to reach them.
#[derive(Debug, Clone)]
pub struct LocalRanks {
    /// The botui executable the other ranks run (`std::env::current_exe()` in the workbench).
    pub program: PathBuf,
    /// The rendezvous port; `None` picks a free one.
    pub master_port: Option<u16>,
    /// More environment for the other ranks.
    pub env: Vec<(String, OsString)>,
    /// How long the other ranks get to stop before SIGKILL.
    pub grace: Duration,
}

impl LocalRanks {
    pub fn this_program() -> std::io::Result<LocalRanks> {
        Ok(LocalRanks {
            program: std::env::current_exe()?,
            master_port: None,
            env: Vec::new(),
            grace: Duration::from_secs(20),
        })
    }
}

/// Starts a new run the way the workbench's start key does: placed on this machine
/// ([`place`]: `gpus` is how many GPUs LibTorch sees, `nproc` as `botui train --nproc`; the
/// workbench passes `None`), then trained alone in a trainer thread, or as ranks
/// ([`spawn_ranks`]). An error says why the run cannot start (a bad device, too few GPUs, a
/// build without LibTorch for several ranks).
pub fn start(
    mut request: RunRequest,
    nproc: Option<usize>,
    gpus: usize,
    ranks: LocalRanks,
    open_source: SourceFactory,
) -> Result<TrainerHandle, String> {
    match place(request.config.device, nproc, gpus).map_err(|e| e.to_string())? {
        Placement::Alone(device) => {
            request.config.device = device;
            Ok(spawn(request, open_source))
        }
        Placement::Ranks(plan) => {
            check_device(request.config.device).map_err(|e| e.to_string())?;
            spawn_ranks(request, &plan, ranks, open_source)
        }
    }
}

/// Starts `request` (a new run, not a resume) as the ranks of `plan`: the other ranks as child
/// processes, rank 0 in a trainer thread whose handle this returns. Must be called from a
/// thread that outlives the run (the ranks die with the thread that started them).
pub fn spawn_ranks(
    mut request: RunRequest,
    plan: &RankPlan,
    ranks: LocalRanks,
    open_source: SourceFactory,
) -> Result<TrainerHandle, String> {
    let n = plan.ranks();
    let port = rendezvous_port(ranks.master_port).map_err(|e| e.to_string())?;
    // The other ranks read rank 0's resolved config (they agree on it at the rendezvous).
    let config_file =
        std::env::temp_dir().join(format!("botui-ranks-{}-{port}.toml", std::process::id()));
    let text = toml::to_string(&request.config).map_err(|e| e.to_string())?;
    crate::fsutil::write_atomic(&config_file, text.as_bytes())
        .map_err(|e| format!("{}: {e}", config_file.display()))?;
    let mut args: Vec<OsString> = vec!["train".into(), "--run-config".into()];
    args.push(config_file.clone().into_os_string());
    args.push("--out".into());
    args.push(request.run_dir.clone().into_os_string());
    let launch = Launch {
        nproc: n,
        master_port: Some(port),
        program: ranks.program,
        args,
        cuda_visible: plan.cuda_visible.clone(),
        grace: ranks.grace,
        env: ranks.env,
    };
    let mut children = Vec::with_capacity(n.saturating_sub(1));
    let mut pumps = Vec::new();
    for rank in 1..n {
        match spawn_rank(&launch, rank, port, false) {
            Ok((child, out)) => {
                children.push((rank, child));
                pumps.extend(out);
            }
            Err(e) => {
                let mut started: Vec<Child> = children.into_iter().map(|(_, c)| c).collect();
                stop_all(&mut started, launch.grace);
                let _ = std::fs::remove_file(&config_file);
                return Err(e.to_string());
            }
        }
    }
    request.world = Some(World {
        rank: 0,
        size: n,
        local_rank: 0,
        master_addr: "127.0.0.1".into(),
        master_port: port,
        hosts_store: true,
        launcher: Launcher::Botui,
    });
    let grace = launch.grace;
    Ok(spawn_with(request, open_source, move |events, outcome| {
        std::thread::Builder::new()
            .name("botui-ranks".into())
            .spawn(move || {
                supervise(children, &events, &outcome, grace);
                for p in pumps {
                    let _ = p.join();
                }
                remove(&config_file);
            })
            .ok()
    }))
}

fn remove(file: &Path) {
    let _ = std::fs::remove_file(file);
}

/// Watches the other ranks until they have all ended.
fn supervise(
    mut children: Vec<(usize, Child)>,
    events: &Sender<TrainEvent>,
    rank0: &Outcome,
    grace: Duration,
) {
    let mut finished_at: Option<Instant> = None;
    loop {
        let mut failed = None;
        children.retain_mut(|(rank, child)| match child.try_wait() {
            Ok(Some(status)) => {
                if !status.success() && failed.is_none() {
                    failed = Some(launch::LaunchError::RankFailed {
                        rank: *rank,
                        how: describe(status),
                    });
                }
                false
            }
            Ok(None) => true,
            Err(_) => false,
        });
        if let Some(error) = failed {
            let _ = events.send(TrainEvent::Log {
                level: LogLevel::Error,
                message: error.to_string(),
            });
            stop(&mut children, grace);
            return;
        }
        if children.is_empty() {
            return;
        }
        match rank0.ended() {
            None => {}
            Some(false) => {
                stop(&mut children, grace.min(Duration::from_secs(5)));
                return;
            }
            Some(true) => {
                let since = *finished_at.get_or_insert_with(Instant::now);
                if since.elapsed() > grace {
                    let _ = events.send(TrainEvent::Log {
                        level: LogLevel::Warning,
                        message: format!(
                            "{} rank(s) still running {}s after rank 0 finished; stopped",
                            children.len(),
                            grace.as_secs()
                        ),
                    });
                    stop(&mut children, Duration::from_secs(1));
                    return;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stop(children: &mut Vec<(usize, Child)>, grace: Duration) {
    let mut all: Vec<Child> = children.drain(..).map(|(_, c)| c).collect();
    stop_all(&mut all, grace);
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh_rank(rank: usize, script: &str) -> Child {
        spawn_rank(&Launch::shell(3, script), rank, 1, false)
            .unwrap()
            .0
    }

    #[test]
    fn a_failed_rank_is_reported_with_its_rank_and_the_others_stopped() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let children = vec![(1, sh_rank(1, "exec sleep 600")), (2, sh_rank(2, "exit 7"))];
        let started = Instant::now();
        supervise(children, &tx, &Outcome::default(), Duration::from_secs(5));
        assert!(started.elapsed() < Duration::from_secs(30));
        let said: Vec<String> = rx
            .try_iter()
            .filter_map(|e| match e {
                TrainEvent::Log {
                    level: LogLevel::Error,
                    message,
                } => Some(message),
                _ => None,
            })
            .collect();
        assert_eq!(
            said,
            ["rank 2 exited with status 7; the other ranks were stopped"]
        );
    }

    #[test]
    fn the_ranks_are_left_to_finish_after_rank_0() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let outcome = Outcome::default();
        let children = vec![(1, sh_rank(1, "sleep 0.2"))];
        outcome.set_for_tests(true);
        supervise(children, &tx, &outcome, Duration::from_secs(30));
        assert_eq!(rx.try_iter().count(), 0, "a clean end says nothing");
    }
}
