//! Devices chosen at run time by name: `flex` (burn's pure-Rust CPU backend, always built),
//! and with the cargo feature `tch`: `libtorch` (LibTorch on the CPU), `cuda:N` (LibTorch
//! on CUDA device N) and several GPUs of this machine, `cuda:0,1,2,3` or `cuda:all`, which
//! train data-parallel with one rank per GPU (see [`GpuSet`]).

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

/// A device as the user names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceName {
    /// burn's pure-Rust CPU backend.
    Flex,
    /// LibTorch on the CPU.
    LibTorch,
    /// LibTorch on the CUDA device with this index.
    Cuda(usize),
    /// Several CUDA devices of this machine, one data-parallel rank each.
    Gpus(GpuSet),
}

/// The GPUs of a multi-GPU device: `cuda:0,2,3` (a set, kept in ascending order: rank r
/// trains on the r-th listed GPU) or `cuda:all` (every GPU LibTorch sees when the run starts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GpuSet {
    All,
    /// Bit i set: GPU i is in the run.
    Listed(u64),
}

/// The highest GPU index a `cuda:a,b,...` list may name.
pub const MAX_GPU_INDEX: usize = 63;

impl GpuSet {
    /// The GPU indices, in rank order, on a machine where LibTorch sees `count` GPUs: an error
    /// naming the bad part when the machine has none or fewer than the list names.
    pub fn indices(self, count: usize) -> Result<Vec<usize>, DeviceError> {
        let name = DeviceName::Gpus(self).to_string();
        let no_gpu = || DeviceError::Unusable {
            name: name.clone(),
            why: "LibTorch sees no CUDA device (no NVIDIA driver, or a CPU-only torch); for \
                  several CPU ranks use `libtorch` with `botui train --nproc N`"
                .into(),
            available: usable_device_names(count),
        };
        match self {
            GpuSet::All if count == 0 => Err(no_gpu()),
            GpuSet::All => Ok((0..count).collect()),
            GpuSet::Listed(bits) => {
                let listed: Vec<usize> =
                    (0..=MAX_GPU_INDEX).filter(|i| bits >> i & 1 == 1).collect();
                if count == 0 {
                    return Err(no_gpu());
                }
                if let Some(&bad) = listed.iter().find(|&&i| i >= count) {
                    return Err(DeviceError::Unusable {
                        name,
                        why: format!(
                            "GPU {bad} is beyond the {count} GPU(s) LibTorch sees (cuda:0 to \
                             cuda:{})",
                            count - 1
                        ),
                        available: usable_device_names(count),
                    });
                }
                Ok(listed)
            }
        }
    }

    /// The GPU of local rank `rank` (`None` past the end of a list); `cuda:all` is counted
    /// on whatever GPUs the process sees.
    pub fn nth(self, rank: usize) -> Option<usize> {
        match self {
            GpuSet::All => Some(rank),
            GpuSet::Listed(bits) => (0..=MAX_GPU_INDEX).filter(|i| bits >> i & 1 == 1).nth(rank),
        }
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum DeviceError {
    #[error("unknown device '{name}': expected one of {}", available.join(", "))]
    Unknown {
        name: String,
        available: Vec<String>,
    },
    #[error(
        "device '{name}' needs LibTorch, and this botui was built without it: build with \
         `cargo build --release --features tch` after `scripts/setup-libtorch.sh` (see README). \
         Available here: {}",
        available.join(", ")
    )]
    NotBuilt {
        name: String,
        available: Vec<String>,
    },
    #[error("device '{name}': {why}")]
    Malformed { name: String, why: String },
    #[error("device '{name}' is not usable on this machine: {why}. Available here: {}", available.join(", "))]
    Unusable {
        name: String,
        why: String,
        available: Vec<String>,
    },
}

impl DeviceName {
    /// Whether this binary was built with the backend the device needs.
    pub fn is_built(self) -> bool {
        match self {
            DeviceName::Flex => true,
            DeviceName::LibTorch | DeviceName::Cuda(_) | DeviceName::Gpus(_) => {
                cfg!(feature = "tch")
            }
        }
    }

    /// The burn device, checking that the backend is built and the hardware answers.
    pub fn resolve(self) -> Result<Device, DeviceError> {
        let available = || usable_devices().iter().map(|d| d.to_string()).collect();
        if let DeviceName::Gpus(_) = self {
            return Err(DeviceError::Unusable {
                name: self.to_string(),
                why: "it names several GPUs, which train as one rank per GPU: `botui train` and \
                      the workbench's start key launch them; this needs one device (e.g. cuda:0)"
                    .into(),
                available: available(),
            });
        }
        if !self.is_built() {
            return Err(DeviceError::NotBuilt {
                name: self.to_string(),
                available: available(),
            });
        }
        if let DeviceName::Cuda(index) = self {
            let count = cuda_device_count();
            if index >= count {
                let why = if count == 0 {
                    "LibTorch sees no CUDA device (no NVIDIA driver, or a CPU-only torch)"
                        .to_string()
                } else {
                    format!("LibTorch sees {count} CUDA device(s), numbered from 0")
                };
                return Err(DeviceError::Unusable {
                    name: self.to_string(),
                    why,
                    available: available(),
                });
            }
        }
        Ok(self.device())
    }

    /// One device standing for this choice where a single one is needed (evaluating or
    /// predicting with a multi-GPU run's weights): the first GPU of a set.
    pub fn single(self) -> DeviceName {
        match self {
            DeviceName::Gpus(set) => DeviceName::Cuda(set.nth(0).unwrap_or(0)),
            other => other,
        }
    }

    #[allow(deprecated)] // burn marks burn-tch deprecated; it is the stack this project chose.
    fn device(self) -> Device {
        match self {
            DeviceName::Flex => Device::flex(),
            #[cfg(feature = "tch")]
            DeviceName::LibTorch => Device::libtorch(),
            #[cfg(feature = "tch")]
            DeviceName::Cuda(i) => Device::libtorch_cuda(i),
            #[cfg(feature = "tch")]
            DeviceName::Gpus(_) => unreachable!("refused by resolve"),
            #[cfg(not(feature = "tch"))]
            _ => unreachable!("checked by is_built"),
        }
    }

    /// The GPUs a run on this device trains on, in rank order, on a machine where LibTorch
    /// sees `count` (none for the CPU devices, or for GPUs the machine lacks).
    pub fn gpus_used(self, count: usize) -> Vec<usize> {
        match self {
            DeviceName::Cuda(i) if i < count => vec![i],
            DeviceName::Gpus(set) => set.indices(count).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Whether the device runs on the CPU (used for hardware stats and precision checks).
    pub fn is_cpu(self) -> bool {
        !matches!(self, DeviceName::Cuda(_) | DeviceName::Gpus(_))
    }
}

impl fmt::Display for DeviceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceName::Flex => write!(f, "flex"),
            DeviceName::LibTorch => write!(f, "libtorch"),
            DeviceName::Cuda(i) => write!(f, "cuda:{i}"),
            DeviceName::Gpus(GpuSet::All) => write!(f, "cuda:all"),
            DeviceName::Gpus(set) => {
                let mut sep = "cuda:";
                let mut rank = 0;
                while let Some(i) = set.nth(rank) {
                    write!(f, "{sep}{i}")?;
                    sep = ",";
                    rank += 1;
                }
                Ok(())
            }
        }
    }
}

impl FromStr for DeviceName {
    type Err = DeviceError;

    /// `flex`, `libtorch`, `cuda` (= `cuda:0`), `cuda:N`, and several GPUs: `cuda:0,1,2,3`
    /// (each index once; `cuda:0,cuda:1` reads the same) or `cuda:all`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim().to_ascii_lowercase();
        let bad = |why: String| DeviceError::Malformed {
            name: s.trim().to_string(),
            why,
        };
        match name.as_str() {
            "flex" => return Ok(DeviceName::Flex),
            "libtorch" | "libtorch:cpu" | "tch" => return Ok(DeviceName::LibTorch),
            "cuda" => return Ok(DeviceName::Cuda(0)),
            "cuda:all" => return Ok(DeviceName::Gpus(GpuSet::All)),
            _ => {}
        }
        let parts: Vec<&str> = name.split(',').map(str::trim).collect();
        if parts.len() > 1
            && let Some(cpu) = parts
                .iter()
                .find(|p| matches!(**p, "flex" | "libtorch" | "libtorch:cpu" | "tch"))
        {
            return Err(bad(format!(
                "`{cpu}` cannot be mixed with GPUs: a run trains on one kind of device (several \
                 CPU ranks: `libtorch` with `botui train --nproc N`)"
            )));
        }
        let Some(first) = parts[0].strip_prefix("cuda:") else {
            return Err(DeviceError::Unknown {
                name: s.to_string(),
                available: known_names(),
            });
        };
        let mut bits = 0u64;
        for (k, part) in parts.iter().enumerate() {
            let index = if k == 0 {
                first
            } else {
                part.strip_prefix("cuda:").unwrap_or(part)
            };
            if index == "all" {
                return Err(bad("`all` cannot be mixed with a list of GPUs".into()));
            }
            if index.is_empty() {
                return Err(bad(format!(
                    "expected a GPU index {} (cuda:0, cuda:0,1 or cuda:all)",
                    if k == 0 {
                        "after `cuda:`".to_string()
                    } else {
                        format!("after `{}`", parts[..k].join(","))
                    }
                )));
            }
            let i: usize = index.parse().map_err(|_| {
                bad(format!(
                    "`{index}` is not a GPU index (expected cuda:0, cuda:0,1 or cuda:all)"
                ))
            })?;
            if parts.len() == 1 {
                return Ok(DeviceName::Cuda(i));
            }
            if i > MAX_GPU_INDEX {
                return Err(bad(format!(
                    "GPU {i}: a list names GPUs 0 to {MAX_GPU_INDEX}"
                )));
            }
            if bits >> i & 1 == 1 {
                return Err(bad(format!("GPU {i} is listed twice")));
            }
            bits |= 1 << i;
        }
        Ok(DeviceName::Gpus(GpuSet::Listed(bits)))
    }
}

impl Serialize for DeviceName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DeviceName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

fn known_names() -> Vec<String> {
    vec![
        "flex".into(),
        "libtorch".into(),
        "cuda:N".into(),
        "cuda:0,1,...".into(),
        "cuda:all".into(),
    ]
}

/// What [`usable_devices`] would name on a machine with `gpus` GPUs (for messages).
fn usable_device_names(gpus: usize) -> Vec<String> {
    let mut out: Vec<String> = (0..gpus).map(|i| format!("cuda:{i}")).collect();
    if gpus > 1 {
        out.push("cuda:all".into());
    }
    if DeviceName::LibTorch.is_built() {
        out.push("libtorch".into());
    }
    out.push("flex".into());
    out
}

/// Number of CUDA devices LibTorch can use (0 without the `tch` feature).
pub fn cuda_device_count() -> usize {
    #[cfg(feature = "tch")]
    {
        if tch::Cuda::is_available() {
            return tch::Cuda::device_count().max(0) as usize;
        }
    }
    0
}

/// The devices this build can use on this machine, in order of preference (`cuda:all` when
/// there are several GPUs).
pub fn usable_devices() -> Vec<DeviceName> {
    let count = cuda_device_count();
    let mut out: Vec<DeviceName> = (0..count).map(DeviceName::Cuda).collect();
    if count > 1 {
        out.push(DeviceName::Gpus(GpuSet::All));
    }
    if DeviceName::LibTorch.is_built() {
        out.push(DeviceName::LibTorch);
    }
    out.push(DeviceName::Flex);
    out
}

/// One row of `botui devices`.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceReport {
    pub name: String,
    pub built: bool,
    pub usable: bool,
    pub detail: String,
}

/// Everything `botui devices` prints: built backends and what answers on this machine.
pub fn device_report() -> Vec<DeviceReport> {
    let mut rows = vec![DeviceReport {
        name: "flex".into(),
        built: true,
        usable: true,
        detail: format!(
            "burn's pure-Rust CPU backend, {} threads",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        ),
    }];
    let built = cfg!(feature = "tch");
    rows.push(DeviceReport {
        name: "libtorch".into(),
        built,
        usable: built,
        detail: if built {
            libtorch_detail()
        } else {
            "not built: add `--features tch` (see README)".into()
        },
    });
    let cuda = cuda_device_count();
    if cuda == 0 {
        rows.push(DeviceReport {
            name: "cuda:N".into(),
            built,
            usable: false,
            detail: if built {
                "no CUDA device answers (no NVIDIA driver, or a CPU-only torch)".into()
            } else {
                "not built: add `--features tch` (see README)".into()
            },
        });
    }
    for i in 0..cuda {
        rows.push(DeviceReport {
            name: format!("cuda:{i}"),
            built,
            usable: true,
            detail: "LibTorch CUDA".into(),
        });
    }
    if cuda > 1 {
        rows.push(DeviceReport {
            name: "cuda:all".into(),
            built,
            usable: true,
            detail: format!(
                "all {cuda} GPUs, one data-parallel rank each (or list some: cuda:0,1)"
            ),
        });
    }
    rows
}

#[cfg(feature = "tch")]
fn libtorch_detail() -> String {
    format!(
        "LibTorch CPU, {} threads, cuDNN {}",
        tch::get_num_threads(),
        if tch::Cuda::cudnn_is_available() {
            "available"
        } else {
            "absent"
        }
    )
}

#[cfg(not(feature = "tch"))]
fn libtorch_detail() -> String {
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_names() {
        assert_eq!("flex".parse::<DeviceName>().unwrap(), DeviceName::Flex);
        assert_eq!(
            "LibTorch".parse::<DeviceName>().unwrap(),
            DeviceName::LibTorch
        );
        assert_eq!("cuda".parse::<DeviceName>().unwrap(), DeviceName::Cuda(0));
        assert_eq!("cuda:3".parse::<DeviceName>().unwrap(), DeviceName::Cuda(3));
        for name in ["flex", "libtorch", "cuda:1"] {
            assert_eq!(name.parse::<DeviceName>().unwrap().to_string(), name);
        }
    }

    #[test]
    fn unknown_name_lists_the_known_ones() {
        let err = "tpu".parse::<DeviceName>().unwrap_err().to_string();
        assert!(err.contains("'tpu'"), "{err}");
        assert!(err.contains("flex") && err.contains("cuda:N"), "{err}");
        assert!("cuda:x".parse::<DeviceName>().is_err());
    }

    #[test]
    fn parses_several_gpus_into_a_set() {
        let set = |s: &str| match s.parse::<DeviceName>().unwrap() {
            DeviceName::Gpus(set) => set,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(set("cuda:all"), GpuSet::All);
        assert_eq!(set("cuda:0,1,2,3"), GpuSet::Listed(0b1111));
        // Order and spelling do not matter; ranks take the GPUs in ascending order.
        assert_eq!(set("CUDA:3, cuda:1"), GpuSet::Listed(0b1010));
        assert_eq!(set("cuda:3,1").nth(0), Some(1));
        assert_eq!(set("cuda:3,1").nth(1), Some(3));
        assert_eq!(set("cuda:3,1").nth(2), None);
        for name in ["cuda:all", "cuda:0,2,5"] {
            assert_eq!(name.parse::<DeviceName>().unwrap().to_string(), name);
        }
        assert_eq!(
            "cuda:3,1".parse::<DeviceName>().unwrap().to_string(),
            "cuda:1,3"
        );
    }

    #[test]
    fn bad_gpu_lists_name_the_bad_part() {
        for (name, expected) in [
            ("cuda:0,0", "device 'cuda:0,0': GPU 0 is listed twice"),
            ("cuda:", "expected a GPU index after `cuda:`"),
            ("cuda:0,", "expected a GPU index after `cuda:0`"),
            ("cuda:0,x", "`x` is not a GPU index"),
            ("cuda:0,flex", "`flex` cannot be mixed with GPUs"),
            ("flex,cuda:1", "`flex` cannot be mixed with GPUs"),
            ("cuda:all,1", "`all` cannot be mixed"),
            ("cuda:1,64", "GPU 64: a list names GPUs 0 to 63"),
        ] {
            let e = name.parse::<DeviceName>().unwrap_err().to_string();
            assert!(e.contains(expected), "{name}: {e}");
        }
    }

    #[test]
    fn a_gpu_set_is_checked_against_the_gpus_present() {
        let four = |s: &str, count| match s.parse::<DeviceName>().unwrap() {
            DeviceName::Gpus(set) => set.indices(count),
            other => panic!("{other:?}"),
        };
        assert_eq!(four("cuda:all", 4).unwrap(), vec![0, 1, 2, 3]);
        assert_eq!(four("cuda:2,0", 4).unwrap(), vec![0, 2]);
        let e = four("cuda:0,9", 4).unwrap_err().to_string();
        assert!(
            e.contains("'cuda:0,9'") && e.contains("GPU 9 is beyond the 4 GPU(s)"),
            "{e}"
        );
        assert!(e.contains("cuda:all"), "the usable names are listed: {e}");
        let e = four("cuda:all", 0).unwrap_err().to_string();
        assert!(
            e.contains("'cuda:all'") && e.contains("sees no CUDA device"),
            "{e}"
        );
        let e = four("cuda:0,1", 0).unwrap_err().to_string();
        assert!(e.contains("sees no CUDA device"), "{e}");
        // A single process cannot train on several GPUs itself.
        let e = DeviceName::Gpus(GpuSet::All)
            .resolve()
            .unwrap_err()
            .to_string();
        assert!(e.contains("one rank per GPU"), "{e}");
        assert_eq!(
            DeviceName::Gpus(GpuSet::Listed(0b100)).single(),
            DeviceName::Cuda(2)
        );
    }

    #[cfg(not(feature = "tch"))]
    #[test]
    fn tch_device_without_the_feature_says_how_to_build() {
        let err = DeviceName::LibTorch.resolve().unwrap_err().to_string();
        assert!(err.contains("--features tch"), "{err}");
        assert!(err.contains("Available here: flex"), "{err}");
    }

    #[test]
    fn flex_always_resolves() {
        assert!(DeviceName::Flex.resolve().is_ok());
        assert!(usable_devices().contains(&DeviceName::Flex));
    }

    #[test]
    fn missing_cuda_device_is_an_error() {
        let err = DeviceName::Cuda(99).resolve().unwrap_err().to_string();
        assert!(err.contains("cuda:99"), "{err}");
    }
}
