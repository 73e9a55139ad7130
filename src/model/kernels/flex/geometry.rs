//! The shape of a 2-D convolution in NCHW and the index arithmetic its kernels share.

use std::ops::Range;

/// Input `[batch, channels_in, height, width]`, weight `[channels_out, channels_in / groups,
/// kernel_h, kernel_w]`, output `[batch, channels_out, out_h, out_w]`; symmetric padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvGeometry {
    pub batch: usize,
    pub channels_in: usize,
    /// `[height, width]` of the input.
    pub input: [usize; 2],
    pub channels_out: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    /// `[height, width]` of the output.
    pub output: [usize; 2],
}

impl ConvGeometry {
    /// From the input and weight shapes; `None` when the window does not fit in the padded input
    /// or a stride is 0.
    pub fn new(
        x: [usize; 4],
        weight: [usize; 4],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> Option<Self> {
        let [batch, channels_in, h, w] = x;
        let [channels_out, _, kh, kw] = weight;
        let out = |i: usize, axis: usize| {
            let span = [h, w][i] + 2 * padding[i];
            (stride[i] > 0 && axis > 0 && span >= axis).then(|| (span - axis) / stride[i] + 1)
        };
        Some(Self {
            batch,
            channels_in,
            input: [h, w],
            channels_out,
            kernel: [kh, kw],
            stride,
            padding,
            output: [out(0, kh)?, out(1, kw)?],
        })
    }

    pub fn in_plane(&self) -> usize {
        self.input[0] * self.input[1]
    }

    pub fn out_plane(&self) -> usize {
        self.output[0] * self.output[1]
    }

    pub fn kernel_area(&self) -> usize {
        self.kernel[0] * self.kernel[1]
    }

    pub fn x_len(&self) -> usize {
        self.batch * self.channels_in * self.in_plane()
    }

    pub fn y_len(&self) -> usize {
        self.batch * self.channels_out * self.out_plane()
    }

    /// A 1x1 window with stride 1 and no padding: the input already is the column matrix.
    pub fn is_pointwise(&self) -> bool {
        self.kernel == [1, 1] && self.stride == [1, 1] && self.padding == [0, 0]
    }

    /// The outputs `o` along `axis` (0: height, 1: width) whose input index
    /// `o * stride + tap - padding` for kernel tap `tap` lies inside the input.
    pub fn valid(&self, axis: usize, tap: usize) -> Range<usize> {
        let (s, p, len, out) = (
            self.stride[axis],
            self.padding[axis],
            self.input[axis],
            self.output[axis],
        );
        let lo = if p > tap { (p - tap).div_ceil(s) } else { 0 };
        let hi = if len + p > tap {
            ((len + p - tap - 1) / s + 1).min(out)
        } else {
            0
        };
        lo.min(hi)..hi
    }

    /// The input index of output `o` at kernel tap `tap` along `axis`; only for `o` in
    /// [`valid`](Self::valid)`(axis, tap)`.
    pub fn input_index(&self, axis: usize, o: usize, tap: usize) -> usize {
        o * self.stride[axis] + tap - self.padding[axis]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry(input: usize, kernel: usize, stride: usize, padding: usize) -> ConvGeometry {
        ConvGeometry::new(
            [1, 1, input, input],
            [1, 1, kernel, kernel],
            [stride, stride],
            [padding, padding],
        )
        .unwrap()
    }

    /// `valid` against checking every output by hand.
    #[test]
    fn valid_ranges_match_brute_force() {
        for input in 1..9 {
            for kernel in 1..5 {
                for stride in 1..4 {
                    for padding in 0..3 {
                        let Some(g) = ConvGeometry::new(
                            [1, 1, input, input],
                            [1, 1, kernel, kernel],
                            [stride, stride],
                            [padding, padding],
                        ) else {
                            assert!(input + 2 * padding < kernel);
                            continue;
                        };
                        for tap in 0..kernel {
                            let expected: Vec<usize> = (0..g.output[0])
                                .filter(|&o| {
                                    let i = (o * stride + tap) as isize - padding as isize;
                                    i >= 0 && (i as usize) < input
                                })
                                .collect();
                            let got: Vec<usize> = g.valid(0, tap).collect();
                            assert_eq!(got, expected, "{g:?} tap {tap}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn output_sizes() {
        assert_eq!(geometry(32, 3, 1, 1).output, [32, 32]);
        assert_eq!(geometry(32, 3, 2, 1).output, [16, 16]);
        assert_eq!(geometry(7, 1, 2, 0).output, [4, 4]);
        assert_eq!(geometry(1, 3, 1, 1).output, [1, 1]);
        assert!(ConvGeometry::new([1, 1, 2, 2], [1, 1, 5, 5], [1, 1], [1, 1]).is_none());
    }
}
