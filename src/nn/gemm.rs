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
use ndarray::{ArrayView2, ArrayViewMut2};

/// Which kernel the products use on this CPU, for a run's summary.
pub fn kernel_description() -> String {
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
    format!("matrixmultiply ({kernel}): the last bits depend on the CPU")
}

/// A row-major `rows x cols` matrix, or the transpose of a row-major
/// `cols x rows` one.
fn view(rows: usize, cols: usize, values: &[f64], transposed: bool) -> ArrayView2<'_, f64> {
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
pub fn product(m: usize, k: usize, n: usize, a: &[f64], a_t: bool, b: &[f64], b_t: bool, beta: f64, out: &mut [f64]) {
    let mut c = ArrayViewMut2::from_shape((m, n), &mut out[..m * n]).expect("matrix shape");
    general_mat_mul(1.0, &view(m, k, a, a_t), &view(k, n, b, b_t), beta, &mut c);
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
}
