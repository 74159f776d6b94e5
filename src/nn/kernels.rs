//! The dense layer's matrix products on row-major slices, written to
//! allocate nothing. Three paths, chosen by shape alone so a run stays
//! bit-reproducible:
//! - layers with at most 8 inputs (the Playground's nets) use loops over
//!   fixed-size arrays that the compiler unrolls into straight-line code;
//! - mid-sized products use plain loops;
//! - large ones go to `matrixmultiply` through ndarray, which blocks and
//!   vectorises.
//!
//! Each entry point is compiled twice, for baseline x86-64 and for AVX2,
//! and the CPU picks at run time; both give the same bits, because Rust
//! never fuses a multiply and an add into an FMA on its own.

use multiversion::multiversion;
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

/// Calls `$body::<N>` for the layer's input width N when it is at most 8,
/// else evaluates `$otherwise`.
macro_rules! with_fixed_width {
    ($inputs:expr, $body:ident ( $($arg:expr),* ), $otherwise:expr) => {
        match $inputs {
            1 => $body::<1>($($arg),*),
            2 => $body::<2>($($arg),*),
            3 => $body::<3>($($arg),*),
            4 => $body::<4>($($arg),*),
            5 => $body::<5>($($arg),*),
            6 => $body::<6>($($arg),*),
            7 => $body::<7>($($arg),*),
            8 => $body::<8>($($arg),*),
            _ => $otherwise,
        }
    };
}

/// Copies rows `indices` of the row-major `source` (rows of `width`) into
/// consecutive rows of `target`. Narrow rows are copied as fixed-size
/// arrays: a call to memcpy per 2-value row cost more than the copy.
pub fn gather_rows(source: &[f64], width: usize, indices: &[usize], target: &mut [f64]) {
    with_fixed_width!(width, gather_fixed(source, indices, target), {
        for (row, &index) in target.chunks_exact_mut(width).zip(indices) {
            row.copy_from_slice(&source[index * width..(index + 1) * width]);
        }
    })
}

#[inline(always)]
fn gather_fixed<const N: usize>(source: &[f64], indices: &[usize], target: &mut [f64]) {
    for (row, &index) in target.chunks_exact_mut(N).zip(indices) {
        let from: &[f64; N] = source[index * N..(index + 1) * N].try_into().expect("row of N");
        let row: &mut [f64; N] = row.try_into().expect("row of N");
        *row = *from;
    }
}

/// `out[r][j] = bias[j] + sum_i input[r][i] * weights[j][i]`, i.e.
/// `out = input . weights^T + bias`, with weights stored `[outputs][inputs]`.
#[multiversion(targets("x86_64+avx+avx2"))]
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
    with_fixed_width!(inputs, forward_fixed(input, weights, bias, out), {
        for (x, z) in input.chunks_exact(inputs).zip(out.chunks_exact_mut(outputs)) {
            for ((z, w), &b) in z.iter_mut().zip(weights.chunks_exact(inputs)).zip(bias) {
                *z = b + dot(x, w);
            }
        }
    })
}

/// [`dense_forward`] for N inputs: the same sums in the same order as
/// `dot`'s short path.
#[inline(always)]
fn forward_fixed<const N: usize>(input: &[f64], weights: &[f64], bias: &[f64], out: &mut [f64]) {
    let outputs = bias.len();
    for (x, z) in input.chunks_exact(N).zip(out.chunks_exact_mut(outputs)) {
        let x: &[f64; N] = x.try_into().expect("chunk of N");
        for ((z, w), &b) in z.iter_mut().zip(weights.chunks_exact(N)).zip(bias) {
            let w: &[f64; N] = w.try_into().expect("chunk of N");
            let mut sum = 0.0;
            for i in 0..N {
                sum += x[i] * w[i];
            }
            *z = b + sum;
        }
    }
}

/// The backward pass of [`dense_forward`]: adds `grad_out^T . input` to
/// `grad_weights` and the column sums of `grad_out` to `grad_bias`, and if
/// asked writes `grad_input = grad_out . weights`.
#[allow(clippy::too_many_arguments)]
#[multiversion(targets("x86_64+avx+avx2"))]
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
    let grad_input = grad_input.map(|g| &mut g[..rows * inputs]);
    if rows * inputs * outputs >= BLOCKED_THRESHOLD {
        for g in grad_out.chunks_exact(outputs) {
            axpy(1.0, g, grad_bias);
        }
        let x = ArrayView2::from_shape((rows, inputs), input).expect("input shape");
        let g = ArrayView2::from_shape((rows, outputs), grad_out).expect("gradient shape");
        let mut gw = ArrayViewMut2::from_shape((outputs, inputs), grad_weights).expect("weight shape");
        general_mat_mul(1.0, &g.t(), &x, 1.0, &mut gw);
        if let Some(grad_input) = grad_input {
            let w = ArrayView2::from_shape((outputs, inputs), weights).expect("weight shape");
            let mut gx = ArrayViewMut2::from_shape((rows, inputs), grad_input).expect("input shape");
            general_mat_mul(1.0, &g, &w, 0.0, &mut gx);
        }
        return;
    }
    with_fixed_width!(inputs, backward_fixed(input, outputs, weights, grad_out, grad_weights, grad_bias, grad_input), {
        for g in grad_out.chunks_exact(outputs) {
            axpy(1.0, g, grad_bias);
        }
        match grad_input {
            Some(grad_input) => {
                let rows_iter = input.chunks_exact(inputs).zip(grad_out.chunks_exact(outputs)).zip(grad_input.chunks_exact_mut(inputs));
                for ((x, g), gx) in rows_iter {
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
    })
}

/// [`dense_backward`] for N inputs. Each sum is kept in registers over the
/// whole batch and added to memory once: the weight and bias gradients one
/// output at a time (summed over rows in row order, so the bits are those
/// of the row-by-row loop above when the gradients start at zero), the
/// input gradient one row at a time.
#[inline(always)]
fn backward_fixed<const N: usize>(
    input: &[f64],
    outputs: usize,
    weights: &[f64],
    grad_out: &[f64],
    grad_weights: &mut [f64],
    grad_bias: &mut [f64],
    grad_input: Option<&mut [f64]>,
) {
    for (j, (gw, gb)) in grad_weights.chunks_exact_mut(N).zip(grad_bias.iter_mut()).enumerate() {
        let gw: &mut [f64; N] = gw.try_into().expect("chunk of N");
        let (mut weight_sum, mut bias_sum) = ([0.0; N], 0.0);
        for (x, g) in input.chunks_exact(N).zip(grad_out.chunks_exact(outputs)) {
            let x: &[f64; N] = x.try_into().expect("chunk of N");
            let gj = g[j];
            bias_sum += gj;
            for i in 0..N {
                weight_sum[i] += gj * x[i];
            }
        }
        for i in 0..N {
            gw[i] += weight_sum[i];
        }
        *gb += bias_sum;
    }
    let Some(grad_input) = grad_input else { return };
    for (g, gx_out) in grad_out.chunks_exact(outputs).zip(grad_input.chunks_exact_mut(N)) {
        let mut gx = [0.0; N];
        for (&gj, w) in g.iter().zip(weights.chunks_exact(N)) {
            let w: &[f64; N] = w.try_into().expect("chunk of N");
            for i in 0..N {
                gx[i] += gj * w[i];
            }
        }
        gx_out.copy_from_slice(&gx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(len: usize, seed: usize) -> Vec<f64> {
        (0..len).map(|i| (((i + seed) * 7919 % 101) as f64 - 50.0) / 37.0).collect()
    }

    /// Every path (fixed widths 1 to 8, plain loops above) against the
    /// textbook formulas.
    #[test]
    fn small_paths_match_the_definition() {
        let (rows, outputs) = (5, 3);
        for inputs in 1..=12 {
            let input = values(rows * inputs, 1);
            let weights = values(outputs * inputs, 2);
            let bias = values(outputs, 3);
            let grad_out = values(rows * outputs, 4);
            let mut out = vec![0.0; rows * outputs];
            dense_forward(&input, rows, inputs, &weights, &bias, &mut out);
            let (mut gw, mut gb, mut gx) = (vec![0.0; outputs * inputs], vec![0.0; outputs], vec![0.0; rows * inputs]);
            dense_backward(&input, rows, inputs, &weights, &grad_out, &mut gw, &mut gb, Some(&mut gx));
            let mut gw_only = vec![0.0; outputs * inputs];
            dense_backward(&input, rows, inputs, &weights, &grad_out, &mut gw_only, &mut vec![0.0; outputs], None);
            for r in 0..rows {
                for j in 0..outputs {
                    let z: f64 = bias[j] + (0..inputs).map(|i| input[r * inputs + i] * weights[j * inputs + i]).sum::<f64>();
                    assert!((out[r * outputs + j] - z).abs() < 1e-12, "forward, {inputs} inputs");
                }
                for i in 0..inputs {
                    let g: f64 = (0..outputs).map(|j| grad_out[r * outputs + j] * weights[j * inputs + i]).sum();
                    assert!((gx[r * inputs + i] - g).abs() < 1e-12, "input gradient, {inputs} inputs");
                }
            }
            for j in 0..outputs {
                let b: f64 = (0..rows).map(|r| grad_out[r * outputs + j]).sum();
                assert!((gb[j] - b).abs() < 1e-12);
                for i in 0..inputs {
                    let w: f64 = (0..rows).map(|r| grad_out[r * outputs + j] * input[r * inputs + i]).sum();
                    assert!((gw[j * inputs + i] - w).abs() < 1e-12, "weight gradient, {inputs} inputs");
                    assert_eq!(gw[j * inputs + i], gw_only[j * inputs + i]);
                }
            }
        }
    }

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
