//! CutMix (Yun et al., ICCV 2019): a box cut from a partner image is pasted into each image
//! of the batch, and the targets are mixed by the share of the image each one keeps. As timm's
//! `rand_bbox` and `cutmix_bbox_and_lam` (`timm/data/mixup.py`) do it:
//!
//! ```text
//! lambda ~ Beta(alpha, alpha);  r = sqrt(1 - lambda);  cut = (int(H r), int(W r))
//! center (cy, cx) uniform over the pixels;  box = [cy - cut_h // 2, cy + (cut_h + 1) // 2)
//!                                                 x [cx - cut_w // 2, cx + (cut_w + 1) // 2),
//! clipped to the image;  lambda <- 1 - box area / (H W)   (timm's correct_lam)
//! ```
//!
//! The correction matters: a box that hangs over the border is clipped, so the pasted share is
//! smaller than `1 - lambda`, and the targets must follow the pixels.

use burn::tensor::{Int, Tensor, TensorData};

use super::loss::MixPlan;

/// Rows `top..bottom` and columns `left..right` of every image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CutBox {
    pub top: usize,
    pub bottom: usize,
    pub left: usize,
    pub right: usize,
}

impl CutBox {
    /// timm's `rand_bbox` for a `height` x `width` image, given the drawn center.
    pub fn around(height: usize, width: usize, lambda: f64, cy: usize, cx: usize) -> Self {
        let ratio = (1.0 - lambda).max(0.0).sqrt();
        let cut_h = (height as f64 * ratio) as usize;
        let cut_w = (width as f64 * ratio) as usize;
        let clip = |v: isize, hi: usize| v.clamp(0, hi as isize) as usize;
        CutBox {
            top: clip(cy as isize - (cut_h / 2) as isize, height),
            bottom: clip((cy + cut_h.div_ceil(2)) as isize, height),
            left: clip(cx as isize - (cut_w / 2) as isize, width),
            right: clip((cx + cut_w.div_ceil(2)) as isize, width),
        }
    }

    pub fn area(&self) -> usize {
        (self.bottom - self.top) * (self.right - self.left)
    }

    /// The share of each image that stays its own: `1 - area / (H W)`.
    pub fn corrected_lambda(&self, height: usize, width: usize) -> f64 {
        1.0 - self.area() as f64 / (height * width) as f64
    }
}

/// Images `[n, c, h, w]` with the box of image `plan.partner[i]` pasted into image `i` (every
/// paste reads the batch as it was before any).
pub fn paste_boxes(x: Tensor<4>, plan: &MixPlan, cut: &CutBox) -> Tensor<4> {
    if cut.area() == 0 {
        return x;
    }
    let device = x.device();
    let [n, c, _, _] = x.dims();
    let index: Vec<i64> = plan.partner.iter().map(|&i| i as i64).collect();
    let index = Tensor::<1, Int>::from_data(TensorData::new(index, [n]), &device);
    let ranges = [0..n, 0..c, cut.top..cut.bottom, cut.left..cut.right];
    let boxes = x.clone().select(0, index).slice(ranges.clone());
    x.slice_assign(ranges, boxes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 10 x 10 image, lambda 0.75: r = sqrt(0.25) = 0.5, a 5 x 5 cut. Centered at (1, 8):
    /// rows 1 - 2 = -1 -> 0 to 1 + 3 = 4, columns 8 - 2 = 6 to 8 + 3 = 11 -> 10: a 4 x 4 box
    /// after clipping, 16 pixels instead of 25, so lambda becomes 1 - 16/100 = 0.84 (not 0.75).
    #[test]
    fn clipped_box_corrects_lambda_to_its_true_area() {
        let cut = CutBox::around(10, 10, 0.75, 1, 8);
        assert_eq!(
            cut,
            CutBox {
                top: 0,
                bottom: 4,
                left: 6,
                right: 10
            }
        );
        assert_eq!(cut.area(), 16);
        assert!((cut.corrected_lambda(10, 10) - 0.84).abs() < 1e-12);
        // Inside the image nothing is clipped: 25 pixels, lambda stays 0.75.
        let inside = CutBox::around(10, 10, 0.75, 5, 5);
        assert_eq!(inside.area(), 25);
        assert!((inside.corrected_lambda(10, 10) - 0.75).abs() < 1e-12);
    }

    /// Two 3-channel 2 x 2 images (image 0 all 0s, image 1 all 1s), swapped, box = the
    /// top-right pixel: each gets the other's value there, in every channel.
    #[test]
    fn paste_copies_the_partner_box_into_every_channel() {
        let device = burn::tensor::Device::flex();
        let images = [vec![0.0f32; 12], vec![1.0f32; 12]].concat();
        let x = Tensor::<4>::from_data(TensorData::new(images, [2, 3, 2, 2]), &device);
        let plan = MixPlan {
            lambda: 0.75,
            partner: vec![1, 0],
        };
        let cut = CutBox {
            top: 0,
            bottom: 1,
            left: 1,
            right: 2,
        };
        let out = paste_boxes(x, &plan, &cut).into_data().convert::<f32>();
        let out = out.as_slice::<f32>().unwrap();
        let image0 = [0., 1., 0., 0., 0., 1., 0., 0., 0., 1., 0., 0.];
        let image1 = [1., 0., 1., 1., 1., 0., 1., 1., 1., 0., 1., 1.];
        assert_eq!(out[..12], image0);
        assert_eq!(out[12..], image1);
    }
}
