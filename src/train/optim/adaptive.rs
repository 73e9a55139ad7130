//! What Adam-family optimizers share: the two moment decay rates and the epsilon, and how
//! no-bias-decay splits the parameters into a decayed group and an exempt one.

use burn::module::ParamGroup;
use burn::optim::{DynOptimizer, ModuleOptimizer, Optimizer};

use super::NO_DECAY_PATTERN;

/// `betas = (beta1, beta2)` and `eps`, as torch and timm name them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    pub beta1: f64,
    pub beta2: f64,
    pub epsilon: f64,
}

/// `decayed` for every parameter; with no-bias-decay, `exempt` (the same optimizer without
/// weight decay) for biases and BN gamma/beta, as for NAG.
pub fn with_no_bias_decay<O, E>(decayed: O, exempt: E, no_bias_decay: bool) -> ModuleOptimizer
where
    O: Optimizer,
    E: DynOptimizer + 'static,
{
    let optim = ModuleOptimizer::from(decayed);
    if !no_bias_decay {
        return optim;
    }
    let group = ParamGroup::from_regex(NO_DECAY_PATTERN).expect("static pattern");
    optim.with_group(group, exempt, None)
}
