//! Error bars over seeds and when a difference between two rows is "within noise".
//!
//! For the values `x_1 .. x_n` of one row (one per seed):
//! - mean `m = (x_1 + .. + x_n) / n`;
//! - sample standard deviation `s = sqrt(sum (x_i - m)^2 / (n - 1))` (Bessel's correction, as
//!   numpy's `std(ddof=1)`); undefined for one seed.
//!
//! A delta `d = m_b - m_a` between rows `a` and `b` is **within noise** when
//! `|d| <= s_p`, where `s_p` is the pooled sample standard deviation of the two rows' seeds,
//! `s_p = sqrt(((n_a - 1) s_a^2 + (n_b - 1) s_b^2) / (n_a + n_b - 2))`: the delta is no larger
//! than how much one run of either row moves from seed to seed. It needs two seeds in each row;
//! with fewer, the noise is unknown and nothing is marked. This is a rule of thumb, not a
//! significance test: with `n` seeds per row the standard error of `d` is `s_p sqrt(2 / n)`, so a
//! delta just past the line is still far from conclusive with 3 seeds (t of about 1.2).

use serde::{Deserialize, Serialize};

/// Mean and spread of one metric over the finished seeds of a row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub mean: f64,
    /// Sample standard deviation; `None` with one seed.
    pub std: Option<f64>,
    /// Seeds that count.
    pub n: usize,
}

impl Spread {
    /// `None` for no values.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let std = (n >= 2).then(|| {
            let ss: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
            (ss / (n - 1) as f64).sqrt()
        });
        Some(Spread { mean, std, n })
    }
}

/// The pooled sample standard deviation of two rows; `None` unless both have two seeds.
pub fn pooled_std(a: &Spread, b: &Spread) -> Option<f64> {
    let (sa, sb) = (a.std?, b.std?);
    let dof = (a.n + b.n - 2) as f64;
    Some((((a.n - 1) as f64 * sa * sa + (b.n - 1) as f64 * sb * sb) / dof).sqrt())
}

/// The difference `to - from` of two rows' means, and whether it is within noise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    pub value: f64,
    /// The pooled standard deviation it is compared with (`None`: fewer than two seeds).
    pub noise: Option<f64>,
    /// `|value| <= noise`; `None` when the noise is unknown.
    pub within_noise: Option<bool>,
}

impl Delta {
    pub fn between(from: &Spread, to: &Spread) -> Delta {
        let value = to.mean - from.mean;
        let noise = pooled_std(from, to);
        Delta {
            value,
            noise,
            within_noise: noise.map(|s| value.abs() <= s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn mean_and_sample_std_by_hand() {
        // 70, 72, 74: mean 72; squares 4 + 0 + 4 = 8; 8 / 2 = 4; std 2.
        let s = Spread::of(&[70.0, 72.0, 74.0]).unwrap();
        assert!(close(s.mean, 72.0));
        assert!(close(s.std.unwrap(), 2.0));
        assert_eq!(s.n, 3);
        // Two seeds 1 and 2: mean 1.5, squares 0.25 + 0.25 = 0.5, / 1, std sqrt(0.5).
        let s = Spread::of(&[1.0, 2.0]).unwrap();
        assert!(close(s.std.unwrap(), 0.5f64.sqrt()));
        // One seed: a mean, no spread.
        let s = Spread::of(&[5.0]).unwrap();
        assert_eq!((s.mean, s.std, s.n), (5.0, None, 1));
        assert_eq!(Spread::of(&[]), None);
    }

    #[test]
    fn pooled_std_weights_by_degrees_of_freedom() {
        // a: std 2 over 3 seeds (2 dof); b: std 4 over 2 seeds (1 dof).
        // (2 * 4 + 1 * 16) / 3 = 8; sqrt(8).
        let a = Spread::of(&[70.0, 72.0, 74.0]).unwrap();
        let b = Spread {
            mean: 80.0,
            std: Some(4.0),
            n: 2,
        };
        assert!(close(pooled_std(&a, &b).unwrap(), 8f64.sqrt()));
        // Equal spreads pool to themselves.
        assert!(close(pooled_std(&a, &a).unwrap(), 2.0));
        let one = Spread::of(&[1.0]).unwrap();
        assert_eq!(pooled_std(&a, &one), None);
    }

    #[test]
    fn within_noise_means_no_larger_than_the_pooled_spread() {
        let a = Spread::of(&[70.0, 72.0, 74.0]).unwrap(); // 72 +- 2
        let up = Spread::of(&[73.0, 75.0, 77.0]).unwrap(); // 75 +- 2: delta 3 > 2
        let near = Spread::of(&[71.5, 73.5, 75.5]).unwrap(); // 73.5 +- 2: delta 1.5 <= 2
        let edge = Spread::of(&[72.0, 74.0, 76.0]).unwrap(); // delta exactly 2
        let d = Delta::between(&a, &up);
        assert!(close(d.value, 3.0));
        assert_eq!(d.within_noise, Some(false));
        assert_eq!(Delta::between(&a, &near).within_noise, Some(true));
        assert_eq!(Delta::between(&a, &edge).within_noise, Some(true));
        // Downward deltas are judged by their size.
        assert_eq!(Delta::between(&up, &a).within_noise, Some(false));
        let single = Spread::of(&[90.0]).unwrap();
        let d = Delta::between(&a, &single);
        assert!(close(d.value, 18.0));
        assert_eq!((d.noise, d.within_noise), (None, None));
    }
}
