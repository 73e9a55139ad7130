//! Resampling a window of an RGB image to a new size with a triangle (bilinear) filter that
//! widens when shrinking, as PIL's `resize(BILINEAR)` and torchvision's antialiased resize do:
//! a downscale averages every source pixel under the output pixel instead of skipping most of
//! them (which plain bilinear sampling does and which aliases badly below half size).
//!
//! Separable: a horizontal pass over only the source rows the output needs, into f32, then a
//! vertical pass over contiguous rows (vectorizes well).

use image::RgbImage;

/// The source region that maps onto the output: `x, y, w, h` in source pixels (fractional
/// allowed), and `bounds` = `[x0, y0, x1, y1)`, the pixels the filter may read. A random
/// resized crop bounds the filter by the crop itself (it crops, then resizes); the validation
/// transform bounds it by the whole image (it resizes, then crops).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub bounds: [usize; 4],
}

/// Reusable buffers: one per worker thread, so steady-state resampling allocates nothing.
#[derive(Default)]
pub struct Scratch {
    rows: Vec<f32>,
    /// The result, HWC, values in [0, 255].
    pub out: Vec<f32>,
    xtaps: Taps,
    ytaps: Taps,
}

/// For each output index along one axis: the first source index and the filter weights.
#[derive(Default)]
struct Taps {
    start: Vec<usize>,
    count: Vec<usize>,
    /// `width` weights per output index, zero-padded.
    weights: Vec<f32>,
    width: usize,
}

impl Taps {
    fn compute(&mut self, start: f64, len: f64, out: usize, lo: usize, hi: usize) {
        let scale = len / out as f64;
        let filter_scale = scale.max(1.0);
        let support = filter_scale; // triangle of radius 1, stretched when shrinking
        self.width = (2.0 * support).ceil() as usize + 2;
        self.start.clear();
        self.count.clear();
        self.weights.clear();
        self.weights.resize(out * self.width, 0.0);
        for o in 0..out {
            let center = start + (o as f64 + 0.5) * scale;
            let first = ((center - support).floor().max(lo as f64) as usize).min(hi - 1);
            let last = ((center + support).ceil().min(hi as f64) as usize).max(first + 1);
            let n = (last - first).min(self.width);
            let w = &mut self.weights[o * self.width..o * self.width + n];
            let mut sum = 0.0;
            for (k, wk) in w.iter_mut().enumerate() {
                let d = ((first + k) as f64 + 0.5 - center) / filter_scale;
                let v = (1.0 - d.abs()).max(0.0);
                *wk = v as f32;
                sum += v;
            }
            if sum > 0.0 {
                w.iter_mut().for_each(|v| *v = (*v as f64 / sum) as f32);
            } else {
                // The window lies outside the bounds: take the nearest pixel.
                w.iter_mut().for_each(|v| *v = 0.0);
                w[0] = 1.0;
            }
            self.start.push(first);
            self.count.push(n);
        }
    }

    fn weights(&self, o: usize) -> &[f32] {
        &self.weights[o * self.width..o * self.width + self.count[o]]
    }
}

/// Resizes `win` of `img` to `out_w` x `out_h`; the result is `scratch.out` (HWC, f32).
pub fn resize_window(
    img: &RgbImage,
    win: &Window,
    out_w: usize,
    out_h: usize,
    scratch: &mut Scratch,
) {
    let (iw, ih) = (img.width() as usize, img.height() as usize);
    let [bx0, by0, bx1, by1] = win.bounds;
    debug_assert!(bx0 < bx1 && bx1 <= iw && by0 < by1 && by1 <= ih);
    scratch.xtaps.compute(win.x, win.w, out_w, bx0, bx1);
    scratch.ytaps.compute(win.y, win.h, out_h, by0, by1);
    let (xt, yt) = (&scratch.xtaps, &scratch.ytaps);

    let row0 = yt.start.iter().copied().min().unwrap_or(0);
    let row1 = (0..out_h)
        .map(|o| yt.start[o] + yt.count[o])
        .max()
        .unwrap_or(0);
    let stride = out_w * 3;
    scratch.rows.clear();
    scratch.rows.resize((row1 - row0) * stride, 0.0);
    let src = img.as_raw();
    for (r, dst) in scratch.rows.chunks_exact_mut(stride).enumerate() {
        let y = row0 + r;
        let line = &src[y * iw * 3..(y + 1) * iw * 3];
        for (o, px) in dst.chunks_exact_mut(3).enumerate() {
            let first = xt.start[o];
            let (mut r_, mut g_, mut b_) = (0.0f32, 0.0f32, 0.0f32);
            for (k, &w) in xt.weights(o).iter().enumerate() {
                let p = &line[(first + k) * 3..(first + k) * 3 + 3];
                r_ += w * p[0] as f32;
                g_ += w * p[1] as f32;
                b_ += w * p[2] as f32;
            }
            px[0] = r_;
            px[1] = g_;
            px[2] = b_;
        }
    }

    scratch.out.clear();
    scratch.out.resize(out_h * stride, 0.0);
    for (o, dst) in scratch.out.chunks_exact_mut(stride).enumerate() {
        let first = yt.start[o] - row0;
        for (k, &w) in yt.weights(o).iter().enumerate() {
            let line = &scratch.rows[(first + k) * stride..(first + k + 1) * stride];
            for (d, s) in dst.iter_mut().zip(line) {
                *d += w * s;
            }
        }
    }
}
