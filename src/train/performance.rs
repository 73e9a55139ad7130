//! A run's `[performance]` switches resolved for its device: what they turn on, the lines the
//! run log shows, and the way each batch reaches the device (pinned, asynchronous, channels_last).

use burn::tensor::{Device, FloatDType, Tensor};

use crate::config::PerformanceSection;
use crate::device::DeviceName;
use crate::model::kernels::cudnn;
use crate::model::kernels::memory::{Transfer, images_to_device};

use super::precision::Compute;
use super::source::HostBatch;

/// The switches in force for one run.
#[derive(Debug, Clone)]
pub struct Performance {
    pub device: DeviceName,
    pub transfer: Transfer,
    pub cudnn_benchmark: bool,
    pub compute: Compute,
    /// Worker threads of the loader.
    pub workers: usize,
}

impl Performance {
    /// `section` on `device`, training in `dtype` (`None`: FP32), with `workers` loader threads
    /// (0: one per core).
    pub fn new(
        section: &PerformanceSection,
        device: DeviceName,
        dtype: Option<FloatDType>,
        workers: usize,
    ) -> Self {
        let cuda = matches!(device, DeviceName::Cuda(_));
        Performance {
            device,
            transfer: Transfer {
                pin_memory: cuda && section.pin_memory,
                non_blocking: cuda && section.pin_memory && section.non_blocking,
                channels_last: section.channels_last_on(device),
            },
            cudnn_benchmark: cuda && section.cudnn_benchmark,
            compute: Compute::new(dtype, section.autocast),
            workers: if workers == 0 {
                std::thread::available_parallelism().map_or(1, |n| n.get())
            } else {
                workers
            },
        }
    }

    /// Sets the process-wide switches (cuDNN autotuning).
    pub fn apply(&self) {
        cudnn::set_benchmark(self.cudnn_benchmark);
    }

    /// One line for the run log, every switch with its value.
    pub fn describe(&self, section: &PerformanceSection) -> String {
        let cuda = matches!(self.device, DeviceName::Cuda(_));
        let on = |b: bool| if b { "on" } else { "off" };
        let cuda_only = |asked: bool, used: bool| {
            if cuda || !asked {
                on(used).to_string()
            } else {
                "off (CUDA only)".to_string()
            }
        };
        let channels_last = match (section.channels_last, self.transfer.channels_last) {
            (crate::config::AutoSwitch::Auto, true) => {
                "on (auto: CUDA; not yet measured with botui on a GPU)".to_string()
            }
            (crate::config::AutoSwitch::Auto, false) => format!("off (auto: {})", self.device),
            (_, used) => on(used).to_string(),
        };
        format!(
            "performance: channels_last {channels_last}, cudnn_benchmark {}, pin_memory {}, non_blocking {}, {} data workers, {}",
            cuda_only(section.cudnn_benchmark, self.cudnn_benchmark),
            cuda_only(section.pin_memory, self.transfer.pin_memory),
            cuda_only(
                section.pin_memory && section.non_blocking,
                self.transfer.non_blocking
            ),
            self.workers,
            match self.compute {
                Compute::Fp32 => "FP32".to_string(),
                Compute::Autocast(_) => "autocast on".to_string(),
                Compute::CastModel(_) => "autocast off (whole model cast)".to_string(),
            }
        )
    }

    /// The batch's images on `device` (an autodiff device for a training step). An
    /// asynchronous copy that fails falls back to plain copies for the rest of the run; the
    /// reason is returned once, for the log.
    pub fn images(&mut self, batch: &HostBatch, device: &Device) -> (Tensor<4>, Option<String>) {
        let shape = [batch.len(), 3, batch.side, batch.side];
        let base = device.clone().inner();
        let mut note = None;
        let x = match images_to_device(&batch.images, shape, self.device, &base, self.transfer) {
            Ok(x) => x,
            Err(why) => {
                let message = format!(
                    "pinned/asynchronous copy to {} failed ({why}); plain copies from now on",
                    self.device
                );
                self.transfer.pin_memory = false;
                self.transfer.non_blocking = false;
                note = Some(message);
                let plain = Transfer {
                    channels_last: self.transfer.channels_last,
                    ..Transfer::default()
                };
                images_to_device(&batch.images, shape, self.device, &base, plain)
                    .expect("a plain copy does not fail")
            }
        };
        let x = if device.is_autodiff() {
            x.autodiff()
        } else {
            x
        };
        (x, note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuda_only_switches_are_off_on_the_cpu_and_say_so() {
        let section = PerformanceSection::default();
        let p = Performance::new(&section, DeviceName::LibTorch, None, 3);
        assert_eq!(p.transfer, Transfer::default());
        assert!(!p.cudnn_benchmark);
        let line = p.describe(&section);
        assert!(
            line.contains("channels_last off (auto: libtorch)")
                && line.contains("cudnn_benchmark off (CUDA only)")
                && line.contains("pin_memory off (CUDA only)")
                && line.contains("3 data workers"),
            "{line}"
        );
        let cuda = Performance::new(&section, DeviceName::Cuda(0), Some(FloatDType::F16), 0);
        assert!(cuda.transfer.pin_memory && cuda.transfer.non_blocking);
        assert!(cuda.transfer.channels_last && cuda.cudnn_benchmark);
        assert_eq!(cuda.compute, Compute::Autocast(FloatDType::F16));
        assert!(cuda.workers >= 1, "0 means one per core");
        let line = cuda.describe(&section);
        assert!(
            line.contains("channels_last on (auto: CUDA; not yet measured")
                && line.contains("autocast on"),
            "{line}"
        );
    }

    #[test]
    fn a_flex_batch_arrives_unchanged() {
        let section = PerformanceSection::default();
        let mut p = Performance::new(&section, DeviceName::Flex, None, 1);
        let batch = HostBatch {
            images: (0..2 * 3 * 2 * 2).map(|i| i as f32).collect(),
            labels: vec![0, 1],
            side: 2,
        };
        let device = Device::flex().autodiff();
        let (x, note) = p.images(&batch, &device);
        assert!(note.is_none() && x.is_autodiff());
        assert_eq!(
            x.inner().into_data().try_into_vec::<f32>().unwrap(),
            batch.images
        );
    }
}
