//! The dense layer's matrix products on row-major slices, written to
//! allocate nothing. Small products (the Playground's 2-4-2-1 net) are loops
//! the compiler keeps in registers; large ones go to `matrixmultiply`
//! through ndarray, which blocks and vectorises. The choice depends only on
//! the shapes, so a run stays bit-reproducible.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};

/// Above this many multiply-adds a product goes to the blocked kernel.
const BLOCKED_THRESHOLD: usize = 16 * 1024;

#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    if a.len() < 8 {
        let mut sum = 0.0;
        for (x, y) in a.iter().zip(b) {
            sum += x * y;
        }
        return sum;
    }
    // Four independent sums break the dependency chain of one accumulator.
    let mut acc = [0.0; 4];
    let (a_chunks, b_chunks) = (a.chunks_exact(4), b.chunks_exact(4));
    let (a_rest, b_rest) = (a_chunks.remainder(), b_chunks.remainder());
    for (x, y) in a_chunks.zip(b_chunks) {
        acc[0] += x[0] * y[0];
        acc[1] += x[1] * y[1];
        acc[2] += x[2] * y[2];
        acc[3] += x[3] * y[3];
    }
    let mut sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (x, y) in a_rest.iter().zip(b_rest) {
        sum += x * y;
    }
    sum
}

#[inline]
fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += alpha * x;
    }
}

/// `out[r][j] = bias[j] + sum_i input[r][i] * weights[j][i]`, i.e.
/// `out = input . weights^T + bias`, with weights stored `[outputs][inputs]`.
pub fn dense_forward(input: &[f64], rows: usize, inputs: usize, weights: &[f64], bias: &[f64], out: &mut [f64]) {
    let outputs = bias.len();
    let input = &input[..rows * inputs];
    let out = &mut out[..rows * outputs];
    if rows * inputs * outputs >= BLOCKED_THRESHOLD {
        for row in out.chunks_exact_mut(outputs) {
            row.copy_from_slice(bias);
        }
        let x = ArrayView2::from_shape((rows, inputs), input).expect("input shape");
        let w = ArrayView2::from_shape((outputs, inputs), weights).expect("weight shape");
        let mut z = ArrayViewMut2::from_shape((rows, outputs), out).expect("output shape");
        general_mat_mul(1.0, &x, &w.t(), 1.0, &mut z);
        return;
    }
    for (x, z) in input.chunks_exact(inputs).zip(out.chunks_exact_mut(outputs)) {
        for ((z, w), &b) in z.iter_mut().zip(weights.chunks_exact(inputs)).zip(bias) {
            *z = b + dot(x, w);
        }
    }
}

/// The backward pass of [`dense_forward`]: adds `grad_out^T . input` to
/// `grad_weights` and the column sums of `grad_out` to `grad_bias`, and if
/// asked writes `grad_input = grad_out . weights`.
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
    let input = &input[..rows * inputs];
    let grad_out = &grad_out[..rows * outputs];
    for g in grad_out.chunks_exact(outputs) {
        axpy(1.0, g, grad_bias);
    }
    if rows * inputs * outputs >= BLOCKED_THRESHOLD {
        let x = ArrayView2::from_shape((rows, inputs), input).expect("input shape");
        let g = ArrayView2::from_shape((rows, outputs), grad_out).expect("gradient shape");
        let mut gw = ArrayViewMut2::from_shape((outputs, inputs), grad_weights).expect("weight shape");
        general_mat_mul(1.0, &g.t(), &x, 1.0, &mut gw);
        if let Some(grad_input) = grad_input {
            let w = ArrayView2::from_shape((outputs, inputs), weights).expect("weight shape");
            let mut gx = ArrayViewMut2::from_shape((rows, inputs), &mut grad_input[..rows * inputs]).expect("input shape");
            general_mat_mul(1.0, &g, &w, 0.0, &mut gx);
        }
        return;
    }
    match grad_input {
        Some(grad_input) => {
            let grad_input = &mut grad_input[..rows * inputs];
            for ((x, g), gx) in input.chunks_exact(inputs).zip(grad_out.chunks_exact(outputs)).zip(grad_input.chunks_exact_mut(inputs)) {
                gx.fill(0.0);
                for ((&gj, gw), w) in g.iter().zip(grad_weights.chunks_exact_mut(inputs)).zip(weights.chunks_exact(inputs)) {
                    axpy(gj, x, gw);
                    axpy(gj, w, gx);
                }
            }
        }
        None => {
            for (x, g) in input.chunks_exact(inputs).zip(grad_out.chunks_exact(outputs)) {
                for (&gj, gw) in g.iter().zip(grad_weights.chunks_exact_mut(inputs)) {
                    axpy(gj, x, gw);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The small-shape loops and the blocked kernel compute the same
    /// products (up to summation order).
    #[test]
    fn both_paths_agree() {
        let (rows, inputs, outputs) = (40, 30, 20);
        assert!(rows * inputs * outputs >= BLOCKED_THRESHOLD);
        let input: Vec<f64> = (0..rows * inputs).map(|i| ((i * 7 % 13) as f64 - 6.0) / 5.0).collect();
        let weights: Vec<f64> = (0..outputs * inputs).map(|i| ((i * 5 % 11) as f64 - 5.0) / 7.0).collect();
        let bias: Vec<f64> = (0..outputs).map(|j| j as f64 / 10.0).collect();
        let mut blocked = vec![0.0; rows * outputs];
        dense_forward(&input, rows, inputs, &weights, &bias, &mut blocked);
        for r in 0..rows {
            for j in 0..outputs {
                let expected = bias[j] + dot(&input[r * inputs..(r + 1) * inputs], &weights[j * inputs..(j + 1) * inputs]);
                assert!((blocked[r * outputs + j] - expected).abs() < 1e-12);
            }
        }
        let grad_out: Vec<f64> = (0..rows * outputs).map(|i| ((i * 3 % 7) as f64 - 3.0) / 4.0).collect();
        let (mut gw, mut gb, mut gx) = (vec![0.0; outputs * inputs], vec![0.0; outputs], vec![0.0; rows * inputs]);
        dense_backward(&input, rows, inputs, &weights, &grad_out, &mut gw, &mut gb, Some(&mut gx));
        // The same products on the loop path, one row at a time (each call
        // is below the threshold).
        let (mut lw, mut lb, mut lx) = (vec![0.0; outputs * inputs], vec![0.0; outputs], vec![0.0; rows * inputs]);
        for r in 0..rows {
            dense_backward(
                &input[r * inputs..(r + 1) * inputs],
                1,
                inputs,
                &weights,
                &grad_out[r * outputs..(r + 1) * outputs],
                &mut lw,
                &mut lb,
                Some(&mut lx[r * inputs..(r + 1) * inputs]),
            );
        }
        for (a, b) in gw.iter().zip(&lw).chain(gb.iter().zip(&lb)).chain(gx.iter().zip(&lx)) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }
}
