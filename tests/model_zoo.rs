//! The zoo against the paper's exact counts (PAPER.md section 3): parameters equal, MACs
//! within 0.5 %, and the forward pass produces the shapes the summary promises.

use botui::model::{
    ModelConfig, ModelName, ResNetVariant, StemKind, parse_model, trainable_params,
};
use burn::tensor::{Device, Distribution, Tensor};

fn resnet(depth: usize, variant: ResNetVariant) -> ModelConfig {
    ModelConfig::new(ModelName::ResNet(depth), 1000, 224).with_variant(variant)
}

/// (depth, variant, params, MACs in G) from PAPER.md section 3.
const PAPER: &[(usize, ResNetVariant, usize, f64)] = &[
    (18, ResNetVariant::B, 11_689_512, 1.814),
    (34, ResNetVariant::B, 21_797_672, 3.664),
    (50, ResNetVariant::A, 25_557_032, 3.858),
    (50, ResNetVariant::B, 25_557_032, 4.089),
    (50, ResNetVariant::C, 25_576_264, 4.329),
    (50, ResNetVariant::D, 25_576_264, 4.329),
    (18, ResNetVariant::D, 11_708_744, 2.054),
    (34, ResNetVariant::D, 21_816_904, 3.903),
];

#[test]
fn resnet_counts_match_the_paper() {
    let device = Device::flex();
    for &(depth, variant, params, gmacs) in PAPER {
        let config = resnet(depth, variant);
        let model = config.init(&device).unwrap();
        let summary = model.summary(224);
        assert_eq!(
            summary.params(),
            params,
            "resnet{depth}-{variant} summary params"
        );
        assert_eq!(
            trainable_params(&model),
            params,
            "resnet{depth}-{variant} params of the module itself"
        );
        let macs = summary.macs() as f64 / 1e9;
        let err = (macs - gmacs).abs() / gmacs;
        assert!(
            err < 0.005,
            "resnet{depth}-{variant}: {macs:.4} GMACs vs paper {gmacs} ({:.2} % off)",
            err * 100.0
        );
    }
}

#[test]
fn running_statistics_are_not_parameters() {
    let model = resnet(18, ResNetVariant::B).init(&Device::flex()).unwrap();
    use burn::module::Module;
    // burn's own count includes 2 running statistics per BN channel.
    assert!(model.num_params() > trainable_params(&model));
}

#[test]
fn deeper_resnets_have_the_torchvision_counts() {
    // torchvision: resnet101 44,549,160; resnet152 60,192,808.
    let device = Device::flex();
    for (depth, params) in [(101, 44_549_160), (152, 60_192_808)] {
        let model = resnet(depth, ResNetVariant::B).init(&device).unwrap();
        assert_eq!(model.summary(224).params(), params, "resnet{depth}");
    }
}

#[test]
fn every_variant_and_stem_runs_forward_at_32() {
    let device = Device::flex();
    for variant in ResNetVariant::ALL {
        for stem in [StemKind::Small, StemKind::Imagenet] {
            let mut config = ModelConfig::new(ModelName::ResNet(18), 10, 32).with_variant(variant);
            config.stem = stem;
            let model = config.init(&device).unwrap();
            let x = Tensor::<4>::random([2, 3, 32, 32], Distribution::Default, &device);
            let y = model.forward(x);
            assert_eq!(y.dims(), [2, 10], "{variant} {stem:?}");
            let summary = model.summary(32);
            assert_eq!(summary.rows.last().unwrap().output, [10, 1, 1]);
        }
    }
}

#[test]
fn small_stem_keeps_resolution() {
    let config = ModelConfig::new(ModelName::ResNet(18), 10, 32);
    assert!(config.small_input());
    let model = config.init(&Device::flex()).unwrap();
    let summary = model.summary(32);
    let layer1 = summary
        .rows
        .iter()
        .find(|r| r.name.starts_with("layer1"))
        .unwrap();
    assert_eq!(layer1.output, [64, 32, 32]);
    // A 3x3 stem instead of 7x7: 64*3*9 = 1728 weights in the first conv.
    assert_eq!(summary.rows[0].params, 1728);
}

#[test]
fn resnet_d_shortcut_pools_before_the_1x1_conv() {
    let model = resnet(50, ResNetVariant::D).init(&Device::flex()).unwrap();
    let summary = model.summary(224);
    let names: Vec<&str> = summary.rows.iter().map(|r| r.name.as_str()).collect();
    // Stage 1 projection: plain 1x1 conv, no pool.
    assert!(!names.contains(&"layer1.0.downsample.pool"));
    assert!(names.contains(&"layer1.0.downsample.conv"));
    for stage in 2..=4 {
        let pool = format!("layer{stage}.0.downsample.pool");
        assert!(names.contains(&pool.as_str()), "{pool}");
        let conv = summary
            .rows
            .iter()
            .find(|r| r.name == format!("layer{stage}.0.downsample.conv"))
            .unwrap();
        assert!(conv.kind.starts_with("conv 1x1/1"), "{}", conv.kind);
    }
}

#[test]
fn model_names_parse_with_variant_suffixes() {
    assert_eq!(
        parse_model("resnet50d").unwrap(),
        (ModelName::ResNet(50), Some(ResNetVariant::D))
    );
    assert_eq!(
        parse_model("resnet50_v1c").unwrap(),
        (ModelName::ResNet(50), Some(ResNetVariant::C))
    );
    assert_eq!(
        parse_model("ResNet18").unwrap(),
        (ModelName::ResNet(18), None)
    );
    let err = parse_model("resnet51").unwrap_err().to_string();
    assert!(
        err.contains("'resnet51'") && err.contains("resnet50"),
        "{err}"
    );
    assert!(parse_model("vgg16").is_err());
}

#[test]
fn invalid_sizes_are_errors_naming_the_key() {
    let mut config = ModelConfig::new(ModelName::ResNet(18), 10, 16);
    let err = config.init(&Device::flex()).unwrap_err().to_string();
    assert!(err.contains("input = 16") && err.contains("32"), "{err}");
    config.input = 32;
    config.classes = 1;
    let err = config.init(&Device::flex()).unwrap_err().to_string();
    assert!(err.contains("classes = 1"), "{err}");
}
