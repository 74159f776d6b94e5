//! Convolution (stride 1, "same" or "valid" padding) and 2x2 max pooling on
//! image batches. Each sample is laid out channel by channel, row-major:
//! index `(c * height + y) * width + x`. A convolution unfolds the whole
//! batch into one patch matrix (im2col) and multiplies it by the filters in
//! one product with `matrixmultiply`; the weight gradient and the input
//! gradient are one product each too. Nothing is allocated: the buffers
//! live in the workspace.

use multiversion::multiversion;
use serde::{Deserialize, Serialize};

use super::Activation;
use super::activation::relu;
use super::gemm::{Real, product};
use super::kernels::{all_finite, non_finite_flag};

/// The shapes of one convolution layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvGeometry {
    pub in_channels: usize,
    pub out_channels: usize,
    pub kernel: usize,
    /// Zero padding on each side (kernel / 2 for "same", 0 for "valid").
    pub pad: usize,
    pub in_height: usize,
    pub in_width: usize,
}

impl ConvGeometry {
    pub fn out_height(&self) -> usize {
        self.in_height + 2 * self.pad + 1 - self.kernel
    }
    pub fn out_width(&self) -> usize {
        self.in_width + 2 * self.pad + 1 - self.kernel
    }
    pub fn inputs(&self) -> usize {
        self.in_channels * self.in_height * self.in_width
    }
    pub fn outputs(&self) -> usize {
        self.out_channels * self.out_height() * self.out_width()
    }
    /// Weights of one output channel: `in_channels x kernel x kernel`.
    pub fn weights_per_filter(&self) -> usize {
        self.in_channels * self.kernel * self.kernel
    }
    /// Output positions of one image: `out_height x out_width`.
    pub fn positions(&self) -> usize {
        self.out_height() * self.out_width()
    }
    /// Size of the patch matrix of `rows` images: `(in_channels k k) x
    /// (rows positions)`.
    pub fn patch_len(&self, rows: usize) -> usize {
        self.weights_per_filter() * rows * self.positions()
    }
}

/// The shapes of one 2x2, stride-2 max pooling layer (an odd last row or
/// column is dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolGeometry {
    pub channels: usize,
    pub in_height: usize,
    pub in_width: usize,
}

impl PoolGeometry {
    pub fn out_height(&self) -> usize {
        self.in_height / 2
    }
    pub fn out_width(&self) -> usize {
        self.in_width / 2
    }
    pub fn inputs(&self) -> usize {
        self.channels * self.in_height * self.in_width
    }
    pub fn outputs(&self) -> usize {
        self.channels * self.out_height() * self.out_width()
    }
}

/// For kernel offset `k` (a row or column tap), the output positions whose
/// input is inside the image, `first..last`, and the input index of the
/// first: the rest of a patch-matrix row is padding.
#[inline]
fn inside(out_len: usize, in_len: usize, pad: usize, k: usize) -> (usize, usize, usize) {
    let first = pad.saturating_sub(k);
    let last = (in_len + pad).saturating_sub(k).min(out_len).max(first);
    (first, last, first + k - pad)
}

/// Unfolds `rows` images into one patch matrix for the whole batch
/// (im2col): row `(c, ky, kx)`, column `(image, oy, ox)`, each entry the
/// pixel under that kernel tap, zero where the kernel hangs over the edge.
/// Every entry is written: the matrix can be reused without clearing.
/// Compiled for AVX-512 and AVX2 as well, picked at run time (copies and
/// conversions only: the same numbers).
#[multiversion(targets("x86_64+avx512f+avx512vl+avx512dq+avx2+avx", "x86_64+avx+avx2"))]
pub fn unfold<T: Real>(input: &[f64], rows: usize, g: &ConvGeometry, patches: &mut [T]) {
    let (out_h, out_w, k) = (g.out_height(), g.out_width(), g.kernel);
    let (positions, in_size, plane) = (g.positions(), g.inputs(), g.in_height * g.in_width);
    let columns = rows * positions;
    for c in 0..g.in_channels {
        for ky in 0..k {
            let (y0, y1, iy0) = inside(out_h, g.in_height, g.pad, ky);
            for kx in 0..k {
                let (x0, x1, ix0) = inside(out_w, g.in_width, g.pad, kx);
                let row = &mut patches[((c * k + ky) * k + kx) * columns..][..columns];
                for (image, patch) in input[..rows * in_size].chunks_exact(in_size).zip(row.chunks_exact_mut(positions)) {
                    let channel = &image[c * plane..(c + 1) * plane];
                    patch[..y0 * out_w].fill(T::zero());
                    patch[y1 * out_w..].fill(T::zero());
                    for (oy, out) in (y0..y1).zip(patch[y0 * out_w..y1 * out_w].chunks_exact_mut(out_w)) {
                        let source = &channel[(iy0 + oy - y0) * g.in_width..][..g.in_width];
                        out[..x0].fill(T::zero());
                        copy_run(&source[ix0..ix0 + (x1 - x0)], &mut out[x0..x1]);
                        out[x1..].fill(T::zero());
                    }
                }
            }
        }
    }
}

/// Copies a short run of pixels (a row of the MNIST network's second
/// convolution is 11) into the products' number type: in blocks of 8, the
/// last one overlapping the one before, so the copy is a few vector moves
/// rather than a call to memcpy.
#[inline(always)]
fn copy_run<T: Real>(source: &[f64], target: &mut [T]) {
    const BLOCK: usize = 8;
    let len = target.len();
    let source = &source[..len];
    let convert = |from: &[f64], to: &mut [T]| to.iter_mut().zip(from).for_each(|(t, &s)| *t = T::from_f64(s));
    if len < BLOCK {
        convert(source, target);
        return;
    }
    for (from, to) in source.chunks_exact(BLOCK).zip(target.chunks_exact_mut(BLOCK)) {
        let to: &mut [T; BLOCK] = to.try_into().expect("a block");
        convert(from, to);
    }
    let to: &mut [T; BLOCK] = (&mut target[len - BLOCK..]).try_into().expect("a block");
    convert(&source[len - BLOCK..], to);
}

/// Adds a patch-matrix gradient back onto the pixels it came from
/// (col2im), the transpose of [`unfold`]; `grad_input` is overwritten.
/// Each pixel sums its taps in the order (c, ky, kx), in f64 (compiled for
/// AVX-512 and AVX2 as well: the same additions in the same order).
#[multiversion(targets("x86_64+avx512f+avx512vl+avx512dq+avx2+avx", "x86_64+avx+avx2"))]
pub fn fold<T: Real>(patch_grads: &[T], rows: usize, g: &ConvGeometry, grad_input: &mut [f64]) {
    let (out_h, out_w, k) = (g.out_height(), g.out_width(), g.kernel);
    let (positions, in_size, plane) = (g.positions(), g.inputs(), g.in_height * g.in_width);
    let columns = rows * positions;
    grad_input[..rows * in_size].fill(0.0);
    for c in 0..g.in_channels {
        for ky in 0..k {
            let (y0, y1, iy0) = inside(out_h, g.in_height, g.pad, ky);
            for kx in 0..k {
                let (x0, x1, ix0) = inside(out_w, g.in_width, g.pad, kx);
                let row = &patch_grads[((c * k + ky) * k + kx) * columns..][..columns];
                for (image, patch) in grad_input[..rows * in_size].chunks_exact_mut(in_size).zip(row.chunks_exact(positions)) {
                    let channel = &mut image[c * plane..(c + 1) * plane];
                    for (oy, grads) in (y0..y1).zip(patch[y0 * out_w..y1 * out_w].chunks_exact(out_w)) {
                        let target = &mut channel[(iy0 + oy - y0) * g.in_width..][..g.in_width];
                        for (pixel, &grad) in target[ix0..ix0 + (x1 - x0)].iter_mut().zip(&grads[x0..x1]) {
                            *pixel += grad.to_f64();
                        }
                    }
                }
            }
        }
    }
}

/// The activation a convolution applies as it writes its output, fused so
/// the output is read once.
#[derive(Debug)]
pub struct FusedActivation<'a> {
    pub activation: Activation,
    pub leaky_slope: f64,
    /// `f(pre_activation)`, laid out like it.
    pub out: &'a mut [f64],
}

/// The 2x2 max pool that follows a convolution, computed from each output
/// plane of the convolution as it is written, while it is in the cache.
#[derive(Debug)]
pub struct FusedPool<'a> {
    pub geometry: PoolGeometry,
    /// The pooled output, laid out as the pool layer's.
    pub out: &'a mut [f64],
    /// Which input of its block each output took (0 to 3, row by row), for
    /// the backward pass; empty when there is none (evaluation).
    pub winners: &'a mut [u8],
    /// Room for two planes of the convolution's output, through which they
    /// pass on their way to the pool when the convolution's full output is
    /// not kept (an empty `pre_activation`); empty otherwise.
    pub planes: &'a mut [f64],
}

/// `out[o][oy][ox] = bias[o] + sum over c, ky, kx of in[c][iy][ix] w[o][c][ky][kx]`
/// for `rows` images at once: the batch is unfolded into one patch matrix
/// (kept in `patches` for the backward pass), multiplied by the filters
/// (`weights`, in the products' number type `T`) in one matrix product into
/// `scratch` (channel-major: `[o][image][oy][ox]`), and written back image
/// by image in f64 with the bias and the activation (and the max pool after
/// it, if given). With a pool, `pre_activation` (and the activation's
/// `out`) may be empty: then only the pooled values are written, each plane
/// passing through the pool's `planes` (a training step's backward pass
/// needs no more when the activation's derivative follows from its output).
/// Returns whether every value computed is a finite number (checked while
/// the values are at hand, rather than by a pass over the buffers later).
#[allow(clippy::too_many_arguments)]
pub fn conv_forward<T: Real>(
    input: &[f64],
    rows: usize,
    g: &ConvGeometry,
    weights: &[T],
    bias: &[f64],
    pre_activation: &mut [f64],
    activation: Option<FusedActivation<'_>>,
    pool: Option<FusedPool<'_>>,
    patches: &mut [T],
    scratch: &mut [T],
) -> bool {
    let (positions, per_filter, out_size) = (g.positions(), g.weights_per_filter(), g.outputs());
    let columns = rows * positions;
    unfold(input, rows, g, patches);
    product(g.out_channels, per_filter, columns, weights, false, patches, false, T::zero(), scratch);
    let kept = !pre_activation.is_empty();
    assert!(kept || pool.is_some(), "a convolution without a pool keeps its output");
    let (function, activated) = match activation {
        Some(fused) => (Some((fused.activation, fused.leaky_slope)), fused.out),
        None => (None, &mut [][..]),
    };
    let (pool, pooled, winners, planes) = match pool {
        Some(pool) => (Some(pool.geometry), pool.out, pool.winners, pool.planes),
        None => (None, &mut [][..], &mut [][..], &mut [][..]),
    };
    let mut finite = true;
    for (channel, (&b, products)) in bias.iter().zip(scratch[..g.out_channels * columns].chunks_exact(columns)).enumerate() {
        for (image, run) in products.chunks_exact(positions).enumerate() {
            let at = image * out_size + channel * positions;
            let (pre, out): (&mut [f64], &mut [f64]) = if kept {
                let out = if function.is_some() { &mut activated[at..at + positions] } else { &mut [][..] };
                (&mut pre_activation[at..at + positions], out)
            } else {
                let (pre, out) = planes.split_at_mut(positions);
                (pre, &mut out[..positions])
            };
            let out: &[f64] = match function {
                Some((activation, leaky_slope)) => {
                    finite &= finish_plane(run, b, pre, Some((activation, leaky_slope, &mut *out)));
                    out
                }
                None => {
                    finite &= finish_plane(run, b, pre, None);
                    pre
                }
            };
            if let Some(geometry) = pool {
                let plane = geometry.out_height() * geometry.out_width();
                let from = image * geometry.outputs() + channel * plane;
                let winners = winners.get_mut(from..from + plane);
                pool_plane(out, g.out_height(), g.out_width(), &mut pooled[from..from + plane], winners);
            }
        }
    }
    finite
}

/// One output plane of a convolution: writes `pre = products + bias` and,
/// if asked, the activation of it; returns whether every value written is
/// finite. Relu, the common case, is one pass that checks the
/// pre-activation alone (relu keeps a NaN and maps a finite number to a
/// finite one); compiled for AVX-512 and AVX2 as well, picked at run time
/// (the same bits: additions and selects only).
#[multiversion(targets("x86_64+avx512f+avx512vl+avx512dq+avx2+avx", "x86_64+avx+avx2"))]
fn finish_plane<T: Real>(products: &[T], bias: f64, pre: &mut [f64], activated: Option<(Activation, f64, &mut [f64])>) -> bool {
    let pre = &mut pre[..products.len()];
    match activated {
        Some((Activation::Relu, _, out)) => {
            let mut flags = 0;
            for ((z, a), &product) in pre.iter_mut().zip(&mut out[..products.len()]).zip(products) {
                let value = product.to_f64() + bias;
                *z = value;
                *a = relu(value);
                flags |= non_finite_flag(value);
            }
            flags == 0
        }
        activated => {
            let mut flags = 0;
            for (z, &product) in pre.iter_mut().zip(products) {
                *z = product.to_f64() + bias;
                flags |= non_finite_flag(*z);
            }
            match activated {
                Some((activation, leaky_slope, out)) => {
                    activation.forward(pre, out, leaky_slope);
                    flags == 0 && all_finite(out)
                }
                None => flags == 0,
            }
        }
    }
}

/// Where the backward pass of a convolution starts from.
#[derive(Debug)]
pub enum OutputGradient<'a> {
    /// The gradient of its pre-activation, laid out like its output.
    PreActivation(&'a [f64]),
    /// The gradient of the 2x2 max pool after its activation, with what it
    /// takes to go back through both: each pooled gradient goes straight to
    /// the position that won its block, through the activation's
    /// derivative there, in the gradient's channel-major layout. The
    /// convolution's output is read only at those positions, and only for
    /// activations whose derivative does not follow from their output (see
    /// [`Activation::backward_from_output`]): for the others it may be
    /// empty.
    Pooled {
        geometry: PoolGeometry,
        winners: &'a [u8],
        pooled: &'a [f64],
        grad_pooled: &'a [f64],
        activation: Activation,
        leaky_slope: f64,
        pre_activation: &'a [f64],
        /// The activation's output (the pre-activation for linear).
        activated: &'a [f64],
    },
}

/// The backward pass of [`conv_forward`]: writes the weight and bias
/// gradients and, if asked, the input gradient. `weights` and `patches`
/// must be those of the forward pass of these rows; `scratch`,
/// `patch_grads` and `staging` (a weight gradient in `T`; empty for f64)
/// are scratch. The sums over images and positions are one matrix product
/// each, in an order fixed by the shapes.
#[allow(clippy::too_many_arguments)]
pub fn conv_backward<T: Real>(
    rows: usize,
    g: &ConvGeometry,
    weights: &[T],
    gradient: OutputGradient<'_>,
    grad_weights: &mut [f64],
    grad_bias: &mut [f64],
    grad_input: Option<&mut [f64]>,
    patches: &[T],
    scratch: &mut [T],
    patch_grads: &mut [T],
    staging: &mut [T],
) {
    let (positions, per_filter, out_size) = (g.positions(), g.weights_per_filter(), g.outputs());
    let (channels, columns) = (g.out_channels, rows * positions);
    // The output gradient, channel-major (`[channel][image][position]`) for
    // the input gradient's product, which packs it by rows. The first layer
    // passes no gradient on: its output gradient goes position-major
    // (`[image][position][channel]`), the order in which the weight
    // gradient's product packs it (the channel-major order costs that
    // product a strided copy of the whole matrix).
    let channel_major = grad_input.is_some();
    let place = |channel: usize, column: usize| if channel_major { channel * columns + column } else { column * channels + channel };
    let scratch = &mut scratch[..channels * columns];
    if !channel_major {
        scratch.fill(T::zero());
    }
    let mut gradient = gradient;
    for channel in 0..channels {
        for image in 0..rows {
            let at = image * out_size + channel * positions;
            let first = image * positions;
            match &mut gradient {
                OutputGradient::PreActivation(grad) => {
                    let grad = &grad[at..at + positions];
                    if channel_major {
                        let run = &mut scratch[place(channel, first)..][..positions];
                        run.iter_mut().zip(grad).for_each(|(r, &g)| *r = T::from_f64(g));
                    } else {
                        grad.iter().enumerate().for_each(|(position, &g)| scratch[place(channel, first + position)] = T::from_f64(g));
                    }
                }
                OutputGradient::Pooled { geometry, winners, pooled, grad_pooled, activation, leaky_slope, pre_activation, activated } => {
                    let pooled_plane = geometry.out_height() * geometry.out_width();
                    let from = image * geometry.outputs() + channel * pooled_plane;
                    let winners = &winners[from..from + pooled_plane];
                    let (pooled, grad_pooled) = (&pooled[from..from + pooled_plane], &grad_pooled[from..from + pooled_plane]);
                    if channel_major {
                        scratch[place(channel, first)..][..positions].fill(T::zero());
                    }
                    // The winner's output is the pooled value: relu, tanh and
                    // sigmoid need nothing else, so the convolution's big
                    // output is not read again.
                    for_each_winner(winners, g.out_height(), g.out_width(), |output, position| {
                        let grad = grad_pooled[output];
                        scratch[place(channel, first + position)] =
                            T::from_f64(activation.backward_from_output(pooled[output], grad).unwrap_or_else(|| {
                                let (pre, activated) = (pre_activation[at + position], activated[at + position]);
                                activation.backward_one(pre, activated, grad, *leaky_slope)
                            }));
                    });
                }
            }
        }
    }
    if channel_major {
        row_sums(scratch, columns, grad_bias);
    } else {
        column_sums(scratch, channels, grad_bias);
    }
    T::product_into_f64(channels, columns, per_filter, scratch, !channel_major, patches, true, staging, grad_weights);
    if let Some(grad_input) = grad_input {
        product(per_filter, channels, columns, weights, true, scratch, false, T::zero(), patch_grads);
        fold(patch_grads, rows, g, grad_input);
    }
}

/// Each row's sum in f64 of the row-major `matrix`, `columns` wide: for
/// f64 the bits of `row.iter().sum()` (added in order along the row, from
/// -0.0), but eight rows at a time, so the additions of different rows
/// overlap instead of each waiting for the one before.
fn row_sums<T: Real>(matrix: &[T], columns: usize, sums: &mut [f64]) {
    const BESIDE: usize = 8;
    let full = sums.len() / BESIDE * BESIDE;
    for (group, rows) in sums[..full].chunks_exact_mut(BESIDE).zip(matrix.chunks_exact(BESIDE * columns)) {
        let mut acc = [-0.0; BESIDE];
        for column in 0..columns {
            for (r, sum) in acc.iter_mut().enumerate() {
                *sum += rows[r * columns + column].to_f64();
            }
        }
        group.copy_from_slice(&acc);
    }
    for (sum, row) in sums[full..].iter_mut().zip(matrix[full * columns..].chunks_exact(columns)) {
        *sum = row.iter().map(|v| v.to_f64()).sum();
    }
}

/// Each column's sum in f64 of the row-major `matrix`, `width` wide: the
/// bits of [`row_sums`] of its transpose (each column added in order down
/// the rows, from -0.0), the columns side by side in vector lanes.
fn column_sums<T: Real>(matrix: &[T], width: usize, sums: &mut [f64]) {
    let sums = &mut sums[..width];
    sums.fill(-0.0);
    for row in matrix.chunks_exact(width) {
        sums.iter_mut().zip(row).for_each(|(sum, &v)| *sum += v.to_f64());
    }
}

/// Max of each 2x2 block. A NaN wins, so a non-finite value is never
/// hidden. With `winners` (training), also which input of its block each
/// output took (0 to 3, row by row: the first largest, or the last NaN),
/// for the backward pass.
pub fn pool_forward(input: &[f64], rows: usize, g: &PoolGeometry, out: &mut [f64], winners: &mut [u8]) {
    let (plane_in, plane_out) = (g.in_height * g.in_width, g.out_height() * g.out_width());
    for (index, (plane, pooled)) in input[..rows * g.inputs()].chunks_exact(plane_in).zip(out.chunks_exact_mut(plane_out)).enumerate() {
        let winners = winners.get_mut(index * plane_out..(index + 1) * plane_out);
        pool_plane(plane, g.in_height, g.in_width, pooled, winners);
    }
}

/// 2x2 max pooling of one `height x width` plane (an odd last row or
/// column dropped). Plain indexed loops of selects: the compiler keeps them
/// tight and free of branches on the data, and vectorises them wider when
/// the CPU has AVX2 or AVX-512.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx512dq+avx512bw+avx2+avx", "x86_64+avx+avx2"))]
fn pool_plane(plane: &[f64], height: usize, width: usize, out: &mut [f64], winners: Option<&mut [u8]>) {
    let out_w = width / 2;
    // The larger, or NaN if either is.
    let larger = |x: f64, y: f64| if x > y || x.is_nan() { x } else { y };
    let rows = |oy: usize| (&plane[2 * oy * width..][..2 * out_w], &plane[(2 * oy + 1) * width..][..2 * out_w]);
    match winners {
        None => {
            for oy in 0..height / 2 {
                let (out, (upper, lower)) = (&mut out[oy * out_w..][..out_w], rows(oy));
                for ox in 0..out_w {
                    out[ox] = larger(larger(upper[2 * ox], upper[2 * ox + 1]), larger(lower[2 * ox], lower[2 * ox + 1]));
                }
            }
        }
        Some(winners) => {
            for oy in 0..height / 2 {
                let (out, winners, (upper, lower)) = (&mut out[oy * out_w..][..out_w], &mut winners[oy * out_w..][..out_w], rows(oy));
                if out_w >= 8 {
                    pool_row_in_blocks::<8, 16>(upper, lower, out, winners);
                } else if out_w >= 4 {
                    pool_row_in_blocks::<4, 8>(upper, lower, out, winners);
                } else {
                    pool_row(upper, lower, out, winners);
                }
            }
        }
    }
}

/// [`pool_row`] in blocks of `B` outputs (`B2 = 2 B` inputs), the last one
/// overlapping the one before (pooling an output twice writes the same
/// value): loops of a fixed length, which the compiler vectorises without
/// a scalar tail (a row of the MNIST network's first pool is 13 wide).
#[inline(always)]
fn pool_row_in_blocks<const B: usize, const B2: usize>(upper: &[f64], lower: &[f64], out: &mut [f64], winners: &mut [u8]) {
    let out_w = out.len();
    let mut start = 0;
    while start < out_w {
        let at = start.min(out_w - B);
        let upper: &[f64; B2] = upper[2 * at..][..B2].try_into().expect("a block");
        let lower: &[f64; B2] = lower[2 * at..][..B2].try_into().expect("a block");
        let out: &mut [f64; B] = (&mut out[at..at + B]).try_into().expect("a block");
        let winners: &mut [u8; B] = (&mut winners[at..at + B]).try_into().expect("a block");
        pool_row(upper, lower, out, winners);
        start += B;
    }
}

/// One row of 2x2 blocks: each output the first largest of its block (or
/// the last NaN), and which one it took.
#[inline(always)]
fn pool_row(upper: &[f64], lower: &[f64], out: &mut [f64], winners: &mut [u8]) {
    let out_w = out.len();
    let (upper, lower, winners) = (&upper[..2 * out_w], &lower[..2 * out_w], &mut winners[..out_w]);
    for ox in 0..out_w {
        let (mut best, mut at) = (upper[2 * ox], 0u8);
        for (candidate, index) in [(upper[2 * ox + 1], 1u8), (lower[2 * ox], 2), (lower[2 * ox + 1], 3)] {
            let wins = candidate > best || candidate.is_nan();
            best = if wins { candidate } else { best };
            at = if wins { index } else { at };
        }
        out[ox] = best;
        winners[ox] = at;
    }
}

/// Routes each output's gradient to the input that won its block (see
/// [`pool_forward`]); every input gets its gradient written, 0 if it lost.
pub fn pool_backward(winners: &[u8], grad_out: &[f64], rows: usize, g: &PoolGeometry, grad_input: &mut [f64]) {
    let (plane_in, plane_out) = (g.in_height * g.in_width, g.out_height() * g.out_width());
    let planes = grad_input[..rows * g.inputs()]
        .chunks_exact_mut(plane_in)
        .zip(winners.chunks_exact(plane_out).zip(grad_out.chunks_exact(plane_out)));
    for (grad_plane, (winners, grad_pooled)) in planes {
        unpool_plane(winners, grad_pooled, g.in_height, g.in_width, grad_plane);
    }
}

/// [`pool_backward`] for one plane: writes every value of `grad_plane`.
#[inline]
fn unpool_plane(winners: &[u8], grad_pooled: &[f64], height: usize, width: usize, grad_plane: &mut [f64]) {
    grad_plane[..height * width].fill(0.0);
    for_each_winner(winners, height, width, |output, position| grad_plane[position] = grad_pooled[output]);
}

/// Calls `visit` with each output of a plane's 2x2 blocks and the position
/// in its `height x width` plane of the input that won the block.
#[inline(always)]
fn for_each_winner(winners: &[u8], height: usize, width: usize, mut visit: impl FnMut(usize, usize)) {
    let out_w = width / 2;
    for oy in 0..height / 2 {
        for (ox, &winner) in winners[oy * out_w..][..out_w].iter().enumerate() {
            let winner = usize::from(winner);
            visit(oy * out_w + ox, (2 * oy + winner / 2) * width + 2 * ox + winner % 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_sums_are_the_plain_sums_bit_for_bit() {
        for (rows, columns) in [(19, 37), (8, 1), (3, 5), (16, 968)] {
            let mut matrix: Vec<f64> = (0..rows * columns).map(|i| (i as f64 * 0.77).sin() * 10f64.powi(i as i32 % 7 - 3)).collect();
            // A row of negative zeros sums to -0.0 only from -0.0.
            matrix[..columns].fill(-0.0);
            let mut sums = vec![f64::NAN; rows];
            row_sums(&matrix, columns, &mut sums);
            for (row, sum) in matrix.chunks_exact(columns).zip(&sums) {
                assert_eq!(sum.to_bits(), row.iter().sum::<f64>().to_bits(), "{rows} x {columns}");
            }
        }
    }

    #[test]
    fn column_sums_are_the_row_sums_of_the_transpose() {
        let (rows, columns) = (13, 29);
        let mut matrix: Vec<f64> = (0..rows * columns).map(|i| (i as f64 * 0.43).cos() * 10f64.powi(i as i32 % 5 - 2)).collect();
        (0..rows).for_each(|r| matrix[r * columns + 3] = -0.0);
        let transposed: Vec<f64> = (0..rows * columns).map(|i| matrix[(i % rows) * columns + i / rows]).collect();
        let (mut by_column, mut by_row) = (vec![f64::NAN; columns], vec![f64::NAN; columns]);
        column_sums(&matrix, columns, &mut by_column);
        row_sums(&transposed, rows, &mut by_row);
        assert_eq!(by_column.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), by_row.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
    }

    #[test]
    fn runs_of_every_length_are_copied() {
        let source: Vec<f64> = (0..40).map(f64::from).collect();
        for len in 0..=30 {
            let mut target = vec![f64::NAN; len];
            copy_run(&source[3..3 + len], &mut target);
            assert_eq!(target, source[3..3 + len]);
        }
    }

    #[test]
    fn same_and_valid_shapes() {
        let same = ConvGeometry { in_channels: 2, out_channels: 3, kernel: 3, pad: 1, in_height: 8, in_width: 8 };
        assert_eq!((same.out_height(), same.outputs()), (8, 3 * 64));
        let valid = ConvGeometry { pad: 0, kernel: 5, ..same };
        assert_eq!((valid.out_height(), valid.out_width()), (4, 4));
        let pool = PoolGeometry { channels: 3, in_height: 5, in_width: 8 };
        assert_eq!((pool.out_height(), pool.out_width(), pool.outputs()), (2, 4, 24));
    }

    #[test]
    fn a_centred_one_hot_kernel_copies_the_image() {
        let g = ConvGeometry { in_channels: 1, out_channels: 1, kernel: 3, pad: 1, in_height: 4, in_width: 4 };
        let image: Vec<f64> = (0..16).map(f64::from).collect();
        let mut kernel = vec![0.0; 9];
        kernel[4] = 1.0;
        let mut out = vec![0.0; 16];
        let (mut patches, mut scratch) = (vec![0.0; g.patch_len(1)], vec![0.0; 16]);
        conv_forward(&image, 1, &g, &kernel, &[0.5], &mut out, None, None, &mut patches, &mut scratch);
        assert_eq!(out, image.iter().map(|v| v + 0.5).collect::<Vec<_>>());
        let (mut pooled, mut winners) = (vec![0.0; 4], vec![9; 4]);
        pool_forward(&image, 1, &PoolGeometry { channels: 1, in_height: 4, in_width: 4 }, &mut pooled, &mut winners);
        assert_eq!(pooled, vec![5.0, 7.0, 13.0, 15.0]);
        assert_eq!(winners, vec![3; 4]);
        pool_forward(&image, 1, &PoolGeometry { channels: 1, in_height: 4, in_width: 4 }, &mut pooled, &mut []);
        assert_eq!(pooled, vec![5.0, 7.0, 13.0, 15.0], "the same without winners");
    }

    /// The first maximum of a block wins its gradient (ties are common
    /// after relu); a NaN anywhere makes the output NaN; an odd last row or
    /// column is dropped and gets no gradient.
    #[test]
    fn pooling_picks_the_first_maximum_and_keeps_nan() {
        let g = PoolGeometry { channels: 2, in_height: 3, in_width: 5 };
        let mut input = vec![0.0; 2 * g.inputs()];
        input[1] = 2.0; // image 0, channel 0, block (0, 0): wins over 0s
        input[5 + 2] = 2.0; // (row 1, col 2) and (row 1, col 3): a tie
        input[5 + 3] = 2.0;
        input[15 + 5] = f64::NAN; // channel 1, row 1, col 0
        let (mut out, mut winners) = (vec![0.0; 2 * g.outputs()], vec![0; 2 * g.outputs()]);
        pool_forward(&input, 2, &g, &mut out, &mut winners);
        assert_eq!(&out[..2], &[2.0, 2.0]);
        assert!(out[2].is_nan() && out[3] == 0.0);
        assert!(out[4..].iter().all(|&v| v == 0.0), "image 1 is blank");
        let grad_out: Vec<f64> = (1..=8).map(f64::from).collect();
        let mut grad_input = vec![f64::NAN; input.len()];
        pool_backward(&winners, &grad_out, 2, &g, &mut grad_input);
        let mut expected = vec![0.0; input.len()];
        expected[1] = 1.0;
        expected[5 + 2] = 2.0;
        expected[15 + 5] = 3.0; // the NaN won
        expected[15 + 2] = 4.0;
        expected[30] = 5.0; // image 1: all zeros, the first wins
        expected[32] = 6.0;
        expected[45] = 7.0;
        expected[47] = 8.0;
        assert_eq!(grad_input, expected);
    }

    /// Rows of every width, through the vector blocks and their overlapping
    /// last block: the first largest of each block wins, a NaN wins.
    #[test]
    fn pooling_rows_of_every_width_follows_the_definition() {
        for width in 2..40 {
            let g = PoolGeometry { channels: 1, in_height: 4, in_width: width };
            // Few distinct values, so ties are common; a NaN now and then.
            let input: Vec<f64> = (0..g.inputs()).map(|i| if i % 17 == 9 { f64::NAN } else { ((i * 7) % 5) as f64 }).collect();
            let (mut out, mut winners) = (vec![0.0; g.outputs()], vec![9; g.outputs()]);
            pool_forward(&input, 1, &g, &mut out, &mut winners);
            for oy in 0..2 {
                for ox in 0..width / 2 {
                    let block = [(0, 0), (0, 1), (1, 0), (1, 1)].map(|(dy, dx)| input[(2 * oy + dy) * width + 2 * ox + dx]);
                    let mut expected = 0;
                    for (index, &value) in block.iter().enumerate().skip(1) {
                        if value > block[expected] || value.is_nan() {
                            expected = index;
                        }
                    }
                    let at = oy * (width / 2) + ox;
                    assert_eq!(usize::from(winners[at]), expected, "width {width}, output ({oy}, {ox})");
                    assert_eq!(out[at].to_bits(), block[expected].to_bits(), "width {width}, output ({oy}, {ox})");
                }
            }
        }
    }

    /// The patch matrix entry by entry, from the definition: the pixel at
    /// (oy + ky - pad, ox + kx - pad), or zero outside the image.
    fn unfold_by_definition(input: &[f64], rows: usize, g: &ConvGeometry) -> Vec<f64> {
        let (out_h, out_w, k) = (g.out_height(), g.out_width(), g.kernel as i64);
        let columns = rows * g.positions();
        let mut patches = vec![0.0; g.patch_len(rows)];
        for r in 0..rows {
            for c in 0..g.in_channels {
                for ky in 0..k {
                    for kx in 0..k {
                        for oy in 0..out_h {
                            for ox in 0..out_w {
                                let (iy, ix) = (oy as i64 + ky - g.pad as i64, ox as i64 + kx - g.pad as i64);
                                let inside = (0..g.in_height as i64).contains(&iy) && (0..g.in_width as i64).contains(&ix);
                                let pixel = r * g.inputs() + (c * g.in_height + iy.max(0) as usize) * g.in_width + ix.max(0) as usize;
                                let row = (c * g.kernel + ky as usize) * g.kernel + kx as usize;
                                patches[row * columns + (r * out_h + oy) * out_w + ox] = if inside { input[pixel] } else { 0.0 };
                            }
                        }
                    }
                }
            }
        }
        patches
    }

    #[test]
    fn unfolding_and_folding_follow_the_definition() {
        for (pad, kernel, height, width) in [(0, 3, 7, 5), (1, 3, 6, 6), (2, 5, 5, 7), (0, 5, 5, 6), (1, 3, 2, 3)] {
            let g = ConvGeometry { in_channels: 2, out_channels: 3, kernel, pad, in_height: height, in_width: width };
            let rows = 3;
            let input: Vec<f64> = (0..rows * g.inputs()).map(|i| (i as f64 * 0.37).sin()).collect();
            let expected = unfold_by_definition(&input, rows, &g);
            let mut patches = vec![f64::NAN; g.patch_len(rows)];
            unfold(&input, rows, &g, &mut patches);
            assert_eq!(patches, expected, "pad {pad}, kernel {kernel}, {height}x{width}");
            // Folding is unfolding's transpose: <unfold(x), p> = <x, fold(p)>.
            let p: Vec<f64> = (0..patches.len()).map(|i| (i as f64 * 0.11).cos()).collect();
            let mut folded = vec![f64::NAN; input.len()];
            fold(&p, rows, &g, &mut folded);
            let left: f64 = patches.iter().zip(&p).map(|(a, b)| a * b).sum();
            let right: f64 = input.iter().zip(&folded).map(|(a, b)| a * b).sum();
            assert!((left - right).abs() < 1e-9 * left.abs().max(1.0), "pad {pad}, kernel {kernel}: {left} vs {right}");
        }
    }

    /// A batch's outputs are each image's outputs computed alone, bit for
    /// bit: a row's numbers do not depend on the rows that share its batch.
    #[test]
    fn a_batch_computes_each_image_as_alone() {
        let g = ConvGeometry { in_channels: 2, out_channels: 4, kernel: 3, pad: 0, in_height: 9, in_width: 8 };
        let rows = 5;
        let input: Vec<f64> = (0..rows * g.inputs()).map(|i| (i as f64 * 0.71).sin()).collect();
        let weights: Vec<f64> = (0..g.out_channels * g.weights_per_filter()).map(|i| (i as f64 * 0.3).cos() * 0.2).collect();
        let bias = [0.1, -0.2, 0.3, 0.0];
        let run = |input: &[f64], rows: usize| {
            let mut pre = vec![0.0; rows * g.outputs()];
            let mut act = vec![0.0; rows * g.outputs()];
            let (mut patches, mut scratch) = (vec![0.0; g.patch_len(rows)], vec![0.0; g.out_channels * rows * g.positions()]);
            let fused = FusedActivation { activation: Activation::Tanh, leaky_slope: 0.0, out: &mut act };
            conv_forward(input, rows, &g, &weights, &bias, &mut pre, Some(fused), None, &mut patches, &mut scratch);
            (pre, act)
        };
        let (batch_pre, batch_act) = run(&input, rows);
        for r in 0..rows {
            let (pre, act) = run(&input[r * g.inputs()..(r + 1) * g.inputs()], 1);
            assert_eq!(pre, batch_pre[r * g.outputs()..(r + 1) * g.outputs()], "image {r}");
            assert_eq!(act, batch_act[r * g.outputs()..(r + 1) * g.outputs()], "image {r}");
        }
        assert!(batch_act.iter().zip(&batch_pre).all(|(a, z)| *a == crate::nn::Activation::Tanh.apply(*z, 0.0)));
    }

    /// The same in f32: the batch's products give each image the bits it
    /// gets alone, so slices of a batch compute what it computes.
    #[test]
    fn an_f32_batch_computes_each_image_as_alone() {
        let g = ConvGeometry { in_channels: 3, out_channels: 5, kernel: 3, pad: 1, in_height: 11, in_width: 10 };
        let rows = 4;
        let input: Vec<f64> = (0..rows * g.inputs()).map(|i| (i as f64 * 0.71).sin()).collect();
        let weights: Vec<f32> = (0..g.out_channels * g.weights_per_filter()).map(|i| (i as f32 * 0.3).cos() * 0.2).collect();
        let bias = [0.1, -0.2, 0.3, 0.0, 0.5];
        let run = |input: &[f64], rows: usize| {
            let mut pre = vec![0.0; rows * g.outputs()];
            let (mut patches, mut scratch) = (vec![0.0f32; g.patch_len(rows)], vec![0.0f32; g.out_channels * rows * g.positions()]);
            conv_forward(input, rows, &g, &weights, &bias, &mut pre, None, None, &mut patches, &mut scratch);
            pre
        };
        let batch = run(&input, rows);
        for r in 0..rows {
            assert_eq!(run(&input[r * g.inputs()..(r + 1) * g.inputs()], 1), batch[r * g.outputs()..(r + 1) * g.outputs()], "image {r}");
        }
    }

    /// The batched backward pass sums the same products as the image-by-
    /// image one (the bias and weight gradients of the batch are the sums
    /// of each image's, up to rounding; input gradients are exact).
    #[test]
    fn batched_gradients_are_the_sum_of_each_images() {
        let g = ConvGeometry { in_channels: 3, out_channels: 2, kernel: 3, pad: 1, in_height: 6, in_width: 5 };
        let rows = 4;
        let input: Vec<f64> = (0..rows * g.inputs()).map(|i| (i as f64 * 0.53).sin()).collect();
        let weights: Vec<f64> = (0..g.out_channels * g.weights_per_filter()).map(|i| (i as f64 * 0.9).cos()).collect();
        let grad_out: Vec<f64> = (0..rows * g.outputs()).map(|i| (i as f64 * 0.29).sin()).collect();
        let backward = |input: &[f64], grad_out: &[f64], rows: usize| {
            let (mut patches, mut scratch) = (vec![0.0; g.patch_len(rows)], vec![0.0; g.out_channels * rows * g.positions()]);
            let mut pre = vec![0.0; rows * g.outputs()];
            conv_forward(input, rows, &g, &weights, &[0.0; 2], &mut pre, None, None, &mut patches, &mut scratch);
            let (mut gw, mut gb, mut gi) = (vec![0.0; weights.len()], vec![0.0; 2], vec![f64::NAN; input.len()]);
            let mut patch_grads = vec![0.0; g.patch_len(rows)];
            conv_backward(
                rows,
                &g,
                &weights,
                OutputGradient::PreActivation(grad_out),
                &mut gw,
                &mut gb,
                Some(&mut gi),
                &patches,
                &mut scratch,
                &mut patch_grads,
                &mut [],
            );
            (gw, gb, gi)
        };
        let (gw, gb, gi) = backward(&input, &grad_out, rows);
        let (mut sum_w, mut sum_b) = (vec![0.0; gw.len()], vec![0.0; 2]);
        for r in 0..rows {
            let (w, b, i) = backward(&input[r * g.inputs()..][..g.inputs()], &grad_out[r * g.outputs()..][..g.outputs()], 1);
            assert_eq!(i, gi[r * g.inputs()..(r + 1) * g.inputs()], "image {r}'s input gradient");
            sum_w.iter_mut().zip(&w).for_each(|(s, v)| *s += v);
            sum_b.iter_mut().zip(&b).for_each(|(s, v)| *s += v);
        }
        for (a, b) in gw.iter().zip(&sum_w).chain(gb.iter().zip(&sum_b)) {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
        }
    }
}
