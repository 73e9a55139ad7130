//! Inception-V3's mixed blocks, as torchvision's `InceptionA` .. `InceptionE` build them.
//!
//! Every branch is a chain of BasicConv2d units; the branches' outputs are concatenated along
//! the channels in torchvision's order. The pool branches use a 3x3 average pool with stride 1
//! and padding 1 that counts the padding (`F.avg_pool2d(x, 3, stride=1, padding=1)`) or, in
//! the reduction blocks, a 3x3 max pool with stride 2 and no padding.

use burn::module::Module;
use burn::tensor::Tensor;

use super::super::layers::ConvBnRelu;
use super::super::summary::Summary;
use super::branches::{
    Branch, PoolBranch, Units, branch_avg_pool, describe_branches, describe_cat, forward_branches,
};

/// Mixed_5b/c/d (35x35 at 299): 1x1 | 1x1 -> 5x5 | 1x1 -> 3x3 -> 3x3 | avg pool -> 1x1.
#[derive(Module, Debug)]
pub struct InceptionA {
    pub branch1x1: ConvBnRelu,
    pub branch5x5_1: ConvBnRelu,
    pub branch5x5_2: ConvBnRelu,
    pub branch3x3dbl_1: ConvBnRelu,
    pub branch3x3dbl_2: ConvBnRelu,
    pub branch3x3dbl_3: ConvBnRelu,
    pub branch_pool: ConvBnRelu,
}

impl InceptionA {
    pub(super) fn new(c_in: usize, pool_features: usize, u: &Units) -> Self {
        Self {
            branch1x1: u.c1x1(c_in, 64),
            branch5x5_1: u.c1x1(c_in, 48),
            branch5x5_2: u.same(48, 64, 5),
            branch3x3dbl_1: u.c1x1(c_in, 64),
            branch3x3dbl_2: u.same(64, 96, 3),
            branch3x3dbl_3: u.same(96, 96, 3),
            branch_pool: u.c1x1(c_in, pool_features),
        }
    }

    fn branches(&self) -> (Vec<Branch<'_>>, PoolBranch<'_>) {
        let convs = vec![
            vec![("branch1x1", &self.branch1x1)],
            vec![
                ("branch5x5_1", &self.branch5x5_1),
                ("branch5x5_2", &self.branch5x5_2),
            ],
            vec![
                ("branch3x3dbl_1", &self.branch3x3dbl_1),
                ("branch3x3dbl_2", &self.branch3x3dbl_2),
                ("branch3x3dbl_3", &self.branch3x3dbl_3),
            ],
        ];
        (convs, PoolBranch::Avg(&self.branch_pool))
    }

    /// `[n, c, h, w]` -> `[n, 224 + pool_features, h, w]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let (convs, pool) = self.branches();
        forward_branches(&convs, pool, x)
    }

    pub(super) fn describe(&self, name: &str, x: [usize; 3], s: &mut Summary) -> [usize; 3] {
        let (convs, pool) = self.branches();
        describe_branches(name, &convs, pool, x, s)
    }
}

/// Mixed_6a (35 -> 17 at 299): 3x3/2 | 1x1 -> 3x3 -> 3x3/2 | max pool 3x3/2.
#[derive(Module, Debug)]
pub struct InceptionB {
    pub branch3x3: ConvBnRelu,
    pub branch3x3dbl_1: ConvBnRelu,
    pub branch3x3dbl_2: ConvBnRelu,
    pub branch3x3dbl_3: ConvBnRelu,
}

impl InceptionB {
    pub(super) fn new(c_in: usize, u: &Units) -> Self {
        Self {
            branch3x3: u.reduce(c_in, 384),
            branch3x3dbl_1: u.c1x1(c_in, 64),
            branch3x3dbl_2: u.same(64, 96, 3),
            branch3x3dbl_3: u.reduce(96, 96),
        }
    }

    fn branches(&self) -> (Vec<Branch<'_>>, PoolBranch<'_>) {
        let convs = vec![
            vec![("branch3x3", &self.branch3x3)],
            vec![
                ("branch3x3dbl_1", &self.branch3x3dbl_1),
                ("branch3x3dbl_2", &self.branch3x3dbl_2),
                ("branch3x3dbl_3", &self.branch3x3dbl_3),
            ],
        ];
        (convs, PoolBranch::Max)
    }

    /// `[n, c, h, w]` -> `[n, 480 + c, (h - 3) / 2 + 1, (w - 3) / 2 + 1]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let (convs, pool) = self.branches();
        forward_branches(&convs, pool, x)
    }

    pub(super) fn describe(&self, name: &str, x: [usize; 3], s: &mut Summary) -> [usize; 3] {
        let (convs, pool) = self.branches();
        describe_branches(name, &convs, pool, x, s)
    }
}

/// Mixed_6b..6e (17x17 at 299), factorized 7x7 convs: 1x1 | 1x1 -> 1x7 -> 7x1 |
/// 1x1 -> 7x1 -> 1x7 -> 7x1 -> 1x7 | avg pool -> 1x1.
#[derive(Module, Debug)]
pub struct InceptionC {
    pub branch1x1: ConvBnRelu,
    pub branch7x7_1: ConvBnRelu,
    pub branch7x7_2: ConvBnRelu,
    pub branch7x7_3: ConvBnRelu,
    pub branch7x7dbl_1: ConvBnRelu,
    pub branch7x7dbl_2: ConvBnRelu,
    pub branch7x7dbl_3: ConvBnRelu,
    pub branch7x7dbl_4: ConvBnRelu,
    pub branch7x7dbl_5: ConvBnRelu,
    pub branch_pool: ConvBnRelu,
}

impl InceptionC {
    pub(super) fn new(c_in: usize, c7: usize, u: &Units) -> Self {
        Self {
            branch1x1: u.c1x1(c_in, 192),
            branch7x7_1: u.c1x1(c_in, c7),
            branch7x7_2: u.line(c7, c7, 7, true),
            branch7x7_3: u.line(c7, 192, 7, false),
            branch7x7dbl_1: u.c1x1(c_in, c7),
            branch7x7dbl_2: u.line(c7, c7, 7, false),
            branch7x7dbl_3: u.line(c7, c7, 7, true),
            branch7x7dbl_4: u.line(c7, c7, 7, false),
            branch7x7dbl_5: u.line(c7, 192, 7, true),
            branch_pool: u.c1x1(c_in, 192),
        }
    }

    fn branches(&self) -> (Vec<Branch<'_>>, PoolBranch<'_>) {
        let convs = vec![
            vec![("branch1x1", &self.branch1x1)],
            vec![
                ("branch7x7_1", &self.branch7x7_1),
                ("branch7x7_2", &self.branch7x7_2),
                ("branch7x7_3", &self.branch7x7_3),
            ],
            vec![
                ("branch7x7dbl_1", &self.branch7x7dbl_1),
                ("branch7x7dbl_2", &self.branch7x7dbl_2),
                ("branch7x7dbl_3", &self.branch7x7dbl_3),
                ("branch7x7dbl_4", &self.branch7x7dbl_4),
                ("branch7x7dbl_5", &self.branch7x7dbl_5),
            ],
        ];
        (convs, PoolBranch::Avg(&self.branch_pool))
    }

    /// `[n, c, h, w]` -> `[n, 768, h, w]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let (convs, pool) = self.branches();
        forward_branches(&convs, pool, x)
    }

    pub(super) fn describe(&self, name: &str, x: [usize; 3], s: &mut Summary) -> [usize; 3] {
        let (convs, pool) = self.branches();
        describe_branches(name, &convs, pool, x, s)
    }
}

/// Mixed_7a (17 -> 8 at 299): 1x1 -> 3x3/2 | 1x1 -> 1x7 -> 7x1 -> 3x3/2 | max pool 3x3/2.
#[derive(Module, Debug)]
pub struct InceptionD {
    pub branch3x3_1: ConvBnRelu,
    pub branch3x3_2: ConvBnRelu,
    pub branch7x7x3_1: ConvBnRelu,
    pub branch7x7x3_2: ConvBnRelu,
    pub branch7x7x3_3: ConvBnRelu,
    pub branch7x7x3_4: ConvBnRelu,
}

impl InceptionD {
    pub(super) fn new(c_in: usize, u: &Units) -> Self {
        Self {
            branch3x3_1: u.c1x1(c_in, 192),
            branch3x3_2: u.reduce(192, 320),
            branch7x7x3_1: u.c1x1(c_in, 192),
            branch7x7x3_2: u.line(192, 192, 7, true),
            branch7x7x3_3: u.line(192, 192, 7, false),
            branch7x7x3_4: u.reduce(192, 192),
        }
    }

    fn branches(&self) -> (Vec<Branch<'_>>, PoolBranch<'_>) {
        let convs = vec![
            vec![
                ("branch3x3_1", &self.branch3x3_1),
                ("branch3x3_2", &self.branch3x3_2),
            ],
            vec![
                ("branch7x7x3_1", &self.branch7x7x3_1),
                ("branch7x7x3_2", &self.branch7x7x3_2),
                ("branch7x7x3_3", &self.branch7x7x3_3),
                ("branch7x7x3_4", &self.branch7x7x3_4),
            ],
        ];
        (convs, PoolBranch::Max)
    }

    /// `[n, c, h, w]` -> `[n, 512 + c, (h - 3) / 2 + 1, (w - 3) / 2 + 1]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let (convs, pool) = self.branches();
        forward_branches(&convs, pool, x)
    }

    pub(super) fn describe(&self, name: &str, x: [usize; 3], s: &mut Summary) -> [usize; 3] {
        let (convs, pool) = self.branches();
        describe_branches(name, &convs, pool, x, s)
    }
}

/// Mixed_7b/7c (8x8 at 299), expanded filter banks: 1x1 | 1x1 -> (1x3, 3x1) |
/// 1x1 -> 3x3 -> (1x3, 3x1) | avg pool -> 1x1.
#[derive(Module, Debug)]
pub struct InceptionE {
    pub branch1x1: ConvBnRelu,
    pub branch3x3_1: ConvBnRelu,
    pub branch3x3_2a: ConvBnRelu,
    pub branch3x3_2b: ConvBnRelu,
    pub branch3x3dbl_1: ConvBnRelu,
    pub branch3x3dbl_2: ConvBnRelu,
    pub branch3x3dbl_3a: ConvBnRelu,
    pub branch3x3dbl_3b: ConvBnRelu,
    pub branch_pool: ConvBnRelu,
}

impl InceptionE {
    pub(super) fn new(c_in: usize, u: &Units) -> Self {
        Self {
            branch1x1: u.c1x1(c_in, 320),
            branch3x3_1: u.c1x1(c_in, 384),
            branch3x3_2a: u.line(384, 384, 3, true),
            branch3x3_2b: u.line(384, 384, 3, false),
            branch3x3dbl_1: u.c1x1(c_in, 448),
            branch3x3dbl_2: u.same(448, 384, 3),
            branch3x3dbl_3a: u.line(384, 384, 3, true),
            branch3x3dbl_3b: u.line(384, 384, 3, false),
            branch_pool: u.c1x1(c_in, 192),
        }
    }

    /// `[n, c, h, w]` -> `[n, 2048, h, w]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b1 = self.branch1x1.forward(x.clone());
        let t = self.branch3x3_1.forward(x.clone());
        let b3a = self.branch3x3_2a.forward(t.clone());
        let b3b = self.branch3x3_2b.forward(t);
        let t = self.branch3x3dbl_1.forward(x.clone());
        let t = self.branch3x3dbl_2.forward(t);
        let bda = self.branch3x3dbl_3a.forward(t.clone());
        let bdb = self.branch3x3dbl_3b.forward(t);
        let bp = self.branch_pool.forward(branch_avg_pool(x));
        // torchvision concatenates the split pairs first; the flat order is the same.
        Tensor::cat(vec![b1, b3a, b3b, bda, bdb, bp], 1)
    }

    pub(super) fn describe(&self, name: &str, x: [usize; 3], s: &mut Summary) -> [usize; 3] {
        let mut unit =
            |field: &str, unit: &ConvBnRelu, x| unit.describe(&format!("{name}.{field}"), x, s);
        let b1 = unit("branch1x1", &self.branch1x1, x);
        let t = unit("branch3x3_1", &self.branch3x3_1, x);
        let b3a = unit("branch3x3_2a", &self.branch3x3_2a, t);
        let b3b = unit("branch3x3_2b", &self.branch3x3_2b, t);
        let t = unit("branch3x3dbl_1", &self.branch3x3dbl_1, x);
        let t = unit("branch3x3dbl_2", &self.branch3x3dbl_2, t);
        let bda = unit("branch3x3dbl_3a", &self.branch3x3dbl_3a, t);
        let bdb = unit("branch3x3dbl_3b", &self.branch3x3dbl_3b, t);
        let pooled = s.pool(&format!("{name}.avg_pool"), "avg pool", x, 3, 1, 1, false);
        let bp = self
            .branch_pool
            .describe(&format!("{name}.branch_pool"), pooled, s);
        describe_cat(name, &[b1, b3a, b3b, bda, bdb, bp], s)
    }
}
