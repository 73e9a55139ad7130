//! MobileNet (v1; Howard et al., 2017), the paper's third model: GluonCV's `mobilenet1.0`,
//! Keras' `MobileNet`.
//!
//! A 3x3/2 conv with 32 channels, then 13 depthwise-separable blocks (3x3 depthwise conv + BN +
//! ReLU, 1x1 pointwise conv + BN + ReLU), global average pooling and the FC classifier. Every
//! channel count is multiplied by the width multiplier `width` and rounded (at least 8), so the
//! usual 1.0, 0.75, 0.5 and 0.25 give exactly the published networks.
//!
//! For small images (`ModelConfig::small_input`) the first conv has stride 1 and the rest is
//! unchanged: a 32x32 image reaches the last blocks at 2x2.
//!
//! MobileNet has no residual blocks, so the zero-gamma trick has nothing to act on.

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::module::adaptive_avg_pool2d;
use burn::tensor::{Device, Tensor};

use super::layers::{ConvBnRelu, InitScheme, linear};
use super::summary::Summary;

/// (pointwise output channels, depthwise stride) of the 13 blocks, at width 1.0.
pub const BLOCKS: [(usize, usize); 13] = [
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),
];

/// Channels of the first conv at width 1.0.
pub const STEM_CHANNELS: usize = 32;

/// The fewest channels any layer gets, however small the width multiplier.
pub const MIN_CHANNELS: usize = 8;

/// `round(channels * width)`, at least [`MIN_CHANNELS`].
pub fn scaled(channels: usize, width: f64) -> usize {
    ((channels as f64 * width).round() as usize).max(MIN_CHANNELS)
}

/// Everything that decides a MobileNet's shape and starting weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MobileNetConfig {
    pub classes: usize,
    /// Width multiplier (alpha in the MobileNet paper).
    pub width: f64,
    /// Stride 1 in the first conv, for 32x32-class images.
    pub small_input: bool,
    pub init: InitScheme,
}

/// 3x3 depthwise conv + BN + ReLU, then 1x1 pointwise conv + BN + ReLU.
#[derive(Module, Debug)]
pub struct DepthwiseSeparable {
    pub dw: ConvBnRelu,
    pub pw: ConvBnRelu,
}

impl DepthwiseSeparable {
    fn new(channels: [usize; 2], stride: usize, init: InitScheme, device: &Device) -> Self {
        let [c_in, c_out] = channels;
        Self {
            dw: ConvBnRelu::new([c_in, c_in], [3, 3], stride, [1, 1], c_in, init, device),
            pw: ConvBnRelu::new([c_in, c_out], [1, 1], 1, [0, 0], 1, init, device),
        }
    }

    /// `[n, c_in, h, w]` -> `[n, c_out, h/stride, w/stride]` (rounded up)
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.pw.forward(self.dw.forward(x))
    }

    fn describe(&self, name: &str, input: [usize; 3], s: &mut Summary) -> [usize; 3] {
        let x = self.dw.describe(&format!("{name}.dw"), input, s);
        self.pw.describe(&format!("{name}.pw"), x, s)
    }
}

#[derive(Module, Debug)]
pub struct MobileNet {
    pub conv1: ConvBnRelu,
    pub blocks: Vec<DepthwiseSeparable>,
    pub fc: Linear,
}

impl MobileNetConfig {
    pub fn init(&self, device: &Device) -> MobileNet {
        let init = self.init;
        let stem_stride = if self.small_input { 1 } else { 2 };
        let mut c_in = scaled(STEM_CHANNELS, self.width);
        let conv1 = ConvBnRelu::new([3, c_in], [3, 3], stem_stride, [1, 1], 1, init, device);
        let blocks = BLOCKS
            .iter()
            .map(|&(c, stride)| {
                let c_out = scaled(c, self.width);
                let block = DepthwiseSeparable::new([c_in, c_out], stride, init, device);
                c_in = c_out;
                block
            })
            .collect();
        MobileNet {
            conv1,
            blocks,
            fc: linear(c_in, self.classes, init, device),
        }
    }
}

impl MobileNet {
    /// `[n, 3, h, w]` -> logits `[n, classes]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x = self.conv1.forward(x);
        for block in &self.blocks {
            x = block.forward(x);
        }
        let x = adaptive_avg_pool2d(x, [1, 1]).flatten::<2>(1, 3);
        super::kernels::linear(&self.fc, x)
    }

    /// Rows `conv1`, `block1` .. `block13` (numbered from 1 like Keras' `conv_dw_1`), `avgpool`,
    /// `fc`.
    pub fn describe(&self, input: [usize; 3], s: &mut Summary) {
        let mut x = self.conv1.describe("conv1", input, s);
        for (i, block) in self.blocks.iter().enumerate() {
            x = block.describe(&format!("block{}", i + 1), x, s);
        }
        let x = s.global_pool("avgpool", x);
        s.linear("fc", &self.fc, x);
    }
}
