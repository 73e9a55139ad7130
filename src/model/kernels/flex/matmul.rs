//! A bounds-checked front for `gemm::gemm` (the `gemm` crate burn-flex uses for its own
//! matrix products: packed, cache-blocked, with AVX-512/AVX2/NEON microkernels chosen at run
//! time). Matrices are strided views into slices; the checks here are what makes the call safe.

/// A `rows x cols` matrix at `data[r * row_stride + c * col_stride]`.
#[derive(Clone, Copy)]
pub struct Mat<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a> Mat<'a> {
    /// Row-major with rows `row_stride` apart.
    pub fn rows(data: &'a [f32], rows: usize, cols: usize, row_stride: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride,
            col_stride: 1,
        }
    }

    /// The transpose, as a view.
    pub fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }
}

/// Panics unless every element of a `rows x cols` matrix with these strides lies in `len`.
fn check_fits(what: &str, len: usize, rows: usize, cols: usize, rs: usize, cs: usize) {
    if rows == 0 || cols == 0 {
        return;
    }
    let last = (rows - 1)
        .checked_mul(rs)
        .and_then(|r| (cols - 1).checked_mul(cs).and_then(|c| r.checked_add(c)));
    assert!(
        last.is_some_and(|last| last < len),
        "matmul: {what} {rows}x{cols} (strides {rs}, {cs}) exceeds its buffer of {len}"
    );
}

/// `dst = lhs * rhs`, or `dst += lhs * rhs` when `accumulate`; `dst` is row-major `lhs.rows x
/// rhs.cols` with rows `dst_row_stride` apart. Single-threaded: the kernels split the work
/// across threads themselves.
pub fn matmul(
    dst: &mut [f32],
    dst_row_stride: usize,
    lhs: Mat<'_>,
    rhs: Mat<'_>,
    accumulate: bool,
) {
    assert_eq!(lhs.cols, rhs.rows, "matmul: inner dimensions");
    let (m, n, k) = (lhs.rows, rhs.cols, lhs.cols);
    check_fits("dst", dst.len(), m, n, dst_row_stride, 1);
    // Distinct destination elements: rows must not overlap.
    assert!(
        m <= 1 || dst_row_stride >= n,
        "matmul: overlapping dst rows"
    );
    check_fits("lhs", lhs.data.len(), m, k, lhs.row_stride, lhs.col_stride);
    check_fits("rhs", rhs.data.len(), k, n, rhs.row_stride, rhs.col_stride);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for r in 0..m {
                dst[r * dst_row_stride..][..n].fill(0.0);
            }
        }
        return;
    }
    let s = |v: usize| v as isize;
    // SAFETY: every element gemm reads or writes lies inside the slices (checked above), the
    // destination elements are distinct, and `dst` is borrowed mutably, so it aliases neither
    // input.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            s(dst_row_stride),
            accumulate,
            lhs.data.as_ptr(),
            s(lhs.col_stride),
            s(lhs.row_stride),
            rhs.data.as_ptr(),
            s(rhs.col_stride),
            s(rhs.row_stride),
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}
