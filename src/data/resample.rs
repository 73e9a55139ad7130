//! Resampling a window of an RGB image to a new size with a triangle (bilinear) filter that
//! widens when shrinking, as PIL's `resize(BILINEAR)` and torchvision's antialiased resize do:
//! a downscale averages every source pixel under the output pixel instead of skipping most of
//! them (which plain bilinear sampling does and which aliases badly below half size).
//!
//! Separable and row-streaming: for each output row, a vertical pass over the contiguous
//! source rows it needs (u8 -> f32 multiply-adds that vectorize), then a horizontal pass over
//! that one row, handed to the caller while it is still in L1 cache. Vertical first means the
//! (gathering, scalar) horizontal pass runs on `out_h` rows rather than the crop's height.

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
    column: Vec<f32>,
    planes: [Vec<f32>; 3],
    /// The result of [`resize_window`], HWC, values in [0, 255].
    pub out: Vec<f32>,
    xtaps: Taps,
    ytaps: Taps,
}

/// For each output index along one axis: the first source index and the filter weights.
#[derive(Default)]
struct Taps {
    start: Vec<usize>,
    /// `offsets[o]..offsets[o + 1]` are output `o`'s weights in `weights`.
    offsets: Vec<usize>,
    weights: Vec<f32>,
}

impl Taps {
    fn compute(&mut self, start: f64, len: f64, out: usize, lo: usize, hi: usize) {
        let scale = len / out as f64;
        let filter_scale = scale.max(1.0);
        let support = filter_scale; // triangle of radius 1, stretched when shrinking
        self.start.clear();
        self.offsets.clear();
        self.weights.clear();
        self.offsets.push(0);
        for o in 0..out {
            let center = start + (o as f64 + 0.5) * scale;
            let mut first = ((center - support).floor().max(lo as f64) as usize).min(hi - 1);
            let mut last = ((center + support).ceil().min(hi as f64) as usize).max(first + 1);
            let weight =
                |j: usize| (1.0 - ((j as f64 + 0.5 - center) / filter_scale).abs()).max(0.0);
            // Drop zero weights at both ends: fewer taps in the inner loops.
            while last - first > 1 && weight(first) == 0.0 {
                first += 1;
            }
            while last - first > 1 && weight(last - 1) == 0.0 {
                last -= 1;
            }
            let sum: f64 = (first..last).map(weight).sum();
            if sum > 0.0 {
                self.weights
                    .extend((first..last).map(|j| (weight(j) / sum) as f32));
            } else {
                // The window lies outside the bounds: take the nearest pixel.
                self.weights.push(1.0);
            }
            self.start.push(first);
            self.offsets.push(self.weights.len());
        }
    }

    #[inline(always)]
    fn taps(&self, o: usize) -> (usize, &[f32]) {
        (
            self.start[o],
            &self.weights[self.offsets[o]..self.offsets[o + 1]],
        )
    }

    /// The source range all outputs read.
    fn span(&self) -> (usize, usize) {
        let lo = self.start.iter().copied().min().unwrap_or(0);
        let hi = (0..self.start.len())
            .map(|o| self.start[o] + self.offsets[o + 1] - self.offsets[o])
            .max()
            .unwrap_or(lo);
        (lo, hi)
    }
}

/// Resizes `win` of `img` to `out_w` x `out_h`, calling `emit(y, [r, g, b])` for each output
/// row (three planes of `out_w` values, f32 in [0, 255]: planar, so the caller's per-pixel
/// work vectorizes).
#[inline(always)]
pub fn resize_rows(
    img: &RgbImage,
    win: &Window,
    out_w: usize,
    out_h: usize,
    scratch: &mut Scratch,
    mut emit: impl FnMut(usize, [&[f32]; 3]),
) {
    let iw = img.width() as usize;
    let [bx0, by0, bx1, by1] = win.bounds;
    assert!(
        bx0 < bx1 && bx1 <= iw && by0 < by1 && by1 <= img.height() as usize,
        "window bounds {:?} outside a {}x{} image",
        win.bounds,
        iw,
        img.height()
    );
    scratch.xtaps.compute(win.x, win.w, out_w, bx0, bx1);
    scratch.ytaps.compute(win.y, win.h, out_h, by0, by1);
    let (c0, c1) = scratch.xtaps.span();
    let src = img.as_raw();
    scratch.column.resize((c1 - c0) * 3, 0.0);
    for p in &mut scratch.planes {
        p.resize(out_w, 0.0);
    }
    for oy in 0..out_h {
        // Vertical: the source rows under output row `oy`, columns c0..c1.
        let column = &mut scratch.column[..];
        column.fill(0.0);
        let (first, weights) = scratch.ytaps.taps(oy);
        for (k, &w) in weights.iter().enumerate() {
            let y = first + k;
            let line = &src[(y * iw + c0) * 3..(y * iw + c1) * 3];
            for (d, &s) in column.iter_mut().zip(line) {
                *d += w * s as f32;
            }
        }
        // Horizontal, within that one row.
        let [rp, gp, bp] = &mut scratch.planes;
        for (ox, ((r_out, g_out), b_out)) in rp
            .iter_mut()
            .zip(gp.iter_mut())
            .zip(bp.iter_mut())
            .enumerate()
        {
            let (first, weights) = scratch.xtaps.taps(ox);
            let from = (first - c0) * 3;
            let taps = &scratch.column[from..from + weights.len() * 3];
            let (mut r, mut g, mut b) = (0.0f32, 0.0f32, 0.0f32);
            for (&w, p) in weights.iter().zip(taps.chunks_exact(3)) {
                r += w * p[0];
                g += w * p[1];
                b += w * p[2];
            }
            *r_out = r;
            *g_out = g;
            *b_out = b;
        }
        let [rp, gp, bp] = &scratch.planes;
        emit(oy, [rp, gp, bp]);
    }
}

/// [`resize_rows`] collected into `scratch.out` (HWC).
pub fn resize_window(
    img: &RgbImage,
    win: &Window,
    out_w: usize,
    out_h: usize,
    scratch: &mut Scratch,
) {
    let mut out = std::mem::take(&mut scratch.out);
    out.clear();
    resize_rows(img, win, out_w, out_h, scratch, |_, [r, g, b]| {
        for x in 0..out_w {
            out.extend_from_slice(&[r[x], g[x], b[x]]);
        }
    });
    scratch.out = out;
}
