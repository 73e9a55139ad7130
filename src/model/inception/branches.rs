//! The machinery Inception-V3's mixed blocks share: BasicConv2d units (torchvision's
//! conv without bias + BN with eps 0.001 + ReLU), branches of units, the pool branches and the
//! concatenation, for the forward pass and for the summary alike (one list of units per block
//! feeds both, so they cannot disagree).

use burn::nn::PaddingConfig2d;
use burn::nn::pool::{AvgPool2dConfig, MaxPool2dConfig};
use burn::tensor::{Device, Tensor};

use super::super::layers::{ConvBnRelu, InitScheme};
use super::super::summary::{LayerRow, Summary};

/// torchvision's BatchNorm epsilon in BasicConv2d.
pub const BN_EPS: f64 = 1e-3;

/// Builds BasicConv2d units with one init scheme on one device.
pub(super) struct Units<'a> {
    pub init: InitScheme,
    pub device: &'a Device,
}

impl Units<'_> {
    /// conv `kernel` with `stride` and `padding` -> BN (eps 0.001) -> ReLU.
    pub fn conv(
        &self,
        channels: [usize; 2],
        kernel: [usize; 2],
        stride: usize,
        padding: [usize; 2],
    ) -> ConvBnRelu {
        ConvBnRelu::new(channels, kernel, stride, padding, 1, self.init, self.device)
            .with_bn_eps(BN_EPS)
    }

    pub fn c1x1(&self, c_in: usize, c_out: usize) -> ConvBnRelu {
        self.conv([c_in, c_out], [1, 1], 1, [0, 0])
    }

    /// A square kernel, stride 1, padded to keep the size.
    pub fn same(&self, c_in: usize, c_out: usize, k: usize) -> ConvBnRelu {
        self.conv([c_in, c_out], [k, k], 1, [k / 2, k / 2])
    }

    /// 1x`k` (`wide`) or `k`x1, stride 1, padded to keep the size.
    pub fn line(&self, c_in: usize, c_out: usize, k: usize, wide: bool) -> ConvBnRelu {
        if wide {
            self.conv([c_in, c_out], [1, k], 1, [0, k / 2])
        } else {
            self.conv([c_in, c_out], [k, 1], 1, [k / 2, 0])
        }
    }

    /// 3x3, stride 2, no padding: the reduction blocks' downsampling conv.
    pub fn reduce(&self, c_in: usize, c_out: usize) -> ConvBnRelu {
        self.conv([c_in, c_out], [3, 3], 2, [0, 0])
    }
}

/// One branch: BasicConv2d units applied in order, each with its torchvision name.
pub(super) type Branch<'a> = Vec<(&'static str, &'a ConvBnRelu)>;

/// The last branch of a block.
pub(super) enum PoolBranch<'a> {
    /// 3x3 average pool, stride 1, padding 1, padding counted, then a 1x1 unit.
    Avg(&'a ConvBnRelu),
    /// 3x3 max pool, stride 2, no padding.
    Max,
}

/// Runs every branch on `x` and concatenates the outputs along the channels.
pub(super) fn forward_branches(branches: &[Branch], pool: PoolBranch, x: Tensor<4>) -> Tensor<4> {
    let mut outs: Vec<Tensor<4>> = branches
        .iter()
        .map(|b| b.iter().fold(x.clone(), |x, (_, unit)| unit.forward(x)))
        .collect();
    outs.push(match pool {
        PoolBranch::Avg(unit) => unit.forward(branch_avg_pool(x)),
        PoolBranch::Max => max_pool_3x3_s2(x),
    });
    Tensor::cat(outs, 1)
}

/// Records every branch's units, the pool branch and the concatenation; returns the output.
pub(super) fn describe_branches(
    block: &str,
    branches: &[Branch],
    pool: PoolBranch,
    x: [usize; 3],
    s: &mut Summary,
) -> [usize; 3] {
    let mut parts: Vec<[usize; 3]> = branches
        .iter()
        .map(|b| describe_chain(block, b, x, s))
        .collect();
    parts.push(match pool {
        PoolBranch::Avg(unit) => {
            let pooled = s.pool(&format!("{block}.avg_pool"), "avg pool", x, 3, 1, 1, false);
            unit.describe(&format!("{block}.branch_pool"), pooled, s)
        }
        PoolBranch::Max => s.pool(&format!("{block}.max_pool"), "max pool", x, 3, 2, 0, false),
    });
    describe_cat(block, &parts, s)
}

/// Records the units of one branch in order; returns its output shape.
fn describe_chain(
    block: &str,
    units: &[(&str, &ConvBnRelu)],
    input: [usize; 3],
    s: &mut Summary,
) -> [usize; 3] {
    units.iter().fold(input, |x, (name, unit)| {
        unit.describe(&format!("{block}.{name}"), x, s)
    })
}

/// 3x3 average pool, stride 1, padding 1, padding counted (torchvision's pool branches).
pub(super) fn branch_avg_pool(x: Tensor<4>) -> Tensor<4> {
    AvgPool2dConfig::new([3, 3])
        .with_strides([1, 1])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_count_include_pad(true)
        .init()
        .forward(x)
}

/// 3x3 max pool, stride 2, no padding (the reduction blocks' pool branch).
fn max_pool_3x3_s2(x: Tensor<4>) -> Tensor<4> {
    MaxPool2dConfig::new([3, 3])
        .with_strides([2, 2])
        .init()
        .forward(x)
}

/// The concatenation row that closes a block: its output is the block's output.
pub(super) fn describe_cat(block: &str, parts: &[[usize; 3]], s: &mut Summary) -> [usize; 3] {
    let [_, h, w] = parts[0];
    debug_assert!(parts.iter().all(|p| p[1] == h && p[2] == w), "{parts:?}");
    let out = [parts.iter().map(|p| p[0]).sum(), h, w];
    s.rows.push(LayerRow {
        name: format!("{block}.cat"),
        kind: format!("concat {} branches", parts.len()),
        output: out,
        params: 0,
        macs: 0,
    });
    out
}
