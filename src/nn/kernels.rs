//! The dense layer's matrix products on row-major slices, written to
//! allocate nothing and to give the same bits on every CPU and in wasm:
//! every sum is taken in one fixed order that depends on the shapes alone,
//! with no fused multiply-add (Rust never contracts a multiply and an add
//! on its own). Two paths, chosen by shape:
//! - layers with at most 8 inputs (the Playground's nets) use loops over
//!   fixed-size arrays that the compiler unrolls into straight-line code;
//! - wider ones use register tiles: several rows and outputs at once, each
//!   sum still in the order of the plain loops, so a row's result does not
//!   depend on which rows share its batch.
//!
//! Each entry point is compiled twice, for baseline x86-64 and for AVX2,
//! and the CPU picks at run time; both give the same bits.

use multiversion::multiversion;

/// Which kernels produce a run's numbers, for the run's summary: the dense
/// products are portable, the convolutions' (through `matrixmultiply`) are
/// not.
pub fn dense_kernel_description() -> &'static str {
    "portable: fixed summation order, no fused multiply-add (the same bits on every CPU and in wasm)"
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

/// Whether every value is a finite number. The scan runs in blocks without
/// a branch per value (a value is not finite when all its exponent bits
/// are set), so it vectorises: the divergence checks read every buffer of
/// every step.
pub fn all_finite(values: &[f64]) -> bool {
    values.chunks(64).all(|block| block.iter().fold(0u64, |any, &v| any | non_finite_flag(v)) == 0)
}

/// 1 if `value` is not a finite number (all its exponent bits are set),
/// else 0: to OR over a loop that then needs no branch.
#[inline(always)]
pub fn non_finite_flag(value: f64) -> u64 {
    const EXPONENT: u64 = 0x7ff0_0000_0000_0000;
    u64::from(value.to_bits() & EXPONENT == EXPONENT)
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
/// Every sum runs over the inputs in order from zero, then adds the bias.
/// `transposed` is scratch of `inputs x outputs` (unused for up to 8
/// inputs).
#[multiversion(targets("x86_64+avx+avx2"))]
pub fn dense_forward(input: &[f64], rows: usize, inputs: usize, weights: &[f64], bias: &[f64], out: &mut [f64], transposed: &mut [f64]) {
    let outputs = bias.len();
    let input = &input[..rows * inputs];
    let out = &mut out[..rows * outputs];
    with_fixed_width!(inputs, forward_fixed(input, weights, bias, out), {
        let transposed = &mut transposed[..inputs * outputs];
        for (j, row) in weights.chunks_exact(inputs).enumerate() {
            for (i, &w) in row.iter().enumerate() {
                transposed[i * outputs + j] = w;
            }
        }
        forward_tiled(input, rows, inputs, transposed, bias, out)
    })
}

/// [`dense_forward`] for N inputs.
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

/// Rows by outputs of a forward tile: with the weights transposed, each
/// input adds a broadcast x times a vector of 8 weights to 4 rows' sums,
/// 8 vector registers of sums in all.
const FORWARD_TILE: (usize, usize) = (4, 8);

/// The forward product for more than 8 inputs, from weights transposed to
/// `[inputs][outputs]`: a tile of rows and outputs at a time, each sum in
/// input order, so a row's result is the same whichever rows share its
/// batch.
#[inline(always)]
fn forward_tiled(input: &[f64], rows: usize, inputs: usize, transposed: &[f64], bias: &[f64], out: &mut [f64]) {
    const R: usize = FORWARD_TILE.0;
    const J: usize = FORWARD_TILE.1;
    let outputs = bias.len();
    let full_rows = rows - rows % R;
    let full_outputs = outputs - outputs % J;
    for r0 in (0..full_rows).step_by(R) {
        for j0 in (0..full_outputs).step_by(J) {
            let mut acc = [[0.0f64; J]; R];
            for i in 0..inputs {
                let w: &[f64; J] = transposed[i * outputs + j0..][..J].try_into().expect("a tile of J");
                for (r, sums) in acc.iter_mut().enumerate() {
                    let x = input[(r0 + r) * inputs + i];
                    for lane in 0..J {
                        sums[lane] += x * w[lane];
                    }
                }
            }
            for (r, sums) in acc.iter().enumerate() {
                for lane in 0..J {
                    out[(r0 + r) * outputs + j0 + lane] = bias[j0 + lane] + sums[lane];
                }
            }
        }
    }
    // The edges: the same sums one at a time.
    for r in 0..rows {
        let x = &input[r * inputs..(r + 1) * inputs];
        let first = if r < full_rows { full_outputs } else { 0 };
        for j in first..outputs {
            let mut sum = 0.0;
            for (i, &value) in x.iter().enumerate() {
                sum += value * transposed[i * outputs + j];
            }
            out[r * outputs + j] = bias[j] + sum;
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
    with_fixed_width!(inputs, backward_fixed(input, outputs, weights, grad_out, grad_weights, grad_bias, grad_input), {
        for g in grad_out.chunks_exact(outputs) {
            axpy(1.0, g, grad_bias);
        }
        weight_gradient_tiled(input, rows, inputs, grad_out, outputs, grad_weights);
        if let Some(grad_input) = grad_input {
            input_gradient_tiled(rows, inputs, weights, grad_out, outputs, grad_input);
        }
    })
}

/// Inputs per tile of the wide backward products (two AVX2 vectors), and
/// outputs (weight gradient) or rows (input gradient) beside them.
const LANES: usize = 8;
const BESIDE: usize = 4;

/// `grad_weights[j][i] += sum over r, in row order, of g[r][j] x[r][i]`,
/// the same additions as one axpy per row, with a tile of up to 4 outputs
/// by 8 inputs held in registers over all rows.
#[inline(always)]
fn weight_gradient_tiled(input: &[f64], rows: usize, inputs: usize, grad_out: &[f64], outputs: usize, grad_weights: &mut [f64]) {
    for j0 in (0..outputs).step_by(BESIDE) {
        let tall = BESIDE.min(outputs - j0);
        for i0 in (0..inputs).step_by(LANES) {
            let wide = LANES.min(inputs - i0);
            if tall == BESIDE && wide == LANES {
                weight_gradient_tile::<BESIDE, LANES>(input, rows, inputs, grad_out, outputs, grad_weights, j0, i0);
            } else {
                weight_gradient_edge(input, rows, inputs, grad_out, outputs, grad_weights, (j0, tall), (i0, wide));
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn weight_gradient_tile<const J: usize, const L: usize>(
    input: &[f64],
    rows: usize,
    inputs: usize,
    grad_out: &[f64],
    outputs: usize,
    grad_weights: &mut [f64],
    j0: usize,
    i0: usize,
) {
    let mut acc = [[0.0f64; L]; J];
    for (j, row) in acc.iter_mut().enumerate() {
        row.copy_from_slice(&grad_weights[(j0 + j) * inputs + i0..][..L]);
    }
    for r in 0..rows {
        let x: &[f64; L] = input[r * inputs + i0..][..L].try_into().expect("a tile of L");
        for (j, row) in acc.iter_mut().enumerate() {
            let g = grad_out[r * outputs + j0 + j];
            for lane in 0..L {
                row[lane] += g * x[lane];
            }
        }
    }
    for (j, row) in acc.iter().enumerate() {
        grad_weights[(j0 + j) * inputs + i0..][..L].copy_from_slice(row);
    }
}

/// A tile cut short by the matrix's edge: the same sums, in the same order.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn weight_gradient_edge(
    input: &[f64],
    rows: usize,
    inputs: usize,
    grad_out: &[f64],
    outputs: usize,
    grad_weights: &mut [f64],
    (j0, tall): (usize, usize),
    (i0, wide): (usize, usize),
) {
    let mut acc = [[0.0f64; LANES]; BESIDE];
    for (j, row) in acc.iter_mut().enumerate().take(tall) {
        row[..wide].copy_from_slice(&grad_weights[(j0 + j) * inputs + i0..][..wide]);
    }
    for r in 0..rows {
        let x = &input[r * inputs + i0..][..wide];
        for (j, row) in acc.iter_mut().enumerate().take(tall) {
            let g = grad_out[r * outputs + j0 + j];
            for (sum, &value) in row.iter_mut().zip(x) {
                *sum += g * value;
            }
        }
    }
    for (j, row) in acc.iter().enumerate().take(tall) {
        grad_weights[(j0 + j) * inputs + i0..][..wide].copy_from_slice(&row[..wide]);
    }
}

/// `grad_input[r][i] = sum over j, in output order, of g[r][j] w[j][i]`,
/// with a tile of up to 4 rows by 8 inputs held in registers over all
/// outputs.
#[inline(always)]
fn input_gradient_tiled(rows: usize, inputs: usize, weights: &[f64], grad_out: &[f64], outputs: usize, grad_input: &mut [f64]) {
    for r0 in (0..rows).step_by(BESIDE) {
        let tall = BESIDE.min(rows - r0);
        for i0 in (0..inputs).step_by(LANES) {
            let wide = LANES.min(inputs - i0);
            let mut acc = [[0.0f64; LANES]; BESIDE];
            if tall == BESIDE && wide == LANES {
                for j in 0..outputs {
                    let w: &[f64; LANES] = weights[j * inputs + i0..][..LANES].try_into().expect("a tile of LANES");
                    for (r, row) in acc.iter_mut().enumerate() {
                        let g = grad_out[(r0 + r) * outputs + j];
                        for lane in 0..LANES {
                            row[lane] += g * w[lane];
                        }
                    }
                }
            } else {
                for j in 0..outputs {
                    let w = &weights[j * inputs + i0..][..wide];
                    for (r, row) in acc.iter_mut().enumerate().take(tall) {
                        let g = grad_out[(r0 + r) * outputs + j];
                        for (sum, &value) in row.iter_mut().zip(w) {
                            *sum += g * value;
                        }
                    }
                }
            }
            for (r, row) in acc.iter().enumerate().take(tall) {
                grad_input[(r0 + r) * inputs + i0..][..wide].copy_from_slice(&row[..wide]);
            }
        }
    }
}

/// [`dense_backward`] for N inputs. Each sum is kept in registers over the
/// whole batch and added to memory once: the weight and bias gradients one
/// output at a time (summed over rows in row order, so the bits are those
/// of the row-by-row loop when the gradients start at zero), the input
/// gradient one row at a time.
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
            dense_forward(&input, rows, inputs, &weights, &bias, &mut out, &mut vec![0.0; inputs * outputs]);
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

    /// The tiled products give exactly the bits of the plain loops, row by
    /// row: a row's result does not depend on the batch around it, nor on
    /// the tile edges.
    #[test]
    fn tiles_give_the_bits_of_the_plain_loops() {
        for (rows, inputs, outputs) in [(40, 30, 20), (7, 33, 5), (3, 17, 9), (64, 118, 59)] {
            let input = values(rows * inputs, 5);
            let weights = values(outputs * inputs, 6);
            let bias = values(outputs, 7);
            let grad_out = values(rows * outputs, 8);
            let mut tiled = vec![0.0; rows * outputs];
            let mut scratch = vec![0.0; inputs * outputs];
            dense_forward(&input, rows, inputs, &weights, &bias, &mut tiled, &mut scratch);
            let (mut gw, mut gb, mut gx) = (vec![0.0; outputs * inputs], vec![0.0; outputs], vec![0.0; rows * inputs]);
            dense_backward(&input, rows, inputs, &weights, &grad_out, &mut gw, &mut gb, Some(&mut gx));
            let (mut lw, mut lb) = (vec![0.0; outputs * inputs], vec![0.0; outputs]);
            for r in 0..rows {
                let x = &input[r * inputs..(r + 1) * inputs];
                let g = &grad_out[r * outputs..(r + 1) * outputs];
                let mut one = vec![0.0; outputs];
                dense_forward(x, 1, inputs, &weights, &bias, &mut one, &mut scratch);
                assert_eq!(one, tiled[r * outputs..(r + 1) * outputs], "forward row {r} of {rows}x{inputs}x{outputs}");
                let mut gx_one = vec![0.0; inputs];
                for j in 0..outputs {
                    axpy(g[j], &weights[j * inputs..(j + 1) * inputs], &mut gx_one);
                    axpy(g[j], x, &mut lw[j * inputs..(j + 1) * inputs]);
                }
                axpy(1.0, g, &mut lb);
                assert_eq!(gx_one, gx[r * inputs..(r + 1) * inputs], "input gradient row {r}");
            }
            assert_eq!(lw, gw, "weight gradient {rows}x{inputs}x{outputs}");
            assert_eq!(lb, gb);
        }
    }
}
