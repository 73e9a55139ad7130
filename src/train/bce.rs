//! Binary cross-entropy, the loss of "ResNet strikes back" (Wightman, Touvron & Jegou 2021,
//! Sec. 3), as timm's `BinaryCrossEntropy` computes it (`timm/loss/binary_cross_entropy.py`):
//! every class is its own yes/no problem, so a CutMix or mixup batch that shows two classes asks
//! for both.
//!
//! The soft targets `q` (one-hot, smoothed, mixed: [`super::loss::soft_targets`]) are optionally
//! binarized by the target threshold (`q > threshold -> 1, else 0`; RSB's `--bce-target-thresh
//! 0.2`), and the loss is the mean over the batch *and* the classes of
//!
//! ```text
//! l(x, q) = -q log sigmoid(x) - (1 - q) log(1 - sigmoid(x)) = max(x, 0) - x q + log(1 + e^-|x|)
//! ```
//!
//! (`F.binary_cross_entropy_with_logits(reduction="mean")`). timm smooths a label to
//! `1 - eps + eps/K` and `eps/K` (the `uniform` formula of `[label_smoothing]`).

use burn::tensor::Tensor;

/// timm's `target_threshold`: `q > threshold` becomes 1, the rest 0.
pub fn binarize_targets(targets: &mut [f32], threshold: f64) {
    for q in targets {
        *q = if *q as f64 > threshold { 1.0 } else { 0.0 };
    }
}

/// Mean over `[n, classes]` of the binary cross-entropy of `logits` against `targets` in [0, 1].
pub fn binary_cross_entropy(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    let softplus = logits.clone().abs().neg().exp().log1p() + logits.clone().clamp_min(0.0);
    (softplus - logits * targets).mean()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SmoothingFormula;
    use crate::train::loss::{MixPlan, TargetSmoothing, soft_targets, targets_tensor};
    use burn::tensor::Device;

    fn loss(logits: [[f32; 3]; 2], rows: usize, targets: Vec<f32>) -> f64 {
        let device = Device::flex();
        let x = Tensor::<2>::from_floats(logits, &device).slice(0..rows);
        let t = targets_tensor(targets, 3, &device);
        binary_cross_entropy(x, t).into_scalar::<f32>() as f64
    }

    const LOGITS: [[f32; 3]; 2] = [[2.0, -1.0, 0.5], [0.0, 1.0, -2.0]];

    /// Smoothing 0.1 over 3 classes (timm's form): on = 1 - 0.1 + 0.1/3 = 0.933333, off =
    /// 0.033333. Row 1, label 0, logits (2, -1, 0.5), with softplus(x) = log(1 + e^x):
    /// 2.126928 - 2(0.933333) = 0.260261; 0.313262 + 0.033333 = 0.346595;
    /// 0.974077 - 0.5(0.033333) = 0.957410; mean 0.521422.
    /// Row 2, label 2, logits (0, 1, -2): 0.693147, 1.313262 - 0.033333 = 1.279929,
    /// 0.126928 + 2(0.933333) = 1.993595; both rows together: mean of 6 = 0.921823.
    /// (timm's BinaryCrossEntropy(smoothing=0.1) gives 0.521422 and 0.921823.)
    #[test]
    fn bce_with_smoothing_on_three_classes() {
        let smoothing = TargetSmoothing {
            epsilon: 0.1,
            formula: SmoothingFormula::Uniform,
        };
        let one = soft_targets(&[0], 3, smoothing, None);
        assert!((loss(LOGITS, 1, one) - 0.521_422_2).abs() < 1e-5);
        let two = soft_targets(&[0, 2], 3, smoothing, None);
        assert!((loss(LOGITS, 2, two) - 0.921_822_8).abs() < 1e-5);
    }

    /// Mixed with lambda 0.7 (each row with the other) after smoothing: row 1 is
    /// (0.663333, 0.033333, 0.303333); threshold 0.2 makes it (1, 0, 1), row 2 (1, 0, 1) too.
    /// Loss: row 1 2.126928 - 2 + 0.313262 + 0.974077 - 0.5; row 2 0.693147 + 1.313262 +
    /// 0.126928 + 2; mean of 6 = 0.841267 (timm: mixup_target(lam=0.7, smoothing=0.1) then
    /// BinaryCrossEntropy(target_threshold=0.2) gives 0.841267).
    #[test]
    fn threshold_binarizes_mixed_targets() {
        let smoothing = TargetSmoothing {
            epsilon: 0.1,
            formula: SmoothingFormula::Uniform,
        };
        let plan = MixPlan {
            lambda: 0.7,
            partner: vec![1, 0],
        };
        let mut t = soft_targets(&[0, 2], 3, smoothing, Some(&plan));
        binarize_targets(&mut t, 0.2);
        assert_eq!(t, [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]);
        assert!((loss(LOGITS, 2, t) - 0.841_267_3).abs() < 1e-5);
    }
}
