//! Where the ranks go when botui starts them itself (`botui train --nproc N`, a multi-GPU
//! device such as `cuda:0,1,2,3` or `cuda:all` in `botui train` or the workbench): one
//! process per rank on this machine, and which device each trains on. The GPU count is a
//! parameter, so the plan is the same pure function on a machine with GPUs and in tests.

use crate::device::{DeviceError, DeviceName};

/// How a run is placed on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// One process on this device (no ranks to start). A `cuda:all` on a machine with one GPU
    /// trains here, on that GPU.
    Alone(DeviceName),
    /// Ranks started and supervised by botui.
    Ranks(RankPlan),
}

/// The ranks of a run botui starts on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankPlan {
    /// The device of each rank, indexed by rank (= `LOCAL_RANK`): physical GPU numbers.
    pub devices: Vec<DeviceName>,
    /// `CUDA_VISIBLE_DEVICES` for every rank: set for `--nproc N` on `cuda:K` (rank r then
    /// uses `cuda:r` among them); `None` for a GPU list, whose ranks pick their own listed GPU.
    pub cuda_visible: Option<Vec<usize>>,
}

impl RankPlan {
    pub fn ranks(&self) -> usize {
        self.devices.len()
    }
}

/// Why a run cannot be placed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("--nproc 0: expected at least 1 rank")]
    NoRanks,
    #[error(
        "--nproc {nproc} and device {device} disagree: {device} trains one rank on each of its \
         {gpus} GPU(s); leave --nproc out"
    )]
    NprocMismatch {
        nproc: usize,
        device: DeviceName,
        gpus: usize,
    },
    #[error(
        "--nproc {nproc} on {device} needs GPUs {first} to {last} (one per rank), but LibTorch \
         sees {count} GPU(s) on this machine"
    )]
    TooFewGpus {
        nproc: usize,
        device: DeviceName,
        first: usize,
        last: usize,
        count: usize,
    },
    #[error("{0}")]
    Device(#[from] DeviceError),
}

/// The placement of a run configured for `device`, with `--nproc` when given, on a machine
/// where LibTorch sees `gpus` GPUs. Whether the device can train with several ranks at all
/// (flex cannot, nor a build without LibTorch) is [`super::ranks::check_device`]'s business.
pub fn place(
    device: DeviceName,
    nproc: Option<usize>,
    gpus: usize,
) -> Result<Placement, PlanError> {
    if nproc == Some(0) {
        return Err(PlanError::NoRanks);
    }
    match (device, nproc) {
        (DeviceName::Gpus(set), nproc) => {
            let listed = set.indices(gpus)?;
            if let Some(n) = nproc.filter(|&n| n != listed.len()) {
                return Err(PlanError::NprocMismatch {
                    nproc: n,
                    device,
                    gpus: listed.len(),
                });
            }
            if listed.len() == 1 && nproc.is_none() {
                return Ok(Placement::Alone(DeviceName::Cuda(listed[0])));
            }
            Ok(Placement::Ranks(RankPlan {
                devices: listed.into_iter().map(DeviceName::Cuda).collect(),
                cuda_visible: None,
            }))
        }
        (DeviceName::Cuda(first), Some(n)) => {
            if first + n > gpus {
                return Err(PlanError::TooFewGpus {
                    nproc: n,
                    device,
                    first,
                    last: first + n - 1,
                    count: gpus,
                });
            }
            Ok(Placement::Ranks(RankPlan {
                devices: (first..first + n).map(DeviceName::Cuda).collect(),
                cuda_visible: Some((first..first + n).collect()),
            }))
        }
        (device, Some(n)) => Ok(Placement::Ranks(RankPlan {
            devices: vec![device; n],
            cuda_visible: None,
        })),
        (device, None) => Ok(Placement::Alone(device)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(device: &str, nproc: Option<usize>, gpus: usize) -> Result<Placement, String> {
        place(device.parse().unwrap(), nproc, gpus).map_err(|e| e.to_string())
    }

    fn ranks(device: &str, nproc: Option<usize>, gpus: usize) -> Vec<String> {
        match plan(device, nproc, gpus).unwrap() {
            Placement::Ranks(p) => p.devices.iter().map(|d| d.to_string()).collect(),
            other => panic!("{device}: {other:?}"),
        }
    }

    #[test]
    fn a_gpu_list_starts_one_rank_per_listed_gpu_in_order() {
        assert_eq!(
            ranks("cuda:all", None, 4),
            ["cuda:0", "cuda:1", "cuda:2", "cuda:3"]
        );
        // Rank 0 (LOCAL_RANK 0) gets the lowest listed GPU, and so on.
        assert_eq!(ranks("cuda:3,1", None, 4), ["cuda:1", "cuda:3"]);
        assert_eq!(ranks("cuda:0,2", Some(2), 4), ["cuda:0", "cuda:2"]);
        let Placement::Ranks(p) = plan("cuda:1,2", None, 4).unwrap() else {
            panic!()
        };
        assert_eq!(p.cuda_visible, None, "each rank picks its own listed GPU");
    }

    #[test]
    fn nproc_keeps_its_meaning() {
        assert_eq!(ranks("libtorch", Some(2), 0), ["libtorch", "libtorch"]);
        let Placement::Ranks(p) = plan("cuda:1", Some(2), 4).unwrap() else {
            panic!()
        };
        assert_eq!(p.cuda_visible, Some(vec![1, 2]));
        assert_eq!(p.ranks(), 2);
        assert_eq!(
            plan("libtorch", None, 4).unwrap(),
            Placement::Alone(DeviceName::LibTorch)
        );
        assert_eq!(
            plan("cuda:2", None, 4).unwrap(),
            Placement::Alone(DeviceName::Cuda(2))
        );
    }

    #[test]
    fn cuda_all_on_one_gpu_trains_alone_on_it() {
        assert_eq!(
            plan("cuda:all", None, 1).unwrap(),
            Placement::Alone(DeviceName::Cuda(0))
        );
    }

    #[test]
    fn bad_placements_say_what_is_wrong() {
        let e = plan("cuda:all", None, 0).unwrap_err();
        assert!(
            e.contains("'cuda:all'") && e.contains("no CUDA device"),
            "{e}"
        );
        let e = plan("cuda:0,5", None, 4).unwrap_err();
        assert!(e.contains("GPU 5 is beyond the 4 GPU(s)"), "{e}");
        let e = plan("cuda:all", Some(3), 4).unwrap_err();
        assert!(
            e.contains("--nproc 3 and device cuda:all disagree") && e.contains("its 4 GPU(s)"),
            "{e}"
        );
        let e = plan("cuda:2", Some(3), 4).unwrap_err();
        assert!(
            e.contains("needs GPUs 2 to 4") && e.contains("sees 4 GPU(s)"),
            "{e}"
        );
        let e = plan("libtorch", Some(0), 0).unwrap_err();
        assert!(e.contains("--nproc 0"), "{e}");
    }
}
