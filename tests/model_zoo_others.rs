//! MobileNet (v1) against its published counts, the forward shapes the summary promises at
//! small and native sizes, the small-input stem and the width multiplier.
//!
//! Reference numbers (1000 classes): MobileNet v1 from the MobileNet paper's Table 6 and Keras'
//! model table (1.0: 4.24 M params, 569 M mult-adds; 0.75: 325 M; 0.5: 149 M; 0.25: 41 M), with
//! the exact parameter counts of Keras' `MobileNet(alpha)` (FC classifier with bias).

use botui::model::{Model, ModelConfig, ModelName, StemKind, trainable_params};
use burn::tensor::{Device, Distribution, Tensor};

fn config(name: ModelName, input: usize, stem: StemKind) -> ModelConfig {
    let mut config = ModelConfig::new(name, 1000, input);
    config.stem = stem;
    config
}

fn mobilenet(width: f64) -> ModelConfig {
    let mut config = ModelConfig::new(ModelName::MobileNet, 1000, 224);
    config.width = width;
    config
}

fn assert_macs_near(name: &str, macs: u64, reference: f64) {
    let err = (macs as f64 - reference).abs() / reference;
    assert!(
        err < 0.005,
        "{name}: {macs} MACs vs reference {reference} ({:.2} % off)",
        err * 100.0
    );
}

/// Output shape of the first summary row with this exact name.
fn row_output(model: &Model, input: usize, name: &str) -> [usize; 3] {
    let summary = model.summary(input);
    summary
        .rows
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no summary row {name}"))
        .output
}

/// Runs a `[n, 3, s, s]` batch through the model and checks the logits' shape.
fn assert_forward(model: &Model, n: usize, s: usize, classes: usize, what: &str) {
    let device = Device::flex();
    let x = Tensor::<4>::random([n, 3, s, s], Distribution::Default, &device);
    let y = model.forward(x);
    assert_eq!(y.dims(), [n, classes], "{what}");
    let values: Vec<f32> = y.into_data().try_to_vec::<f32>().unwrap();
    assert!(values.iter().all(|v| v.is_finite()), "{what}: {values:?}");
}

#[test]
fn mobilenet_counts_match_the_published_ones() {
    // (width, Keras params, published mult-adds)
    let published = [
        (1.0, 4_231_976, 569e6),
        (0.75, 2_585_560, 325e6),
        (0.5, 1_331_592, 149e6),
        (0.25, 470_072, 41e6),
    ];
    let device = Device::flex();
    for (width, params, macs) in published {
        let model = mobilenet(width).init(&device).unwrap();
        let summary = model.summary(224);
        assert_eq!(
            summary.params(),
            params,
            "mobilenet x{width} summary params"
        );
        assert_eq!(
            trainable_params(&model),
            params,
            "mobilenet x{width} params of the module itself"
        );
        assert_macs_near(&format!("mobilenet x{width}"), summary.macs(), macs);
    }
}

#[test]
fn mobilenet_params_follow_the_block_formula() {
    // Worked by hand: stem 3*9*32 + 2*32; a block c_in -> c_out costs 9 c_in + 2 c_in (depthwise
    // + BN) and c_in c_out + 2 c_out (pointwise + BN); FC 1024 * classes + classes.
    let channels = [
        32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024,
    ];
    let mut params = 3 * 9 * 32 + 2 * 32;
    for pair in channels.windows(2) {
        let (c_in, c_out) = (pair[0], pair[1]);
        params += 11 * c_in + c_in * c_out + 2 * c_out;
    }
    let classes = 10;
    params += 1024 * classes + classes;
    let config = ModelConfig::new(ModelName::MobileNet, classes, 32);
    let model = config.init(&Device::flex()).unwrap();
    assert_eq!(model.summary(32).params(), params);
    assert_eq!(trainable_params(&model), params);
}

#[test]
fn mobilenet_runs_forward_at_small_and_native_sizes() {
    let device = Device::flex();
    for (input, small) in [(32, true), (64, true), (224, false)] {
        let config = ModelConfig::new(ModelName::MobileNet, 10, input);
        assert_eq!(config.small_input(), small, "auto stem at {input}");
        let model = config.init(&device).unwrap();
        assert_eq!(model.summary(input).rows.last().unwrap().output, [10, 1, 1]);
        assert_forward(&model, 2, input, 10, &format!("mobilenet at {input}"));
    }
}

#[test]
fn mobilenet_small_stem_strides_once_less() {
    let device = Device::flex();
    let small = config(ModelName::MobileNet, 32, StemKind::Small)
        .init(&device)
        .unwrap();
    let imagenet = config(ModelName::MobileNet, 32, StemKind::Imagenet)
        .init(&device)
        .unwrap();
    assert_eq!(row_output(&small, 32, "conv1.conv"), [32, 32, 32]);
    assert_eq!(row_output(&small, 32, "block13.pw.conv"), [1024, 2, 2]);
    assert_eq!(row_output(&imagenet, 32, "conv1.conv"), [32, 16, 16]);
    assert_eq!(row_output(&imagenet, 32, "block13.pw.conv"), [1024, 1, 1]);
    // Same weights either way.
    assert_eq!(small.summary(32).params(), imagenet.summary(32).params());
    assert_forward(&imagenet, 1, 32, 1000, "mobilenet, imagenet stem at 32");
}

#[test]
fn width_multiplier_scales_every_layer() {
    let device = Device::flex();
    let half = mobilenet(0.5).init(&device).unwrap();
    assert_eq!(row_output(&half, 224, "conv1.conv"), [16, 112, 112]);
    assert_eq!(row_output(&half, 224, "block13.pw.conv"), [512, 7, 7]);
    let fc = half.summary(224).rows.last().unwrap().clone();
    assert_eq!(fc.kind, "linear 512->1000");
    // Conv MACs are ~ width^2: 0.5 costs about a quarter of 1.0 (the FC only halves).
    let full = mobilenet(1.0).init(&device).unwrap();
    let ratio = half.summary(224).macs() as f64 / full.summary(224).macs() as f64;
    assert!((0.25..0.27).contains(&ratio), "{ratio}");
    // Rounding: 32 * 0.3 = 9.6 -> 10; tiny widths stop at 8 channels.
    let narrow = mobilenet(0.3).init(&device).unwrap();
    assert_eq!(row_output(&narrow, 224, "conv1.conv")[0], 10);
    let tiny = mobilenet(0.05).init(&device).unwrap();
    assert_eq!(row_output(&tiny, 224, "conv1.conv")[0], 8);
    assert_eq!(row_output(&tiny, 224, "block13.pw.conv")[0], 51);
    assert_eq!(mobilenet(0.5).display_name(), "mobilenet_x0.5");
    assert_forward(&half, 1, 224, 1000, "mobilenet x0.5");
}

#[test]
fn zero_gamma_is_ignored_without_residual_blocks() {
    let device = Device::flex();
    for name in std::iter::once(ModelName::MobileNet) {
        let mut config = ModelConfig::new(name, 10, 32);
        config.zero_gamma = true;
        let model = config.init(&device).unwrap();
        let gammas = match &model {
            Model::MobileNet(m) => vec![m.blocks[12].pw.bn.gamma.val()],
            Model::ResNet(_) => unreachable!(),
        };
        for gamma in gammas {
            let values: Vec<f32> = gamma.into_data().try_to_vec::<f32>().unwrap();
            assert!(values.iter().all(|&g| g == 1.0), "{name}: {values:?}");
        }
    }
}

#[test]
fn both_init_schemes_build() {
    let device = Device::flex();
    for init in [
        botui::model::InitScheme::Xavier,
        botui::model::InitScheme::Kaiming,
    ] {
        for name in std::iter::once(ModelName::MobileNet) {
            let mut config = ModelConfig::new(name, 10, 32);
            config.init = init;
            let model = config.init(&device).unwrap();
            assert_forward(&model, 1, 32, 10, &format!("{name} {init:?}"));
        }
    }
}
