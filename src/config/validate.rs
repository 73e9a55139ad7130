//! Range checks for the run config: each error names the key, the value and what is allowed.

use super::after_paper_sections::LossKind;
use super::data_source::BUILTIN_MAX_CLASSES;
use super::run::RunConfig;

/// One invalid value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{key} = {value}: expected {expected}")]
pub struct InvalidValue {
    pub key: String,
    pub value: String,
    pub expected: String,
}

/// All invalid values of one config, in file order.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
pub struct InvalidConfig(pub Vec<InvalidValue>);

struct Checker(Vec<InvalidValue>);

impl Checker {
    fn into_result(self) -> Result<(), InvalidConfig> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(InvalidConfig(self.0))
        }
    }

    fn check(&mut self, ok: bool, key: &str, value: impl ToString, expected: &str) {
        if !ok {
            self.0.push(InvalidValue {
                key: key.to_string(),
                value: value.to_string(),
                expected: expected.to_string(),
            });
        }
    }

    fn fraction(&mut self, key: &str, value: f64, low_open: bool) {
        let ok =
            value.is_finite() && value <= 1.0 && if low_open { value > 0.0 } else { value >= 0.0 };
        let expected = if low_open {
            "a number in (0, 1]"
        } else {
            "a number in [0, 1]"
        };
        self.check(ok, key, value, expected);
    }

    fn positive(&mut self, key: &str, value: f64) {
        self.check(value.is_finite() && value > 0.0, key, value, "a number > 0");
    }

    fn range(&mut self, key: &str, value: [f64; 2], min: f64, max: f64) {
        let ok = value.iter().all(|v| v.is_finite())
            && min <= value[0]
            && value[0] <= value[1]
            && value[1] <= max;
        self.check(
            ok,
            key,
            format!("[{}, {}]", value[0], value[1]),
            &format!("[low, high] with {min} <= low <= high <= {max}"),
        );
    }
}

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
        let mut c = Checker(Vec::new());
        c.check(self.epochs >= 1, "epochs", self.epochs, "at least 1");
        c.check(
            self.batch_size >= 1,
            "batch_size",
            self.batch_size,
            "at least 1",
        );
        c.positive("base_lr", self.base_lr);

        // The zoo's own checks (input side per model and stem, width multiplier).
        if let Err(crate::model::ModelError::Invalid {
            key,
            value,
            expected,
        }) = self.model_config(2).validate()
        {
            c.check(false, &format!("model.{key}"), value, &expected);
        }

        if let Err(e) = self.data.source.parsed() {
            c.check(false, "data.source", format!("{:?}", self.data.source), e);
        }
        c.check(
            self.data.val_fraction > 0.0 && self.data.val_fraction < 1.0,
            "data.val_fraction",
            self.data.val_fraction,
            "a fraction in (0, 1)",
        );
        let most = BUILTIN_MAX_CLASSES;
        c.check(
            (2..=most).contains(&self.data.builtin_classes),
            "data.builtin_classes",
            self.data.builtin_classes,
            &format!("between 2 and {most} (the built-in dataset's distinct classes)"),
        );
        c.check(
            self.data.builtin_train_per_class >= 1,
            "data.builtin_train_per_class",
            self.data.builtin_train_per_class,
            "at least 1",
        );
        c.check(
            self.data.builtin_val_per_class >= 1,
            "data.builtin_val_per_class",
            self.data.builtin_val_per_class,
            "at least 1",
        );
        c.check(
            self.data.builtin_size >= 8 && self.data.builtin_size <= 1024,
            "data.builtin_size",
            self.data.builtin_size,
            "between 8 and 1024 pixels",
        );
        c.check(
            (0.0..=1.0).contains(&self.data.builtin_difficulty),
            "data.builtin_difficulty",
            self.data.builtin_difficulty,
            "a number from 0 (clean) to 1 (hardest)",
        );
        c.check(
            self.data.prefetch >= 1,
            "data.prefetch",
            self.data.prefetch,
            "at least 1 batch",
        );

        let a = &self.augment;
        c.range("augment.crop_area", a.crop_area, 0.0, 1.0);
        c.check(
            a.crop_area[0] > 0.0,
            "augment.crop_area",
            format!("[{}, {}]", a.crop_area[0], a.crop_area[1]),
            "a lower bound > 0",
        );
        c.range("augment.crop_aspect", a.crop_aspect, 0.01, 100.0);
        c.check(
            a.jitter.is_finite() && (0.0..1.0).contains(&a.jitter),
            "augment.jitter",
            a.jitter,
            "a number in [0, 1)",
        );
        c.check(
            a.lighting_std.is_finite() && a.lighting_std >= 0.0,
            "augment.lighting_std",
            a.lighting_std,
            "a number >= 0",
        );
        c.fraction("augment.val_crop_ratio", a.val_crop_ratio, true);

        let o = &self.optimizer;
        c.check(
            o.momentum.is_finite() && (0.0..1.0).contains(&o.momentum),
            "optimizer.momentum",
            o.momentum,
            "a number in [0, 1)",
        );
        c.check(
            o.weight_decay.is_finite() && o.weight_decay >= 0.0,
            "optimizer.weight_decay",
            o.weight_decay,
            "a number >= 0",
        );

        let s = &self.schedule;
        c.check(
            s.step_epochs.windows(2).all(|w| w[0] < w[1]),
            "schedule.step_epochs",
            format!("{:?}", s.step_epochs),
            "epochs in increasing order",
        );
        c.check(
            s.step_factor > 0.0 && s.step_factor <= 1.0,
            "schedule.step_factor",
            s.step_factor,
            "a factor in (0, 1]",
        );

        c.check(
            self.linear_scaling.reference_batch >= 1,
            "linear_scaling.reference_batch",
            self.linear_scaling.reference_batch,
            "at least 1",
        );
        c.check(
            self.warmup.epochs.is_finite()
                && self.warmup.epochs >= 0.0
                && (!self.warmup.enabled || self.warmup.epochs < self.epochs as f64),
            "warmup.epochs",
            self.warmup.epochs,
            &format!("a number of epochs >= 0 and below epochs ({})", self.epochs),
        );

        let lp = &self.low_precision;
        c.check(
            lp.loss_scale.is_finite() && lp.loss_scale >= 1.0,
            "low_precision.loss_scale",
            lp.loss_scale,
            "a number >= 1",
        );
        c.check(
            lp.growth_interval >= 1,
            "low_precision.growth_interval",
            lp.growth_interval,
            "at least 1",
        );

        c.check(
            self.label_smoothing.epsilon.is_finite()
                && (0.0..1.0).contains(&self.label_smoothing.epsilon),
            "label_smoothing.epsilon",
            self.label_smoothing.epsilon,
            "a number in [0, 1)",
        );
        c.positive("mixup.alpha", self.mixup.alpha);
        c.check(
            !self.mixup.enabled || self.mixup.off_epochs < self.epochs,
            "mixup.off_epochs",
            self.mixup.off_epochs,
            &format!("fewer than epochs ({})", self.epochs),
        );

        let d = &self.distillation;
        c.positive("distillation.temperature", d.temperature);
        c.check(
            !(d.enabled && self.loss.kind == LossKind::Bce),
            "loss.kind",
            "\"bce\"",
            "\"cross_entropy\" while distillation is on (its loss is a softmax cross entropy)",
        );

        // The tricks after the paper: each section checks its own ranges.
        let after_paper = [
            self.cutmix.problems(),
            self.ema.problems(),
            self.stochastic_depth.problems(),
            self.randaugment.problems(),
            self.repeated_augment.problems(),
            self.progressive_resize.problems(),
            self.loss.problems(),
        ];
        for (key, value, expected) in after_paper.into_iter().flatten() {
            c.check(false, &key, value, &expected);
        }
        c.fraction("distillation.hard_weight", d.hard_weight, false);

        if let Some(p) = &self.paper {
            c.check(
                !p.table.trim().is_empty(),
                "paper.table",
                format!("{:?}", p.table),
                "the table the numbers come from, e.g. \"Table 6\"",
            );
            c.check(
                !p.row.trim().is_empty(),
                "paper.row",
                format!("{:?}", p.row),
                "the row of the table, e.g. \"+ cosine decay\"",
            );
            let percent = |v: f64| v.is_finite() && v > 0.0 && v <= 100.0;
            c.check(
                percent(p.top1),
                "paper.top1",
                p.top1,
                "a top-1 accuracy in percent, in (0, 100]",
            );
            if let Some(top5) = p.top5 {
                c.check(
                    percent(top5) && top5 >= p.top1,
                    "paper.top5",
                    top5,
                    &format!("a top-5 accuracy in percent, from top1 ({}) to 100", p.top1),
                );
            }
        }

        c.check(
            self.checkpoint.every_epochs >= 1,
            "checkpoint.every_epochs",
            self.checkpoint.every_epochs,
            "at least 1",
        );
        c
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
