//! Zero-gamma and no-bias-decay, checked on real zoo models.

use botui::config::RunConfig;
use botui::model::{Model, ModelConfig, ModelName, ResNetVariant, for_each_tensor};
use botui::train::optim::build_optimizer;
use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Distribution, Tensor};

fn resnet(depth: usize, variant: ResNetVariant, zero_gamma: bool, device: &Device) -> Model {
    let mut c = ModelConfig::new(ModelName::ResNet(depth), 10, 32).with_variant(variant);
    c.zero_gamma = zero_gamma;
    c.init(device).unwrap()
}

fn max_abs(t: Tensor<4>) -> f32 {
    t.abs().max().into_scalar::<f32>()
}

#[test]
fn zero_gamma_makes_every_residual_block_start_as_its_shortcut() {
    let device = Device::flex();
    for (depth, variant) in [(18, ResNetVariant::B), (50, ResNetVariant::D)] {
        let Model::ResNet(net) = resnet(depth, variant, true, &device) else {
            unreachable!()
        };
        let mut x = net.stem.forward(Tensor::random(
            [2, 3, 32, 32],
            Distribution::Default,
            &device,
        ));
        let mut blocks = 0;
        for block in net.blocks() {
            assert_eq!(
                max_abs(block.residual_branch(x.clone())),
                0.0,
                "resnet{depth}: residual branch is not zero"
            );
            let gamma = block.last_bn().gamma.val().abs().max().into_scalar::<f32>();
            assert_eq!(gamma, 0.0);
            x = block.forward(x);
            blocks += 1;
        }
        assert_eq!(blocks, if depth == 18 { 8 } else { 16 });
    }
    // Off by default: the residual branch is not zero.
    let Model::ResNet(net) = resnet(18, ResNetVariant::B, false, &device) else {
        unreachable!()
    };
    let x = net.stem.forward(Tensor::random(
        [2, 3, 32, 32],
        Distribution::Default,
        &device,
    ));
    let first = net.blocks().next().unwrap();
    assert!(max_abs(first.residual_branch(x)) > 0.0);
}

/// Every float tensor of the model as (path, values).
fn snapshot(model: &Model) -> Vec<(String, Vec<f32>)> {
    let mut paths = Vec::new();
    for_each_tensor(model, |path, _| paths.push(path.to_string()));
    let mut values = Vec::new();
    struct Grab<'a>(&'a mut Vec<Vec<f32>>);
    impl burn::module::ModuleVisitor for Grab<'_> {
        fn visit_float<const D: usize>(&mut self, p: &burn::module::Param<Tensor<D>>) {
            self.0.push(
                p.val()
                    .into_data()
                    .convert::<f32>()
                    .try_into_vec::<f32>()
                    .unwrap(),
            );
        }
    }
    model.visit(&mut Grab(&mut values));
    paths.into_iter().zip(values).collect()
}

/// With zero gradients, one NAG step moves a parameter only through weight decay:
/// g = wd * w, b = g, w' = w - lr (g + mu b) = w (1 - lr wd (1 + mu)).
#[test]
fn no_bias_decay_spares_biases_and_bn_parameters() {
    let device = Device::flex().autodiff();
    let (lr, wd, mu) = (0.1, 0.01, 0.9);
    for no_bias_decay in [true, false] {
        let mut config = RunConfig::default();
        config.optimizer.weight_decay = wd;
        config.optimizer.momentum = mu;
        config.no_bias_decay.enabled = no_bias_decay;
        let mut optim = build_optimizer(&config);
        let model = resnet(18, ResNetVariant::D, false, &device);
        let before = snapshot(&model);
        let x = Tensor::random([2, 3, 32, 32], Distribution::Default, &device);
        let loss = model.forward(x).sum().mul_scalar(0.0);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let model = optim.step(lr, model, grads);
        let after = snapshot(&model);
        let shrink = 1.0 - lr * wd * (1.0 + mu);
        let (mut decayed, mut spared) = (0, 0);
        for ((path, b), (_, a)) in before.iter().zip(&after) {
            let leaf = path.rsplit('.').next().unwrap();
            if leaf == "running_mean" || leaf == "running_var" {
                continue;
            }
            let exempt = no_bias_decay && matches!(leaf, "bias" | "gamma" | "beta");
            for (vb, va) in b.iter().zip(a) {
                let want = if exempt {
                    *vb as f64
                } else {
                    *vb as f64 * shrink
                };
                assert!(
                    (*va as f64 - want).abs() <= 1e-6 * (1.0 + want.abs()),
                    "{path} (no_bias_decay {no_bias_decay}): {vb} -> {va}, expected {want}"
                );
            }
            // Tensors whose values are all zero (betas, biases) cannot show decay.
            if b.iter().any(|v| *v != 0.0) {
                if exempt { spared += 1 } else { decayed += 1 }
            }
        }
        assert!(decayed > 0);
        if no_bias_decay {
            assert!(spared > 0, "gamma tensors are nonzero and must be spared");
        } else {
            assert_eq!(spared, 0);
        }
    }
}
