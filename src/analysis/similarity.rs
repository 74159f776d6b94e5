//! How alike two networks, two layers or two neurons are: prediction
//! agreement, representation similarity (linear CKA, Kornblith et al.
//! 2019), parameter similarity before and after matching neurons
//! (Hungarian matching), within-layer homogeneity; and the level each
//! reaches by chance. Plain functions over outputs, activations and
//! weights.

use std::cell::OnceCell;

use crate::nn::Network;

/// Cosine similarity; 0 when either vector is zero, `None` when either
/// holds a value that is not finite.
pub fn cosine(a: &[f64], b: &[f64]) -> Option<f64> {
    let (mut dot, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        aa += x * x;
        bb += y * y;
    }
    if !(dot.is_finite() && aa.is_finite() && bb.is_finite()) {
        return None;
    }
    Some(if aa > 0.0 && bb > 0.0 { (dot / (aa.sqrt() * bb.sqrt())).clamp(-1.0, 1.0) } else { 0.0 })
}

/// What a replica predicts at each point: a class, or a regression value.
/// `None` (a class) or NaN (a value) where its output was not finite.
#[derive(Debug, Clone, PartialEq)]
pub enum Predictions {
    Classes(Vec<Option<usize>>),
    Values(Vec<f64>),
}

/// Regression outputs agree when they differ by at most this fraction of
/// the training targets' range.
pub const VALUE_AGREEMENT_TOLERANCE: f64 = 0.1;

/// The fraction of points at which two replicas agree: the same class, or
/// (regression) values within [`VALUE_AGREEMENT_TOLERANCE`] of the target
/// range `span`. `None` if any prediction is missing (a non-finite output):
/// an agreement is never read from a broken network.
pub fn agreement(a: &Predictions, b: &Predictions, span: f64) -> Option<f64> {
    let (agreeing, total) = match (a, b) {
        (Predictions::Classes(a), Predictions::Classes(b)) => {
            if a.iter().chain(b).any(Option::is_none) {
                return None;
            }
            (a.iter().zip(b).filter(|(x, y)| x == y).count(), a.len())
        }
        (Predictions::Values(a), Predictions::Values(b)) => {
            if !a.iter().chain(b).all(|v| v.is_finite()) {
                return None;
            }
            let tolerance = VALUE_AGREEMENT_TOLERANCE * span;
            (a.iter().zip(b).filter(|(x, y)| (*x - *y).abs() <= tolerance).count(), a.len())
        }
        _ => return None,
    };
    (total > 0).then(|| agreeing as f64 / total as f64)
}

/// The agreement two replicas would reach by chance, each keeping its own
/// predictions but at unrelated points: for classes, the sum over classes
/// of the product of how often each predicts it; for values, the agreement
/// with the other's predictions shifted half-way round the set.
pub fn chance_agreement(a: &Predictions, b: &Predictions, span: f64) -> Option<f64> {
    match (a, b) {
        (Predictions::Classes(x), Predictions::Classes(y)) => {
            if x.is_empty() || x.iter().chain(y).any(Option::is_none) {
                return None;
            }
            let classes = x.iter().chain(y).flatten().max().map_or(0, |m| m + 1);
            let frequency = |p: &[Option<usize>]| {
                let mut counts = vec![0.0; classes];
                p.iter().flatten().for_each(|&c| counts[c] += 1.0);
                counts.iter().map(|c| c / p.len() as f64).collect::<Vec<f64>>()
            };
            Some(frequency(x).iter().zip(frequency(y)).map(|(p, q)| p * q).sum())
        }
        (Predictions::Values(x), Predictions::Values(y)) => {
            let half = y.len() / 2;
            let shifted: Vec<f64> = y[half..].iter().chain(&y[..half]).copied().collect();
            agreement(&Predictions::Values(x.clone()), &Predictions::Values(shifted), span)
        }
        _ => None,
    }
}

/// Each column less its mean, in row order: a wide matrix is read a row at
/// a time instead of a column at a time (a stride of the whole width).
fn centred(values: &[f64], rows: usize, width: usize) -> Vec<f64> {
    let mut out = values[..rows * width].to_vec();
    let mut means = vec![0.0; width];
    for row in out.chunks_exact(width.max(1)) {
        means.iter_mut().zip(row).for_each(|(m, v)| *m += v);
    }
    means.iter_mut().for_each(|m| *m /= rows.max(1) as f64);
    for row in out.chunks_exact_mut(width.max(1)) {
        row.iter_mut().zip(&means).for_each(|(v, m)| *v -= m);
    }
    out
}

/// ||A^T B||_F^2 for row-major `rows x wa` and `rows x wb` matrices, with
/// row `r` of A against row `r + shift` (wrapped) of B.
fn cross_frobenius_squared(a: &[f64], wa: usize, b: &[f64], wb: usize, rows: usize, shift: usize) -> f64 {
    let mut product = vec![0.0; wa * wb];
    for r in 0..rows {
        let shifted = (r + shift) % rows;
        let (ar, br) = (&a[r * wa..(r + 1) * wa], &b[shifted * wb..(shifted + 1) * wb]);
        for (i, &x) in ar.iter().enumerate() {
            if x != 0.0 {
                product[i * wb..(i + 1) * wb].iter_mut().zip(br).for_each(|(p, &y)| *p += x * y);
            }
        }
    }
    product.iter().map(|p| p * p).sum()
}

/// Linear CKA between two representations of the same `rows` inputs
/// (`rows x wx` and `rows x wy`, row-major): 1 for identical
/// representations up to rotation and isotropic scaling, near 0 for
/// unrelated ones. `None` when either is constant (no variance) or holds a
/// value that is not finite. Comparing many pairs, [`Representation`]
/// works out each side once.
pub fn linear_cka(x: &[f64], wx: usize, y: &[f64], wy: usize, rows: usize) -> Option<f64> {
    Representation::new(x, wx, rows).cka(&Representation::new(y, wy, rows))
}

fn cka_ratio(xy: f64, denominator: f64) -> Option<f64> {
    (denominator > 1e-300 && denominator.is_finite() && xy.is_finite()).then(|| (xy / denominator).clamp(0.0, 1.0))
}

/// One representation (a layer's outputs over the probe rows) as linear
/// CKA reads it. CKA is ||X^T Y||^2 / (||X^T X|| ||Y^T Y||) for centred
/// X and Y, which equals <K, L> / (||K|| ||L||) with the rows' Gram
/// matrices K = X X^T and L = Y Y^T: a layer narrower than the rows keeps
/// its centred outputs (the first form is cheaper), a wider one its Gram
/// matrix (21,632 outputs a row in MNIST's first convolution against 256
/// rows). A report compares every layer with every other and with the
/// other replicas', so each side is worth working out once.
#[derive(Debug, Clone)]
pub struct Representation {
    rows: usize,
    width: usize,
    /// The centred outputs, kept for a narrow layer; empty for a wide one.
    centred: Vec<f64>,
    /// The Gram matrix: made at once for a wide layer, when first needed
    /// for a narrow one.
    gram: OnceCell<Vec<f64>>,
    /// ||X^T X|| = ||K||.
    norm: f64,
    /// Whether every output was finite.
    finite: bool,
}

impl Representation {
    /// The first `rows` rows of a row-major `rows x width` matrix.
    pub fn new(values: &[f64], width: usize, rows: usize) -> Self {
        let values = &values[..rows * width];
        let mut representation = Self { rows, width, centred: Vec::new(), gram: OnceCell::new(), norm: 0.0, finite: false };
        if !values.iter().all(|v| v.is_finite()) {
            return representation;
        }
        representation.finite = true;
        let centred = centred(values, rows, width);
        if width < rows {
            representation.norm = cross_frobenius_squared(&centred, width, &centred, width, rows, 0).sqrt();
            representation.centred = centred;
        } else {
            let gram = gram(&centred, width, rows);
            representation.norm = dot(&gram, &gram).sqrt();
            representation.gram = OnceCell::from(gram);
        }
        representation
    }

    fn gram(&self) -> &[f64] {
        self.gram.get_or_init(|| gram(&self.centred, self.width, self.rows))
    }

    /// Linear CKA with `other`, a representation of the same rows (see
    /// [`linear_cka`]).
    pub fn cka(&self, other: &Self) -> Option<f64> {
        if !(self.finite && other.finite && self.rows == other.rows) {
            return None;
        }
        let (narrow, other_narrow) = (self.width < self.rows, other.width < other.rows);
        let xy = if narrow && other_narrow {
            cross_frobenius_squared(&self.centred, self.width, &other.centred, other.width, self.rows, 0)
        } else {
            dot(self.gram(), other.gram())
        };
        cka_ratio(xy, self.norm * other.norm)
    }

    /// The CKA with `other`'s rows shifted half-way round (see
    /// [`chance_cka`]): the Gram matrix of shifted rows is the Gram matrix
    /// with its rows and columns shifted, and centring does not mind the
    /// order of the rows.
    pub fn chance_cka(&self, other: &Self) -> Option<f64> {
        if !(self.finite && other.finite && self.rows == other.rows) {
            return None;
        }
        let (rows, half) = (self.rows, self.rows / 2);
        if self.width < rows && other.width < rows {
            let xy = cross_frobenius_squared(&self.centred, self.width, &other.centred, other.width, rows, half);
            return cka_ratio(xy, self.norm * other.norm);
        }
        let (k, l) = (self.gram(), other.gram());
        // Row i of the shifted matrix is row i + half, wrapped, and so is
        // column j.
        let mut xy = 0.0;
        for (i, k_row) in k.chunks_exact(rows).enumerate() {
            let shifted = (i + half) % rows;
            let l_row = &l[shifted * rows..(shifted + 1) * rows];
            xy += dot(&k_row[..rows - half], &l_row[half..]) + dot(&k_row[rows - half..], &l_row[..half]);
        }
        cka_ratio(xy, self.norm * other.norm)
    }
}

/// A dot product in four running sums (a fixed order, so the same bits on
/// every machine): one sum waits on each addition before the next.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut sums = [0.0; 4];
    let (a_quads, b_quads) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = a_quads.remainder().iter().zip(b_quads.remainder()).map(|(p, q)| p * q).sum();
    for (p, q) in a_quads.zip(b_quads) {
        for lane in 0..4 {
            sums[lane] += p[lane] * q[lane];
        }
    }
    (sums[0] + sums[1]) + (sums[2] + sums[3]) + tail
}

/// Columns of the matrix the Gram matrix takes at a time: every row's share
/// of them (256 rows of 256 columns, half a megabyte) stays in the cache
/// while each is multiplied by all the others, where whole rows of a wide
/// layer were read from memory again for every pair.
const GRAM_COLUMNS: usize = 256;

/// The rows' Gram matrix `X X^T` (`rows x rows`) of a row-major
/// `rows x width` matrix.
fn gram(x: &[f64], width: usize, rows: usize) -> Vec<f64> {
    let mut k = vec![0.0; rows * rows];
    for start in (0..width).step_by(GRAM_COLUMNS) {
        let columns = start..(start + GRAM_COLUMNS).min(width);
        for i in 0..rows {
            let a = &x[i * width..][columns.clone()];
            for j in i..rows {
                k[i * rows + j] += dot(a, &x[j * width..][columns.clone()]);
            }
        }
    }
    for i in 0..rows {
        for j in 0..i {
            k[i * rows + j] = k[j * rows + i];
        }
    }
    k
}

/// The CKA two representations reach by chance: `y`'s rows shifted
/// half-way round the batch, so each keeps its own statistics but the rows
/// no longer correspond. With few rows and wide layers this is well above
/// 0, which is why the app shows it beside every CKA.
pub fn chance_cka(x: &[f64], wx: usize, y: &[f64], wy: usize, rows: usize) -> Option<f64> {
    let half = rows / 2;
    let shifted: Vec<f64> = y[half * wy..rows * wy].iter().chain(&y[..half * wy]).copied().collect();
    linear_cka(x, wx, &shifted, wy, rows)
}

/// Mean pairwise correlation (Pearson) of a layer's units' outputs over
/// the probe batch (`rows x width`): 1 when every neuron does the same
/// thing, 0 on average for unrelated neurons whatever the activation (an
/// uncentred cosine would give unrelated sigmoid units about 0.85, since
/// their outputs are all positive). Units whose output does not vary are
/// left out; `None` if fewer than two remain or a value is not finite.
pub fn within_layer_homogeneity(activations: &[f64], rows: usize, width: usize) -> Option<f64> {
    if !activations[..rows * width].iter().all(|v| v.is_finite()) {
        return None;
    }
    let columns: Vec<Vec<f64>> = (0..width)
        .map(|j| {
            let column: Vec<f64> = (0..rows).map(|r| activations[r * width + j]).collect();
            let mean = column.iter().sum::<f64>() / rows.max(1) as f64;
            column.iter().map(|v| v - mean).collect()
        })
        .collect();
    let varying: Vec<&Vec<f64>> = columns.iter().filter(|c| c.iter().any(|&v| v.abs() > 1e-12)).collect();
    if varying.len() < 2 {
        return None;
    }
    let mut total = 0.0;
    let mut pairs = 0;
    for i in 0..varying.len() {
        for j in i + 1..varying.len() {
            total += cosine(varying[i], varying[j])?;
            pairs += 1;
        }
    }
    Some(total / pairs as f64)
}

/// The chance level of [`within_layer_homogeneity`]: the expected
/// correlation of independent units is 0.
pub const WITHIN_LAYER_CHANCE: f64 = 0.0;

/// The minimum-cost perfect matching of an `n x n` cost matrix (row-major)
/// by the Hungarian algorithm: `result[row] = column`. Non-finite costs are
/// treated as very large, so a NaN can never stall it.
pub fn hungarian(cost: &[f64], n: usize) -> Vec<usize> {
    let finite_max = cost.iter().copied().filter(|c| c.is_finite()).fold(0.0f64, |m, c| m.max(c.abs()));
    let big = 1e6 * (finite_max + 1.0);
    let cost = |i: usize, j: usize| {
        let c = cost[i * n + j];
        if c.is_finite() { c } else { big }
    };
    // Potentials u (rows) and v (columns), 1-based with 0 a sentinel.
    let (mut u, mut v) = (vec![0.0; n + 1], vec![0.0; n + 1]);
    let (mut owner, mut way) = (vec![0usize; n + 1], vec![0usize; n + 1]);
    for row in 1..=n {
        owner[0] = row;
        let mut column = 0;
        let mut min_slack = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[column] = true;
            let current_row = owner[column];
            let (mut delta, mut next) = (f64::INFINITY, 0);
            for j in 1..=n {
                if !used[j] {
                    let slack = cost(current_row - 1, j - 1) - u[current_row] - v[j];
                    if slack < min_slack[j] {
                        min_slack[j] = slack;
                        way[j] = column;
                    }
                    if min_slack[j] < delta {
                        delta = min_slack[j];
                        next = j;
                    }
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[owner[j]] += delta;
                    v[j] -= delta;
                } else {
                    min_slack[j] -= delta;
                }
            }
            column = next;
            if owner[column] == 0 {
                break;
            }
        }
        loop {
            let previous = way[column];
            owner[column] = owner[previous];
            column = previous;
            if column == 0 {
                break;
            }
        }
    }
    let mut assignment = vec![0; n];
    for j in 1..=n {
        if owner[j] != 0 {
            assignment[owner[j] - 1] = j - 1;
        }
    }
    assignment
}

/// A copy of `other` with each hidden layer's neurons reordered to best
/// match `reference`'s (Hungarian matching on the cosine similarity of
/// their incoming weights and bias, layer by layer from the input). The
/// permuted network computes exactly the same function.
pub fn align_neurons(reference: &Network, other: &Network) -> Network {
    let mut aligned = other.clone();
    // Matching is defined here for dense layers; a convolutional network is
    // compared as it is.
    if aligned.layers.iter().any(|l| l.kind != crate::nn::LayerKind::Dense) {
        return aligned;
    }
    let mut previous: Option<Vec<usize>> = None;
    for index in 0..aligned.layers.len() {
        let layer = aligned.layers[index].clone();
        let (inputs, outputs) = (layer.inputs, layer.outputs);
        // Incoming weights follow the previous layer's new order.
        if let Some(order) = &previous {
            let weights = aligned.params[layer.weights.clone()].to_vec();
            for j in 0..outputs {
                for (new, &old) in order.iter().enumerate() {
                    aligned.params[layer.weights.start + j * inputs + new] = weights[j * inputs + old];
                }
            }
        }
        if index == aligned.layers.len() - 1 {
            break; // output units keep their meaning (the classes)
        }
        let row = |network: &Network, j: usize| -> Vec<f64> {
            let l = &network.layers[index];
            let mut v = network.params[l.weights.start + j * inputs..l.weights.start + (j + 1) * inputs].to_vec();
            v.push(network.params[l.bias.start + j]);
            v
        };
        let mut cost = vec![0.0; outputs * outputs];
        for a in 0..outputs {
            let ra = row(reference, a);
            for b in 0..outputs {
                // A non-finite row is the worst match, never a stall.
                cost[a * outputs + b] = -cosine(&ra, &row(&aligned, b)).unwrap_or(-1.0);
            }
        }
        // order[new position] = old unit of `other`.
        let order = hungarian(&cost, outputs);
        let permute = |params: &mut Vec<f64>, start: usize, stride: usize| {
            let old: Vec<f64> = params[start..start + outputs * stride].to_vec();
            for (new, &from) in order.iter().enumerate() {
                params[start + new * stride..start + (new + 1) * stride].copy_from_slice(&old[from * stride..(from + 1) * stride]);
            }
        };
        permute(&mut aligned.params, layer.weights.start, inputs);
        permute(&mut aligned.params, layer.bias.start, 1);
        if let Some(bn) = &layer.batch_norm {
            permute(&mut aligned.params, bn.scale.start, 1);
            permute(&mut aligned.params, bn.shift.start, 1);
            let reorder = |values: &[f64]| order.iter().map(|&from| values[from]).collect::<Vec<f64>>();
            let norm = aligned.layers[index].batch_norm.as_mut().expect("the layer has batch norm");
            norm.running_mean = reorder(&bn.running_mean);
            norm.running_var = reorder(&bn.running_var);
        }
        previous = Some(order);
    }
    aligned
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Init;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    fn gaussian(rows: usize, width: usize, seed: u64) -> Vec<f64> {
        let mut rng = crate::rng::EngineRng::seed_from_u64(seed);
        (0..rows * width).map(|_| StandardNormal.sample(&mut rng)).collect()
    }

    #[test]
    fn cka_is_one_under_rotation_and_scaling_and_near_zero_for_noise() {
        let (rows, width) = (300, 6);
        let x = gaussian(rows, width, 1);
        // A rotation in the (0, 1) plane and an isotropic scale of 3.
        let (c, s) = (0.6f64, 0.8f64);
        let mut y = x.clone();
        for r in 0..rows {
            let (a, b) = (x[r * width], x[r * width + 1]);
            y[r * width] = 3.0 * (c * a - s * b);
            y[r * width + 1] = 3.0 * (s * a + c * b);
            for j in 2..width {
                y[r * width + j] = 3.0 * x[r * width + j];
            }
        }
        assert!((linear_cka(&x, width, &y, width, rows).unwrap() - 1.0).abs() < 1e-12);
        assert!((linear_cka(&x, width, &x, width, rows).unwrap() - 1.0).abs() < 1e-12);
        let noise = gaussian(rows, width, 2);
        let unrelated = linear_cka(&x, width, &noise, width, rows).unwrap();
        assert!(unrelated < 0.1, "independent noise: {unrelated}");
        assert_eq!(linear_cka(&vec![1.0; rows * 2], 2, &x, width, rows), None, "a constant representation has no CKA");
    }

    #[test]
    fn hungarian_finds_the_optimal_assignment_and_survives_nan() {
        let cost = [4.0, 1.0, 3.0, 2.0, 0.0, 5.0, 3.0, 2.0, 2.0];
        assert_eq!(hungarian(&cost, 3), vec![1, 0, 2]);
        let with_nan = [f64::NAN, 1.0, 1.0, f64::NAN];
        assert_eq!(hungarian(&with_nan, 2), vec![1, 0]);
        assert_eq!(hungarian(&[f64::NAN; 9], 3).len(), 3);
    }

    /// Shuffling a network's hidden neurons (and the next layer's columns to
    /// match) is undone exactly by matching it to the original.
    #[test]
    fn matching_undoes_a_permutation_of_neurons() {
        use crate::nn::{Activation, NetworkSpec};
        let spec = NetworkSpec {
            inputs: 3,
            image: None,
            conv: Vec::new(),
            hidden: vec![(5, Activation::Tanh), (4, Activation::Relu)],
            outputs: 2,
            init: Init::XavierNormal,
            gain: 1.0,
            bias_init: 0.1,
            bias_std: 0.0,
            batch_norm: true,
            dropout: 0.0,
            leaky_slope: 0.01,
        };
        let original = Network::new(&spec, &mut crate::rng::EngineRng::seed_from_u64(9));
        let mut shuffled = original.clone();
        let orders = [vec![3usize, 0, 4, 1, 2], vec![2, 3, 1, 0]];
        for (index, order) in orders.iter().enumerate() {
            let layer = shuffled.layers[index].clone();
            let source = original.clone();
            for (new, &old) in order.iter().enumerate() {
                for (i, from) in (0..layer.inputs).map(|i| (i, if index == 0 { i } else { orders[index - 1][i] })) {
                    shuffled.params[layer.weights.start + new * layer.inputs + i] =
                        source.params[source.layers[index].weights.start + old * layer.inputs + from];
                }
                shuffled.params[layer.bias.start + new] = source.params[layer.bias.start + old];
            }
        }
        let last = shuffled.layers[2].clone();
        for j in 0..last.outputs {
            for (new, &old) in orders[1].iter().enumerate() {
                shuffled.params[last.weights.start + j * last.inputs + new] = original.params[last.weights.start + j * last.inputs + old];
            }
        }
        assert!(cosine(&original.params, &shuffled.params).unwrap() < 0.999);
        let aligned = align_neurons(&original, &shuffled);
        assert!((cosine(&original.params, &aligned.params).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn agreement_and_homogeneity_ends() {
        let classes = |v: &[usize]| Predictions::Classes(v.iter().map(|&c| Some(c)).collect());
        assert_eq!(agreement(&classes(&[1, 2, 3]), &classes(&[1, 2, 3]), 1.0), Some(1.0));
        assert_eq!(agreement(&classes(&[1, 2, 3, 4]), &classes(&[1, 0, 3, 0]), 1.0), Some(0.5));
        let broken = Predictions::Classes(vec![Some(1), None]);
        assert_eq!(agreement(&broken, &classes(&[1, 1]), 1.0), None, "never read from a non-finite output");
        // Two replicas that each say "class 0" 75% of the time agree by
        // chance on 0.75^2 + 0.25^2 of the points.
        assert_eq!(chance_agreement(&classes(&[0, 0, 0, 1]), &classes(&[1, 0, 0, 0]), 1.0), Some(0.625));
        let values = |v: &[f64]| Predictions::Values(v.to_vec());
        assert_eq!(agreement(&values(&[0.0, 1.0]), &values(&[0.05, 0.5]), 1.0), Some(0.5));
        assert_eq!(agreement(&values(&[0.0, f64::NAN]), &values(&[0.0, 0.0]), 1.0), None);
        let identical: Vec<f64> = (0..20).flat_map(|r| [r as f64, r as f64, r as f64]).collect();
        assert!((within_layer_homogeneity(&identical, 20, 3).unwrap() - 1.0).abs() < 1e-12);
    }

    /// Independent units average a correlation near 0 whatever the
    /// activation; an uncentred cosine made unrelated sigmoid units look
    /// 85% alike.
    #[test]
    fn unrelated_units_are_not_homogeneous_for_any_activation() {
        let (rows, width) = (256, 16);
        let z = gaussian(rows, width, 3);
        for (name, f) in [
            ("relu", (|v: f64| v.max(0.0)) as fn(f64) -> f64),
            ("relu+1", |v: f64| (v + 1.0).max(0.0)),
            ("sigmoid", |v: f64| 1.0 / (1.0 + (-v).exp())),
            ("tanh", f64::tanh),
        ] {
            let outputs: Vec<f64> = z.iter().map(|&v| f(v)).collect();
            let h = within_layer_homogeneity(&outputs, rows, width).unwrap();
            assert!(h.abs() < 0.05, "{name}: {h}");
        }
        let mut broken = z.clone();
        broken[5] = f64::NAN;
        assert_eq!(within_layer_homogeneity(&broken, rows, width), None);
    }

    /// Through the features' cross products (two narrow layers) or the
    /// rows' Gram matrices (a wide layer, or a narrow one against it), CKA
    /// is the same number.
    #[test]
    fn both_ways_of_computing_cka_agree() {
        let rows = 20;
        let narrow = gaussian(rows, 3, 6);
        let related: Vec<f64> = gaussian(rows, 5, 7).iter().enumerate().map(|(i, v)| 0.3 * v + narrow[(i / 5) * 3 + i % 3]).collect();
        let (a, b) = (Representation::new(&narrow, 3, rows), Representation::new(&related, 5, rows));
        let by_features = a.cka(&b).unwrap();
        let norm = |g: &[f64]| dot(g, g).sqrt();
        let by_rows = dot(a.gram(), b.gram()) / (norm(a.gram()) * norm(b.gram()));
        assert!((by_features - by_rows).abs() < 1e-12, "{by_features} vs {by_rows}");
        // The same outputs beside columns of zeros: as wide as the rows,
        // so through the Gram matrix, and CKA does not see the zeros.
        let wide: Vec<f64> = narrow.chunks(3).flat_map(|row| row.iter().copied().chain([0.0; 37])).collect();
        let via_wide = Representation::new(&wide, 40, rows).cka(&b).unwrap();
        assert!((via_wide - by_features).abs() < 1e-12, "{via_wide} vs {by_features}");
    }

    /// The Gram matrix of a layer wider than a block of columns is summed
    /// block by block: the same numbers as row-by-row dot products.
    #[test]
    fn a_gram_matrix_in_blocks_of_columns_is_the_gram_matrix() {
        let (rows, width) = (7, 2 * GRAM_COLUMNS + 45);
        let x = gaussian(rows, width, 8);
        let k = gram(&x, width, rows);
        for i in 0..rows {
            for j in 0..rows {
                let direct: f64 = (0..width).map(|c| x[i * width + c] * x[j * width + c]).sum();
                assert!((k[i * rows + j] - direct).abs() < 1e-9 * direct.abs().max(1.0), "({i}, {j}): {} vs {direct}", k[i * rows + j]);
            }
        }
    }

    /// Shifting the Gram matrix is shifting the rows, whichever way the
    /// representations are held.
    #[test]
    fn chance_cka_from_the_gram_matrices_is_that_of_shifted_rows() {
        let rows = 24;
        for (wx, wy) in [(3, 5), (40, 5), (40, 60)] {
            let (x, y) = (gaussian(rows, wx, 9), gaussian(rows, wy, 10));
            let shifted = chance_cka(&x, wx, &y, wy, rows).unwrap();
            let from_grams = Representation::new(&x, wx, rows).chance_cka(&Representation::new(&y, wy, rows)).unwrap();
            assert!((shifted - from_grams).abs() < 1e-12, "{wx}x{wy}: {shifted} vs {from_grams}");
        }
        let mut broken = gaussian(rows, 3, 11);
        broken[4] = f64::INFINITY;
        let fine = Representation::new(&gaussian(rows, 3, 12), 3, rows);
        assert_eq!(Representation::new(&broken, 3, rows).chance_cka(&fine), None);
        assert_eq!(fine.cka(&Representation::new(&broken, 3, rows)), None);
    }

    #[test]
    fn chance_cka_is_the_level_of_unrelated_rows() {
        let (rows, width) = (64, 16);
        let x = gaussian(rows, width, 4);
        let y = gaussian(rows, width, 5);
        let unrelated = linear_cka(&x, width, &y, width, rows).unwrap();
        let chance = chance_cka(&x, width, &x, width, rows).unwrap();
        // Both are well above 0 with 64 rows and 16 columns, and alike.
        assert!(chance > 0.1 && (chance - unrelated).abs() < 0.15, "chance {chance}, unrelated {unrelated}");
    }
}
