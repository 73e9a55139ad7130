//! Training-mode batch norm over `[batch, channels, spatial...]` in NCHW, one channel per task.
//!
//! Forward: one pass for the statistics, one to normalize, back to back per channel so that the
//! second reads what the first brought into cache. Backward: one pass for the two sums
//! (`sum dy`, `sum dy * (x - mean)`), one for the input gradient. The sums are kept in
//! [`LANES`] f32 partial sums within a run of one image's plane and in f64 across planes; the
//! variance is taken around the channel's first value (shifted data), so a large mean does not
//! cancel it away.

use super::parallel::{Disjoint, split, threads};
use super::simd::{LANES, multiversion};

/// `[batch, channels, spatial]`: `spatial` is the product of the dimensions after the channels.
#[derive(Debug, Clone, Copy)]
pub struct Dims {
    pub batch: usize,
    pub channels: usize,
    pub spatial: usize,
}

impl Dims {
    fn len(&self) -> usize {
        self.batch * self.channels * self.spatial
    }

    /// Elements each channel is normalized over.
    fn count(&self) -> f64 {
        (self.batch * self.spatial) as f64
    }

    /// Where channel `c` of image `n` starts.
    fn plane(&self, n: usize, c: usize) -> usize {
        (n * self.channels + c) * self.spatial
    }
}

/// Tasks per thread: channels cost the same, a few more tasks than threads absorb a thread that
/// the machine's other work delays.
const TASKS_PER_THREAD: usize = 4;

/// The per-channel statistics the forward pass returns.
pub struct Stats {
    pub mean: Vec<f32>,
    /// `1 / sqrt(biased variance + epsilon)`
    pub invstd: Vec<f32>,
}

/// `output = (x - mean) * invstd * gamma + beta` with the batch's own mean and biased variance.
pub fn forward(
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    epsilon: f64,
    dims: Dims,
    output: &mut [f32],
) -> Stats {
    assert_eq!(x.len(), dims.len(), "batch norm input");
    assert_eq!(output.len(), dims.len(), "batch norm output");
    assert!(gamma.len() == dims.channels && beta.len() == dims.channels);
    let out = Disjoint::new(output);
    let parts = split(dims.channels, threads() * TASKS_PER_THREAD, |channels| {
        channels
            .map(|c| {
                // SAFETY (Disjoint): channel c's planes are written by this task alone.
                forward_channel(x, gamma[c], beta[c], epsilon, dims, c, &out)
            })
            .collect::<Vec<_>>()
    });
    let (mean, invstd) = parts.into_iter().flatten().unzip();
    Stats { mean, invstd }
}

multiversion! {
    /// Statistics and normalization of channel `c`; returns `(mean, invstd)`.
    fn forward_channel(
        x: &[f32],
        gamma: f32,
        beta: f32,
        epsilon: f64,
        dims: Dims,
        c: usize,
        out: &Disjoint<'_>,
    ) -> (f32, f32) {
        let s = dims.spatial;
        let pivot = if s > 0 && dims.batch > 0 { x[dims.plane(0, c)] } else { 0.0 };
        let (mut sum, mut squares) = (0f64, 0f64);
        for n in 0..dims.batch {
            let (a, b) = shifted_sums(&x[dims.plane(n, c)..][..s], pivot);
            sum += a as f64;
            squares += b as f64;
        }
        let count = dims.count();
        let shift = sum / count;
        let variance = (squares / count - shift * shift).max(0.0);
        let mean = pivot as f64 + shift;
        let invstd = 1.0 / (variance + epsilon).sqrt();
        let scale = gamma as f64 * invstd;
        let (a, b) = (scale as f32, (beta as f64 - mean * scale) as f32);
        for n in 0..dims.batch {
            let start = dims.plane(n, c);
            // SAFETY: the planes of channel c belong to this task (see `forward`).
            let y = unsafe { out.slice(start, s) };
            for (y, x) in y.iter_mut().zip(&x[start..][..s]) {
                *y = x * a + b;
            }
        }
        (mean as f32, invstd as f32)
    }
}

/// `(sum(x - pivot), sum((x - pivot)^2))` in lane-wise partial sums.
#[inline(always)]
fn shifted_sums(x: &[f32], pivot: f32) -> (f32, f32) {
    let mut sum = [0f32; LANES];
    let mut squares = [0f32; LANES];
    let chunks = x.chunks_exact(LANES);
    let tail = chunks.remainder();
    for chunk in chunks {
        for l in 0..LANES {
            let d = chunk[l] - pivot;
            sum[l] += d;
            squares[l] += d * d;
        }
    }
    let (mut s, mut q) = (0f32, 0f32);
    for &v in tail {
        let d = v - pivot;
        s += d;
        q += d * d;
    }
    (s + sum.iter().sum::<f32>(), q + squares.iter().sum::<f32>())
}

/// The gradients for gamma and beta; the input's is written where the caller asked.
pub struct ParamGrads {
    pub gamma: Vec<f32>,
    pub beta: Vec<f32>,
}

/// Where the output gradient comes from and the input gradient goes.
pub enum Grad<'a> {
    /// Read `dy`, write the input gradient into a second buffer.
    Into { dy: &'a [f32], dx: &'a mut [f32] },
    /// The buffer holds `dy` and is overwritten with the input gradient.
    InPlace(&'a mut [f32]),
}

/// Gradients of [`forward`] given its input, statistics and the output gradient:
/// `dbeta = sum dy`, `dgamma = sum dy * xhat`,
/// `dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat))`, `xhat = (x - mean) * invstd`.
pub fn backward(
    x: &[f32],
    gamma: &[f32],
    mean: &[f32],
    invstd: &[f32],
    dims: Dims,
    grad: Grad<'_>,
) -> ParamGrads {
    assert_eq!(x.len(), dims.len(), "batch norm input");
    assert!(gamma.len() == dims.channels && mean.len() == dims.channels);
    assert_eq!(invstd.len(), dims.channels);
    let (dy, dx) = match grad {
        Grad::Into { dy, dx } => {
            assert!(dy.len() == dims.len() && dx.len() == dims.len());
            (Some(dy), Disjoint::new(dx))
        }
        Grad::InPlace(buffer) => {
            assert_eq!(buffer.len(), dims.len());
            (None, Disjoint::new(buffer))
        }
    };
    let parts = split(dims.channels, threads() * TASKS_PER_THREAD, |channels| {
        channels
            .map(|c| {
                let channel = Channel {
                    mean: mean[c],
                    invstd: invstd[c],
                    gamma: gamma[c],
                };
                // SAFETY (Disjoint): channel c's planes are read and written by this task alone.
                backward_channel(x, dy, channel, dims, c, &dx)
            })
            .collect::<Vec<_>>()
    });
    let (gamma, beta) = parts.into_iter().flatten().unzip();
    ParamGrads { gamma, beta }
}

#[derive(Clone, Copy)]
struct Channel {
    mean: f32,
    invstd: f32,
    gamma: f32,
}

multiversion! {
    /// Channel `c` of [`backward`]; returns `(dgamma, dbeta)`. `dy` is `None` when `dx` holds it.
    fn backward_channel(
        x: &[f32],
        dy: Option<&[f32]>,
        ch: Channel,
        dims: Dims,
        c: usize,
        dx: &Disjoint<'_>,
    ) -> (f32, f32) {
        let s = dims.spatial;
        let (mut sum_dy, mut sum_dy_xc) = (0f64, 0f64);
        for n in 0..dims.batch {
            let start = dims.plane(n, c);
            let x = &x[start..][..s];
            let (a, b) = match dy {
                Some(dy) => grad_sums(&dy[start..][..s], x, ch.mean),
                // SAFETY: the planes of channel c belong to this task (see `backward`).
                None => grad_sums(unsafe { dx.slice(start, s) }, x, ch.mean),
            };
            sum_dy += a as f64;
            sum_dy_xc += b as f64;
        }
        let count = dims.count();
        let invstd = ch.invstd as f64;
        let k = ch.gamma as f64 * invstd;
        // dx = k * (dy - sum_dy / M - (x - mean) * invstd^2 * sum_dy_xc / M) = dy * k + x * p + q
        let p = -k * invstd * invstd * sum_dy_xc / count;
        let q = -k * sum_dy / count - ch.mean as f64 * p;
        let (k, p, q) = (k as f32, p as f32, q as f32);
        for n in 0..dims.batch {
            let start = dims.plane(n, c);
            let x = &x[start..][..s];
            // SAFETY: as above.
            let out = unsafe { dx.slice(start, s) };
            match dy {
                Some(dy) => {
                    for ((o, &g), &x) in out.iter_mut().zip(&dy[start..][..s]).zip(x) {
                        *o = g * k + x * p + q;
                    }
                }
                None => {
                    for (o, &x) in out.iter_mut().zip(x) {
                        *o = *o * k + x * p + q;
                    }
                }
            }
        }
        ((sum_dy_xc * invstd) as f32, sum_dy as f32)
    }
}

/// `(sum dy, sum dy * (x - mean))` in lane-wise partial sums.
#[inline(always)]
fn grad_sums(dy: &[f32], x: &[f32], mean: f32) -> (f32, f32) {
    let mut sum = [0f32; LANES];
    let mut dot = [0f32; LANES];
    let mut dy_chunks = dy.chunks_exact(LANES);
    let mut x_chunks = x.chunks_exact(LANES);
    for (g, x) in (&mut dy_chunks).zip(&mut x_chunks) {
        for l in 0..LANES {
            sum[l] += g[l];
            dot[l] += g[l] * (x[l] - mean);
        }
    }
    let (mut s, mut d) = (0f32, 0f32);
    for (&g, &x) in dy_chunks.remainder().iter().zip(x_chunks.remainder()) {
        s += g;
        d += g * (x - mean);
    }
    (s + sum.iter().sum::<f32>(), d + dot.iter().sum::<f32>())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mean and biased variance of each channel in f64, two passes.
    fn stats(x: &[f32], dims: Dims) -> Vec<(f64, f64)> {
        (0..dims.channels)
            .map(|c| {
                let values: Vec<f64> = (0..dims.batch)
                    .flat_map(|n| &x[dims.plane(n, c)..][..dims.spatial])
                    .map(|&v| v as f64)
                    .collect();
                let mean = values.iter().sum::<f64>() / values.len() as f64;
                let var =
                    values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64;
                (mean, var)
            })
            .collect()
    }

    /// A mean 10^4 times the deviation: sums of squares about zero would lose the variance in
    /// f32; about the channel's first value they keep it.
    #[test]
    fn variance_survives_a_large_mean() {
        let dims = Dims {
            batch: 3,
            channels: 2,
            spatial: 37,
        };
        let x: Vec<f32> = (0..dims.len())
            .map(|i| 1000.0 + 0.1 * ((i * 7919 % 101) as f32 / 50.0 - 1.0))
            .collect();
        let mut out = vec![0f32; dims.len()];
        let result = forward(&x, &[1.0, 2.0], &[0.0, 0.5], 1e-5, dims, &mut out);
        for (c, (mean, var)) in stats(&x, dims).into_iter().enumerate() {
            let invstd = 1.0 / (var + 1e-5).sqrt();
            assert!((result.mean[c] as f64 - mean).abs() < 1e-4, "mean {c}");
            let rel = (result.invstd[c] as f64 - invstd).abs() / invstd;
            assert!(rel < 1e-3, "invstd {c}: {} vs {invstd}", result.invstd[c]);
        }
    }
}
