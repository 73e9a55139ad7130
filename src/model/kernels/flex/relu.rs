//! ReLU and its backward pass as single element-wise passes, in place when the caller owns the
//! buffer, over chunks of [`CHUNK`] elements on rayon's pool. NaN propagates, as in PyTorch and
//! burn-flex: a NaN input stays NaN and keeps its gradient.

use rayon::prelude::*;

use super::simd::multiversion;

/// Elements per parallel task: large enough that a task outweighs its scheduling, small enough
/// that a ResNet activation splits into many.
const CHUNK: usize = 1 << 15;

/// `x = max(x, 0)` in place.
pub fn forward_in_place(x: &mut [f32]) {
    x.par_chunks_mut(CHUNK).for_each(relu_chunk);
}

/// `y = max(x, 0)`.
pub fn forward(x: &[f32], y: &mut [f32]) {
    assert_eq!(x.len(), y.len(), "relu output");
    y.par_chunks_mut(CHUNK)
        .zip(x.par_chunks(CHUNK))
        .for_each(|(y, x)| relu_into(x, y));
}

/// `grad = grad where output > 0, else 0`, in place.
pub fn backward_in_place(output: &[f32], grad: &mut [f32]) {
    assert_eq!(output.len(), grad.len(), "relu gradient");
    grad.par_chunks_mut(CHUNK)
        .zip(output.par_chunks(CHUNK))
        .for_each(|(g, o)| mask_chunk(o, g));
}

/// `x_grad = grad where output > 0, else 0`.
pub fn backward(output: &[f32], grad: &[f32], x_grad: &mut [f32]) {
    assert!(output.len() == grad.len() && grad.len() == x_grad.len());
    x_grad
        .par_chunks_mut(CHUNK)
        .zip(grad.par_chunks(CHUNK).zip(output.par_chunks(CHUNK)))
        .for_each(|(dx, (g, o))| mask_into(o, g, dx));
}

multiversion! {
    fn relu_chunk(x: &mut [f32]) {
        for v in x {
            *v = relu(*v);
        }
    }
}

multiversion! {
    fn relu_into(x: &[f32], y: &mut [f32]) {
        for (y, x) in y.iter_mut().zip(x) {
            *y = relu(*x);
        }
    }
}

multiversion! {
    fn mask_chunk(output: &[f32], grad: &mut [f32]) {
        for (g, &o) in grad.iter_mut().zip(output) {
            *g = if passes(o) { *g } else { 0.0 };
        }
    }
}

multiversion! {
    fn mask_into(output: &[f32], grad: &[f32], x_grad: &mut [f32]) {
        for ((dx, &g), &o) in x_grad.iter_mut().zip(grad).zip(output) {
            *dx = if passes(o) { g } else { 0.0 };
        }
    }
}

/// `max(x, 0)`, NaN kept (`f32::max` would turn it into 0).
#[inline(always)]
fn relu(x: f32) -> f32 {
    if passes(x) { x } else { 0.0 }
}

/// Whether ReLU passes `output` (and its gradient) through: positive or NaN.
#[inline(always)]
fn passes(output: f32) -> bool {
    output.is_nan() || output > 0.0
}
