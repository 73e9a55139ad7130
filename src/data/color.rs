//! The paper's color steps (Sec. 2, steps 4 to 6) as linear algebra on RGB in [0, 255].
//!
//! Brightness, saturation and hue are each a linear map of RGB, so the three of them (in any
//! order) are one 3x3 matrix per image, and lighting plus normalization are one offset and
//! scale: the whole color pipeline costs 12 multiply-adds per pixel.
//!
//! - Brightness by factor `b`: `p -> b p`.
//! - Saturation by factor `s`: `p -> s p + (1 - s) gray(p)`, `gray = 0.299 R + 0.587 G + 0.114 B`
//!   (the luma of ITU-R BT.601, as MXNet's `SaturationJitterAug` and PIL use).
//! - Hue: the paper scales it "by a factor", but hue is an angle with an arbitrary origin
//!   (red), so multiplying it is not meaningful. botui follows the authors' framework (MXNet's
//!   `HueJitterAug`, GluonCV's `hue` jitter): a rotation of the chroma plane of YIQ by
//!   `(h - 1) * pi` for a factor `h`, so `h ~ U[0.6, 1.4]` rotates by up to +/- 72 degrees and
//!   `h = 1` is the identity. Luma is unchanged. torchvision's `ColorJitter(hue=0.2)` shifts
//!   HSV hue by up to +/- 0.2 turn = 72 degrees: the same size of change in another color space.
//! - After the jitter the pixel is clamped to [0, 255] once (PIL clamps after every step on
//!   8-bit images; MXNet's float ops do not clamp at all).
//! - Lighting (AlexNet's PCA noise): `alpha ~ N(0, std)^3`, offset
//!   `rgb = 255 * V (alpha * lambda)` with V's columns the eigenvectors and lambda the
//!   eigenvalues below. fb.resnet.torch applies `V (alpha * lambda)` to pixels in [0, 1];
//!   GluonCV/MXNet (`RandomLighting`, before `ToTensor`) applies the same with
//!   eigenvalues pre-multiplied by 255 (55.46, 4.794, 1.148) to pixels in [0, 255]. Both are
//!   this formula. Not clamped (neither reference clamps).
//! - Normalization: `(p - mean) / std` per channel.

/// BT.601 luma weights.
pub const LUMA: [f64; 3] = [0.299, 0.587, 0.114];

/// ImageNet RGB eigenvalues for pixels in [0, 1] (AlexNet; fb.resnet.torch).
pub const PCA_EIGVAL: [f64; 3] = [0.2175, 0.0188, 0.0045];

/// ImageNet RGB eigenvectors: column `j` is the eigenvector of `PCA_EIGVAL[j]`.
pub const PCA_EIGVEC: [[f64; 3]; 3] = [
    [-0.5675, 0.7192, 0.4009],
    [-0.5808, -0.0045, -0.8140],
    [-0.5836, -0.6948, 0.4203],
];

/// The paper's normalization, on the [0, 255] scale.
pub const MEAN: [f64; 3] = [123.68, 116.779, 103.939];
pub const STD: [f64; 3] = [58.393, 57.12, 57.375];

/// NTSC RGB -> YIQ.
const YIQ: [[f64; 3]; 3] = [
    [0.299, 0.587, 0.114],
    [0.596, -0.274, -0.322],
    [0.211, -0.523, 0.312],
];

pub type Mat3 = [[f64; 3]; 3];

pub const IDENTITY: Mat3 = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

pub fn mul(a: &Mat3, b: &Mat3) -> Mat3 {
    let mut m = [[0.0; 3]; 3];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

pub fn apply(m: &Mat3, p: [f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|i| m[i][0] * p[0] + m[i][1] * p[1] + m[i][2] * p[2])
}

fn inverse(m: &Mat3) -> Mat3 {
    let c = |i: usize, j: usize| {
        let (r0, r1) = ((i + 1) % 3, (i + 2) % 3);
        let (c0, c1) = ((j + 1) % 3, (j + 2) % 3);
        m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]
    };
    let det = m[0][0] * c(0, 0) + m[0][1] * c(0, 1) + m[0][2] * c(0, 2);
    let mut inv = [[0.0; 3]; 3];
    for (i, row) in inv.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = c(j, i) / det; // adjugate = transposed cofactors
        }
    }
    inv
}

pub fn brightness(factor: f64) -> Mat3 {
    [[factor, 0.0, 0.0], [0.0, factor, 0.0], [0.0, 0.0, factor]]
}

pub fn saturation(factor: f64) -> Mat3 {
    let mut m = [[0.0; 3]; 3];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = (1.0 - factor) * LUMA[j] + if i == j { factor } else { 0.0 };
        }
    }
    m
}

/// Rotation of the YIQ chroma plane by `angle` radians.
pub fn hue_rotation(angle: f64) -> Mat3 {
    let (s, c) = angle.sin_cos();
    let rot = [[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]];
    mul(&inverse(&YIQ), &mul(&rot, &YIQ))
}

/// The rotation angle a hue factor stands for (see the module comment).
pub fn hue_angle(factor: f64) -> f64 {
    (factor - 1.0) * std::f64::consts::PI
}

/// One of the three jitter steps, so their order can be drawn per image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JitterStep {
    Brightness,
    Saturation,
    Hue,
}

/// The factors drawn for one image, applied in `order` (MXNet's `ColorJitterAug` and
/// torchvision's `ColorJitter` both shuffle the order per image).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Jitter {
    pub brightness: f64,
    pub saturation: f64,
    pub hue: f64,
    pub order: [JitterStep; 3],
}

impl Jitter {
    pub fn matrix(&self) -> Mat3 {
        self.order.iter().fold(IDENTITY, |m, step| {
            let s = match step {
                JitterStep::Brightness => brightness(self.brightness),
                JitterStep::Saturation => saturation(self.saturation),
                JitterStep::Hue => hue_rotation(hue_angle(self.hue)),
            };
            mul(&s, &m)
        })
    }
}

/// The lighting offset on the [0, 255] scale for coefficients `alpha`.
pub fn lighting_offset(alpha: [f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|c| {
        255.0
            * (0..3)
                .map(|j| PCA_EIGVEC[c][j] * alpha[j] * PCA_EIGVAL[j])
                .sum::<f64>()
    })
}
