//! Test-time augmentation by horizontal flips, as FFCV's ImageNet example validates
//! (`validation.lr_tta`, `train_imagenet.py`): the logits of an image are averaged with the
//! logits of its mirror image,
//!
//! ```text
//! logits = (f(x) + f(flip_w(x))) / 2
//! ```
//!
//! (FFCV adds the two; halving the sum changes neither the top-k nor anything but the scale of
//! the loss, and keeps the loss comparable with a run without TTA.)

use burn::tensor::Tensor;

/// Mean of `forward(x)` and `forward(x mirrored along the width)` for images `[n, c, h, w]`.
pub fn flip_tta(x: Tensor<4>, forward: impl Fn(Tensor<4>) -> Tensor<2>) -> Tensor<2> {
    let mirrored = x.clone().flip([3]);
    (forward(x) + forward(mirrored)).div_scalar(2.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    /// A "model" whose logits are (the sum of the left column, the sum of the right column) of
    /// a 1-channel 2 x 2 image. For [[1, 2], [3, 4]]: plain (4, 6), mirrored [[2, 1], [4, 3]]
    /// gives (6, 4), mean (5, 5). For [[1, 0], [0, 0]]: (1, 0) and (0, 1), mean (0.5, 0.5).
    #[test]
    fn flip_tta_logits_are_the_mean_of_both_views() {
        let device = Device::flex();
        let x = Tensor::<4>::from_floats(
            [[[[1.0, 2.0], [3.0, 4.0]]], [[[1.0, 0.0], [0.0, 0.0]]]],
            &device,
        );
        let columns = |x: Tensor<4>| x.sum_dim(2).flatten::<2>(1, 3);
        let logits = flip_tta(x, columns).into_data().convert::<f32>();
        assert_eq!(logits.as_slice::<f32>().unwrap(), &[5.0, 5.0, 0.5, 0.5]);
    }
}
