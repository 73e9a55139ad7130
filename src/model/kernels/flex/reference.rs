//! Test-only: the convolution and its gradients as the definition's loops in f64, for dense
//! (groups 1) and depthwise weights, to check the kernels' tiling and index arithmetic against.

use super::geometry::ConvGeometry;

/// Deterministic values in [-1, 1).
pub fn values(len: usize, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

/// Calls `f(x_index, weight_index, y_index)` for every multiply of the convolution;
/// `depthwise`: output channel `o` reads only input channel `o`.
fn each_product(g: &ConvGeometry, depthwise: bool, mut f: impl FnMut(usize, usize, usize)) {
    let [h, w] = g.input;
    let [oh_n, ow_n] = g.output;
    let [kh_n, kw_n] = g.kernel;
    let per_out = if depthwise { 1 } else { g.channels_in };
    for n in 0..g.batch {
        for o in 0..g.channels_out {
            for ci in 0..per_out {
                let c = if depthwise { o } else { ci };
                for oh in 0..oh_n {
                    for ow in 0..ow_n {
                        for kh in 0..kh_n {
                            for kw in 0..kw_n {
                                let ih = (oh * g.stride[0] + kh) as isize - g.padding[0] as isize;
                                let iw = (ow * g.stride[1] + kw) as isize - g.padding[1] as isize;
                                if ih < 0 || iw < 0 || ih >= h as isize || iw >= w as isize {
                                    continue;
                                }
                                let xi =
                                    ((n * g.channels_in + c) * h + ih as usize) * w + iw as usize;
                                let wi = ((o * per_out + ci) * kh_n + kh) * kw_n + kw;
                                let yi = ((n * g.channels_out + o) * oh_n + oh) * ow_n + ow;
                                f(xi, wi, yi);
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn forward(x: &[f32], weight: &[f32], g: &ConvGeometry, depthwise: bool) -> Vec<f64> {
    let mut y = vec![0f64; g.y_len()];
    each_product(g, depthwise, |xi, wi, yi| {
        y[yi] += x[xi] as f64 * weight[wi] as f64;
    });
    y
}

/// `(x_grad, weight_grad)`.
pub fn backward(
    x: &[f32],
    weight: &[f32],
    dy: &[f32],
    g: &ConvGeometry,
    depthwise: bool,
) -> (Vec<f64>, Vec<f64>) {
    let mut dx = vec![0f64; x.len()];
    let mut dw = vec![0f64; weight.len()];
    each_product(g, depthwise, |xi, wi, yi| {
        dx[xi] += dy[yi] as f64 * weight[wi] as f64;
        dw[wi] += dy[yi] as f64 * x[xi] as f64;
    });
    (dx, dw)
}

/// Panics unless `got` is within `1e-5` of `expected`, relative to the largest magnitude.
pub fn assert_close(what: &str, got: &[f32], expected: &[f64]) {
    assert_eq!(got.len(), expected.len(), "{what}: length");
    let scale = expected.iter().fold(1f64, |m, v| m.max(v.abs()));
    for (i, (&a, &b)) in got.iter().zip(expected).enumerate() {
        assert!(
            (a as f64 - b).abs() <= 1e-5 * scale,
            "{what}: element {i} is {a}, expected {b}"
        );
    }
}
