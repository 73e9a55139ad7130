//! Devices chosen at run time by name: `flex` (burn's pure-Rust CPU backend, always built),
//! and with the cargo feature `tch`: `libtorch` (LibTorch on the CPU) and `cuda:N` (LibTorch
//! on CUDA device N).

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
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
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
            DeviceName::LibTorch | DeviceName::Cuda(_) => cfg!(feature = "tch"),
        }
    }

    /// The burn device, checking that the backend is built and the hardware answers.
    pub fn resolve(self) -> Result<Device, DeviceError> {
        let available = || usable_devices().iter().map(|d| d.to_string()).collect();
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

    #[allow(deprecated)] // burn marks burn-tch deprecated; it is the stack this project chose.
    fn device(self) -> Device {
        match self {
            DeviceName::Flex => Device::flex(),
            #[cfg(feature = "tch")]
            DeviceName::LibTorch => Device::libtorch(),
            #[cfg(feature = "tch")]
            DeviceName::Cuda(i) => Device::libtorch_cuda(i),
            #[cfg(not(feature = "tch"))]
            _ => unreachable!("checked by is_built"),
        }
    }

    /// Whether the device runs on the CPU (used for hardware stats and precision checks).
    pub fn is_cpu(self) -> bool {
        !matches!(self, DeviceName::Cuda(_))
    }
}

impl fmt::Display for DeviceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceName::Flex => write!(f, "flex"),
            DeviceName::LibTorch => write!(f, "libtorch"),
            DeviceName::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

impl FromStr for DeviceName {
    type Err = DeviceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim().to_ascii_lowercase();
        let parsed = match name.as_str() {
            "flex" => Some(DeviceName::Flex),
            "libtorch" | "libtorch:cpu" | "tch" => Some(DeviceName::LibTorch),
            "cuda" => Some(DeviceName::Cuda(0)),
            _ => name
                .strip_prefix("cuda:")
                .and_then(|i| i.parse().ok())
                .map(DeviceName::Cuda),
        };
        parsed.ok_or_else(|| DeviceError::Unknown {
            name: s.to_string(),
            available: known_names(),
        })
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
    vec!["flex".into(), "libtorch".into(), "cuda:N".into()]
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

/// The devices this build can use on this machine, in order of preference.
pub fn usable_devices() -> Vec<DeviceName> {
    let mut out: Vec<DeviceName> = (0..cuda_device_count()).map(DeviceName::Cuda).collect();
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
