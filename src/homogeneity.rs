//! Homogenisation: how alike networks and neurons become. Replicas (the
//! same run from different seeds, or with different initialisations)
//! trained in lockstep, and the measures that compare them: prediction
//! agreement, representation similarity (linear CKA, Kornblith et al.
//! 2019), parameter similarity before and after matching neurons, and
//! within-layer homogeneity.

use std::sync::Arc;

use rand::RngExt;
use serde::Serialize;

use crate::config::Config;
use crate::data::{DataError, Dataset, INPUT_HALF_WIDTH, InputPlane, encode_point};
use crate::nn::Network;
use crate::rng::{Stream, stream_rng};
use crate::train::{StepOutcome, Trainer};

/// Cosine similarity; 0 when either vector is zero.
pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let (mut dot, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa > 0.0 && bb > 0.0 { dot / (aa.sqrt() * bb.sqrt()) } else { 0.0 }
}

/// The fraction of positions where two prediction lists agree.
pub fn agreement(a: &[usize], b: &[usize]) -> f64 {
    if a.is_empty() {
        return f64::NAN;
    }
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64
}

fn centred(values: &[f64], rows: usize, width: usize) -> Vec<f64> {
    let mut out = values[..rows * width].to_vec();
    for j in 0..width {
        let mean = (0..rows).map(|r| out[r * width + j]).sum::<f64>() / rows.max(1) as f64;
        (0..rows).for_each(|r| out[r * width + j] -= mean);
    }
    out
}

/// ||A^T B||_F^2 for row-major `rows x wa` and `rows x wb` matrices.
fn cross_frobenius_squared(a: &[f64], wa: usize, b: &[f64], wb: usize, rows: usize) -> f64 {
    let mut product = vec![0.0; wa * wb];
    for r in 0..rows {
        let (ar, br) = (&a[r * wa..(r + 1) * wa], &b[r * wb..(r + 1) * wb]);
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
/// unrelated ones. `None` when either is constant (no variance).
pub fn linear_cka(x: &[f64], wx: usize, y: &[f64], wy: usize, rows: usize) -> Option<f64> {
    let (x, y) = (centred(x, rows, wx), centred(y, rows, wy));
    let xy = cross_frobenius_squared(&x, wx, &y, wy, rows);
    let xx = cross_frobenius_squared(&x, wx, &x, wx, rows).sqrt();
    let yy = cross_frobenius_squared(&y, wy, &y, wy, rows).sqrt();
    let denominator = xx * yy;
    (denominator > 1e-300 && denominator.is_finite() && xy.is_finite()).then(|| (xy / denominator).clamp(0.0, 1.0))
}

/// Mean pairwise cosine similarity of a layer's units' activations over
/// the probe batch (`rows x width`): 1 when every neuron does the same
/// thing. Silent units (all zero) are left out; `None` if fewer than two
/// remain.
pub fn within_layer_homogeneity(activations: &[f64], rows: usize, width: usize) -> Option<f64> {
    let columns: Vec<Vec<f64>> = (0..width).map(|j| (0..rows).map(|r| activations[r * width + j]).collect()).collect();
    let live: Vec<&Vec<f64>> = columns.iter().filter(|c| c.iter().any(|&v| v != 0.0)).collect();
    if live.len() < 2 {
        return None;
    }
    let mut total = 0.0;
    let mut pairs = 0;
    for i in 0..live.len() {
        for j in i + 1..live.len() {
            total += cosine(live[i], live[j]);
            pairs += 1;
        }
    }
    Some(total / pairs as f64)
}

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
                cost[a * outputs + b] = -cosine(&ra, &row(&aligned, b));
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

/// Points far outside the training distribution: uniform over the square
/// three times as wide as the input square, outside the input square. For
/// planes without an outside (pairs), `None`.
pub fn out_of_distribution_inputs(plane: &InputPlane, count: usize, seed: u64) -> Option<Vec<f64>> {
    let InputPlane::Points { features } = plane else { return None };
    let mut rng = stream_rng(seed, Stream::Data, 1 << 40);
    let (inner, outer) = (INPUT_HALF_WIDTH * 1.1, INPUT_HALF_WIDTH * 3.0);
    let mut rows = vec![0.0; count * features.len()];
    let mut filled = 0;
    while filled < count {
        let (x, y) = (rng.random_range(-outer..outer), rng.random_range(-outer..outer));
        if x.abs() > inner || y.abs() > inner {
            encode_point(features, x, y, &mut rows[filled * features.len()..(filled + 1) * features.len()]);
            filled += 1;
        }
    }
    Some(rows)
}

/// Every measure, for K replicas at one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HomogeneityReport {
    pub step: u64,
    pub replicas: usize,
    /// K x K: fraction of test points on which two replicas predict the
    /// same class.
    pub agreement: Vec<Vec<f64>>,
    /// The same on points far outside the training data (point sets only).
    pub ood_agreement: Option<Vec<Vec<f64>>>,
    /// Per layer (hidden, then output), K x K linear CKA on the probe batch.
    pub cka: Vec<Vec<Vec<Option<f64>>>>,
    /// Replica 0's layers against each other: L x L linear CKA.
    pub cka_between_layers: Vec<Vec<Option<f64>>>,
    /// K x K cosine similarity of all parameters, as they are.
    pub weight_cosine: Vec<Vec<f64>>,
    /// The same after matching replica j's neurons to replica i's
    /// (Hungarian matching, layer by layer).
    pub weight_cosine_matched: Vec<Vec<f64>>,
    /// Per replica and hidden layer: mean pairwise cosine of its neurons.
    pub within_layer: Vec<Vec<Option<f64>>>,
    /// Per replica: the first probe step at which test accuracy reached
    /// the target.
    pub time_to_target: Vec<Option<u64>>,
    pub target_accuracy: f64,
    pub test_accuracy: Vec<Option<f64>>,
}

/// The off-diagonal mean of a K x K matrix.
fn mean_off_diagonal(matrix: &[Vec<f64>]) -> f64 {
    let k = matrix.len();
    if k < 2 {
        return f64::NAN;
    }
    let values: Vec<f64> = (0..k).flat_map(|i| (0..k).filter(move |&j| j != i).map(move |j| (i, j))).map(|(i, j)| matrix[i][j]).collect();
    values.iter().sum::<f64>() / values.len() as f64
}

fn mean_option(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let values: Vec<f64> = values.flatten().filter(|v| v.is_finite()).collect();
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// One row of the homogenisation history: the means of the report's
/// matrices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HomogeneitySummary {
    pub step: u64,
    pub agreement: f64,
    pub ood_agreement: Option<f64>,
    /// Per layer: mean CKA between replicas.
    pub cka: Vec<Option<f64>>,
    pub weight_cosine: f64,
    pub weight_cosine_matched: f64,
    /// Per hidden layer: within-layer homogeneity, mean over replicas.
    pub within_layer: Vec<Option<f64>>,
    pub mean_test_accuracy: Option<f64>,
}

impl HomogeneityReport {
    pub fn summary(&self) -> HomogeneitySummary {
        let k = self.replicas;
        let layers = self.cka.len();
        let hidden = self.within_layer.first().map_or(0, Vec::len);
        HomogeneitySummary {
            step: self.step,
            agreement: mean_off_diagonal(&self.agreement),
            ood_agreement: self.ood_agreement.as_ref().map(|m| mean_off_diagonal(m)),
            cka: (0..layers)
                .map(|l| {
                    mean_option((0..k).flat_map(|i| (0..k).filter(move |&j| j != i).map(move |j| (i, j))).map(|(i, j)| self.cka[l][i][j]))
                })
                .collect(),
            weight_cosine: mean_off_diagonal(&self.weight_cosine),
            weight_cosine_matched: mean_off_diagonal(&self.weight_cosine_matched),
            within_layer: (0..hidden).map(|l| mean_option(self.within_layer.iter().map(|r| r[l]))).collect(),
            mean_test_accuracy: mean_option(self.test_accuracy.iter().copied()),
        }
    }
}

/// K replicas of one run trained in lockstep on shared data.
#[derive(Debug, Clone)]
pub struct Replicas {
    pub trainers: Vec<Trainer>,
    pub target_accuracy: f64,
    pub history: Vec<HomogeneitySummary>,
    ood: Option<Vec<f64>>,
}

pub const MAX_REPLICAS: usize = 8;

impl Replicas {
    /// The replicas `config.replicas` asks for (replica 0 is the plain
    /// run; with `inits`, replica i uses `inits[i % len]`).
    pub fn new(config: Config) -> Result<Self, DataError> {
        let data = Arc::new(Dataset::from_config(&config)?);
        Ok(Self::with_data(config, data))
    }

    pub fn with_data(config: Config, data: Arc<Dataset>) -> Self {
        let settings = config.replicas.clone();
        let trainers = (0..settings.count.clamp(1, MAX_REPLICAS))
            .map(|i| {
                let mut replica_config = config.clone();
                if !settings.inits.is_empty() {
                    replica_config.network.init = settings.inits[i % settings.inits.len()];
                }
                Trainer::replica(replica_config, Arc::clone(&data), i as u64)
            })
            .collect();
        let ood = out_of_distribution_inputs(&data.plane, 1000, config.seed);
        Self { trainers, target_accuracy: settings.target_accuracy, history: Vec::new(), ood }
    }

    /// Replicas restored from a saved experiment (their data is shared
    /// again).
    pub fn from_trainers(trainers: Vec<Trainer>) -> Self {
        assert!(!trainers.is_empty(), "a run has at least one network");
        let config = trainers[0].config().clone();
        let ood = out_of_distribution_inputs(&trainers[0].data().plane, 1000, config.seed);
        Self { trainers, target_accuracy: config.replicas.target_accuracy, history: Vec::new(), ood }
    }

    /// One step of every replica that has not diverged; records a summary
    /// when the first replica probes.
    pub fn step(&mut self) -> usize {
        let stepped = self.trainers.iter_mut().filter_map(|t| (t.step() == StepOutcome::Stepped).then_some(())).count();
        let first = &self.trainers[0];
        if stepped > 0 && first.latest().step == first.step_count() && first.diverged().is_none() {
            self.record();
        }
        stepped
    }

    /// Runs `steps` lockstep steps (stopping when every replica diverged).
    pub fn run(&mut self, steps: u64) {
        if self.history.is_empty() {
            self.record();
        }
        for _ in 0..steps {
            if self.step() == 0 {
                break;
            }
        }
    }

    pub fn record(&mut self) {
        let summary = self.measure().summary();
        self.history.push(summary);
    }

    /// Every measure now, from each replica's latest probe and predictions.
    pub fn measure(&mut self) -> HomogeneityReport {
        let k = self.trainers.len();
        let data = Arc::clone(self.trainers[0].data());
        let test_predictions: Vec<Vec<usize>> = self.trainers.iter_mut().map(|t| t.predict_classes(&data.test.inputs)).collect();
        let ood_predictions: Option<Vec<Vec<usize>>> =
            self.ood.as_ref().map(|ood| self.trainers.iter_mut().map(|t| t.predict_classes(ood)).collect());
        let square = |f: &dyn Fn(usize, usize) -> f64| (0..k).map(|i| (0..k).map(|j| f(i, j)).collect()).collect::<Vec<Vec<f64>>>();
        let agreement_matrix = square(&|i, j| agreement(&test_predictions[i], &test_predictions[j]));
        let ood_agreement = ood_predictions.as_ref().map(|p| square(&|i, j| agreement(&p[i], &p[j])));

        let layers = self.trainers[0].network().layers.len();
        let rows = self.trainers[0].probe_rows();
        let width = |t: &Trainer, l: usize| t.network().layers[l].outputs;
        let cka: Vec<Vec<Vec<Option<f64>>>> = (0..layers)
            .map(|l| {
                (0..k)
                    .map(|i| {
                        (0..k)
                            .map(|j| {
                                let (a, b) = (&self.trainers[i], &self.trainers[j]);
                                linear_cka(a.probe_activations(l), width(a, l), b.probe_activations(l), width(b, l), rows)
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let first = &self.trainers[0];
        let cka_between_layers = (0..layers)
            .map(|a| {
                (0..layers)
                    .map(|b| linear_cka(first.probe_activations(a), width(first, a), first.probe_activations(b), width(first, b), rows))
                    .collect()
            })
            .collect();
        let params: Vec<&[f64]> = self.trainers.iter().map(|t| t.network().params.as_slice()).collect();
        let weight_cosine = square(&|i, j| cosine(params[i], params[j]));
        let weight_cosine_matched = square(&|i, j| {
            if i == j {
                return 1.0;
            }
            let aligned = align_neurons(self.trainers[i].network(), self.trainers[j].network());
            cosine(params[i], &aligned.params)
        });
        let hidden = layers - 1;
        let within_layer = self
            .trainers
            .iter()
            .map(|t| (0..hidden).map(|l| within_layer_homogeneity(t.probe_activations(l), rows, width(t, l))).collect())
            .collect();
        let time_to_target = self
            .trainers
            .iter()
            .map(|t| t.history().records().iter().find(|r| r.test_acc.is_some_and(|a| a >= self.target_accuracy)).map(|r| r.step))
            .collect();
        HomogeneityReport {
            step: self.trainers[0].step_count(),
            replicas: k,
            agreement: agreement_matrix,
            ood_agreement,
            cka,
            cka_between_layers,
            weight_cosine,
            weight_cosine_matched,
            within_layer,
            time_to_target,
            target_accuracy: self.target_accuracy,
            test_accuracy: self.trainers.iter().map(|t| t.latest().test_acc).collect(),
        }
    }
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
        assert!(cosine(&original.params, &shuffled.params) < 0.999);
        let aligned = align_neurons(&original, &shuffled);
        assert!((cosine(&original.params, &aligned.params) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn agreement_and_homogeneity_ends() {
        assert_eq!(agreement(&[1, 2, 3], &[1, 2, 3]), 1.0);
        assert_eq!(agreement(&[1, 2, 3, 4], &[1, 0, 3, 0]), 0.5);
        let identical: Vec<f64> = (0..20).flat_map(|r| [r as f64, r as f64, r as f64]).collect();
        assert!((within_layer_homogeneity(&identical, 20, 3).unwrap() - 1.0).abs() < 1e-12);
    }
}
