//! The training losses: cross entropy against soft targets, which covers hard labels, label
//! smoothing (Sec. 5.2), mixup's mixed targets (Sec. 5.4), and knowledge distillation (Sec. 5.3).
//!
//! Targets are built on the host (they are `batch x classes` floats, tiny next to the images)
//! and the loss is computed on the device from `log_softmax(logits)`.

use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::{Device, Tensor, TensorData};

use crate::config::{LabelSmoothing, SmoothingFormula};

/// The target distribution of one label: one-hot, or label-smoothed.
///
/// `Paper` follows Eq. 4 of the paper: `1 - eps` for the true class and `eps / (K - 1)` for each
/// other, so the true class gets exactly `1 - eps`. `Uniform` is what GluonCV and timm implement:
/// mix the one-hot vector with the uniform distribution, `1 - eps + eps / K` and `eps / K`. The
/// paper's form is the default because botui reproduces the paper; the other is one switch away
/// for users comparing against timm or GluonCV runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetSmoothing {
    pub epsilon: f64,
    pub formula: SmoothingFormula,
}

impl TargetSmoothing {
    pub const NONE: Self = Self {
        epsilon: 0.0,
        formula: SmoothingFormula::Paper,
    };

    pub fn from_config(config: &LabelSmoothing) -> Self {
        if config.enabled {
            Self {
                epsilon: config.epsilon,
                formula: config.formula,
            }
        } else {
            Self::NONE
        }
    }

    /// (true class, every other class) probabilities for `classes` classes.
    pub fn values(&self, classes: usize) -> (f64, f64) {
        let eps = self.epsilon;
        let k = classes as f64;
        match self.formula {
            SmoothingFormula::Paper => (1.0 - eps, eps / (k - 1.0)),
            SmoothingFormula::Uniform => (1.0 - eps + eps / k, eps / k),
        }
    }

    /// What the run log says about this choice.
    pub fn describe(&self) -> String {
        match self.formula {
            SmoothingFormula::Paper => format!(
                "label smoothing eps = {}: the paper's Eq. 4, 1 - eps on the true class and eps/(K-1) on the others",
                self.epsilon
            ),
            SmoothingFormula::Uniform => format!(
                "label smoothing eps = {}: GluonCV/timm's form, 1 - eps + eps/K on the true class and eps/K on the others",
                self.epsilon
            ),
        }
    }
}

/// Mixup for one batch: sample `i` is mixed with sample `partner[i]` with weight `lambda`.
#[derive(Debug, Clone, PartialEq)]
pub struct MixPlan {
    pub lambda: f64,
    pub partner: Vec<usize>,
}

/// Soft targets `[n, classes]`, row-major, for `labels` with smoothing and optional mixup:
/// `q_i = lambda * smooth(y_i) + (1 - lambda) * smooth(y_partner(i))`.
pub fn soft_targets(
    labels: &[usize],
    classes: usize,
    smoothing: TargetSmoothing,
    mix: Option<&MixPlan>,
) -> Vec<f32> {
    let (on, off) = smoothing.values(classes);
    let n = labels.len();
    let mut out = vec![0.0f64; n * classes];
    let mut add = |row: usize, label: usize, weight: f64| {
        let r = &mut out[row * classes..(row + 1) * classes];
        for (c, v) in r.iter_mut().enumerate() {
            *v += weight * if c == label { on } else { off };
        }
    };
    for (i, &label) in labels.iter().enumerate() {
        match mix {
            None => add(i, label, 1.0),
            Some(plan) => {
                add(i, label, plan.lambda);
                add(i, labels[plan.partner[i]], 1.0 - plan.lambda);
            }
        }
    }
    out.into_iter().map(|v| v as f32).collect()
}

/// Host targets as a device tensor `[n, classes]`.
pub fn targets_tensor(targets: Vec<f32>, classes: usize, device: &Device) -> Tensor<2> {
    let n = targets.len() / classes;
    Tensor::from_data(TensorData::new(targets, [n, classes]), device)
}

/// Mean over the batch of `-sum_k q_k log softmax(logits)_k`.
pub fn soft_cross_entropy(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    let log_p = log_softmax(logits, 1);
    (targets * log_p).sum_dim(1).mean().neg()
}

/// Knowledge distillation (Sec. 5.3), weighted as GluonCV does:
/// `w * CE(q, softmax(z)) + (1 - w) * T^2 * CE(softmax(r / T), softmax(z / T))`,
/// with `z` the student's logits, `r` the teacher's and `q` the (possibly smoothed or mixed)
/// targets. The paper writes the unweighted sum; with `w = 0.5` this is half of it, which only
/// rescales the learning rate's effect. The teacher's logits are constants (no gradient).
pub fn distillation_loss(
    student: Tensor<2>,
    teacher: Tensor<2>,
    targets: Tensor<2>,
    temperature: f64,
    hard_weight: f64,
) -> Tensor<1> {
    let hard = soft_cross_entropy(student.clone(), targets);
    let teacher_p = softmax(teacher.div_scalar(temperature), 1).detach();
    let soft = soft_cross_entropy(student.div_scalar(temperature), teacher_p);
    hard.mul_scalar(hard_weight) + soft.mul_scalar((1.0 - hard_weight) * temperature * temperature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SmoothingFormula;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn smoothing_values_follow_both_formulas() {
        let paper = TargetSmoothing {
            epsilon: 0.1,
            formula: SmoothingFormula::Paper,
        };
        let (on, off) = paper.values(3);
        assert!(close(on, 0.9, 1e-12) && close(off, 0.05, 1e-12));
        let uniform = TargetSmoothing {
            epsilon: 0.1,
            formula: SmoothingFormula::Uniform,
        };
        let (on, off) = uniform.values(4);
        assert!(close(on, 0.925, 1e-12) && close(off, 0.025, 1e-12));
    }

    #[test]
    fn mixed_targets_use_the_same_lambda() {
        let plan = MixPlan {
            lambda: 0.7,
            partner: vec![1, 0],
        };
        let t = soft_targets(&[0, 2], 3, TargetSmoothing::NONE, Some(&plan));
        let expect = [0.7, 0.0, 0.3, 0.3, 0.0, 0.7];
        for (a, b) in t.iter().zip(expect) {
            assert!(close(*a as f64, b, 1e-6), "{t:?}");
        }
    }
}
