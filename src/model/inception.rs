//! Inception-V3 (Szegedy et al., 2016) as torchvision builds it
//! (`torchvision.models.inception_v3(aux_logits=False, transform_input=False)`), the paper's
//! second model.
//!
//! Stem: Conv2d_1a_3x3 (3x3/2, 32) -> Conv2d_2a_3x3 (3x3, 32) -> Conv2d_2b_3x3 (3x3 padded, 64)
//! -> max pool 3x3/2 -> Conv2d_3b_1x1 (80) -> Conv2d_4a_3x3 (3x3, 192) -> max pool 3x3/2; then
//! Mixed_5b..5d ([`InceptionA`]), Mixed_6a ([`InceptionB`]), Mixed_6b..6e ([`InceptionC`]),
//! Mixed_7a ([`InceptionD`]), Mixed_7b/7c ([`InceptionE`]), global average pooling, dropout 0.5
//! and the FC layer. Every conv is torchvision's BasicConv2d: conv without bias + BN with eps
//! 0.001 + ReLU. At 299x299 the mixed stages see 35, 17 and 8 pixels. Field names are
//! torchvision's in snake case (`conv2d_1a_3x3`, `mixed_5b.branch1x1.conv`, `fc`), so imported
//! weights map one to one. The auxiliary classifier is not built (it only helps training
//! and torchvision drops it at eval).
//!
//! The imagenet stem's unpadded convs and max pools need an image side of at least
//! [`IMAGENET_STEM_MIN_INPUT`] (75): below that Mixed_7a has nothing left to convolve.
//! [`super::ModelConfig::validate`] rejects `stem = imagenet` below it, and `stem = auto` picks
//! the small stem there.
//!
//! Small stem (`small_input`, for 32x32-class images): Conv2d_1a_3x3 has stride 1, the three
//! 3x3 stem convs are padded by 1 and both stem max pools are gone, so the stem keeps the image
//! side: at 32x32 the mixed stages see 32, 15 and 7 pixels. The conv shapes (and so the
//! parameters) are the same as the imagenet stem's. The mixed stages dominate the cost, so it
//! grows with the square of the side: 3.6 G MACs at 32x32 and 15.4 G at 64x64, against 5.7 G
//! for the imagenet stem at 299.
//!
//! Inception-V3 has no residual blocks, so the zero-gamma trick has nothing to act on.

mod blocks;
mod branches;

use burn::module::Module;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Dropout, DropoutConfig, Linear};
use burn::tensor::module::adaptive_avg_pool2d;
use burn::tensor::{Device, Tensor};

pub use blocks::{InceptionA, InceptionB, InceptionC, InceptionD, InceptionE};
pub use branches::BN_EPS;

use super::layers::{ConvBnRelu, InitScheme, linear};
use super::summary::Summary;
use branches::Units;

/// The smallest image side the imagenet stem takes: 75 -> 37 (Conv2d_1a, 3x3/2) -> 35 (2a)
/// -> 35 (2b) -> 17 (max pool) -> 17 (3b) -> 15 (4a) -> 7 (max pool) -> 3 (Mixed_6a) -> 1
/// (Mixed_7a). At 74 Mixed_7a would get 2 pixels for its unpadded 3x3 convs.
pub const IMAGENET_STEM_MIN_INPUT: usize = 75;

/// Channels after Mixed_7c, the FC layer's input.
pub const FEATURES: usize = 2048;

/// Everything that decides an Inception-V3's shape and starting weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InceptionV3Config {
    pub classes: usize,
    /// Stride-1, padded stem without max pools, for 32x32-class images.
    pub small_input: bool,
    pub init: InitScheme,
}

#[derive(Module, Debug)]
pub struct InceptionV3 {
    pub conv2d_1a_3x3: ConvBnRelu,
    pub conv2d_2a_3x3: ConvBnRelu,
    pub conv2d_2b_3x3: ConvBnRelu,
    /// 3x3/2, absent in the small stem.
    pub maxpool1: Option<MaxPool2d>,
    pub conv2d_3b_1x1: ConvBnRelu,
    pub conv2d_4a_3x3: ConvBnRelu,
    /// 3x3/2, absent in the small stem.
    pub maxpool2: Option<MaxPool2d>,
    pub mixed_5b: InceptionA,
    pub mixed_5c: InceptionA,
    pub mixed_5d: InceptionA,
    pub mixed_6a: InceptionB,
    pub mixed_6b: InceptionC,
    pub mixed_6c: InceptionC,
    pub mixed_6d: InceptionC,
    pub mixed_6e: InceptionC,
    pub mixed_7a: InceptionD,
    pub mixed_7b: InceptionE,
    pub mixed_7c: InceptionE,
    /// p = 0.5 before the FC layer; only active while training on an autodiff device.
    pub dropout: Dropout,
    pub fc: Linear,
}

/// torchvision's `maxpool1`/`maxpool2`: 3x3, stride 2, no padding; none in the small stem.
fn stem_max_pool(small_input: bool) -> Option<MaxPool2d> {
    (!small_input).then(|| MaxPool2dConfig::new([3, 3]).with_strides([2, 2]).init())
}

impl InceptionV3Config {
    pub fn init(&self, device: &Device) -> InceptionV3 {
        let u = Units {
            init: self.init,
            device,
        };
        // The small stem: stride 1 and padding 1 in the 3x3 convs that shrink the image.
        let (stride, pad) = if self.small_input { (1, 1) } else { (2, 0) };
        InceptionV3 {
            conv2d_1a_3x3: u.conv([3, 32], [3, 3], stride, [pad, pad]),
            conv2d_2a_3x3: u.conv([32, 32], [3, 3], 1, [pad, pad]),
            conv2d_2b_3x3: u.conv([32, 64], [3, 3], 1, [1, 1]),
            maxpool1: stem_max_pool(self.small_input),
            conv2d_3b_1x1: u.conv([64, 80], [1, 1], 1, [0, 0]),
            conv2d_4a_3x3: u.conv([80, 192], [3, 3], 1, [pad, pad]),
            maxpool2: stem_max_pool(self.small_input),
            mixed_5b: InceptionA::new(192, 32, &u),
            mixed_5c: InceptionA::new(256, 64, &u),
            mixed_5d: InceptionA::new(288, 64, &u),
            mixed_6a: InceptionB::new(288, &u),
            mixed_6b: InceptionC::new(768, 128, &u),
            mixed_6c: InceptionC::new(768, 160, &u),
            mixed_6d: InceptionC::new(768, 160, &u),
            mixed_6e: InceptionC::new(768, 192, &u),
            mixed_7a: InceptionD::new(768, &u),
            mixed_7b: InceptionE::new(1280, &u),
            mixed_7c: InceptionE::new(2048, &u),
            dropout: DropoutConfig::new(0.5).init(),
            fc: linear(FEATURES, self.classes, self.init, device),
        }
    }
}

impl InceptionV3 {
    /// `[n, 3, h, w]` -> logits `[n, classes]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = self.conv2d_1a_3x3.forward(x);
        let x = self.conv2d_2a_3x3.forward(x);
        let x = self.conv2d_2b_3x3.forward(x);
        let x = match &self.maxpool1 {
            Some(pool) => pool.forward(x),
            None => x,
        };
        let x = self.conv2d_3b_1x1.forward(x);
        let x = self.conv2d_4a_3x3.forward(x);
        let x = match &self.maxpool2 {
            Some(pool) => pool.forward(x),
            None => x,
        };
        let x = self.mixed_5b.forward(x);
        let x = self.mixed_5c.forward(x);
        let x = self.mixed_5d.forward(x);
        let x = self.mixed_6a.forward(x);
        let x = self.mixed_6b.forward(x);
        let x = self.mixed_6c.forward(x);
        let x = self.mixed_6d.forward(x);
        let x = self.mixed_6e.forward(x);
        let x = self.mixed_7a.forward(x);
        let x = self.mixed_7b.forward(x);
        let x = self.mixed_7c.forward(x);
        let x = adaptive_avg_pool2d(x, [1, 1]).flatten::<2>(1, 3);
        super::kernels::linear(&self.fc, self.dropout.forward(x))
    }

    pub fn describe(&self, input: [usize; 3], s: &mut Summary) {
        let x = self.conv2d_1a_3x3.describe("conv2d_1a_3x3", input, s);
        let x = self.conv2d_2a_3x3.describe("conv2d_2a_3x3", x, s);
        let x = self.conv2d_2b_3x3.describe("conv2d_2b_3x3", x, s);
        let x = if self.maxpool1.is_some() {
            s.pool("maxpool1", "max pool", x, 3, 2, 0, false)
        } else {
            x
        };
        let x = self.conv2d_3b_1x1.describe("conv2d_3b_1x1", x, s);
        let x = self.conv2d_4a_3x3.describe("conv2d_4a_3x3", x, s);
        let x = if self.maxpool2.is_some() {
            s.pool("maxpool2", "max pool", x, 3, 2, 0, false)
        } else {
            x
        };
        let x = self.mixed_5b.describe("mixed_5b", x, s);
        let x = self.mixed_5c.describe("mixed_5c", x, s);
        let x = self.mixed_5d.describe("mixed_5d", x, s);
        let x = self.mixed_6a.describe("mixed_6a", x, s);
        let x = self.mixed_6b.describe("mixed_6b", x, s);
        let x = self.mixed_6c.describe("mixed_6c", x, s);
        let x = self.mixed_6d.describe("mixed_6d", x, s);
        let x = self.mixed_6e.describe("mixed_6e", x, s);
        let x = self.mixed_7a.describe("mixed_7a", x, s);
        let x = self.mixed_7b.describe("mixed_7b", x, s);
        let x = self.mixed_7c.describe("mixed_7c", x, s);
        let x = s.global_pool("avgpool", x);
        s.linear("fc", &self.fc, x);
    }
}
