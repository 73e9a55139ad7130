//! Depthwise convolution (groups == channels in == channels out, MobileNet's 3x3) as direct
//! loops over one `[height, width]` plane at a time: each kernel tap is a scaled add of a
//! shifted input row into an output row (stride 1: contiguous, vectorized), so nothing is
//! unfolded. Forward splits over planes; backward over channels, so that a task owns its
//! channel's weight gradient and its input-gradient planes.

use rayon::prelude::*;

use super::geometry::ConvGeometry;
use super::parallel::{Disjoint, split, threads};
use super::simd::{axpy, dot, multiversion};

/// `y[n, c] = sum over taps of weight[c, tap] * x[n, c, shifted]`; `weight` is
/// `[channels, 1, kh, kw]`.
pub fn forward(x: &[f32], weight: &[f32], g: &ConvGeometry, y: &mut [f32]) {
    check(x, weight, g);
    assert_eq!(y.len(), g.y_len(), "depthwise output");
    let channels = g.channels_in;
    let (in_plane, out_plane, taps) = (g.in_plane(), g.out_plane(), g.kernel_area());
    if out_plane == 0 {
        return;
    }
    y.par_chunks_mut(out_plane)
        .enumerate()
        .for_each(|(plane, y)| {
            let c = plane % channels;
            forward_plane(
                &x[plane * in_plane..][..in_plane],
                &weight[c * taps..][..taps],
                g,
                y,
            );
        });
}

/// `(x_grad, weight_grad)`; the input's only when `x_grad` is given.
pub fn backward(
    x: &[f32],
    weight: &[f32],
    y_grad: &[f32],
    g: &ConvGeometry,
    x_grad: Option<&mut [f32]>,
) -> Vec<f32> {
    check(x, weight, g);
    assert_eq!(y_grad.len(), g.y_len(), "depthwise output gradient");
    let taps = g.kernel_area();
    let x_grad = x_grad.map(|dx| {
        assert_eq!(dx.len(), g.x_len(), "depthwise input gradient");
        Disjoint::new(dx)
    });
    let parts = split(g.channels_in, threads() * 4, |channels| {
        let mut w_grad = vec![0f32; channels.len() * taps];
        for (c, w_grad) in channels.zip(w_grad.chunks_exact_mut(taps)) {
            for n in 0..g.batch {
                let plane = n * g.channels_in + c;
                let x = &x[plane * g.in_plane()..][..g.in_plane()];
                let dy = &y_grad[plane * g.out_plane()..][..g.out_plane()];
                weight_grad_plane(x, dy, g, w_grad);
                if let Some(dx) = &x_grad {
                    // SAFETY: plane (n, c) of the input gradient belongs to the task that owns
                    // channel c; channels are split without overlap.
                    let dx = unsafe { dx.slice(plane * g.in_plane(), g.in_plane()) };
                    x_grad_plane(dy, &weight[c * taps..][..taps], g, dx);
                }
            }
        }
        w_grad
    });
    parts.concat()
}

fn check(x: &[f32], weight: &[f32], g: &ConvGeometry) {
    assert_eq!(g.channels_in, g.channels_out, "depthwise channels");
    assert_eq!(x.len(), g.x_len(), "depthwise input");
    assert_eq!(
        weight.len(),
        g.channels_in * g.kernel_area(),
        "depthwise weight"
    );
}

multiversion! {
    /// One output plane: `y` starts at zero.
    fn forward_plane(x: &[f32], weight: &[f32], g: &ConvGeometry, y: &mut [f32]) {
        let [kh_n, kw_n] = g.kernel;
        let (w_in, w_out, sw) = (g.input[1], g.output[1], g.stride[1]);
        for kh in 0..kh_n {
            for oh in g.valid(0, kh) {
                let x_row = &x[g.input_index(0, oh, kh) * w_in..][..w_in];
                let y_row = &mut y[oh * w_out..][..w_out];
                for kw in 0..kw_n {
                    let w = weight[kh * kw_n + kw];
                    let cols = g.valid(1, kw);
                    if cols.is_empty() {
                        continue;
                    }
                    let first = g.input_index(1, cols.start, kw);
                    if sw == 1 {
                        axpy(w, &x_row[first..][..cols.len()], &mut y_row[cols]);
                    } else {
                        for (i, ow) in cols.enumerate() {
                            y_row[ow] += w * x_row[first + i * sw];
                        }
                    }
                }
            }
        }
    }
}

multiversion! {
    /// Adds one plane's input gradient into `dx` (which starts at zero).
    fn x_grad_plane(dy: &[f32], weight: &[f32], g: &ConvGeometry, dx: &mut [f32]) {
        let [kh_n, kw_n] = g.kernel;
        let (w_in, w_out, sw) = (g.input[1], g.output[1], g.stride[1]);
        for kh in 0..kh_n {
            for oh in g.valid(0, kh) {
                let dx_row = &mut dx[g.input_index(0, oh, kh) * w_in..][..w_in];
                let dy_row = &dy[oh * w_out..][..w_out];
                for kw in 0..kw_n {
                    let w = weight[kh * kw_n + kw];
                    let cols = g.valid(1, kw);
                    if cols.is_empty() {
                        continue;
                    }
                    let first = g.input_index(1, cols.start, kw);
                    if sw == 1 {
                        axpy(w, &dy_row[cols.clone()], &mut dx_row[first..][..cols.len()]);
                    } else {
                        for (i, ow) in cols.enumerate() {
                            dx_row[first + i * sw] += w * dy_row[ow];
                        }
                    }
                }
            }
        }
    }
}

multiversion! {
    /// Adds one plane's contribution to its channel's weight gradient `[kh, kw]`.
    fn weight_grad_plane(x: &[f32], dy: &[f32], g: &ConvGeometry, w_grad: &mut [f32]) {
        let [kh_n, kw_n] = g.kernel;
        let (w_in, w_out, sw) = (g.input[1], g.output[1], g.stride[1]);
        for kh in 0..kh_n {
            for oh in g.valid(0, kh) {
                let x_row = &x[g.input_index(0, oh, kh) * w_in..][..w_in];
                let dy_row = &dy[oh * w_out..][..w_out];
                for kw in 0..kw_n {
                    let cols = g.valid(1, kw);
                    if cols.is_empty() {
                        continue;
                    }
                    let first = g.input_index(1, cols.start, kw);
                    w_grad[kh * kw_n + kw] += if sw == 1 {
                        dot(&dy_row[cols.clone()], &x_row[first..][..cols.len()])
                    } else {
                        cols.enumerate()
                            .map(|(i, ow)| dy_row[ow] * x_row[first + i * sw])
                            .sum::<f32>()
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
