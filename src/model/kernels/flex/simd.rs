//! Runtime SIMD dispatch for the element-wise loops (batch norm, ReLU, depthwise convolution):
//! each is written once as plain Rust over fixed-width lane arrays, which LLVM vectorizes, and
//! compiled three times: for AVX-512, for AVX2 + FMA, and for the baseline target. The CPU is
//! asked once per call (`is_x86_feature_detected!` caches the answer). The GEMMs do their own
//! dispatch inside the `gemm` crate.

/// Lanes of the accumulators the loops keep: one AVX-512 register, two AVX2 ones.
pub const LANES: usize = 16;

/// `pub fn $name(args) -> ret { body }`, with `body` compiled for AVX-512F, AVX2 + FMA and the
/// baseline, and the best one the CPU has chosen at run time. The body must not spawn parallel
/// work: closures handed to rayon are separate functions that do not inherit the features.
macro_rules! multiversion {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn body($($arg: $ty),*) $(-> $ret)? $body

            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                fn avx512($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) $(-> $ret)? {
                    body($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU has AVX-512F, checked on the line above.
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU has AVX2 and FMA, checked just above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}

pub(crate) use multiversion;
