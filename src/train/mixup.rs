//! Mixup (Sec. 5.4): one lambda ~ Beta(alpha, alpha) per batch; the batch is mixed with a random
//! permutation of itself, images and targets with the same lambda
//! (`x = lambda x_i + (1 - lambda) x_j`, `y` likewise, see [`super::loss::soft_targets`]).

use burn::tensor::{Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand_distr::{Beta, Distribution};

use super::loss::MixPlan;

/// Draws the mixing plan of each batch, reproducibly from a seed.
#[derive(Debug)]
pub struct Mixer {
    beta: Beta<f64>,
    rng: StdRng,
}

impl Mixer {
    /// `alpha` must be > 0 (the run config validates it).
    pub fn new(alpha: f64, seed: u64) -> Self {
        Self {
            beta: Beta::new(alpha, alpha).expect("alpha > 0 is validated"),
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// The plan for a batch of `n` samples.
    pub fn plan(&mut self, n: usize) -> MixPlan {
        let lambda = self.beta.sample(&mut self.rng);
        let mut partner: Vec<usize> = (0..n).collect();
        partner.shuffle(&mut self.rng);
        MixPlan { lambda, partner }
    }
}

/// `lambda * x + (1 - lambda) * x[partner]` for images `[n, c, h, w]`.
pub fn mix_images(x: Tensor<4>, plan: &MixPlan) -> Tensor<4> {
    let device = x.device();
    let index: Vec<i64> = plan.partner.iter().map(|&i| i as i64).collect();
    let index = Tensor::<1, Int>::from_data(TensorData::new(index, [plan.partner.len()]), &device);
    let partners = x.clone().select(0, index);
    x.mul_scalar(plan.lambda) + partners.mul_scalar(1.0 - plan.lambda)
}
