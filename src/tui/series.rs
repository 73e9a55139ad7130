//! Long series made short enough to draw: a chart is a few hundred dots wide, a run has
//! hundreds of thousands of iterations. Bucketing by min and max keeps spikes visible.

use botui::train::schedule::LrSchedule;

/// At most `2 * buckets` points: the lowest and the highest of each run of consecutive
/// points, in x order. Short series come back as they are.
pub fn min_max(points: &[(f64, f64)], buckets: usize) -> Vec<(f64, f64)> {
    let buckets = buckets.max(1);
    if points.len() <= 2 * buckets {
        return points.to_vec();
    }
    let mut out = Vec::with_capacity(2 * buckets);
    let n = points.len();
    for b in 0..buckets {
        let (start, end) = (
            b * n / buckets,
            ((b + 1) * n / buckets).max(b * n / buckets + 1),
        );
        let chunk = &points[start..end.min(n)];
        let (mut lo, mut hi) = (chunk[0], chunk[0]);
        let (mut lo_i, mut hi_i) = (0, 0);
        for (i, p) in chunk.iter().enumerate() {
            if p.1 < lo.1 {
                lo = *p;
                lo_i = i;
            }
            if p.1 > hi.1 {
                hi = *p;
                hi_i = i;
            }
        }
        if lo_i <= hi_i {
            out.push(lo);
            if hi_i != lo_i {
                out.push(hi);
            }
        } else {
            out.push(hi);
            out.push(lo);
        }
    }
    out
}

/// A planned lr (one value per iteration) as at most `2 * buckets` chart points.
pub fn plan_points(plan: &[f64], buckets: usize) -> Vec<(f64, f64)> {
    let buckets = buckets.max(1);
    if plan.len() <= 2 * buckets {
        return plan
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64, *v))
            .collect();
    }
    // Same as min_max over (i, plan[i]) without building the whole list.
    let n = plan.len();
    let mut out = Vec::with_capacity(2 * buckets);
    for b in 0..buckets {
        let (start, end) = (b * n / buckets, ((b + 1) * n / buckets).min(n));
        let (mut lo, mut hi) = (start, start);
        for i in start..end {
            if plan[i] < plan[lo] {
                lo = i;
            }
            if plan[i] > plan[hi] {
                hi = i;
            }
        }
        for i in [lo.min(hi), lo.max(hi)] {
            if out.last().is_none_or(|p: &(f64, f64)| p.0 != i as f64) {
                out.push((i as f64, plan[i]));
            }
        }
    }
    out
}

/// The schedule sampled at `samples` iterations spread over the run, plus the end of warmup
/// and the first iteration of each step, so corners are drawn where they are.
pub fn schedule_points(s: &LrSchedule, samples: usize) -> Vec<(f64, f64)> {
    let total = s.total_iters;
    if total == 0 {
        return Vec::new();
    }
    let samples = samples.clamp(2, total);
    let mut ks: Vec<usize> = (0..samples)
        .map(|i| i * (total - 1) / (samples - 1))
        .collect();
    if s.warmup_iters > 0 {
        ks.push(s.warmup_iters - 1);
        ks.push(s.warmup_iters.min(total - 1));
    }
    for e in &s.step_epochs {
        let k = e * s.iters_per_epoch;
        if k > 0 && k < total {
            ks.push(k - 1);
            ks.push(k);
        }
    }
    ks.sort_unstable();
    ks.dedup();
    ks.into_iter().map(|k| (k as f64, s.lr(k))).collect()
}

type Point = (f64, f64);

/// The lowest and highest point of a series over each of `n` equal slices of a fixed x
/// range, filled as points arrive. Drawing costs O(n) however long the run: a chart never
/// needs more than a few hundred columns, and min and max per slice keep every spike.
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets {
    x_end: f64,
    slots: Vec<Option<(Point, Point)>>,
}

/// Slices per series: more than any chart is wide (two braille dots per cell).
pub const BUCKETS: usize = 1024;

impl Buckets {
    /// `n` slices of `[0, x_end)`.
    pub fn new(x_end: usize, n: usize) -> Self {
        Self {
            x_end: x_end.max(1) as f64,
            slots: vec![None; n.max(1)],
        }
    }

    pub fn push(&mut self, x: f64, y: f64) {
        if !y.is_finite() {
            return;
        }
        let n = self.slots.len();
        let i = ((x / self.x_end * n as f64).floor().max(0.0) as usize).min(n - 1);
        let slot = &mut self.slots[i];
        *slot = Some(match *slot {
            None => ((x, y), (x, y)),
            Some((lo, hi)) => (
                if y < lo.1 { (x, y) } else { lo },
                if y > hi.1 { (x, y) } else { hi },
            ),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }

    /// The min and max of every filled slice, in x order.
    pub fn points(&self) -> Vec<(f64, f64)> {
        let mut out = Vec::with_capacity(2 * self.slots.len());
        for (lo, hi) in self.slots.iter().flatten() {
            let (a, b) = if lo.0 <= hi.0 { (lo, hi) } else { (hi, lo) };
            out.push(*a);
            if b != a {
                out.push(*b);
            }
        }
        out
    }
}

/// The smallest lr the log scale shows; below it values are drawn at the floor.
pub const LOG_FLOOR: f64 = 1e-6;

/// y as drawn: log10 on the log scale.
pub fn scale_y(y: f64, log: bool) -> f64 {
    if log { y.max(LOG_FLOOR).log10() } else { y }
}

/// The (min, max) of the y values, padded so a flat line is not on the border.
pub fn y_bounds(points: &[(f64, f64)]) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in points {
        if p.1.is_finite() {
            lo = lo.min(p.1);
            hi = hi.max(p.1);
        }
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if (hi - lo).abs() < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use botui::config::{DecayKind, RunConfig};

    #[test]
    fn buckets_keep_min_and_max_of_each_slice_in_x_order() {
        let mut b = Buckets::new(100, 10);
        for x in 0..100 {
            let y = if x == 37 { 9.0 } else { (x % 10) as f64 };
            b.push(x as f64, y);
        }
        let pts = b.points();
        assert_eq!(pts.len(), 20, "a min and a max per slice");
        // Slice 3 (x 30..40): min 0 at x 30, max 9 at x 37 (the spike) and at 39; first wins.
        assert_eq!(&pts[6..8], &[(30.0, 0.0), (37.0, 9.0)]);
        assert!(pts.windows(2).all(|w| w[0].0 <= w[1].0));
        // Past the end goes to the last slice (x 90..100: min 0 at 90, max 9 at 99); NaN is
        // dropped.
        b.push(250.0, -1.0);
        b.push(5.0, f64::NAN);
        let pts = b.points();
        assert_eq!(&pts[18..], &[(99.0, 9.0), (250.0, -1.0)]);
    }

    #[test]
    fn min_max_keeps_a_single_spike() {
        let mut pts: Vec<(f64, f64)> = (0..10_000).map(|i| (i as f64, 1.0)).collect();
        pts[7_777].1 = 50.0;
        let out = min_max(&pts, 100);
        assert!(out.len() <= 200);
        assert!(out.contains(&(7_777.0, 50.0)));
        assert!(out.windows(2).all(|w| w[0].0 <= w[1].0), "x order kept");
    }

    #[test]
    fn plan_points_keep_the_peak_and_the_ends() {
        let mut c = RunConfig {
            epochs: 100,
            batch_size: 1024,
            ..RunConfig::default()
        };
        c.warmup.enabled = true;
        c.schedule.decay = DecayKind::Cosine;
        let s = LrSchedule::new(&c, 1000);
        let plan = s.plan();
        let pts = plan_points(&plan, 150);
        assert!(pts.len() <= 300);
        let peak = pts.iter().map(|p| p.1).fold(0.0, f64::max);
        assert!(
            (peak - 0.4).abs() < 1e-12,
            "the warmup peak 0.1 x 1024 / 256 is drawn"
        );
        assert_eq!(pts.first().unwrap().0, 0.0);
        assert_eq!(pts.last().unwrap().0, 99_999.0);
    }

    #[test]
    fn schedule_points_have_the_step_corners() {
        let c = RunConfig {
            epochs: 120,
            ..RunConfig::default()
        };
        let s = LrSchedule::new(&c, 10);
        let pts = schedule_points(&s, 20);
        // Epoch 30 starts at iteration 300: 0.1 just before, 0.01 from there.
        assert!(pts.contains(&(299.0, 0.1)));
        assert!(
            pts.iter()
                .any(|p| p.0 == 300.0 && (p.1 - 0.01).abs() < 1e-12)
        );
    }
}
