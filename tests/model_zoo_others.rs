//! MobileNet (v1) and Inception-V3 against their published counts, the forward shapes the
//! summary promises at small and native sizes, the small-input stems and MobileNet's width
//! multiplier.
//!
//! Reference numbers (1000 classes): MobileNet v1 from the MobileNet paper's Table 6 and Keras'
//! model table (1.0: 4.24 M params, 569 M mult-adds; 0.75: 325 M; 0.5: 149 M; 0.25: 41 M), with
//! the exact parameter counts of Keras' `MobileNet(alpha)` (FC classifier with bias); Inception-V3
//! from torchvision (`inception_v3` weight metadata: 27,161,264 params with the auxiliary
//! classifier, whose 3,326,696 params botui does not build; 5.71 GFLOPS = MACs at 299). An
//! ignored test checks the logits against torchvision's with the same weights.

use botui::model::{
    Model, ModelConfig, ModelName, StemKind, for_each_tensor, is_running_stat, trainable_params,
};
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
fn inception_counts_match_torchvision() {
    let model = config(ModelName::InceptionV3, 299, StemKind::Auto)
        .init(&Device::flex())
        .unwrap();
    let summary = model.summary(299);
    let params = 27_161_264 - 3_326_696;
    assert_eq!(params, 23_834_568);
    assert_eq!(summary.params(), params, "summary params");
    assert_eq!(trainable_params(&model), params, "module params");
    assert_macs_near("inception_v3", summary.macs(), 5.71e9);
    // The mixed stages see 35, 17 and 8 pixels at 299.
    assert_eq!(row_output(&model, 299, "maxpool2"), [192, 35, 35]);
    assert_eq!(row_output(&model, 299, "mixed_5b.cat"), [256, 35, 35]);
    assert_eq!(row_output(&model, 299, "mixed_5d.cat"), [288, 35, 35]);
    assert_eq!(row_output(&model, 299, "mixed_6a.cat"), [768, 17, 17]);
    assert_eq!(row_output(&model, 299, "mixed_7a.cat"), [1280, 8, 8]);
    assert_eq!(row_output(&model, 299, "mixed_7c.cat"), [2048, 8, 8]);
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
fn inception_runs_forward_at_32_64_and_299() {
    let device = Device::flex();
    for input in [32, 64, 299] {
        let config = ModelConfig::new(ModelName::InceptionV3, 10, input);
        let model = config.init(&device).unwrap();
        assert_eq!(model.summary(input).rows.last().unwrap().output, [10, 1, 1]);
        assert_forward(&model, 1, input, 10, &format!("inception_v3 at {input}"));
    }
}

#[test]
fn inception_small_stem_keeps_the_image_side() {
    let model = config(ModelName::InceptionV3, 32, StemKind::Small)
        .init(&Device::flex())
        .unwrap();
    let summary = model.summary(32);
    assert!(!summary.rows.iter().any(|r| r.name.starts_with("maxpool")));
    assert_eq!(row_output(&model, 32, "conv2d_4a_3x3.conv"), [192, 32, 32]);
    // 32 -> (32 - 3) / 2 + 1 = 15 -> (15 - 3) / 2 + 1 = 7.
    assert_eq!(row_output(&model, 32, "mixed_5d.cat"), [288, 32, 32]);
    assert_eq!(row_output(&model, 32, "mixed_6e.cat"), [768, 15, 15]);
    assert_eq!(row_output(&model, 32, "mixed_7c.cat"), [2048, 7, 7]);
    // The conv shapes are torchvision's: the same parameters as the imagenet stem.
    assert_eq!(summary.params(), 23_834_568);
}

#[test]
fn inception_imagenet_stem_needs_75_pixels() {
    let device = Device::flex();
    // Explicit imagenet stem below 75: an error naming the key and the minimum.
    for input in [32, 64, 74] {
        let err = config(ModelName::InceptionV3, input, StemKind::Imagenet)
            .init(&device)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("input = {input}")) && err.contains("75"),
            "{err}"
        );
    }
    // Auto picks the small stem wherever the imagenet one cannot work.
    for (input, small) in [
        (64, true),
        (65, true),
        (74, true),
        (75, false),
        (299, false),
    ] {
        let config = config(ModelName::InceptionV3, input, StemKind::Auto);
        assert_eq!(config.small_input(), small, "auto stem at {input}");
    }
    // ResNet and MobileNet keep the plain rule (small up to 64).
    assert!(!config(ModelName::MobileNet, 65, StemKind::Auto).small_input());
    // 75 is the smallest side the shape arithmetic allows: Mixed_7a gets 3 pixels.
    let model = config(ModelName::InceptionV3, 75, StemKind::Imagenet)
        .init(&device)
        .unwrap();
    assert_eq!(row_output(&model, 75, "mixed_6e.cat"), [768, 3, 3]);
    assert_eq!(row_output(&model, 75, "mixed_7c.cat"), [2048, 1, 1]);
    assert_eq!(row_output(&model, 74, "mixed_7a.cat")[1], 0);
    assert_forward(&model, 1, 75, 1000, "inception_v3, imagenet stem at 75");
}

#[test]
fn zero_gamma_is_ignored_without_residual_blocks() {
    let device = Device::flex();
    for name in [ModelName::MobileNet, ModelName::InceptionV3] {
        let mut config = ModelConfig::new(name, 10, 32);
        config.zero_gamma = true;
        let model = config.init(&device).unwrap();
        let gammas = match &model {
            Model::MobileNet(m) => vec![m.blocks[12].pw.bn.gamma.val()],
            Model::InceptionV3(m) => vec![
                m.mixed_5b.branch_pool.bn.gamma.val(),
                m.mixed_7c.branch3x3dbl_3b.bn.gamma.val(),
            ],
            Model::ResNet(_) | Model::Airbench(_) => unreachable!(),
        };
        for gamma in gammas {
            let values: Vec<f32> = gamma.into_data().try_to_vec::<f32>().unwrap();
            assert!(values.iter().all(|&g| g == 1.0), "{name}: {values:?}");
        }
    }
}

#[test]
fn inception_uses_torchvision_names_and_bn_eps() {
    let model = config(ModelName::InceptionV3, 299, StemKind::Auto)
        .init(&Device::flex())
        .unwrap();
    let mut paths = Vec::new();
    for_each_tensor(&model, |path, _| paths.push(path.to_string()));
    for expected in [
        "conv2d_1a_3x3.conv.weight",
        "conv2d_4a_3x3.bn.gamma",
        "mixed_5b.branch5x5_2.conv.weight",
        "mixed_6e.branch7x7dbl_5.bn.running_var",
        "mixed_7a.branch7x7x3_4.conv.weight",
        "mixed_7c.branch3x3dbl_3b.conv.weight",
        "fc.weight",
    ] {
        assert!(
            paths.iter().any(|p| p.ends_with(expected)),
            "no tensor named *{expected}"
        );
    }
    // torchvision's state dict without aux_logits: 94 BasicConv2d (conv weight + 4 BN tensors)
    // + fc weight and bias, leaving out the 94 num_batches_tracked counters.
    assert_eq!(paths.len(), 94 * 5 + 2);
    let stats = paths
        .iter()
        .filter(|p| is_running_stat(p.rsplit('.').next().unwrap()))
        .count();
    assert_eq!(stats, 94 * 2);
    let Model::InceptionV3(net) = &model else {
        unreachable!()
    };
    assert_eq!(net.conv2d_1a_3x3.bn.epsilon, 1e-3);
    assert_eq!(net.mixed_7c.branch_pool.bn.epsilon, 1e-3);
}

#[test]
fn both_init_schemes_build() {
    let device = Device::flex();
    for init in [
        botui::model::InitScheme::Xavier,
        botui::model::InitScheme::Kaiming,
    ] {
        for name in [ModelName::MobileNet, ModelName::InceptionV3] {
            let mut config = ModelConfig::new(name, 10, 32);
            config.init = init;
            let model = config.init(&device).unwrap();
            assert_forward(&model, 1, 32, 10, &format!("{name} {init:?}"));
        }
    }
}

/// Reads a little-endian f32 file written by numpy's `tofile`.
fn read_f32(path: &std::path::Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Same weights, same logits as torchvision (eval mode, at 299 and at the imagenet stem's
/// minimum of 75). Needs a reference folder made with the venv's torchvision:
///
/// ```text
/// import sys, torch, torchvision
/// torch.manual_seed(0); out = sys.argv[1]
/// m = torchvision.models.inception_v3(aux_logits=False, init_weights=True, num_classes=10)
/// for b in m.modules():
///     if isinstance(b, torch.nn.BatchNorm2d):
///         b.momentum = None; b.reset_running_stats()
///         b.weight.data.uniform_(0.5, 1.5); b.bias.data.uniform_(-0.1, 0.1)
/// m.train()
/// with torch.no_grad(): m(torch.randn(8, 3, 299, 299))
/// m.eval(); torch.save(m.state_dict(), f"{out}/inception_v3.pth")
/// for s in (299, 75):
///     x = torch.randn(2, 3, s, s)
///     with torch.no_grad(): y = m(x)
///     x.numpy().astype("<f4").tofile(f"{out}/x{s}.f32")
///     y.numpy().astype("<f4").tofile(f"{out}/y{s}.f32")
/// ```
///
/// then `BOTUI_INCEPTION_REF=DIR cargo test --test model_zoo_others -- --ignored`.
#[test]
#[ignore = "needs BOTUI_INCEPTION_REF, a folder made with torchvision (see the doc comment)"]
fn inception_matches_torchvision() {
    use burn::store::{ModuleSnapshot, PytorchStore};
    let dir = std::path::PathBuf::from(
        std::env::var("BOTUI_INCEPTION_REF").expect("BOTUI_INCEPTION_REF: the reference folder"),
    );
    let device = Device::flex();
    let mut model = ModelConfig::new(ModelName::InceptionV3, 10, 299)
        .init(&device)
        .unwrap();
    let mut store = PytorchStore::from_file(dir.join("inception_v3.pth"))
        .with_key_remapping(r"^Conv2d_", "conv2d_")
        .with_key_remapping(r"^Mixed_", "mixed_")
        .allow_partial(true);
    let applied = model.load_from(&mut store).unwrap();
    assert!(applied.missing.is_empty(), "missing: {:?}", applied.missing);
    for s in [299, 75] {
        let x = read_f32(&dir.join(format!("x{s}.f32")));
        let expected = read_f32(&dir.join(format!("y{s}.f32")));
        let x = Tensor::<4>::from_data(burn::tensor::TensorData::new(x, [2, 3, s, s]), &device);
        let y: Vec<f32> = model.forward(x).into_data().try_to_vec::<f32>().unwrap();
        let scale = expected.iter().fold(0f32, |m, v| m.max(v.abs()));
        for (i, (a, b)) in y.iter().zip(&expected).enumerate() {
            assert!(
                (a - b).abs() <= 1e-3 * scale.max(1.0),
                "logit {i} at {s}: {a} vs torchvision {b}"
            );
        }
    }
}
