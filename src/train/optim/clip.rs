//! Clipping by the global gradient norm, as timm's `Lamb` does before every step
//! (`max_grad_norm = 1.0` by default): with `n = ||(g_1, ..., g_k)||_2` over every trained
//! parameter of every group, each gradient is divided by `max(n / max_norm, 1)`.
//!
//! This is one norm for the whole model, not burn's per-parameter `GradientClipping::Norm`,
//! so it runs before the optimizer sees the gradients.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

/// Divides every gradient in `grads` by `max(norm / max_norm, 1)` and returns the norm before
/// clipping.
pub fn clip_global_norm<M: Module>(module: &M, grads: &mut GradientsParams, max_norm: f64) -> f64 {
    let mut squares = SumOfSquares { grads, total: None };
    module.visit(&mut squares);
    let norm = squares
        .total
        .map(|t| (t.into_scalar::<f32>() as f64).sqrt())
        .unwrap_or(0.0);
    let divisor = (norm / max_norm).max(1.0);
    if divisor > 1.0 {
        module.visit(&mut Scale {
            grads,
            factor: 1.0 / divisor,
        });
    }
    norm
}

struct SumOfSquares<'a> {
    grads: &'a GradientsParams,
    total: Option<Tensor<1>>,
}

impl ModuleVisitor for SumOfSquares<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(grad) = self.grads.get::<D>(param.id) {
            let s = grad.square().sum();
            self.total = Some(match self.total.take() {
                Some(t) => t + s,
                None => s,
            });
        }
    }
}

struct Scale<'a> {
    grads: &'a mut GradientsParams,
    factor: f64,
}

impl ModuleVisitor for Scale<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(grad) = self.grads.remove::<D>(param.id) {
            self.grads.register(param.id, grad.mul_scalar(self.factor));
        }
    }
}
