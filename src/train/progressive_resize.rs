//! Progressive resizing as FFCV's ImageNet configs schedule it (`get_resolution` in
//! `ffcv-imagenet/train_imagenet.py`): the training side stays at `min` until `start_epoch`,
//! rises linearly to `max` at `end_epoch` in steps of 32 pixels, and stays there:
//!
//! ```text
//! side(e) = min                                  e <= start
//!         = max                                  e >= end
//!         = 32 round(interp(e; start, end; min, max) / 32)    between
//! ```
//!
//! with `e` the 0-based epoch and numpy's `round` (halves to even). Validation runs at its own
//! fixed side (FFCV: 256, with the 224/256 crop ratio), whatever the training side.

/// FFCV's `resolution` section.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResizeSchedule {
    pub min: usize,
    pub max: usize,
    pub start_epoch: usize,
    pub end_epoch: usize,
}

/// The step FFCV rounds sides to.
pub const SIDE_STEP: usize = 32;

impl ResizeSchedule {
    /// The schedule a config section asks for, when on.
    pub fn from_config(c: &crate::config::after_paper_sections::ProgressiveResize) -> Option<Self> {
        c.enabled.then_some(ResizeSchedule {
            min: c.min_side,
            max: c.max_side,
            start_epoch: c.start_epoch,
            end_epoch: c.end_epoch,
        })
    }

    /// The training side of 0-based `epoch`.
    pub fn side(&self, epoch: usize) -> usize {
        if epoch <= self.start_epoch {
            return self.min;
        }
        if epoch >= self.end_epoch {
            return self.max;
        }
        let t = (epoch - self.start_epoch) as f64 / (self.end_epoch - self.start_epoch) as f64;
        let interp = self.min as f64 + t * (self.max as f64 - self.min as f64);
        let steps = round_half_even(interp / SIDE_STEP as f64);
        steps as usize * SIDE_STEP
    }
}

/// numpy's `round`: to the nearest integer, halves to the even one.
fn round_half_even(v: f64) -> f64 {
    let r = v.round();
    if (v - v.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - v.signum()
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FFCV's rn50_88_epochs.yaml: 160 -> 192 between epochs 65 and 76. At epoch 70,
    /// 160 + 32 * 5/11 = 174.55, / 32 = 5.45 -> 5 -> 160; at 71, 177.45 / 32 = 5.55 -> 6 -> 192.
    #[test]
    fn side_per_epoch_follows_ffcv_rn50_88_epochs() {
        let s = ResizeSchedule {
            min: 160,
            max: 192,
            start_epoch: 65,
            end_epoch: 76,
        };
        let sides: Vec<usize> = [0, 65, 66, 70, 71, 75, 76, 87].map(|e| s.side(e)).to_vec();
        assert_eq!(sides, [160, 160, 160, 160, 192, 192, 192, 192]);
    }

    /// A wider ramp, 128 -> 256 over epochs 0..8 (16 px an epoch): 128, 144 -> 4.5 -> 4 (even)
    /// -> 128, 160, 176 -> 5.5 -> 6 -> 192, 192, 208 -> 6.5 -> 6 -> 192, 224, 240 -> 7.5 -> 8
    /// -> 256, 256.
    #[test]
    fn halves_round_to_even_as_numpy_does() {
        let s = ResizeSchedule {
            min: 128,
            max: 256,
            start_epoch: 0,
            end_epoch: 8,
        };
        let sides: Vec<usize> = (0..=8).map(|e| s.side(e)).collect();
        assert_eq!(sides, [128, 128, 160, 192, 192, 192, 224, 256, 256]);
    }
}
