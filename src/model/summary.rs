//! The architecture summary behind `botui model`: one row per layer with its output shape,
//! parameters and multiply-accumulates for one image.
//!
//! Parameters are conv weights and biases, BN gamma and beta and FC weights and biases, as
//! PyTorch's `parameters()` counts them; BN running statistics are buffers, not parameters.
//! MACs count convolutions and the FC layer (what the paper calls FLOPs); BN, ReLU, pooling and
//! the residual additions are not counted, like torchvision's and timm's published numbers.

use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, Linear};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LayerRow {
    pub name: String,
    pub kind: String,
    /// `[channels, height, width]` after this layer.
    pub output: [usize; 3],
    pub params: usize,
    pub macs: u64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Summary {
    pub rows: Vec<LayerRow>,
}

impl Summary {
    pub fn params(&self) -> usize {
        self.rows.iter().map(|r| r.params).sum()
    }

    pub fn macs(&self) -> u64 {
        self.rows.iter().map(|r| r.macs).sum()
    }

    fn push(&mut self, name: &str, kind: String, output: [usize; 3], params: usize, macs: u64) {
        self.rows.push(LayerRow {
            name: name.to_string(),
            kind,
            output,
            params,
            macs,
        });
    }

    /// Records a convolution applied to `input`; returns its output shape.
    pub fn conv(&mut self, name: &str, conv: &Conv2d, input: [usize; 3]) -> [usize; 3] {
        let [c_out, c_in_per_group, kh, kw] = conv.weight.shape().dims();
        let (ph, pw) = match conv.padding {
            burn::nn::PaddingConfig2d::Explicit(top, left, _, _) => (top, left),
            burn::nn::PaddingConfig2d::Valid => (0, 0),
            burn::nn::PaddingConfig2d::Same => (kh / 2, kw / 2),
        };
        let h = out_size(input[1], kh, conv.stride[0], ph, false);
        let w = out_size(input[2], kw, conv.stride[1], pw, false);
        let bias = conv.bias.as_ref().map_or(0, |_| c_out);
        let weights = c_out * c_in_per_group * kh * kw;
        let macs = (weights * h * w) as u64;
        let kind = format!(
            "conv {kh}x{kw}/{} {}->{c_out}{}",
            conv.stride[0],
            c_in_per_group * conv.groups,
            if conv.groups > 1 {
                format!(" groups {}", conv.groups)
            } else {
                String::new()
            }
        );
        self.push(name, kind, [c_out, h, w], weights + bias, macs);
        [c_out, h, w]
    }

    pub fn bn(&mut self, name: &str, bn: &BatchNorm, input: [usize; 3]) {
        let [c] = bn.gamma.shape().dims();
        self.push(name, "batch norm".into(), input, 2 * c, 0);
    }

    /// A pooling window (max or average); returns the output shape.
    #[allow(clippy::too_many_arguments)]
    pub fn pool(
        &mut self,
        name: &str,
        kind: &str,
        input: [usize; 3],
        kernel: usize,
        stride: usize,
        padding: usize,
        ceil: bool,
    ) -> [usize; 3] {
        let h = out_size(input[1], kernel, stride, padding, ceil);
        let w = out_size(input[2], kernel, stride, padding, ceil);
        let out = [input[0], h, w];
        self.push(
            name,
            format!("{kind} {kernel}x{kernel}/{stride}"),
            out,
            0,
            0,
        );
        out
    }

    pub fn global_pool(&mut self, name: &str, input: [usize; 3]) -> [usize; 3] {
        let out = [input[0], 1, 1];
        self.push(name, "global avg pool".into(), out, 0, 0);
        out
    }

    pub fn linear(&mut self, name: &str, fc: &Linear, input: [usize; 3]) -> [usize; 3] {
        let [d_in, d_out] = fc.weight.shape().dims();
        let bias = fc.bias.as_ref().map_or(0, |_| d_out);
        let _ = input;
        self.push(
            name,
            format!("linear {d_in}->{d_out}"),
            [d_out, 1, 1],
            d_in * d_out + bias,
            (d_in * d_out) as u64,
        );
        [d_out, 1, 1]
    }
}

/// Output side of a convolution or pooling window along one axis (PyTorch's formula).
pub fn out_size(input: usize, kernel: usize, stride: usize, padding: usize, ceil: bool) -> usize {
    let span = input + 2 * padding;
    if span < kernel {
        return 0;
    }
    let steps = span - kernel;
    let mut out = if ceil {
        steps.div_ceil(stride) + 1
    } else {
        steps / stride + 1
    };
    // PyTorch: in ceil mode the last window must start inside the input or its left padding.
    if ceil && (out - 1) * stride >= input + padding {
        out -= 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_size_matches_pytorch() {
        assert_eq!(out_size(224, 7, 2, 3, false), 112);
        assert_eq!(out_size(112, 3, 2, 1, false), 56);
        // avg pool 2x2/2 in ceil mode on an odd side keeps the partial window.
        assert_eq!(out_size(7, 2, 2, 0, true), 4);
        assert_eq!(out_size(7, 2, 2, 0, false), 3);
        assert_eq!(out_size(299, 3, 2, 0, false), 149);
    }
}
