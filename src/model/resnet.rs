//! ResNet 18/34/50/101/152 in the paper's four variants (Sec. 4, Fig. 2):
//!
//! - **A**, the original: 7x7/2 stem + 3x3/2 max pool; a downsampling bottleneck strides in its
//!   first 1x1 conv; the shortcut is a 1x1 conv with stride 2.
//! - **B** moves the stride to the 3x3 conv of the bottleneck (torchvision's ResNet).
//! - **C** replaces the 7x7 stem by three 3x3 convs with 32, 32 and 64 channels.
//! - **D** is B + C, and its downsampling shortcut becomes 2x2 avg pool (stride 2, ceil mode,
//!   padding not counted) -> 1x1 conv (stride 1) -> BN. The first stage's projection, which
//!   does not downsample, stays a plain 1x1 conv.
//!
//! Field names follow torchvision (`conv1`, `bn1`, `layer1.0.conv1`, `downsample`, `fc`), so
//! that imported weights read naturally; the importer maps timm's names onto the same fields.

use super::kernels::{conv_bn, relu};
use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, Linear, PaddingConfig2d};
use burn::tensor::module::adaptive_avg_pool2d;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::drop_path::{block_drop_rates, drop_path};
use super::layers::{InitScheme, batch_norm, conv, linear, zero_gamma};
use super::summary::Summary;

/// The paper's ResNet tweaks (Sec. 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ResNetVariant {
    A,
    #[default]
    B,
    C,
    D,
}

impl ResNetVariant {
    pub const ALL: [ResNetVariant; 4] = [Self::A, Self::B, Self::C, Self::D];

    /// Stride on the 3x3 conv of the bottleneck (B, C, D) rather than its first 1x1 (A).
    pub fn stride_on_3x3(self) -> bool {
        self != Self::A
    }

    /// Three 3x3 convs (32, 32, 64) instead of the 7x7 stem (C, D).
    pub fn deep_stem(self) -> bool {
        matches!(self, Self::C | Self::D)
    }

    /// Avg pool before the 1x1 conv of a downsampling shortcut (D).
    pub fn avg_down(self) -> bool {
        self == Self::D
    }
}

impl std::fmt::Display for ResNetVariant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::str::FromStr for ResNetVariant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "A" => Ok(Self::A),
            "B" => Ok(Self::B),
            "C" => Ok(Self::C),
            "D" => Ok(Self::D),
            _ => Err(format!(
                "unknown ResNet variant '{s}': expected A, B, C or D"
            )),
        }
    }
}

/// Which residual block a depth uses and how many per stage.
pub fn stage_layout(depth: usize) -> Option<(BlockKind, [usize; 4])> {
    Some(match depth {
        18 => (BlockKind::Basic, [2, 2, 2, 2]),
        34 => (BlockKind::Basic, [3, 4, 6, 3]),
        50 => (BlockKind::Bottleneck, [3, 4, 6, 3]),
        101 => (BlockKind::Bottleneck, [3, 4, 23, 3]),
        152 => (BlockKind::Bottleneck, [3, 8, 36, 3]),
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Basic,
    Bottleneck,
}

impl BlockKind {
    pub fn expansion(self) -> usize {
        match self {
            BlockKind::Basic => 1,
            BlockKind::Bottleneck => 4,
        }
    }
}

/// Everything that decides a ResNet's shape and starting weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResNetConfig {
    pub depth: usize,
    pub variant: ResNetVariant,
    pub classes: usize,
    /// 3x3 stride-1 first conv and no max pool, for 32x32-class images.
    pub small_input: bool,
    pub init: InitScheme,
    pub zero_gamma: bool,
    /// Stochastic depth: the last block's drop probability, falling linearly to 0 at the first
    /// ([`super::drop_path`]); 0 = off.
    pub drop_path_rate: f64,
}

/// The stem before the four stages.
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)] // built once per model; boxing would only add indirection
pub enum Stem {
    /// A/B: one conv (7x7/2, or 3x3/1 for small inputs) -> BN -> ReLU.
    Plain(PlainStem),
    /// C/D: 3x3 convs with 32 (stride 2, or 1 for small inputs), 32 and 64 channels, each
    /// followed by BN + ReLU.
    Deep(DeepStem),
}

#[derive(Module, Debug)]
pub struct PlainStem {
    pub conv1: Conv2d,
    pub bn1: BatchNorm,
    pub maxpool: Option<MaxPool2d>,
}

#[derive(Module, Debug)]
pub struct DeepStem {
    pub conv1: Conv2d,
    pub bn1: BatchNorm,
    pub conv2: Conv2d,
    pub bn2: BatchNorm,
    pub conv3: Conv2d,
    pub bn3: BatchNorm,
    pub maxpool: Option<MaxPool2d>,
}

fn stem_max_pool(small_input: bool) -> Option<MaxPool2d> {
    (!small_input).then(|| {
        MaxPool2dConfig::new([3, 3])
            .with_strides([2, 2])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init()
    })
}

impl Stem {
    fn new(cfg: &ResNetConfig, device: &Device) -> Self {
        let init = cfg.init;
        let maxpool = stem_max_pool(cfg.small_input);
        if cfg.variant.deep_stem() {
            let first_stride = if cfg.small_input { 1 } else { 2 };
            Stem::Deep(DeepStem {
                conv1: conv([3, 32], 3, first_stride, 1, init, device),
                bn1: batch_norm(32, device),
                conv2: conv([32, 32], 3, 1, 1, init, device),
                bn2: batch_norm(32, device),
                conv3: conv([32, 64], 3, 1, 1, init, device),
                bn3: batch_norm(64, device),
                maxpool,
            })
        } else {
            let conv1 = if cfg.small_input {
                conv([3, 64], 3, 1, 1, init, device)
            } else {
                conv([3, 64], 7, 2, 3, init, device)
            };
            Stem::Plain(PlainStem {
                conv1,
                bn1: batch_norm(64, device),
                maxpool,
            })
        }
    }

    /// `[n, 3, h, w]` -> `[n, 64, h/4, w/4]` (`[n, 64, h, w]` for small inputs)
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let (x, maxpool) = match self {
            Stem::Plain(s) => (relu(conv_bn(&s.conv1, &s.bn1, x)), &s.maxpool),
            Stem::Deep(s) => {
                let x = relu(conv_bn(&s.conv1, &s.bn1, x));
                let x = relu(conv_bn(&s.conv2, &s.bn2, x));
                (relu(conv_bn(&s.conv3, &s.bn3, x)), &s.maxpool)
            }
        };
        match maxpool {
            Some(pool) => pool.forward(x),
            None => x,
        }
    }

    fn describe(&self, input: [usize; 3], s: &mut Summary) -> [usize; 3] {
        let (out, pooled) = match self {
            Stem::Plain(p) => {
                let out = s.conv("stem.conv1", &p.conv1, input);
                s.bn("stem.bn1", &p.bn1, out);
                (out, p.maxpool.is_some())
            }
            Stem::Deep(d) => {
                let out = s.conv("stem.conv1", &d.conv1, input);
                s.bn("stem.bn1", &d.bn1, out);
                let out = s.conv("stem.conv2", &d.conv2, out);
                s.bn("stem.bn2", &d.bn2, out);
                let out = s.conv("stem.conv3", &d.conv3, out);
                s.bn("stem.bn3", &d.bn3, out);
                (out, d.maxpool.is_some())
            }
        };
        if pooled {
            s.pool("stem.maxpool", "max pool", out, 3, 2, 1, false)
        } else {
            out
        }
    }
}

/// The shortcut of a block whose input and output shapes differ.
#[derive(Module, Debug)]
pub struct Downsample {
    /// ResNet-D only, on stride-2 blocks: 2x2/2 avg pool, ceil mode, padding not counted.
    pub pool: Option<AvgPool2d>,
    pub conv: Conv2d,
    pub bn: BatchNorm,
}

impl Downsample {
    fn new(
        channels: [usize; 2],
        stride: usize,
        variant: ResNetVariant,
        init: InitScheme,
        device: &Device,
    ) -> Self {
        let pooled = variant.avg_down() && stride > 1;
        let pool = pooled.then(|| {
            AvgPool2dConfig::new([stride, stride])
                .with_strides([stride, stride])
                .with_ceil_mode(true)
                .with_count_include_pad(false)
                .init()
        });
        let conv_stride = if pooled { 1 } else { stride };
        Self {
            pool,
            conv: conv(channels, 1, conv_stride, 0, init, device),
            bn: batch_norm(channels[1], device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = match &self.pool {
            Some(pool) => pool.forward(x),
            None => x,
        };
        conv_bn(&self.conv, &self.bn, x)
    }

    fn describe(&self, name: &str, input: [usize; 3], s: &mut Summary) -> [usize; 3] {
        let x = match &self.pool {
            Some(pool) => {
                let [k, _] = pool.kernel_size;
                s.pool(
                    &format!("{name}.pool"),
                    "avg pool",
                    input,
                    k,
                    pool.stride[0],
                    0,
                    true,
                )
            }
            None => input,
        };
        let out = s.conv(&format!("{name}.conv"), &self.conv, x);
        s.bn(&format!("{name}.bn"), &self.bn, out);
        out
    }
}

/// Two 3x3 convs (ResNet-18/34).
#[derive(Module, Debug)]
pub struct BasicBlock {
    pub conv1: Conv2d,
    pub bn1: BatchNorm,
    pub conv2: Conv2d,
    pub bn2: BatchNorm,
    pub downsample: Option<Downsample>,
}

/// 1x1 -> 3x3 -> 1x1 (4x width) (ResNet-50/101/152).
#[derive(Module, Debug)]
pub struct Bottleneck {
    pub conv1: Conv2d,
    pub bn1: BatchNorm,
    pub conv2: Conv2d,
    pub bn2: BatchNorm,
    pub conv3: Conv2d,
    pub bn3: BatchNorm,
    pub downsample: Option<Downsample>,
}

#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)] // one per residual block, never moved in a hot loop
pub enum Block {
    Basic(BasicBlock),
    Bottleneck(Bottleneck),
}

impl Block {
    fn new(
        kind: BlockKind,
        in_channels: usize,
        width: usize,
        stride: usize,
        cfg: &ResNetConfig,
        device: &Device,
    ) -> Self {
        let init = cfg.init;
        let out_channels = width * kind.expansion();
        let downsample = (stride != 1 || in_channels != out_channels).then(|| {
            Downsample::new(
                [in_channels, out_channels],
                stride,
                cfg.variant,
                init,
                device,
            )
        });
        match kind {
            BlockKind::Basic => {
                let mut bn2 = batch_norm(width, device);
                if cfg.zero_gamma {
                    zero_gamma(&mut bn2);
                }
                Block::Basic(BasicBlock {
                    conv1: conv([in_channels, width], 3, stride, 1, init, device),
                    bn1: batch_norm(width, device),
                    conv2: conv([width, width], 3, 1, 1, init, device),
                    bn2,
                    downsample,
                })
            }
            BlockKind::Bottleneck => {
                let (s1, s3) = if cfg.variant.stride_on_3x3() {
                    (1, stride)
                } else {
                    (stride, 1)
                };
                let mut bn3 = batch_norm(out_channels, device);
                if cfg.zero_gamma {
                    zero_gamma(&mut bn3);
                }
                Block::Bottleneck(Bottleneck {
                    conv1: conv([in_channels, width], 1, s1, 0, init, device),
                    bn1: batch_norm(width, device),
                    conv2: conv([width, width], 3, s3, 1, init, device),
                    bn2: batch_norm(width, device),
                    conv3: conv([width, out_channels], 1, 1, 0, init, device),
                    bn3,
                    downsample,
                })
            }
        }
    }

    /// `[n, c_in, h, w]` -> `[n, c_out, h/stride, w/stride]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.forward_dropping(x, 0.0)
    }

    /// [`Self::forward`] with the residual branch dropped per sample with probability `drop`
    /// while training (stochastic depth).
    pub fn forward_dropping(&self, x: Tensor<4>, drop: f64) -> Tensor<4> {
        let (residual, downsample) = match self {
            Block::Basic(b) => {
                let y = relu(conv_bn(&b.conv1, &b.bn1, x.clone()));
                (conv_bn(&b.conv2, &b.bn2, y), &b.downsample)
            }
            Block::Bottleneck(b) => {
                let y = relu(conv_bn(&b.conv1, &b.bn1, x.clone()));
                let y = relu(conv_bn(&b.conv2, &b.bn2, y));
                (conv_bn(&b.conv3, &b.bn3, y), &b.downsample)
            }
        };
        let shortcut = match downsample {
            Some(d) => d.forward(x),
            None => x,
        };
        relu(drop_path(residual, drop) + shortcut)
    }

    /// The residual branch alone, before the addition (tests check zero-gamma with it).
    pub fn residual_branch(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Block::Basic(b) => {
                let y = relu(conv_bn(&b.conv1, &b.bn1, x));
                conv_bn(&b.conv2, &b.bn2, y)
            }
            Block::Bottleneck(b) => {
                let y = relu(conv_bn(&b.conv1, &b.bn1, x));
                let y = relu(conv_bn(&b.conv2, &b.bn2, y));
                conv_bn(&b.conv3, &b.bn3, y)
            }
        }
    }

    /// The last BN of the residual branch: the one zero-gamma zeroes.
    pub fn last_bn(&self) -> &BatchNorm {
        match self {
            Block::Basic(b) => &b.bn2,
            Block::Bottleneck(b) => &b.bn3,
        }
    }

    fn describe(&self, name: &str, input: [usize; 3], s: &mut Summary) -> [usize; 3] {
        let out = match self {
            Block::Basic(b) => {
                let y = s.conv(&format!("{name}.conv1"), &b.conv1, input);
                s.bn(&format!("{name}.bn1"), &b.bn1, y);
                let y = s.conv(&format!("{name}.conv2"), &b.conv2, y);
                s.bn(&format!("{name}.bn2"), &b.bn2, y);
                y
            }
            Block::Bottleneck(b) => {
                let y = s.conv(&format!("{name}.conv1"), &b.conv1, input);
                s.bn(&format!("{name}.bn1"), &b.bn1, y);
                let y = s.conv(&format!("{name}.conv2"), &b.conv2, y);
                s.bn(&format!("{name}.bn2"), &b.bn2, y);
                let y = s.conv(&format!("{name}.conv3"), &b.conv3, y);
                s.bn(&format!("{name}.bn3"), &b.bn3, y);
                y
            }
        };
        let downsample = match self {
            Block::Basic(b) => &b.downsample,
            Block::Bottleneck(b) => &b.downsample,
        };
        if let Some(d) = downsample {
            d.describe(&format!("{name}.downsample"), input, s);
        }
        out
    }
}

#[derive(Module, Debug)]
pub struct ResNet {
    pub stem: Stem,
    pub layer1: Vec<Block>,
    pub layer2: Vec<Block>,
    pub layer3: Vec<Block>,
    pub layer4: Vec<Block>,
    pub fc: Linear,
    /// Each block's stochastic-depth drop probability, in [`Self::blocks`] order.
    #[module(skip)]
    pub drop_rates: Vec<f64>,
}

impl ResNetConfig {
    /// Panics on a depth without a layout; [`super::ModelConfig`] validates depths first.
    pub fn init(&self, device: &Device) -> ResNet {
        let (kind, blocks) = stage_layout(self.depth).expect("validated ResNet depth");
        let mut in_channels = 64;
        let mut stages = Vec::with_capacity(4);
        for (stage, &count) in blocks.iter().enumerate() {
            let width = 64 << stage;
            let stride = if stage == 0 { 1 } else { 2 };
            let mut layer = Vec::with_capacity(count);
            for i in 0..count {
                let s = if i == 0 { stride } else { 1 };
                layer.push(Block::new(kind, in_channels, width, s, self, device));
                in_channels = width * kind.expansion();
            }
            stages.push(layer);
        }
        let total: usize = blocks.iter().sum();
        let mut stages = stages.into_iter();
        ResNet {
            stem: Stem::new(self, device),
            layer1: stages.next().unwrap(),
            layer2: stages.next().unwrap(),
            layer3: stages.next().unwrap(),
            layer4: stages.next().unwrap(),
            fc: linear(in_channels, self.classes, self.init, device),
            drop_rates: block_drop_rates(self.drop_path_rate, total),
        }
    }
}

impl ResNet {
    /// `[n, 3, h, w]` -> logits `[n, classes]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x = self.stem.forward(x);
        for (i, block) in self.blocks().enumerate() {
            x = block.forward_dropping(x, self.drop_rates.get(i).copied().unwrap_or(0.0));
        }
        let x = adaptive_avg_pool2d(x, [1, 1]).flatten::<2>(1, 3);
        super::kernels::linear(&self.fc, x)
    }

    /// Every residual block, stage by stage.
    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.layer1
            .iter()
            .chain(&self.layer2)
            .chain(&self.layer3)
            .chain(&self.layer4)
    }

    pub fn describe(&self, input: [usize; 3], s: &mut Summary) {
        let mut x = self.stem.describe(input, s);
        for (stage, layer) in [&self.layer1, &self.layer2, &self.layer3, &self.layer4]
            .into_iter()
            .enumerate()
        {
            for (i, block) in layer.iter().enumerate() {
                x = block.describe(&format!("layer{}.{i}", stage + 1), x, s);
            }
        }
        let x = s.global_pool("avgpool", x);
        s.linear("fc", &self.fc, x);
    }
}
