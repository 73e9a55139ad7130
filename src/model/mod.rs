//! The paper's model zoo as burn modules: ResNet 18-152 in variants A-D, MobileNet (v1) and
//! Inception-V3, all behind one [`ModelConfig`].

pub mod airbench;
pub mod autocast;
pub mod drop_path;
pub mod export;
pub mod import;
pub mod inception;
pub mod kernels;
pub mod layers;
pub mod mobilenet;
pub mod resnet;
pub mod summary;

use std::fmt;
use std::str::FromStr;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

pub use airbench::{Airbench, AirbenchConfig};
pub use inception::{InceptionV3, InceptionV3Config};
pub use layers::InitScheme;
pub use mobilenet::{MobileNet, MobileNetConfig};
pub use resnet::{ResNet, ResNetConfig, ResNetVariant};
pub use summary::{LayerRow, Summary};

/// A model family and size, as the user writes it (`resnet50`, `mobilenet`, `inception_v3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelName {
    ResNet(usize),
    MobileNet,
    InceptionV3,
    /// The CIFAR-10 speed record's network (after the paper; [`airbench`]).
    Airbench94,
}

pub const RESNET_DEPTHS: [usize; 5] = [18, 34, 50, 101, 152];

impl ModelName {
    /// Every model the zoo has, in the order `botui model --list` shows them.
    pub fn all() -> Vec<ModelName> {
        let mut all: Vec<_> = RESNET_DEPTHS
            .iter()
            .map(|&d| ModelName::ResNet(d))
            .collect();
        all.push(ModelName::MobileNet);
        all.push(ModelName::InceptionV3);
        all.push(ModelName::Airbench94);
        all
    }

    /// The image side the paper trains this model at.
    pub fn paper_input(self) -> usize {
        match self {
            ModelName::InceptionV3 => 299,
            ModelName::Airbench94 => 32,
            _ => 224,
        }
    }

    /// The smallest image side this model's imagenet stem takes (75 for Inception-V3, whose
    /// stem convs and pools are unpadded; [`MIN_INPUT`] for the others).
    pub fn imagenet_stem_min_input(self) -> usize {
        match self {
            ModelName::InceptionV3 => inception::IMAGENET_STEM_MIN_INPUT,
            _ => MIN_INPUT,
        }
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelName::ResNet(d) => write!(f, "resnet{d}"),
            ModelName::MobileNet => write!(f, "mobilenet"),
            ModelName::InceptionV3 => write!(f, "inception_v3"),
            ModelName::Airbench94 => write!(f, "airbench94"),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    #[error("unknown model '{0}': expected one of {names}", names = known_models())]
    UnknownModel(String),
    #[error("invalid model setting {key} = {value}: {expected}")]
    Invalid {
        key: &'static str,
        value: String,
        expected: String,
    },
}

fn known_models() -> String {
    let mut names: Vec<String> = ModelName::all().iter().map(|m| m.to_string()).collect();
    names.push("resnetNN with a variant suffix (resnet50d, resnet50_v1c)".into());
    names.join(", ")
}

/// A parsed model argument: the name and a variant when the name carried one
/// (`resnet50d`, `resnet50_v1b` in GluonCV's spelling).
pub fn parse_model(s: &str) -> Result<(ModelName, Option<ResNetVariant>), ModelError> {
    let lower = s.trim().to_ascii_lowercase().replace('-', "_");
    match lower.as_str() {
        "mobilenet" | "mobilenet_v1" | "mobilenet1.0" => return Ok((ModelName::MobileNet, None)),
        "inception_v3" | "inceptionv3" | "inception" => return Ok((ModelName::InceptionV3, None)),
        "airbench94" | "airbench" => return Ok((ModelName::Airbench94, None)),
        _ => {}
    }
    let unknown = || ModelError::UnknownModel(s.to_string());
    let rest = lower.strip_prefix("resnet").ok_or_else(unknown)?;
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let depth: usize = digits.parse().map_err(|_| unknown())?;
    if !RESNET_DEPTHS.contains(&depth) {
        return Err(unknown());
    }
    let suffix = rest[digits.len()..]
        .trim_start_matches("_v1")
        .trim_start_matches('_');
    let variant = match suffix {
        "" => None,
        v if v.len() == 1 => Some(v.parse::<ResNetVariant>().map_err(|_| unknown())?),
        _ => return Err(unknown()),
    };
    Ok((ModelName::ResNet(depth), variant))
}

impl FromStr for ModelName {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, ModelError> {
        parse_model(s).map(|(name, _)| name)
    }
}

impl Serialize for ModelName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ModelName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Which stem a model gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StemKind {
    /// `small` for inputs of 64 pixels or less, `imagenet` above (and `small` wherever the
    /// imagenet stem cannot take the input: Inception-V3 below 75 pixels).
    #[default]
    Auto,
    /// The paper's stem for 224x224 images.
    Imagenet,
    /// 3x3 stride-1 first conv and no max pool, for 32x32-class images.
    Small,
}

/// One config for every zoo model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub name: ModelName,
    /// ResNet only.
    #[serde(default)]
    pub variant: ResNetVariant,
    pub classes: usize,
    /// The side of the (square) images the model sees.
    pub input: usize,
    #[serde(default)]
    pub stem: StemKind,
    /// MobileNet's width multiplier (channels = round(c * width), at least 8); the other
    /// models ignore it.
    #[serde(default = "one")]
    pub width: f64,
    #[serde(default)]
    pub init: InitScheme,
    /// Zero gamma in the last BN of every residual block (a trick, off by default). ResNet only:
    /// MobileNet and Inception-V3 have no residual blocks, so they ignore it (the paper's
    /// "efficient" setting turns it on for all three models).
    #[serde(default)]
    pub zero_gamma: bool,
    /// Stochastic depth's rate: the deepest residual block's drop probability (ResNet only;
    /// 0 = off). Training-time only, so a checkpoint's model is the same with or without it.
    #[serde(default)]
    pub stochastic_depth: f64,
}

fn one() -> f64 {
    1.0
}

/// The smallest input side every zoo model accepts.
pub const MIN_INPUT: usize = 32;

impl ModelConfig {
    pub fn new(name: ModelName, classes: usize, input: usize) -> Self {
        Self {
            name,
            variant: ResNetVariant::default(),
            classes,
            input,
            stem: StemKind::Auto,
            width: 1.0,
            init: InitScheme::default(),
            zero_gamma: false,
            stochastic_depth: 0.0,
        }
    }

    pub fn with_variant(mut self, variant: ResNetVariant) -> Self {
        self.variant = variant;
        self
    }

    pub fn small_input(&self) -> bool {
        match self.stem {
            StemKind::Auto => self.input <= 64 || self.input < self.name.imagenet_stem_min_input(),
            StemKind::Imagenet => false,
            StemKind::Small => true,
        }
    }

    /// What `botui model` and the logs call this model (`resnet50_D`, `mobilenet_x0.5`).
    pub fn display_name(&self) -> String {
        match self.name {
            ModelName::ResNet(_) => format!("{}-{}", self.name, self.variant),
            ModelName::MobileNet if self.width != 1.0 => format!("mobilenet_x{}", self.width),
            _ => self.name.to_string(),
        }
    }

    pub fn validate(&self) -> Result<(), ModelError> {
        if self.classes < 2 {
            return Err(ModelError::Invalid {
                key: "classes",
                value: self.classes.to_string(),
                expected: "at least 2".into(),
            });
        }
        if self.input < MIN_INPUT {
            return Err(ModelError::Invalid {
                key: "input",
                value: self.input.to_string(),
                expected: format!("an image side of at least {MIN_INPUT} pixels"),
            });
        }
        if !(self.width > 0.0 && self.width <= 4.0) {
            return Err(ModelError::Invalid {
                key: "width",
                value: self.width.to_string(),
                expected: "a MobileNet width multiplier in (0, 4]".into(),
            });
        }
        let min = self.name.imagenet_stem_min_input();
        if self.stem == StemKind::Imagenet && self.input < min {
            return Err(ModelError::Invalid {
                key: "input",
                value: self.input.to_string(),
                expected: format!(
                    "at least {min} pixels for {} with stem = imagenet \
                     (use stem = small or auto below that)",
                    self.name
                ),
            });
        }
        Ok(())
    }

    pub fn init(&self, device: &Device) -> Result<Model, ModelError> {
        self.validate()?;
        Ok(match self.name {
            ModelName::ResNet(depth) => Model::ResNet(
                ResNetConfig {
                    depth,
                    variant: self.variant,
                    classes: self.classes,
                    small_input: self.small_input(),
                    init: self.init,
                    zero_gamma: self.zero_gamma,
                    drop_path_rate: self.stochastic_depth,
                }
                .init(device),
            ),
            ModelName::MobileNet => Model::MobileNet(
                MobileNetConfig {
                    classes: self.classes,
                    width: self.width,
                    small_input: self.small_input(),
                    init: self.init,
                }
                .init(device),
            ),
            ModelName::InceptionV3 => Model::InceptionV3(
                InceptionV3Config {
                    classes: self.classes,
                    small_input: self.small_input(),
                    init: self.init,
                }
                .init(device),
            ),
            ModelName::Airbench94 => Model::Airbench(
                AirbenchConfig {
                    classes: self.classes,
                    init: self.init,
                }
                .init(device),
            ),
        })
    }
}

/// Any zoo model.
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Model {
    ResNet(ResNet),
    MobileNet(MobileNet),
    InceptionV3(InceptionV3),
    Airbench(Airbench),
}

impl Model {
    /// Images `[n, 3, s, s]`, normalized -> logits `[n, classes]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        match self {
            Model::ResNet(m) => m.forward(x),
            Model::MobileNet(m) => m.forward(x),
            Model::InceptionV3(m) => m.forward(x),
            Model::Airbench(m) => m.forward(x),
        }
    }

    /// The per-layer summary for one `[3, input, input]` image.
    pub fn summary(&self, input: usize) -> Summary {
        let mut s = Summary::default();
        match self {
            Model::ResNet(m) => m.describe([3, input, input], &mut s),
            Model::MobileNet(m) => m.describe([3, input, input], &mut s),
            Model::InceptionV3(m) => m.describe([3, input, input], &mut s),
            Model::Airbench(m) => m.describe([3, input, input], &mut s),
        }
        s
    }
}

/// Calls `f` with the dotted path (`ResNet.layer1.0.Basic.bn1.gamma`) and shape of every
/// float tensor of a module: parameters and BN running statistics.
pub fn for_each_tensor<M: Module>(module: &M, f: impl FnMut(&str, &[usize])) {
    struct PathVisitor<F> {
        path: Vec<String>,
        f: F,
    }
    impl<F: FnMut(&str, &[usize])> ModuleVisitor for PathVisitor<F> {
        fn enter_module(&mut self, name: &str, _container_type: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _name: &str, _container_type: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let shape = param.lazy_shape();
            (self.f)(&self.path.join("."), shape.as_slice());
        }
    }
    module.visit(&mut PathVisitor {
        path: Vec::new(),
        f,
    });
}

/// Parameters as PyTorch's `parameters()` counts them: every float parameter except BN
/// running statistics (burn's `num_params()` counts those too).
pub fn trainable_params<M: Module>(module: &M) -> usize {
    let mut count = 0;
    for_each_tensor(module, |path, shape| {
        if !is_running_stat(path.rsplit('.').next().unwrap_or("")) {
            count += shape.iter().product::<usize>();
        }
    });
    count
}

/// BN buffers: neither trained nor counted as parameters.
pub fn is_running_stat(leaf: &str) -> bool {
    leaf == "running_mean" || leaf == "running_var"
}
