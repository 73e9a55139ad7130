//! Work splitting on rayon's global pool, the pool burn-flex runs its own operations on (it
//! calls `into_par_iter` without a pool of its own), so the kernels and burn's operations never
//! compete with two sets of threads.

use rayon::prelude::*;

/// Runs `work(part, range)` for `parts` contiguous, near-equal ranges of `0..len` in parallel
/// and returns the results in order. `parts` is at most `len` (and at least 1).
pub fn split<R: Send>(
    len: usize,
    parts: usize,
    work: impl Fn(std::ops::Range<usize>) -> R + Sync,
) -> Vec<R> {
    let parts = parts.clamp(1, len.max(1));
    (0..parts)
        .into_par_iter()
        .map(|part| work(len * part / parts..len * (part + 1) / parts))
        .collect()
}

/// The number of threads the kernels split their work into.
pub fn threads() -> usize {
    rayon::current_num_threads()
}

/// A buffer that parallel tasks write disjoint parts of, where those parts are not contiguous
/// slices that `split_at_mut`/`chunks_mut` could hand out (a batch-norm channel is one run per
/// image; a convolution's column tile spans several images).
pub struct Disjoint<'a> {
    ptr: *mut f32,
    len: usize,
    _buffer: std::marker::PhantomData<&'a mut [f32]>,
}

// SAFETY: `Disjoint` is only a pointer to a buffer borrowed mutably for 'a; the callers of
// `slice` guarantee that no two threads touch the same element (see `slice`).
unsafe impl Send for Disjoint<'_> {}
unsafe impl Sync for Disjoint<'_> {}

impl<'a> Disjoint<'a> {
    pub fn new(buffer: &'a mut [f32]) -> Self {
        Self {
            ptr: buffer.as_mut_ptr(),
            len: buffer.len(),
            _buffer: std::marker::PhantomData,
        }
    }

    /// `buffer[start..start + len]`, bounds-checked.
    ///
    /// # Safety
    /// While the returned slice lives, no other slice obtained from this `Disjoint` may overlap
    /// it: each parallel task asks only for the elements it owns.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn slice(&self, start: usize, len: usize) -> &mut [f32] {
        assert!(
            start <= self.len && len <= self.len - start,
            "Disjoint::slice {start}+{len} out of {}",
            self.len
        );
        // SAFETY: in bounds (asserted); exclusive by the caller's contract; the buffer is
        // borrowed mutably for 'a, so nothing else reads or writes it meanwhile.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), len) }
    }
}
