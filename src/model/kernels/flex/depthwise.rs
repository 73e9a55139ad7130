//! Depthwise convolution (groups == channels in == channels out, MobileNet's 3x3), channels
//! last: each image is transposed into a `[height, width, channels]` scratch buffer (channels
//! padded with zeros to a multiple of [`LANES`]), so that every kernel tap of an output pixel is
//! one multiply-add over [`LANES`] contiguous channels, held in a register across the taps. The
//! vector runs along the channels (32 to 1024 in MobileNet), not along a plane's row (4 to 64
//! wide), which the previous NCHW loops did at 1 to 5 GFLOP/s. Work splits over images: the
//! output and the input gradient are written one whole image per task, and each task sums its
//! own weight gradient, added up at the end.

use super::geometry::ConvGeometry;
use super::parallel::{Disjoint, split, threads};
use super::simd::{LANES, multiversion};

/// `y[n, c] = sum over taps of weight[c, tap] * x[n, c, shifted]`; `weight` is
/// `[channels, 1, kh, kw]`.
pub fn forward(x: &[f32], weight: &[f32], g: &ConvGeometry, y: &mut [f32]) {
    check(x, weight, g);
    assert_eq!(y.len(), g.y_len(), "depthwise output");
    let (x_image, y_image) = (g.channels_in * g.in_plane(), g.channels_in * g.out_plane());
    if y_image == 0 {
        return;
    }
    let w = channels_last_weight(weight, g);
    let y = Disjoint::new(y);
    split(g.batch, threads(), |images| {
        let (mut xt, mut yt) = (Vec::new(), Vec::new());
        for n in images {
            // SAFETY: image n of the output belongs to the task that owns n; images are split
            // without overlap.
            let y = unsafe { y.slice(n * y_image, y_image) };
            forward_image(&x[n * x_image..][..x_image], &w, g, y, &mut xt, &mut yt);
        }
    });
}

/// The weight gradient, and the input gradient into `x_grad` when given (as
/// `conv::backward`).
pub fn backward(
    x: &[f32],
    weight: &[f32],
    y_grad: &[f32],
    g: &ConvGeometry,
    x_grad: Option<&mut [f32]>,
) -> Vec<f32> {
    check(x, weight, g);
    assert_eq!(y_grad.len(), g.y_len(), "depthwise output gradient");
    let (c, taps) = (g.channels_in, g.kernel_area());
    let (x_image, y_image) = (c * g.in_plane(), c * g.out_plane());
    let w = channels_last_weight(weight, g);
    let x_grad = x_grad.map(|dx| {
        assert_eq!(dx.len(), g.x_len(), "depthwise input gradient");
        Disjoint::new(dx)
    });
    let parts = split(g.batch, threads(), |images| {
        let mut w_grad = vec![0f32; taps * padded(c)];
        let mut scratch = [Vec::new(), Vec::new(), Vec::new()];
        for n in images {
            // SAFETY: as in `forward`: image n of the input gradient is this task's alone.
            let dx = x_grad
                .as_ref()
                .map(|dx| unsafe { dx.slice(n * x_image, x_image) });
            backward_image(
                &x[n * x_image..][..x_image],
                &w,
                &y_grad[n * y_image..][..y_image],
                g,
                dx,
                &mut w_grad,
                &mut scratch,
            );
        }
        w_grad
    });
    // Sum the tasks' gradients and go back to `[channels, kh, kw]`.
    let mut sum = vec![0f32; taps * padded(c)];
    for part in parts {
        for (s, p) in sum.iter_mut().zip(part) {
            *s += p;
        }
    }
    let mut w_grad = vec![0f32; c * taps];
    for (ch, w_grad) in w_grad.chunks_exact_mut(taps).enumerate() {
        for (tap, w_grad) in w_grad.iter_mut().enumerate() {
            *w_grad = sum[tap * padded(c) + ch];
        }
    }
    w_grad
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

/// The channel stride of the channels-last buffers: `channels` rounded up to [`LANES`].
fn padded(channels: usize) -> usize {
    channels.div_ceil(LANES) * LANES
}

/// `[channels, kh, kw]` to `[kh, kw, padded channels]`, the padding zero.
fn channels_last_weight(weight: &[f32], g: &ConvGeometry) -> Vec<f32> {
    let (c, taps) = (g.channels_in, g.kernel_area());
    let mut w = vec![0f32; taps * padded(c)];
    for (ch, row) in weight.chunks_exact(taps).enumerate() {
        for (tap, &v) in row.iter().enumerate() {
            w[tap * padded(c) + ch] = v;
        }
    }
    w
}

/// One image `[channels, plane]` into `out` as `[plane, padded channels]`, the padding zero;
/// in 16 x 16 blocks so that both sides are read and written a cache line at a time.
#[inline(always)]
fn to_channels_last(x: &[f32], channels: usize, plane: usize, out: &mut Vec<f32>) {
    let cp = padded(channels);
    out.clear();
    out.resize(plane * cp, 0.0);
    for c0 in (0..channels).step_by(16) {
        for p0 in (0..plane).step_by(16) {
            for c in c0..(c0 + 16).min(channels) {
                let row = &x[c * plane..][..plane];
                for p in p0..(p0 + 16).min(plane) {
                    out[p * cp + c] = row[p];
                }
            }
        }
    }
}

/// The inverse of [`to_channels_last`]: `[plane, padded channels]` into `[channels, plane]`.
#[inline(always)]
fn from_channels_last(t: &[f32], channels: usize, plane: usize, out: &mut [f32]) {
    let cp = padded(channels);
    for c0 in (0..channels).step_by(16) {
        for p0 in (0..plane).step_by(16) {
            for c in c0..(c0 + 16).min(channels) {
                let row = &mut out[c * plane..][..plane];
                for p in p0..(p0 + 16).min(plane) {
                    row[p] = t[p * cp + c];
                }
            }
        }
    }
}

/// The kernel taps along `axis` that output `o` reads inside the input (the others fall on the
/// padding): `o * stride + tap - padding` in `0..input`.
#[inline(always)]
fn taps(g: &ConvGeometry, axis: usize, o: usize) -> std::ops::Range<usize> {
    let start = o * g.stride[axis];
    let lo = g.padding[axis].saturating_sub(start);
    let hi = (g.input[axis] + g.padding[axis])
        .saturating_sub(start)
        .min(g.kernel[axis]);
    lo.min(hi)..hi
}

#[inline(always)]
fn lanes(s: &[f32], at: usize) -> &[f32; LANES] {
    s[at..at + LANES].try_into().expect("LANES elements")
}

#[inline(always)]
fn lanes_mut(s: &mut [f32], at: usize) -> &mut [f32; LANES] {
    (&mut s[at..at + LANES]).try_into().expect("LANES elements")
}

multiversion! {
    /// One image: `y` (NCHW) is overwritten; `xt` and `yt` are scratch.
    fn forward_image(
        x: &[f32],
        w: &[f32],
        g: &ConvGeometry,
        y: &mut [f32],
        xt: &mut Vec<f32>,
        yt: &mut Vec<f32>,
    ) {
        let (c, [_, w_in], [h_out, w_out], kw_n) = (g.channels_in, g.input, g.output, g.kernel[1]);
        let cp = padded(c);
        to_channels_last(x, c, g.in_plane(), xt);
        yt.clear();
        yt.resize(g.out_plane() * cp, 0.0);
        for oh in 0..h_out {
            let rows = taps(g, 0, oh);
            for ow in 0..w_out {
                let cols = taps(g, 1, ow);
                let out = (oh * w_out + ow) * cp;
                for cb in (0..cp).step_by(LANES) {
                    let mut acc = [0f32; LANES];
                    for kh in rows.clone() {
                        let ih = g.input_index(0, oh, kh);
                        for kw in cols.clone() {
                            let iw = g.input_index(1, ow, kw);
                            let xv = lanes(xt, (ih * w_in + iw) * cp + cb);
                            let wv = lanes(w, (kh * kw_n + kw) * cp + cb);
                            for l in 0..LANES {
                                acc[l] += wv[l] * xv[l];
                            }
                        }
                    }
                    *lanes_mut(yt, out + cb) = acc;
                }
            }
        }
        from_channels_last(yt, c, g.out_plane(), y);
    }
}

multiversion! {
    /// One image: adds its weight gradient into `w_grad` (`[taps, padded channels]`) and, with
    /// `dx`, overwrites the image's input gradient (NCHW). `scratch`: the image, its output
    /// gradient and its input gradient, channels last.
    fn backward_image(
        x: &[f32],
        w: &[f32],
        dy: &[f32],
        g: &ConvGeometry,
        dx: Option<&mut [f32]>,
        w_grad: &mut [f32],
        scratch: &mut [Vec<f32>; 3],
    ) {
        let (c, [_, w_in], [h_out, w_out], kw_n) = (g.channels_in, g.input, g.output, g.kernel[1]);
        let cp = padded(c);
        let [xt, dyt, dxt] = scratch;
        to_channels_last(x, c, g.in_plane(), xt);
        to_channels_last(dy, c, g.out_plane(), dyt);
        let want_dx = dx.is_some();
        if want_dx {
            dxt.clear();
            dxt.resize(g.in_plane() * cp, 0.0);
        }
        for oh in 0..h_out {
            let rows = taps(g, 0, oh);
            for ow in 0..w_out {
                let cols = taps(g, 1, ow);
                let out = (oh * w_out + ow) * cp;
                for cb in (0..cp).step_by(LANES) {
                    let dyv = *lanes(dyt, out + cb);
                    for kh in rows.clone() {
                        let ih = g.input_index(0, oh, kh);
                        for kw in cols.clone() {
                            let at = (ih * w_in + g.input_index(1, ow, kw)) * cp + cb;
                            let tap = (kh * kw_n + kw) * cp + cb;
                            let xv = lanes(xt, at);
                            let wg = lanes_mut(w_grad, tap);
                            for l in 0..LANES {
                                wg[l] += dyv[l] * xv[l];
                            }
                            if want_dx {
                                let wv = lanes(w, tap);
                                let dxv = lanes_mut(dxt, at);
                                for l in 0..LANES {
                                    dxv[l] += wv[l] * dyv[l];
                                }
                            }
                        }
                    }
                }
            }
        }
        if let Some(dx) = dx {
            from_channels_last(dxt, c, g.in_plane(), dx);
        }
    }
}

#[cfg(test)]
mod tests;
