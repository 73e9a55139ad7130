//! The training kernels (`model::kernels`) checked against burn's own modules on one device:
//! `botui selftest --device D` prints it, `tests/train_kernels.rs` asserts it on flex and
//! LibTorch.
//!
//! For every conv -> BN -> ReLU case below, the kernels' forward output, every gradient (input,
//! conv weight, gamma, beta) and the BN running statistics after one step must agree with burn's
//! modules in FP32 on the same backend. The check runs in each precision and memory layout the
//! device trains in: FP32, and with LibTorch also channels_last and the autocast precisions
//! (BF16 on a CPU with AVX512-BF16, FP16 and BF16 on CUDA), where the reference gets the same
//! low-precision-rounded input and weight so that only the arithmetic differs. Each variant but
//! FP32 NCHW also runs a whole ResNet-18 step (forward, loss, backward) and compares the loss and
//! every parameter's gradient with the FP32 NCHW step. On CUDA the FP32 checks run with TF32 off, so that they test the
//! binding rather than TF32's rounding.

use std::time::Instant;

use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Distribution, FloatDType, Gradients, Int, Tensor, TensorData};
use serde::Serialize;

use crate::device::DeviceName;
use crate::model::autocast::autocast;
use crate::model::kernels::{self, cudnn, memory};
use crate::model::{Model, ModelConfig, ModelName, StemKind};

use super::loss::soft_cross_entropy;
use super::precision::{cpu_has_bf16, dtype_name};

/// One conv -> BN -> ReLU layer to check.
pub struct Case {
    pub name: &'static str,
    pub channels: [usize; 2],
    /// [height, width]
    pub kernel: [usize; 2],
    pub stride: usize,
    /// [height, width], the same on both sides of each axis.
    pub padding: [usize; 2],
    pub groups: usize,
    /// Whether the input itself needs a gradient (false: the network's first layer).
    pub input_grad: bool,
}

pub const CASES: [Case; 5] = [
    Case {
        name: "3x3 stride 2 (ResNet downsampling)",
        channels: [3, 8],
        kernel: [3, 3],
        stride: 2,
        padding: [1, 1],
        groups: 1,
        input_grad: true,
    },
    Case {
        name: "1x1 (bottleneck projection)",
        channels: [8, 16],
        kernel: [1, 1],
        stride: 1,
        padding: [0, 0],
        groups: 1,
        input_grad: true,
    },
    Case {
        name: "3x3 depthwise (MobileNet)",
        channels: [8, 8],
        kernel: [3, 3],
        stride: 1,
        padding: [1, 1],
        groups: 8,
        input_grad: true,
    },
    // Padding along the width only, as in Inception-V3: catches a swapped axis.
    Case {
        name: "1x7 padded (0, 3) (Inception)",
        channels: [8, 8],
        kernel: [1, 7],
        stride: 1,
        padding: [0, 3],
        groups: 1,
        input_grad: true,
    },
    Case {
        name: "3x3 stem (no input gradient)",
        channels: [3, 8],
        kernel: [3, 3],
        stride: 1,
        padding: [1, 1],
        groups: 1,
        input_grad: false,
    },
];

/// A precision and memory layout the kernels are checked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// `None`: FP32; else the autocast dtype.
    pub dtype: Option<FloatDType>,
    pub channels_last: bool,
}

impl Variant {
    pub const FP32: Variant = Variant {
        dtype: None,
        channels_last: false,
    };

    pub fn precision(&self) -> &'static str {
        dtype_name(self.dtype)
    }

    pub fn layout(&self) -> &'static str {
        if self.channels_last {
            "channels_last"
        } else {
            "nchw"
        }
    }

    /// Largest difference allowed, as a fraction of the largest magnitude of the reference.
    /// FP32 is the two implementations' summation order; FP16 (10-bit mantissa) and BF16 (7-bit)
    /// round every activation and gradient, and BF16's steps are 8 times FP16's.
    pub fn relative_tolerance(&self) -> f64 {
        match self.dtype {
            None => 1e-4,
            Some(FloatDType::F16) => 1e-2,
            _ => 5e-2,
        }
    }

    /// Bounds for a whole ResNet-18 step against FP32 NCHW: the relative L2 error of all
    /// gradients together, and of the worst single parameter. Low precision changes a deep
    /// network's gradients at initialization a lot: PyTorch's own `torch.autocast` in BF16 gives
    /// 0.30 together and 0.41 to 0.52 for the worst parameter (a BN gamma or beta) on this step
    /// (torch 2.9 on a CPU, batch 4 and 16 alike); FP16's mantissa has 3 more bits. So these
    /// bounds catch a gradient that does not flow or comes back scaled (an error of 1 or more),
    /// not rounding; the layer checks above are the tight ones.
    pub fn model_tolerance(&self) -> (f64, f64) {
        match self.dtype {
            None => (1e-4, 1e-4),
            Some(FloatDType::F16) => (0.15, 0.9),
            _ => (0.6, 0.9),
        }
    }
}

/// The variants `device` trains in, and why any other is left out.
pub fn variants(device: DeviceName) -> (Vec<Variant>, Vec<String>) {
    let mut notes = Vec::new();
    let both = |dtype| {
        [false, true].map(|channels_last| Variant {
            dtype,
            channels_last,
        })
    };
    let list = match device {
        DeviceName::Flex => {
            notes.push(
                "flex: FP32 in NCHW only (no channels_last, no low precision on this backend)"
                    .into(),
            );
            vec![Variant::FP32]
        }
        DeviceName::LibTorch => {
            let mut v = both(None).to_vec();
            if cpu_has_bf16() {
                v.extend(both(Some(FloatDType::BF16)));
            } else {
                notes.push("bf16 skipped: this CPU has no AVX512-BF16 or AMX-BF16".into());
            }
            notes.push("fp16 skipped: LibTorch trains FP16 on CUDA only".into());
            v
        }
        DeviceName::Cuda(_) | DeviceName::Gpus(_) => {
            [None, Some(FloatDType::F16), Some(FloatDType::BF16)]
                .into_iter()
                .flat_map(both)
                .collect()
        }
    };
    (list, notes)
}

/// One comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// The case (or "resnet18 step").
    pub case: String,
    pub precision: &'static str,
    pub layout: &'static str,
    pub what: String,
    /// Largest absolute difference (or, for `at_least`, the value that must reach the bound).
    pub value: f64,
    pub bound: f64,
    /// `value` must be at least `bound` (a sanity check), not at most.
    pub at_least: bool,
    pub passed: bool,
}

/// Everything one device's self-test found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub device: String,
    pub checks: Vec<Check>,
    pub notes: Vec<String>,
    pub seconds: f64,
}

impl Report {
    pub fn failures(&self) -> Vec<&Check> {
        self.checks.iter().filter(|c| !c.passed).collect()
    }

    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.failures().is_empty()
    }
}

/// Runs every case in every variant of `name`, then the ResNet-18 step.
pub fn run(name: DeviceName) -> Result<Report, String> {
    let device = name.resolve().map_err(|e| e.to_string())?;
    let started = Instant::now();
    let (variants, mut notes) = variants(name);
    let cuda = matches!(name, DeviceName::Cuda(_));
    let tf32 = cuda.then(|| cudnn::set_allow_tf32(false));
    if cuda {
        notes.push("TF32 off during the checks (cuDNN's default is on)".into());
    }
    let mut checks = Vec::new();
    let mut model_step = None;
    for variant in &variants {
        for case in &CASES {
            check_case(&device, case, *variant, &mut checks);
        }
        if *variant != Variant::FP32 {
            model_step
                .get_or_insert_with(|| ModelStep::new(&device))
                .compare(*variant, &mut checks);
        }
    }
    if let Some(previous) = tf32 {
        cudnn::set_allow_tf32(previous);
    }
    Ok(Report {
        device: name.to_string(),
        checks,
        notes,
        seconds: started.elapsed().as_secs_f64(),
    })
}

struct Recorder<'a> {
    out: &'a mut Vec<Check>,
    case: String,
    variant: Variant,
}

impl Recorder<'_> {
    /// `got` and `want` agree to the variant's tolerance relative to `want`'s largest magnitude.
    fn close<const D: usize>(&mut self, what: &str, got: Tensor<D>, want: Tensor<D>) {
        let got = got.cast(FloatDType::F32);
        let scale = (want.clone().abs().max().into_scalar::<f32>() as f64).max(1e-3);
        let diff = (got - want).abs().max().into_scalar::<f32>() as f64;
        let bound = self.variant.relative_tolerance() * scale;
        self.push(what, diff, bound, false);
    }

    fn push(&mut self, what: &str, value: f64, bound: f64, at_least: bool) {
        let passed = value.is_finite()
            && if at_least {
                value >= bound
            } else {
                value <= bound
            };
        self.out.push(Check {
            case: self.case.clone(),
            precision: self.variant.precision(),
            layout: self.variant.layout(),
            what: what.to_string(),
            value,
            bound,
            at_least,
            passed,
        });
    }
}

/// `x` rounded to the variant's precision and back (the reference sees the values the kernels do).
fn rounded<const D: usize>(x: Tensor<D>, variant: Variant) -> Tensor<D> {
    match variant.dtype {
        Some(dtype) => x.cast(dtype).cast(FloatDType::F32),
        None => x,
    }
}

/// The case's convolution and two identical batch norms (one for burn's modules, one for the
/// kernels), with non-trivial gamma and beta.
pub fn layers(case: &Case, device: &Device) -> (Conv2d, BatchNorm, BatchNorm) {
    let [ph, pw] = case.padding;
    let conv = Conv2dConfig::new(case.channels, case.kernel)
        .with_stride([case.stride, case.stride])
        .with_padding(PaddingConfig2d::Explicit(ph, pw, ph, pw))
        .with_groups(case.groups)
        .with_bias(false)
        .init(device);
    let c = case.channels[1];
    // Non-trivial gamma/beta, the same in both copies.
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

fn check_case(base: &Device, case: &Case, variant: Variant, out: &mut Vec<Check>) {
    let device = base.clone().autodiff();
    device.seed(7);
    let (conv, bn_burn, bn_kernels) = layers(case, &device);
    let mut rec = Recorder {
        out,
        case: case.name.to_string(),
        variant,
    };
    // Off-centre, so that the batch means (and the running means after one step) are not ~0.
    let x = Tensor::<4>::random(
        [4, case.channels[0], 9, 9],
        Distribution::Normal(0.5, 1.0),
        base,
    );
    let x_kernels = if variant.channels_last {
        memory::channels_last(x.clone())
    } else {
        x.clone()
    };
    if variant.channels_last && !memory::is_channels_last(&x_kernels) {
        rec.push("input laid out channels_last", 0.0, 1.0, true);
    }
    let leaf = |t: Tensor<4>| {
        let t = t.autodiff();
        if case.input_grad { t.require_grad() } else { t }
    };
    let (x_burn, x_kernels) = (leaf(x), leaf(x_kernels));
    let weight = conv.weight.val().require_grad();
    let conv = Conv2d {
        weight: Param::from_tensor(weight),
        ..conv
    };
    // burn's modules in FP32 on the rounded input and weight.
    let conv_burn = Conv2d {
        weight: Param::initialized(conv.weight.id, rounded(conv.weight.val(), variant)),
        ..conv.clone()
    };
    let y_burn = relu(bn_burn.forward(conv_burn.forward(rounded(x_burn.clone(), variant))));
    let y_kernels = {
        let _scope = autocast(variant.dtype);
        kernels::relu(kernels::conv_bn(&conv, &bn_kernels, x_kernels.clone()))
    }
    .cast(FloatDType::F32);
    // A loss whose gradient differs per element, so that every backward path is exercised.
    let probe = Tensor::<4>::random(y_burn.dims(), Distribution::Normal(0.0, 1.0), &device);
    rec.close("output", y_kernels.clone().inner(), y_burn.clone().inner());

    let g_burn = (y_burn * probe.clone()).sum().backward();
    let g_kernels = (y_kernels * probe).sum().backward();
    let weight = conv.weight.val();
    match (weight.grad(&g_kernels), weight.grad(&g_burn)) {
        (Some(k), Some(b)) => rec.close("conv weight gradient", k, b),
        _ => rec.push("conv weight gradient exists", 0.0, 1.0, true),
    }
    if case.input_grad {
        match (x_kernels.grad(&g_kernels), x_burn.grad(&g_burn)) {
            (Some(k), Some(b)) => rec.close("input gradient", k, b),
            _ => rec.push("input gradient exists", 0.0, 1.0, true),
        }
    } else {
        let none = x_kernels.grad(&g_kernels).is_none();
        rec.push("no input gradient", f64::from(u8::from(none)), 1.0, true);
    }
    for (what, burn_param, kernels_param) in [
        (
            "gamma gradient",
            bn_burn.gamma.val(),
            bn_kernels.gamma.val(),
        ),
        ("beta gradient", bn_burn.beta.val(), bn_kernels.beta.val()),
    ] {
        match (kernels_param.grad(&g_kernels), burn_param.grad(&g_burn)) {
            (Some(k), Some(b)) => rec.close(what, k, b),
            _ => rec.push(&format!("{what} exists"), 0.0, 1.0, true),
        }
    }
    rec.close(
        "running mean",
        bn_kernels.running_mean.value_sync(),
        bn_burn.running_mean.value_sync(),
    );
    rec.close(
        "running variance",
        bn_kernels.running_var.value_sync(),
        bn_burn.running_var.value_sync(),
    );
    // The statistics moved (momentum 0.1 from 0 and 1), so the comparison above means something.
    let moved = bn_burn
        .running_mean
        .value_sync()
        .abs()
        .max()
        .into_scalar::<f32>() as f64;
    rec.push("running mean moved from 0", moved, 1e-3, true);
}

/// A ResNet-18 training step (small stem, 32 x 32, batch 4, 10 classes) in each variant
/// against the same model's FP32 NCHW step, computed once: the loss and every parameter's
/// gradient.
struct ModelStep {
    model: Model,
    x: Tensor<4>,
    targets: Tensor<2>,
    loss: Tensor<1>,
    grads: Gradients,
}

impl ModelStep {
    const CASE: &str = "resnet18 step (small stem, 32x32, batch 4)";

    fn new(base: &Device) -> Self {
        let device = base.clone().autodiff();
        device.seed(11);
        let mut config = ModelConfig::new(ModelName::ResNet(18), 10, 32);
        config.stem = StemKind::Small;
        let model = config
            .init(&device)
            .expect("resnet18 at 32 x 32 is a valid model");
        let x = Tensor::<4>::random([4, 3, 32, 32], Distribution::Normal(0.0, 1.0), base);
        let labels = Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 3, 5, 9], [4]), base);
        let targets = labels.one_hot(10).float().autodiff();
        let (loss, grads) = Self::step(&model, x.clone(), &targets, Variant::FP32);
        ModelStep {
            model,
            x,
            targets,
            loss,
            grads,
        }
    }

    fn step(
        model: &Model,
        x: Tensor<4>,
        targets: &Tensor<2>,
        variant: Variant,
    ) -> (Tensor<1>, Gradients) {
        let x = if variant.channels_last {
            memory::channels_last(x)
        } else {
            x
        };
        let logits = {
            let _scope = autocast(variant.dtype);
            model.forward(rounded(x, variant).autodiff())
        };
        let loss = soft_cross_entropy(logits.cast(FloatDType::F32), targets.clone());
        let value = loss.clone().inner();
        (value, loss.backward())
    }

    fn compare(&self, variant: Variant, out: &mut Vec<Check>) {
        let mut rec = Recorder {
            out,
            case: Self::CASE.into(),
            variant,
        };
        let (loss, grads) = Self::step(&self.model, self.x.clone(), &self.targets, variant);
        rec.close("loss", loss, self.loss.clone());
        let mut worst = WorstGradient {
            grads: &grads,
            reference: &self.grads,
            worst: (0.0, String::new()),
            error_squared: 0.0,
            reference_squared: 0.0,
            count: 0,
            missing: 0,
            path: Vec::new(),
        };
        self.model.visit(&mut worst);
        let (global_bound, worst_bound) = variant.model_tolerance();
        let global = worst.error_squared.sqrt() / worst.reference_squared.sqrt().max(1e-12);
        rec.push(
            &format!(
                "all {} parameter gradients together, relative L2 error",
                worst.count
            ),
            if global.is_finite() {
                global
            } else {
                f64::INFINITY
            },
            global_bound,
            false,
        );
        let (ratio, name) = worst.worst;
        rec.push(
            &format!("worst parameter gradient ({name}), relative L2 error"),
            ratio,
            worst_bound,
            false,
        );
        rec.push(
            "parameters without a gradient",
            worst.missing as f64,
            0.0,
            false,
        );
    }
}

/// Relative errors `|g - g_ref| / |g_ref|` (Euclidean norms) of a model's gradients: the
/// worst parameter's, and the sums for all of them together.
struct WorstGradient<'a> {
    grads: &'a burn::tensor::Gradients,
    reference: &'a burn::tensor::Gradients,
    worst: (f64, String),
    /// Sums of squares over all parameters: of the differences, and of the reference.
    error_squared: f64,
    reference_squared: f64,
    count: usize,
    missing: usize,
    path: Vec<String>,
}

impl ModuleVisitor for WorstGradient<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if self
            .path
            .last()
            .is_some_and(|l| crate::model::is_running_stat(l))
        {
            return;
        }
        let value = param.val();
        let (Some(got), Some(want)) = (value.grad(self.grads), value.grad(self.reference)) else {
            self.missing += 1;
            return;
        };
        self.count += 1;
        let squares = |t: Tensor<D>| (t.clone() * t).sum().into_scalar::<f32>() as f64;
        let error = squares(got.cast(FloatDType::F32) - want.clone());
        let reference = squares(want);
        self.error_squared += error;
        self.reference_squared += reference;
        let ratio = if error.is_finite() {
            error.sqrt() / reference.sqrt().max(1e-12)
        } else {
            f64::INFINITY
        };
        if ratio > self.worst.0 || !ratio.is_finite() {
            self.worst = (ratio, self.path.join("."));
        }
    }
}
