//! An exponential moving average of the weights (EMA), as timm's `ModelEmaV3` keeps it
//! (`timm/utils/model_ema.py`): a second copy of the model, after optimizer update number
//! `t` (counted from 1 over the whole run, as timm's `num_updates`) moved towards the trained
//! weights by
//!
//! ```text
//! ema <- d ema + (1 - d) w,   d = decay(t)
//! decay(t) = 0                                 if s = t - update_after_step - 1 <= 0
//!          = clamp(1 - (1 + s / gamma)^-power, min_decay, decay)   with warm-up
//!          = decay                                                 without
//! ```
//!
//! so the first update copies the weights. Every float tensor is averaged, BN running
//! statistics included (timm's default `exclude_buffers = False`). The copy lives on the
//! training device without autodiff and is evaluated beside the raw weights.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::Tensor;

/// timm's `ModelEmaV3.get_decay`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmaDecay {
    pub decay: f64,
    pub min_decay: f64,
    pub update_after_step: usize,
    pub warmup: bool,
    pub warmup_gamma: f64,
    pub warmup_power: f64,
}

impl EmaDecay {
    /// timm's constructor defaults with `decay` and warm-up on or off (timm's `train.py`:
    /// `--model-ema-decay 0.9998`, `--model-ema-warmup`).
    pub fn new(decay: f64, warmup: bool) -> Self {
        Self {
            decay,
            min_decay: 0.0,
            update_after_step: 0,
            warmup,
            warmup_gamma: 1.0,
            warmup_power: 2.0 / 3.0,
        }
    }

    /// The decay used by update number `step` (1-based).
    pub fn at(&self, step: usize) -> f64 {
        let s = step as f64 - self.update_after_step as f64 - 1.0;
        if s <= 0.0 {
            return 0.0;
        }
        if self.warmup {
            let d = 1.0 - (1.0 + s / self.warmup_gamma).powf(-self.warmup_power);
            d.min(self.decay).max(self.min_decay)
        } else {
            self.decay
        }
    }
}

/// The averaged copy of a model.
#[derive(Debug, Clone)]
pub struct ModelEma<M> {
    pub module: M,
    /// Updates so far (timm's `num_updates`).
    pub updates: usize,
    pub decay: EmaDecay,
}

impl<M: Module> ModelEma<M> {
    /// Starts from `module` (the model without autodiff, e.g. `model.valid()`), which keeps
    /// the parameter ids of the trained model.
    pub fn new(module: M, decay: EmaDecay, updates: usize) -> Self {
        Self {
            module,
            updates,
            decay,
        }
    }

    /// One update after an optimizer step, towards `trained` (the trained model without
    /// autodiff; tensors are matched by parameter id). Returns the decay it used.
    pub fn update(&mut self, trained: &M) -> f64 {
        self.updates += 1;
        let d = self.decay.at(self.updates);
        let mut collect = Collect(HashMap::new());
        trained.visit(&mut collect);
        let module = self.module.clone();
        self.module = module.map(&mut Lerp {
            trained: collect.0,
            decay: d,
        });
        d
    }
}

/// Every float tensor of a module, flattened, by parameter id.
struct Collect(HashMap<ParamId, Tensor<1>>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.insert(param.id, param.val().flatten::<1>(0, D - 1));
    }
}

struct Lerp {
    trained: HashMap<ParamId, Tensor<1>>,
    decay: f64,
}

impl ModuleMapper for Lerp {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some(w) = self.trained.remove(&param.id) else {
            return param;
        };
        let id = param.id;
        let ema = param.val();
        let shape = ema.shape();
        let w: Tensor<D> = w.reshape(shape);
        let mixed = if self.decay == 0.0 {
            w
        } else {
            ema.mul_scalar(self.decay) + w.mul_scalar(1.0 - self.decay)
        };
        Param::initialized(id, mixed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    #[derive(Module, Debug)]
    struct One {
        w: Param<Tensor<2>>,
    }

    fn one(v: f32, like: Option<ParamId>) -> One {
        let t = Tensor::from_floats([[v, -v]], &Device::flex());
        One {
            w: match like {
                Some(id) => Param::initialized(id, t),
                None => Param::from_tensor(t),
            },
        }
    }

    fn value(m: &One) -> f64 {
        m.w.val()
            .into_data()
            .convert::<f32>()
            .as_slice::<f32>()
            .unwrap()[0] as f64
    }

    /// The EMA starts at w = 1; the trained weight is 2, 4, 8 after updates 1, 2, 3.
    /// Without warm-up, decay 0.5: update 1 copies (2), then 0.5*2 + 0.5*4 = 3, then
    /// 0.5*3 + 0.5*8 = 5.5. With warm-up (gamma 1, power 2/3): d(2) = 1 - 2^(-2/3) =
    /// 0.3700395, ema = 0.3700395*2 + 0.6299605*4 = 3.2599210; d(3) = 1 - 3^(-2/3) =
    /// 0.5192501, ema = 0.5192501*3.2599210 + 0.4807499*8 = 5.5387133 (timm's ModelEmaV3
    /// prints 3.2599211 and 5.5387135 in f32).
    #[test]
    fn ema_weights_after_three_steps_follow_timm() {
        for (warmup, decay, expected) in [
            (false, 0.5, [2.0, 3.0, 5.5]),
            (true, 0.9999, [2.0, 3.259_921_05, 5.538_713_33]),
        ] {
            let start = one(1.0, None);
            let id = start.w.id;
            let mut ema = ModelEma::new(start, EmaDecay::new(decay, warmup), 0);
            for (step, (trained, want)) in [2.0, 4.0, 8.0].into_iter().zip(expected).enumerate() {
                ema.update(&one(trained, Some(id)));
                let got = value(&ema.module);
                assert!(
                    (got - want).abs() < 1e-5,
                    "warm-up {warmup}, update {}: {got} vs {want}",
                    step + 1
                );
            }
            assert_eq!(ema.updates, 3);
        }
    }

    #[test]
    fn decay_warms_up_to_its_ceiling() {
        let d = EmaDecay::new(0.9998, true);
        assert_eq!(d.at(1), 0.0);
        // 1 - (1 + 999)^(-2/3) = 1 - 0.01 = 0.99
        assert!((d.at(1000) - 0.99).abs() < 1e-12);
        assert_eq!(d.at(10_000_000), 0.9998);
        assert_eq!(EmaDecay::new(0.9998, false).at(2), 0.9998);
    }
}
