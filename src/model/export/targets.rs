//! What torchvision and timm can express: which of their registered models computes what a
//! botui model computes, and for what they cannot, why not and what would work instead.
//!
//! | botui                              | torchvision                  | timm                          |
//! |------------------------------------|------------------------------|-------------------------------|
//! | ResNet-B (and A with basic blocks) | `resnet18..152`              | `resnet18..152`               |
//! | ResNet-C, depth 50/101/152         |                              | `resnet50c`, `101c`, `152c`   |
//! | ResNet-D                           |                              | `resnet18d..152d`             |
//! | MobileNet, width 1.0 / 1.25        |                              | `mobilenetv1_100` / `_125`    |
//! | Inception-V3                       | `inception_v3`               | `inception_v3`                |
//!
//! All of them build the ImageNet stem only: botui's small-input stem has no counterpart.

use std::fmt;

use super::super::import::names::SourceLayout;
use super::super::resnet::{BlockKind, stage_layout};
use super::super::{ModelConfig, ModelName, ResNetVariant, inception};

/// The library whose model classes the exported weights are named for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportTarget {
    Torchvision,
    Timm,
}

impl fmt::Display for ExportTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExportTarget::Torchvision => "torchvision",
            ExportTarget::Timm => "timm",
        })
    }
}

impl std::str::FromStr for ExportTarget {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "torchvision" => Ok(ExportTarget::Torchvision),
            "timm" => Ok(ExportTarget::Timm),
            _ => Err(format!(
                "unknown target '{s}': expected torchvision or timm"
            )),
        }
    }
}

/// The PyTorch model a botui model's weights fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportPlan {
    pub target: ExportTarget,
    /// The registered name: `resnet50`, `resnet50d`, `mobilenetv1_100`, `inception_v3`.
    pub architecture: String,
    /// The Python expression that builds the model the weights load into with
    /// `load_state_dict(..., strict=True)`.
    pub constructor: String,
    pub layout: SourceLayout,
    /// What to know besides (timm's MobileNet activation).
    pub note: Option<String>,
}

/// Why a model cannot be exported to a target, and what would work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{target} has no model that computes {model}: {why}; {instead}")]
pub struct Inexpressible {
    pub target: ExportTarget,
    pub model: String,
    pub why: String,
    pub instead: String,
}

/// The torchvision or timm model `config`'s weights fit.
pub fn plan(config: &ModelConfig, target: ExportTarget) -> Result<ExportPlan, Inexpressible> {
    let refuse = |why: String, instead: String| Inexpressible {
        target,
        model: config.display_name(),
        why,
        instead,
    };
    if config.small_input() {
        let min = match config.name {
            ModelName::InceptionV3 => inception::IMAGENET_STEM_MIN_INPUT,
            _ => super::super::MIN_INPUT,
        };
        return Err(refuse(
            "its small-input stem (stride-1 first conv, no stem max pool) is botui's own; \
             torchvision and timm build the ImageNet stem only"
                .into(),
            format!("train with model.stem = \"imagenet\" (it takes any input from {min} pixels)"),
        ));
    }
    let classes = config.classes;
    let (architecture, note) = match (config.name, target) {
        (ModelName::ResNet(depth), _) => (resnet(depth, config.variant, target, &refuse)?, None),
        (ModelName::MobileNet, ExportTarget::Torchvision) => {
            return Err(refuse(
                "torchvision has no MobileNet v1 (its mobilenet_v2 and mobilenet_v3 are other \
                 networks)"
                    .into(),
                "use --to timm (mobilenetv1_100)".into(),
            ));
        }
        (ModelName::MobileNet, ExportTarget::Timm) => {
            let name = if config.width == 1.0 {
                "mobilenetv1_100"
            } else if config.width == 1.25 {
                "mobilenetv1_125"
            } else {
                return Err(refuse(
                    format!(
                        "timm registers MobileNet v1 at width 1.0 (mobilenetv1_100) and 1.25 \
                         (mobilenetv1_125) only, not {}",
                        config.width
                    ),
                    "train with model.width = 1.0 or 1.25".into(),
                ));
            };
            let note = "botui's MobileNet uses ReLU, as the paper and GluonCV do; timm's \
                        default is ReLU6, so build it with act_layer=\"relu\" (the weights load \
                        either way, but only ReLU computes botui's outputs)";
            (name.to_string(), Some(note.to_string()))
        }
        (ModelName::InceptionV3, _) => ("inception_v3".to_string(), None),
        (ModelName::Airbench94, _) => {
            return Err(refuse(
                "airbench94 (Keller Jordan's CIFAR-10 network) is in neither torchvision nor timm"
                    .into(),
                "use the run's checkpoint with botui eval and botui predict".into(),
            ));
        }
    };
    let constructor = match (target, config.name) {
        (ExportTarget::Torchvision, ModelName::InceptionV3) => format!(
            "torchvision.models.inception_v3(num_classes={classes}, aux_logits=False, \
             init_weights=False)"
        ),
        (ExportTarget::Torchvision, _) => {
            format!("torchvision.models.{architecture}(num_classes={classes})")
        }
        (ExportTarget::Timm, ModelName::MobileNet) => format!(
            "timm.create_model(\"{architecture}\", num_classes={classes}, act_layer=\"relu\")"
        ),
        (ExportTarget::Timm, _) => {
            format!("timm.create_model(\"{architecture}\", num_classes={classes})")
        }
    };
    Ok(ExportPlan {
        target,
        architecture,
        constructor,
        layout: SourceLayout::for_model(config.name, config.variant)
            .expect("airbench94 is refused above"),
        note,
    })
}

/// The registered ResNet of `depth` and `variant` in `target`.
fn resnet(
    depth: usize,
    variant: ResNetVariant,
    target: ExportTarget,
    refuse: &dyn Fn(String, String) -> Inexpressible,
) -> Result<String, Inexpressible> {
    let basic = stage_layout(depth).is_some_and(|(kind, _)| kind == BlockKind::Basic);
    match (variant, target) {
        (ResNetVariant::B, _) => Ok(format!("resnet{depth}")),
        // Basic blocks have no 1x1 conv to carry the stride: A and B are one network.
        (ResNetVariant::A, _) if basic => Ok(format!("resnet{depth}")),
        (ResNetVariant::A, _) => Err(refuse(
            "ResNet-A strides the bottleneck's first 1x1 conv; torchvision's and timm's \
             ResNets stride its 3x3 conv (ResNet-B)"
                .into(),
            "train variant B (or D for timm)".into(),
        )),
        (ResNetVariant::C | ResNetVariant::D, ExportTarget::Torchvision) => {
            let v = variant.to_string().to_lowercase();
            let timm = if variant == ResNetVariant::C && basic {
                format!("train variant D and use --to timm (resnet{depth}d)")
            } else {
                format!("use --to timm (resnet{depth}{v})")
            };
            Err(refuse(
                format!("torchvision's ResNets are ResNet-B only, not ResNet-{variant}"),
                timm,
            ))
        }
        (ResNetVariant::C, ExportTarget::Timm) if basic => Err(refuse(
            "timm registers ResNet-C as resnet50c, resnet101c and resnet152c only".into(),
            format!("train variant D (timm's resnet{depth}d) or B (resnet{depth})"),
        )),
        (ResNetVariant::C, ExportTarget::Timm) => Ok(format!("resnet{depth}c")),
        (ResNetVariant::D, ExportTarget::Timm) => Ok(format!("resnet{depth}d")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ExportTarget::*;
    use ResNetVariant as V;

    fn config(name: ModelName, variant: V) -> ModelConfig {
        let mut c = ModelConfig::new(name, 10, name.paper_input()).with_variant(variant);
        c.stem = crate::model::StemKind::Imagenet;
        c
    }

    fn arch(name: ModelName, variant: V, target: ExportTarget) -> Result<String, String> {
        plan(&config(name, variant), target)
            .map(|p| p.architecture)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn resnets_map_onto_registered_names() {
        let r = ModelName::ResNet;
        assert_eq!(arch(r(50), V::B, Torchvision).unwrap(), "resnet50");
        assert_eq!(arch(r(18), V::A, Torchvision).unwrap(), "resnet18");
        assert_eq!(arch(r(50), V::B, Timm).unwrap(), "resnet50");
        assert_eq!(arch(r(101), V::C, Timm).unwrap(), "resnet101c");
        assert_eq!(arch(r(18), V::D, Timm).unwrap(), "resnet18d");
        assert_eq!(arch(r(152), V::D, Timm).unwrap(), "resnet152d");
    }

    #[test]
    fn what_cannot_be_expressed_says_what_would() {
        let r = ModelName::ResNet;
        let e = arch(r(50), V::D, Torchvision).unwrap_err();
        assert!(
            e.contains("ResNet-B only") && e.contains("--to timm (resnet50d)"),
            "{e}"
        );
        let e = arch(r(50), V::A, Timm).unwrap_err();
        assert!(
            e.contains("ResNet-A") && e.contains("train variant B"),
            "{e}"
        );
        let e = arch(r(18), V::C, Timm).unwrap_err();
        assert!(e.contains("resnet50c") && e.contains("resnet18d"), "{e}");
        let e = arch(ModelName::MobileNet, V::B, Torchvision).unwrap_err();
        assert!(
            e.contains("no MobileNet v1") && e.contains("--to timm"),
            "{e}"
        );

        let mut thin = config(ModelName::MobileNet, V::B);
        thin.width = 0.5;
        let e = plan(&thin, Timm).unwrap_err().to_string();
        assert!(
            e.contains("mobilenetv1_125") && e.contains("model.width"),
            "{e}"
        );

        let mut small = config(r(18), V::B);
        small.input = 32;
        small.stem = crate::model::StemKind::Auto;
        let e = plan(&small, Torchvision).unwrap_err().to_string();
        assert!(
            e.contains("small-input stem") && e.contains("model.stem"),
            "{e}"
        );
    }

    #[test]
    fn constructors_name_the_class_count() {
        let p = plan(&config(ModelName::InceptionV3, V::B), Torchvision).unwrap();
        assert_eq!(
            p.constructor,
            "torchvision.models.inception_v3(num_classes=10, aux_logits=False, init_weights=False)"
        );
        let mut m = config(ModelName::MobileNet, V::B);
        m.width = 1.25;
        let p = plan(&m, Timm).unwrap();
        assert_eq!(p.architecture, "mobilenetv1_125");
        assert!(
            p.constructor.contains("act_layer=\"relu\""),
            "{}",
            p.constructor
        );
        assert!(p.note.is_some());
    }
}
