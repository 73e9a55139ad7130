//! How PyTorch names a zoo model's tensors, and how those names map onto botui's modules. One
//! mapping serves both directions: import ([`super::load_pretrained`]) and export
//! ([`crate::model::export`]) ask [`torch_key`] for the PyTorch key of each botui tensor.
//!
//! ResNets: torchvision (`resnet18..152`, ResNet-B) and timm (`resnet18d..152d`, ResNet-D;
//! `resnetNNc`, ResNet-C) share the block names (`layer2.0.conv1.weight`, `fc.weight`) and differ
//! in the stem and the projection shortcut:
//!
//! | botui (burn path, enum variants included) | torchvision     | timm, deep stem (C, D)        |
//! |-------------------------------------------|-----------------|-------------------------------|
//! | `stem.Plain.conv1` / `stem.Plain.bn1`     | `conv1` / `bn1` |                               |
//! | `stem.Deep.conv1` / `bn1`                 |                 | `conv1.0` / `conv1.1`         |
//! | `stem.Deep.conv2` / `bn2`                 |                 | `conv1.3` / `conv1.4`         |
//! | `stem.Deep.conv3` / `bn3`                 |                 | `conv1.6` / `bn1`             |
//! | `layerS.I.<Kind>.downsample.conv` / `bn`  | `downsample.0` / `.1` | C: `.0` / `.1`; D: `.1` / `.2` |
//!
//! timm's ResNet-D shortcut is `Sequential(pool, conv, bn)`; the pool has no parameters and is
//! an `Identity` in stage 1 (stride 1), so the conv is `downsample.1` in every stage. BN
//! parameters are `weight`/`bias` in PyTorch and `gamma`/`beta` in burn; running statistics
//! keep their names; `num_batches_tracked` has no burn counterpart.
//!
//! MobileNet v1 and Inception-V3 have one PyTorch layout each: see [`mobilenet`] (timm's
//! `mobilenetv1_100`) and [`inception`] (torchvision's and timm's `inception_v3`, which agree).

mod inception;
mod mobilenet;

use std::collections::BTreeSet;

use serde::Serialize;

use crate::model::resnet::{BlockKind, stage_layout};
use crate::model::{ModelName, RESNET_DEPTHS, ResNetVariant};

/// The naming scheme of a state dict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceLayout {
    /// 7x7 stem `conv1`/`bn1`, shortcut `downsample.0` (conv) and `.1` (BN): torchvision's
    /// ResNets and timm's plain `resnetNN`, both ResNet-B.
    Torchvision,
    /// timm's deep stem (`conv1.0`, `conv1.1`, `conv1.3`, `conv1.4`, `conv1.6`, then `bn1`) with
    /// a plain conv shortcut (`downsample.0`/`.1`): timm's `resnetNNc`, ResNet-C.
    TimmDeepStem,
    /// timm's deep stem with the avg-pool shortcut (`downsample.1` conv, `downsample.2` BN):
    /// timm's `resnetNNd`, ResNet-D.
    TimmAvgDown,
    /// timm's MobileNet v1 (`mobilenetv1_100`, `mobilenetv1_125`): `conv_stem`, `bn1`,
    /// `blocks.S.I.conv_dw`/`bn1`/`conv_pw`/`bn2`, `classifier`.
    TimmMobileNetV1,
    /// torchvision's `inception_v3` (timm's has the same keys): `Conv2d_1a_3x3.conv`,
    /// `Mixed_5b.branch1x1.bn`, `fc`.
    InceptionV3,
}

impl SourceLayout {
    /// The layout a ResNet of this variant is named in.
    pub fn for_variant(variant: ResNetVariant) -> Self {
        match variant {
            ResNetVariant::A | ResNetVariant::B => SourceLayout::Torchvision,
            ResNetVariant::C => SourceLayout::TimmDeepStem,
            ResNetVariant::D => SourceLayout::TimmAvgDown,
        }
    }

    /// The layout of a model of this family (ResNets: of this variant); `None` for airbench94,
    /// which torchvision and timm do not have.
    pub fn for_model(name: ModelName, variant: ResNetVariant) -> Option<Self> {
        Some(match name {
            ModelName::ResNet(_) => Self::for_variant(variant),
            ModelName::MobileNet => SourceLayout::TimmMobileNetV1,
            ModelName::InceptionV3 => SourceLayout::InceptionV3,
            ModelName::Airbench94 => return None,
        })
    }

    /// The paper's ResNet variant whose weights come in this layout; `None` for the other
    /// families.
    pub fn resnet_variant(self) -> Option<ResNetVariant> {
        Some(match self {
            SourceLayout::Torchvision => ResNetVariant::B,
            SourceLayout::TimmDeepStem => ResNetVariant::C,
            SourceLayout::TimmAvgDown => ResNetVariant::D,
            SourceLayout::TimmMobileNetV1 | SourceLayout::InceptionV3 => return None,
        })
    }

    /// The model family whose weights come in this layout, in words (`a ResNet`).
    pub fn family(self) -> &'static str {
        match self {
            SourceLayout::TimmMobileNetV1 => "mobilenet",
            SourceLayout::InceptionV3 => "inception_v3",
            _ => "resnet",
        }
    }

    /// Whether a ResNet of `variant` with `kind` blocks computes what weights in this layout
    /// were trained for. ResNet-A differs from B only inside bottlenecks (where the stride
    /// sits), so basic-block ResNets (18, 34) are the same network in A and B.
    pub fn fits(self, variant: ResNetVariant, kind: BlockKind) -> bool {
        self.resnet_variant() == Some(variant)
            || (self == SourceLayout::Torchvision
                && variant == ResNetVariant::A
                && kind == BlockKind::Basic)
    }

    pub fn describe(self) -> &'static str {
        match self {
            SourceLayout::Torchvision => "torchvision layout, ResNet-B: 7x7 stem conv1/bn1",
            SourceLayout::TimmDeepStem => {
                "timm layout, ResNet-C: deep stem conv1.0..conv1.6, conv shortcut downsample.0/.1"
            }
            SourceLayout::TimmAvgDown => {
                "timm layout, ResNet-D: deep stem conv1.0..conv1.6, avg-pool shortcut \
                 downsample.1/.2"
            }
            SourceLayout::TimmMobileNetV1 => {
                "timm layout, MobileNet v1: conv_stem, blocks.S.I.conv_dw/conv_pw, classifier"
            }
            SourceLayout::InceptionV3 => {
                "torchvision/timm layout, Inception-V3: Conv2d_1a_3x3 .. Mixed_7c, fc"
            }
        }
    }

    /// Recognizes the layout from a state dict's keys (prefix already stripped).
    pub fn detect<'a>(keys: impl IntoIterator<Item = &'a str> + Clone) -> Option<Self> {
        let any = |f: &dyn Fn(&str) -> bool| keys.clone().into_iter().any(f);
        if any(&|k| k == mobilenet::ANCHOR) {
            return Some(SourceLayout::TimmMobileNetV1);
        }
        if any(&|k| k == inception::ANCHOR) {
            return Some(SourceLayout::InceptionV3);
        }
        let deep_stem = any(&|k| k.starts_with("conv1.0."));
        let plain_stem = any(&|k| k == "conv1.weight");
        let avg_down = any(&|k| k.starts_with("layer") && k.contains(".downsample.2."));
        match (plain_stem, deep_stem, avg_down) {
            (true, false, false) => Some(SourceLayout::Torchvision),
            (false, true, false) => Some(SourceLayout::TimmDeepStem),
            (false, true, true) => Some(SourceLayout::TimmAvgDown),
            _ => None,
        }
    }

    fn deep_stem(self) -> bool {
        matches!(self, SourceLayout::TimmDeepStem | SourceLayout::TimmAvgDown)
    }

    /// Index of the shortcut conv inside `downsample` (the BN follows it).
    fn shortcut_conv_index(self) -> usize {
        match self {
            SourceLayout::TimmAvgDown => 1,
            _ => 0,
        }
    }

    /// The key of the classifier's weight (`[classes, features]`) in this layout.
    pub fn classifier_weight(self) -> &'static str {
        match self {
            SourceLayout::TimmMobileNetV1 => "classifier.weight",
            _ => "fc.weight",
        }
    }
}

/// A key every state dict of a zoo model has, one per family: where [`super::read`] finds the
/// state dict inside a training checkpoint (`state_dict.`, `module.`).
pub const ANCHORS: [&str; 3] = [
    "layer1.0.conv1.weight",
    mobilenet::ANCHOR,
    inception::ANCHOR,
];

/// Whether a botui module path is the classifier's (`ResNet.fc.weight`, `MobileNet.fc.bias`):
/// every zoo model calls its FC layer `fc`.
pub fn is_classifier(burn_path: &str) -> bool {
    burn_path.split('.').nth(1) == Some("fc")
}

/// The PyTorch key of the tensor at a botui module path (`ResNet.layer1.0.Basic.bn1.gamma`),
/// or `None` when the path is not part of a model in this layout.
pub fn torch_key(burn_path: &str, layout: SourceLayout) -> Option<String> {
    let parts: Vec<&str> = burn_path.split('.').collect();
    let (&param, parts) = parts.split_last()?;
    let param = torch_param(param)?;
    let module = match layout {
        SourceLayout::TimmMobileNetV1 => mobilenet::torch_module(parts)?,
        SourceLayout::InceptionV3 => inception::torch_module(parts)?,
        _ => resnet_module(parts, layout)?,
    };
    Some(format!("{module}.{param}"))
}

/// A ResNet module's PyTorch name in one of the three ResNet layouts.
fn resnet_module(parts: &[&str], layout: SourceLayout) -> Option<String> {
    Some(match parts {
        ["ResNet", "stem", "Plain", layer @ ("conv1" | "bn1")] if !layout.deep_stem() => {
            layer.to_string()
        }
        ["ResNet", "stem", "Deep", layer] if layout.deep_stem() => match *layer {
            "conv1" => "conv1.0",
            "bn1" => "conv1.1",
            "conv2" => "conv1.3",
            "bn2" => "conv1.4",
            "conv3" => "conv1.6",
            "bn3" => "bn1",
            _ => return None,
        }
        .to_string(),
        [
            "ResNet",
            stage,
            index,
            "Basic" | "Bottleneck",
            "downsample",
            part,
        ] => {
            let conv = layout.shortcut_conv_index();
            let i = match *part {
                "conv" => conv,
                "bn" => conv + 1,
                _ => return None,
            };
            format!("{}.downsample.{i}", block_prefix(stage, index)?)
        }
        ["ResNet", stage, index, "Basic" | "Bottleneck", layer] if is_block_layer(layer) => {
            format!("{}.{layer}", block_prefix(stage, index)?)
        }
        ["ResNet", "fc"] => "fc".to_string(),
        _ => return None,
    })
}

/// burn's parameter name -> PyTorch's.
fn torch_param(burn: &str) -> Option<&'static str> {
    Some(match burn {
        "weight" | "gamma" => "weight",
        "bias" | "beta" => "bias",
        "running_mean" => "running_mean",
        "running_var" => "running_var",
        _ => return None,
    })
}

fn block_prefix(stage: &str, index: &str) -> Option<String> {
    let s: usize = stage.strip_prefix("layer")?.parse().ok()?;
    let i: usize = index.parse().ok()?;
    (1..=4).contains(&s).then(|| format!("layer{s}.{i}"))
}

fn is_block_layer(name: &str) -> bool {
    matches!(name, "conv1" | "bn1" | "conv2" | "bn2" | "conv3" | "bn3")
}

/// PyTorch's BN step counter: no burn counterpart, and not needed to evaluate or fine-tune.
pub fn is_ignored(key: &str) -> bool {
    key.ends_with(".num_batches_tracked")
}

/// The blocks a state dict holds: per stage, one more than the highest block index seen, and
/// bottlenecks when any block has a `conv3`.
pub fn detect_blocks<'a>(keys: impl IntoIterator<Item = &'a str>) -> ([usize; 4], BlockKind) {
    let mut counts = [0; 4];
    let mut kind = BlockKind::Basic;
    for key in keys {
        let mut parts = key.split('.');
        let (Some(stage), Some(index), Some(layer)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Some(s) = stage
            .strip_prefix("layer")
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|s| (1..=4).contains(s))
        else {
            continue;
        };
        let Ok(i) = index.parse::<usize>() else {
            continue;
        };
        counts[s - 1] = counts[s - 1].max(i + 1);
        if layer == "conv3" {
            kind = BlockKind::Bottleneck;
        }
    }
    (counts, kind)
}

/// The ResNet depth with exactly these blocks, if any.
pub fn depth_of(counts: [usize; 4], kind: BlockKind) -> Option<usize> {
    RESNET_DEPTHS
        .into_iter()
        .find(|&d| stage_layout(d) == Some((kind, counts)))
}

/// Up to `n` keys, for error messages about files that are not ResNet state dicts.
pub fn sample<'a>(keys: impl IntoIterator<Item = &'a str>, n: usize) -> String {
    let keys: BTreeSet<&str> = keys.into_iter().collect();
    let mut out: Vec<&str> = keys.iter().take(n).copied().collect();
    if keys.len() > n {
        out.push("...");
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use SourceLayout::*;

    /// Pairs written out by hand from torchvision's and timm's `state_dict()` keys.
    #[test]
    fn torchvision_names() {
        let cases = [
            ("ResNet.stem.Plain.conv1.weight", "conv1.weight"),
            ("ResNet.stem.Plain.bn1.gamma", "bn1.weight"),
            ("ResNet.stem.Plain.bn1.beta", "bn1.bias"),
            ("ResNet.stem.Plain.bn1.running_var", "bn1.running_var"),
            (
                "ResNet.layer1.0.Basic.conv2.weight",
                "layer1.0.conv2.weight",
            ),
            (
                "ResNet.layer3.5.Bottleneck.bn3.running_mean",
                "layer3.5.bn3.running_mean",
            ),
            (
                "ResNet.layer2.0.Basic.downsample.conv.weight",
                "layer2.0.downsample.0.weight",
            ),
            (
                "ResNet.layer2.0.Basic.downsample.bn.gamma",
                "layer2.0.downsample.1.weight",
            ),
            ("ResNet.fc.weight", "fc.weight"),
            ("ResNet.fc.bias", "fc.bias"),
        ];
        for (burn, torch) in cases {
            assert_eq!(
                torch_key(burn, Torchvision).as_deref(),
                Some(torch),
                "{burn}"
            );
        }
        // A deep stem has no torchvision name.
        assert_eq!(
            torch_key("ResNet.stem.Deep.conv1.weight", Torchvision),
            None
        );
    }

    #[test]
    fn timm_names() {
        let stem = [
            ("conv1.weight", "conv1.0.weight"),
            ("bn1.gamma", "conv1.1.weight"),
            ("conv2.weight", "conv1.3.weight"),
            ("bn2.running_var", "conv1.4.running_var"),
            ("conv3.weight", "conv1.6.weight"),
            ("bn3.beta", "bn1.bias"),
        ];
        for layout in [TimmDeepStem, TimmAvgDown] {
            for (burn, torch) in stem {
                let path = format!("ResNet.stem.Deep.{burn}");
                assert_eq!(torch_key(&path, layout).as_deref(), Some(torch), "{path}");
            }
        }
        let conv = "ResNet.layer1.0.Bottleneck.downsample.conv.weight";
        let bn = "ResNet.layer4.0.Bottleneck.downsample.bn.running_mean";
        assert_eq!(
            torch_key(conv, TimmAvgDown).as_deref(),
            Some("layer1.0.downsample.1.weight")
        );
        assert_eq!(
            torch_key(bn, TimmAvgDown).as_deref(),
            Some("layer4.0.downsample.2.running_mean")
        );
        assert_eq!(
            torch_key(bn, TimmDeepStem).as_deref(),
            Some("layer4.0.downsample.1.running_mean")
        );
        assert_eq!(
            torch_key("ResNet.stem.Plain.conv1.weight", TimmAvgDown),
            None
        );
    }

    #[test]
    fn layouts_are_recognized_from_keys() {
        let tv = ["conv1.weight", "layer2.0.downsample.0.weight", "fc.weight"];
        let c = ["conv1.0.weight", "layer2.0.downsample.0.weight"];
        let d = [
            "conv1.0.weight",
            "conv1.6.weight",
            "layer2.0.downsample.2.bias",
        ];
        assert_eq!(SourceLayout::detect(tv), Some(Torchvision));
        assert_eq!(SourceLayout::detect(c), Some(TimmDeepStem));
        assert_eq!(SourceLayout::detect(d), Some(TimmAvgDown));
        assert_eq!(SourceLayout::detect(["encoder.weight"]), None);
        // A plain stem with an avg-pool shortcut is none of the paper's variants.
        assert_eq!(
            SourceLayout::detect(["conv1.weight", "layer2.0.downsample.2.weight"]),
            None
        );
    }

    #[test]
    fn variants_fit_layouts() {
        use ResNetVariant as V;
        assert!(Torchvision.fits(V::B, BlockKind::Bottleneck));
        assert!(Torchvision.fits(V::A, BlockKind::Basic));
        assert!(!Torchvision.fits(V::A, BlockKind::Bottleneck));
        assert!(!Torchvision.fits(V::D, BlockKind::Basic));
        assert!(TimmAvgDown.fits(V::D, BlockKind::Bottleneck));
        assert!(!TimmAvgDown.fits(V::C, BlockKind::Bottleneck));
    }

    #[test]
    fn depth_is_read_from_block_indices() {
        let mut keys = vec![];
        for (stage, n) in [(1, 3), (2, 4), (3, 6), (4, 3)] {
            for i in 0..n {
                keys.push(format!("layer{stage}.{i}.conv3.weight"));
            }
        }
        let (counts, kind) = detect_blocks(keys.iter().map(String::as_str));
        assert_eq!((counts, kind), ([3, 4, 6, 3], BlockKind::Bottleneck));
        assert_eq!(depth_of(counts, kind), Some(50));
        assert_eq!(depth_of(counts, BlockKind::Basic), Some(34));
        assert_eq!(depth_of([2, 2, 2, 1], BlockKind::Basic), None);
    }
}
