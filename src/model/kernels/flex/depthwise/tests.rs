//! The depthwise loops against the definition's, over strides, paddings, kernel sizes and
//! planes down to 1x1.

use super::super::reference::{self, assert_close, values};
use super::*;

/// `(batch, channels, input, kernel, stride, padding)`
type Shape = (usize, usize, [usize; 2], [usize; 2], [usize; 2], [usize; 2]);

const SHAPES: [Shape; 10] = [
    (2, 3, [9, 9], [3, 3], [1, 1], [1, 1]),
    (2, 5, [9, 8], [3, 3], [2, 2], [1, 1]),
    (1, 4, [7, 7], [3, 3], [2, 2], [0, 0]),
    (3, 2, [1, 1], [3, 3], [1, 1], [1, 1]),
    (2, 3, [6, 5], [5, 5], [1, 1], [2, 2]),
    (2, 17, [20, 19], [3, 3], [1, 1], [1, 1]),
    (2, 2, [6, 9], [1, 7], [1, 1], [0, 3]),
    // Channels last: 19 and 33 channels (a partial block of 16 lanes), batch 1, stride 2.
    (1, 19, [11, 11], [3, 3], [2, 2], [1, 1]),
    (3, 33, [5, 4], [3, 3], [2, 2], [0, 0]),
    (1, 16, [2, 2], [3, 3], [1, 1], [1, 1]),
];

#[test]
fn depthwise_matches_the_definition() {
    for (i, &(batch, c, [h, w], [kh, kw], stride, padding)) in SHAPES.iter().enumerate() {
        let g = ConvGeometry::new([batch, c, h, w], [c, 1, kh, kw], stride, padding).unwrap();
        let what = format!("{g:?}");
        let x = values(g.x_len(), 1 + i as u64);
        let wt = values(c * g.kernel_area(), 100 + i as u64);
        let dy = values(g.y_len(), 200 + i as u64);

        let mut y = vec![0f32; g.y_len()];
        forward(&x, &wt, &g, &mut y);
        assert_close(
            &format!("{what}: y"),
            &y,
            &reference::forward(&x, &wt, &g, true),
        );

        let (dx_expected, dw_expected) = reference::backward(&x, &wt, &dy, &g, true);
        let mut dx = vec![0f32; g.x_len()];
        let dw = backward(&x, &wt, &dy, &g, Some(&mut dx));
        assert_close(&format!("{what}: dx"), &dx, &dx_expected);
        assert_close(&format!("{what}: dw"), &dw, &dw_expected);
        let dw = backward(&x, &wt, &dy, &g, None);
        assert_close(&format!("{what}: dw alone"), &dw, &dw_expected);
    }
}
