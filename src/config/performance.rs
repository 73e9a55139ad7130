//! `[run.performance]`: how fast a run goes, not what it learns. The switches a PyTorch user
//! reaches for on a GPU, each with a default, each shown in the run log. None of them changes
//! the result beyond floating-point rounding; all but `autocast` act on CUDA devices only
//! (`channels_last` on any LibTorch device when set to "on").

use serde::{Deserialize, Serialize};

use super::check::Checker;
use super::section::Section;
use crate::device::DeviceName;

/// A switch whose default depends on the device: "auto", "on" or "off" (or true / false).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AutoSwitch {
    Auto,
    On,
    Off,
}

impl<'de> Deserialize<'de> for AutoSwitch {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bool(bool),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Bool(true) => Ok(AutoSwitch::On),
            Raw::Bool(false) => Ok(AutoSwitch::Off),
            Raw::Text(t) => match t.as_str() {
                "auto" => Ok(AutoSwitch::Auto),
                "on" => Ok(AutoSwitch::On),
                "off" => Ok(AutoSwitch::Off),
                other => Err(serde::de::Error::custom(format!(
                    "'{other}' is not a switch: expected \"auto\", \"on\", \"off\", true or false"
                ))),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PerformanceSection {
    /// Images and activations in the channels_last (NHWC) memory format, which cuDNN's FP16 and
    /// BF16 convolutions run fastest in (`memory_format=torch.channels_last`). "auto": on for
    /// CUDA, as PyTorch's own guidance for mixed precision on tensor cores advises (not yet
    /// measured with botui on a GPU), off for LibTorch's CPU.
    pub channels_last: AutoSwitch,
    /// cuDNN autotuning (`torch.backends.cudnn.benchmark`): the first step of each input shape
    /// times cuDNN's convolution algorithms and keeps the fastest.
    pub cudnn_benchmark: bool,
    /// Copy each batch to the GPU through page-locked host memory (`pin_memory=True`).
    pub pin_memory: bool,
    /// With `pin_memory`: copy asynchronously on a stream of its own, overlapped with the
    /// previous step's kernels (`.to(device, non_blocking=True)`).
    pub non_blocking: bool,
    /// Low precision (when `low_precision` is on) per operation, like `torch.autocast`:
    /// convolutions and the classifier in FP16/BF16, batch norm and the loss in FP32. Off: the
    /// whole model is cast each step, batch norm included, as the paper's MXNet code does.
    pub autocast: bool,
}

impl Default for PerformanceSection {
    fn default() -> Self {
        Self {
            channels_last: AutoSwitch::Auto,
            cudnn_benchmark: true,
            pin_memory: true,
            non_blocking: true,
            autocast: true,
        }
    }
}

/// Every value of a switch is valid.
impl Section for PerformanceSection {
    fn check(&self, _: &mut Checker) {}
}

impl PerformanceSection {
    /// Whether a run on `device` lays its batches out channels_last.
    pub fn channels_last_on(&self, device: DeviceName) -> bool {
        match (self.channels_last, device) {
            (AutoSwitch::Off, _) | (_, DeviceName::Flex) => false,
            (AutoSwitch::On, _) => true,
            (AutoSwitch::Auto, device) => !device.is_cpu(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_last_is_on_for_cuda_by_default_and_never_on_flex() {
        let p = PerformanceSection::default();
        assert!(p.channels_last_on(DeviceName::Cuda(0)));
        assert!(!p.channels_last_on(DeviceName::LibTorch));
        assert!(!p.channels_last_on(DeviceName::Flex));
        let on = PerformanceSection {
            channels_last: AutoSwitch::On,
            ..p.clone()
        };
        assert!(on.channels_last_on(DeviceName::LibTorch));
        assert!(!on.channels_last_on(DeviceName::Flex));
        let off = PerformanceSection {
            channels_last: AutoSwitch::Off,
            ..p
        };
        assert!(!off.channels_last_on(DeviceName::Cuda(0)));
    }

    #[test]
    fn keys_parse_and_unknown_ones_are_rejected() {
        let p: PerformanceSection =
            toml::from_str("channels_last = \"off\"\ncudnn_benchmark = false").unwrap();
        assert_eq!(p.channels_last, AutoSwitch::Off);
        assert!(!p.cudnn_benchmark && p.pin_memory && p.autocast);
        let p: PerformanceSection = toml::from_str("channels_last = true").unwrap();
        assert_eq!(p.channels_last, AutoSwitch::On);
        let err = toml::from_str::<PerformanceSection>("channels_last = \"nhwc\"").unwrap_err();
        assert!(err.to_string().contains("'nhwc' is not a switch"), "{err}");
        assert!(toml::from_str::<PerformanceSection>("pinned = true").is_err());
    }
}
