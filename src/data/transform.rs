//! The paper's training and validation transforms (Sec. 2; PAPER.md section 1).
//!
//! Training, in the paper's order, each step a switch of [`AugmentSection`]:
//! 1. decode to RGB (done by the dataset);
//! 2. random resized crop: area ~ U[8 %, 100 %] of the image, aspect ratio (w / h) ~
//!    U[3/4, 4/3], up to 10 tries, else a center crop clamped to the aspect bounds
//!    (torchvision's fallback); resized to `size` x `size`. The aspect ratio is drawn
//!    uniformly as the paper says; torchvision draws it log-uniformly (its mean is 1.014
//!    instead of 1.042);
//! 3. horizontal flip with p = 0.5;
//! 4. brightness, saturation and hue scaled by factors ~ U[1 - jitter, 1 + jitter] in a random
//!    order (see [`super::color`] for what scaling hue means);
//! 5. PCA lighting noise, alpha ~ N(0, lighting_std);
//! 6. normalization by the paper's mean and std.
//!
//! RandAugment (after the paper: [`super::randaugment`]), when on, acts on the 8-bit image
//! between steps 3 and 4, as timm places it after the crop and flip.
//!
//! Validation: shorter side resized to `round(size / val_crop_ratio)`, center crop `size`,
//! normalization. With the crop off, training uses the validation geometry.
//!
//! Randomness: image `index` in `epoch` draws from its own generator seeded by
//! (seed, epoch, index), so a batch is the same whichever worker made it.

use image::{Rgb, RgbImage};

use super::color::{self, Jitter, JitterStep};
use super::pixel::PixelMap;
use super::randaugment::{self, RandAugment};
use super::resample::{Scratch, Window};
use super::rng::{DataRng, stream};
use crate::config::AugmentSection;

/// The attempts torchvision's (and GluonCV's) RandomResizedCrop makes before falling back.
pub const CROP_ATTEMPTS: usize = 10;

/// A crop in pixels of the source image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CropBox {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// Everything drawn for one training image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainParams {
    /// `None`: validation geometry (crop switched off).
    pub crop: Option<CropBox>,
    pub flip: bool,
    pub jitter: Option<Jitter>,
    /// Lighting coefficients alpha (one per eigenvector).
    pub lighting: Option<[f64; 3]>,
    /// RandAugment's operations for this image.
    pub randaugment: Option<randaugment::Draw>,
}

/// Draws a random resized crop of a `width` x `height` image.
pub fn random_resized_crop(
    width: u32,
    height: u32,
    area: [f64; 2],
    aspect: [f64; 2],
    rng: &mut DataRng,
) -> CropBox {
    let (w_img, h_img) = (width as f64, height as f64);
    for _ in 0..CROP_ATTEMPTS {
        let target = w_img * h_img * rng.uniform(area[0], area[1]);
        let ratio = rng.uniform(aspect[0], aspect[1]);
        let w = (target * ratio).sqrt().round();
        let h = (target / ratio).sqrt().round();
        if w >= 1.0 && h >= 1.0 && w <= w_img && h <= h_img {
            let (w, h) = (w as u32, h as u32);
            let x = rng.below((width - w) as u64 + 1) as u32;
            let y = rng.below((height - h) as u64 + 1) as u32;
            return CropBox { x, y, w, h };
        }
    }
    // Fallback: the whole image, cut to the nearest allowed aspect ratio, centered.
    let in_ratio = w_img / h_img;
    let (w, h) = if in_ratio < aspect[0] {
        (w_img, (w_img / aspect[0]).round())
    } else if in_ratio > aspect[1] {
        ((h_img * aspect[1]).round(), h_img)
    } else {
        (w_img, h_img)
    };
    let (w, h) = ((w as u32).clamp(1, width), (h as u32).clamp(1, height));
    CropBox {
        x: (width - w) / 2,
        y: (height - h) / 2,
        w,
        h,
    }
}

/// The validation geometry: the window of the source that the center crop of the resized
/// image covers (the filter may read the whole image, as resize-then-crop does).
pub fn center_window(width: u32, height: u32, size: usize, ratio: f64) -> Window {
    let (w, h) = (width as f64, height as f64);
    let short_target = (size as f64 / ratio).round().max(size as f64);
    // torchvision's Resize(int): the short side becomes the target, the long side is
    // truncated; center_crop offsets are rounded.
    let (rw, rh) = if w <= h {
        (
            short_target,
            (short_target * h / w).floor().max(size as f64),
        )
    } else {
        (
            (short_target * w / h).floor().max(size as f64),
            short_target,
        )
    };
    let left = ((rw - size as f64) / 2.0).round();
    let top = ((rh - size as f64) / 2.0).round();
    let (sx, sy) = (w / rw, h / rh);
    Window {
        x: left * sx,
        y: top * sy,
        w: size as f64 * sx,
        h: size as f64 * sy,
        bounds: [0, 0, width as usize, height as usize],
    }
}

/// The training transform.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainTransform {
    pub size: usize,
    pub augment: AugmentSection,
    pub randaugment: Option<RandAugment>,
}

impl TrainTransform {
    pub fn new(size: usize, augment: &AugmentSection) -> Self {
        TrainTransform {
            size,
            augment: augment.clone(),
            randaugment: None,
        }
    }

    /// The same transform with RandAugment after the crop and flip.
    pub fn with_randaugment(mut self, policy: Option<RandAugment>) -> Self {
        self.randaugment = policy;
        self
    }

    /// The random draws for one image of `width` x `height`.
    pub fn sample(&self, width: u32, height: u32, rng: &mut DataRng) -> TrainParams {
        let a = &self.augment;
        let crop = a
            .random_resized_crop
            .then(|| random_resized_crop(width, height, a.crop_area, a.crop_aspect, rng));
        let flip = a.flip && rng.chance(0.5);
        let jitter = a.color_jitter.then(|| {
            let (lo, hi) = (1.0 - a.jitter, 1.0 + a.jitter);
            let mut order = [
                JitterStep::Brightness,
                JitterStep::Saturation,
                JitterStep::Hue,
            ];
            let brightness = rng.uniform(lo, hi);
            let saturation = rng.uniform(lo, hi);
            let hue = rng.uniform(lo, hi);
            rng.shuffle(&mut order);
            Jitter {
                brightness,
                saturation,
                hue,
                order,
            }
        });
        let lighting = (a.lighting && a.lighting_std > 0.0)
            .then(|| [0; 3].map(|_| rng.normal() * a.lighting_std));
        let randaugment = self.randaugment.map(|policy| policy.draw(rng));
        TrainParams {
            crop,
            flip,
            jitter,
            lighting,
            randaugment,
        }
    }

    /// Applies drawn parameters; `out` receives `3 * size * size` values, CHW.
    pub fn apply(&self, img: &RgbImage, p: &TrainParams, scratch: &mut Scratch, out: &mut [f32]) {
        let window = match p.crop {
            Some(c) => Window {
                x: c.x as f64,
                y: c.y as f64,
                w: c.w as f64,
                h: c.h as f64,
                bounds: [
                    c.x as usize,
                    c.y as usize,
                    (c.x + c.w) as usize,
                    (c.y + c.h) as usize,
                ],
            },
            None => center_window(
                img.width(),
                img.height(),
                self.size,
                self.augment.val_crop_ratio,
            ),
        };
        let pixel = PixelMap::new(
            p.jitter.map(|j| j.matrix()),
            p.lighting.map(color::lighting_offset).unwrap_or([0.0; 3]),
            self.augment.normalize,
        );
        let Some(draw) = &p.randaugment else {
            pixel.resize_into(img, &window, self.size, p.flip, scratch, out);
            return;
        };
        // RandAugment works on the 8-bit crop, as timm's does on the PIL image.
        PixelMap::new(None, [0.0; 3], false)
            .resize_into(img, &window, self.size, p.flip, scratch, out);
        let mut crop = chw_to_rgb(out, self.size);
        randaugment::apply(&mut crop, draw, color::MEAN.map(|m| m.round() as u8));
        pixel.map_into(&crop, out);
    }
}

/// CHW floats in [0, 255] (unnormalized) as an 8-bit image, rounded.
fn chw_to_rgb(chw: &[f32], size: usize) -> RgbImage {
    let plane = size * size;
    let byte = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    RgbImage::from_fn(size as u32, size as u32, |x, y| {
        let i = y as usize * size + x as usize;
        Rgb([byte(chw[i]), byte(chw[plane + i]), byte(chw[2 * plane + i])])
    })
}

/// The validation transform.
#[derive(Debug, Clone, PartialEq)]
pub struct ValTransform {
    pub size: usize,
    pub ratio: f64,
    pub normalize: bool,
}

impl ValTransform {
    pub fn new(size: usize, augment: &AugmentSection) -> Self {
        ValTransform {
            size,
            ratio: augment.val_crop_ratio,
            normalize: augment.normalize,
        }
    }

    pub fn apply(&self, img: &RgbImage, scratch: &mut Scratch, out: &mut [f32]) {
        let window = center_window(img.width(), img.height(), self.size, self.ratio);
        PixelMap::new(None, [0.0; 3], self.normalize)
            .resize_into(img, &window, self.size, false, scratch, out);
    }
}

/// Either transform, as the loader holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Transform {
    Train(TrainTransform),
    Val(ValTransform),
}

impl Transform {
    pub fn size(&self) -> usize {
        match self {
            Transform::Train(t) => t.size,
            Transform::Val(t) => t.size,
        }
    }

    /// The same transform producing `size` x `size` images.
    pub fn with_size(&self, size: usize) -> Transform {
        let mut t = self.clone();
        match &mut t {
            Transform::Train(t) => t.size = size,
            Transform::Val(t) => t.size = size,
        }
        t
    }

    /// Transforms image `index` of `epoch` under `seed` into `out` (CHW, `3 * size^2`).
    pub fn apply(
        &self,
        img: &RgbImage,
        seed: u64,
        epoch: usize,
        index: usize,
        scratch: &mut Scratch,
        out: &mut [f32],
    ) {
        match self {
            Transform::Train(t) => {
                let mut rng = DataRng::for_image(stream::AUGMENT, seed, epoch as u64, index as u64);
                let params = t.sample(img.width(), img.height(), &mut rng);
                t.apply(img, &params, scratch, out);
            }
            Transform::Val(t) => t.apply(img, scratch, out),
        }
    }
}
