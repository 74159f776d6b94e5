//! Homogenisation measured across the replicas of a run: every
//! similarity of [`super::similarity`] for every pair of replicas, with its
//! chance level, and the history of their means.

use rand::RngExt;
use serde::Serialize;

use super::similarity::{Predictions, Representation, agreement, align_neurons, chance_agreement, cosine, within_layer_homogeneity};
use crate::data::{INPUT_HALF_WIDTH, InputPlane, encode_point};
use crate::nn::{Inference, InputRows, Layer, Network};
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
    /// neurons' outputs, or a convolution's channels' (chance level
    /// [`WITHIN_LAYER_CHANCE`]).
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
    // Per replica and layer.
    let representations: Vec<Vec<Representation>> = trainers
        .iter()
        .map(|t| (0..layers).map(|l| Representation::new(t.probe_activations(l), t.network().layers[l].outputs, rows)).collect())
        .collect();
    let pairwise_cka = |similarity: fn(&Representation, &Representation) -> Option<f64>| -> Vec<PairMatrix> {
        (0..layers).map(|l| square(&|i, j| similarity(&representations[i][l], &representations[j][l]))).collect()
    };
    let cka = pairwise_cka(Representation::cka);
    let cka_chance = pairwise_cka(Representation::chance_cka);
    let first = &trainers[0];
    let main = &representations[0];
    let cka_between_layers = main.iter().map(|a| main.iter().map(|b| a.cka(b)).collect()).collect();
    let networks: Vec<&Network> = trainers.iter().map(Trainer::network).collect();
    let (weight_cosine, weight_cosine_matched) = weight_cosines(&networks);
    let hidden = layers - 1;
    let within_layer = trainers
        .iter()
        .map(|t| (0..hidden).map(|l| layer_homogeneity(&t.network().layers[l], t.probe_activations(l), rows)).collect())
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

/// Within-layer homogeneity of `layer`'s output on the probe batch
/// (`rows` samples). A dense layer's units are its neurons; a convolution's
/// (or a pooling's) are its channels, each seen at every position of every
/// sample, as a filter is one feature detector slid over the image. (Every
/// position a unit of its own would compare 20,000 units pairwise on
/// MNIST: seconds of work each probe, and a measure of neighbouring pixels
/// rather than of features.)
pub fn layer_homogeneity(layer: &Layer, activations: &[f64], rows: usize) -> Option<f64> {
    let Some(channels) = layer.output_channels().filter(|&c| c > 0) else {
        return within_layer_homogeneity(activations, rows, layer.outputs);
    };
    let positions = layer.outputs / channels;
    let mut by_channel = vec![0.0; rows * layer.outputs];
    for (sample, image) in activations[..rows * layer.outputs].chunks_exact(layer.outputs).enumerate() {
        for (channel, plane) in image.chunks_exact(positions).enumerate() {
            for (position, &value) in plane.iter().enumerate() {
                by_channel[(sample * positions + position) * channels + channel] = value;
            }
        }
    }
    within_layer_homogeneity(&by_channel, rows * positions, channels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::conv::ConvGeometry;
    use crate::nn::{Activation, LayerKind};

    fn layer(kind: LayerKind, outputs: usize) -> Layer {
        Layer { kind, inputs: 16, outputs, activation: Activation::Relu, dropout: 0.0, weights: 0..0, bias: 0..0, batch_norm: None }
    }

    /// Two channels of a 4x4 convolution, the second an affine copy (or a
    /// mirror) of the first at every position: one feature twice.
    #[test]
    fn a_convolutions_units_are_its_channels() {
        let geometry = ConvGeometry { in_channels: 1, out_channels: 2, kernel: 3, pad: 1, in_height: 4, in_width: 4 };
        let conv = layer(LayerKind::Conv(geometry), 32);
        let rows = 3;
        let first: Vec<f64> = (0..rows * 16).map(|i| ((i * 37) % 11) as f64 - 5.0).collect();
        for (scale, expected) in [(3.0, 1.0), (-0.5, -1.0)] {
            let activations: Vec<f64> = first
                .chunks(16)
                .flat_map(|plane| plane.iter().copied().chain(plane.iter().map(|v| scale * v + 1.0)).collect::<Vec<_>>())
                .collect();
            let homogeneity = layer_homogeneity(&conv, &activations, rows).unwrap();
            assert!((homogeneity - expected).abs() < 1e-12, "{homogeneity} for channels scaled by {scale}");
            // As a dense layer the same numbers are 32 units, most unlike.
            let dense = layer_homogeneity(&layer(LayerKind::Dense, 32), &activations, rows).unwrap();
            assert_eq!(dense, within_layer_homogeneity(&activations, rows, 32).unwrap());
            assert!((dense - expected).abs() > 0.1, "{dense}");
        }
    }
}
