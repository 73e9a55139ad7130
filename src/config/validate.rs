//! Range checks for the run config: each error names the key, the value and what is allowed.

use super::after_paper_sections::LossKind;
use super::data_source::BUILTIN_MAX_CLASSES;
use super::run::{
    AugmentSection, CheckpointSection, DataSection, Distillation, LabelSmoothing, LinearScaling,
    LowPrecision, Mixup, ModelSection, OptimizerSection, PaperReference, RunConfig,
    ScheduleSection, Toggle, Warmup,
};
use super::section::Section;

pub use super::check::{Checker, InvalidConfig, InvalidValue};

/// A value only the user can supply (a preset cannot know where their files are), so a
/// config without it is a valid template but cannot run yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingInput {
    /// Dotted key, e.g. `distillation.teacher`.
    pub key: &'static str,
    /// What to put there, e.g. "path to a resnet152d teacher: ...".
    pub wanted: String,
}

impl std::fmt::Display for MissingInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} = <{}>", self.key, self.wanted)
    }
}

impl RunConfig {
    /// Checks every value and that nothing the user must supply is missing: what a run needs.
    /// The error lists all that are wrong.
    pub fn validate(&self) -> Result<(), InvalidConfig> {
        let mut c = self.check_values();
        let d = &self.distillation;
        for missing in self.missing_inputs() {
            match missing.key {
                "distillation.teacher" => c.check(
                    false,
                    missing.key,
                    format!("{:?}", d.teacher),
                    "a teacher checkpoint or weights file when distillation is enabled",
                ),
                key => c.check(false, key, "\"\"", &missing.wanted),
            }
        }
        c.into_result()
    }

    /// Checks every value but lets [`RunConfig::missing_inputs`] be missing: what a preset (a
    /// template the user completes) must pass.
    pub fn validate_template(&self) -> Result<(), InvalidConfig> {
        self.check_values().into_result()
    }

    /// The values the user still has to supply before this config can run.
    pub fn missing_inputs(&self) -> Vec<MissingInput> {
        let d = &self.distillation;
        let mut missing = Vec::new();
        if d.enabled && d.teacher.trim().is_empty() {
            let model = match d.teacher_model.trim() {
                "" => "teacher".to_string(),
                m => m.to_string(),
            };
            missing.push(MissingInput {
                key: "distillation.teacher",
                wanted: format!(
                    "path to a {model} checkpoint (a botui run folder or checkpoint file) or \
                     timm {model} weights (.safetensors or .pth)"
                ),
            });
        }
        missing
    }

    fn check_values(&self) -> Checker {
        let mut c = Checker::default();
        c.check(self.epochs >= 1, "epochs", self.epochs, "at least 1");
        c.check(
            self.batch_size >= 1,
            "batch_size",
            self.batch_size,
            "at least 1",
        );
        c.positive("base_lr", self.base_lr);
        self.check_across_sections(&mut c);
        for (key, section) in self.sections() {
            c.enter(key);
            section.check(&mut c);
            c.leave();
        }
        c
    }

    /// The limits one section's value takes from another's (a section checks only its own).
    fn check_across_sections(&self, c: &mut Checker) {
        // The zoo's own checks (input side per model and stem, width multiplier).
        if let Err(crate::model::ModelError::Invalid {
            key,
            value,
            expected,
        }) = self.model_config(2).validate()
        {
            c.check(false, &format!("model.{key}"), value, &expected);
        }
        c.check(
            self.warmup.epochs.is_finite()
                && self.warmup.epochs >= 0.0
                && (!self.warmup.enabled || self.warmup.epochs < self.epochs as f64),
            "warmup.epochs",
            self.warmup.epochs,
            &format!("a number of epochs >= 0 and below epochs ({})", self.epochs),
        );
        c.check(
            !self.mixup.enabled || self.mixup.off_epochs < self.epochs,
            "mixup.off_epochs",
            self.mixup.off_epochs,
            &format!("fewer than epochs ({})", self.epochs),
        );
        c.check(
            !(self.distillation.enabled && self.loss.kind == LossKind::Bce),
            "loss.kind",
            "\"bce\"",
            "\"cross_entropy\" while distillation is on (its loss is a softmax cross entropy)",
        );
    }
}

// The paper's sections, each checking its own values; those of the tricks after it check
// themselves beside their structs (`after_paper_sections.rs`).

/// The zoo checks the model's values, with the run's (`check_across_sections`).
impl Section for ModelSection {
    fn check(&self, _: &mut Checker) {}
}

impl Section for DataSection {
    fn check(&self, c: &mut Checker) {
        if let Err(e) = self.source.parsed() {
            c.check(false, "source", format!("{:?}", self.source), e);
        }
        c.check(
            self.val_fraction > 0.0 && self.val_fraction < 1.0,
            "val_fraction",
            self.val_fraction,
            "a fraction in (0, 1)",
        );
        let most = BUILTIN_MAX_CLASSES;
        c.check(
            (2..=most).contains(&self.builtin_classes),
            "builtin_classes",
            self.builtin_classes,
            &format!("between 2 and {most} (the built-in dataset's distinct classes)"),
        );
        c.check(
            self.builtin_train_per_class >= 1,
            "builtin_train_per_class",
            self.builtin_train_per_class,
            "at least 1",
        );
        c.check(
            self.builtin_val_per_class >= 1,
            "builtin_val_per_class",
            self.builtin_val_per_class,
            "at least 1",
        );
        c.check(
            self.builtin_size >= 8 && self.builtin_size <= 1024,
            "builtin_size",
            self.builtin_size,
            "between 8 and 1024 pixels",
        );
        c.check(
            (0.0..=1.0).contains(&self.builtin_difficulty),
            "builtin_difficulty",
            self.builtin_difficulty,
            "a number from 0 (clean) to 1 (hardest)",
        );
        c.check(
            self.prefetch >= 1,
            "prefetch",
            self.prefetch,
            "at least 1 batch",
        );
    }
}

impl Section for AugmentSection {
    fn check(&self, c: &mut Checker) {
        c.range("crop_area", self.crop_area, 0.0, 1.0);
        c.check(
            self.crop_area[0] > 0.0,
            "crop_area",
            format!("[{}, {}]", self.crop_area[0], self.crop_area[1]),
            "a lower bound > 0",
        );
        c.range("crop_aspect", self.crop_aspect, 0.01, 100.0);
        c.below_one("jitter", self.jitter);
        c.at_least_zero("lighting_std", self.lighting_std);
        c.fraction("val_crop_ratio", self.val_crop_ratio, true);
    }
}

impl Section for OptimizerSection {
    fn check(&self, c: &mut Checker) {
        c.below_one("momentum", self.momentum);
        c.at_least_zero("weight_decay", self.weight_decay);
    }
}

impl Section for ScheduleSection {
    fn check(&self, c: &mut Checker) {
        c.check(
            self.step_epochs.windows(2).all(|w| w[0] < w[1]),
            "step_epochs",
            format!("{:?}", self.step_epochs),
            "epochs in increasing order",
        );
        c.check(
            self.step_factor > 0.0 && self.step_factor <= 1.0,
            "step_factor",
            self.step_factor,
            "a factor in (0, 1]",
        );
    }
}

impl Section for LinearScaling {
    fn check(&self, c: &mut Checker) {
        c.check(
            self.reference_batch >= 1,
            "reference_batch",
            self.reference_batch,
            "at least 1",
        );
    }
}

/// `warmup.epochs` is checked against `epochs` (`check_across_sections`).
impl Section for Warmup {
    fn check(&self, _: &mut Checker) {}
}

/// An on/off switch has nothing out of range.
impl Section for Toggle {
    fn check(&self, _: &mut Checker) {}
}

impl Section for LowPrecision {
    fn check(&self, c: &mut Checker) {
        c.check(
            self.loss_scale.is_finite() && self.loss_scale >= 1.0,
            "loss_scale",
            self.loss_scale,
            "a number >= 1",
        );
        c.check(
            self.growth_interval >= 1,
            "growth_interval",
            self.growth_interval,
            "at least 1",
        );
    }
}

impl Section for LabelSmoothing {
    fn check(&self, c: &mut Checker) {
        c.below_one("epsilon", self.epsilon);
    }
}

impl Section for Mixup {
    fn check(&self, c: &mut Checker) {
        c.positive("alpha", self.alpha);
    }
}

impl Section for Distillation {
    fn check(&self, c: &mut Checker) {
        c.positive("temperature", self.temperature);
        c.fraction("hard_weight", self.hard_weight, false);
    }
}

impl Section for CheckpointSection {
    fn check(&self, c: &mut Checker) {
        c.check(
            self.every_epochs >= 1,
            "every_epochs",
            self.every_epochs,
            "at least 1",
        );
    }
}

impl Section for PaperReference {
    fn check(&self, c: &mut Checker) {
        c.check(
            !self.table.trim().is_empty(),
            "table",
            format!("{:?}", self.table),
            "the table the numbers come from, e.g. \"Table 6\"",
        );
        c.check(
            !self.row.trim().is_empty(),
            "row",
            format!("{:?}", self.row),
            "the row of the table, e.g. \"+ cosine decay\"",
        );
        let percent = |v: f64| v.is_finite() && v > 0.0 && v <= 100.0;
        c.check(
            percent(self.top1),
            "top1",
            self.top1,
            "a top-1 accuracy in percent, in (0, 100]",
        );
        if let Some(top5) = self.top5 {
            c.check(
                percent(top5) && top5 >= self.top1,
                "top5",
                top5,
                &format!(
                    "a top-5 accuracy in percent, from top1 ({}) to 100",
                    self.top1
                ),
            );
        }
    }
}

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)] // tests read as "the default, except"
mod tests {
    use super::*;
    use crate::model::{ModelName, StemKind};

    #[test]
    fn defaults_are_valid() {
        RunConfig::default().validate().unwrap();
    }

    /// Every table of the run config's schema is a section that validation checks: a section
    /// declared among the top-level values (or anywhere but `sections { }`) fails here.
    #[test]
    fn validation_reaches_every_section() {
        let mut reached = RunConfig::default().check_values().reached().to_vec();
        let mut tables: Vec<&str> = crate::config::schema::run_schema()
            .iter()
            .filter(|(_, v)| v.is_table())
            .map(|(k, _)| k.as_str())
            .collect();
        reached.sort_unstable();
        tables.sort_unstable();
        assert_eq!(reached, tables);
        let mut sections = RunConfig::SECTIONS.to_vec();
        sections.sort_unstable();
        assert_eq!(sections, tables);
    }

    /// A problem inside a section is named under the section's key; the limits across
    /// sections come before the sections' own checks.
    #[test]
    fn sections_name_their_keys_in_full() {
        let mut c = RunConfig::default();
        c.epochs = 4;
        c.mixup.enabled = true;
        c.mixup.off_epochs = 4;
        c.cutmix.alpha = -1.0;
        c.distillation.enabled = true;
        c.distillation.teacher = "t".into();
        c.loss.kind = crate::config::LossKind::Bce;
        c.paper = Some(crate::config::PaperReference::default());
        let keys: Vec<String> = c
            .validate()
            .unwrap_err()
            .0
            .into_iter()
            .map(|v| v.key)
            .collect();
        assert_eq!(
            keys,
            [
                "mixup.off_epochs",
                "loss.kind",
                "cutmix.alpha",
                "paper.table",
                "paper.row",
                "paper.top1"
            ]
        );
    }

    #[test]
    fn every_bad_value_is_named_with_what_is_allowed() {
        let mut c = RunConfig::default();
        c.epochs = 0;
        c.warmup.enabled = true;
        c.warmup.epochs = -1.0;
        c.label_smoothing.epsilon = 1.5;
        c.data.source = "s3://bucket".into();
        let err = c.validate().unwrap_err().to_string();
        for needle in [
            "epochs = 0: expected at least 1",
            "warmup.epochs = -1",
            "label_smoothing.epsilon = 1.5: expected a number in [0, 1)",
            "data.source = \"s3://bucket\": expected builtin, imagefolder:PATH",
        ] {
            assert!(err.contains(needle), "missing `{needle}` in: {err}");
        }
    }

    #[test]
    fn model_limits_come_from_the_zoo() {
        let mut c = RunConfig::default();
        c.model.name = ModelName::InceptionV3;
        c.model.input = 64;
        c.model.stem = StemKind::Imagenet;
        let err = c.validate().unwrap_err().to_string();
        assert!(
            err.contains("model.input = 64") && err.contains("75"),
            "{err}"
        );
        c.model.input = 16;
        c.model.stem = StemKind::Auto;
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains("model.input = 16"), "{err}");
    }
}
