//! The airbench94 network (Keller Jordan, "94% on CIFAR-10 in 3.29 seconds on a single GPU",
//! arXiv:2404.00498; `legacy/airbench94.py` in KellerJordan/cifar10-airbench), the CIFAR-10
//! speed record's model. Not a ResNet: a VGG-like stack of three conv groups,
//!
//! ```text
//! whiten: conv 2x2 3->24 (valid, with bias), GELU                      [24, 31, 31]
//! group(c_in, c_out) x3 with widths 64, 256, 256:
//!     conv 3x3 (same), max pool 2, BN, GELU, conv 3x3 (same), BN, GELU
//! max pool over what is left (3x3 at 32 px), flatten, linear 256->classes (no bias), x 1/9
//! ```
//!
//! BN as airbench sets it up: epsilon 1e-12, momentum 0.4 (its `batchnorm_momentum = 0.6` in
//! the running-average convention), the scale gamma frozen at 1 and only the shift trained. The
//! 3x3 convs start as airbench's: the first `c_in` filters are Dirac (identity) kernels.
//!
//! Not reproduced here: the whitening layer's initialization from the training set's patch
//! covariance (airbench then freezes its weights); this one starts from the usual init and is
//! trained.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::gelu;
use burn::tensor::{Device, Tensor, TensorData};

use super::layers::{InitScheme, conv};
use super::summary::Summary;

/// Output channels of the three groups (airbench94's `widths`).
pub const WIDTHS: [usize; 3] = [64, 256, 256];
/// Channels of the whitening layer: 2 x 3 x 2^2.
pub const WHITEN_WIDTH: usize = 24;
/// airbench94's `scaling_factor` on the logits.
pub const LOGIT_SCALE: f64 = 1.0 / 9.0;
/// airbench's BN: epsilon and momentum (PyTorch's convention: `1 - 0.6`).
pub const BN_EPSILON: f64 = 1e-12;
pub const BN_MOMENTUM: f64 = 0.4;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AirbenchConfig {
    pub classes: usize,
    pub init: InitScheme,
}

/// conv 3x3 -> max pool 2 -> BN -> GELU -> conv 3x3 -> BN -> GELU.
#[derive(Module, Debug)]
pub struct ConvGroup {
    pub conv1: Conv2d,
    pub pool: MaxPool2d,
    pub norm1: BatchNorm,
    pub conv2: Conv2d,
    pub norm2: BatchNorm,
}

#[derive(Module, Debug)]
pub struct Airbench {
    pub whiten: Conv2d,
    pub groups: Vec<ConvGroup>,
    pub fc: Linear,
}

/// BN with airbench's epsilon and momentum, gamma frozen at 1.
fn norm(channels: usize, device: &Device) -> BatchNorm {
    let mut bn = BatchNormConfig::new(channels)
        .with_epsilon(BN_EPSILON)
        .with_momentum(BN_MOMENTUM)
        .init(device);
    bn.gamma = bn.gamma.set_require_grad(false);
    bn
}

/// A 3x3 "same" conv whose first `c_in` filters are identity kernels (`torch.nn.init.dirac_`
/// on `w[:c_in]`).
fn dirac_conv(channels: [usize; 2], init: InitScheme, device: &Device) -> Conv2d {
    let mut c = conv(channels, 3, 1, 1, init, device);
    let [c_out, c_in, k, _] = c.weight.shape().dims();
    let data = c.weight.val().into_data().convert::<f32>();
    let mut w = data.as_slice::<f32>().expect("f32 weights").to_vec();
    for o in 0..c_in.min(c_out) {
        let filter = &mut w[o * c_in * k * k..(o + 1) * c_in * k * k];
        filter.fill(0.0);
        filter[o * k * k + (k / 2) * k + k / 2] = 1.0;
    }
    let id = c.weight.id;
    c.weight = Param::initialized(
        id,
        Tensor::from_data(TensorData::new(w, [c_out, c_in, k, k]), device),
    );
    c
}

impl ConvGroup {
    fn new(channels: [usize; 2], init: InitScheme, device: &Device) -> Self {
        let [c_in, c_out] = channels;
        Self {
            conv1: dirac_conv([c_in, c_out], init, device),
            pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            norm1: norm(c_out, device),
            conv2: dirac_conv([c_out, c_out], init, device),
            norm2: norm(c_out, device),
        }
    }

    /// `[n, c_in, h, w]` -> `[n, c_out, h/2, w/2]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = self.pool.forward(self.conv1.forward(x));
        let x = gelu(self.norm1.forward(x));
        gelu(self.norm2.forward(self.conv2.forward(x)))
    }

    fn describe(&self, name: &str, input: [usize; 3], s: &mut Summary) -> [usize; 3] {
        let x = s.conv(&format!("{name}.conv1"), &self.conv1, input);
        let x = s.pool(&format!("{name}.pool"), "max pool", x, 2, 2, 0, false);
        s.bn(&format!("{name}.norm1"), &self.norm1, x);
        let x = s.conv(&format!("{name}.conv2"), &self.conv2, x);
        s.bn(&format!("{name}.norm2"), &self.norm2, x);
        x
    }
}

impl AirbenchConfig {
    pub fn init(&self, device: &Device) -> Airbench {
        let whiten = Conv2dConfig::new([3, WHITEN_WIDTH], [2, 2])
            .with_padding(PaddingConfig2d::Valid)
            .with_bias(true)
            .init(device);
        let mut c_in = WHITEN_WIDTH;
        let groups = WIDTHS
            .iter()
            .map(|&c_out| {
                let g = ConvGroup::new([c_in, c_out], self.init, device);
                c_in = c_out;
                g
            })
            .collect();
        let fc = LinearConfig::new(c_in, self.classes)
            .with_bias(false)
            .with_initializer(Initializer::KaimingUniform {
                gain: 1.0 / 3f64.sqrt(),
                fan_out_only: false,
            })
            .init(device);
        Airbench { whiten, groups, fc }
    }
}

impl Airbench {
    /// `[n, 3, h, w]` -> logits `[n, classes]` (h, w >= 16).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x = gelu(self.whiten.forward(x));
        for g in &self.groups {
            x = g.forward(x);
        }
        // airbench's MaxPool2d(3) on the 3x3 maps of a 32 px image: the max over all of them.
        let x = x.max_dim(3).max_dim(2).flatten::<2>(1, 3);
        self.fc.forward(x).mul_scalar(LOGIT_SCALE)
    }

    pub fn describe(&self, input: [usize; 3], s: &mut Summary) {
        let mut x = s.conv("whiten", &self.whiten, input);
        for (i, g) in self.groups.iter().enumerate() {
            x = g.describe(&format!("group{}", i + 1), x, s);
        }
        let x = s.pool("pool", "max pool", x, x[1], x[1].max(1), 0, false);
        s.linear("fc", &self.fc, x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::trainable_params;

    /// Counted by hand as PyTorch's `parameters()` counts airbench94's `make_net()` (frozen
    /// ones included): whiten 24*3*2*2 + 24 = 312; group 1: 64*24*9 + 64*64*9 + 2*(64 + 64) =
    /// 50,944; group 2: 256*64*9 + 256*256*9 + 2*512 = 738,304; group 3: 2*256*256*9 + 1,024
    /// = 1,180,672; fc 256*10 = 2,560. Total 1,972,792 (torch prints the same).
    #[test]
    fn parameter_count_matches_airbench94() {
        let device = Device::flex();
        let net = AirbenchConfig {
            classes: 10,
            init: InitScheme::Kaiming,
        }
        .init(&device);
        assert_eq!(trainable_params(&net), 1_972_792);
        let mut s = Summary::default();
        net.describe([3, 32, 32], &mut s);
        assert_eq!(s.params(), 1_972_792);
        let logits = net.forward(Tensor::zeros([2, 3, 32, 32], &device));
        assert_eq!(logits.dims(), [2, 10]);
    }

    /// The Dirac init makes the first c_in output channels copy the input channels.
    #[test]
    fn dirac_filters_pass_their_channel_through() {
        let device = Device::flex();
        let c = dirac_conv([2, 3], InitScheme::Kaiming, &device);
        let x = Tensor::<4>::from_floats(
            [[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]],
            &device,
        );
        let y = c.forward(x.clone()).slice([0..1, 0..2]);
        let (y, x) = (
            y.into_data().convert::<f32>(),
            x.into_data().convert::<f32>(),
        );
        assert_eq!(y.as_slice::<f32>().unwrap(), x.as_slice::<f32>().unwrap());
    }
}
