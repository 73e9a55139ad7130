//! The geometric operations of RandAugment (rotate, shear, translate), as Pillow's
//! `Image.transform(size, AFFINE, (a, b, c, d, e, f), resample, fillcolor)` computes them:
//! output pixel `(x, y)` reads the input at `(a (x + .5) + b (y + .5) + c, d (x + .5) +
//! e (y + .5) + f)`, with bilinear or bicubic interpolation, and takes the fill colour where
//! that point is outside the image.

use image::{Rgb, RgbImage};

/// The two filters timm picks between for these ops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resample {
    Bilinear,
    Bicubic,
}

/// Pillow's inverse affine map: output -> input coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine(pub [f64; 6]);

impl Affine {
    /// `ImageOps`-style shear along x (`shear_x` in timm): `(1, factor, 0, 0, 1, 0)`.
    pub fn shear_x(factor: f64) -> Self {
        Affine([1.0, factor, 0.0, 0.0, 1.0, 0.0])
    }

    pub fn shear_y(factor: f64) -> Self {
        Affine([1.0, 0.0, 0.0, factor, 1.0, 0.0])
    }

    /// A shift by `pixels` (timm's `translate_x_rel`: `pct * width`).
    pub fn translate(dx: f64, dy: f64) -> Self {
        Affine([1.0, 0.0, dx, 0.0, 1.0, dy])
    }

    /// `Image.rotate(degrees)` (counter-clockwise, about the center, same size).
    pub fn rotate(degrees: f64, width: u32, height: u32) -> Self {
        let angle = -degrees.to_radians();
        // Pillow rounds the matrix to 15 decimals (so 90 degrees is exact).
        let round15 = |v: f64| (v * 1e15).round() / 1e15;
        let (cos, sin) = (round15(angle.cos()), round15(angle.sin()));
        let (cx, cy) = (width as f64 / 2.0, height as f64 / 2.0);
        let m = [cos, sin, 0.0, -sin, cos, 0.0];
        // Pillow: translate so the center stays put.
        let c = m[0] * -cx + m[1] * -cy + m[2] + cx;
        let f = m[3] * -cx + m[4] * -cy + m[5] + cy;
        Affine([m[0], m[1], c, m[3], m[4], f])
    }
}

fn clip(v: i64, n: u32) -> u32 {
    v.clamp(0, n as i64 - 1) as u32
}

fn to_u8(v: f64) -> u8 {
    if v <= 0.0 {
        0
    } else if v >= 255.0 {
        255
    } else {
        v as u8
    }
}

fn bilinear(img: &RgbImage, x: f64, y: f64) -> [u8; 3] {
    let (x, y) = (x - 0.5, y - 0.5);
    let (x0, y0) = (x.floor(), y.floor());
    let (dx, dy) = (x - x0, y - y0);
    let (w, h) = (img.width(), img.height());
    let (xa, xb) = (clip(x0 as i64, w), clip(x0 as i64 + 1, w));
    let (ya, yb) = (clip(y0 as i64, h), clip(y0 as i64 + 1, h));
    let mut out = [0u8; 3];
    for (c, o) in out.iter_mut().enumerate() {
        let p = |x: u32, y: u32| img.get_pixel(x, y).0[c] as f64;
        let top = p(xa, ya) + dx * (p(xb, ya) - p(xa, ya));
        let bottom = p(xa, yb) + dx * (p(xb, yb) - p(xa, yb));
        *o = to_u8(top + dy * (bottom - top));
    }
    out
}

/// Pillow's transform bicubic (its `BICUBIC` macro: cubic convolution with a = -1).
fn cubic(v1: f64, v2: f64, v3: f64, v4: f64, d: f64) -> f64 {
    let p1 = v2;
    let p2 = -v1 + v3;
    let p3 = 2.0 * (v1 - v2) + v3 - v4;
    let p4 = -v1 + v2 - v3 + v4;
    p1 + d * (p2 + d * (p3 + d * p4))
}

fn bicubic(img: &RgbImage, x: f64, y: f64) -> [u8; 3] {
    let (x, y) = (x - 0.5, y - 0.5);
    let (x0, y0) = (x.floor() as i64, y.floor() as i64);
    let (dx, dy) = (x - x0 as f64, y - y0 as f64);
    let (w, h) = (img.width(), img.height());
    let mut out = [0u8; 3];
    for (c, o) in out.iter_mut().enumerate() {
        let row = |yy: i64| {
            let p = |xx: i64| img.get_pixel(clip(xx, w), clip(yy, h)).0[c] as f64;
            cubic(p(x0 - 1), p(x0), p(x0 + 1), p(x0 + 2), dx)
        };
        *o = to_u8(cubic(row(y0 - 1), row(y0), row(y0 + 1), row(y0 + 2), dy));
    }
    out
}

/// Pillow's `Image.transform(AFFINE)` of `img` onto an image of the same size.
pub fn transform(img: &RgbImage, map: Affine, resample: Resample, fill: [u8; 3]) -> RgbImage {
    let [a, b, c, d, e, f] = map.0;
    let (w, h) = (img.width(), img.height());
    RgbImage::from_fn(w, h, |x, y| {
        let (xo, yo) = (x as f64 + 0.5, y as f64 + 0.5);
        let (xi, yi) = (a * xo + b * yo + c, d * xo + e * yo + f);
        if xi < 0.0 || xi >= w as f64 || yi < 0.0 || yi >= h as f64 {
            return Rgb(fill);
        }
        Rgb(match resample {
            Resample::Bilinear => bilinear(img, xi, yi),
            Resample::Bicubic => bicubic(img, xi, yi),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp() -> RgbImage {
        RgbImage::from_fn(4, 4, |x, y| Rgb([(10 * x + 50 * y) as u8, 0, 0]))
    }

    /// A shift by one whole pixel copies pixels: output x reads input x + 1, and the last
    /// column reads x = 4.5, outside: the fill.
    #[test]
    fn whole_pixel_translation_shifts_and_fills() {
        let out = transform(
            &ramp(),
            Affine::translate(1.0, 0.0),
            Resample::Bilinear,
            [7, 8, 9],
        );
        assert_eq!(out.get_pixel(0, 2).0, [110, 0, 0]);
        assert_eq!(out.get_pixel(2, 1).0, [80, 0, 0]);
        assert_eq!(out.get_pixel(3, 1).0, [7, 8, 9]);
    }

    /// Half a pixel: bilinear averages neighbours, (10 + 20) / 2 = 15 in row 0 at x = 1.
    #[test]
    fn half_pixel_translation_interpolates() {
        let out = transform(
            &ramp(),
            Affine::translate(0.5, 0.0),
            Resample::Bilinear,
            [0; 3],
        );
        assert_eq!(out.get_pixel(1, 0).0[0], 15);
    }

    /// Rotating by 90 degrees about the center of a 4 x 4 image moves the top-right corner
    /// to the top-left (counter-clockwise).
    #[test]
    fn rotation_is_counter_clockwise_about_the_center() {
        let out = transform(
            &ramp(),
            Affine::rotate(90.0, 4, 4),
            Resample::Bilinear,
            [0; 3],
        );
        assert_eq!(out.get_pixel(0, 0).0[0], ramp().get_pixel(3, 0).0[0]);
        assert_eq!(out.get_pixel(0, 3).0[0], ramp().get_pixel(0, 0).0[0]);
    }
}
