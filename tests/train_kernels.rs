//! The training kernels (botui::model::kernels) against burn's own modules on the same backend,
//! through the check `botui selftest` runs (botui::train::selftest): conv -> BN -> ReLU forward,
//! every gradient (input, conv weight, gamma, beta) and the running statistics after one step,
//! in every precision and memory layout the device trains in, then a whole ResNet-18 step. On
//! LibTorch the kernels are different ATen calls (convolution_backward, native_batch_norm and its
//! backward, threshold_backward) from burn's composites, so agreement there checks the binding,
//! the argument order, the statistics bookkeeping, autocast's casts and channels_last; on flex it
//! checks the autodiff nodes.

use botui::device::DeviceName;
use botui::model::kernels;
use botui::train::selftest::{self, Report};
use burn::nn::BatchNormConfig;
use burn::nn::conv::Conv2dConfig;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Distribution, Tensor};

fn assert_passes(report: &Report, expected_precisions: &[&str]) {
    let failures: Vec<String> = report
        .failures()
        .iter()
        .map(|c| {
            format!(
                "{} [{} {}] {}: {} (bound {}{})",
                c.case,
                c.precision,
                c.layout,
                c.what,
                c.value,
                if c.at_least { ">= " } else { "<= " },
                c.bound
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} checks failed on {}:\n{}",
        failures.len(),
        report.checks.len(),
        report.device,
        failures.join("\n")
    );
    for precision in expected_precisions {
        assert!(
            report.checks.iter().any(|c| c.precision == *precision),
            "no {precision} checks on {}",
            report.device
        );
    }
    // 5 cases x 8 checks per variant, and the ResNet-18 step's 4 for each but FP32 NCHW (the
    // step's reference).
    let mut variants: Vec<(&str, &str)> = report
        .checks
        .iter()
        .map(|c| (c.precision, c.layout))
        .collect();
    variants.sort();
    variants.dedup();
    assert_eq!(
        report.checks.len(),
        40 * variants.len() + 4 * (variants.len() - 1),
        "{variants:?}"
    );
}

#[test]
fn kernels_match_burn_on_flex() {
    let report = selftest::run(DeviceName::Flex).unwrap();
    assert_passes(&report, &["fp32"]);
}

#[cfg(feature = "tch")]
#[test]
fn kernels_match_burn_on_libtorch() {
    let report = selftest::run(DeviceName::LibTorch).unwrap();
    let mut expected = vec!["fp32"];
    if botui::train::precision::cpu_has_bf16() {
        expected.push("bf16");
    }
    assert_passes(&report, &expected);
    assert!(report.checks.iter().any(|c| c.layout == "channels_last"));
}

/// Outside a training step (no autodiff) the functions are burn's modules, bit for bit.
#[test]
fn inference_is_burns_forward() {
    let device = Device::flex();
    device.seed(3);
    let conv = Conv2dConfig::new([3, 8], [3, 3])
        .with_bias(false)
        .init(&device);
    let bn = BatchNormConfig::new(8).init(&device);
    let x = Tensor::<4>::random([2, 3, 9, 9], Distribution::Normal(0.0, 1.0), &device);
    let expected = relu(bn.forward(conv.forward(x.clone())));
    let got = kernels::relu(kernels::conv_bn(&conv, &bn, x));
    let diff = (got - expected).abs().max().into_scalar::<f32>();
    assert_eq!(diff, 0.0);
}
