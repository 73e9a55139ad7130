//! RandAugment (Cubuk et al., 2020) with timm's semantics (`rand_augment_transform` in
//! `timm/data/auto_augment.py`), the augmentation of "ResNet strikes back" A1-A3
//! (`rand-m7-mstd0.5-inc1`; A3 uses magnitude 6):
//!
//! - each image gets `layers` (timm's `n`, 2) operations drawn uniformly *with* replacement
//!   from the 15 below, each then applied with probability `probability` (timm's `p`, 0.5);
//! - each applied operation draws its magnitude `m ~ N(magnitude, magnitude_std)` clamped to
//!   [0, 10] (`mstd`), and maps it to its argument (`m / 10` of the range):
//!
//! | operation | argument (`increasing`, timm's `inc1`) | without `inc1` |
//! |---|---|---|
//! | AutoContrast, Equalize, Invert | none | none |
//! | Rotate | +-30 m/10 degrees | same |
//! | Posterize | keep 4 - int(4 m/10) bits | keep int(4 m/10) bits |
//! | Solarize | threshold 256 - int(256 m/10) | threshold int(256 m/10) |
//! | SolarizeAdd | add int(110 m/10) below 128 | same |
//! | Color, Contrast, Brightness, Sharpness | factor max(0.1, 1 +- 0.9 m/10) | 0.1 + 1.8 m/10 |
//! | ShearX, ShearY | +-0.3 m/10 | same |
//! | TranslateXRel, TranslateYRel | +-0.45 m/10 of the side | same |
//!
//! (a sign `+-` is drawn with even odds). The geometric operations resample with bilinear or
//! bicubic interpolation, picked at random (timm's default `--train-interpolation random`),
//! and fill with the dataset mean. The operations act on the 8-bit image after the random
//! crop and flip, before colour jitter, lighting and normalization, as in timm.

pub mod affine;
pub mod ops;

use image::RgbImage;

use self::affine::{Affine, Resample, transform};
use super::rng::DataRng;

/// timm's `_LEVEL_DENOM`: magnitudes are tenths of an operation's range.
pub const LEVEL_DENOM: f64 = 10.0;

/// The policy: timm's `rand-m{magnitude}-n{layers}-p{probability}-mstd{magnitude_std}-inc{0|1}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RandAugment {
    pub layers: usize,
    pub magnitude: f64,
    pub magnitude_std: f64,
    pub probability: f64,
    pub increasing: bool,
}

impl RandAugment {
    /// The policy a config section asks for, when on.
    pub fn from_config(
        c: &crate::config::after_paper_sections::RandAugmentSection,
    ) -> Option<Self> {
        c.enabled.then_some(RandAugment {
            layers: c.layers,
            magnitude: c.magnitude,
            magnitude_std: c.magnitude_std,
            probability: c.probability,
            increasing: c.increasing,
        })
    }

    /// RSB A1/A2's `rand-m7-mstd0.5-inc1`.
    pub const RSB: RandAugment = RandAugment {
        layers: 2,
        magnitude: 7.0,
        magnitude_std: 0.5,
        probability: 0.5,
        increasing: true,
    };
}

/// The 15 operations, in timm's `_RAND_TRANSFORMS` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    AutoContrast,
    Equalize,
    Invert,
    Rotate,
    Posterize,
    Solarize,
    SolarizeAdd,
    Color,
    Contrast,
    Brightness,
    Sharpness,
    ShearX,
    ShearY,
    TranslateXRel,
    TranslateYRel,
}

impl Operation {
    pub const ALL: [Operation; 15] = [
        Self::AutoContrast,
        Self::Equalize,
        Self::Invert,
        Self::Rotate,
        Self::Posterize,
        Self::Solarize,
        Self::SolarizeAdd,
        Self::Color,
        Self::Contrast,
        Self::Brightness,
        Self::Sharpness,
        Self::ShearX,
        Self::ShearY,
        Self::TranslateXRel,
        Self::TranslateYRel,
    ];

    /// timm's name (`_RAND_INCREASING_TRANSFORMS` when `increasing`).
    pub fn timm_name(self, increasing: bool) -> &'static str {
        use Operation::*;
        match (self, increasing) {
            (AutoContrast, _) => "AutoContrast",
            (Equalize, _) => "Equalize",
            (Invert, _) => "Invert",
            (Rotate, _) => "Rotate",
            (Posterize, true) => "PosterizeIncreasing",
            (Posterize, false) => "Posterize",
            (Solarize, true) => "SolarizeIncreasing",
            (Solarize, false) => "Solarize",
            (SolarizeAdd, _) => "SolarizeAdd",
            (Color, true) => "ColorIncreasing",
            (Color, false) => "Color",
            (Contrast, true) => "ContrastIncreasing",
            (Contrast, false) => "Contrast",
            (Brightness, true) => "BrightnessIncreasing",
            (Brightness, false) => "Brightness",
            (Sharpness, true) => "SharpnessIncreasing",
            (Sharpness, false) => "Sharpness",
            (ShearX, _) => "ShearX",
            (ShearY, _) => "ShearY",
            (TranslateXRel, _) => "TranslateXRel",
            (TranslateYRel, _) => "TranslateYRel",
        }
    }

    /// The argument at magnitude `m` (already clamped), `negate` deciding a signed one's sign.
    pub fn argument(self, m: f64, increasing: bool, negate: bool) -> Step {
        use Operation::*;
        let level = m / LEVEL_DENOM;
        let signed = |v: f64| if negate { -v } else { v };
        let enhance = if increasing {
            (1.0 + signed(level * 0.9)).max(0.1)
        } else {
            level * 1.8 + 0.1
        };
        match self {
            AutoContrast => Step::AutoContrast,
            Equalize => Step::Equalize,
            Invert => Step::Invert,
            Rotate => Step::Rotate(signed(level * 30.0)),
            Posterize => {
                let bits = (level * 4.0) as u32;
                Step::Posterize(if increasing { 4 - bits } else { bits })
            }
            Solarize => {
                let t = ((level * 256.0) as u32).min(256);
                Step::Solarize(if increasing { 256 - t } else { t })
            }
            SolarizeAdd => Step::SolarizeAdd(((level * 110.0) as u32).min(128)),
            Color => Step::Color(enhance),
            Contrast => Step::Contrast(enhance),
            Brightness => Step::Brightness(enhance),
            Sharpness => Step::Sharpness(enhance),
            ShearX => Step::ShearX(signed(level * 0.3)),
            ShearY => Step::ShearY(signed(level * 0.3)),
            TranslateXRel => Step::TranslateX(signed(level * 0.45)),
            TranslateYRel => Step::TranslateY(signed(level * 0.45)),
        }
    }

    fn signed(self) -> bool {
        use Operation::*;
        matches!(
            self,
            Rotate | ShearX | ShearY | TranslateXRel | TranslateYRel
        )
    }

    fn geometric(self) -> bool {
        use Operation::*;
        matches!(
            self,
            Rotate | ShearX | ShearY | TranslateXRel | TranslateYRel
        )
    }
}

/// One operation with its argument drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    AutoContrast,
    Equalize,
    Invert,
    Rotate(f64),
    /// Bits kept.
    Posterize(u32),
    /// Threshold.
    Solarize(u32),
    /// Added below 128.
    SolarizeAdd(u32),
    Color(f64),
    Contrast(f64),
    Brightness(f64),
    Sharpness(f64),
    ShearX(f64),
    ShearY(f64),
    /// A fraction of the width.
    TranslateX(f64),
    /// A fraction of the height.
    TranslateY(f64),
}

/// The most operations an image can get.
pub use crate::config::after_paper_sections::MAX_LAYERS;

/// What was drawn for one image: up to [`MAX_LAYERS`] steps, each with its resampling filter.
pub type Draw = [Option<(Step, Resample)>; MAX_LAYERS];

impl RandAugment {
    /// The operations for one image.
    pub fn draw(&self, rng: &mut DataRng) -> Draw {
        let mut draw: Draw = [None; MAX_LAYERS];
        for slot in draw.iter_mut().take(self.layers.min(MAX_LAYERS)) {
            let op = Operation::ALL[rng.below(Operation::ALL.len() as u64) as usize];
            if self.probability < 1.0 && rng.unit() > self.probability {
                continue;
            }
            let mut m = self.magnitude;
            if self.magnitude_std > 0.0 {
                m += self.magnitude_std * rng.normal();
            }
            let m = m.clamp(0.0, LEVEL_DENOM);
            let negate = op.signed() && rng.unit() > 0.5;
            let resample = if op.geometric() && rng.chance(0.5) {
                Resample::Bicubic
            } else {
                Resample::Bilinear
            };
            *slot = Some((op.argument(m, self.increasing, negate), resample));
        }
        draw
    }
}

/// Applies drawn steps in order; `fill` is the colour of pixels moved in from outside.
pub fn apply(img: &mut RgbImage, draw: &Draw, fill: [u8; 3]) {
    for (step, resample) in draw.iter().flatten() {
        let (w, h) = (img.width(), img.height());
        let geometric = |map: Affine| transform(img, map, *resample, fill);
        let moved = match *step {
            Step::AutoContrast => {
                ops::auto_contrast(img);
                None
            }
            Step::Equalize => {
                ops::equalize(img);
                None
            }
            Step::Invert => {
                ops::invert(img);
                None
            }
            Step::Posterize(bits) => {
                ops::posterize(img, bits);
                None
            }
            Step::Solarize(t) => {
                ops::solarize(img, t);
                None
            }
            Step::SolarizeAdd(add) => {
                ops::solarize_add(img, add, 128);
                None
            }
            Step::Color(f) => {
                ops::color(img, f);
                None
            }
            Step::Contrast(f) => {
                ops::contrast(img, f);
                None
            }
            Step::Brightness(f) => {
                ops::brightness(img, f);
                None
            }
            Step::Sharpness(f) => {
                ops::sharpness(img, f);
                None
            }
            Step::Rotate(deg) => Some(geometric(Affine::rotate(deg, w, h))),
            Step::ShearX(f) => Some(geometric(Affine::shear_x(f))),
            Step::ShearY(f) => Some(geometric(Affine::shear_y(f))),
            Step::TranslateX(p) => Some(geometric(Affine::translate(p * w as f64, 0.0))),
            Step::TranslateY(p) => Some(geometric(Affine::translate(0.0, p * h as f64))),
        };
        if let Some(out) = moved {
            *img = out;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// timm's `_RAND_INCREASING_TRANSFORMS` and `_RAND_TRANSFORMS`, in order.
    #[test]
    fn operations_are_timms_fifteen() {
        let inc: Vec<&str> = Operation::ALL.iter().map(|o| o.timm_name(true)).collect();
        assert_eq!(
            inc,
            [
                "AutoContrast",
                "Equalize",
                "Invert",
                "Rotate",
                "PosterizeIncreasing",
                "SolarizeIncreasing",
                "SolarizeAdd",
                "ColorIncreasing",
                "ContrastIncreasing",
                "BrightnessIncreasing",
                "SharpnessIncreasing",
                "ShearX",
                "ShearY",
                "TranslateXRel",
                "TranslateYRel"
            ]
        );
        assert_eq!(Operation::Posterize.timm_name(false), "Posterize");
    }

    /// Magnitude 7 (RSB A1/A2) worked out from timm's level functions: rotate 0.7 * 30 = 21
    /// degrees; posterize keeps 4 - int(2.8) = 2 bits (inc) or int(2.8) = 2; solarize at
    /// 256 - int(179.2) = 77 (inc) or 179; solarize_add int(77.0) = 77; enhance factors
    /// 1 +- 0.63 (inc) or 0.7 * 1.8 + 0.1 = 1.36; shear 0.21; translate 0.315.
    /// Magnitude 10: posterize keeps 0 bits, solarize at 0 (inc), enhance 1 - 0.9 = 0.1.
    #[test]
    fn arguments_at_magnitude_seven_and_ten() {
        use Operation::*;
        let close = |s: Step, want: f64| {
            let got = match s {
                Step::Rotate(v)
                | Step::Color(v)
                | Step::Contrast(v)
                | Step::Brightness(v)
                | Step::Sharpness(v)
                | Step::ShearX(v)
                | Step::ShearY(v)
                | Step::TranslateX(v)
                | Step::TranslateY(v) => v,
                other => panic!("{other:?}"),
            };
            assert!((got - want).abs() < 1e-12, "{s:?} vs {want}");
        };
        close(Rotate.argument(7.0, true, false), 21.0);
        close(Rotate.argument(7.0, true, true), -21.0);
        assert_eq!(Posterize.argument(7.0, true, false), Step::Posterize(2));
        assert_eq!(Posterize.argument(7.0, false, false), Step::Posterize(2));
        assert_eq!(Posterize.argument(10.0, true, false), Step::Posterize(0));
        assert_eq!(Solarize.argument(7.0, true, false), Step::Solarize(77));
        assert_eq!(Solarize.argument(7.0, false, false), Step::Solarize(179));
        assert_eq!(Solarize.argument(10.0, true, false), Step::Solarize(0));
        assert_eq!(
            SolarizeAdd.argument(7.0, true, false),
            Step::SolarizeAdd(77)
        );
        close(Color.argument(7.0, true, false), 1.63);
        close(Contrast.argument(7.0, true, true), 0.37);
        close(Brightness.argument(7.0, false, false), 1.36);
        close(Sharpness.argument(10.0, true, true), 0.1);
        close(ShearX.argument(7.0, true, false), 0.21);
        close(TranslateYRel.argument(7.0, true, true), -0.315);
    }

    /// Two layers, each kept with probability 0.5: over 4000 images about 1000 get none,
    /// 2000 one and 1000 two (3 sigma: 82, 95, 82); every drawn op is one of the 15, with
    /// magnitude noise around 7 (rotations within +-30).
    #[test]
    fn two_layers_kept_half_the_time() {
        let mut counts = [0usize; 3];
        for i in 0..4000 {
            let draw = RandAugment::RSB.draw(&mut DataRng::new(i));
            counts[draw.iter().flatten().count()] += 1;
            for (step, _) in draw.iter().flatten() {
                if let Step::Rotate(d) = step {
                    assert!(d.abs() <= 30.0);
                }
            }
        }
        assert!((918..=1082).contains(&counts[0]), "{counts:?}");
        assert!((1905..=2095).contains(&counts[1]), "{counts:?}");
        assert!((918..=1082).contains(&counts[2]), "{counts:?}");
    }
}
