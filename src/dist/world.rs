//! Who this process is in a data-parallel run: its rank, the world size, its rank on this
//! machine, and where the rendezvous (a c10d TCPStore) listens. Three launchers, one reading:
//!
//! - torchrun (and botui's own `--nproc` launcher, which sets the same variables): `RANK`,
//!   `WORLD_SIZE`, `LOCAL_RANK`, `MASTER_ADDR`, `MASTER_PORT`; with
//!   `TORCHELASTIC_USE_AGENT_STORE=True` torchrun's agent already hosts the store, so rank 0
//!   joins it as a client, as `torch.distributed` does.
//! - Slurm (`srun botui train ...`): `SLURM_PROCID`, `SLURM_NTASKS`, `SLURM_LOCALID`; the store
//!   is on the first host of `SLURM_STEP_NODELIST` (else `SLURM_JOB_NODELIST`) unless
//!   `MASTER_ADDR` says otherwise, at `MASTER_PORT` or a port derived from the job id.
//! - nothing set (or a world of one): a single process, no c10d at all.

use std::fmt;

use super::hostlist;
use crate::device::DeviceName;

/// The port torchrun and `torch.distributed` use when none is given.
pub const DEFAULT_PORT: u16 = 29500;

/// Which launcher started this rank (for messages: how to restart, what went wrong).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Launcher {
    /// `botui train --nproc N` (or the workbench with several GPUs).
    Botui,
    Torchrun,
    Slurm,
}

impl fmt::Display for Launcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Launcher::Botui => "botui --nproc",
            Launcher::Torchrun => "torchrun",
            Launcher::Slurm => "srun",
        })
    }
}

/// This rank's place in the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct World {
    pub rank: usize,
    pub size: usize,
    /// The rank among those on this machine: picks the GPU (`cuda:LOCAL_RANK`).
    pub local_rank: usize,
    pub master_addr: String,
    pub master_port: u16,
    /// Whether this process hosts the TCPStore (rank 0, unless torchrun's agent hosts it).
    pub hosts_store: bool,
    pub launcher: Launcher,
}

/// An environment that names a distributed run but not a usable one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    #[error("{var}={value}: {expected}")]
    Bad {
        var: &'static str,
        value: String,
        expected: String,
    },
    #[error("{var} is not set, but {because}")]
    Missing { var: &'static str, because: String },
    #[error("{0}")]
    HostList(#[from] hostlist::HostListError),
}

/// Variable set by botui's launcher so its ranks can say so.
pub const LAUNCHER_VAR: &str = "BOTUI_LAUNCHER";

impl World {
    /// Reads this process's environment. `Ok(None)`: not a distributed run.
    pub fn from_env() -> Result<Option<World>, WorldError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Self::from_env`] over any variable lookup (tests pass a map).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<World>, WorldError> {
        if var("WORLD_SIZE").is_some() || var("RANK").is_some() {
            return torchrun(&var);
        }
        if var("SLURM_PROCID").is_some() && var("SLURM_NTASKS").is_some() {
            return slurm(&var);
        }
        Ok(None)
    }

    pub fn is_leader(&self) -> bool {
        self.rank == 0
    }

    /// The device this rank computes on when the run is configured for `configured`:
    /// for `cuda:a,b,...` the listed GPU of this rank's `LOCAL_RANK` (rank r, the r-th in
    /// ascending order), for `cuda:all` and `cuda:N` GPU `LOCAL_RANK` (for `cuda:N` counted
    /// within `CUDA_VISIBLE_DEVICES`, which `botui train --nproc` sets to the GPUs asked for),
    /// `configured` itself otherwise.
    pub fn device(&self, configured: DeviceName) -> Result<DeviceName, WorldError> {
        match configured {
            DeviceName::Cuda(_) => Ok(DeviceName::Cuda(self.local_rank)),
            DeviceName::Gpus(set) => {
                set.nth(self.local_rank)
                    .map(DeviceName::Cuda)
                    .ok_or_else(|| WorldError::Bad {
                        var: "LOCAL_RANK",
                        value: self.local_rank.to_string(),
                        expected: format!(
                            "the device {configured} has no GPU for local rank {}: start one rank \
                         per listed GPU",
                            self.local_rank
                        ),
                    })
            }
            other => Ok(other),
        }
    }
}

fn number(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    because: &str,
) -> Result<usize, WorldError> {
    let value = var(name).ok_or_else(|| WorldError::Missing {
        var: name,
        because: because.to_string(),
    })?;
    value.trim().parse().map_err(|_| WorldError::Bad {
        var: name,
        value,
        expected: "expected a whole number".into(),
    })
}

/// The rank, world size and local rank a launcher's variables give (`local` defaults to
/// `default_local`).
fn place(
    var: &impl Fn(&str) -> Option<String>,
    [rank, size, local]: [&'static str; 3],
    because: &str,
    default_local: impl Fn(usize) -> usize,
) -> Result<(usize, usize, usize), WorldError> {
    let size = number(var, size, because)?;
    let rank = number(var, rank, because)?;
    let local_rank = match var(local) {
        Some(_) => number(var, local, because)?,
        None => default_local(rank),
    };
    Ok((rank, size, local_rank))
}

fn port(var: &impl Fn(&str) -> Option<String>) -> Result<Option<u16>, WorldError> {
    let Some(value) = var("MASTER_PORT") else {
        return Ok(None);
    };
    match value.trim().parse::<u16>() {
        Ok(p) if p > 0 => Ok(Some(p)),
        _ => Err(WorldError::Bad {
            var: "MASTER_PORT",
            value,
            expected: "expected a TCP port, 1 to 65535".into(),
        }),
    }
}

fn checked(world: World) -> Result<Option<World>, WorldError> {
    if world.size == 0 {
        return Err(WorldError::Bad {
            var: "WORLD_SIZE",
            value: "0".into(),
            expected: "a run has at least one rank".into(),
        });
    }
    if world.rank >= world.size {
        return Err(WorldError::Bad {
            var: "RANK",
            value: world.rank.to_string(),
            expected: format!(
                "ranks are numbered 0..{} in a world of {}",
                world.size - 1,
                world.size
            ),
        });
    }
    Ok((world.size > 1).then_some(world))
}

fn torchrun(var: &impl Fn(&str) -> Option<String>) -> Result<Option<World>, WorldError> {
    let why = "RANK or WORLD_SIZE is (a torchrun-style launch needs RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT)";
    let (rank, size, local_rank) = place(var, ["RANK", "WORLD_SIZE", "LOCAL_RANK"], why, |r| r)?;
    let launcher = match var(LAUNCHER_VAR).as_deref() {
        Some("1") => Launcher::Botui,
        _ => Launcher::Torchrun,
    };
    let agent_store = var("TORCHELASTIC_USE_AGENT_STORE").is_some_and(|v| v == "True");
    let master_addr = if size > 1 {
        var("MASTER_ADDR").ok_or_else(|| WorldError::Missing {
            var: "MASTER_ADDR",
            because: format!("WORLD_SIZE is {size}: rank 0's address is needed"),
        })?
    } else {
        var("MASTER_ADDR").unwrap_or_else(|| "127.0.0.1".into())
    };
    let master_port = match port(var)? {
        Some(p) => p,
        None if size > 1 => {
            return Err(WorldError::Missing {
                var: "MASTER_PORT",
                because: format!("WORLD_SIZE is {size}: the rendezvous port is needed"),
            });
        }
        None => DEFAULT_PORT,
    };
    checked(World {
        rank,
        size,
        local_rank,
        master_addr,
        master_port,
        hosts_store: rank == 0 && !agent_store,
        launcher,
    })
}

fn slurm(var: &impl Fn(&str) -> Option<String>) -> Result<Option<World>, WorldError> {
    let why = "SLURM_PROCID is (inside `srun`)";
    let (rank, size, local_rank) = place(
        var,
        ["SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID"],
        why,
        |_| 0,
    )?;
    let master_addr = match var("MASTER_ADDR") {
        Some(addr) => addr,
        None => {
            let list = var("SLURM_STEP_NODELIST")
                .or_else(|| var("SLURM_JOB_NODELIST"))
                .or_else(|| var("SLURM_NODELIST"));
            match list {
                Some(list) => hostlist::first_host(&list)?,
                None if size > 1 => {
                    return Err(WorldError::Missing {
                        var: "SLURM_JOB_NODELIST",
                        because: "SLURM_NTASKS > 1 and MASTER_ADDR is not set either".into(),
                    });
                }
                None => "127.0.0.1".into(),
            }
        }
    };
    // Every task of a job derives the same port; two jobs sharing a node rarely collide.
    let master_port = match port(var)? {
        Some(p) => p,
        None => {
            let job = var("SLURM_JOB_ID")
                .and_then(|j| j.trim().parse::<u64>().ok())
                .unwrap_or(0);
            DEFAULT_PORT + (job % 1000) as u16
        }
    };
    checked(World {
        rank,
        size,
        local_rank,
        master_addr,
        master_port,
        hosts_store: rank == 0,
        launcher: Launcher::Slurm,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn world(vars: &[(&str, &str)]) -> Result<Option<World>, WorldError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        World::from_vars(|k| map.get(k).cloned())
    }

    #[test]
    fn nothing_set_is_a_single_process() {
        assert_eq!(world(&[]).unwrap(), None);
        assert_eq!(world(&[("WORLD_SIZE", "1"), ("RANK", "0")]).unwrap(), None);
        assert_eq!(
            world(&[("SLURM_PROCID", "0"), ("SLURM_NTASKS", "1")]).unwrap(),
            None
        );
    }

    #[test]
    fn torchrun_variables() {
        let w = world(&[
            ("RANK", "3"),
            ("WORLD_SIZE", "8"),
            ("LOCAL_RANK", "1"),
            ("MASTER_ADDR", "node01"),
            ("MASTER_PORT", "29400"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!((w.rank, w.size, w.local_rank), (3, 8, 1));
        assert_eq!((w.master_addr.as_str(), w.master_port), ("node01", 29400));
        assert_eq!(w.launcher, Launcher::Torchrun);
        assert!(!w.hosts_store);
    }

    #[test]
    fn torchrun_agent_store_means_no_rank_hosts_it() {
        let base = [
            ("RANK", "0"),
            ("WORLD_SIZE", "2"),
            ("MASTER_ADDR", "127.0.0.1"),
            ("MASTER_PORT", "29400"),
        ];
        assert!(world(&base).unwrap().unwrap().hosts_store);
        let mut agent = base.to_vec();
        agent.push(("TORCHELASTIC_USE_AGENT_STORE", "True"));
        assert!(!world(&agent).unwrap().unwrap().hosts_store);
    }

    #[test]
    fn botui_launcher_is_torchrun_style() {
        let w = world(&[
            ("RANK", "1"),
            ("WORLD_SIZE", "2"),
            ("MASTER_ADDR", "127.0.0.1"),
            ("MASTER_PORT", "29400"),
            (LAUNCHER_VAR, "1"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(w.launcher, Launcher::Botui);
        assert_eq!(w.local_rank, 1, "LOCAL_RANK defaults to RANK");
    }

    #[test]
    fn a_rank_trains_on_the_gpu_its_local_rank_picks() {
        let on = |local_rank: usize, device: &str| {
            let w = World {
                rank: local_rank + 4,
                size: 8,
                local_rank,
                master_addr: "127.0.0.1".into(),
                master_port: DEFAULT_PORT,
                hosts_store: false,
                launcher: Launcher::Botui,
            };
            w.device(device.parse().unwrap()).map(|d| d.to_string())
        };
        assert_eq!(on(1, "cuda:1,3,5").unwrap(), "cuda:3");
        assert_eq!(on(2, "cuda:all").unwrap(), "cuda:2");
        assert_eq!(on(1, "libtorch").unwrap(), "libtorch");
        // `--nproc` on cuda:K: counted within CUDA_VISIBLE_DEVICES.
        assert_eq!(on(1, "cuda:4").unwrap(), "cuda:1");
        let e = on(2, "cuda:0,1").unwrap_err().to_string();
        assert!(
            e.contains("LOCAL_RANK=2") && e.contains("cuda:0,1 has no GPU"),
            "{e}"
        );
    }

    #[test]
    fn slurm_variables_and_the_first_node() {
        let w = world(&[
            ("SLURM_PROCID", "5"),
            ("SLURM_NTASKS", "8"),
            ("SLURM_LOCALID", "1"),
            ("SLURM_JOB_NODELIST", "gpu[07-10]"),
            ("SLURM_STEP_NODELIST", "gpu[08-09]"),
            ("SLURM_JOB_ID", "123456"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!((w.rank, w.size, w.local_rank), (5, 8, 1));
        assert_eq!(
            w.master_addr, "gpu08",
            "the step's first node, not the job's"
        );
        assert_eq!(w.master_port, DEFAULT_PORT + 456);
        assert_eq!(w.launcher, Launcher::Slurm);
        let w = world(&[
            ("SLURM_PROCID", "0"),
            ("SLURM_NTASKS", "2"),
            ("SLURM_JOB_NODELIST", "a[3,5]"),
            ("MASTER_PORT", "12345"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!((w.master_addr.as_str(), w.master_port), ("a3", 12345));
        assert!(w.hosts_store);
    }

    #[test]
    fn bad_values_name_the_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("RANK", "0"), ("WORLD_SIZE", "two")], "WORLD_SIZE=two"),
            (
                &[
                    ("RANK", "2"),
                    ("WORLD_SIZE", "2"),
                    ("MASTER_ADDR", "h"),
                    ("MASTER_PORT", "1"),
                ],
                "RANK=2",
            ),
            (&[("RANK", "0"), ("WORLD_SIZE", "0")], "WORLD_SIZE=0"),
            (
                &[("RANK", "0"), ("WORLD_SIZE", "2"), ("MASTER_PORT", "1")],
                "MASTER_ADDR is not set",
            ),
            (
                &[("RANK", "0"), ("WORLD_SIZE", "2"), ("MASTER_ADDR", "h")],
                "MASTER_PORT is not set",
            ),
            (
                &[
                    ("RANK", "0"),
                    ("WORLD_SIZE", "2"),
                    ("MASTER_ADDR", "h"),
                    ("MASTER_PORT", "70000"),
                ],
                "MASTER_PORT=70000",
            ),
            (
                &[
                    ("WORLD_SIZE", "2"),
                    ("MASTER_ADDR", "h"),
                    ("MASTER_PORT", "1"),
                ],
                "RANK is not set",
            ),
            (
                &[("SLURM_PROCID", "0"), ("SLURM_NTASKS", "2")],
                "SLURM_JOB_NODELIST",
            ),
            (
                &[
                    ("SLURM_PROCID", "0"),
                    ("SLURM_NTASKS", "2"),
                    ("SLURM_JOB_NODELIST", "n[1-"),
                ],
                "bad Slurm host list",
            ),
        ];
        for (vars, needle) in cases {
            let err = world(vars).unwrap_err().to_string();
            assert!(err.contains(needle), "{vars:?}: {err}");
        }
    }
}
