//! The training losses on a fixed 3-class example, against numbers worked out from the
//! formulas: logits z = [2, 1, 0], true class 0, so log softmax(z) = z - ln(e^2 + e + 1)
//! = [-0.407606, -1.407606, -2.407606].

use botui::config::SmoothingFormula;
use botui::train::loss::{
    MixPlan, TargetSmoothing, distillation_loss, soft_cross_entropy, soft_targets, targets_tensor,
};
use burn::tensor::{Device, Tensor};

fn scalar(t: Tensor<1>) -> f64 {
    t.into_data().try_into_vec::<f32>().unwrap()[0] as f64
}

fn logits(values: [f32; 3], device: &Device) -> Tensor<2> {
    Tensor::<1>::from_floats(values, device).reshape([1, 3])
}

fn loss_with(smoothing: TargetSmoothing) -> f64 {
    let device = Device::flex();
    let targets = targets_tensor(soft_targets(&[0], 3, smoothing, None), 3, &device);
    scalar(soft_cross_entropy(
        logits([2.0, 1.0, 0.0], &device),
        targets,
    ))
}

#[test]
fn hard_label_cross_entropy() {
    assert!((loss_with(TargetSmoothing::NONE) - 0.407_606).abs() < 1e-5);
}

#[test]
fn label_smoothing_paper_formula() {
    // q = [0.9, 0.05, 0.05]: 0.9 * 0.407606 + 0.05 * (1.407606 + 2.407606) = 0.557606
    let loss = loss_with(TargetSmoothing {
        epsilon: 0.1,
        formula: SmoothingFormula::Paper,
    });
    assert!((loss - 0.557_606).abs() < 1e-5, "{loss}");
}

#[test]
fn label_smoothing_uniform_formula() {
    // q = [0.9 + 0.1/3, 0.1/3, 0.1/3]: 0.507606
    let loss = loss_with(TargetSmoothing {
        epsilon: 0.1,
        formula: SmoothingFormula::Uniform,
    });
    assert!((loss - 0.507_606).abs() < 1e-5, "{loss}");
}

#[test]
fn distillation_on_three_classes() {
    // Teacher r = [1, 2, 0], T = 2, w = 0.5:
    // softmax(r / 2) = [0.307196, 0.506480, 0.186324],
    // log softmax(z / 2) = [-0.680233, -1.180233, -1.680233], KD cross entropy = 1.119834,
    // loss = 0.5 * 0.407606 + 0.5 * 2^2 * 1.119834 = 2.443470.
    let device = Device::flex();
    let targets = targets_tensor(
        soft_targets(&[0], 3, TargetSmoothing::NONE, None),
        3,
        &device,
    );
    let loss = distillation_loss(
        logits([2.0, 1.0, 0.0], &device),
        logits([1.0, 2.0, 0.0], &device),
        targets,
        2.0,
        0.5,
    );
    let loss = scalar(loss);
    assert!((loss - 2.443_470).abs() < 1e-5, "{loss}");
}

#[test]
fn mixup_targets_mix_with_the_partner_label() {
    // Two samples, labels 0 and 1, lambda 0.25, each mixed with the other, paper smoothing 0.1:
    // sample 0: 0.25 * [0.9, 0.05, 0.05] + 0.75 * [0.05, 0.9, 0.05] = [0.2625, 0.6875, 0.05].
    let plan = MixPlan {
        lambda: 0.25,
        partner: vec![1, 0],
    };
    let smoothing = TargetSmoothing {
        epsilon: 0.1,
        formula: SmoothingFormula::Paper,
    };
    let t = soft_targets(&[0, 1], 3, smoothing, Some(&plan));
    let expected = [0.2625, 0.6875, 0.05, 0.6875, 0.2625, 0.05];
    for (got, want) in t.iter().zip(expected) {
        assert!((*got as f64 - want).abs() < 1e-6, "{t:?}");
    }
}

#[test]
fn mixup_mixes_images_and_targets_with_the_same_lambda() {
    use botui::train::mixup::{Mixer, mix_images};
    let device = Device::flex();
    let n = 6;
    // Image i is filled with the value i; label i % 3.
    let values: Vec<f32> = (0..n)
        .flat_map(|i| std::iter::repeat_n(i as f32, 3 * 2 * 2))
        .collect();
    let x = Tensor::<1>::from_floats(values.as_slice(), &device).reshape([n, 3, 2, 2]);
    let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let mut mixer = Mixer::new(0.2, 7);
    let plan = mixer.plan(n);
    assert!(plan.lambda > 0.0 && plan.lambda < 1.0);
    let mut sorted = plan.partner.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        (0..n).collect::<Vec<_>>(),
        "a permutation of the batch"
    );

    let mixed = mix_images(x, &plan)
        .into_data()
        .try_into_vec::<f32>()
        .unwrap();
    let targets = soft_targets(&labels, 3, TargetSmoothing::NONE, Some(&plan));
    for i in 0..n {
        let j = plan.partner[i];
        // The image: lambda * i + (1 - lambda) * j, in every pixel.
        let want = plan.lambda * i as f64 + (1.0 - plan.lambda) * j as f64;
        for v in &mixed[i * 12..(i + 1) * 12] {
            assert!((*v as f64 - want).abs() < 1e-5);
        }
        // The target: the same lambda on label i, 1 - lambda on the partner's label.
        let mut want_t = [0.0f64; 3];
        want_t[labels[i]] += plan.lambda;
        want_t[labels[j]] += 1.0 - plan.lambda;
        for c in 0..3 {
            assert!((targets[i * 3 + c] as f64 - want_t[c]).abs() < 1e-6);
        }
    }
}

#[test]
fn mixup_lambdas_follow_beta_alpha_alpha() {
    // Beta(0.2, 0.2) is U-shaped with mean 0.5: most draws are near 0 or 1.
    let mut mixer = botui::train::mixup::Mixer::new(0.2, 1);
    let draws: Vec<f64> = (0..4000).map(|_| mixer.plan(2).lambda).collect();
    let mean = draws.iter().sum::<f64>() / draws.len() as f64;
    let extreme = draws.iter().filter(|&&l| !(0.1..=0.9).contains(&l)).count() as f64;
    assert!((mean - 0.5).abs() < 0.03, "mean {mean}");
    // P(lambda < 0.1 or > 0.9) for Beta(0.2, 0.2) is 0.673 (numerically).
    let share = extreme / draws.len() as f64;
    assert!((share - 0.673).abs() < 0.03, "{share}");
}
