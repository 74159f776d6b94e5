//! Homogenisation measured across the replicas of a run: every
//! similarity of [`super::similarity`] for every pair of replicas, with its
//! chance level, and the history of their means.

use rand::RngExt;
use serde::Serialize;

use super::similarity::{
    Predictions, agreement, align_neurons, chance_agreement, chance_cka, cosine, linear_cka, within_layer_homogeneity,
};
use crate::data::{INPUT_HALF_WIDTH, InputPlane, encode_point};
use crate::nn::{Inference, InputRows, Network};
use crate::rng::{Stream, stream_rng};
use crate::train::Trainer;

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

/// A similarity of two representations of the same rows (`rows x wx` and
/// `rows x wy`).
type Similarity = fn(&[f64], usize, &[f64], usize, usize) -> Option<f64>;

/// A K x K matrix of pairwise measures; `None` where a measure could not
/// be taken (a non-finite output, a constant representation).
pub type PairMatrix = Vec<Vec<Option<f64>>>;

/// Every measure, for K replicas at one step, each with the level it would
/// reach by chance beside it: a similarity means something only above that.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HomogeneityReport {
    pub step: u64,
    pub replicas: usize,
    /// K x K: fraction of test points on which two replicas predict the
    /// same class (regression: outputs within 10% of the target range).
    pub agreement: PairMatrix,
    pub agreement_chance: PairMatrix,
    /// The same on points far outside the training data (point sets only).
    pub ood_agreement: Option<PairMatrix>,
    pub ood_agreement_chance: Option<PairMatrix>,
    /// Per layer (hidden, then output), K x K linear CKA on the probe batch.
    pub cka: Vec<PairMatrix>,
    /// Per layer, K x K: the CKA of unrelated rows (see [`chance_cka`]).
    pub cka_chance: Vec<PairMatrix>,
    /// Replica 0's layers against each other: L x L linear CKA.
    pub cka_between_layers: PairMatrix,
    /// K x K cosine similarity of all parameters, as they are.
    pub weight_cosine: PairMatrix,
    /// The same after matching replica j's neurons to replica i's
    /// (Hungarian matching, layer by layer).
    pub weight_cosine_matched: PairMatrix,
    /// Both cosines between the replicas' independent initial networks:
    /// matching alone lifts the matched one well above 0.
    pub weight_cosine_chance: PairMatrix,
    pub weight_cosine_matched_chance: PairMatrix,
    /// Per replica and hidden layer: mean pairwise correlation of its
    /// neurons' outputs (chance level [`WITHIN_LAYER_CHANCE`]).
    pub within_layer: Vec<Vec<Option<f64>>>,
    /// Per replica: the first probe step at which test accuracy reached
    /// the target.
    pub time_to_target: Vec<Option<u64>>,
    pub target_accuracy: f64,
    pub test_accuracy: Vec<Option<f64>>,
}

/// The mean of the off-diagonal entries that could be measured.
fn mean_off_diagonal(matrix: &PairMatrix) -> Option<f64> {
    let k = matrix.len();
    mean_option((0..k).flat_map(|i| (0..k).filter(move |&j| j != i).map(move |j| (i, j))).map(|(i, j)| matrix[i][j]))
}

fn mean_option(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let values: Vec<f64> = values.flatten().filter(|v| v.is_finite()).collect();
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// One row of the homogenisation history: the means over pairs of
/// replicas of the report's matrices, and of their chance levels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HomogeneitySummary {
    pub step: u64,
    pub agreement: Option<f64>,
    pub agreement_chance: Option<f64>,
    pub ood_agreement: Option<f64>,
    pub ood_agreement_chance: Option<f64>,
    /// Per layer: mean CKA between replicas, and its chance level.
    pub cka: Vec<Option<f64>>,
    pub cka_chance: Vec<Option<f64>>,
    pub weight_cosine: Option<f64>,
    pub weight_cosine_matched: Option<f64>,
    pub weight_cosine_chance: Option<f64>,
    pub weight_cosine_matched_chance: Option<f64>,
    /// Per hidden layer: within-layer homogeneity, mean over replicas.
    pub within_layer: Vec<Option<f64>>,
    pub mean_test_accuracy: Option<f64>,
}

impl HomogeneityReport {
    pub fn summary(&self) -> HomogeneitySummary {
        let hidden = self.within_layer.first().map_or(0, Vec::len);
        HomogeneitySummary {
            step: self.step,
            agreement: mean_off_diagonal(&self.agreement),
            agreement_chance: mean_off_diagonal(&self.agreement_chance),
            ood_agreement: self.ood_agreement.as_ref().and_then(mean_off_diagonal),
            ood_agreement_chance: self.ood_agreement_chance.as_ref().and_then(mean_off_diagonal),
            cka: self.cka.iter().map(mean_off_diagonal).collect(),
            cka_chance: self.cka_chance.iter().map(mean_off_diagonal).collect(),
            weight_cosine: mean_off_diagonal(&self.weight_cosine),
            weight_cosine_matched: mean_off_diagonal(&self.weight_cosine_matched),
            weight_cosine_chance: mean_off_diagonal(&self.weight_cosine_chance),
            weight_cosine_matched_chance: mean_off_diagonal(&self.weight_cosine_matched_chance),
            within_layer: (0..hidden).map(|l| mean_option(self.within_layer.iter().map(|r| r[l]))).collect(),
            mean_test_accuracy: mean_option(self.test_accuracy.iter().copied()),
        }
    }
}

/// The raw and matched cosines between every pair of networks.
fn weight_cosines(networks: &[&Network]) -> (PairMatrix, PairMatrix) {
    let k = networks.len();
    let raw = (0..k).map(|i| (0..k).map(|j| cosine(&networks[i].params, &networks[j].params)).collect()).collect();
    let matched = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| {
                    if i == j {
                        return Some(1.0);
                    }
                    cosine(&networks[i].params, &align_neurons(networks[i], networks[j]).params)
                })
                .collect()
        })
        .collect();
    (raw, matched)
}

/// What a run's measures are compared with, computed once per run: points
/// far from the data, and the weight cosines of the replicas' independent
/// initial networks.
#[derive(Debug, Clone, PartialEq)]
pub struct Baselines {
    ood: Option<Vec<f64>>,
    initial_cosines: (PairMatrix, PairMatrix),
}

/// How many far-away points the agreement outside the data is measured on.
const FAR_POINTS: usize = 1000;

impl Baselines {
    pub fn of(trainers: &[Trainer]) -> Self {
        let first = &trainers[0];
        let ood = out_of_distribution_inputs(&first.data().plane, FAR_POINTS, first.config().seed);
        let initial: Vec<Network> = trainers.iter().map(Trainer::initial_network).collect();
        Self { ood, initial_cosines: weight_cosines(&initial.iter().collect::<Vec<_>>()) }
    }
}

fn predictions(trainers: &[Trainer], inputs: &(impl InputRows + ?Sized), inference: &mut Inference) -> Vec<Predictions> {
    let data = trainers[0].data();
    trainers
        .iter()
        .map(|t| match data.task.classes() {
            None => Predictions::Values(inference.values(t.network(), inputs)),
            Some(_) => Predictions::Classes(inference.classes(t.network(), data.loss, inputs)),
        })
        .collect()
}

/// Every measure now, from each replica's latest probe and predictions;
/// `target_accuracy` is the test accuracy whose time to reach is reported.
pub fn measure(trainers: &[Trainer], baselines: &Baselines, target_accuracy: f64, inference: &mut Inference) -> HomogeneityReport {
    let k = trainers.len();
    let data = trainers[0].data();
    let span =
        data.train.labels.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v)) - data.train.labels.iter().fold(f64::INFINITY, |m, &v| m.min(v));
    let test = predictions(trainers, &data.test.inputs, inference);
    let ood = baselines.ood.as_ref().map(|inputs| predictions(trainers, inputs, inference));
    let square = |f: &dyn Fn(usize, usize) -> Option<f64>| (0..k).map(|i| (0..k).map(|j| f(i, j)).collect()).collect::<PairMatrix>();
    let agreement_matrix = square(&|i, j| agreement(&test[i], &test[j], span));
    let agreement_chance = square(&|i, j| chance_agreement(&test[i], &test[j], span));
    let ood_agreement = ood.as_ref().map(|p| square(&|i, j| agreement(&p[i], &p[j], span)));
    let ood_agreement_chance = ood.as_ref().map(|p| square(&|i, j| chance_agreement(&p[i], &p[j], span)));

    let layers = trainers[0].network().layers.len();
    let rows = trainers[0].probe_rows();
    let width = |t: &Trainer, l: usize| t.network().layers[l].outputs;
    let pairwise_cka = |similarity: Similarity| -> Vec<PairMatrix> {
        (0..layers)
            .map(|l| {
                square(&|i, j| {
                    let (a, b) = (&trainers[i], &trainers[j]);
                    similarity(a.probe_activations(l), width(a, l), b.probe_activations(l), width(b, l), rows)
                })
            })
            .collect()
    };
    let cka = pairwise_cka(linear_cka);
    let cka_chance = pairwise_cka(chance_cka);
    let first = &trainers[0];
    let cka_between_layers = (0..layers)
        .map(|a| {
            (0..layers)
                .map(|b| linear_cka(first.probe_activations(a), width(first, a), first.probe_activations(b), width(first, b), rows))
                .collect()
        })
        .collect();
    let networks: Vec<&Network> = trainers.iter().map(Trainer::network).collect();
    let (weight_cosine, weight_cosine_matched) = weight_cosines(&networks);
    let hidden = layers - 1;
    let within_layer = trainers
        .iter()
        .map(|t| (0..hidden).map(|l| within_layer_homogeneity(t.probe_activations(l), rows, width(t, l))).collect())
        .collect();
    HomogeneityReport {
        step: first.step_count(),
        replicas: k,
        agreement: agreement_matrix,
        agreement_chance,
        ood_agreement,
        ood_agreement_chance,
        cka,
        cka_chance,
        cka_between_layers,
        weight_cosine,
        weight_cosine_matched,
        weight_cosine_chance: baselines.initial_cosines.0.clone(),
        weight_cosine_matched_chance: baselines.initial_cosines.1.clone(),
        within_layer,
        time_to_target: trainers.iter().map(|t| t.history().first_reaching(target_accuracy).1).collect(),
        target_accuracy,
        test_accuracy: trainers.iter().map(|t| t.latest().test_acc.filter(|a| a.is_finite())).collect(),
    }
}
