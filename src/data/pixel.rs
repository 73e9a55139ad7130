//! The per-pixel half of the transforms, fused with resampling: jitter matrix and clamp,
//! lighting offset, normalization and the HWC -> CHW (optionally mirrored) layout, applied to
//! each output row as the resampler produces it.

use image::RgbImage;

use super::color;
use super::resample::{Scratch, Window, resize_rows};

/// Per-pixel color work fused into one pass: optional jitter matrix and clamp, lighting
/// offset, normalization, and the HWC -> CHW (optionally mirrored) layout change.
pub(crate) struct PixelMap {
    matrix: Option<[[f32; 3]; 3]>,
    scale: [f32; 3],
    bias: [f32; 3],
}

impl PixelMap {
    pub(crate) fn new(matrix: Option<color::Mat3>, lighting: [f64; 3], normalize: bool) -> Self {
        let (mean, std) = if normalize {
            (color::MEAN, color::STD)
        } else {
            ([0.0; 3], [1.0; 3])
        };
        PixelMap {
            matrix: matrix.map(|m| m.map(|row| row.map(|v| v as f32))),
            scale: [0, 1, 2].map(|c| (1.0 / std[c]) as f32),
            bias: [0, 1, 2].map(|c| ((lighting[c] - mean[c]) / std[c]) as f32),
        }
    }

    /// Writes `img` (already at its final size), mapped, as CHW into `out`.
    pub(crate) fn map_into(&self, img: &RgbImage, out: &mut [f32]) {
        let plane = (img.width() * img.height()) as usize;
        assert_eq!(out.len(), 3 * plane, "output buffer size");
        let (scale, bias) = (self.scale, self.bias);
        for (i, p) in img.pixels().enumerate() {
            let [r, g, b] = p.0.map(|v| v as f32);
            let q = match &self.matrix {
                Some(m) => {
                    [0, 1, 2].map(|c| (m[c][0] * r + m[c][1] * g + m[c][2] * b).clamp(0.0, 255.0))
                }
                None => [r, g, b],
            };
            for c in 0..3 {
                out[c * plane + i] = q[c] * scale[c] + bias[c];
            }
        }
    }

    /// Resizes `window` of `img` to `size` x `size` and writes it, mapped, as CHW into
    /// `out`, one row at a time (each row goes from the resampler to `out` while in cache).
    ///
    /// On x86-64 CPUs with AVX2 the same code is compiled a second time with AVX2 enabled
    /// (8-wide vectors instead of SSE2's 4) and picked at run time. FMA stays off, and no
    /// sum is reordered, so both versions give the same bits.
    pub(crate) fn resize_into(
        &self,
        img: &RgbImage,
        window: &Window,
        size: usize,
        flip: bool,
        scratch: &mut Scratch,
        out: &mut [f32],
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            unsafe { self.resize_into_avx2(img, window, size, flip, scratch, out) };
            return;
        }
        self.resize_into_any(img, window, size, flip, scratch, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn resize_into_avx2(
        &self,
        img: &RgbImage,
        window: &Window,
        size: usize,
        flip: bool,
        scratch: &mut Scratch,
        out: &mut [f32],
    ) {
        self.resize_into_any(img, window, size, flip, scratch, out);
    }

    #[inline(always)]
    fn resize_into_any(
        &self,
        img: &RgbImage,
        window: &Window,
        size: usize,
        flip: bool,
        scratch: &mut Scratch,
        out: &mut [f32],
    ) {
        assert_eq!(out.len(), 3 * size * size, "output buffer size");
        let plane = size * size;
        let (r_out, rest) = out.split_at_mut(plane);
        let (g_out, b_out) = rest.split_at_mut(plane);
        let (m, scale, bias) = (self.matrix, self.scale, self.bias);
        resize_rows(img, window, size, size, scratch, |y, [r, g, b]| {
            let line = y * size..(y + 1) * size;
            let (r_row, g_row, b_row) = (
                &mut r_out[line.clone()],
                &mut g_out[line.clone()],
                &mut b_out[line],
            );
            let outs = r_row.iter_mut().zip(g_row.iter_mut()).zip(b_row.iter_mut());
            let ins = r.iter().zip(g).zip(b);
            match &m {
                Some(m) => {
                    for (((ro, go), bo), ((&r, &g), &b)) in outs.zip(ins) {
                        let q0 = (m[0][0] * r + m[0][1] * g + m[0][2] * b).clamp(0.0, 255.0);
                        let q1 = (m[1][0] * r + m[1][1] * g + m[1][2] * b).clamp(0.0, 255.0);
                        let q2 = (m[2][0] * r + m[2][1] * g + m[2][2] * b).clamp(0.0, 255.0);
                        *ro = q0 * scale[0] + bias[0];
                        *go = q1 * scale[1] + bias[1];
                        *bo = q2 * scale[2] + bias[2];
                    }
                }
                None => {
                    for (((ro, go), bo), ((&r, &g), &b)) in outs.zip(ins) {
                        *ro = r * scale[0] + bias[0];
                        *go = g * scale[1] + bias[1];
                        *bo = b * scale[2] + bias[2];
                    }
                }
            }
            if flip {
                r_row.reverse();
                g_row.reverse();
                b_row.reverse();
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AugmentSection;
    use crate::data::rng::DataRng;
    use crate::data::transform::TrainTransform;

    /// The AVX2 build of the pixel pipeline must give the same bits as the portable one.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn avx2_and_portable_paths_agree_bit_for_bit() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        let img = RgbImage::from_fn(97, 61, |x, y| {
            image::Rgb([(x * 7 + y) as u8, (y * 5) as u8, (x * y) as u8])
        });
        let t = TrainTransform::new(40, &AugmentSection::default());
        for i in 0..20 {
            let p = t.sample(97, 61, &mut DataRng::new(i));
            let window = Window {
                x: p.crop.unwrap().x as f64,
                y: p.crop.unwrap().y as f64,
                w: p.crop.unwrap().w as f64,
                h: p.crop.unwrap().h as f64,
                bounds: [0, 0, 97, 61],
            };
            let map = PixelMap::new(p.jitter.map(|j| j.matrix()), [1.5, -2.0, 0.5], true);
            let (mut a, mut b) = (vec![0.0; 3 * 40 * 40], vec![0.0; 3 * 40 * 40]);
            let mut s = Scratch::default();
            map.resize_into_any(&img, &window, 40, p.flip, &mut s, &mut a);
            // SAFETY: AVX2 was detected above.
            unsafe { map.resize_into_avx2(&img, &window, 40, p.flip, &mut s, &mut b) };
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a), bits(&b), "draw {i}");
        }
    }
}
