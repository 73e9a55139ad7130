//! [`TrainKernels`] on flex, burn's pure-Rust CPU backend: the bodies in `flex/` on f32 NCHW
//! tensors, and burn's own operations (what the trait's default bodies call) for anything they
//! do not cover (another dtype, dilation, groups other than 1 or depthwise, asymmetric
//! padding), as the LibTorch side falls back to burn for a conv bias.
//!
//! A flex tensor is an `Arc` of bytes plus a layout; the kernels read it as one contiguous f32
//! slice (copying a strided view first) and hand back fresh contiguous tensors, or write into
//! the input's own buffer when nothing else holds it (ReLU, batch norm's backward).

mod batch_norm;
mod conv;
mod depthwise;
mod geometry;
mod matmul;
mod parallel;
#[cfg(test)]
mod reference;
mod relu;
mod simd;

use burn::backend::Flex;
use burn::backend::TensorMetadata;
use burn::backend::flex::FlexTensor;
use burn::backend::ops::{ActivationOps, ConvOptions, FloatTensorOps, ModuleOps};
use burn::tensor::{DType, TensorData};

use super::{TrainKernels, profile, variance_from_invstd};
use geometry::ConvGeometry;

/// Which flex kernel a convolution takes.
#[derive(Clone, Copy)]
enum Conv {
    /// groups 1: GEMMs (`conv.rs`).
    Dense(ConvGeometry),
    /// groups == channels in == channels out (`depthwise.rs`).
    Depthwise(ConvGeometry),
}

impl Conv {
    /// `None`: burn's operations.
    fn of(x: &FlexTensor, weight: &FlexTensor, options: &ConvOptions<2>) -> Option<Self> {
        if x.dtype() != DType::F32 || weight.dtype() != DType::F32 {
            return None;
        }
        let x_shape: [usize; 4] = x.shape().as_slice().try_into().ok()?;
        let w_shape: [usize; 4] = weight.shape().as_slice().try_into().ok()?;
        if options.dilation != [1, 1]
            || options.padding_begin() != options.padding_end()
            || x_shape.contains(&0)
            || w_shape.contains(&0)
        {
            return None;
        }
        let g = ConvGeometry::new(x_shape, w_shape, options.stride, options.padding_begin())?;
        let (c_in, c_out) = (x_shape[1], w_shape[0]);
        if options.groups == 1 && w_shape[1] == c_in {
            Some(Self::Dense(g))
        } else if options.groups == c_in && c_out == c_in && w_shape[1] == 1 {
            Some(Self::Depthwise(g))
        } else {
            None
        }
    }

    fn geometry(&self) -> ConvGeometry {
        let (Self::Dense(g) | Self::Depthwise(g)) = *self;
        g
    }

    /// The profile's row name, e.g. "conv forward 3x3/2 64->128 at 32x32, batch 128".
    fn label(&self, what: &str) -> String {
        let g = self.geometry();
        let conv = match self {
            Self::Dense(_) => "conv",
            Self::Depthwise(_) => "depthwise conv",
        };
        let ([kh, kw], [sh, sw], [h, w]) = (g.kernel, g.stride, g.input);
        let stride = if sh == sw {
            format!("{sh}")
        } else {
            format!("{sh}x{sw}")
        };
        format!(
            "{conv} {what} {kh}x{kw}/{stride} {}->{} at {h}x{w}, batch {}",
            g.channels_in, g.channels_out, g.batch
        )
    }

    /// Floating-point operations (two per multiply-add) of `passes` passes as costly as the
    /// forward one.
    fn flops(&self, passes: usize) -> f64 {
        let g = self.geometry();
        let per_output = match self {
            Self::Dense(_) => g.channels_in * g.kernel_area(),
            Self::Depthwise(_) => g.kernel_area(),
        };
        2.0 * (g.y_len() * per_output * passes) as f64
    }
}

/// The tensor's f32 values, in order.
fn values(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>()
        .expect("a contiguous f32 tensor (see `contiguous`)")
}

/// The same tensor, contiguous (a copy only for a strided view).
fn contiguous(t: FlexTensor) -> FlexTensor {
    if t.is_contiguous() {
        t
    } else {
        t.to_contiguous()
    }
}

/// A contiguous f32 tensor of `shape` over `data`.
fn tensor(data: Vec<f32>, shape: &[usize]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(data, shape.to_vec()))
}

/// Whether the kernels may overwrite the tensor's buffer: f32, nothing else holds it, and it is
/// exactly the tensor (contiguous, from its start, no spare bytes).
fn overwritable(t: &FlexTensor) -> bool {
    t.dtype() == DType::F32
        && t.is_unique()
        && t.is_contiguous()
        && t.layout().start_offset() == 0
        && t.bytes().len() == t.shape().num_elements() * size_of::<f32>()
}

/// The buffer of an [`overwritable`] tensor.
fn values_mut(t: &mut FlexTensor) -> &mut [f32] {
    t.try_storage_mut::<f32>()
        .expect("an overwritable tensor (see `overwritable`)")
}

fn f32_tensors(tensors: &[&FlexTensor]) -> bool {
    tensors.iter().all(|t| t.dtype() == DType::F32)
}

/// Batch norm's `[batch, channels, spatial]` view of a tensor of rank 2 or more.
fn bn_dims(x: &FlexTensor) -> Option<batch_norm::Dims> {
    let shape = x.shape();
    let dims = shape.as_slice();
    (dims.len() >= 2).then(|| batch_norm::Dims {
        batch: dims[0],
        channels: dims[1],
        spatial: dims[2..].iter().product(),
    })
}

impl TrainKernels for Flex {
    fn train_conv2d(x: FlexTensor, weight: FlexTensor, options: ConvOptions<2>) -> FlexTensor {
        let Some(kind) = Conv::of(&x, &weight, &options) else {
            return Flex::conv2d(x, weight, None, options);
        };
        let (x, weight) = (contiguous(x), contiguous(weight));
        let (x, w) = (values(&x), values(&weight));
        let g = kind.geometry();
        let mut y = vec![0f32; g.y_len()];
        profile::time(
            || kind.label("forward"),
            kind.flops(1),
            || match kind {
                Conv::Dense(g) => conv::forward(x, w, &g, &mut y),
                Conv::Depthwise(g) => depthwise::forward(x, w, &g, &mut y),
            },
        );
        let [oh, ow] = g.output;
        tensor(y, &[g.batch, g.channels_out, oh, ow])
    }

    fn train_conv2d_backward(
        x: FlexTensor,
        weight: FlexTensor,
        output_grad: FlexTensor,
        options: ConvOptions<2>,
    ) -> (FlexTensor, FlexTensor) {
        let kind = Conv::of(&x, &weight, &options).filter(|_| f32_tensors(&[&output_grad]));
        let Some(kind) = kind else {
            let x_grad = Flex::conv2d_x_backward(
                x.clone(),
                weight.clone(),
                output_grad.clone(),
                options.clone(),
            );
            let weight_grad = Flex::conv2d_weight_backward(x, weight, output_grad, options);
            return (x_grad, weight_grad);
        };
        let (x_grad, weight_grad) = conv_backward(kind, x, weight, output_grad, true);
        (x_grad.expect("asked for the input gradient"), weight_grad)
    }

    fn train_conv2d_weight_backward(
        x: FlexTensor,
        weight: FlexTensor,
        output_grad: FlexTensor,
        options: ConvOptions<2>,
    ) -> FlexTensor {
        let kind = Conv::of(&x, &weight, &options).filter(|_| f32_tensors(&[&output_grad]));
        match kind {
            Some(kind) => conv_backward(kind, x, weight, output_grad, false).1,
            None => Flex::conv2d_weight_backward(x, weight, output_grad, options),
        }
    }

    fn train_batch_norm(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        epsilon: f64,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        let dims = bn_dims(&x).filter(|_| f32_tensors(&[&x, &gamma, &beta]));
        let Some(dims) = dims else {
            let result = Flex::batch_norm_train(x, gamma, beta, epsilon);
            let invstd = Flex::float_recip(Flex::float_sqrt(Flex::float_add_scalar(
                result.variance,
                epsilon.into(),
            )));
            return (result.output, result.mean, invstd);
        };
        let shape = x.shape().to_vec();
        let (x, gamma, beta) = (contiguous(x), contiguous(gamma), contiguous(beta));
        let mut output = vec![0f32; x.shape().num_elements()];
        let stats = profile::time(
            || "batch norm forward".into(),
            0.0,
            || {
                batch_norm::forward(
                    values(&x),
                    values(&gamma),
                    values(&beta),
                    epsilon,
                    dims,
                    &mut output,
                )
            },
        );
        (
            tensor(output, &shape),
            tensor(stats.mean, &[dims.channels]),
            tensor(stats.invstd, &[dims.channels]),
        )
    }

    fn train_batch_norm_backward(
        x: FlexTensor,
        gamma: FlexTensor,
        mean: FlexTensor,
        invstd: FlexTensor,
        output_grad: FlexTensor,
        epsilon: f64,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        let dims = bn_dims(&x)
            .filter(|_| f32_tensors(&[&x, &gamma, &mean, &invstd, &output_grad]))
            .filter(|_| output_grad.shape() == x.shape());
        let Some(dims) = dims else {
            let variance = variance_from_invstd::<Flex>(invstd, epsilon);
            let grads =
                Flex::batch_norm_train_backward(x, gamma, mean, variance, epsilon, output_grad);
            return (grads.x_grad, grads.gamma_grad, grads.beta_grad);
        };
        let shape = x.shape().to_vec();
        let (x, gamma, mean, invstd) = (
            contiguous(x),
            contiguous(gamma),
            contiguous(mean),
            contiguous(invstd),
        );
        let mut output_grad = contiguous(output_grad);
        let run = |grad| {
            profile::time(
                || "batch norm backward".into(),
                0.0,
                || {
                    batch_norm::backward(
                        values(&x),
                        values(&gamma),
                        values(&mean),
                        values(&invstd),
                        dims,
                        grad,
                    )
                },
            )
        };
        let (x_grad, params) = if overwritable(&output_grad) {
            let params = run(batch_norm::Grad::InPlace(values_mut(&mut output_grad)));
            (output_grad, params)
        } else {
            let mut dx = vec![0f32; x.shape().num_elements()];
            let params = run(batch_norm::Grad::Into {
                dy: values(&output_grad),
                dx: &mut dx,
            });
            (tensor(dx, &shape), params)
        };
        (
            x_grad,
            tensor(params.gamma, &[dims.channels]),
            tensor(params.beta, &[dims.channels]),
        )
    }

    fn train_relu(x: FlexTensor) -> FlexTensor {
        if x.dtype() != DType::F32 {
            return Flex::relu(x);
        }
        profile::time(
            || "relu forward".into(),
            0.0,
            || {
                let mut x = contiguous(x);
                if overwritable(&x) {
                    relu::forward_in_place(values_mut(&mut x));
                    return x;
                }
                let mut y = vec![0f32; x.shape().num_elements()];
                relu::forward(values(&x), &mut y);
                tensor(y, &x.shape().to_vec())
            },
        )
    }

    fn train_relu_backward(output: FlexTensor, output_grad: FlexTensor) -> FlexTensor {
        if !f32_tensors(&[&output, &output_grad]) || output.shape() != output_grad.shape() {
            return Flex::relu_backward(output, output_grad);
        }
        profile::time(
            || "relu backward".into(),
            0.0,
            || {
                let output = contiguous(output);
                let mut grad = contiguous(output_grad);
                if overwritable(&grad) {
                    relu::backward_in_place(values(&output), values_mut(&mut grad));
                    return grad;
                }
                let mut x_grad = vec![0f32; grad.shape().num_elements()];
                relu::backward(values(&output), values(&grad), &mut x_grad);
                tensor(x_grad, &grad.shape().to_vec())
            },
        )
    }
}

/// `(input gradient if wanted, weight gradient)` of a convolution the flex kernels cover.
fn conv_backward(
    kind: Conv,
    x: FlexTensor,
    weight: FlexTensor,
    output_grad: FlexTensor,
    want_x: bool,
) -> (Option<FlexTensor>, FlexTensor) {
    let x_shape = x.shape().to_vec();
    let w_shape = weight.shape().to_vec();
    let (x, weight, dy) = (contiguous(x), contiguous(weight), contiguous(output_grad));
    let (xs, w, dy) = (values(&x), values(&weight), values(&dy));
    let g = kind.geometry();
    let mut dx = want_x.then(|| vec![0f32; g.x_len()]);
    let (what, gemms) = if want_x {
        ("backward (input, weight)", 2)
    } else {
        ("backward (weight)", 1)
    };
    let w_grad = profile::time(
        || kind.label(what),
        kind.flops(gemms),
        || match kind {
            Conv::Dense(g) => conv::backward(xs, w, dy, &g, dx.as_deref_mut()),
            Conv::Depthwise(g) => depthwise::backward(xs, w, dy, &g, dx.as_deref_mut()),
        },
    );
    (dx.map(|dx| tensor(dx, &x_shape)), tensor(w_grad, &w_shape))
}
