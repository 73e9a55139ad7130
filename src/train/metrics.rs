//! Accuracy counting on host logits, and running averages for the per-epoch metrics.

/// How many of the rows of `logits` (`[n, classes]`, row-major) have their label among the
/// `k` largest logits. Ties count against the label (a strict count of larger logits).
pub fn correct_top_k(logits: &[f32], classes: usize, labels: &[usize], k: usize) -> usize {
    labels
        .iter()
        .enumerate()
        .filter(|&(i, &label)| {
            let row = &logits[i * classes..(i + 1) * classes];
            let target = row[label];
            let larger = row.iter().filter(|&&v| v > target).count();
            larger < k && !target.is_nan()
        })
        .count()
}

/// Sums of a metric over an epoch, weighted by samples.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Running {
    pub sum: f64,
    pub count: usize,
}

impl Running {
    pub fn add(&mut self, value: f64, weight: usize) {
        self.sum += value * weight as f64;
        self.count += weight;
    }

    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_counts_by_rank() {
        // Row 0: label 2 is the largest; row 1: label 0 is 3rd of 4; row 2: label 1 is last.
        let logits = [
            0.1, 0.2, 0.9, 0.0, //
            0.3, 0.9, 0.5, 0.1, //
            0.4, -1.0, 0.3, 0.2,
        ];
        let labels = [2, 0, 1];
        assert_eq!(correct_top_k(&logits, 4, &labels, 1), 1);
        assert_eq!(correct_top_k(&logits, 4, &labels, 2), 1);
        assert_eq!(correct_top_k(&logits, 4, &labels, 3), 2);
        assert_eq!(correct_top_k(&logits, 4, &labels, 4), 3);
    }

    #[test]
    fn running_mean_weights_by_samples() {
        let mut r = Running::default();
        assert_eq!(r.mean(), None);
        r.add(1.0, 3);
        r.add(3.0, 1);
        assert_eq!(r.mean(), Some(1.5));
    }
}
