//! The paper's top-1 numbers behind each of its tricks, as printed in Tables 4-6 of "Bag of
//! Tricks" (He et al., 2018). A trick's gain is the difference between the row that adds it
//! and the row before, in the column that matches the run being set up.

use super::gain::Gain;
use crate::config::RunConfig;
use crate::model::{ModelName, ResNetVariant};

/// Table 4: ResNet-50, heuristics stacked; top-1 at batch 256 and at batch 1024.
pub const TABLE4: [(&str, f64, f64); 5] = [
    ("linear scaling", 75.87, 75.17),
    ("+ LR warmup", 76.03, 75.93),
    ("+ zero gamma", 76.19, 76.37),
    ("+ no bias decay", 76.16, 76.03),
    ("+ FP16", 76.15, 76.21),
];

/// Table 5: the ResNet-50 tweaks in the efficient setting; top-1.
pub const TABLE5: [(&str, f64); 4] = [
    ("ResNet-50 (A)", 76.21),
    ("ResNet-50-B", 76.66),
    ("ResNet-50-C", 76.87),
    ("ResNet-50-D", 77.16),
];

/// Table 6: refinements stacked on "efficient"; top-1 of ResNet-50-D, Inception-V3, MobileNet.
pub const TABLE6: [(&str, [f64; 3]); 6] = [
    ("efficient", [77.16, 77.50, 71.90]),
    ("+ cosine decay", [77.91, 78.19, 72.83]),
    ("+ label smoothing", [78.31, 78.40, 72.93]),
    ("+ distill w/o mixup", [78.67, 78.26, 71.97]),
    ("+ mixup w/o distill", [79.15, 78.77, 73.28]),
    ("+ distill w/ mixup", [79.29, 78.34, 72.51]),
];

const TABLE6_MODELS: [&str; 3] = ["ResNet-50-D", "Inception-V3", "MobileNet"];
const TABLE6_SHORT: [&str; 3] = ["R50-D", "Inc-V3", "MobNet"];

/// Table 4's batch column: the one the preset's paper row names (a laptop companion of a
/// batch-1024 row trains at a smaller batch), else the one nearer the configured batch.
fn batch_1024(config: &RunConfig) -> bool {
    match config.paper.as_ref() {
        Some(p) if p.table == "Table 4" && p.row.contains("1024") => true,
        Some(p) if p.table == "Table 4" && p.row.contains("256") => false,
        _ => config.batch_size >= 512,
    }
}

/// Table 4, `row` against the row above, in the config's batch column.
pub fn table4(row: usize, config: &RunConfig) -> Gain {
    let big = batch_1024(config);
    let pick = |r: usize| if big { TABLE4[r].2 } else { TABLE4[r].1 };
    Gain {
        table: "Table 4",
        table_short: "T4",
        row: TABLE4[row].0,
        column: format!("ResNet-50 bs{}", if big { 1024 } else { 256 }),
        short: if big { "bs1024" } else { "bs256" },
        before: pick(row - 1),
        after: pick(row),
    }
}

/// Linear scaling: Table 4's first row, batch 1024 against batch 256.
pub fn linear_scaling(_: &RunConfig) -> Option<Gain> {
    Some(Gain {
        table: "Table 4",
        table_short: "T4",
        row: TABLE4[0].0,
        column: "ResNet-50 bs1024 vs bs256".into(),
        short: "1024/256",
        before: TABLE4[0].1,
        after: TABLE4[0].2,
    })
}

/// Table 5: the configured variant (D while the tweak is off) against ResNet-50 (A).
pub fn resnet_tweak(config: &RunConfig) -> Option<Gain> {
    let v = match config.model.variant {
        ResNetVariant::A => ResNetVariant::D,
        v => v,
    };
    let i = ResNetVariant::ALL.iter().position(|x| *x == v)?;
    Some(Gain {
        table: "Table 5",
        table_short: "T5",
        row: TABLE5[i].0,
        column: "vs ResNet-50 (A)".into(),
        short: "vs A",
        before: TABLE5[0].1,
        after: TABLE5[i].1,
    })
}

/// Table 6, `row` against `before_row`, in the configured model's column; `None` for a model
/// the table has no column for (airbench94).
pub fn table6(row: usize, before_row: usize, config: &RunConfig) -> Option<Gain> {
    let col = match config.model.name {
        ModelName::ResNet(_) => 0,
        ModelName::InceptionV3 => 1,
        ModelName::MobileNet => 2,
        ModelName::Airbench94 => return None,
    };
    Some(Gain {
        table: "Table 6",
        table_short: "T6",
        row: TABLE6[row].0,
        column: TABLE6_MODELS[col].to_string(),
        short: TABLE6_SHORT[col],
        before: TABLE6[before_row].1[col],
        after: TABLE6[row].1[col],
    })
}

/// Distillation: the row with mixup when mixup is on.
pub fn distillation(config: &RunConfig) -> Option<Gain> {
    if config.mixup.enabled {
        table6(5, 4, config)
    } else {
        table6(3, 2, config)
    }
}

/// Mixup: the row with distillation when distillation is on.
pub fn mixup(config: &RunConfig) -> Option<Gain> {
    if config.distillation.enabled {
        table6(5, 3, config)
    } else {
        table6(4, 2, config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tricks::find;

    fn config(model: ModelName, batch: usize) -> RunConfig {
        let mut c = RunConfig::default();
        c.model.name = model;
        c.batch_size = batch;
        c
    }

    fn gain_for(name: &str, c: &RunConfig) -> Option<Gain> {
        (find(name).gain)(c)
    }

    /// Every expected value below is worked out by hand from the tables in PAPER.md.
    #[test]
    fn gains_match_the_paper_by_hand() {
        let r50 = config(ModelName::ResNet(50), 256);
        let r50_1024 = config(ModelName::ResNet(50), 1024);
        let cases = [
            ("cosine", &r50, 0.75), // 77.91 - 77.16
            ("label-smoothing", &r50, 0.40),
            ("distill", &r50, 0.36),
            ("mixup", &r50, 0.84), // 79.15 - 78.31
            ("warmup", &r50, 0.16),
            ("warmup", &r50_1024, 0.76),
            ("zero-gamma", &r50_1024, 0.44),
            ("no-bias-decay", &r50_1024, -0.34),
            ("low-precision", &r50, -0.01),
            ("low-precision", &r50_1024, 0.18),
            ("linear-scaling", &r50, -0.70),
        ];
        for (trick, c, expected) in cases {
            let g = gain_for(trick, c).unwrap();
            assert!((g.gain() - expected).abs() < 1e-9, "{trick:?}: {g:?}");
        }
    }

    #[test]
    fn table4_column_follows_the_presets_paper_row_then_the_batch() {
        let mut c = config(ModelName::ResNet(50), 128);
        assert!((gain_for("warmup", &c).unwrap().gain() - 0.16).abs() < 1e-9);
        c.paper = Some(crate::config::PaperReference {
            table: "Table 4".into(),
            row: "+ FP16, batch 1024".into(),
            model: "ResNet-50".into(),
            top1: 76.21,
            top5: Some(92.97),
        });
        // A laptop companion of the batch-1024 row: that column, whatever its own batch.
        let g = gain_for("warmup", &c).unwrap();
        assert!((g.gain() - 0.76).abs() < 1e-9, "{g:?}");
        assert_eq!(g.short, "bs1024");
    }

    #[test]
    fn tweak_gain_is_against_resnet_a_and_follows_the_variant() {
        let mut c = config(ModelName::ResNet(50), 1024);
        c.model.variant = ResNetVariant::B;
        assert!((gain_for("resnet-tweak", &c).unwrap().gain() - 0.45).abs() < 1e-9);
        c.model.variant = ResNetVariant::D;
        let d = gain_for("resnet-tweak", &c).unwrap();
        assert!((d.gain() - 0.95).abs() < 1e-9, "{d:?}");
        assert_eq!(d.row, "ResNet-50-D");
    }

    #[test]
    fn table6_column_follows_the_model_and_the_other_trick() {
        let mobile = config(ModelName::MobileNet, 256);
        assert!((gain_for("cosine", &mobile).unwrap().gain() - 0.93).abs() < 1e-9);
        let mut inc = config(ModelName::InceptionV3, 256);
        assert!((gain_for("distill", &inc).unwrap().gain() + 0.14).abs() < 1e-9);
        inc.mixup.enabled = true;
        // 78.34 (distill w/ mixup) - 78.77 (mixup w/o distill)
        let g = gain_for("distill", &inc).unwrap();
        assert!((g.gain() + 0.43).abs() < 1e-9, "{g:?}");
        let mut r = config(ModelName::ResNet(50), 256);
        r.distillation.enabled = true;
        // 79.29 - 78.67
        assert!((gain_for("mixup", &r).unwrap().gain() - 0.62).abs() < 1e-9);
        assert_eq!(gain_for("cosine", &r).unwrap().table_short, "T6");
    }
}
