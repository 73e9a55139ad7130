//! The colour operations of RandAugment on 8-bit RGB images, as Pillow computes them (timm's
//! RandAugment calls `PIL.ImageOps` and `PIL.ImageEnhance`): look-up tables per channel, and
//! blends with a "degenerate" image truncated to 8 bits as `Image.blend` does.

use image::RgbImage;

/// Pillow's `L` conversion: `(299 R + 587 G + 114 B) / 1000` in 16-bit fixed point, rounded.
pub fn luma(p: [u8; 3]) -> u8 {
    ((p[0] as u32 * 19595 + p[1] as u32 * 38470 + p[2] as u32 * 7471 + 0x8000) >> 16) as u8
}

/// Applies one table per channel.
fn map_channels(img: &mut RgbImage, lut: &[[u8; 256]; 3]) {
    for p in img.pixels_mut() {
        for c in 0..3 {
            p.0[c] = lut[c][p.0[c] as usize];
        }
    }
}

fn same_for_all(f: impl Fn(u8) -> u8) -> [[u8; 256]; 3] {
    let mut t = [0u8; 256];
    for (i, v) in t.iter_mut().enumerate() {
        *v = f(i as u8);
    }
    [t; 3]
}

fn histograms(img: &RgbImage) -> [[u32; 256]; 3] {
    let mut h = [[0u32; 256]; 3];
    for p in img.pixels() {
        for c in 0..3 {
            h[c][p.0[c] as usize] += 1;
        }
    }
    h
}

/// `ImageOps.autocontrast` (cutoff 0): each channel stretched so its darkest value becomes 0
/// and its brightest 255.
pub fn auto_contrast(img: &mut RgbImage) {
    let h = histograms(img);
    let mut lut = same_for_all(|v| v);
    for c in 0..3 {
        let lo = h[c].iter().position(|&n| n > 0);
        let hi = h[c].iter().rposition(|&n| n > 0);
        let (Some(lo), Some(hi)) = (lo, hi) else {
            continue;
        };
        if hi <= lo {
            continue;
        }
        let scale = 255.0 / (hi - lo) as f64;
        let offset = -(lo as f64) * scale;
        for (i, v) in lut[c].iter_mut().enumerate() {
            *v = ((i as f64 * scale + offset) as i64).clamp(0, 255) as u8;
        }
    }
    map_channels(img, &lut);
}

/// `ImageOps.equalize`: each channel's histogram flattened.
pub fn equalize(img: &mut RgbImage) {
    let h = histograms(img);
    let mut lut = same_for_all(|v| v);
    for c in 0..3 {
        let used: Vec<u32> = h[c].iter().copied().filter(|&n| n > 0).collect();
        if used.len() <= 1 {
            continue;
        }
        let total: u32 = used.iter().sum();
        let step = (total - used[used.len() - 1]) / 255;
        if step == 0 {
            continue;
        }
        let mut n = step / 2;
        for (i, v) in lut[c].iter_mut().enumerate() {
            *v = (n / step).min(255) as u8;
            n += h[c][i];
        }
    }
    map_channels(img, &lut);
}

/// `ImageOps.invert`.
pub fn invert(img: &mut RgbImage) {
    map_channels(img, &same_for_all(|v| 255 - v));
}

/// `ImageOps.posterize`: keeps the `bits` most significant bits (8 or more: unchanged).
pub fn posterize(img: &mut RgbImage, bits: u32) {
    if bits >= 8 {
        return;
    }
    let mask = !((1u32 << (8 - bits)) - 1) as u8;
    map_channels(img, &same_for_all(|v| v & mask));
}

/// `ImageOps.solarize`: values at or above `threshold` inverted.
pub fn solarize(img: &mut RgbImage, threshold: u32) {
    map_channels(
        img,
        &same_for_all(|v| if (v as u32) < threshold { v } else { 255 - v }),
    );
}

/// timm's `solarize_add`: `add` added (capped at 255) to values below `threshold`.
pub fn solarize_add(img: &mut RgbImage, add: u32, threshold: u32) {
    map_channels(
        img,
        &same_for_all(|v| {
            if (v as u32) < threshold {
                (v as u32 + add).min(255) as u8
            } else {
                v
            }
        }),
    );
}

/// `Image.blend(degenerate, img, factor)`: `d + factor (v - d)`, clamped to [0, 255] and
/// truncated to 8 bits.
fn blend(img: &mut RgbImage, degenerate: impl Fn(usize, usize, usize) -> u8, factor: f64) {
    let width = img.width() as usize;
    for (i, p) in img.pixels_mut().enumerate() {
        let (x, y) = (i % width, i / width);
        for c in 0..3 {
            let d = degenerate(x, y, c) as f32;
            let v = d + factor as f32 * (p.0[c] as f32 - d);
            p.0[c] = if v <= 0.0 {
                0
            } else if v >= 255.0 {
                255
            } else {
                v as u8
            };
        }
    }
}

/// `ImageEnhance.Color`: blend with the image's own grey version.
pub fn color(img: &mut RgbImage, factor: f64) {
    let grey = img.clone();
    blend(
        img,
        |x, y, _| luma(grey.get_pixel(x as u32, y as u32).0),
        factor,
    );
}

/// `ImageEnhance.Contrast`: blend with a flat grey at the mean luma (rounded).
pub fn contrast(img: &mut RgbImage, factor: f64) {
    let sum: u64 = img.pixels().map(|p| luma(p.0) as u64).sum();
    let n = (img.width() * img.height()).max(1) as f64;
    let mean = (sum as f64 / n + 0.5) as u8;
    blend(img, |_, _, _| mean, factor);
}

/// `ImageEnhance.Brightness`: blend with black.
pub fn brightness(img: &mut RgbImage, factor: f64) {
    blend(img, |_, _, _| 0, factor);
}

/// `ImageFilter.SMOOTH`: the 3 x 3 kernel (1 1 1 / 1 5 1 / 1 1 1) / 13, rounded; the border
/// rows and columns are copied.
pub fn smooth(img: &RgbImage) -> RgbImage {
    let (w, h) = (img.width(), img.height());
    let mut out = img.clone();
    if w < 3 || h < 3 {
        return out;
    }
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let mut px = [0u8; 3];
            for (c, v) in px.iter_mut().enumerate() {
                let mut s = 0.0f32;
                for dy in 0..3 {
                    for dx in 0..3 {
                        let k = if dx == 1 && dy == 1 { 5.0 } else { 1.0 };
                        s += k / 13.0 * img.get_pixel(x + dx - 1, y + dy - 1).0[c] as f32;
                    }
                }
                *v = if s <= 0.0 {
                    0
                } else if s >= 255.0 {
                    255
                } else {
                    (s + 0.5) as u8
                };
            }
            out.put_pixel(x, y, image::Rgb(px));
        }
    }
    out
}

/// `ImageEnhance.Sharpness`: blend with the smoothed image.
pub fn sharpness(img: &mut RgbImage, factor: f64) {
    let smoothed = smooth(img);
    blend(
        img,
        |x, y, c| smoothed.get_pixel(x as u32, y as u32).0[c],
        factor,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn pixel(v: [u8; 3]) -> RgbImage {
        RgbImage::from_pixel(1, 1, Rgb(v))
    }

    /// Worked by hand: solarize at 77 inverts 77 and above; posterize to 2 bits keeps
    /// `v & 0b1100_0000`; solarize_add of 77 below 128; brightness 0.37 truncates 200 * 0.37
    /// = 74.0 and 100 * 0.37 = 37.0; invert is 255 - v.
    #[test]
    fn lookup_ops_by_hand() {
        let mut img = pixel([76, 77, 200]);
        solarize(&mut img, 77);
        assert_eq!(img.get_pixel(0, 0).0, [76, 178, 55]);
        let mut img = pixel([63, 64, 255]);
        posterize(&mut img, 2);
        assert_eq!(img.get_pixel(0, 0).0, [0, 64, 192]);
        let mut img = pixel([127, 128, 200]);
        solarize_add(&mut img, 77, 128);
        assert_eq!(img.get_pixel(0, 0).0, [204, 128, 200]);
        let mut img = pixel([200, 100, 3]);
        brightness(&mut img, 0.37);
        assert_eq!(img.get_pixel(0, 0).0, [74, 37, 1]);
        invert(&mut img);
        assert_eq!(img.get_pixel(0, 0).0, [181, 218, 254]);
        // Pillow's L of (255, 0, 0) is 76: 255 * 19595 / 65536 = 76.2.
        assert_eq!(luma([255, 0, 0]), 76);
    }

    /// Two pixels, 50 and 150 in every channel: autocontrast stretches them to 0 and 255;
    /// equalize (step = (2 - 1) / 255 = 0) leaves them.
    #[test]
    fn histogram_ops_by_hand() {
        let mut img = RgbImage::from_fn(2, 1, |x, _| Rgb([50 + 100 * x as u8; 3]));
        let original = img.clone();
        equalize(&mut img);
        assert_eq!(img, original);
        auto_contrast(&mut img);
        assert_eq!(img.get_pixel(0, 0).0, [0; 3]);
        assert_eq!(img.get_pixel(1, 0).0, [255; 3]);
    }
}
