//! Matrix products through `matrixmultiply`, which picks a kernel for the
//! CPU at run time (AVX-512, AVX2 with fused multiply-adds, ...): fast, but
//! the last bits depend on the machine. Convolutions use them, and so do
//! the dense layers of a network with convolutions, which is not portable
//! anyway: with the portable kernels its wide dense layers (1,600 inputs in
//! the MNIST network) would cost as much as its convolutions.
//!
//! Every product here gives each output element the same bits whatever
//! the other rows of its batch: matrixmultiply sums along the shared
//! dimension in blocks whose size depends on that dimension alone, and with
//! `alpha = 1` its edge tiles round like its full ones.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2, LinalgScalar};
use serde::{Deserialize, Serialize};

/// The numbers the matrix products of a network with convolutions compute
/// in. Parameters, gradients and the optimiser's state stay f64 either
/// way, and so does every layer's output: f32 rounds the products' inputs
/// (a convolution's patches and filters, and the gradient flowing into
/// it) and widens their results again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    #[default]
    F64,
    /// Twice the numbers per vector instruction and half the bytes to
    /// move, as Keras and PyTorch train: about 7 significant digits in the
    /// products instead of 16.
    F32,
}

impl Precision {
    pub const ALL: [Precision; 2] = [Self::F64, Self::F32];

    pub fn name(self) -> &'static str {
        match self {
            Self::F64 => "f64",
            Self::F32 => "f32",
        }
    }
}

/// A number type the products compute in: f64, or f32 (see [`Precision`]).
pub trait Real: LinalgScalar + Send + Sync + std::fmt::Debug {
    /// The nearest value of this type.
    fn from_f64(value: f64) -> Self;
    /// The same value as an f64 (exact).
    fn to_f64(self) -> f64;
    /// `weights` as a product reads them: themselves in f64; in f32,
    /// rounded into `rounded` (which has room for them).
    fn product_weights<'a>(weights: &'a [f64], rounded: &'a mut [Self]) -> &'a [Self];
    /// [`product`] with `beta = 0` into the f64 `out`: directly in f64; in
    /// f32 into `staging` (which has room for it), then widened.
    #[allow(clippy::too_many_arguments)]
    fn product_into_f64(m: usize, k: usize, n: usize, a: &[Self], a_t: bool, b: &[Self], b_t: bool, staging: &mut [Self], out: &mut [f64]);
}

impl Real for f64 {
    #[inline(always)]
    fn from_f64(value: f64) -> Self {
        value
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    fn product_weights<'a>(weights: &'a [f64], _: &'a mut [Self]) -> &'a [Self] {
        weights
    }
    fn product_into_f64(m: usize, k: usize, n: usize, a: &[f64], a_t: bool, b: &[f64], b_t: bool, _: &mut [f64], out: &mut [f64]) {
        product(m, k, n, a, a_t, b, b_t, 0.0, out);
    }
}

impl Real for f32 {
    #[inline(always)]
    fn from_f64(value: f64) -> Self {
        value as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn product_weights<'a>(weights: &'a [f64], rounded: &'a mut [Self]) -> &'a [Self] {
        let rounded = &mut rounded[..weights.len()];
        rounded.iter_mut().zip(weights).for_each(|(r, &w)| *r = w as f32);
        rounded
    }
    fn product_into_f64(m: usize, k: usize, n: usize, a: &[f32], a_t: bool, b: &[f32], b_t: bool, staging: &mut [f32], out: &mut [f64]) {
        let staging = &mut staging[..m * n];
        product(m, k, n, a, a_t, b, b_t, 0.0, staging);
        out[..m * n].iter_mut().zip(&*staging).for_each(|(o, &s)| *o = f64::from(s));
    }
}

/// Which kernel the products use on this CPU, for a run's summary.
pub fn kernel_description(precision: Precision) -> String {
    #[cfg(target_arch = "x86_64")]
    let kernel = if std::arch::is_x86_feature_detected!("avx512f") {
        "avx512"
    } else if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        "avx2+fma"
    } else if std::arch::is_x86_feature_detected!("avx") {
        "avx"
    } else {
        "sse2"
    };
    #[cfg(not(target_arch = "x86_64"))]
    let kernel = "generic";
    match precision {
        Precision::F64 => format!("matrixmultiply ({kernel}): the last bits depend on the CPU"),
        Precision::F32 => format!("matrixmultiply ({kernel}) in f32: about 7 significant digits; the last bits depend on the CPU"),
    }
}

/// A row-major `rows x cols` matrix, or the transpose of a row-major
/// `cols x rows` one.
fn view<T: Real>(rows: usize, cols: usize, values: &[T], transposed: bool) -> ArrayView2<'_, T> {
    if transposed {
        ArrayView2::from_shape((cols, rows), &values[..rows * cols]).expect("matrix shape").reversed_axes()
    } else {
        ArrayView2::from_shape((rows, cols), &values[..rows * cols]).expect("matrix shape")
    }
}

/// `out = a . b` (`beta = 0`) or `out += a . b` (`beta = 1`), for row-major
/// `a` of `m x k` (transposed if `a_t`: stored `k x m`) and `b` of `k x n`
/// (transposed if `b_t`).
#[allow(clippy::too_many_arguments)]
pub fn product<T: Real>(m: usize, k: usize, n: usize, a: &[T], a_t: bool, b: &[T], b_t: bool, beta: T, out: &mut [T]) {
    let mut c = ArrayViewMut2::from_shape((m, n), &mut out[..m * n]).expect("matrix shape");
    general_mat_mul(T::one(), &view(m, k, a, a_t), &view(k, n, b, b_t), beta, &mut c);
}

/// A dense layer's `out[r][j] = bias[j] + sum_i input[r][i] weights[j][i]`.
pub fn dense_forward(input: &[f64], rows: usize, inputs: usize, weights: &[f64], bias: &[f64], out: &mut [f64]) {
    let outputs = bias.len();
    product(rows, inputs, outputs, input, false, weights, true, 0.0, out);
    for row in out[..rows * outputs].chunks_exact_mut(outputs) {
        for (value, &b) in row.iter_mut().zip(bias) {
            *value += b;
        }
    }
}

/// The backward pass of [`dense_forward`]: writes `grad_weights =
/// grad_out^T . input`, the column sums of `grad_out` into `grad_bias` and,
/// if asked, `grad_input = grad_out . weights`.
#[allow(clippy::too_many_arguments)]
pub fn dense_backward(
    input: &[f64],
    rows: usize,
    inputs: usize,
    weights: &[f64],
    grad_out: &[f64],
    grad_weights: &mut [f64],
    grad_bias: &mut [f64],
    grad_input: Option<&mut [f64]>,
) {
    let outputs = grad_bias.len();
    grad_bias.fill(0.0);
    for row in grad_out[..rows * outputs].chunks_exact(outputs) {
        for (sum, &g) in grad_bias.iter_mut().zip(row) {
            *sum += g;
        }
    }
    product(outputs, rows, inputs, grad_out, true, input, false, 0.0, grad_weights);
    if let Some(grad_input) = grad_input {
        product(rows, outputs, inputs, grad_out, false, weights, false, 0.0, grad_input);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_products_match_the_portable_kernels() {
        let (rows, inputs, outputs) = (5, 37, 11);
        let input: Vec<f64> = (0..rows * inputs).map(|i| (i as f64 * 0.37).sin()).collect();
        let weights: Vec<f64> = (0..inputs * outputs).map(|i| (i as f64 * 0.61).cos()).collect();
        let bias: Vec<f64> = (0..outputs).map(|j| j as f64 * 0.1).collect();
        let grad_out: Vec<f64> = (0..rows * outputs).map(|i| (i as f64 * 0.23).sin()).collect();
        let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-12 * y.abs().max(1.0));

        let (mut fast, mut portable) = (vec![0.0; rows * outputs], vec![0.0; rows * outputs]);
        dense_forward(&input, rows, inputs, &weights, &bias, &mut fast);
        let mut transposed = vec![0.0; inputs * outputs];
        crate::nn::kernels::dense_forward(&input, rows, inputs, &weights, &bias, &mut portable, &mut transposed);
        assert!(close(&fast, &portable), "{fast:?}\n{portable:?}");

        let (mut gw, mut gb, mut gi) = (vec![0.0; weights.len()], vec![0.0; outputs], vec![0.0; input.len()]);
        dense_backward(&input, rows, inputs, &weights, &grad_out, &mut gw, &mut gb, Some(&mut gi));
        let (mut pw, mut pb, mut pi) = (vec![0.0; weights.len()], vec![0.0; outputs], vec![0.0; input.len()]);
        crate::nn::kernels::dense_backward(&input, rows, inputs, &weights, &grad_out, &mut pw, &mut pb, Some(&mut pi));
        assert!(close(&gw, &pw) && close(&gb, &pb) && close(&gi, &pi));

        // A row's outputs do not depend on the rows beside it.
        let mut alone = vec![0.0; outputs];
        dense_forward(&input[2 * inputs..3 * inputs], 1, inputs, &weights, &bias, &mut alone);
        assert_eq!(alone, fast[2 * outputs..3 * outputs]);
    }

    /// What lets a batch be cut into slices without changing a bit: in f32
    /// too, each output's sum runs in blocks set by the shared dimension
    /// alone (here across matrixmultiply's blocks of 256), so a row's
    /// outputs and a column's do not depend on the rows and columns beside
    /// them. And the f32 products agree with the f64 ones to single
    /// precision.
    #[test]
    fn f32_products_give_each_row_and_column_the_same_bits_alone() {
        let (m, n) = (21, 35);
        for k in [3, 37, 300, 777] {
            let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.61).cos()).collect();
            let b_t: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
            let mut all = vec![f32::NAN; m * n];
            product(m, k, n, &a, false, &b, false, 0.0, &mut all);
            for r in [0, 7, m - 1] {
                let mut alone = vec![f32::NAN; n];
                product(1, k, n, &a[r * k..(r + 1) * k], false, &b, false, 0.0, &mut alone);
                assert_eq!(alone, all[r * n..(r + 1) * n], "k = {k}, row {r}");
            }
            for j in [0, 16, n - 1] {
                let mut alone = vec![f32::NAN; m];
                product(m, k, 1, &a, false, &b_t[j * k..(j + 1) * k], true, 0.0, &mut alone);
                let column: Vec<f32> = (0..m).map(|r| all[r * n + j]).collect();
                assert_eq!(alone, column, "k = {k}, column {j}");
            }
            let wide = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
            let mut exact = vec![0.0; m * n];
            product(m, k, n, &wide(&a), false, &wide(&b), false, 0.0, &mut exact);
            let mut widened = vec![f64::NAN; m * n];
            f32::product_into_f64(m, k, n, &a, false, &b, false, &mut vec![0.0; m * n], &mut widened);
            assert_eq!(widened, wide(&all));
            let scale = exact.iter().fold(1.0f64, |s, v| s.max(v.abs()));
            assert!(widened.iter().zip(&exact).all(|(x, y)| (x - y).abs() <= 1e-6 * scale * (k as f64).sqrt()), "k = {k}");
        }
    }
}
