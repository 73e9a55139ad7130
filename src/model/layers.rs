//! Building blocks shared by the zoo: convolutions and linear layers initialized as the paper
//! says (or as GluonCV/timm do), conv + BN (+ ReLU) units, and the shape arithmetic that the
//! architecture summary (`botui model`) uses to count multiply-accumulates.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::kernels;
use super::summary::Summary;

/// How conv and FC weights start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InitScheme {
    /// The paper (Sec. 2): Xavier uniform, a = sqrt(6 / (d_in + d_out)), biases 0.
    #[default]
    Xavier,
    /// What GluonCV's model zoo and timm use: Kaiming normal, fan-out, ReLU gain, for convs;
    /// PyTorch's default uniform for the FC layer.
    Kaiming,
}

impl InitScheme {
    pub fn name(self) -> &'static str {
        match self {
            InitScheme::Xavier => "xavier",
            InitScheme::Kaiming => "kaiming",
        }
    }

    fn conv(self) -> Initializer {
        match self {
            InitScheme::Xavier => Initializer::XavierUniform { gain: 1.0 },
            InitScheme::Kaiming => Initializer::KaimingNormal {
                gain: std::f64::consts::SQRT_2,
                fan_out_only: true,
            },
        }
    }

    fn linear(self) -> Initializer {
        match self {
            InitScheme::Xavier => Initializer::XavierUniform { gain: 1.0 },
            // torch.nn.Linear's default: kaiming_uniform(a = sqrt(5)), i.e. U(-1/sqrt(fan_in), ..).
            InitScheme::Kaiming => Initializer::KaimingUniform {
                gain: 1.0 / 3f64.sqrt(),
                fan_out_only: false,
            },
        }
    }
}

/// Square convolution without bias, padded `padding` on every side.
pub fn conv(
    channels: [usize; 2],
    kernel: usize,
    stride: usize,
    padding: usize,
    init: InitScheme,
    device: &Device,
) -> Conv2d {
    conv_rect(
        channels,
        [kernel, kernel],
        stride,
        [padding, padding],
        1,
        init,
        device,
    )
}

/// Convolution without bias, any kernel shape, groups (depthwise when groups == channels).
pub fn conv_rect(
    channels: [usize; 2],
    kernel: [usize; 2],
    stride: usize,
    padding: [usize; 2],
    groups: usize,
    init: InitScheme,
    device: &Device,
) -> Conv2d {
    Conv2dConfig::new(channels, kernel)
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(
            padding[0], padding[1], padding[0], padding[1],
        ))
        .with_groups(groups)
        .with_bias(false)
        .with_initializer(init.conv())
        .init(device)
}

/// Fully connected classifier with a zero bias under Xavier init (the paper's "biases 0").
pub fn linear(d_input: usize, d_output: usize, init: InitScheme, device: &Device) -> Linear {
    let mut fc = LinearConfig::new(d_input, d_output)
        .with_initializer(init.linear())
        .init(device);
    if init == InitScheme::Xavier {
        fc.bias = Some(Param::from_tensor(Tensor::zeros([d_output], device)));
    }
    fc
}

/// BN with PyTorch's defaults (eps 1e-5, momentum 0.1); gamma 1, beta 0.
pub fn batch_norm(channels: usize, device: &Device) -> BatchNorm {
    BatchNormConfig::new(channels).init(device)
}

/// Sets a BN's gamma to 0: the zero-gamma trick on the last BN of a residual block.
pub fn zero_gamma(bn: &mut BatchNorm) {
    let [c] = bn.gamma.shape().dims();
    let device = bn.gamma.val().device();
    bn.gamma = Param::from_tensor(Tensor::zeros([c], &device));
}

/// conv -> BN -> ReLU, the unit MobileNet and Inception are made of.
#[derive(Module, Debug)]
pub struct ConvBnRelu {
    pub conv: Conv2d,
    pub bn: BatchNorm,
}

impl ConvBnRelu {
    pub fn new(
        channels: [usize; 2],
        kernel: [usize; 2],
        stride: usize,
        padding: [usize; 2],
        groups: usize,
        init: InitScheme,
        device: &Device,
    ) -> Self {
        Self {
            conv: conv_rect(channels, kernel, stride, padding, groups, init, device),
            bn: batch_norm(channels[1], device),
        }
    }

    /// The same unit with another BN epsilon (Inception-V3's BasicConv2d: 1e-3).
    pub fn with_bn_eps(mut self, epsilon: f64) -> Self {
        assert!(epsilon.is_finite() && epsilon > 0.0, "BN epsilon {epsilon}");
        self.bn.epsilon = epsilon;
        self
    }

    /// `[n, c_in, h, w]` -> `[n, c_out, h', w']`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        kernels::relu(kernels::conv_bn(&self.conv, &self.bn, x))
    }

    pub fn describe(&self, name: &str, input: [usize; 3], summary: &mut Summary) -> [usize; 3] {
        let out = summary.conv(&format!("{name}.conv"), &self.conv, input);
        summary.bn(&format!("{name}.bn"), &self.bn, out);
        out
    }
}
