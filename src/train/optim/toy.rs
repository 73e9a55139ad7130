//! A two-parameter model for checking optimizers against hand-worked steps: a decayed weight
//! `w` (2 values) and a bias `b` (1 value) that no-bias-decay exempts, trained on
//! `loss = 3 |w|^2 + |b|^2` (gradients 6w and 2b).

use burn::module::{Module, Param};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};

use super::clip::clip_global_norm;

#[derive(Module, Debug)]
pub struct Toy {
    pub weight: Param<Tensor<1>>,
    pub bias: Param<Tensor<1>>,
}

impl Toy {
    /// w = (1, -2), b = 0.5.
    pub fn new() -> Self {
        let device = Device::flex().autodiff();
        Toy {
            weight: Param::from_tensor(Tensor::from_floats([1.0, -2.0], &device)),
            bias: Param::from_tensor(Tensor::from_floats([0.5], &device)),
        }
    }
}

fn values(p: &Param<Tensor<1>>) -> Vec<f64> {
    let data = p.val().into_data().convert::<f32>();
    data.as_slice::<f32>()
        .expect("f32")
        .iter()
        .map(|&v| v as f64)
        .collect()
}

/// Takes three steps at lr 0.1 (clipping the global gradient norm first when `clip` is set)
/// and checks w and b after each against `expected` to 1e-5.
pub fn three_steps(
    optim: &mut ModuleOptimizer,
    mut toy: Toy,
    expected: &[([f64; 2], f64); 3],
    clip: Option<f64>,
) {
    for (step, (w, b)) in expected.iter().enumerate() {
        let (wv, bv) = (toy.weight.val(), toy.bias.val());
        let loss = (wv.clone() * wv).sum().mul_scalar(3.0) + (bv.clone() * bv).sum();
        let mut grads = GradientsParams::from_grads(loss.backward(), &toy);
        if let Some(max_norm) = clip {
            clip_global_norm(&toy, &mut grads, max_norm);
        }
        toy = optim.step(0.1, toy, grads);
        let (got_w, got_b) = (values(&toy.weight), values(&toy.bias));
        for (g, e) in got_w.iter().zip(w) {
            assert!(
                (g - e).abs() < 1e-5,
                "step {}: w {got_w:?} vs {w:?}",
                step + 1
            );
        }
        assert!(
            (got_b[0] - b).abs() < 1e-5,
            "step {}: b {} vs {b}",
            step + 1,
            got_b[0]
        );
    }
}
