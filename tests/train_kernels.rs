//! The training kernels (botui::model::kernels) against burn's own modules on the same backend:
//! conv -> BN -> ReLU forward, every gradient (input, conv weight, gamma, beta) and the running
//! statistics after one step must agree. On LibTorch the kernels are different ATen calls
//! (convolution_backward, native_batch_norm and its backward, threshold_backward) from burn's
//! composites, so agreement there checks the binding, the argument order and the statistics
//! bookkeeping; on flex it checks the autodiff nodes.

use botui::model::kernels;
use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Distribution, Tensor};

struct Case {
    channels: [usize; 2],
    /// [height, width]
    kernel: [usize; 2],
    stride: usize,
    /// [height, width], the same on both sides of each axis.
    padding: [usize; 2],
    groups: usize,
    /// Whether the input itself needs a gradient (false: the network's first layer).
    input_grad: bool,
}

const CASES: [Case; 5] = [
    // 3x3 stride 2, like a ResNet downsampling conv.
    Case {
        channels: [3, 8],
        kernel: [3, 3],
        stride: 2,
        padding: [1, 1],
        groups: 1,
        input_grad: true,
    },
    // 1x1 bottleneck projection.
    Case {
        channels: [8, 16],
        kernel: [1, 1],
        stride: 1,
        padding: [0, 0],
        groups: 1,
        input_grad: true,
    },
    // Depthwise, as in MobileNet.
    Case {
        channels: [8, 8],
        kernel: [3, 3],
        stride: 1,
        padding: [1, 1],
        groups: 8,
        input_grad: true,
    },
    // 1x7 with padding only along the width, as in Inception-V3: catches a swapped axis.
    Case {
        channels: [8, 8],
        kernel: [1, 7],
        stride: 1,
        padding: [0, 3],
        groups: 1,
        input_grad: true,
    },
    // The stem: no gradient for the image.
    Case {
        channels: [3, 8],
        kernel: [3, 3],
        stride: 1,
        padding: [1, 1],
        groups: 1,
        input_grad: false,
    },
];

fn layers(case: &Case, device: &Device) -> (Conv2d, BatchNorm, BatchNorm) {
    let [ph, pw] = case.padding;
    let conv = Conv2dConfig::new(case.channels, case.kernel)
        .with_stride([case.stride, case.stride])
        .with_padding(PaddingConfig2d::Explicit(ph, pw, ph, pw))
        .with_groups(case.groups)
        .with_bias(false)
        .init(device);
    let c = case.channels[1];
    // Non-trivial gamma/beta and running statistics, the same in both copies.
    let gamma = Tensor::<1>::random([c], Distribution::Uniform(0.5, 1.5), device);
    let beta = Tensor::<1>::random([c], Distribution::Normal(0.0, 0.5), device);
    let bn = || {
        let mut bn = BatchNormConfig::new(c).init(device);
        bn.gamma = Param::from_tensor(gamma.clone());
        bn.beta = Param::from_tensor(beta.clone());
        bn
    };
    (conv, bn(), bn())
}

fn max_abs_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
    (a - b).abs().max().into_scalar::<f32>()
}

fn scale<const D: usize>(a: &Tensor<D>) -> f32 {
    let m = a.clone().abs().max().into_scalar::<f32>();
    m.max(1e-3)
}

fn assert_close<const D: usize>(what: &str, kernels: Tensor<D>, burn: Tensor<D>) {
    let tol = 1e-4 * scale(&burn);
    let diff = max_abs_diff(kernels, burn);
    assert!(
        diff <= tol,
        "{what}: kernels and burn differ by {diff} (tolerance {tol})"
    );
}

fn check(device: Device) {
    device.seed(7);
    for (i, case) in CASES.iter().enumerate() {
        let (conv, bn_burn, bn_kernels) = layers(case, &device);
        // Off-centre, so that the batch means (and the running means after one step) are not ~0.
        let x = Tensor::<4>::random(
            [4, case.channels[0], 9, 9],
            Distribution::Normal(0.5, 1.0),
            &device,
        );
        let x = if case.input_grad { x.require_grad() } else { x };
        let weight = conv.weight.val().require_grad();
        let conv = Conv2d {
            weight: Param::from_tensor(weight),
            ..conv
        };

        let y_burn = relu(bn_burn.forward(conv.forward(x.clone())));
        let y_kernels = kernels::relu(kernels::conv_bn(&conv, &bn_kernels, x.clone()));
        // A loss whose gradient differs per element, so that every backward path is exercised.
        let probe = Tensor::<4>::random(y_burn.dims(), Distribution::Normal(0.0, 1.0), &device);
        let name = |what: &str| {
            format!(
                "case {i} ({:?}, groups {}): {what}",
                case.channels, case.groups
            )
        };
        assert_close(
            &name("output"),
            y_kernels.clone().inner(),
            y_burn.clone().inner(),
        );

        let g_burn = (y_burn * probe.clone()).sum().backward();
        let g_kernels = (y_kernels * probe).sum().backward();
        let weight = conv.weight.val();
        assert_close(
            &name("conv weight gradient"),
            weight.grad(&g_kernels).unwrap(),
            weight.grad(&g_burn).unwrap(),
        );
        if case.input_grad {
            assert_close(
                &name("input gradient"),
                x.grad(&g_kernels).unwrap(),
                x.grad(&g_burn).unwrap(),
            );
        } else {
            assert!(
                x.grad(&g_kernels).is_none(),
                "{}",
                name("no input gradient")
            );
        }
        for (what, burn_param, kernels_param) in [
            (
                "gamma gradient",
                bn_burn.gamma.val(),
                bn_kernels.gamma.val(),
            ),
            ("beta gradient", bn_burn.beta.val(), bn_kernels.beta.val()),
        ] {
            assert_close(
                &name(what),
                kernels_param.grad(&g_kernels).unwrap(),
                burn_param.grad(&g_burn).unwrap(),
            );
        }
        assert_close(
            &name("running mean"),
            bn_kernels.running_mean.value_sync(),
            bn_burn.running_mean.value_sync(),
        );
        assert_close(
            &name("running variance"),
            bn_kernels.running_var.value_sync(),
            bn_burn.running_var.value_sync(),
        );
        // The statistics moved (momentum 0.1 from 0 and 1), so the comparison above means something.
        let moved = max_abs_diff(
            bn_burn.running_mean.value_sync(),
            Tensor::zeros([case.channels[1]], &device),
        );
        assert!(
            moved > 1e-3,
            "{}: running mean moved by {moved}",
            name("statistics")
        );
    }
}

#[test]
fn kernels_match_burn_on_flex() {
    check(Device::flex().autodiff());
}

#[cfg(feature = "tch")]
#[test]
#[allow(deprecated)] // burn marks burn-tch deprecated; botui builds on it on purpose.
fn kernels_match_burn_on_libtorch() {
    check(Device::libtorch().autodiff());
}

/// Outside a training step (no autodiff) the functions are burn's modules, bit for bit.
#[test]
fn inference_is_burns_forward() {
    let device = Device::flex();
    device.seed(3);
    let (conv, bn, _) = layers(&CASES[0], &device);
    let x = Tensor::<4>::random([2, 3, 9, 9], Distribution::Normal(0.0, 1.0), &device);
    let expected = relu(bn.forward(conv.forward(x.clone())));
    let got = kernels::relu(kernels::conv_bn(&conv, &bn, x));
    assert_eq!(max_abs_diff(got, expected), 0.0);
}
