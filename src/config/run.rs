//! The run config: everything one training run needs, one TOML section per trick of the paper.
//!
//! Every field has a default, so a file only names what differs from the paper's baseline
//! (Sec. 2: NAG, batch 256, lr 0.1 divided by 10 at epochs 30, 60 and 90, 120 epochs), and
//! unknown keys are errors (`deny_unknown_fields`). [`RunConfig::validate`] checks ranges and
//! names the key, the value and what is allowed. Each section is one
//! [`Section`](super::section::Section): its struct, its defaults, its checks (the paper's in
//! `validate.rs`, the later tricks' beside their structs) and whether it is written at its
//! defaults.

use serde::{Deserialize, Serialize};

use super::after_paper_sections::{
    CutMix, Ema, LossSection, ProgressiveResize, RandAugmentSection, RepeatedAugment,
    StochasticDepth, Tta,
};
use super::data_source::SourceSpec;
use super::performance::PerformanceSection;
use super::section::run_config;
use crate::device::DeviceName;
use crate::model::{InitScheme, ModelConfig, ModelName, ResNetVariant, StemKind};

run_config! {
    /// Every value at the top of the file has its default here; every section is a
    /// [`Section`](super::section::Section) under its field name, which the schema, `--set`,
    /// validation and the trick registry read from this one declaration.
    pub struct RunConfig {
        /// A free-form name shown in the run list.
        name: String = String::new(),
        /// What this configuration is (presets say which paper row it reproduces).
        #[serde(skip_serializing_if = "String::is_empty")]
        description: String = String::new(),
        seed: u64 = 0,
        /// `flex`, `libtorch` or `cuda:N`.
        device: DeviceName = DeviceName::Flex,
        epochs: usize = 120,
        batch_size: usize = 256,
        /// The learning rate for a batch of `linear_scaling.reference_batch` images when linear
        /// scaling is on; the learning rate itself when it is off.
        base_lr: f64 = 0.1,
    }
    sections {
        model: ModelSection,
        data: DataSection,
        augment: AugmentSection,
        optimizer: OptimizerSection,
        schedule: ScheduleSection,
        linear_scaling: LinearScaling,
        warmup: Warmup,
        zero_gamma: Toggle,
        no_bias_decay: Toggle,
        low_precision: LowPrecision,
        label_smoothing: LabelSmoothing,
        mixup: Mixup,
        distillation: Distillation,
        // The tricks after the paper ([`super::after_paper_sections`]); left out when at
        // defaults.
        cutmix: CutMix,
        ema: Ema,
        stochastic_depth: StochasticDepth,
        randaugment: RandAugmentSection,
        repeated_augment: RepeatedAugment,
        progressive_resize: ProgressiveResize,
        tta: Tta,
        loss: LossSection,
        checkpoint: CheckpointSection,
        /// How fast the run goes on its device (channels_last, cuDNN autotuning, pinned
        /// asynchronous copies, autocast), not what it learns.
        performance: PerformanceSection,
        /// Where the numbers this configuration should reach come from (presets fill it).
        paper: Option<PaperReference>,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelSection {
    pub name: ModelName,
    pub variant: ResNetVariant,
    /// Image side the model sees; every zoo model takes any side from 32 up.
    pub input: usize,
    pub stem: StemKind,
    /// MobileNet width multiplier.
    pub width: f64,
    pub init: InitScheme,
}

impl Default for ModelSection {
    fn default() -> Self {
        Self {
            name: ModelName::ResNet(50),
            variant: ResNetVariant::B,
            input: 224,
            stem: StemKind::Auto,
            width: 1.0,
            init: InitScheme::Xavier,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataSection {
    /// `builtin`, `imagefolder:PATH`, `cifar10:PATH`, `cifar100:PATH` or `mnist:PATH`.
    pub source: SourceSpec,
    /// Fraction of a single-folder ImageFolder held out for validation.
    pub val_fraction: f64,
    /// Built-in dataset: number of classes, images per class, side of the generated images.
    pub builtin_classes: usize,
    pub builtin_train_per_class: usize,
    pub builtin_val_per_class: usize,
    pub builtin_size: usize,
    /// How hard the built-in images are, from 0 (large, clean objects on a plain background)
    /// to 1 (small objects, strong clutter and noise); `data::builtin` says what it changes.
    pub builtin_difficulty: f64,
    /// Decode + augmentation threads (0: one per core).
    pub workers: usize,
    /// Batches prepared ahead of the trainer.
    pub prefetch: usize,
}

impl Default for DataSection {
    fn default() -> Self {
        Self {
            source: SourceSpec::default(),
            val_fraction: 0.1,
            builtin_classes: 20,
            builtin_train_per_class: 250,
            builtin_val_per_class: 50,
            builtin_size: 32,
            builtin_difficulty: super::BUILTIN_DEFAULT_DIFFICULTY,
            workers: 0,
            prefetch: 4,
        }
    }
}

/// The paper's training transform (Sec. 2), each step a switch, and the validation transform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AugmentSection {
    pub random_resized_crop: bool,
    /// Crop area as a fraction of the image, `[min, max]`.
    pub crop_area: [f64; 2],
    /// Crop aspect ratio (width / height), `[min, max]`.
    pub crop_aspect: [f64; 2],
    pub flip: bool,
    pub color_jitter: bool,
    /// Hue, saturation and brightness are scaled by a factor in `[1 - jitter, 1 + jitter]`.
    pub jitter: f64,
    pub lighting: bool,
    /// Standard deviation of the AlexNet PCA lighting coefficients.
    pub lighting_std: f64,
    pub normalize: bool,
    /// Validation: resize the shorter side to `input / val_crop_ratio`, center crop `input`.
    pub val_crop_ratio: f64,
}

impl Default for AugmentSection {
    fn default() -> Self {
        Self {
            random_resized_crop: true,
            crop_area: [0.08, 1.0],
            crop_aspect: [3.0 / 4.0, 4.0 / 3.0],
            flip: true,
            color_jitter: true,
            jitter: 0.4,
            lighting: true,
            lighting_std: 0.1,
            normalize: true,
            val_crop_ratio: 0.875,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// SGD with Nesterov momentum, exactly `torch.optim.SGD(nesterov=True)`.
    Nag,
    /// SGD with (heavy-ball) momentum, `torch.optim.SGD(nesterov=False)`.
    Sgd,
    /// LAMB as timm's `Lamb` (RSB A1/A2), after the paper; `momentum` unused.
    Lamb,
    /// `torch.optim.AdamW`, after the paper; `momentum` unused.
    Adamw,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OptimizerSection {
    pub kind: OptimizerKind,
    pub momentum: f64,
    pub weight_decay: f64,
}

impl Default for OptimizerSection {
    fn default() -> Self {
        Self {
            kind: OptimizerKind::Nag,
            momentum: 0.9,
            weight_decay: 1e-4,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecayKind {
    /// The baseline: multiply by `step_factor` at each of `step_epochs`.
    Step,
    /// Sec. 5.1: `0.5 (1 + cos(t pi / T)) lr`, per iteration, warmup excluded.
    Cosine,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduleSection {
    pub decay: DecayKind,
    pub step_epochs: Vec<usize>,
    pub step_factor: f64,
}

impl Default for ScheduleSection {
    fn default() -> Self {
        Self {
            decay: DecayKind::Step,
            step_epochs: vec![30, 60, 90],
            step_factor: 0.1,
        }
    }
}

/// A trick that is only on or off.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Toggle {
    pub enabled: bool,
}

/// Sec. 3.1: lr = base_lr x batch / reference_batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinearScaling {
    pub enabled: bool,
    pub reference_batch: usize,
}

impl Default for LinearScaling {
    fn default() -> Self {
        Self {
            enabled: true,
            reference_batch: 256,
        }
    }
}

/// Sec. 3.1: lr rises linearly from 0 over the first `epochs` epochs, per iteration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Warmup {
    pub enabled: bool,
    pub epochs: f64,
}

impl Default for Warmup {
    fn default() -> Self {
        Self {
            enabled: false,
            epochs: 5.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// FP16 compute with FP32 master weights and dynamic loss scaling (LibTorch CUDA).
    Fp16,
    /// BF16 compute with FP32 master weights (LibTorch on CPUs with AVX512-BF16, or CUDA).
    Bf16,
}

/// Sec. 3.2: low-precision training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LowPrecision {
    pub enabled: bool,
    pub dtype: Precision,
    /// Initial loss scale for FP16 (halved on overflow, doubled after `growth_interval` good
    /// steps).
    pub loss_scale: f64,
    pub growth_interval: usize,
}

impl Default for LowPrecision {
    fn default() -> Self {
        Self {
            enabled: false,
            dtype: Precision::Fp16,
            loss_scale: 65536.0,
            growth_interval: 2000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmoothingFormula {
    /// The paper's Eq. 4: 1 - eps for the true class, eps / (K - 1) for the others.
    Paper,
    /// GluonCV and timm: 1 - eps + eps / K for the true class, eps / K for the others.
    Uniform,
}

/// Sec. 5.2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LabelSmoothing {
    pub enabled: bool,
    pub epsilon: f64,
    pub formula: SmoothingFormula,
}

impl Default for LabelSmoothing {
    fn default() -> Self {
        Self {
            enabled: false,
            epsilon: 0.1,
            formula: SmoothingFormula::Paper,
        }
    }
}

/// Sec. 5.4.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mixup {
    pub enabled: bool,
    /// lambda ~ Beta(alpha, alpha), one per batch.
    pub alpha: f64,
    /// The last `off_epochs` epochs train without mixup (GluonCV's `--mixup-off-epoch`).
    pub off_epochs: usize,
}

impl Default for Mixup {
    fn default() -> Self {
        Self {
            enabled: false,
            alpha: 0.2,
            off_epochs: 0,
        }
    }
}

/// Sec. 5.3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Distillation {
    pub enabled: bool,
    /// A botui run folder or checkpoint, or torchvision/timm weights (`.pth`, `.safetensors`).
    pub teacher: String,
    /// Teacher architecture for imported weights (`resnet152d`); botui checkpoints carry theirs.
    pub teacher_model: String,
    pub temperature: f64,
    /// Weight w of the hard-label loss: (1 - w) T^2 KD + w CE (GluonCV's `--hard-weight`).
    pub hard_weight: f64,
}

impl Default for Distillation {
    fn default() -> Self {
        Self {
            enabled: false,
            teacher: String::new(),
            teacher_model: String::new(),
            temperature: 20.0,
            hard_weight: 0.5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckpointSection {
    /// Save `last` every this many epochs (the best one is saved whenever val top-1 improves).
    pub every_epochs: usize,
}

impl Default for CheckpointSection {
    fn default() -> Self {
        Self { every_epochs: 1 }
    }
}

/// The paper's numbers for a configuration, shown next to the live ones. Every field has a
/// default so that a preset extending another can change one (`[paper] top1 = ...`);
/// validation wants a table, a row and accuracies in percent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaperReference {
    /// "Table 6"
    pub table: String,
    /// "+ cosine decay"
    pub row: String,
    pub model: String,
    pub top1: f64,
    pub top5: Option<f64>,
    /// Where the numbers were measured, when not ImageNet (`"CIFAR-10"`): a laptop companion,
    /// trained on the built-in data, shows them as that data set's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
}

impl PaperReference {
    /// The data set the numbers were measured on.
    pub fn dataset(&self) -> &str {
        self.dataset.as_deref().unwrap_or("ImageNet")
    }
}

impl RunConfig {
    /// The learning rate the schedule peaks at: linear scaling applied when on.
    pub fn peak_lr(&self) -> f64 {
        if self.linear_scaling.enabled {
            self.base_lr * self.batch_size as f64 / self.linear_scaling.reference_batch as f64
        } else {
            self.base_lr
        }
    }

    /// The zoo config this run builds (classes come from the dataset).
    pub fn model_config(&self, classes: usize) -> ModelConfig {
        ModelConfig {
            name: self.model.name,
            variant: self.model.variant,
            classes,
            input: self.model.input,
            stem: self.model.stem,
            width: self.model.width,
            init: self.model.init,
            zero_gamma: self.zero_gamma.enabled,
            stochastic_depth: self.stochastic_depth.rate(),
        }
    }
}
