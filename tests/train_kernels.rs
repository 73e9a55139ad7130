//! The training kernels (botui::model::kernels) against burn's own modules on the same backend,
//! through the check `botui selftest` runs (botui::train::selftest): conv -> BN -> ReLU forward,
//! every gradient (input, conv weight, gamma, beta) and the running statistics after one step,
//! in every precision and memory layout the device trains in, then a whole ResNet-18 step. On
//! LibTorch the kernels are different ATen calls (convolution_backward, native_batch_norm and its
//! backward, threshold_backward) from burn's composites, so agreement there checks the binding,
//! the argument order, the statistics bookkeeping, autocast's casts and channels_last; on flex it
//! checks the autodiff nodes.
//!
//! On flex the kernels are botui's own (src/model/kernels/flex/: convolution as GEMMs over
//! unfolded tiles, depthwise loops, fused batch norm and ReLU), so the file also checks their
//! arithmetic over odd shapes (`flex_kernels_match_burn_on_odd_shapes`), one whole MobileNet step,
//! and burn's own matmul against an f64 reference.

use botui::device::DeviceName;
use botui::model::kernels;
use botui::train::selftest::{self, Report};
use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Distribution, Tensor};

fn assert_passes(report: &Report, expected_precisions: &[&str]) {
    let failures: Vec<String> = report
        .failures()
        .iter()
        .map(|c| {
            format!(
                "{} [{} {}] {}: {} (bound {}{})",
                c.case,
                c.precision,
                c.layout,
                c.what,
                c.value,
                if c.at_least { ">= " } else { "<= " },
                c.bound
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} checks failed on {}:\n{}",
        failures.len(),
        report.checks.len(),
        report.device,
        failures.join("\n")
    );
    for precision in expected_precisions {
        assert!(
            report.checks.iter().any(|c| c.precision == *precision),
            "no {precision} checks on {}",
            report.device
        );
    }
    // 5 cases x 8 checks per variant, and the ResNet-18 step's 4 for each but FP32 NCHW (the
    // step's reference).
    let mut variants: Vec<(&str, &str)> = report
        .checks
        .iter()
        .map(|c| (c.precision, c.layout))
        .collect();
    variants.sort();
    variants.dedup();
    assert_eq!(
        report.checks.len(),
        40 * variants.len() + 4 * (variants.len() - 1),
        "{variants:?}"
    );
}

#[test]
fn kernels_match_burn_on_flex() {
    let _serial = serial();
    let report = selftest::run(DeviceName::Flex).unwrap();
    assert_passes(&report, &["fp32"]);
}

#[cfg(feature = "tch")]
#[test]
fn kernels_match_burn_on_libtorch() {
    let _serial = serial();
    let report = selftest::run(DeviceName::LibTorch).unwrap();
    let mut expected = vec!["fp32"];
    if botui::train::precision::cpu_has_bf16() {
        expected.push("bf16");
    }
    assert_passes(&report, &expected);
    assert!(report.checks.iter().any(|c| c.layout == "channels_last"));
}

/// Outside a training step (no autodiff) the functions are burn's modules, bit for bit.
#[test]
fn inference_is_burns_forward() {
    let _serial = serial();
    let device = Device::flex();
    device.seed(3);
    let conv = Conv2dConfig::new([3, 8], [3, 3])
        .with_bias(false)
        .init(&device);
    let bn = BatchNormConfig::new(8).init(&device);
    let x = Tensor::<4>::random([2, 3, 9, 9], Distribution::Normal(0.0, 1.0), &device);
    let expected = relu(bn.forward(conv.forward(x.clone())));
    let got = kernels::relu(kernels::conv_bn(&conv, &bn, x));
    let diff = (got - expected).abs().max().into_scalar::<f32>();
    assert_eq!(diff, 0.0);
}

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
    batch: usize,
    /// [height, width] of the input.
    input: [usize; 2],
}

const fn case(
    channels: [usize; 2],
    kernel: [usize; 2],
    stride: usize,
    padding: [usize; 2],
) -> Case {
    Case {
        channels,
        kernel,
        stride,
        padding,
        groups: 1,
        input_grad: true,
        batch: 4,
        input: [9, 9],
    }
}

const fn depthwise(channels: usize, stride: usize) -> Case {
    Case {
        groups: channels,
        ..case([channels, channels], [3, 3], stride, [1, 1])
    }
}

const CASES: [Case; 18] = [
    // 3x3 stride 2, like a ResNet downsampling conv.
    case([3, 8], [3, 3], 2, [1, 1]),
    // 1x1 bottleneck projection.
    case([8, 16], [1, 1], 1, [0, 0]),
    // Depthwise, as in MobileNet.
    depthwise(8, 1),
    // 1x7 with padding only along the width, as in Inception-V3: catches a swapped axis.
    case([8, 8], [1, 7], 1, [0, 3]),
    // The stem: no gradient for the image.
    Case {
        input_grad: false,
        ..case([3, 8], [3, 3], 1, [1, 1])
    },
    // 3x3 stride 2 without padding, odd output side (4).
    Case {
        batch: 3,
        ..case([8, 16], [3, 3], 2, [0, 0])
    },
    // 1x1 stride 2: the downsampling shortcut of ResNet A/B, on a 7x7 input.
    Case {
        batch: 2,
        input: [7, 7],
        ..case([16, 8], [1, 1], 2, [0, 0])
    },
    // 7x1 padded along the height only, on a non-square input.
    Case {
        batch: 2,
        input: [9, 7],
        ..case([8, 8], [7, 1], 1, [3, 0])
    },
    // Depthwise with stride 2 over 19 channels (not a multiple of any SIMD width), 11x11.
    Case {
        batch: 2,
        input: [11, 11],
        ..depthwise(19, 2)
    },
    // Batch 1, 19 output channels, an odd 13x17 plane.
    Case {
        batch: 1,
        input: [13, 17],
        ..case([5, 19], [3, 3], 1, [1, 1])
    },
    // 1x1 planes: the padding is the whole window; several images per column tile.
    Case {
        batch: 5,
        input: [1, 1],
        ..case([16, 24], [3, 3], 1, [1, 1])
    },
    // Depthwise on 1x1 planes.
    Case {
        batch: 3,
        input: [1, 1],
        ..depthwise(8, 1)
    },
    // The ImageNet stem: 7x7 stride 2 padding 3, batch 1, a non-square odd input.
    Case {
        batch: 1,
        input: [13, 11],
        ..case([3, 8], [7, 7], 2, [3, 3])
    },
    // Grouped (2 groups of 6 -> 5), neither dense nor depthwise: burn's operations, through the
    // same autodiff nodes.
    Case {
        groups: 2,
        input: [7, 7],
        ..case([12, 10], [3, 3], 1, [1, 1])
    },
    // 17 -> 23 channels (prime, no SIMD multiple), 5x3 stride 2 padding 0 on 12x9.
    Case {
        batch: 2,
        input: [12, 9],
        ..case([17, 23], [5, 3], 2, [0, 0])
    },
    // 64 input channels on 24x24: the plane is cut into two column tiles per image.
    Case {
        batch: 2,
        input: [24, 24],
        ..case([64, 8], [3, 3], 1, [1, 1])
    },
    // Depthwise channels last, batch 1: 33 channels (two full 16-lane blocks and one lane),
    // stride 1 on an odd 9x7 plane.
    Case {
        batch: 1,
        input: [9, 7],
        ..depthwise(33, 1)
    },
    // Depthwise stride 2, batch 1, 16 channels (exactly one block), on a 6x5 plane.
    Case {
        batch: 1,
        input: [6, 5],
        ..depthwise(16, 2)
    },
];

/// `botui selftest`'s layers for the case's convolution.
fn layers(case: &Case, device: &Device) -> (Conv2d, BatchNorm, BatchNorm) {
    selftest::layers(
        &selftest::Case {
            name: "",
            channels: case.channels,
            kernel: case.kernel,
            stride: case.stride,
            padding: case.padding,
            groups: case.groups,
            input_grad: case.input_grad,
        },
        device,
    )
}

fn max_abs_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
    (a - b).abs().max().into_scalar::<f32>()
}

fn scale<const D: usize>(a: &Tensor<D>) -> f32 {
    let m = a.clone().abs().max().into_scalar::<f32>();
    m.max(1e-3)
}

/// Tolerance: the largest element-wise difference may be 1e-4 of the largest magnitude in burn's
/// result (f32 sums in another order; the kernels' GEMMs accumulate over up to 9 * 64 terms).
fn assert_close<const D: usize>(what: &str, kernels: Tensor<D>, burn: Tensor<D>) {
    let tol = 1e-4 * scale(&burn);
    let diff = max_abs_diff(kernels, burn);
    assert!(
        diff <= tol,
        "{what}: kernels and burn differ by {diff} (tolerance {tol})"
    );
}

/// `kernels::use_burn_composites` and the device seed are process-wide: the tests of this file
/// take turns.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn check(device: Device) {
    let _serial = serial();
    device.seed(7);
    for (i, case) in CASES.iter().enumerate() {
        let (conv, bn_burn, bn_kernels) = layers(case, &device);
        // Off-centre, so that the batch means (and the running means after one step) are not ~0.
        let [h, w] = case.input;
        let x = Tensor::<4>::random(
            [case.batch, case.channels[0], h, w],
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
                "case {i} ({:?}, kernel {:?}, stride {}, groups {}, batch {}, input {:?}): {what}",
                case.channels, case.kernel, case.stride, case.groups, case.batch, case.input
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
fn flex_kernels_match_burn_on_odd_shapes() {
    check(Device::flex().autodiff());
}

/// Every float tensor of a module with its dotted path: `(path, value, gradient)`, flattened.
struct Collect<'a> {
    path: Vec<String>,
    grads: &'a burn::optim::GradientsParams,
    out: Vec<(String, Tensor<1>, Option<Tensor<1>>)>,
}

impl burn::module::ModuleVisitor for Collect<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val().inner();
        let n = value.shape().num_elements();
        let grad = self.grads.get::<D>(param.id).map(|g| g.reshape([n]));
        self.out
            .push((self.path.join("."), value.reshape([n]), grad));
    }
}

/// One training step's forward and backward of the trainer test's model (MobileNet x0.25 at
/// 32x32, batch 8, 4 classes; its 1x1 and 2x2 planes, depthwise stride 2 on tiny planes and BN
/// over 8 values per channel) with the kernels and with burn's composites: the loss, every
/// parameter gradient and the running statistics must agree, first difference named.
#[test]
fn a_mobilenet_step_matches_burn_on_flex() {
    use botui::model::{ModelConfig, ModelName};
    use burn::module::Module;
    let _serial = serial();
    let device = Device::flex().autodiff();
    let run = |composites: bool| {
        kernels::use_burn_composites(composites);
        device.seed(0);
        let mut config = ModelConfig::new(ModelName::MobileNet, 4, 32);
        config.width = 0.25;
        let model = config.init(&device).unwrap();
        device.seed(11);
        let x = Tensor::<4>::random([8, 3, 32, 32], Distribution::Normal(0.2, 1.0), &device);
        let labels = [0usize, 1, 2, 3, 3, 2, 1, 0];
        let mut targets = vec![0f32; 8 * 4];
        for (i, &l) in labels.iter().enumerate() {
            targets[i * 4 + l] = 1.0;
        }
        let targets =
            Tensor::<2>::from_data(burn::tensor::TensorData::new(targets, [8, 4]), &device);
        let loss_of = |model: &botui::model::Model| {
            (burn::tensor::activation::log_softmax(model.forward(x.clone()), 1) * targets.clone())
                .sum_dim(1)
                .mean()
                .neg()
        };
        let loss = loss_of(&model);
        let loss_value = loss.clone().inner().into_scalar::<f32>();
        let grads = burn::optim::GradientsParams::from_grads(loss.backward(), &model);
        let mut collect = Collect {
            path: Vec::new(),
            grads: &grads,
            out: Vec::new(),
        };
        model.visit(&mut collect);
        kernels::use_burn_composites(false);
        let botui::model::Model::MobileNet(m) = &model else {
            unreachable!()
        };
        // Each BN's running statistics, as the trainer's validation reads them.
        for (i, bn) in [&m.conv1.bn, &m.blocks[0].dw.bn, &m.blocks[12].pw.bn]
            .into_iter()
            .enumerate()
        {
            for (what, stat) in [
                ("running_mean", &bn.running_mean),
                ("running_var", &bn.running_var),
            ] {
                collect.out.push((
                    format!("bn {i} {what} (synced)"),
                    stat.value_sync().inner(),
                    None,
                ));
            }
        }
        (loss_value, collect.out)
    };
    let (loss_k, kern) = run(false);
    let (loss_b, burn) = run(true);
    assert!(
        (loss_k - loss_b).abs() <= 1e-4 * loss_b.abs(),
        "loss: kernels {loss_k}, burn {loss_b}"
    );
    assert_eq!(kern.len(), burn.len());
    // Walk from the output back towards the input, as the gradients flow; name the first
    // tensor that differs.
    let mut first = None;
    // The scale of the last BN beta gradient seen (the same BN's, as beta comes before gamma
    // on this walk).
    let mut beta_scale = 0f32;
    for ((path, vk, gk), (path_b, vb, gb)) in kern.into_iter().zip(burn).rev() {
        assert_eq!(path, path_b);
        let mut pairs = vec![("value", vk, vb)];
        match (gk, gb) {
            (Some(gk), Some(gb)) => pairs.push(("gradient", gk, gb)),
            (None, None) => {}
            (gk, gb) => panic!(
                "{path}: gradient kernels {} burn {}",
                gk.is_some(),
                gb.is_some()
            ),
        }
        for (what, k, b) in pairs {
            let mut s = scale(&b);
            if what == "gradient" && path.ends_with("beta") {
                beta_scale = s;
            }
            // gamma's gradient is sum(dy * x_hat), beta's sum(dy): both carry the rounding of
            // the same dy, but gamma's sum cancels (2e-4 against beta's 10 on conv1 here), so
            // its error is measured against beta's scale.
            if what == "gradient" && path.ends_with("gamma") {
                s = s.max(beta_scale);
            }
            let diff = max_abs_diff(k, b);
            if diff > 1e-4 * s && first.is_none() {
                first = Some(format!("{path}: {what}: differ by {diff} (scale {s})"));
            }
        }
    }
    assert!(first.is_none(), "first difference: {}", first.unwrap());
}

/// burn's matmul on flex (gemm, whose `x86-v4` AVX-512 path this crate's Cargo.toml turns on)
/// against an f64 reference on odd shapes: every element within f32 rounding of its sum
/// (`|error| <= K * 2^-23 * sum |a_ik * b_kj|`), which a wrong kernel (a lost tail, a swapped
/// panel) would exceed by orders of magnitude.
#[test]
fn matmul_is_within_rounding_of_f64() {
    let _serial = serial();
    let device = Device::flex();
    device.seed(5);
    for [m, k, n] in [
        [1, 1, 1],
        [7, 13, 5],
        [17, 65, 33],
        [31, 257, 129],
        [64, 9, 200],
        [129, 300, 17],
        [8, 1024, 4],
    ] {
        let a = Tensor::<2>::random([m, k], Distribution::Normal(0.0, 1.0), &device);
        let b = Tensor::<2>::random([k, n], Distribution::Normal(0.0, 1.0), &device);
        let got = a
            .clone()
            .matmul(b.clone())
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let a = a.into_data().try_to_vec::<f32>().unwrap();
        let b = b.into_data().try_to_vec::<f32>().unwrap();
        let mut worst = 0f64;
        for i in 0..m {
            for j in 0..n {
                let (mut sum, mut abs) = (0f64, 0f64);
                for p in 0..k {
                    let t = a[i * k + p] as f64 * b[p * n + j] as f64;
                    sum += t;
                    abs += t.abs();
                }
                let bound = k as f64 * f32::EPSILON as f64 * abs;
                let err = (got[i * n + j] as f64 - sum).abs();
                worst = worst.max(err / bound.max(f64::MIN_POSITIVE));
            }
        }
        // Measured: the worst element uses a few percent of the bound.
        eprintln!("matmul {m}x{k}x{n}: worst error {worst:.4} of the rounding bound");
        assert!(
            worst <= 1.0,
            "matmul {m}x{k}x{n}: error {worst} of the bound"
        );
    }
}
