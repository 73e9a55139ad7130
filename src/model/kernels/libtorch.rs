// burn marks LibTorch deprecated; botui builds on it on purpose (the stack: LibTorch for GPU and CPU).
#![allow(deprecated)]

//! [`TrainKernels`] on LibTorch: each kernel is the ATen call PyTorch's autograd makes for the
//! same layer. The two that tch does not bind come from `libtorch.cpp` (built by build.rs), as do
//! the memory-format, host-to-device copy and cuDNN calls behind [`super::memory`].

use std::ffi::{CStr, c_char, c_int};
use std::ptr;

use burn::backend::LibTorch;
use burn::backend::libtorch::TchTensor;
use burn::backend::ops::{ActivationOps, ConvOptions, ModuleOps};
use torch_sys::C_tensor;

use super::TrainKernels;

unsafe extern "C" {
    fn botui_free_error(message: *mut c_char);

    fn botui_conv2d_backward(
        grad_output: *const C_tensor,
        input: *const C_tensor,
        weight: *const C_tensor,
        stride: *const i64,
        padding: *const i64,
        dilation: *const i64,
        groups: i64,
        want_input: c_int,
        grad_input: *mut *mut C_tensor,
        grad_weight: *mut *mut C_tensor,
    ) -> *mut c_char;

    fn botui_batch_norm_backward(
        grad_output: *const C_tensor,
        input: *const C_tensor,
        weight: *const C_tensor,
        save_mean: *const C_tensor,
        save_invstd: *const C_tensor,
        epsilon: f64,
        grad_input: *mut *mut C_tensor,
        grad_weight: *mut *mut C_tensor,
        grad_bias: *mut *mut C_tensor,
    ) -> *mut c_char;

    fn botui_memory_format(
        input: *const C_tensor,
        channels_last: c_int,
        out: *mut *mut C_tensor,
    ) -> *mut c_char;

    fn botui_is_channels_last(input: *const C_tensor) -> c_int;

    fn botui_upload(
        host: *const C_tensor,
        device_index: i64,
        pin: c_int,
        side_stream: c_int,
        out: *mut *mut C_tensor,
    ) -> *mut c_char;

    fn botui_cudnn_allow_tf32(allow: c_int) -> c_int;
}

/// LibTorch's message as an error, or `None` on success.
fn message(error: *mut c_char) -> Option<String> {
    if error.is_null() {
        return None;
    }
    // SAFETY: a non-null result is a NUL-terminated string malloc'd by libtorch.cpp.
    let message = unsafe { CStr::from_ptr(error) }
        .to_string_lossy()
        .into_owned();
    unsafe { botui_free_error(error) };
    Some(message)
}

/// Panics with LibTorch's message, as burn-tch does for its own calls: the trainer catches
/// panics and turns "out of memory" into its advice about the batch size.
fn check(error: *mut c_char, what: &str) {
    if let Some(message) = message(error) {
        panic!("LibTorch {what}: {message}");
    }
}

/// Takes ownership of a tensor that libtorch.cpp allocated.
fn owned(tensor: *mut C_tensor) -> TchTensor {
    assert!(!tensor.is_null(), "libtorch.cpp returned no tensor");
    // SAFETY: a fresh `new at::Tensor`, the same representation tch frees with `at_free`.
    TchTensor::new(unsafe { tch::Tensor::from_ptr(tensor) })
}

fn dims(values: [usize; 2]) -> [i64; 2] {
    values.map(|v| v as i64)
}

/// `(grad_input, grad_weight)`, the input's only when `want_input`.
fn conv2d_backward(
    x: &TchTensor,
    weight: &TchTensor,
    output_grad: &TchTensor,
    options: &ConvOptions<2>,
    want_input: bool,
) -> (Option<TchTensor>, TchTensor) {
    let stride = dims(options.stride);
    let padding = dims(options.symmetric_padding());
    let dilation = dims(options.dilation);
    let mut grad_input = ptr::null_mut();
    let mut grad_weight = ptr::null_mut();
    // SAFETY: the tensors outlive the call; the out-pointers are written only on success.
    let error = unsafe {
        botui_conv2d_backward(
            output_grad.tensor.as_ptr(),
            x.tensor.as_ptr(),
            weight.tensor.as_ptr(),
            stride.as_ptr(),
            padding.as_ptr(),
            dilation.as_ptr(),
            options.groups as i64,
            c_int::from(want_input),
            &mut grad_input,
            &mut grad_weight,
        )
    };
    check(error, "convolution backward");
    let grad_input = want_input.then(|| owned(grad_input));
    (grad_input, owned(grad_weight))
}

impl TrainKernels for LibTorch {
    fn train_conv2d(x: TchTensor, weight: TchTensor, options: ConvOptions<2>) -> TchTensor {
        <LibTorch as ModuleOps<LibTorch>>::conv2d(x, weight, None, options)
    }

    fn train_conv2d_backward(
        x: TchTensor,
        weight: TchTensor,
        output_grad: TchTensor,
        options: ConvOptions<2>,
    ) -> (TchTensor, TchTensor) {
        let (grad_input, grad_weight) = conv2d_backward(&x, &weight, &output_grad, &options, true);
        (
            grad_input.expect("asked for the input gradient"),
            grad_weight,
        )
    }

    fn train_conv2d_weight_backward(
        x: TchTensor,
        weight: TchTensor,
        output_grad: TchTensor,
        options: ConvOptions<2>,
    ) -> TchTensor {
        conv2d_backward(&x, &weight, &output_grad, &options, false).1
    }

    fn train_batch_norm(
        x: TchTensor,
        gamma: TchTensor,
        beta: TchTensor,
        epsilon: f64,
    ) -> (TchTensor, TchTensor, TchTensor) {
        let (output, mean, invstd) = x.tensor.native_batch_norm(
            Some(&gamma.tensor),
            Some(&beta.tensor),
            None,
            None,
            true,
            0.0,
            epsilon,
        );
        (
            TchTensor::new(output),
            TchTensor::new(mean),
            TchTensor::new(invstd),
        )
    }

    fn train_batch_norm_backward(
        x: TchTensor,
        gamma: TchTensor,
        mean: TchTensor,
        invstd: TchTensor,
        output_grad: TchTensor,
        epsilon: f64,
    ) -> (TchTensor, TchTensor, TchTensor) {
        let mut grad_input = ptr::null_mut();
        let mut grad_weight = ptr::null_mut();
        let mut grad_bias = ptr::null_mut();
        // SAFETY: as in `conv2d_backward`.
        let error = unsafe {
            botui_batch_norm_backward(
                output_grad.tensor.as_ptr(),
                x.tensor.as_ptr(),
                gamma.tensor.as_ptr(),
                mean.tensor.as_ptr(),
                invstd.tensor.as_ptr(),
                epsilon,
                &mut grad_input,
                &mut grad_weight,
                &mut grad_bias,
            )
        };
        check(error, "batch norm backward");
        (owned(grad_input), owned(grad_weight), owned(grad_bias))
    }

    fn train_relu(x: TchTensor) -> TchTensor {
        <LibTorch as ActivationOps<LibTorch>>::relu(x)
    }

    fn train_relu_backward(output: TchTensor, output_grad: TchTensor) -> TchTensor {
        TchTensor::new(output.tensor.threshold_backward(&output_grad.tensor, 0.0))
    }
}

/// `input` laid out channels_last (NHWC strides) or contiguous (NCHW); same shape and values.
pub(super) fn memory_format(
    input: &tch::Tensor,
    channels_last: bool,
) -> Result<tch::Tensor, String> {
    let mut out = ptr::null_mut();
    // SAFETY: as in `conv2d_backward`.
    let error =
        unsafe { botui_memory_format(input.as_ptr(), c_int::from(channels_last), &mut out) };
    match message(error) {
        Some(m) => Err(m),
        // SAFETY: a fresh `new at::Tensor`, as in `owned`.
        None => Ok(unsafe { tch::Tensor::from_ptr(out) }),
    }
}

/// Whether a 4-D tensor has channels_last strides (and not also plain contiguous ones).
pub(super) fn is_channels_last(input: &tch::Tensor) -> bool {
    // SAFETY: reads the tensor's strides only.
    unsafe { botui_is_channels_last(input.as_ptr()) != 0 }
}

/// A CPU tensor copied to CUDA device `index`: through pinned memory when `pin`, on a side
/// stream overlapped with the queued compute when `side_stream` too (see libtorch.cpp).
pub(super) fn upload(
    host: &tch::Tensor,
    index: usize,
    pin: bool,
    side_stream: bool,
) -> Result<tch::Tensor, String> {
    let mut out = ptr::null_mut();
    // SAFETY: as in `conv2d_backward`.
    let error = unsafe {
        botui_upload(
            host.as_ptr(),
            index as i64,
            c_int::from(pin),
            c_int::from(side_stream),
            &mut out,
        )
    };
    match message(error) {
        Some(m) => Err(m),
        // SAFETY: a fresh `new at::Tensor`, as in `owned`.
        None => Ok(unsafe { tch::Tensor::from_ptr(out) }),
    }
}

/// Sets cuDNN's TF32 switch for FP32 convolutions; returns the previous setting.
pub(super) fn cudnn_allow_tf32(allow: bool) -> bool {
    // SAFETY: a setter on LibTorch's global context.
    unsafe { botui_cudnn_allow_tf32(c_int::from(allow)) != 0 }
}
