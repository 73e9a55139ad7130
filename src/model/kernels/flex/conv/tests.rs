//! The GEMM convolution against the definition's loops, over shapes and tile sizes that reach
//! every path: tiles that cut rows, whole-image tiles, 1x1 views, strides, padding, 1x7/7x1.

use super::super::reference::{self, assert_close, values};
use super::*;

/// `(batch, c_in, c_out, input, kernel, stride, padding)`
type Shape = (
    usize,
    usize,
    usize,
    [usize; 2],
    [usize; 2],
    [usize; 2],
    [usize; 2],
);

const SHAPES: [Shape; 10] = [
    (2, 3, 5, [9, 9], [3, 3], [1, 1], [1, 1]),
    (3, 4, 6, [9, 7], [3, 3], [2, 2], [1, 1]),
    (2, 5, 3, [8, 8], [3, 3], [2, 2], [0, 0]),
    (2, 6, 4, [5, 5], [1, 1], [1, 1], [0, 0]),
    (3, 6, 4, [7, 7], [1, 1], [2, 2], [0, 0]),
    (2, 3, 4, [6, 9], [1, 7], [1, 1], [0, 3]),
    (2, 3, 4, [9, 6], [7, 1], [1, 1], [3, 0]),
    (1, 17, 19, [5, 3], [3, 3], [1, 1], [1, 1]),
    (4, 7, 5, [1, 1], [3, 3], [1, 1], [1, 1]),
    (3, 2, 3, [4, 4], [5, 5], [1, 1], [2, 2]),
];

/// Columns per tile: the production choice, tiles that cut rows (5, 7), a whole 9x9 plane per
/// tile (81), and several images per tile (1000).
const TARGETS: [Option<usize>; 5] = [None, Some(5), Some(7), Some(81), Some(1000)];

fn geometry(shape: &Shape) -> ConvGeometry {
    let &(batch, c_in, c_out, [h, w], [kh, kw], stride, padding) = shape;
    ConvGeometry::new([batch, c_in, h, w], [c_out, c_in, kh, kw], stride, padding).unwrap()
}

/// Shape `i`'s random input and weight (seeds differ per shape and per tensor).
fn input_and_weight(g: &ConvGeometry, i: usize) -> (Vec<f32>, Vec<f32>) {
    let x = values(g.x_len(), 1 + i as u64);
    let w = values(
        g.channels_out * g.channels_in * g.kernel_area(),
        100 + i as u64,
    );
    (x, w)
}

#[test]
fn forward_matches_the_definition() {
    for (i, shape) in SHAPES.iter().enumerate() {
        let g = geometry(shape);
        let (x, w) = input_and_weight(&g, i);
        let expected = reference::forward(&x, &w, &g, false);
        for target in TARGETS {
            let mut y = vec![f32::NAN; g.y_len()];
            forward_tiled(&x, &w, &g, &mut y, &Plan::new(&g, target));
            assert_close(&format!("{g:?} tile {target:?}: y"), &y, &expected);
        }
    }
}

#[test]
fn gradients_match_the_definition() {
    for (i, shape) in SHAPES.iter().enumerate() {
        let g = geometry(shape);
        let (x, w) = input_and_weight(&g, i);
        let dy = values(g.y_len(), 200 + i as u64);
        let (dx_expected, dw_expected) = reference::backward(&x, &w, &dy, &g, false);
        for target in TARGETS {
            let plan = Plan::new(&g, target);
            let what = format!("{g:?} tile {target:?}");
            let mut dx = vec![0f32; g.x_len()];
            let dw = backward_tiled(&x, &w, &dy, &g, Some(&mut dx), &plan);
            assert_close(&format!("{what}: dx"), &dx, &dx_expected);
            assert_close(&format!("{what}: dw"), &dw, &dw_expected);
            let dw = backward_tiled(&x, &w, &dy, &g, None, &plan);
            assert_close(&format!("{what}: dw alone"), &dw, &dw_expected);
        }
    }
}
