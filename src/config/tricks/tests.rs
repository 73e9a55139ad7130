use super::*;
use crate::config::{DecayKind, Precision, PresetLibrary, SmoothingFormula};
use crate::model::{ModelName, ResNetVariant};

fn shorts(c: &RunConfig) -> Vec<String> {
    c.tricks().iter().map(Trick::short_name).collect()
}

#[test]
fn default_config_has_linear_scaling_and_resnet_b_only() {
    assert_eq!(
        shorts(&RunConfig::default()),
        ["linear-scaling", "resnet-b"]
    );
}

#[test]
fn zero_gamma_and_variants_only_count_for_resnets() {
    let mut c = RunConfig::default();
    c.model.name = ModelName::MobileNet;
    c.zero_gamma.enabled = true;
    c.linear_scaling.enabled = false;
    c.mixup.enabled = true;
    assert_eq!(shorts(&c), ["mixup"]);
    c.model.name = ModelName::ResNet(50);
    c.model.variant = ResNetVariant::D;
    c.low_precision.enabled = true;
    c.low_precision.dtype = Precision::Bf16;
    assert_eq!(shorts(&c), ["zero-gamma", "bf16", "resnet-d", "mixup"]);
}

#[test]
fn names_are_unique_and_every_key_is_a_config_key() {
    let c = RunConfig::default();
    let mut names: Vec<&str> = all().map(|t| t.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), all().count());
    for t in all() {
        assert!(
            crate::config::overrides::get_value(&c, t.switch.key()).is_some(),
            "{}",
            t.name
        );
        // A switch lives in a section (which validation reaches) or at the top of the file.
        let section = t.switch.key().split('.').next().unwrap();
        assert!(
            !t.switch.key().contains('.') || RunConfig::SECTIONS.contains(&section),
            "{}",
            t.name
        );
        for p in t.params {
            assert!(
                crate::config::overrides::get_value(&c, p.key).is_some(),
                "{}",
                p.key
            );
        }
    }
}

#[test]
fn toggles_switch_flags_and_choices_both_ways() {
    let c = RunConfig::default();
    let cosine = find("cosine").toggled(&c).unwrap();
    assert_eq!(cosine.schedule.decay, DecayKind::Cosine);
    assert_eq!(
        find("cosine").toggled(&cosine).unwrap().schedule.decay,
        DecayKind::Step
    );
    // B is on; off is ResNet-A, and on again is the paper's best, D.
    let a = find("resnet-tweak").toggled(&c).unwrap();
    assert_eq!(a.model.variant, ResNetVariant::A);
    let d = find("resnet-tweak").toggled(&a).unwrap();
    assert_eq!(d.model.variant, ResNetVariant::D);
    let mixup = find("mixup").toggled(&c).unwrap();
    assert!(mixup.mixup.enabled && find("mixup").is_on(&mixup));
}

#[test]
fn parameters_step_by_their_rule_and_keep_in_bounds() {
    let mut c = RunConfig::default();
    let p = |trick: &str, key: &str| find(trick).param(key).unwrap();
    // 0.1 + 0.05, rounded: 0.15, not 0.15000000000000002.
    let eps = p("label-smoothing", "label_smoothing.epsilon");
    c = eps.stepped(&c, 1).unwrap();
    assert_eq!(c.label_smoothing.epsilon, 0.15);
    c.label_smoothing.epsilon = 0.95;
    assert_eq!(eps.stepped(&c, 1).unwrap().label_smoothing.epsilon, 0.95);
    // 256 / 2 / 2 ... never below 1; 3 halves to 1 (whole numbers).
    let batch = p("linear-scaling", "linear_scaling.reference_batch");
    assert_eq!(
        batch
            .stepped(&c, -1)
            .unwrap()
            .linear_scaling
            .reference_batch,
        128
    );
    c.linear_scaling.reference_batch = 3;
    assert_eq!(
        batch
            .stepped(&c, -1)
            .unwrap()
            .linear_scaling
            .reference_batch,
        1
    );
    c.linear_scaling.reference_batch = 1;
    assert_eq!(
        batch
            .stepped(&c, -1)
            .unwrap()
            .linear_scaling
            .reference_batch,
        1
    );
    let off = p("mixup", "mixup.off_epochs");
    assert_eq!(off.stepped(&c, -1).unwrap().mixup.off_epochs, 0);
    assert_eq!(off.stepped(&c, 1).unwrap().mixup.off_epochs, 1);
    let scale = p("low-precision", "low_precision.loss_scale");
    assert_eq!(
        scale.stepped(&c, 1).unwrap().low_precision.loss_scale,
        131072.0
    );
    // Choices go round: D -> B, paper -> uniform -> paper.
    c.model.variant = ResNetVariant::D;
    let variant = p("resnet-tweak", "model.variant");
    assert_eq!(
        variant.stepped(&c, 1).unwrap().model.variant,
        ResNetVariant::B
    );
    let formula = p("label-smoothing", "label_smoothing.formula");
    let u = formula.stepped(&c, -1).unwrap();
    assert_eq!(u.label_smoothing.formula, SmoothingFormula::Uniform);
    assert_eq!(formula.display(&u), "uniform");
}

#[test]
fn typed_values_go_through_serde() {
    let c = RunConfig::default();
    let dtype = find("low-precision").param("low_precision.dtype").unwrap();
    assert_eq!(
        dtype.set_text(&c, "BF16").unwrap().low_precision.dtype,
        Precision::Bf16
    );
    let alpha = find("mixup").param("mixup.alpha").unwrap();
    let err = alpha.set_text(&c, "lots").unwrap_err();
    assert!(err.starts_with("mixup.alpha = lots: "), "{err}");
    assert_eq!(alpha.set_text(&c, " 0.4 ").unwrap().mixup.alpha, 0.4);
    // A path is text even where it reads as a number.
    let teacher = find("distill").param("distillation.teacher").unwrap();
    assert_eq!(teacher.display(&c), "(none: enter to set)");
    let t = teacher.set_text(&c, "152").unwrap();
    assert_eq!(t.distillation.teacher, "152");
    assert_eq!(teacher.display(&t), "152");
}

/// Every gain the registry can show, for every preset's setting, is a pair of numbers that a
/// preset's `[paper]` table prints for that model family; and each preset row that adds one
/// trick to the row it extends prints the registry's number for that trick.
#[test]
fn every_gain_is_a_number_the_presets_print() {
    let library = PresetLibrary::builtin();
    let presets: Vec<_> = library
        .names()
        .iter()
        .map(|n| library.resolve(n).unwrap())
        .collect();
    let family = |model: &str| model.split('-').next().unwrap_or(model).to_string();
    let printed: Vec<(String, f64)> = presets
        .iter()
        .filter_map(|p| p.paper())
        .filter(|r| ["Table 4", "Table 5", "Table 6"].contains(&r.table.as_str()))
        .map(|r| (family(&r.model), r.top1))
        .collect();
    let mut checked = 0;
    let mut rows = 0;
    for p in &presets {
        let Some(reference) = p.paper() else { continue };
        let c = &p.config;
        for t in all() {
            let Some(g) = (t.gain)(c) else { continue };
            let model = if g.table == "Table 6" {
                g.column.clone()
            } else {
                "ResNet".to_string()
            };
            for value in [g.before, g.after] {
                assert!(
                    printed.contains(&(family(&model), value)),
                    "{}: {} gain {g:?} prints {value}, which no preset prints for {model}",
                    p.name,
                    t.name
                );
                checked += 1;
            }
        }
        // Only the paper's rows add a trick with a printed gain: the recipes after it report
        // whole recipes (RSB A3 extends A2 with a fixed training side, which has no gain).
        if p.source() != crate::config::PresetSource::Paper {
            continue;
        }
        let Some(above) = p.extends.first().and_then(|n| library.resolve(n).ok()) else {
            continue;
        };
        let before = above.tricks();
        let added: Vec<Trick> = p
            .tricks()
            .into_iter()
            .filter(|t| !before.contains(t))
            .collect();
        // A row that adds one trick (the "efficient" rows add several at once).
        for new in added.iter().filter(|_| added.len() == 1) {
            let g = (new.def.gain)(c).unwrap();
            // The row that adds it prints its "after" (linear scaling's batch-256 row, where
            // it changes nothing, prints its "before").
            assert!(
                g.table == reference.table && [g.before, g.after].contains(&reference.top1),
                "{} adds {new} to {}: {g:?} vs {reference:?}",
                p.name,
                above.name
            );
            rows += 1;
        }
    }
    assert!(checked > 1000, "{checked}");
    assert!(rows >= 20, "{rows} rows that add one trick");
}
