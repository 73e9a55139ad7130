//! Convolution (groups 1) forward and both backward passes as GEMMs over column tiles, NCHW.
//!
//! The output positions of a batch are cut into tiles of about [`tile_columns`] columns: part
//! of one image's plane, or several whole images when planes are small. For each tile the input
//! patches are unfolded into a `[c_in * kh * kw, columns]` matrix small enough to stay in the
//! L2 cache (im2col, skipped for a 1x1 stride-1 convolution, whose input already is that
//! matrix), and
//! - forward: `y[tile] = w [c_out, k] * col`,
//! - weight gradient: `dw += dy[tile] * col^T`, one accumulator per thread, summed at the end,
//! - input gradient: `dcol = w^T * dy[tile]`, folded back onto the input (col2im).
//!
//! Threads own whole images (a tile of several images, or all the tiles of one), so they write
//! disjoint parts of `y` and `dx` and need no locks. All products go through [`matmul`].

use std::ops::Range;

use rayon::prelude::*;

use super::geometry::ConvGeometry;
use super::matmul::{Mat, matmul};
use super::parallel::threads;
use super::simd::multiversion;

/// `y = conv(x, weight)`; `weight` is `[c_out, c_in, kh, kw]`, `y` `[n, c_out, oh, ow]`.
pub fn forward(x: &[f32], weight: &[f32], g: &ConvGeometry, y: &mut [f32]) {
    forward_tiled(x, weight, g, y, &Plan::new(g, None));
}

fn forward_tiled(x: &[f32], weight: &[f32], g: &ConvGeometry, y: &mut [f32], plan: &Plan) {
    check(x, weight, g);
    assert_eq!(y.len(), g.y_len(), "conv output");
    let per_image = g.channels_out * g.out_plane();
    plan.par_images(y, per_image, |images, y| {
        let mut col = Vec::new();
        let mut out = Vec::new();
        for tile in plan.tiles(images.clone()) {
            let cols = tile.columns();
            let col = columns(x, g, plan, &tile, &mut col);
            let local = (tile.images.start - images.start) * per_image;
            if tile.is_single() {
                let y = &mut y[local + tile.positions.start..];
                matmul(y, g.out_plane(), plan.weight(weight), col, false);
            } else {
                out.resize(g.channels_out * cols, 0.0);
                matmul(&mut out, cols, plan.weight(weight), col, false);
                scatter_images(&out, g, &tile, &mut y[local..]);
            }
        }
    });
}

/// The weight gradient, and the input gradient into `x_grad` (zeroed by the caller) when given.
pub fn backward(
    x: &[f32],
    weight: &[f32],
    y_grad: &[f32],
    g: &ConvGeometry,
    x_grad: Option<&mut [f32]>,
) -> Vec<f32> {
    backward_tiled(x, weight, y_grad, g, x_grad, &Plan::new(g, None))
}

fn backward_tiled(
    x: &[f32],
    weight: &[f32],
    y_grad: &[f32],
    g: &ConvGeometry,
    x_grad: Option<&mut [f32]>,
    plan: &Plan,
) -> Vec<f32> {
    check(x, weight, g);
    assert_eq!(y_grad.len(), g.y_len(), "conv output gradient");
    let k = plan.k;
    let w_len = g.channels_out * k;
    let work = |images: Range<usize>, mut dx: Option<&mut [f32]>| {
        let mut w_grad = vec![0f32; w_len];
        let (mut col, mut dcol, mut dy_tile) = (Vec::new(), Vec::new(), Vec::new());
        for tile in plan.tiles(images.clone()) {
            let cols = tile.columns();
            let dy = if tile.is_single() {
                let start = tile.images.start * g.channels_out * g.out_plane();
                Mat::rows(
                    &y_grad[start + tile.positions.start..],
                    g.channels_out,
                    cols,
                    g.out_plane(),
                )
            } else {
                gather_images(y_grad, g, &tile, &mut dy_tile);
                Mat::rows(&dy_tile, g.channels_out, cols, cols)
            };
            let col_mat = columns(x, g, plan, &tile, &mut col);
            matmul(&mut w_grad, k, dy, col_mat.t(), true);

            let Some(dx) = dx.as_deref_mut() else {
                continue;
            };
            let local = (tile.images.start - images.start) * g.channels_in * g.in_plane();
            if plan.pointwise && tile.is_single() {
                let dx = &mut dx[local + tile.positions.start..];
                matmul(dx, g.in_plane(), plan.weight(weight).t(), dy, false);
            } else {
                dcol.resize(k * cols, 0.0);
                matmul(&mut dcol, cols, plan.weight(weight).t(), dy, false);
                col2im(&dcol, g, plan, &tile, &mut dx[local..]);
            }
        }
        w_grad
    };
    let parts = match x_grad {
        Some(dx) => {
            assert_eq!(dx.len(), g.x_len(), "conv input gradient");
            plan.par_images(dx, g.channels_in * g.in_plane(), |images, dx| {
                work(images, Some(dx))
            })
        }
        None => plan
            .thread_images()
            .into_par_iter()
            .map(|images| work(images, None))
            .collect(),
    };
    sum(parts)
}

fn check(x: &[f32], weight: &[f32], g: &ConvGeometry) {
    assert_eq!(x.len(), g.x_len(), "conv input");
    assert_eq!(
        weight.len(),
        g.channels_out * g.channels_in * g.kernel_area(),
        "conv weight"
    );
}

/// Adds the per-thread weight gradients into the first.
fn sum(parts: Vec<Vec<f32>>) -> Vec<f32> {
    let mut parts = parts.into_iter();
    let mut total = parts.next().unwrap_or_default();
    for part in parts {
        total.iter_mut().zip(&part).for_each(|(t, p)| *t += p);
    }
    total
}

/// Columns per tile: the unfolded tile (`k x columns` floats) about 1 MiB, so that it and the
/// packed copy gemm makes of it stay in L2; at least 256 so that each weight element loaded
/// into the product is used that many times.
fn tile_columns(k: usize) -> usize {
    ((1 << 18) / k.max(1)).clamp(256, 4096)
}

/// Output positions `positions` of images `images`; several images only with whole planes.
#[derive(Debug, Clone)]
struct Tile {
    images: Range<usize>,
    positions: Range<usize>,
    /// Index of `positions` in [`Plan::position_tiles`] (and of its runs).
    position_tile: usize,
}

impl Tile {
    fn columns(&self) -> usize {
        self.images.len() * self.positions.len()
    }

    fn is_single(&self) -> bool {
        self.images.len() == 1
    }
}

/// A contiguous run of one unfolded row: `len` columns from `dst`, copied from the input plane
/// at `src` (stride: the convolution's width stride) or zero (padding) when `src` is `None`.
#[derive(Debug, Clone, Copy)]
struct Run {
    dst: usize,
    src: Option<usize>,
    len: usize,
}

/// How a batch is cut into tiles and tiles into threads, and the unfolding runs per kernel tap.
struct Plan {
    g: ConvGeometry,
    /// `c_in * kh * kw`, the depth of every product.
    k: usize,
    pointwise: bool,
    /// Images per tile when a tile holds whole images, else 1.
    images_per_tile: usize,
    /// Position ranges a plane is cut into (one when tiles hold whole images).
    position_tiles: Vec<Range<usize>>,
    /// `runs[tap][tile]`: the runs that unfold kernel tap `tap` over one image's positions in
    /// position tile `tile`.
    runs: Vec<Vec<Vec<Run>>>,
}

impl Plan {
    /// `target`: columns per tile, [`tile_columns`] unless a test asks for others.
    fn new(g: &ConvGeometry, target: Option<usize>) -> Self {
        let k = g.channels_in * g.kernel_area();
        let target = target.unwrap_or_else(|| tile_columns(k)).max(1);
        let plane = g.out_plane().max(1);
        let (images_per_tile, position_tiles) = if plane >= target / 2 || g.batch <= 1 {
            let tiles = plane.div_ceil(target).max(1);
            let ranges: Vec<_> = (0..tiles)
                .map(|t| plane * t / tiles..plane * (t + 1) / tiles)
                .collect();
            (1, ranges)
        } else {
            // Whole images per tile, and a multiple of the thread count of tiles so that the
            // threads get equal shares.
            let t = threads();
            let groups = g.batch.div_ceil(target.div_ceil(plane)).div_ceil(t) * t;
            (
                g.batch.div_ceil(groups.min(g.batch)),
                std::iter::once(0..plane).collect(),
            )
        };
        let runs = (0..g.kernel_area())
            .map(|tap| {
                let (kh, kw) = (tap / g.kernel[1], tap % g.kernel[1]);
                position_tiles
                    .iter()
                    .map(|p| unfold_runs(g, kh, kw, p.clone()))
                    .collect()
            })
            .collect();
        Self {
            g: *g,
            k,
            pointwise: g.is_pointwise(),
            images_per_tile,
            position_tiles,
            runs,
        }
    }

    /// The weight as the `[c_out, k]` matrix of every product.
    fn weight<'a>(&self, weight: &'a [f32]) -> Mat<'a> {
        Mat::rows(weight, self.g.channels_out, self.k, self.k)
    }

    /// Image groups, one per thread (contiguous, tile-aligned, near-equal).
    fn thread_images(&self) -> Vec<Range<usize>> {
        let units = self.g.batch.div_ceil(self.images_per_tile);
        let parts = threads().clamp(1, units.max(1));
        (0..parts)
            .map(|t| {
                let (a, b) = (units * t / parts, units * (t + 1) / parts);
                (a * self.images_per_tile).min(self.g.batch)
                    ..(b * self.images_per_tile).min(self.g.batch)
            })
            .filter(|r| !r.is_empty())
            .collect()
    }

    /// Runs `work(images, part)` on each thread's image group in parallel, `part` being that
    /// group's `per_image`-sized slices of `buffer`; returns the results in order.
    fn par_images<R: Send>(
        &self,
        buffer: &mut [f32],
        per_image: usize,
        work: impl Fn(Range<usize>, &mut [f32]) -> R + Sync,
    ) -> Vec<R> {
        let groups = self.thread_images();
        let mut parts = Vec::with_capacity(groups.len());
        let mut rest = buffer;
        for images in &groups {
            let (part, tail) = rest.split_at_mut(images.len() * per_image);
            parts.push(part);
            rest = tail;
        }
        groups
            .into_par_iter()
            .zip(parts)
            .map(|(images, part)| work(images, part))
            .collect()
    }

    /// The tiles of an image group.
    fn tiles(&self, images: Range<usize>) -> Vec<Tile> {
        if self.images_per_tile > 1 {
            let step = self.images_per_tile;
            images
                .clone()
                .step_by(step)
                .map(|n| Tile {
                    images: n..(n + step).min(images.end),
                    positions: self.position_tiles[0].clone(),
                    position_tile: 0,
                })
                .collect()
        } else {
            images
                .flat_map(|n| {
                    self.position_tiles
                        .iter()
                        .enumerate()
                        .map(move |(position_tile, p)| Tile {
                            images: n..n + 1,
                            positions: p.clone(),
                            position_tile,
                        })
                })
                .collect()
        }
    }
}

/// The runs that unfold tap `(kh, kw)` over positions `positions` of one plane.
fn unfold_runs(g: &ConvGeometry, kh: usize, kw: usize, positions: Range<usize>) -> Vec<Run> {
    let ow_n = g.output[1];
    let rows = g.valid(0, kh);
    let cols = g.valid(1, kw);
    let mut runs = Vec::new();
    let mut push = |dst: usize, src: Option<usize>, len: usize| {
        if len > 0 {
            runs.push(Run { dst, src, len });
        }
    };
    if positions.is_empty() {
        return runs;
    }
    for oh in positions.start / ow_n..=(positions.end - 1) / ow_n {
        let row_start = oh * ow_n;
        let a = positions.start.max(row_start) - row_start;
        let b = positions.end.min(row_start + ow_n) - row_start;
        let dst = row_start + a - positions.start;
        if !rows.contains(&oh) {
            push(dst, None, b - a);
            continue;
        }
        let (va, vb) = (cols.start.clamp(a, b), cols.end.clamp(a, b));
        push(dst, None, va - a);
        if vb > va {
            let ih = g.input_index(0, oh, kh);
            let iw = g.input_index(1, va, kw);
            push(dst + va - a, Some(ih * g.input[1] + iw), vb - va);
        }
        push(dst + vb - a, None, b - vb);
    }
    runs
}

/// The tile's `[k, columns]` matrix: a view of `x` for a single-image 1x1 stride-1 tile, else
/// unfolded into `buffer`.
fn columns<'a>(
    x: &'a [f32],
    g: &ConvGeometry,
    plan: &Plan,
    tile: &Tile,
    buffer: &'a mut Vec<f32>,
) -> Mat<'a> {
    let cols = tile.columns();
    if plan.pointwise && tile.is_single() {
        let start = tile.images.start * g.channels_in * g.in_plane() + tile.positions.start;
        return Mat::rows(&x[start..], plan.k, cols, g.in_plane());
    }
    buffer.resize(plan.k * cols, 0.0);
    im2col(x, g, plan, tile, buffer);
    Mat::rows(buffer, plan.k, cols, cols)
}

multiversion! {
    /// Unfolds the tile's input patches: row `(c, kh, kw)`, column `(image, position)`.
    fn im2col(x: &[f32], g: &ConvGeometry, plan: &Plan, tile: &Tile, col: &mut [f32]) {
        let cols = tile.columns();
        let per_image = tile.positions.len();
        let pt = tile.position_tile;
        let sw = g.stride[1];
        let taps = g.kernel_area();
        for (r, row) in col.chunks_exact_mut(cols).enumerate().take(plan.k) {
            let (c, tap) = (r / taps, r % taps);
            for (i, n) in tile.images.clone().enumerate() {
                let plane = &x[(n * g.channels_in + c) * g.in_plane()..][..g.in_plane()];
                let row = &mut row[i * per_image..][..per_image];
                for run in &plan.runs[tap][pt] {
                    let dst = &mut row[run.dst..][..run.len];
                    match run.src {
                        None => dst.fill(0.0),
                        Some(src) if sw == 1 => dst.copy_from_slice(&plane[src..][..run.len]),
                        Some(src) => {
                            for (j, d) in dst.iter_mut().enumerate() {
                                *d = plane[src + j * sw];
                            }
                        }
                    }
                }
            }
        }
    }
}

multiversion! {
    /// Adds the unfolded gradient `dcol` (rows `(c, kh, kw)`, columns `(image, position)`) back
    /// onto the input gradient of the tile's images; `dx` starts at the tile's first image.
    fn col2im(dcol: &[f32], g: &ConvGeometry, plan: &Plan, tile: &Tile, dx: &mut [f32]) {
        let cols = tile.columns();
        let per_image = tile.positions.len();
        let pt = tile.position_tile;
        let sw = g.stride[1];
        let taps = g.kernel_area();
        for (r, row) in dcol.chunks_exact(cols).enumerate().take(plan.k) {
            let (c, tap) = (r / taps, r % taps);
            for i in 0..tile.images.len() {
                let plane = &mut dx[(i * g.channels_in + c) * g.in_plane()..][..g.in_plane()];
                let row = &row[i * per_image..][..per_image];
                for run in &plan.runs[tap][pt] {
                    let Some(src) = run.src else { continue };
                    let grad = &row[run.dst..][..run.len];
                    if sw == 1 {
                        for (d, v) in plane[src..][..run.len].iter_mut().zip(grad) {
                            *d += v;
                        }
                    } else {
                        for (j, v) in grad.iter().enumerate() {
                            plane[src + j * sw] += v;
                        }
                    }
                }
            }
        }
    }
}

/// `[c_out, images * plane]` (a multi-image tile's product) into NCHW `y`, which starts at the
/// tile's first image.
fn scatter_images(out: &[f32], g: &ConvGeometry, tile: &Tile, y: &mut [f32]) {
    let plane = g.out_plane();
    let cols = tile.columns();
    for (o, row) in out.chunks_exact(cols).enumerate() {
        for i in 0..tile.images.len() {
            y[(i * g.channels_out + o) * plane..][..plane]
                .copy_from_slice(&row[i * plane..][..plane]);
        }
    }
}

/// The transpose of [`scatter_images`]: the tile's images of NCHW `dy` as `[c_out, images *
/// plane]`.
fn gather_images(dy: &[f32], g: &ConvGeometry, tile: &Tile, out: &mut Vec<f32>) {
    let plane = g.out_plane();
    let cols = tile.columns();
    out.resize(g.channels_out * cols, 0.0);
    for (o, row) in out.chunks_exact_mut(cols).enumerate() {
        for (i, n) in tile.images.clone().enumerate() {
            row[i * plane..][..plane]
                .copy_from_slice(&dy[(n * g.channels_out + o) * plane..][..plane]);
        }
    }
}

#[cfg(test)]
mod tests;
