//! The tricks checklist as data: which tricks a run config has on, their parameters, and the
//! edits the checklist makes (toggle, step a value, type a value). Pure functions over
//! [`RunConfig`]; the pane only draws them.

use botui::config::{DecayKind, Precision, RunConfig, SmoothingFormula};
use botui::model::{ModelName, ResNetVariant};

/// The paper's tricks in the order it adds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrickId {
    LinearScaling,
    Warmup,
    ZeroGamma,
    NoBiasDecay,
    LowPrecision,
    ResNetTweak,
    Cosine,
    LabelSmoothing,
    Distillation,
    Mixup,
}

impl TrickId {
    pub const ALL: [TrickId; 10] = [
        TrickId::LinearScaling,
        TrickId::Warmup,
        TrickId::ZeroGamma,
        TrickId::NoBiasDecay,
        TrickId::LowPrecision,
        TrickId::ResNetTweak,
        TrickId::Cosine,
        TrickId::LabelSmoothing,
        TrickId::Distillation,
        TrickId::Mixup,
    ];

    /// In the paper's words.
    pub fn label(self) -> &'static str {
        match self {
            TrickId::LinearScaling => "linear scaling",
            TrickId::Warmup => "lr warmup",
            TrickId::ZeroGamma => "zero gamma",
            TrickId::NoBiasDecay => "no bias decay",
            TrickId::LowPrecision => "low precision",
            TrickId::ResNetTweak => "ResNet tweak",
            TrickId::Cosine => "cosine decay",
            TrickId::LabelSmoothing => "label smoothing",
            TrickId::Distillation => "distillation",
            TrickId::Mixup => "mixup",
        }
    }

    /// A word for lists of runs: `warmup`, `fp16`, `resnet-d`, `cosine`, `ls`, ...
    pub fn short(self, c: &RunConfig) -> String {
        match self {
            TrickId::LinearScaling => "linear-scaling".into(),
            TrickId::Warmup => "warmup".into(),
            TrickId::ZeroGamma => "zero-gamma".into(),
            TrickId::NoBiasDecay => "no-bias-decay".into(),
            TrickId::LowPrecision => Param::Precision.value(c),
            TrickId::ResNetTweak => format!("resnet-{}", c.model.variant).to_lowercase(),
            TrickId::Cosine => "cosine".into(),
            TrickId::LabelSmoothing => "label-smoothing".into(),
            TrickId::Distillation => "distill".into(),
            TrickId::Mixup => "mixup".into(),
        }
    }

    /// What the paper does, in a line.
    pub fn summary(self) -> &'static str {
        match self {
            TrickId::LinearScaling => {
                "Sec. 3.1: lr = 0.1 x batch / 256, so a bigger batch takes bigger steps."
            }
            TrickId::Warmup => {
                "Sec. 3.1: the lr rises linearly from 0 over the first epochs (5 in the paper)."
            }
            TrickId::ZeroGamma => {
                "Sec. 3.1: gamma = 0 in the last BN of every residual block: blocks start as identity."
            }
            TrickId::NoBiasDecay => {
                "Sec. 3.1: weight decay on conv and FC weights only; biases and BN gamma/beta get none."
            }
            TrickId::LowPrecision => {
                "Sec. 3.2: FP16 compute with an FP32 master copy of the weights and loss scaling."
            }
            TrickId::ResNetTweak => {
                "Sec. 4: B strides in the 3x3 conv, C adds a deep 3x3 stem, D an avg-pool shortcut."
            }
            TrickId::Cosine => {
                "Sec. 5.1: lr = 0.5 (1 + cos(t pi / T)) lr0 per iteration, warmup excluded."
            }
            TrickId::LabelSmoothing => {
                "Sec. 5.2: target 1 - eps for the true class, eps / (K - 1) for the others."
            }
            TrickId::Distillation => {
                "Sec. 5.3: CE plus T^2 x KD to a teacher's softened outputs (T = 20, ResNet-152-D)."
            }
            TrickId::Mixup => {
                "Sec. 5.4: x = lam x_i + (1 - lam) x_j, lam ~ Beta(0.2, 0.2); train 200 epochs."
            }
        }
    }

    /// The parameters shown under the trick while it is on.
    pub fn params(self) -> &'static [Param] {
        match self {
            TrickId::LinearScaling => &[Param::ReferenceBatch],
            TrickId::Warmup => &[Param::WarmupEpochs],
            TrickId::LowPrecision => &[Param::Precision, Param::LossScale],
            TrickId::ResNetTweak => &[Param::Variant],
            TrickId::LabelSmoothing => &[Param::Epsilon, Param::Formula],
            TrickId::Distillation => &[Param::Teacher, Param::Temperature, Param::HardWeight],
            TrickId::Mixup => &[Param::Alpha, Param::OffEpochs],
            TrickId::ZeroGamma | TrickId::NoBiasDecay | TrickId::Cosine => &[],
        }
    }

    /// Whether the trick means anything for the configured model (zero gamma and the
    /// tweaks are ResNet-only).
    pub fn applies(self, config: &RunConfig) -> bool {
        let resnet = matches!(config.model.name, ModelName::ResNet(_));
        !matches!(self, TrickId::ZeroGamma | TrickId::ResNetTweak) || resnet
    }

    pub fn is_on(self, c: &RunConfig) -> bool {
        match self {
            TrickId::LinearScaling => c.linear_scaling.enabled,
            TrickId::Warmup => c.warmup.enabled,
            TrickId::ZeroGamma => c.zero_gamma.enabled,
            TrickId::NoBiasDecay => c.no_bias_decay.enabled,
            TrickId::LowPrecision => c.low_precision.enabled,
            TrickId::ResNetTweak => c.model.variant != ResNetVariant::A,
            TrickId::Cosine => c.schedule.decay == DecayKind::Cosine,
            TrickId::LabelSmoothing => c.label_smoothing.enabled,
            TrickId::Distillation => c.distillation.enabled,
            TrickId::Mixup => c.mixup.enabled,
        }
    }

    /// Switches the trick. The ResNet tweak goes between A (off) and D (the paper's best);
    /// cosine decay goes back to the baseline's step decay.
    pub fn toggle(self, c: &mut RunConfig) {
        let on = !self.is_on(c);
        match self {
            TrickId::LinearScaling => c.linear_scaling.enabled = on,
            TrickId::Warmup => c.warmup.enabled = on,
            TrickId::ZeroGamma => c.zero_gamma.enabled = on,
            TrickId::NoBiasDecay => c.no_bias_decay.enabled = on,
            TrickId::LowPrecision => c.low_precision.enabled = on,
            TrickId::ResNetTweak => {
                c.model.variant = if on {
                    ResNetVariant::D
                } else {
                    ResNetVariant::A
                }
            }
            TrickId::Cosine => {
                c.schedule.decay = if on {
                    DecayKind::Cosine
                } else {
                    DecayKind::Step
                }
            }
            TrickId::LabelSmoothing => c.label_smoothing.enabled = on,
            TrickId::Distillation => c.distillation.enabled = on,
            TrickId::Mixup => c.mixup.enabled = on,
        }
    }

    /// The config key the switch lives under (for messages).
    pub fn key(self) -> &'static str {
        match self {
            TrickId::LinearScaling => "linear_scaling.enabled",
            TrickId::Warmup => "warmup.enabled",
            TrickId::ZeroGamma => "zero_gamma.enabled",
            TrickId::NoBiasDecay => "no_bias_decay.enabled",
            TrickId::LowPrecision => "low_precision.enabled",
            TrickId::ResNetTweak => "model.variant",
            TrickId::Cosine => "schedule.decay",
            TrickId::LabelSmoothing => "label_smoothing.enabled",
            TrickId::Distillation => "distillation.enabled",
            TrickId::Mixup => "mixup.enabled",
        }
    }
}

/// A trick parameter editable in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Param {
    ReferenceBatch,
    WarmupEpochs,
    Precision,
    LossScale,
    Variant,
    Epsilon,
    Formula,
    Teacher,
    Temperature,
    HardWeight,
    Alpha,
    OffEpochs,
}

/// One line of the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    Trick(TrickId),
    Param(TrickId, Param),
}

impl Item {
    pub fn trick(self) -> TrickId {
        match self {
            Item::Trick(t) | Item::Param(t, _) => t,
        }
    }
}

/// The checklist's lines: every trick, and the parameters of those that are on.
pub fn items(c: &RunConfig) -> Vec<Item> {
    let mut out = Vec::new();
    for t in TrickId::ALL {
        out.push(Item::Trick(t));
        if t.is_on(c) && t.applies(c) {
            out.extend(t.params().iter().map(|p| Item::Param(t, *p)));
        }
    }
    out
}

/// Rounds away float noise from repeated steps (0.1 + 0.05 = 0.15000000000000002).
fn tidy(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn cycle<T: Copy + PartialEq>(all: &[T], now: T, dir: i32) -> T {
    let i = all.iter().position(|x| *x == now).unwrap_or(0) as i32;
    all[(i + dir).rem_euclid(all.len() as i32) as usize]
}

impl Param {
    pub fn label(self) -> &'static str {
        match self {
            Param::ReferenceBatch => "reference batch",
            Param::WarmupEpochs => "epochs",
            Param::Precision => "dtype",
            Param::LossScale => "loss scale",
            Param::Variant => "variant",
            Param::Epsilon => "epsilon",
            Param::Formula => "formula",
            Param::Teacher => "teacher",
            Param::Temperature => "temperature T",
            Param::HardWeight => "hard weight w",
            Param::Alpha => "alpha",
            Param::OffEpochs => "off epochs",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Param::ReferenceBatch => "linear_scaling.reference_batch",
            Param::WarmupEpochs => "warmup.epochs",
            Param::Precision => "low_precision.dtype",
            Param::LossScale => "low_precision.loss_scale",
            Param::Variant => "model.variant",
            Param::Epsilon => "label_smoothing.epsilon",
            Param::Formula => "label_smoothing.formula",
            Param::Teacher => "distillation.teacher",
            Param::Temperature => "distillation.temperature",
            Param::HardWeight => "distillation.hard_weight",
            Param::Alpha => "mixup.alpha",
            Param::OffEpochs => "mixup.off_epochs",
        }
    }

    /// The value as the checklist shows it.
    pub fn value(self, c: &RunConfig) -> String {
        match self {
            Param::ReferenceBatch => c.linear_scaling.reference_batch.to_string(),
            Param::WarmupEpochs => format!("{}", c.warmup.epochs),
            Param::Precision => match c.low_precision.dtype {
                Precision::Fp16 => "fp16".into(),
                Precision::Bf16 => "bf16".into(),
            },
            Param::LossScale => format!("{}", c.low_precision.loss_scale),
            Param::Variant => c.model.variant.to_string(),
            Param::Epsilon => format!("{}", c.label_smoothing.epsilon),
            Param::Formula => match c.label_smoothing.formula {
                SmoothingFormula::Paper => "paper".into(),
                SmoothingFormula::Uniform => "uniform".into(),
            },
            Param::Teacher if c.distillation.teacher.is_empty() => "(none: enter to set)".into(),
            Param::Teacher => c.distillation.teacher.clone(),
            Param::Temperature => format!("{}", c.distillation.temperature),
            Param::HardWeight => format!("{}", c.distillation.hard_weight),
            Param::Alpha => format!("{}", c.mixup.alpha),
            Param::OffEpochs => c.mixup.off_epochs.to_string(),
        }
    }

    /// Whether Left/Right step it (the teacher path is typed only).
    pub fn steps(self) -> bool {
        self != Param::Teacher
    }

    /// One step up (`dir` 1) or down (-1): doubling for sizes, sensible increments for
    /// rates, the next choice for enums. Lower bounds keep values in range.
    pub fn step(self, c: &mut RunConfig, dir: i32) {
        let up = dir > 0;
        match self {
            Param::ReferenceBatch => {
                let b = &mut c.linear_scaling.reference_batch;
                *b = if up { *b * 2 } else { (*b / 2).max(1) };
            }
            Param::WarmupEpochs => {
                c.warmup.epochs = tidy((c.warmup.epochs + dir as f64).max(0.0));
            }
            Param::Precision => {
                let all = [Precision::Fp16, Precision::Bf16];
                c.low_precision.dtype = cycle(&all, c.low_precision.dtype, dir);
            }
            Param::LossScale => {
                let s = &mut c.low_precision.loss_scale;
                *s = if up { *s * 2.0 } else { (*s / 2.0).max(1.0) };
            }
            Param::Variant => {
                let all = [ResNetVariant::B, ResNetVariant::C, ResNetVariant::D];
                c.model.variant = cycle(&all, c.model.variant, dir);
            }
            Param::Epsilon => {
                let e = c.label_smoothing.epsilon + 0.05 * dir as f64;
                c.label_smoothing.epsilon = tidy(e.clamp(0.0, 0.95));
            }
            Param::Formula => {
                let all = [SmoothingFormula::Paper, SmoothingFormula::Uniform];
                c.label_smoothing.formula = cycle(&all, c.label_smoothing.formula, dir);
            }
            Param::Teacher => {}
            Param::Temperature => {
                let t = c.distillation.temperature + dir as f64;
                c.distillation.temperature = tidy(t.max(1.0));
            }
            Param::HardWeight => {
                let w = c.distillation.hard_weight + 0.1 * dir as f64;
                c.distillation.hard_weight = tidy(w.clamp(0.0, 1.0));
            }
            Param::Alpha => {
                c.mixup.alpha = tidy((c.mixup.alpha + 0.1 * dir as f64).max(0.1));
            }
            Param::OffEpochs => {
                let o = &mut c.mixup.off_epochs;
                *o = if up { *o + 1 } else { o.saturating_sub(1) };
            }
        }
    }

    /// Sets the value from typed text; the error says what was expected.
    pub fn set(self, c: &mut RunConfig, text: &str) -> Result<(), String> {
        let t = text.trim();
        let float = || {
            t.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("`{t}` is not a number"))
        };
        let whole = || {
            t.parse::<usize>()
                .map_err(|_| format!("`{t}` is not a whole number"))
        };
        match self {
            Param::ReferenceBatch => c.linear_scaling.reference_batch = whole()?,
            Param::WarmupEpochs => c.warmup.epochs = float()?,
            Param::LossScale => c.low_precision.loss_scale = float()?,
            Param::Epsilon => c.label_smoothing.epsilon = float()?,
            Param::Temperature => c.distillation.temperature = float()?,
            Param::HardWeight => c.distillation.hard_weight = float()?,
            Param::Alpha => c.mixup.alpha = float()?,
            Param::OffEpochs => c.mixup.off_epochs = whole()?,
            Param::Teacher => c.distillation.teacher = t.to_string(),
            Param::Precision => {
                c.low_precision.dtype = match t.to_ascii_lowercase().as_str() {
                    "fp16" => Precision::Fp16,
                    "bf16" => Precision::Bf16,
                    _ => return Err(format!("`{t}`: expected fp16 or bf16")),
                }
            }
            Param::Variant => c.model.variant = t.parse()?,
            Param::Formula => {
                c.label_smoothing.formula = match t.to_ascii_lowercase().as_str() {
                    "paper" => SmoothingFormula::Paper,
                    "uniform" => SmoothingFormula::Uniform,
                    _ => return Err(format!("`{t}`: expected paper or uniform")),
                }
            }
        }
        Ok(())
    }
}
