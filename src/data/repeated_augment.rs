//! Repeated augmentation (Hoffer et al. 2020, "Augment your batch"; Berman et al. 2019), as
//! timm's `RepeatAugSampler` orders an epoch (`timm/data/distributed_sampler.py`, from DeiT),
//! here for one process (`num_replicas = 1`, `selected_round = 256`):
//!
//! ```text
//! order    = shuffle(0..N), each index repeated `repeats` times in a row: a a a b b b ...
//! selected = floor(N / 256) * 256     (N >= 256)
//!          = N                        (N < 256)
//! epoch    = the first `selected` entries of `order`
//! ```
//!
//! So an epoch is about as long as without it but shows about N / repeats images, each
//! `repeats` times with different augmentations (the copies of an image are told apart by a
//! sample key, `index + copy * N`, from which the image's augmentation is drawn; copy 0 draws
//! exactly what the image draws without repeated augmentation).

/// timm's `selected_round`.
pub const SELECTED_ROUND: usize = 256;

/// Samples in one epoch of a dataset of `len` images (timm's `num_selected_samples`).
pub fn epoch_len(len: usize, repeats: usize) -> usize {
    let selected = if len >= SELECTED_ROUND {
        len / SELECTED_ROUND * SELECTED_ROUND
    } else {
        len
    };
    selected.min(len * repeats.max(1))
}

/// The epoch's sample keys from the shuffled indices: each index `repeats` times in a row
/// (copy `c` of index `i` is key `i + c * len`), cut to [`epoch_len`].
pub fn repeated_order(shuffled: &[usize], repeats: usize) -> Vec<usize> {
    let len = shuffled.len();
    let mut keys = Vec::with_capacity(len * repeats);
    for &index in shuffled {
        keys.extend((0..repeats).map(|copy| index + copy * len));
    }
    keys.truncate(epoch_len(len, repeats));
    keys
}

/// The dataset index and copy number of a sample key.
pub fn split_key(key: usize, len: usize) -> (usize, usize) {
    (key % len, key / len)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 5 images shuffled to (2, 0, 4, 1, 3), 3 repeats: 2 2 2 0 0 0 4 ...; fewer than 256
    /// images, so the epoch keeps 5 samples: 2, 2, 2, 0, 0 (keys 2, 7, 12, 0, 5).
    #[test]
    fn each_image_repeats_in_a_row_and_the_epoch_keeps_its_length() {
        let keys = repeated_order(&[2, 0, 4, 1, 3], 3);
        assert_eq!(keys, [2, 7, 12, 0, 5]);
        let images: Vec<(usize, usize)> = keys.iter().map(|&k| split_key(k, 5)).collect();
        assert_eq!(images, [(2, 0), (2, 1), (2, 2), (0, 0), (0, 1)]);
    }

    /// timm rounds an epoch down to a multiple of 256: 600 images -> 512, 5000 -> 4864.
    #[test]
    fn epochs_round_down_to_256_samples() {
        assert_eq!(epoch_len(600, 3), 512);
        assert_eq!(epoch_len(5000, 3), 4864);
        assert_eq!(epoch_len(100, 3), 100);
        assert_eq!(repeated_order(&(0..600).collect::<Vec<_>>(), 3).len(), 512);
    }
}
