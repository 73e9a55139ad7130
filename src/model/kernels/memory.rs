//! Where a training batch lives and how it is laid out, on LibTorch: the channels_last memory
//! format and the copy of a host batch to a CUDA device (through pinned memory, asynchronously,
//! on a side stream that overlaps the previous step's kernels). Elsewhere (flex, or a build
//! without the `tch` feature) a batch is a plain `Tensor::from_data` and the layout is NCHW.

// burn marks LibTorch deprecated; botui builds on it on purpose.
#![allow(deprecated)]

use burn::tensor::{Device, Tensor, TensorData};

use crate::device::DeviceName;

/// How a host batch goes to its device. The defaults are all off: a plain synchronous copy into
/// an NCHW tensor, what `Tensor::from_data` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Transfer {
    /// CUDA: copy through page-locked host memory (PyTorch's `pin_memory=True`).
    pub pin_memory: bool,
    /// CUDA, with `pin_memory`: the copy runs on a stream of its own, overlapped with the kernels
    /// of the previous step still queued (PyTorch's `non_blocking=True`).
    pub non_blocking: bool,
    /// LibTorch: the images in the channels_last memory format (NHWC strides), which every
    /// convolution after them then uses (PyTorch's `memory_format=torch.channels_last`).
    pub channels_last: bool,
}

/// Images `[n, 3, h, w]` (row-major, as the loader makes them) as a tensor on `device`, which is
/// `name` resolved. The result is not an autodiff tensor; call `.autodiff()` for a training step.
pub fn images_to_device(
    images: &[f32],
    shape: [usize; 4],
    name: DeviceName,
    device: &Device,
    transfer: Transfer,
) -> Result<Tensor<4>, String> {
    #[cfg(feature = "tch")]
    if let DeviceName::Cuda(index) = name
        && transfer.pin_memory
    {
        let dims = shape.map(|d| d as i64);
        // SAFETY: the blob borrows `images`, which outlives it: `upload` returns a device copy
        // (through a pinned copy of its own, made before it returns), and the blob is dropped
        // here. No host copy besides the pinned one.
        let host = unsafe {
            tch::Tensor::from_blob(
                images.as_ptr().cast::<u8>(),
                &dims,
                &[],
                tch::Kind::Float,
                tch::Device::Cpu,
            )
        };
        let uploaded = super::libtorch::upload(&host, index, true, transfer.non_blocking);
        drop(host);
        let x = Tensor::<4>::from_primitive::<burn::backend::LibTorch>(
            burn::backend::libtorch::TchTensor::new(uploaded?),
        );
        return Ok(if transfer.channels_last {
            channels_last(x)
        } else {
            x
        });
    }
    let _ = name;
    let x = Tensor::from_data(TensorData::new(images.to_vec(), shape), device);
    Ok(if transfer.channels_last {
        channels_last(x)
    } else {
        x
    })
}

/// `x` in the channels_last memory format on LibTorch (same shape and values); unchanged on
/// other backends and when `x` is part of an autodiff graph (this is for inputs, not
/// activations).
pub fn channels_last(x: Tensor<4>) -> Tensor<4> {
    #[cfg(feature = "tch")]
    {
        if x.is_tracked() {
            return x;
        }
        let autodiff = x.is_autodiff();
        if let Ok(t) = x
            .clone()
            .inner()
            .try_into_primitive::<burn::backend::LibTorch>()
        {
            let converted = super::libtorch::memory_format(&t.tensor, true)
                .unwrap_or_else(|e| panic!("LibTorch channels_last: {e}"));
            let out = Tensor::<4>::from_primitive::<burn::backend::LibTorch>(
                burn::backend::libtorch::TchTensor::new(converted),
            );
            return if autodiff { out.autodiff() } else { out };
        }
    }
    x
}

/// Whether `x` is a LibTorch tensor laid out channels_last.
pub fn is_channels_last(x: &Tensor<4>) -> bool {
    #[cfg(feature = "tch")]
    if let Ok(t) = x
        .clone()
        .inner()
        .try_into_primitive::<burn::backend::LibTorch>()
    {
        return super::libtorch::is_channels_last(&t.tensor);
    }
    let _ = x;
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flex_batches_are_plain_copies() {
        let device = Device::flex();
        let images: Vec<f32> = (0..2 * 3 * 4 * 4).map(|i| i as f32).collect();
        let transfer = Transfer {
            pin_memory: true,
            non_blocking: true,
            channels_last: true,
        };
        let x =
            images_to_device(&images, [2, 3, 4, 4], DeviceName::Flex, &device, transfer).unwrap();
        assert!(!is_channels_last(&x));
        assert_eq!(x.into_data().try_into_vec::<f32>().unwrap(), images);
    }

    #[cfg(feature = "tch")]
    #[test]
    fn libtorch_channels_last_keeps_the_values() {
        let device = Device::libtorch();
        device.seed(1);
        let x = Tensor::<4>::random(
            [2, 3, 5, 4],
            burn::tensor::Distribution::Normal(0.0, 1.0),
            &device,
        );
        assert!(!is_channels_last(&x));
        let y = channels_last(x.clone());
        assert!(is_channels_last(&y));
        assert_eq!(y.dims(), [2, 3, 5, 4]);
        assert_eq!(
            y.clone().into_data().try_into_vec::<f32>().unwrap(),
            x.into_data().try_into_vec::<f32>().unwrap()
        );
        // The layout survives an autodiff round trip and a ReLU (what a conv -> BN -> ReLU
        // stack hands on).
        let z = burn::tensor::activation::relu(channels_last(y.autodiff()));
        assert!(is_channels_last(&z));
    }

    #[cfg(feature = "tch")]
    #[test]
    fn libtorch_batches_arrive_in_the_asked_layout() {
        let device = Device::libtorch();
        let images: Vec<f32> = (0..2 * 3 * 4 * 4).map(|i| i as f32).collect();
        for channels_last in [false, true] {
            let transfer = Transfer {
                channels_last,
                ..Transfer::default()
            };
            let x = images_to_device(
                &images,
                [2, 3, 4, 4],
                DeviceName::LibTorch,
                &device,
                transfer,
            )
            .unwrap();
            assert_eq!(is_channels_last(&x), channels_last);
            assert_eq!(x.into_data().try_into_vec::<f32>().unwrap(), images);
        }
    }
}
