//! Seeds and random numbers for data: every image gets its own generator derived from
//! (seed, epoch, index), so what an image looks like never depends on which worker thread
//! handled it or in which order.
//!
//! The uniform and normal draws are written out here (53-bit uniforms, Box-Muller normals)
//! rather than taken from `rand`'s distributions, whose algorithms may change between
//! versions: a seed must give the same bytes after a dependency upgrade.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};

/// SplitMix64's finalizer: a bijective mix with good avalanche, used to combine seeds.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One 64-bit seed from several parts; the order of the parts matters.
pub fn derive(parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(0x6A09_E667_F3BC_C908, |acc, &p| mix64(acc ^ mix64(p)))
}

/// A small, fast generator with 256 bits of state.
pub struct DataRng(Xoshiro256PlusPlus);

impl DataRng {
    pub fn new(seed: u64) -> Self {
        DataRng(Xoshiro256PlusPlus::seed_from_u64(seed))
    }

    /// The generator for image `index` of `epoch` under the run's `seed`; `stream` keeps
    /// unrelated uses (augmentation, shuffling, generation) apart.
    pub fn for_image(stream: u64, seed: u64, epoch: u64, index: u64) -> Self {
        Self::new(derive(&[stream, seed, epoch, index]))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in [0, n) (n > 0), by Lemire's multiply-shift (bias below 2^-32 for
    /// the sizes used here).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Standard normal by Box-Muller (one of the pair is discarded: simple and stateless).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit(); // (0, 1]: ln is finite
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// Streams: fixed tags so that, for example, shuffling and augmentation never share draws.
pub mod stream {
    pub const AUGMENT: u64 = 0x4155_474D;
    pub const SHUFFLE: u64 = 0x5348_5546;
    pub const BUILTIN: u64 = 0x4255_494C;
    pub const SPLIT: u64 = 0x5350_4C54;
}
