//! Low-precision training (Sec. 3.2): the forward and backward passes run in FP16 or BF16 while
//! the optimizer updates an FP32 master copy of the weights. Two ways, [`Compute`]:
//!
//! - autocast (the default, what `torch.autocast` does): the model stays FP32 and each
//!   convolution and the classifier cast their input and weights to the low dtype as they run,
//!   while batch norm keeps FP32 parameters and statistics (`model::autocast`);
//! - the whole model cast, as the paper's MXNet code does: each step maps the FP32 model to a
//!   low-precision "shadow" whose weights, BN's included, are casts of the master weights.
//!
//! Either way the casts are part of the autodiff graph, so gradients arrive in FP32 on the
//! master parameters, and the loss is computed in FP32 from the up-cast logits. BN running
//! statistics stay FP32 and shared with the master model. FP16 adds
//! dynamic loss scaling: the loss is multiplied by a scale before backward, the gradients are
//! divided by it before the update, a step with an overflowed gradient is skipped and halves
//! the scale, and `growth_interval` good steps in a row double it.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{FloatDType, Tensor};

use crate::config::{LowPrecision, Precision};
use crate::device::DeviceName;
use crate::model::autocast::autocast;
use crate::model::{Model, is_running_stat};

/// A precision's name as the bench, the self-test and the results files print it.
pub fn dtype_name(dtype: Option<FloatDType>) -> &'static str {
    match dtype {
        None => "fp32",
        Some(FloatDType::F16) => "fp16",
        Some(FloatDType::BF16) => "bf16",
        Some(_) => "other",
    }
}

/// How a training step's forward pass computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compute {
    Fp32,
    /// Convolutions and the classifier in this dtype, batch norm with FP32 parameters.
    Autocast(FloatDType),
    /// The whole model cast to this dtype for the step (the paper's way).
    CastModel(FloatDType),
}

impl Compute {
    /// `dtype` (if any) the way `autocast` says.
    pub fn new(dtype: Option<FloatDType>, autocast: bool) -> Self {
        match (dtype, autocast) {
            (None, _) => Compute::Fp32,
            (Some(d), true) => Compute::Autocast(d),
            (Some(d), false) => Compute::CastModel(d),
        }
    }

    pub fn dtype(self) -> Option<FloatDType> {
        match self {
            Compute::Fp32 => None,
            Compute::Autocast(d) | Compute::CastModel(d) => Some(d),
        }
    }

    /// For the run log.
    pub fn describe(self) -> String {
        let name = |d: FloatDType| match d {
            FloatDType::F16 => "FP16",
            FloatDType::BF16 => "BF16",
            _ => "low precision",
        };
        match self {
            Compute::Fp32 => "FP32".into(),
            Compute::Autocast(d) => format!(
                "{} autocast: convolutions and the classifier in {0}, batch norm and the loss in FP32, FP32 master weights",
                name(d)
            ),
            Compute::CastModel(d) => format!(
                "{}: the whole model cast for each step (batch norm too), the loss in FP32, FP32 master weights",
                name(d)
            ),
        }
    }
}

/// The FP32 logits of `model` on `x` (an FP32 batch) computed the `compute` way.
pub fn forward(model: &Model, x: Tensor<4>, compute: Compute) -> Tensor<2> {
    match compute {
        Compute::Fp32 => model.forward(x),
        Compute::Autocast(dtype) => {
            let _scope = autocast(Some(dtype));
            model.forward(x).cast(FloatDType::F32)
        }
        Compute::CastModel(dtype) => shadow(model, dtype)
            .forward(x.cast(dtype))
            .cast(FloatDType::F32),
    }
}

/// Whether `device` can train in `config.dtype`, and if not, why.
pub fn check_support(
    config: &LowPrecision,
    device: DeviceName,
) -> Result<Option<FloatDType>, String> {
    if !config.enabled {
        return Ok(None);
    }
    match (device, config.dtype) {
        (DeviceName::Flex, _) => Err(
            "low precision needs LibTorch: the flex backend trains in FP32 only. Set \
             low_precision.enabled = false, or use device = \"cuda:N\" (FP16) or \"libtorch\" with \
             dtype = \"bf16\" on a CPU with AVX512-BF16"
                .into(),
        ),
        (DeviceName::LibTorch, Precision::Fp16) => Err(
            "FP16 training on the CPU is not supported (LibTorch's CPU FP16 kernels are slower \
             than FP32): use dtype = \"bf16\" on a CPU with AVX512-BF16, or a CUDA device"
                .into(),
        ),
        (DeviceName::LibTorch, Precision::Bf16) => {
            if cpu_has_bf16() {
                Ok(Some(FloatDType::BF16))
            } else {
                Err(
                    "this CPU has no AVX512-BF16 or AMX-BF16 instructions: BF16 training would \
                     be emulated and slow; use FP32 (low_precision.enabled = false)"
                        .into(),
                )
            }
        }
        (DeviceName::Cuda(_) | DeviceName::Gpus(_), Precision::Fp16) => Ok(Some(FloatDType::F16)),
        (DeviceName::Cuda(_) | DeviceName::Gpus(_), Precision::Bf16) => Ok(Some(FloatDType::BF16)),
    }
}

/// Native BF16 arithmetic on this CPU (Linux: the `avx512_bf16` or `amx_bf16` flag).
pub fn cpu_has_bf16() -> bool {
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|info| {
            info.lines().filter(|l| l.starts_with("flags")).any(|l| {
                l.split_whitespace()
                    .any(|f| f == "avx512_bf16" || f == "amx_bf16")
            })
        })
        .unwrap_or(false)
}

/// Casts every trained float parameter to `dtype`; BN running statistics stay as they are.
struct CastParams {
    dtype: FloatDType,
    path: Vec<String>,
}

impl ModuleMapper for CastParams {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if self.path.last().is_some_and(|leaf| is_running_stat(leaf)) {
            return param;
        }
        let id = param.id;
        Param::initialized(id, param.val().cast(self.dtype))
    }
}

/// The low-precision view of `model` for one forward pass; gradients flow to `model`'s FP32
/// parameters through the casts.
pub fn shadow(model: &Model, dtype: FloatDType) -> Model {
    model.clone().map(&mut CastParams {
        dtype,
        path: Vec::new(),
    })
}

/// FP16's dynamic loss scale.
#[derive(Debug, Clone, PartialEq)]
pub struct LossScaler {
    pub scale: f64,
    growth_interval: usize,
    good_steps: usize,
}

impl LossScaler {
    pub fn new(config: &LowPrecision) -> Self {
        Self {
            scale: config.loss_scale,
            growth_interval: config.growth_interval,
            good_steps: 0,
        }
    }

    /// Divides every gradient by the scale. Returns false (and halves the scale) when a
    /// gradient overflowed: the caller skips that step.
    pub fn unscale(&mut self, model: &Model, grads: &mut GradientsParams) -> bool {
        let mut visitor = Unscale {
            grads,
            inv_scale: 1.0 / self.scale,
            norm: None,
        };
        model.visit(&mut visitor);
        let finite = visitor
            .norm
            .map(|n| n.into_scalar::<f32>().is_finite())
            .unwrap_or(true);
        if finite {
            self.good_steps += 1;
            if self.good_steps >= self.growth_interval {
                self.scale *= 2.0;
                self.good_steps = 0;
            }
        } else {
            self.scale = (self.scale / 2.0).max(1.0);
            self.good_steps = 0;
        }
        finite
    }
}

struct Unscale<'a> {
    grads: &'a mut GradientsParams,
    inv_scale: f64,
    /// Sum of |grad| over all parameters: finite iff every gradient is.
    norm: Option<Tensor<1>>,
}

impl ModuleVisitor for Unscale<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let id: ParamId = param.id;
        if let Some(grad) = self.grads.remove::<D>(id) {
            let grad = grad.mul_scalar(self.inv_scale);
            let total = grad.clone().abs().sum();
            self.norm = Some(match self.norm.take() {
                Some(n) => n + total,
                None => total,
            });
            self.grads.register(id, grad);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flex_cannot_train_in_low_precision() {
        let config = LowPrecision {
            enabled: true,
            ..LowPrecision::default()
        };
        let err = check_support(&config, DeviceName::Flex).unwrap_err();
        assert!(err.contains("flex") && err.contains("FP32"), "{err}");
        let off = LowPrecision::default();
        assert_eq!(check_support(&off, DeviceName::Flex), Ok(None));
        assert_eq!(
            check_support(&config, DeviceName::Cuda(0)),
            Ok(Some(FloatDType::F16))
        );
    }

    #[test]
    fn loss_scale_halves_on_overflow_and_grows_after_good_steps() {
        let mut s = LossScaler {
            scale: 8.0,
            growth_interval: 2,
            good_steps: 0,
        };
        let device = burn::tensor::Device::flex().autodiff();
        let model = crate::model::ModelConfig::new(crate::model::ModelName::ResNet(18), 2, 32)
            .init(&device)
            .unwrap();
        let x = Tensor::<4>::ones([1, 3, 32, 32], &device);
        let grads_of = |scale: f32| {
            let loss = model.forward(x.clone()).sum().mul_scalar(scale);
            GradientsParams::from_grads(loss.backward(), &model)
        };
        let mut g = grads_of(1.0);
        assert!(s.unscale(&model, &mut g));
        assert_eq!(s.scale, 8.0);
        let mut g = grads_of(1.0);
        assert!(s.unscale(&model, &mut g));
        assert_eq!(s.scale, 16.0, "two good steps double it");
        let mut g = grads_of(f32::INFINITY);
        assert!(!s.unscale(&model, &mut g));
        assert_eq!(s.scale, 8.0, "an overflow halves it");
    }
}
