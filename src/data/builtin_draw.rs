//! Rasterizing one built-in image (see [`super::builtin`] for what the classes are).
//!
//! Shapes are signed distance functions in the object's frame (radius 1), so edges are
//! anti-aliased by coverage `clamp(0.5 - distance_in_pixels, 0, 1)`; colors are composed in
//! [0, 1] floats and quantized once.

use image::RgbImage;

use super::rng::DataRng;

type Rgb = [f64; 3];

fn hsv(h: f64, s: f64, v: f64) -> Rgb {
    let h = h.rem_euclid(1.0) * 6.0;
    let f = h - h.floor();
    let (p, q, t) = (v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f)));
    match h as usize % 6 {
        0 => [v, t, p],
        1 => [q, v, p],
        2 => [p, v, t],
        3 => [p, q, v],
        4 => [t, p, v],
        _ => [v, p, q],
    }
}

fn lerp(a: Rgb, b: Rgb, t: f64) -> Rgb {
    [0, 1, 2].map(|c| a[c] + (b[c] - a[c]) * t)
}

/// Signed distance (negative inside) of shape `shape` at `(x, y)`, radius 1.
fn sdf(shape: usize, x: f64, y: f64) -> f64 {
    let boxd = |a: f64, b: f64| (x.abs() - a).max(y.abs() - b);
    match shape {
        0 => x.hypot(y) - 1.0,                           // disk
        1 => (x.hypot(y) - 0.7).abs() - 0.3,             // ring
        2 => boxd(0.8, 0.8),                             // square
        3 => (x.abs().max(y.abs()) - 0.62).abs() - 0.25, // frame
        4 => {
            [90f64, 210.0, 330.0] // triangle
                .iter()
                .map(|a| {
                    let (s, c) = a.to_radians().sin_cos();
                    c * x + s * y
                })
                .fold(f64::MIN, f64::max)
                - 0.5
        }
        5 => boxd(0.95, 0.3).min(boxd(0.3, 0.95)), // cross
        6 => boxd(1.0, 0.32),                      // bar
        _ => {
            // star: five points, radius between 0.25 and 0.95
            let r = x.hypot(y);
            let theta = y.atan2(x);
            (r - (0.6 + 0.35 * (5.0 * theta).cos())) * 0.8
        }
    }
}

/// The two colors of a scheme: gray, mono, complementary, quarter.
fn scheme_colors(scheme: usize, rng: &mut DataRng) -> (Rgb, Rgb) {
    let h = rng.unit();
    let (a, b) = match scheme {
        0 => (
            hsv(0.0, 0.0, rng.uniform(0.1, 0.4)),
            hsv(0.0, 0.0, rng.uniform(0.6, 0.95)),
        ),
        1 => {
            let s = rng.uniform(0.55, 0.95);
            (
                hsv(h, s, rng.uniform(0.2, 0.45)),
                hsv(h, s, rng.uniform(0.7, 1.0)),
            )
        }
        _ => {
            let turn = if scheme == 2 {
                0.5
            } else if rng.chance(0.5) {
                0.25
            } else {
                -0.25
            };
            let c1 = hsv(h, rng.uniform(0.55, 0.95), rng.uniform(0.55, 0.95));
            let c2 = hsv(h + turn, rng.uniform(0.55, 0.95), rng.uniform(0.55, 0.95));
            (c1, c2)
        }
    };
    if rng.chance(0.5) { (a, b) } else { (b, a) }
}

/// An object placed in the image: center, radius (pixels), rotation.
struct Placement {
    cx: f64,
    cy: f64,
    radius: f64,
    cos: f64,
    sin: f64,
}

impl Placement {
    fn random(rng: &mut DataRng, side: f64, radius: f64, margin: f64) -> Self {
        let lo = (radius * margin).min(side / 2.0);
        let (cx, cy) = (rng.uniform(lo, side - lo), rng.uniform(lo, side - lo));
        let (sin, cos) = rng.uniform(0.0, std::f64::consts::TAU).sin_cos();
        Placement {
            cx,
            cy,
            radius,
            cos,
            sin,
        }
    }

    /// Pixel center (x, y) in the object's frame, in radii.
    fn local(&self, x: f64, y: f64) -> (f64, f64) {
        let (dx, dy) = (x - self.cx, y - self.cy);
        (
            (self.cos * dx + self.sin * dy) / self.radius,
            (-self.sin * dx + self.cos * dy) / self.radius,
        )
    }
}

pub(crate) fn draw(
    shape: usize,
    texture: usize,
    scheme: usize,
    size: usize,
    difficulty: f64,
    rng: &mut DataRng,
) -> RgbImage {
    let side = size as f64;
    let d = difficulty;
    let mut px = vec![[0.0f64; 3]; size * size];

    // Background: a two-color gradient at a random angle.
    let bg_a = hsv(rng.unit(), rng.uniform(0.0, 0.5), rng.uniform(0.25, 0.85));
    let bg_b = hsv(rng.unit(), rng.uniform(0.0, 0.5), rng.uniform(0.25, 0.85));
    let (gs, gc) = rng.uniform(0.0, std::f64::consts::TAU).sin_cos();
    for (i, p) in px.iter_mut().enumerate() {
        let (x, y) = (
            (i % size) as f64 + 0.5 - side / 2.0,
            (i / size) as f64 + 0.5 - side / 2.0,
        );
        *p = lerp(bg_a, bg_b, ((x * gc + y * gs) / side + 0.5).clamp(0.0, 1.0));
    }

    // Clutter: small solid shapes of every kind, behind the object.
    let clutter = (2.0 + 6.0 * d).round() as usize;
    for _ in 0..clutter {
        let kind = rng.below(8) as usize;
        let radius = side * rng.uniform(0.06, 0.12 + 0.08 * d);
        let at = Placement::random(rng, side, radius, 0.0);
        let color = hsv(rng.unit(), rng.unit(), rng.uniform(0.2, 1.0));
        let opacity = rng.uniform(0.5, 1.0);
        paint(&mut px, size, &at, |x, y| {
            let cov = (0.5 - sdf(kind, x, y) * at.radius).clamp(0.0, 1.0);
            (cov * opacity, color)
        });
    }

    // The object.
    let radius = side * rng.uniform(0.34 - 0.14 * d, 0.42);
    let at = Placement::random(rng, side, radius, 0.8);
    let (c1, c2) = scheme_colors(scheme, rng);
    let c2 = lerp(c1, c2, 1.0 - 0.35 * d);
    let opacity = 1.0 - 0.3 * d * rng.unit();
    let period = (radius * rng.uniform(0.35, 0.55)).max(2.5);
    let (ts, tc) = rng.uniform(0.0, std::f64::consts::PI).sin_cos();
    let (ph_u, ph_v) = (rng.unit(), rng.unit());
    let border = (0.28 * radius).max(1.5);
    paint(&mut px, size, &at, |x, y| {
        let dist = sdf(shape, x, y) * at.radius;
        let cov = (0.5 - dist).clamp(0.0, 1.0);
        if cov == 0.0 {
            return (0.0, c1);
        }
        // Texture coordinates in pixels, turned by the texture's own angle.
        let (xp, yp) = (x * at.radius, y * at.radius);
        let (u, v) = (tc * xp + ts * yp, -ts * xp + tc * yp);
        let t = match texture {
            0 => 0.5 + 1.5 * (std::f64::consts::TAU * (u / period + ph_u)).sin(),
            1 => {
                let cell = period * 0.6;
                let s = (std::f64::consts::PI * (u / cell + ph_u)).sin()
                    * (std::f64::consts::PI * (v / cell + ph_v)).sin();
                0.5 + 3.0 * s
            }
            2 => {
                let du = (u / period + ph_u).rem_euclid(1.0) - 0.5;
                let dv = (v / period + ph_v).rem_euclid(1.0) - 0.5;
                0.5 - (du.hypot(dv) - 0.3) * period
            }
            _ => 0.5 + dist + border,
        };
        (cov * opacity, lerp(c1, c2, t.clamp(0.0, 1.0)))
    });

    // Pixel noise, then 8 bits.
    let sigma = 0.02 + 0.08 * d;
    let mut bytes = Vec::with_capacity(size * size * 3);
    for p in &px {
        for c in p {
            bytes.push(
                ((c + sigma * rng.normal()) * 255.0)
                    .round()
                    .clamp(0.0, 255.0) as u8,
            );
        }
    }
    RgbImage::from_raw(size as u32, size as u32, bytes).expect("size x size x 3 bytes")
}

/// Blends `shade(x_local, y_local) = (alpha, color)` over the pixels near a placement.
fn paint(px: &mut [[f64; 3]], size: usize, at: &Placement, shade: impl Fn(f64, f64) -> (f64, Rgb)) {
    let reach = at.radius * 1.5 + 1.0;
    let x0 = (at.cx - reach).floor().max(0.0) as usize;
    let y0 = (at.cy - reach).floor().max(0.0) as usize;
    let x1 = ((at.cx + reach).ceil() as usize).min(size);
    let y1 = ((at.cy + reach).ceil() as usize).min(size);
    for y in y0..y1 {
        for x in x0..x1 {
            let (lx, ly) = at.local(x as f64 + 0.5, y as f64 + 0.5);
            let (alpha, color) = shade(lx, ly);
            if alpha > 0.0 {
                let p = &mut px[y * size + x];
                *p = lerp(*p, color, alpha);
            }
        }
    }
}
