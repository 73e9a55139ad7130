//! Stochastic depth (Huang et al., ECCV 2016) as timm's `DropPath` applies it in ResNets
//! (`timm/layers/drop.py`, `timm/models/resnet.py`): while training, the residual branch of
//! block `i` (of `N`, counted over all stages) is dropped for a whole sample with probability
//!
//! ```text
//! p_i = rate * i / (N - 1)        (timm's "stochastic depth linear decay rule")
//! ```
//!
//! so the first block always survives and the last survives with `1 - rate`; a kept branch is
//! scaled by `1 / (1 - p_i)` (`scale_by_keep`), so nothing changes at evaluation, where the
//! branch is always kept. "Training" is what BN and dropout use in burn: an autodiff device.

use burn::tensor::{Distribution, Tensor};

/// The drop probability of each of `blocks` residual blocks for a network-wide `rate`.
pub fn block_drop_rates(rate: f64, blocks: usize) -> Vec<f64> {
    if blocks <= 1 {
        return vec![0.0; blocks];
    }
    (0..blocks)
        .map(|i| rate * i as f64 / (blocks - 1) as f64)
        .collect()
}

/// `x` (`[n, ...]`, a residual branch) with each sample's branch zeroed with probability
/// `drop` and the kept ones scaled by `1 / (1 - drop)`; `x` itself outside training.
pub fn drop_path<const D: usize>(x: Tensor<D>, drop: f64) -> Tensor<D> {
    if drop <= 0.0 || !x.device().is_autodiff() {
        return x;
    }
    let keep = 1.0 - drop;
    let mut shape = [1usize; D];
    shape[0] = x.dims()[0];
    let mask = Tensor::<D>::random(shape, Distribution::Bernoulli(keep), &x.device());
    x * mask.div_scalar(keep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    /// ResNet-50 has 3 + 4 + 6 + 3 = 16 blocks; with rate 0.05 block i drops with
    /// 0.05 i / 15: block 0 never, block 5 with 1/60, block 15 with 0.05, so the survival
    /// probabilities run 1, 0.99667, 0.99333, ..., 0.95.
    #[test]
    fn survival_falls_linearly_with_depth() {
        let rates = block_drop_rates(0.05, 16);
        assert_eq!(rates.len(), 16);
        assert_eq!(rates[0], 0.0);
        let survival: Vec<f64> = rates.iter().map(|p| 1.0 - p).collect();
        for (i, want) in [
            (1, 0.996_666_7),
            (5, 0.983_333_3),
            (10, 0.966_666_7),
            (15, 0.95),
        ] {
            assert!(
                (survival[i] - want).abs() < 1e-7,
                "block {i}: {}",
                survival[i]
            );
        }
        // ResNet-18: 8 blocks, rate 0.1: 0, 1/70, ..., 0.1.
        assert!((block_drop_rates(0.1, 8)[1] - 0.1 / 7.0).abs() < 1e-15);
        assert_eq!(block_drop_rates(0.1, 1), [0.0]);
    }

    #[test]
    fn branches_drop_per_sample_while_training_only() {
        let device = Device::flex();
        device.seed(7);
        let x = Tensor::<4>::ones([4000, 1, 1, 1], &device.clone().autodiff());
        let y = drop_path(x, 0.25).inner().into_data().convert::<f32>();
        let y = y.as_slice::<f32>().unwrap();
        // Every value is 0 or 1 / 0.75; about 3000 of 4000 are kept (3 sigma = 82).
        assert!(y.iter().all(|&v| v == 0.0 || (v - 4.0 / 3.0).abs() < 1e-6));
        let kept = y.iter().filter(|&&v| v > 0.0).count();
        assert!((2918..=3082).contains(&kept), "{kept} kept");
        // At evaluation (no autodiff) the branch passes unchanged.
        let x = Tensor::<4>::ones([8, 1, 1, 1], &device);
        let y = drop_path(x, 0.25).into_data().convert::<f32>();
        assert!(y.as_slice::<f32>().unwrap().iter().all(|&v| v == 1.0));
    }
}
