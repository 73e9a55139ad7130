//! Training kernels for the three layers that make up almost all of a CNN's step outside the
//! convolutions' forward pass: convolution backward, batch norm, ReLU.
//!
//! burn composes them out of generic tensor operations: the weight gradient of a convolution is a
//! forward convolution over transposed copies of the input and the output gradient, batch norm
//! is a dozen element-wise and reduction kernels in each direction, ReLU's backward a
//! `masked_fill`. On LibTorch that cost 20 % of a ResNet training step against PyTorch eager
//! (benches/README.md). This module adds them as one burn backend extension
//! ([`TrainKernels`]) with its own autodiff nodes: on LibTorch each is the single ATen call that
//! PyTorch's autograd makes (`convolution_backward`, `native_batch_norm` and its backward,
//! `threshold_backward`); on flex they are botui's own (`kernels/flex/`: convolution as GEMMs
//! over unfolded tiles, depthwise loops, one-pass batch norm and ReLU, timed per call by
//! [`profile`] when asked).
//!
//! The zoo calls [`conv2d`], [`batch_norm`] and [`relu`] instead of the modules' `forward`. They
//! take the kernels only on an autodiff device (a training step); inference, and anything the
//! kernels do not cover (a conv bias, asymmetric padding), goes through burn's modules unchanged.
//! Parameters, records and checkpoints are burn's `Conv2d` and `BatchNorm` as before.

// The extension's generated dispatch names `LibTorch`, which burn marks deprecated; burn-tch is
// the stack this project chose.
#![allow(deprecated)]

pub mod cudnn;
#[cfg(feature = "flex")]
mod flex;
#[cfg(feature = "tch")]
mod libtorch;
pub mod memory;
pub mod profile;

use super::autocast;
use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::ops::ConvOptions;
use burn::backend::tensor::FloatTensor;
use burn::backend::{AutodiffBackend, Backend, Dispatch, backend_extension};
use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, Linear, PaddingConfig2d};
use burn::tensor::{FloatDType, Tensor};
use std::sync::atomic::{AtomicBool, Ordering};

static BURN_COMPOSITES: AtomicBool = AtomicBool::new(false);

/// Process-wide: train through burn's own composite operations instead of the kernels, so that
/// `botui bench train --kernels burn` can measure what the kernels buy in the same session.
pub fn use_burn_composites(on: bool) {
    BURN_COMPOSITES.store(on, Ordering::Relaxed);
}

/// Whether [`use_burn_composites`] is on.
pub fn burn_composites() -> bool {
    BURN_COMPOSITES.load(Ordering::Relaxed)
}

/// Whether a tensor on `device` takes the kernels: a training step, not switched off.
fn kernels_for(device: &burn::tensor::Device) -> bool {
    device.is_autodiff() && !burn_composites()
}

/// The kernels as one backend extension. Methods are prefixed `train_` so that they never
/// shadow burn's `ModuleOps`/`ActivationOps` methods of the same backend.
///
/// The default bodies are burn's generic operations; a backend overrides what it can do fused.
#[backend_extension(Flex: cfg(feature = "flex"), LibTorch: cfg(feature = "tch"), Autodiff)]
pub trait TrainKernels: Backend {
    /// 2-D convolution without bias (symmetric padding).
    fn train_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        Self::conv2d(x, weight, None, options)
    }

    /// Gradients of [`train_conv2d`](TrainKernels::train_conv2d) for its input and weight.
    fn train_conv2d_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        let x_grad = Self::conv2d_x_backward(
            x.clone(),
            weight.clone(),
            output_grad.clone(),
            options.clone(),
        );
        let weight_grad = Self::conv2d_weight_backward(x, weight, output_grad, options);
        (x_grad, weight_grad)
    }

    /// The weight gradient alone, for a convolution whose input needs none (the stem).
    fn train_conv2d_weight_backward(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        Self::conv2d_weight_backward(x, weight, output_grad, options)
    }

    /// Batch norm over the batch's own statistics: `(output, mean, invstd)` with `mean` and
    /// `invstd = 1 / sqrt(biased variance + epsilon)` per channel.
    fn train_batch_norm(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let result = Self::batch_norm_train(x, gamma, beta, epsilon);
        let invstd = Self::float_recip(Self::float_sqrt(Self::float_add_scalar(
            result.variance,
            epsilon.into(),
        )));
        (result.output, result.mean, invstd)
    }

    /// Gradients of [`train_batch_norm`](TrainKernels::train_batch_norm) for `(x, gamma, beta)`.
    fn train_batch_norm_backward(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        mean: FloatTensor<Self>,
        invstd: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        epsilon: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let variance = variance_from_invstd::<Self>(invstd, epsilon);
        let grads = Self::batch_norm_train_backward(x, gamma, mean, variance, epsilon, output_grad);
        (grads.x_grad, grads.gamma_grad, grads.beta_grad)
    }

    /// max(x, 0).
    fn train_relu(x: FloatTensor<Self>) -> FloatTensor<Self> {
        Self::relu(x)
    }

    /// The gradient of ReLU given its output: `output_grad` where `output > 0`, else 0.
    fn train_relu_backward(
        output: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        Self::relu_backward(output, output_grad)
    }
}

/// `1 / invstd^2 - epsilon`: the biased batch variance back from the saved inverse deviation.
fn variance_from_invstd<B: Backend>(invstd: FloatTensor<B>, epsilon: f64) -> FloatTensor<B> {
    let inv_var = B::float_mul(invstd.clone(), invstd);
    B::float_sub_scalar(B::float_recip(inv_var), epsilon.into())
}

/// Autodiff: each kernel is one node whose backward is the backend's fused backward kernel.
impl<B: TrainKernels, C: CheckpointStrategy> TrainKernels for Autodiff<B, C> {
    fn train_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct Conv2dBackward;

        impl<B: TrainKernels> Backward<B, 2> for Conv2dBackward {
            type State = (FloatTensor<B>, FloatTensor<B>, ConvOptions<2>);

            fn backward(
                self,
                ops: Ops<Self::State, 2>,
                grads: &mut Gradients,
                _checkpointer: &mut Checkpointer,
            ) {
                let [node_x, node_weight] = ops.parents;
                let grad = grads.consume::<B>(&ops.node);
                let (x, weight, options) = ops.state;
                match (node_x, node_weight) {
                    (Some(node_x), node_weight) => {
                        let (x_grad, weight_grad) =
                            B::train_conv2d_backward(x, weight, grad, options);
                        grads.register::<B>(node_x.id, x_grad);
                        if let Some(node) = node_weight {
                            grads.register::<B>(node.id, weight_grad);
                        }
                    }
                    (None, Some(node_weight)) => {
                        let weight_grad = B::train_conv2d_weight_backward(x, weight, grad, options);
                        grads.register::<B>(node_weight.id, weight_grad);
                    }
                    (None, None) => {}
                }
            }
        }

        let prep = Conv2dBackward
            .prepare::<C>([x.node(), weight.node()])
            .compute_bound()
            .stateful();
        let (x, weight) = (x.into_primitive(), weight.into_primitive());
        match prep {
            OpsKind::Tracked(prep) => {
                let output = B::train_conv2d(x.clone(), weight.clone(), options.clone());
                prep.finish((x, weight, options), output)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::train_conv2d(x, weight, options)),
        }
    }

    fn train_batch_norm(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        #[derive(Debug)]
        struct BatchNormBackward;

        impl<B: TrainKernels> Backward<B, 3> for BatchNormBackward {
            type State = (
                FloatTensor<B>,
                FloatTensor<B>,
                FloatTensor<B>,
                FloatTensor<B>,
                f64,
            );

            fn backward(
                self,
                ops: Ops<Self::State, 3>,
                grads: &mut Gradients,
                _checkpointer: &mut Checkpointer,
            ) {
                let [node_x, node_gamma, node_beta] = ops.parents;
                let grad = grads.consume::<B>(&ops.node);
                let (x, gamma, mean, invstd, epsilon) = ops.state;
                let (x_grad, gamma_grad, beta_grad) =
                    B::train_batch_norm_backward(x, gamma, mean, invstd, grad, epsilon);
                if let Some(node) = node_x {
                    grads.register::<B>(node.id, x_grad);
                }
                if let Some(node) = node_gamma {
                    grads.register::<B>(node.id, gamma_grad);
                }
                if let Some(node) = node_beta {
                    grads.register::<B>(node.id, beta_grad);
                }
            }
        }

        let prep = BatchNormBackward
            .prepare::<C>([x.node(), gamma.node(), beta.node()])
            .compute_bound()
            .stateful();
        let (x, gamma, beta) = (
            x.into_primitive(),
            gamma.into_primitive(),
            beta.into_primitive(),
        );
        match prep {
            OpsKind::Tracked(prep) => {
                let (output, mean, invstd) =
                    B::train_batch_norm(x.clone(), gamma.clone(), beta, epsilon);
                let state = (x, gamma, mean.clone(), invstd.clone(), epsilon);
                (
                    prep.finish(state, output),
                    Self::from_inner(mean),
                    Self::from_inner(invstd),
                )
            }
            OpsKind::UnTracked(prep) => {
                let (output, mean, invstd) = B::train_batch_norm(x, gamma, beta, epsilon);
                (
                    prep.finish(output),
                    Self::from_inner(mean),
                    Self::from_inner(invstd),
                )
            }
        }
    }

    fn train_relu(x: FloatTensor<Self>) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct ReluBackward;

        impl<B: TrainKernels> Backward<B, 1> for ReluBackward {
            type State = FloatTensor<B>;

            fn backward(
                self,
                ops: Ops<Self::State, 1>,
                grads: &mut Gradients,
                _checkpointer: &mut Checkpointer,
            ) {
                let [node_x] = ops.parents;
                let grad = grads.consume::<B>(&ops.node);
                if let Some(node) = node_x {
                    grads.register::<B>(node.id, B::train_relu_backward(ops.state, grad));
                }
            }
        }

        let prep = ReluBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful();
        let x = x.into_primitive();
        match prep {
            OpsKind::Tracked(prep) => {
                let output = B::train_relu(x);
                prep.finish(output.clone(), output)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::train_relu(x)),
        }
    }
}

/// `conv.forward(x)`, through [`TrainKernels`] on an autodiff device. Inside an
/// [`autocast`](crate::model::autocast) scope the input and the weight are cast to its dtype first.
pub fn conv2d(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let low = autocast::dtype();
    let x = match low {
        Some(dtype) => x.cast(dtype),
        None => x,
    };
    let padding = match conv.padding {
        PaddingConfig2d::Explicit(top, left, bottom, right) if top == bottom && left == right => {
            Some([top, left])
        }
        PaddingConfig2d::Valid => Some([0, 0]),
        _ => None,
    };
    let Some(padding) = padding.filter(|_| conv.bias.is_none() && kernels_for(&x.device())) else {
        return match low {
            Some(dtype) => cast_conv(conv, dtype).forward(x),
            None => conv.forward(x),
        };
    };
    let weight = conv.weight.val();
    let weight = match low {
        Some(dtype) => weight.cast(dtype),
        None => weight,
    };
    let options = ConvOptions::new(conv.stride, padding, conv.dilation, conv.groups);
    Tensor::from_dispatch(<Dispatch as TrainKernels>::train_conv2d(
        x.into_dispatch(),
        weight.into_dispatch(),
        options,
    ))
}

/// `conv` with its weight and bias cast to `dtype` (casts in the autodiff graph, same ids).
fn cast_conv(conv: &Conv2d, dtype: FloatDType) -> Conv2d {
    Conv2d {
        weight: Param::initialized(conv.weight.id, conv.weight.val().cast(dtype)),
        bias: conv
            .bias
            .as_ref()
            .map(|b| Param::initialized(b.id, b.val().cast(dtype))),
        ..conv.clone()
    }
}

/// `fc.forward(x)`; inside an [`autocast`](crate::model::autocast) scope the matrix product
/// runs in its dtype (input, weight and bias cast first).
pub fn linear(fc: &Linear, x: Tensor<2>) -> Tensor<2> {
    let Some(dtype) = autocast::dtype() else {
        return fc.forward(x);
    };
    burn::tensor::module::linear(
        x.cast(dtype),
        fc.weight.val().cast(dtype),
        fc.bias.as_ref().map(|b| b.val().cast(dtype)),
    )
}

/// `bn.forward(x)`, through [`TrainKernels`] when `bn` trains (an autodiff device and the
/// layer's training flag on, burn's own condition). Running statistics are updated as burn's
/// `BatchNorm` does: `running = (1 - momentum) * running + momentum * batch`, biased variance.
///
/// Inside an [`autocast`](crate::model::autocast) scope the input may be FP16 or BF16 while
/// gamma, beta and the statistics stay FP32: the kernel (ATen's mixed-type batch norm) takes them
/// as they are; burn's own module, which cannot mix dtypes, gets the input up-cast to FP32 and
/// its output is cast back.
pub fn batch_norm<const D: usize>(bn: &BatchNorm, x: Tensor<D>) -> Tensor<D> {
    if !(kernels_for(&x.device()) && bn.training.is_enabled()) {
        let (dtype, params) = (x.dtype(), bn.gamma.val().dtype());
        if dtype == params {
            return bn.forward(x);
        }
        return bn.forward(x.cast(params)).cast(dtype);
    }
    let device = x.device();
    let (output, mean, invstd) = <Dispatch as TrainKernels>::train_batch_norm(
        x.into_dispatch(),
        bn.gamma.val().into_dispatch(),
        bn.beta.val().into_dispatch(),
        bn.epsilon,
    );
    let mean = Tensor::<1>::from_dispatch(mean).detach();
    let variance =
        Tensor::<1>::from_dispatch(variance_from_invstd::<Dispatch>(invstd, bn.epsilon)).detach();

    let momentum = bn.momentum;
    let running_mean = bn.running_mean.value_sync().to_device(&device);
    let running_var = bn.running_var.value_sync().to_device(&device);
    // The statistics come back in the kernel's accumulation dtype; the running ones keep theirs.
    let stats = running_mean.dtype();
    let running_mean = running_mean
        .mul_scalar(1.0 - momentum)
        .add(mean.cast(stats).mul_scalar(momentum));
    let running_var = running_var
        .mul_scalar(1.0 - momentum)
        .add(variance.cast(stats).mul_scalar(momentum));
    bn.running_mean.update(running_mean.detach());
    bn.running_var.update(running_var.detach());

    Tensor::from_dispatch(output)
}

/// `max(x, 0)`, through [`TrainKernels`] on an autodiff device.
pub fn relu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    if !kernels_for(&x.device()) {
        return burn::tensor::activation::relu(x);
    }
    Tensor::from_dispatch(<Dispatch as TrainKernels>::train_relu(x.into_dispatch()))
}

/// conv -> BN, the pair every block of the zoo is built from.
pub fn conv_bn(conv: &Conv2d, bn: &BatchNorm, x: Tensor<4>) -> Tensor<4> {
    batch_norm(bn, conv2d(conv, x))
}
