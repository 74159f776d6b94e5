//! Convolution (stride 1, "same" or "valid" padding) and 2x2 max pooling on
//! image batches. Each sample is laid out channel by channel, row-major:
//! index `(c * height + y) * width + x`. A convolution unfolds each image
//! into its patches (im2col) and multiplies them by the filters with
//! `matrixmultiply`, so it allocates nothing and vectorises.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};
use serde::{Deserialize, Serialize};

/// The matrix products of convolutions go to `matrixmultiply`, which picks
/// a kernel for the CPU at run time (fused multiply-adds where there are
/// any): fast, but the last bits depend on the machine. This says which.
pub fn kernel_description() -> String {
    #[cfg(target_arch = "x86_64")]
    let kernel = if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        "avx2+fma"
    } else if std::arch::is_x86_feature_detected!("avx") {
        "avx"
    } else {
        "sse2"
    };
    #[cfg(not(target_arch = "x86_64"))]
    let kernel = "generic";
    format!("matrixmultiply ({kernel}): the last bits depend on the CPU")
}

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

    /// The input pixel under kernel tap (ky, kx) of output (oy, ox), if it
    /// is inside the image (not padding).
    #[inline]
    fn source(&self, oy: usize, ox: usize, ky: usize, kx: usize) -> Option<(usize, usize)> {
        let iy = (oy + ky).checked_sub(self.pad)?;
        let ix = (ox + kx).checked_sub(self.pad)?;
        (iy < self.in_height && ix < self.in_width).then_some((iy, ix))
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

impl ConvGeometry {
    /// Size of one sample's patch matrix: `(in_channels k k) x positions`.
    pub fn patch_len(&self) -> usize {
        self.weights_per_filter() * self.out_height() * self.out_width()
    }
}

/// Visits every entry of one image's patch matrix, row `(c, ky, kx)` and
/// column `(oy, ox)`, with the image pixel it reads (none in the padding).
#[inline(always)]
fn for_each_tap(g: &ConvGeometry, mut visit: impl FnMut(usize, Option<usize>)) {
    let (out_h, out_w, k) = (g.out_height(), g.out_width(), g.kernel);
    let positions = out_h * out_w;
    let plane = g.in_height * g.in_width;
    for c in 0..g.in_channels {
        for ky in 0..k {
            for kx in 0..k {
                let row = ((c * k + ky) * k + kx) * positions;
                for oy in 0..out_h {
                    for ox in 0..out_w {
                        let pixel = g.source(oy, ox, ky, kx).map(|(iy, ix)| c * plane + iy * g.in_width + ix);
                        visit(row + oy * out_w + ox, pixel);
                    }
                }
            }
        }
    }
}

/// Unfolds one image into its patch matrix (im2col), zero where the kernel
/// hangs over the edge.
fn unfold(image: &[f64], g: &ConvGeometry, patches: &mut [f64]) {
    for_each_tap(g, |entry, pixel| patches[entry] = pixel.map_or(0.0, |i| image[i]));
}

/// Adds a patch-matrix gradient back onto the pixels it came from
/// (col2im), the transpose of [`unfold`].
fn fold(patch_grads: &[f64], g: &ConvGeometry, image_grad: &mut [f64]) {
    for_each_tap(g, |entry, pixel| {
        if let Some(i) = pixel {
            image_grad[i] += patch_grads[entry];
        }
    });
}

/// `out[o][oy][ox] = bias[o] + sum over c, ky, kx of in[c][iy][ix] w[o][c][ky][kx]`,
/// one matrix product per image: filters (out x in k k) times its patches.
/// `patches` is scratch of [`ConvGeometry::patch_len`].
pub fn conv_forward(input: &[f64], rows: usize, g: &ConvGeometry, weights: &[f64], bias: &[f64], out: &mut [f64], patches: &mut [f64]) {
    let (in_size, out_size) = (g.inputs(), g.outputs());
    let positions = g.out_height() * g.out_width();
    let filters = ArrayView2::from_shape((g.out_channels, g.weights_per_filter()), weights).expect("filter shape");
    for (x, z) in input[..rows * in_size].chunks_exact(in_size).zip(out[..rows * out_size].chunks_exact_mut(out_size)) {
        unfold(x, g, patches);
        for (row, &b) in z.chunks_exact_mut(positions).zip(bias) {
            row.fill(b);
        }
        let p = ArrayView2::from_shape((g.weights_per_filter(), positions), &patches[..]).expect("patch shape");
        let mut z = ArrayViewMut2::from_shape((g.out_channels, positions), z).expect("output shape");
        general_mat_mul(1.0, &filters, &p, 1.0, &mut z);
    }
}

/// The backward pass of [`conv_forward`]: adds the weight and bias
/// gradients, and if asked writes the input gradient. `patches` and
/// `patch_grads` are scratch of [`ConvGeometry::patch_len`].
#[allow(clippy::too_many_arguments)]
pub fn conv_backward(
    input: &[f64],
    rows: usize,
    g: &ConvGeometry,
    weights: &[f64],
    grad_out: &[f64],
    grad_weights: &mut [f64],
    grad_bias: &mut [f64],
    mut grad_input: Option<&mut [f64]>,
    patches: &mut [f64],
    patch_grads: &mut [f64],
) {
    let (in_size, out_size) = (g.inputs(), g.outputs());
    let positions = g.out_height() * g.out_width();
    let per_filter = g.weights_per_filter();
    let filters = ArrayView2::from_shape((g.out_channels, per_filter), weights).expect("filter shape");
    let mut filter_grads = ArrayViewMut2::from_shape((g.out_channels, per_filter), grad_weights).expect("filter shape");
    for r in 0..rows {
        let gz = &grad_out[r * out_size..(r + 1) * out_size];
        for (gb, row) in grad_bias.iter_mut().zip(gz.chunks_exact(positions)) {
            *gb += row.iter().sum::<f64>();
        }
        unfold(&input[r * in_size..(r + 1) * in_size], g, patches);
        let gz = ArrayView2::from_shape((g.out_channels, positions), gz).expect("gradient shape");
        let p = ArrayView2::from_shape((per_filter, positions), &patches[..]).expect("patch shape");
        general_mat_mul(1.0, &gz, &p.t(), 1.0, &mut filter_grads);
        if let Some(grad_input) = grad_input.as_deref_mut() {
            let mut dp = ArrayViewMut2::from_shape((per_filter, positions), &mut patch_grads[..]).expect("patch shape");
            general_mat_mul(1.0, &filters.t(), &gz, 0.0, &mut dp);
            let image_grad = &mut grad_input[r * in_size..(r + 1) * in_size];
            image_grad.fill(0.0);
            fold(patch_grads, g, image_grad);
        }
    }
}

/// Max of each 2x2 block; `argmax` records which input won, for backward.
pub fn pool_forward(input: &[f64], rows: usize, g: &PoolGeometry, out: &mut [f64], argmax: &mut [u32]) {
    let (in_size, out_size) = (g.inputs(), g.outputs());
    let (out_h, out_w) = (g.out_height(), g.out_width());
    for r in 0..rows {
        let x = &input[r * in_size..(r + 1) * in_size];
        for c in 0..g.channels {
            for oy in 0..out_h {
                for ox in 0..out_w {
                    let mut best = (c * g.in_height + 2 * oy) * g.in_width + 2 * ox;
                    for (dy, dx) in [(0, 1), (1, 0), (1, 1)] {
                        let i = (c * g.in_height + 2 * oy + dy) * g.in_width + 2 * ox + dx;
                        // NaN wins, so a non-finite value is never hidden.
                        if x[i] > x[best] || x[i].is_nan() {
                            best = i;
                        }
                    }
                    let o = r * out_size + (c * out_h + oy) * out_w + ox;
                    out[o] = x[best];
                    argmax[o] = best as u32;
                }
            }
        }
    }
}

/// Routes each output's gradient to the input that won its block.
pub fn pool_backward(grad_out: &[f64], rows: usize, g: &PoolGeometry, argmax: &[u32], grad_input: &mut [f64]) {
    let (in_size, out_size) = (g.inputs(), g.outputs());
    grad_input[..rows * in_size].fill(0.0);
    for r in 0..rows {
        for o in 0..out_size {
            grad_input[r * in_size + argmax[r * out_size + o] as usize] += grad_out[r * out_size + o];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut patches = vec![0.0; g.patch_len()];
        conv_forward(&image, 1, &g, &kernel, &[0.5], &mut out, &mut patches);
        assert_eq!(out, image.iter().map(|v| v + 0.5).collect::<Vec<_>>());
        let mut pooled = vec![0.0; 4];
        let mut argmax = vec![0; 4];
        pool_forward(&image, 1, &PoolGeometry { channels: 1, in_height: 4, in_width: 4 }, &mut pooled, &mut argmax);
        assert_eq!(pooled, vec![5.0, 7.0, 13.0, 15.0]);
    }
}
