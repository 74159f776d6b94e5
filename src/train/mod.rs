//! Training: the trainer that steps mini-batches, the probes it runs, and
//! the history it keeps.

mod history;
mod probe;
mod settling;

use std::fmt;
use std::sync::Arc;

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

pub use history::{History, ProbeRecord};
pub use probe::{Histogram, HistogramScale, LayerDetail, LayerStats, measure_layers};
pub use settling::{SETTLED_RATE, Settling};

use crate::config::{Config, TrainingConfig};
use crate::data::{DataError, Dataset};
use crate::nn::kernels::gather_rows;
use crate::nn::norms::clip_to_norm;
use crate::nn::parallel::{self, SlicedBatch};
use crate::nn::{
    ConvSpec, Evaluation, Inference, InputRows, Layer, Loss, Mode, Network, NetworkSpec, Optimizer, OptimizerSettings, Workspace,
};
use crate::rng::{Stream, stream_rng};

/// Replica numbers live in the high bits of a random stream's index, so
/// replicas never share an epoch's or a step's stream.
const REPLICA_SHIFT: u32 = 48;

/// The probe batch: the first this many training points, or fewer for a
/// network so wide that they would not fit [`PROBE_VALUES`].
pub const PROBE_BATCH: usize = 256;
/// The most numbers the probe's workspace may hold (128 MB): 256 MNIST
/// images through the convolutional network and back would take 500 MB.
const PROBE_VALUES: usize = 16 << 20;

/// The rows of the probe batch for a network and a training set of
/// `train_rows`.
pub fn probe_rows(network: &Network, train_rows: usize) -> usize {
    let fitting = (PROBE_VALUES / Workspace::values_per_row(network, true).max(1)).max(1);
    train_rows.min(PROBE_BATCH).min(fitting)
}

/// What went non-finite first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NonFinite {
    Loss,
    Activation,
    Gradient,
    Weight,
    /// A batch-normalisation running mean or variance.
    Statistic,
    /// An output in evaluation mode (running statistics, no dropout): the
    /// mode in which accuracy is measured and pictures are drawn.
    Evaluation,
}

impl NonFinite {
    pub fn name(self) -> &'static str {
        match self {
            Self::Loss => "loss",
            Self::Activation => "activation",
            Self::Gradient => "gradient",
            Self::Weight => "weight",
            Self::Statistic => "running statistic",
            Self::Evaluation => "output in evaluation mode",
        }
    }
}

/// Where and when a run blew up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Divergence {
    /// The step during which it happened (1 for the first update; a
    /// probe's step when a probe found it).
    pub step: u64,
    /// The layer, counted from 1 at the first weight layer; `None` when only
    /// the loss itself overflowed.
    pub layer: Option<usize>,
    pub what: NonFinite,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = self.what.name();
        match self.layer {
            Some(layer) => write!(f, "non-finite {what} in layer {layer} at step {}", self.step),
            None => write!(f, "non-finite {what} at step {}", self.step),
        }
    }
}

/// A run's complete state, for saving and resuming.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainerState {
    /// Not serialised with the rest: a saved experiment keeps it as TOML
    /// text, readable and validated like any config file.
    #[serde(skip)]
    pub config: Config,
    pub data: Dataset,
    pub network: Network,
    pub optimizer: Optimizer,
    pub previous_params: Vec<f64>,
    pub step: u64,
    pub epoch: u64,
    pub cursor: usize,
    pub samples_seen: u64,
    pub replica: u64,
    pub history: History,
    pub settling: Settling,
    pub diverged: Option<Divergence>,
}

/// The target rows of a batch starting at row `start` of the epoch.
fn targets_of(targets: &[f64], start: usize, rows: usize, dim: usize) -> &[f64] {
    &targets[start * dim..(start + rows) * dim]
}

/// Why a saved state cannot be resumed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RestoreError {
    #[error("its config is invalid: {0}")]
    InvalidConfig(crate::config::ConfigIssue),
    #[error("its {part} does not fit: {problem}")]
    Inconsistent { part: &'static str, problem: String },
}

/// The largest step, epoch or replica number a saved state may hold: far
/// beyond any real run, and far from where counters would overflow.
const MAX_SAVED_COUNT: u64 = 1 << 40;

impl TrainerState {
    /// Checks every part against the config and the others.
    pub fn validate(&self) -> Result<(), RestoreError> {
        let fail = |part: &'static str, problem: String| Err(RestoreError::Inconsistent { part, problem });
        if let Some(issue) = self.config.issues().into_iter().next() {
            return Err(RestoreError::InvalidConfig(issue));
        }
        let data = &self.data;
        if let Err(problem) = data.check() {
            return fail("data set", problem);
        }
        if data.loss != self.config.training.loss {
            return fail(
                "data set",
                format!("it was encoded for loss {}, the config says {}", data.loss.name(), self.config.training.loss.name()),
            );
        }
        if self.replica >= crate::config::Limits::REPLICAS.1 as u64 {
            return fail("replica number", format!("{} (at most {})", self.replica, crate::config::Limits::REPLICAS.1 - 1));
        }
        for (name, value) in [("step", self.step), ("epoch", self.epoch)] {
            if value > MAX_SAVED_COUNT {
                return fail("training position", format!("{name} {value}"));
            }
        }
        if self.cursor > data.train.len() {
            return fail("training position", format!("row {} of {}", self.cursor, data.train.len()));
        }
        let expected = build_network(&self.config, data, &mut stream_rng(0, Stream::Init, 0));
        let network = &self.network;
        if network.params.len() != expected.params.len() || network.layers.len() != expected.layers.len() {
            return fail(
                "network",
                format!(
                    "{} layers and {} parameters where the config makes {} and {}",
                    network.layers.len(),
                    network.params.len(),
                    expected.layers.len(),
                    expected.params.len()
                ),
            );
        }
        if network.leaky_slope != expected.leaky_slope {
            return fail("network", "its leaky slope differs from the config's".into());
        }
        for (index, (layer, wanted)) in network.layers.iter().zip(&expected.layers).enumerate() {
            let shape = |l: &Layer| (l.kind, l.inputs, l.outputs, l.activation, l.dropout, l.weights.clone(), l.bias.clone());
            let norm_ranges = |l: &Layer| l.batch_norm.as_ref().map(|bn| (bn.scale.clone(), bn.shift.clone()));
            if shape(layer) != shape(wanted) || norm_ranges(layer) != norm_ranges(wanted) {
                return fail("network", format!("layer {} is not the layer its config describes", index + 1));
            }
            if let Some(bn) = &layer.batch_norm
                && (bn.running_mean.len() != layer.outputs || bn.running_var.len() != layer.outputs)
            {
                return fail("network", format!("layer {}'s batch-norm statistics have the wrong length", index + 1));
            }
        }
        if !self.optimizer.fits(expected.params.len()) || self.optimizer.settings.kind != self.config.training.optimizer {
            return fail("optimiser state", format!("it is for {} and another network", self.optimizer.settings.kind.name()));
        }
        if !self.previous_params.is_empty() && self.previous_params.len() != expected.params.len() {
            return fail("previous parameters", format!("{} values for {} parameters", self.previous_params.len(), expected.params.len()));
        }
        if let Some(record) = self.history.records().iter().find(|r| r.layers.len() != expected.layers.len()) {
            return fail("history", format!("the record of step {} has {} layers", record.step, record.layers.len()));
        }
        let hidden: Vec<usize> = expected.layers[..expected.hidden_layers()].iter().map(|l| l.outputs).collect();
        if !self.settling.fits(&hidden, probe_rows(&expected, data.train.len())) {
            return fail("feature settling record", "its shape is not the network's".into());
        }
        if let Some(divergence) = &self.diverged
            && divergence.layer.is_some_and(|l| l == 0 || l > expected.layers.len())
        {
            return fail("divergence record", format!("layer {:?}", divergence.layer));
        }
        Ok(())
    }
}

/// Where a training step computes its batch.
#[derive(Debug, Clone)]
enum Batch {
    /// One workspace, one thread: portable networks (whose bits must not
    /// depend on the machine) and networks with dropout or batch
    /// normalisation (whose rows depend on each other's draws or
    /// statistics).
    Whole(Workspace),
    /// Fixed slices of a few rows, on several threads (see
    /// [`crate::nn::parallel`]): convolutional networks.
    Sliced(SlicedBatch),
}

impl Batch {
    fn new(network: &Network, capacity: usize) -> Self {
        let rows_independent = network.layers.iter().all(|l| l.dropout == 0.0 && l.batch_norm.is_none());
        if network.has_convolutions() && rows_independent {
            Self::Sliced(SlicedBatch::new(network, capacity, parallel::SLICE_ROWS))
        } else {
            Self::Whole(Workspace::new(network, capacity))
        }
    }

    fn capacity(&self) -> usize {
        match self {
            Self::Whole(ws) => ws.capacity(),
            Self::Sliced(slices) => slices.capacity(),
        }
    }

    fn rows(&self) -> usize {
        match self {
            Self::Whole(ws) => ws.rows(),
            Self::Sliced(slices) => slices.rows(),
        }
    }

    /// Loads the training inputs of `rows` (indices into `inputs`), in
    /// that order, as the batch.
    fn load_rows(&mut self, inputs: &crate::data::Inputs, width: usize, rows: &[usize]) {
        match self {
            Self::Whole(ws) => inputs.gather_rows(width, rows, ws.input_rows(rows.len())),
            Self::Sliced(slices) => slices.load(rows.len(), |first, out| {
                inputs.gather_rows(width, &rows[first..first + out.len() / width], out);
            }),
        }
    }
}

/// The end of one call to [`Trainer::step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    Stepped,
    /// The step diverged (now, or before); the network is left as it was
    /// when the non-finite value appeared.
    Diverged,
}

/// The network spec a config describes, for a data set's input and output
/// widths.
pub fn network_spec(config: &Config, data: &Dataset) -> NetworkSpec {
    let network = &config.network;
    let image = match data.plane {
        crate::data::InputPlane::Image { width, height } => Some((1, height, width)),
        _ => None,
    };
    NetworkSpec {
        inputs: data.input_dim,
        image,
        conv: if image.is_some() {
            network
                .conv
                .iter()
                .map(|c| ConvSpec {
                    filters: c.filters,
                    kernel: c.kernel,
                    pad: if c.padding == crate::config::Padding::Same { c.kernel / 2 } else { 0 },
                    pool: c.pool,
                    activation: network.activation,
                })
                .collect()
        } else {
            Vec::new()
        },
        hidden: network.hidden.iter().enumerate().map(|(i, &w)| (w, network.activation_of(i))).collect(),
        outputs: data.target_dim,
        init: network.init,
        gain: network.gain,
        bias_init: network.bias_init,
        bias_std: network.bias_std,
        batch_norm: network.batch_norm,
        dropout: network.dropout,
        leaky_slope: network.leaky_slope,
    }
}

/// The network a config describes for a data set, its numbers drawn from
/// `rng`.
pub fn build_network(config: &Config, data: &Dataset, rng: &mut crate::rng::EngineRng) -> Network {
    let mut network = Network::new(&network_spec(config, data), rng);
    network.precision = config.network.precision;
    network
}

fn optimizer_settings(training: &TrainingConfig) -> OptimizerSettings {
    OptimizerSettings {
        kind: training.optimizer,
        learning_rate: training.learning_rate,
        momentum: training.momentum,
        nesterov: training.nesterov,
        weight_decay: training.weight_decay,
        adam_epsilon: training.adam_epsilon,
        adam_epsilon_hat: training.adam_epsilon_hat,
    }
}

/// Shuffles `order` into epoch `epoch`'s batch order. It depends only on
/// the seed, the replica and the epoch, so a resumed run repeats it.
fn shuffle_for_epoch(order: &mut [usize], seed: u64, replica: u64, epoch: u64) {
    order.iter_mut().enumerate().for_each(|(i, slot)| *slot = i);
    order.shuffle(&mut stream_rng(seed, Stream::BatchOrder, replica << REPLICA_SHIFT | epoch));
}

fn epoch_order(len: usize, seed: u64, replica: u64, epoch: u64) -> Vec<usize> {
    let mut order = vec![0; len];
    shuffle_for_epoch(&mut order, seed, replica, epoch);
    order
}

/// A training point asked for by its index that the training set does not
/// have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("point {point} is not in the training set, which has {len} points (0 to {last})", last = .len.saturating_sub(1))]
pub struct PointOutOfRange {
    pub point: usize,
    pub len: usize,
}

/// Why a step on one point cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PointStepError {
    #[error(transparent)]
    OutOfRange(#[from] PointOutOfRange),
    #[error("the run has stopped: {0}")]
    AlreadyDiverged(Divergence),
    #[error("this step would not give finite numbers: {0}")]
    Diverges(Divergence),
}

/// One training step on one training point, computed aside by
/// [`Trainer::point_step`]: everything [`Trainer::step_on_point`] computes
/// on the way to its update.
#[derive(Debug, Clone)]
pub struct PointStep {
    /// The point's index in the training set.
    pub point: usize,
    /// The number this step would have (one more than the steps taken).
    pub step: u64,
    /// The target row the loss compares the output with.
    pub targets: Vec<f64>,
    /// The forward and backward buffers of the one row: every layer's
    /// pre-activations, activations and their gradients.
    pub workspace: Workspace,
    /// The point's loss, without penalties.
    pub loss: f64,
    /// The L1 and L2 penalties on the weights before the step.
    pub penalty: f64,
    /// The loss's gradient alone, backpropagated, laid out like the
    /// parameters.
    pub data_gradient: Vec<f64>,
    /// The penalties' gradient (zeros without penalties).
    pub penalty_gradient: Vec<f64>,
    /// The gradient's global norm before clipping, when clipping is on.
    pub norm_before_clip: Option<f64>,
    /// What the optimiser was given: data and penalty gradients summed,
    /// then clipped.
    pub gradient: Vec<f64>,
    /// The network after the update (batch-norm running statistics
    /// included).
    pub network_after: Network,
    /// The optimiser's state after the update.
    pub optimizer_after: Optimizer,
}

/// Where the targets of a loaded batch are: rows of this epoch's order
/// from a start, or one training point.
#[derive(Debug, Clone, Copy)]
enum LoadedTargets {
    Epoch(usize),
    Point(usize),
}

/// What one training step reads and changes: the trainer's own parts for a
/// real step, copies of them for a step computed aside.
struct StepParts<'a> {
    network: &'a mut Network,
    optimizer: &'a mut Optimizer,
    batch: &'a mut Batch,
    grads: &'a mut [f64],
    previous_params: &'a mut Vec<f64>,
    decayed: &'a [std::ops::Range<usize>],
    training: &'a TrainingConfig,
    loss: Loss,
}

/// The stages of the gradient a step computes, kept only when asked for:
/// a plain training step keeps nothing and so allocates nothing.
#[derive(Debug, Default)]
struct GradientParts {
    loss: f64,
    data: Vec<f64>,
    penalty: Vec<f64>,
    norm_before_clip: Option<f64>,
}

/// The one training step, on the batch already loaded into `parts.ws`:
/// forward, loss, backward, penalties, clipping, update, and the checks
/// that stop a run at the first non-finite value (rolling the update back).
/// Fails with the layer (from 0) and what went non-finite.
fn take_step(
    parts: StepParts<'_>,
    targets: &[f64],
    dropout: Option<crate::rng::EngineRng>,
    mut record: Option<&mut GradientParts>,
) -> Result<(), (Option<usize>, NonFinite)> {
    let StepParts { network, optimizer, batch, grads, previous_params, decayed, training, loss: loss_kind } = parts;
    let rows = batch.rows();
    let dim = network.outputs();
    let loss = match batch {
        Batch::Whole(ws) => {
            match dropout {
                Some(mut rng) => network.forward(ws, Mode::Train(&mut rng)),
                // Nothing to draw: skip seeding a generator every step.
                None => network.forward(ws, Mode::TrainFixedMasks),
            }
            let (logits, logits_grad) = ws.logits_and_grad();
            let loss = loss_kind.mean_and_grad(logits, targets, rows, dim, logits_grad);
            if !loss.is_finite() {
                let layer = network.first_non_finite_layer(ws);
                return Err((layer, if layer.is_some() { NonFinite::Activation } else { NonFinite::Loss }));
            }
            network.backward(ws, grads);
            loss
        }
        Batch::Sliced(slices) => {
            let loss = slices.train(network, loss_kind, targets, grads);
            if !loss.is_finite() {
                let layer = slices.first_non_finite_layer();
                return Err((layer, if layer.is_some() { NonFinite::Activation } else { NonFinite::Loss }));
            }
            loss
        }
    };
    if let Some(record) = record.as_deref_mut() {
        record.loss = loss;
        record.data = grads.to_vec();
        record.penalty = vec![0.0; grads.len()];
        network.add_penalty_gradient(training.l1, training.l2, &mut record.penalty);
    }
    network.add_penalty_gradient(training.l1, training.l2, grads);
    if let Some(layer) = network.first_non_finite_parameter_layer(grads) {
        return Err((Some(layer), NonFinite::Gradient));
    }
    if training.grad_clip > 0.0 {
        let norm = clip_to_norm(grads, training.grad_clip);
        if let Some(record) = record {
            record.norm_before_clip = Some(norm);
        }
    }
    // Kept every step: for the update ratio of the next probe, and to roll
    // back an update that overflows.
    previous_params.clone_from(&network.params);
    optimizer.update(&mut network.params, grads, decayed);
    if let Some(layer) = network.first_non_finite_parameter_layer(&network.params) {
        network.params.clone_from(previous_params);
        return Err((Some(layer), NonFinite::Weight));
    }
    // A sliced batch never has batch norm (see `Batch::new`).
    if let Batch::Whole(ws) = batch
        && network.layers.iter().any(|layer| layer.batch_norm.is_some())
    {
        let before = network.running_statistics();
        if let Err(layer) = network.update_running_statistics(ws) {
            network.params.clone_from(previous_params);
            return Err((Some(layer), NonFinite::Statistic));
        }
        // Evaluation mode reads the running statistics, which lag the
        // batch's: it can overflow while training looks fine. Checking this
        // batch in that mode catches it at the step it happens.
        network.forward(ws, Mode::Eval);
        let broken = network.first_non_finite_layer(ws);
        let eval_loss = loss_kind.sum(ws.logits(), targets, rows, dim);
        if broken.is_some() || !eval_loss.is_finite() {
            network.params.clone_from(previous_params);
            network.set_running_statistics(&before);
            return Err((Some(broken.unwrap_or(network.layers.len() - 1)), NonFinite::Evaluation));
        }
    }
    Ok(())
}

/// Trains one network on one data set, one mini-batch per [`step`], and
/// probes it every `log_every` steps.
///
/// [`step`]: Trainer::step
#[derive(Debug, Clone)]
pub struct Trainer {
    config: Config,
    data: Arc<Dataset>,
    network: Network,
    optimizer: Optimizer,
    grads: Vec<f64>,
    batch: Batch,
    probe: Workspace,
    probe_grads: Vec<f64>,
    inference: Inference,
    /// The ranges that take weight decay, computed once.
    decayed: Vec<std::ops::Range<usize>>,
    /// Parameters before the last update.
    previous_params: Vec<f64>,
    step: u64,
    epoch: u64,
    samples_seen: u64,
    /// Which replica of the run this is (0: the plain run).
    replica: u64,
    order: Vec<usize>,
    /// This epoch's training targets in batch order, so a batch's are one
    /// contiguous slice. (Inputs are gathered per batch: as numbers, a
    /// large image set's copy would cost eight times its grey levels.)
    epoch_targets: Vec<f64>,
    cursor: usize,
    uses_dropout: bool,
    history: History,
    latest_detail: Vec<LayerDetail>,
    /// Time spent in [`Trainer::record_probe`], so a run can tell its
    /// training speed from its measuring.
    probe_time: web_time::Duration,
    settling: Settling,
    diverged: Option<Divergence>,
}

impl Trainer {
    /// Builds the data set and network a config describes, and probes the
    /// untrained network (step 0).
    pub fn new(config: Config) -> Result<Self, DataError> {
        let data = Arc::new(Dataset::build(&config.data, config.training.loss, config.seed)?);
        Ok(Self::with_data(config, data))
    }

    /// As [`Trainer::new`], sharing a data set already built (replicas, or
    /// the app rebuilding only the network).
    pub fn with_data(config: Config, data: Arc<Dataset>) -> Self {
        Self::replica(config, data, 0)
    }

    /// Replica `index` of a run: the same config and data, but its own
    /// initialisation, batch order and dropout masks. Replica 0 is the
    /// plain run.
    pub fn replica(config: Config, data: Arc<Dataset>, index: u64) -> Self {
        let mut init_rng = stream_rng(config.seed, Stream::Init, index << REPLICA_SHIFT);
        let network = build_network(&config, &data, &mut init_rng);
        let optimizer = Optimizer::new(optimizer_settings(&config.training), network.params.len());
        let batch_capacity = config.training.batch_size.min(data.train.len()).max(1);
        let probe_rows = probe_rows(&network, data.train.len());
        let mut probe = Workspace::new(&network, probe_rows);
        data.train.inputs.copy_rows(data.input_dim, 0, probe.input_rows(probe_rows));
        let mut trainer = Self {
            grads: vec![0.0; network.params.len()],
            batch: Batch::new(&network, batch_capacity),
            probe,
            probe_grads: vec![0.0; network.params.len()],
            inference: Inference::default(),
            decayed: network.weight_ranges(),
            previous_params: Vec::new(),
            step: 0,
            epoch: 0,
            samples_seen: 0,
            replica: index,
            order: (0..data.train.len()).collect(),
            epoch_targets: vec![0.0; data.train.targets.len()],
            cursor: 0,
            uses_dropout: config.network.dropout > 0.0,
            history: History::default(),
            latest_detail: Vec::new(),
            probe_time: web_time::Duration::ZERO,
            settling: Settling::default(),
            diverged: None,
            optimizer,
            network,
            data,
            config,
        };
        trainer.start_epoch();
        trainer.record_probe();
        trainer
    }

    pub fn config(&self) -> &Config {
        &self.config
    }
    pub fn data(&self) -> &Arc<Dataset> {
        &self.data
    }
    pub fn network(&self) -> &Network {
        &self.network
    }
    pub fn optimizer(&self) -> &Optimizer {
        &self.optimizer
    }
    /// Updates applied so far.
    pub fn step_count(&self) -> u64 {
        self.step
    }
    /// Training examples consumed so far (the last batch of an epoch may be
    /// short, so this is not steps x batch size).
    pub fn samples_seen(&self) -> u64 {
        self.samples_seen
    }
    /// The epoch the latest batch came from, from 0: the passes over the
    /// training set completed before it (see also
    /// [`Trainer::epochs_completed`]).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
    pub fn history(&self) -> &History {
        &self.history
    }
    pub fn history_mut(&mut self) -> &mut History {
        &mut self.history
    }
    /// How settled each hidden neuron's feature is.
    pub fn settling(&self) -> &Settling {
        &self.settling
    }

    /// Layer `layer`'s activations on the probe batch at the latest probe,
    /// `rows x width` row-major: the representation similarity measures
    /// compare these.
    pub fn probe_activations(&self, layer: usize) -> &[f64] {
        let rows = self.probe.rows();
        &self.probe.activation(layer)[..rows * self.network.layers[layer].outputs]
    }

    /// The number of probe rows.
    pub fn probe_rows(&self) -> usize {
        self.probe.rows()
    }

    /// The network this replica started from: the same draw from the same
    /// seed stream as at construction.
    pub fn initial_network(&self) -> Network {
        build_network(&self.config, &self.data, &mut stream_rng(self.config.seed, Stream::Init, self.replica << REPLICA_SHIFT))
    }

    /// Which replica of its run this is (0: the plain run).
    pub fn replica_index(&self) -> u64 {
        self.replica
    }

    /// What the last step changed each parameter by (same layout as the
    /// parameters); `None` before the first step.
    pub fn last_update(&self) -> Option<Vec<f64>> {
        let (now, before) = (&self.network.params, &self.previous_params);
        (self.step > 0 && before.len() == now.len()).then(|| now.iter().zip(before).map(|(n, b)| n - b).collect())
    }

    /// Histograms and per-unit statistics of the latest probe.
    pub fn latest_detail(&self) -> &[LayerDetail] {
        &self.latest_detail
    }
    pub fn diverged(&self) -> Option<&Divergence> {
        self.diverged.as_ref()
    }
    pub fn batch_size(&self) -> usize {
        self.batch.capacity()
    }

    /// The threads that work on a training step (1: the whole batch in
    /// one workspace).
    pub fn threads(&self) -> usize {
        match &self.batch {
            Batch::Whole(_) => 1,
            Batch::Sliced(slices) => parallel::threads().min(slices.parts()),
        }
    }

    /// Shuffles the training set for this epoch. The order depends only on
    /// the seed and the epoch number, so a resumed run repeats it.
    fn start_epoch(&mut self) {
        shuffle_for_epoch(&mut self.order, self.config.seed, self.replica, self.epoch);
        gather_rows(&self.data.train.targets, self.data.target_dim, &self.order, &mut self.epoch_targets);
        self.cursor = 0;
    }

    /// Loads the next mini-batch into the batch workspace and returns its
    /// first row in the epoch; the last batch of an epoch may be smaller.
    fn load_next_batch(&mut self) -> usize {
        if self.cursor >= self.order.len() {
            self.epoch += 1;
            self.start_epoch();
        }
        let start = self.cursor;
        let rows = self.batch.capacity().min(self.order.len() - start);
        self.batch.load_rows(&self.data.train.inputs, self.data.input_dim, &self.order[start..start + rows]);
        self.cursor += rows;
        self.samples_seen += rows as u64;
        start
    }

    /// One mini-batch: forward, loss, backward, penalties, clipping, update.
    /// A non-finite value anywhere (loss, activation, batch statistic,
    /// gradient, parameter, running statistic, or an evaluation-mode output
    /// on this batch) stops training for good at this step, is recorded in
    /// [`Trainer::diverged`], and leaves the network as it was before the
    /// step.
    pub fn step(&mut self) -> StepOutcome {
        if self.diverged.is_some() {
            return StepOutcome::Diverged;
        }
        let step = self.step + 1;
        let start = self.load_next_batch();
        if self.config.data.augment
            && let crate::data::InputPlane::Image { width, height } = self.data.plane
        {
            let mut rng = stream_rng(self.config.seed, Stream::Augment, self.replica << REPLICA_SHIFT | step);
            // Slice after slice, in batch order: the same draws as for the
            // whole batch.
            match &mut self.batch {
                Batch::Whole(ws) => {
                    let rows = ws.rows();
                    crate::data::images::augment(&mut ws.input[..rows * width * height], width, height, &mut rng);
                }
                Batch::Sliced(slices) => {
                    for rows in slices.inputs_mut() {
                        crate::data::images::augment(rows, width, height, &mut rng);
                    }
                }
            }
        }
        self.step_on_loaded_batch(step, LoadedTargets::Epoch(start))
    }

    /// One training step on training point `point` alone, as a batch of
    /// one, with the trainer's settings and optimiser state: the step the
    /// step-by-step explanation shows, taken for real. It counts as a step
    /// (and probes when one is due) but leaves the epoch's batch order where
    /// it was, so the next [`Trainer::step`] takes the batch it would have.
    pub fn step_on_point(&mut self, point: usize) -> Result<StepOutcome, PointOutOfRange> {
        let train = &self.data.train;
        if point >= train.len() {
            return Err(PointOutOfRange { point, len: train.len() });
        }
        if self.diverged.is_some() {
            return Ok(StepOutcome::Diverged);
        }
        let step = self.step + 1;
        self.batch.load_rows(&train.inputs, self.data.input_dim, &[point]);
        self.samples_seen += 1;
        Ok(self.step_on_loaded_batch(step, LoadedTargets::Point(point)))
    }

    /// Step `step` on the batch just loaded, whose targets are `targets`,
    /// counted or recorded as a divergence.
    fn step_on_loaded_batch(&mut self, step: u64, targets: LoadedTargets) -> StepOutcome {
        let dim = self.data.target_dim;
        let targets = match targets {
            LoadedTargets::Epoch(start) => targets_of(&self.epoch_targets, start, self.batch.rows(), dim),
            LoadedTargets::Point(point) => targets_of(&self.data.train.targets, point, 1, dim),
        };
        let dropout = self.uses_dropout.then(|| self.dropout_rng(step));
        let parts = StepParts {
            network: &mut self.network,
            optimizer: &mut self.optimizer,
            batch: &mut self.batch,
            grads: &mut self.grads,
            previous_params: &mut self.previous_params,
            decayed: &self.decayed,
            training: &self.config.training,
            loss: self.data.loss,
        };
        let result = take_step(parts, targets, dropout, None);
        self.conclude(step, result)
    }

    /// What [`Trainer::step_on_point`] would do, computed on copies without
    /// changing the trainer, with every stage kept: the forward and
    /// backward buffers of the one row, the gradient's parts, and the
    /// network and optimiser after the update.
    pub fn point_step(&self, point: usize) -> Result<PointStep, PointStepError> {
        let train = &self.data.train;
        if point >= train.len() {
            return Err(PointStepError::OutOfRange(PointOutOfRange { point, len: train.len() }));
        }
        if let Some(divergence) = &self.diverged {
            return Err(PointStepError::AlreadyDiverged(divergence.clone()));
        }
        let step = self.step + 1;
        let dim = self.data.target_dim;
        let mut network = self.network.clone();
        let mut optimizer = self.optimizer.clone();
        // One row needs no threads: the whole-batch path keeps every
        // layer's buffers for the explanation to read.
        let mut batch = Batch::Whole(Workspace::new(&network, 1));
        batch.load_rows(&train.inputs, self.data.input_dim, &[point]);
        let targets = targets_of(&train.targets, point, 1, dim);
        let mut gradient = vec![0.0; network.params.len()];
        let mut previous_params = Vec::new();
        let mut record = GradientParts::default();
        let parts = StepParts {
            network: &mut network,
            optimizer: &mut optimizer,
            batch: &mut batch,
            grads: &mut gradient,
            previous_params: &mut previous_params,
            decayed: &self.decayed,
            training: &self.config.training,
            loss: self.data.loss,
        };
        let dropout = self.uses_dropout.then(|| self.dropout_rng(step));
        take_step(parts, targets, dropout, Some(&mut record))
            .map_err(|(layer, what)| PointStepError::Diverges(Divergence { step, layer: layer.map(|l| l + 1), what }))?;
        let Batch::Whole(workspace) = batch else { unreachable!("the batch of one was built whole above") };
        Ok(PointStep {
            point,
            step,
            targets: targets.to_vec(),
            workspace,
            loss: record.loss,
            penalty: self.network.penalty(self.config.training.l1, self.config.training.l2),
            data_gradient: record.data,
            penalty_gradient: record.penalty,
            norm_before_clip: record.norm_before_clip,
            gradient,
            network_after: network,
            optimizer_after: optimizer,
        })
    }

    /// The dropout masks of step `step` come from their own stream, so a
    /// step computed aside draws the masks the real step draws.
    fn dropout_rng(&self, step: u64) -> crate::rng::EngineRng {
        stream_rng(self.config.seed, Stream::Dropout, self.replica << REPLICA_SHIFT | step)
    }

    /// Counts a step that went through, or records why it did not.
    fn conclude(&mut self, step: u64, result: Result<(), (Option<usize>, NonFinite)>) -> StepOutcome {
        match result {
            Ok(()) => {
                self.step = step;
                if step.is_multiple_of(self.config.training.log_every) {
                    self.record_probe();
                }
                StepOutcome::Stepped
            }
            Err((layer, what)) => self.diverge(step, layer, what),
        }
    }

    /// The training point the next [`Trainer::step`] starts its batch with
    /// (the one a batch of one would take), looking into the next epoch's
    /// order when this one is used up.
    pub fn next_point(&self) -> usize {
        match self.order.get(self.cursor) {
            Some(&point) => point,
            None => epoch_order(self.order.len(), self.config.seed, self.replica, self.epoch + 1)[0],
        }
    }

    /// Passes over the training set completed so far, counting one whose
    /// last batch was just taken (the next epoch starts only with the next
    /// step).
    pub fn epochs_completed(&self) -> u64 {
        self.epoch + u64::from(self.cursor >= self.order.len())
    }

    /// Records a divergence; `layer` counts from 0 here and from 1 in the
    /// record.
    fn diverge(&mut self, step: u64, layer: Option<usize>, what: NonFinite) -> StepOutcome {
        self.diverged = Some(Divergence { step, layer: layer.map(|l| l + 1), what });
        StepOutcome::Diverged
    }

    /// Runs up to `steps` steps, stopping early on divergence; returns the
    /// number taken.
    pub fn run(&mut self, steps: u64) -> u64 {
        let mut taken = 0;
        while taken < steps && self.step() == StepOutcome::Stepped {
            taken += 1;
        }
        taken
    }

    /// Probes the network now and appends the record to the history. The
    /// trainer does this itself at step 0 and every `log_every` steps.
    pub fn record_probe(&mut self) {
        let started = web_time::Instant::now();
        let record = self.probe_now();
        self.history.push(record);
        self.probe_time += started.elapsed();
    }

    /// Seconds spent probing so far (step 0's probe included).
    pub fn probe_seconds(&self) -> f64 {
        self.probe_time.as_secs_f64()
    }

    /// Measures the network on the probe batch and the data sets, keeping
    /// the details (histograms, per-unit statistics, gradients) for the
    /// views, and returns the record without storing it. A non-finite value
    /// found here (on the probe batch, or in evaluation mode on the data)
    /// stops the run at this step like one found while training.
    fn probe_now(&mut self) -> ProbeRecord {
        let rows = self.probe.rows();
        let dim = self.data.target_dim;
        self.network.forward(&mut self.probe, Mode::Probe);
        let probe_broken = self.network.first_non_finite_layer(&self.probe);
        let targets = &self.data.train.targets[..rows * dim];
        let (logits, logits_grad) = self.probe.logits_and_grad();
        self.data.loss.mean_and_grad(logits, targets, rows, dim, logits_grad);
        self.network.backward(&mut self.probe, &mut self.probe_grads);
        let previous =
            (self.step > 0 && self.previous_params.len() == self.network.params.len()).then_some(self.previous_params.as_slice());
        let (layers, detail) = measure_layers(&self.network, &self.probe, &self.probe_grads, previous);
        let hidden: Vec<(&[f64], usize)> =
            (0..self.network.hidden_layers()).map(|k| (self.probe.activation(k), self.network.layers[k].outputs)).collect();
        self.settling.observe(self.step, rows, &hidden);
        let data = Arc::clone(&self.data);
        let train = self.evaluate(&data.train);
        let test = self.evaluate(&data.test);
        self.latest_detail = detail;
        if self.diverged.is_none() {
            let output_layer = self.network.layers.len() - 1;
            if let Some(layer) = probe_broken {
                self.diverged = Some(Divergence { step: self.step, layer: Some(layer + 1), what: NonFinite::Activation });
            } else if let Some(layer) = train.broken_layer.or(test.broken_layer) {
                self.diverged = Some(Divergence { step: self.step, layer: Some(layer + 1), what: NonFinite::Evaluation });
            } else if !(train.loss.is_finite() && test.loss.is_finite()) {
                // Finite outputs so large their loss overflows.
                self.diverged = Some(Divergence { step: self.step, layer: Some(output_layer + 1), what: NonFinite::Evaluation });
            }
        }
        ProbeRecord {
            step: self.step,
            train_loss: train.loss,
            test_loss: test.loss,
            train_acc: train.accuracy,
            test_acc: test.accuracy,
            layers,
        }
    }

    /// Mean loss (without penalties) and accuracy (for classification) of
    /// the network in evaluation mode on a split.
    pub fn evaluate(&mut self, split: &crate::data::Split) -> Evaluation {
        self.inference.evaluate(&self.network, self.data.loss, self.data.task, &split.inputs, &split.targets, &split.labels)
    }

    /// The latest probe record (step 0 before any training).
    pub fn latest(&self) -> &ProbeRecord {
        self.history.latest().expect("the trainer probes at construction")
    }

    /// The loss gradient of every parameter at the latest probe (same layout
    /// as the network's parameters): what the app colours edges by.
    pub fn latest_gradients(&self) -> &[f64] {
        &self.probe_grads
    }

    /// Everything needed to continue this run exactly where it is.
    pub fn snapshot(&self) -> TrainerState {
        TrainerState {
            config: self.config.clone(),
            data: (*self.data).clone(),
            network: self.network.clone(),
            optimizer: self.optimizer.clone(),
            previous_params: self.previous_params.clone(),
            step: self.step,
            epoch: self.epoch,
            cursor: self.cursor,
            samples_seen: self.samples_seen,
            replica: self.replica,
            history: self.history.clone(),
            settling: self.settling.clone(),
            diverged: self.diverged.clone(),
        }
    }

    /// Continues a run from a [`TrainerState`]; the next step is the one the
    /// saved run would have taken. Every part is checked against the config
    /// and against each other first, so a corrupt or hand-edited file is an
    /// error naming the problem, never a panic later.
    pub fn restore(state: TrainerState) -> Result<Self, RestoreError> {
        state.validate()?;
        let data = Arc::new(state.data);
        let mut trainer = Self::replica(state.config, data, state.replica);
        // A saved network does not record its precision: the config does.
        let precision = trainer.network.precision;
        trainer.network = state.network;
        trainer.network.precision = precision;
        trainer.optimizer = state.optimizer;
        trainer.previous_params = state.previous_params;
        trainer.step = state.step;
        trainer.epoch = state.epoch;
        trainer.samples_seen = state.samples_seen;
        trainer.diverged = state.diverged;
        trainer.start_epoch();
        trainer.cursor = state.cursor;
        // Refresh the views' details without adding a record.
        trainer.probe_now();
        trainer.history = state.history;
        trainer.settling = state.settling;
        Ok(trainer)
    }

    /// Changes the training settings of a running session without touching
    /// the network: a new learning rate, penalty or batch size takes effect
    /// at the next step. A new optimiser starts with fresh state (moments).
    pub fn update_training(&mut self, training: TrainingConfig) {
        let old = &self.config.training;
        if training.optimizer != old.optimizer {
            self.optimizer = Optimizer::new(optimizer_settings(&training), self.network.params.len());
        } else {
            self.optimizer.settings = optimizer_settings(&training);
        }
        let capacity = training.batch_size.min(self.data.train.len()).max(1);
        if capacity != self.batch.capacity() {
            self.batch = Batch::new(&self.network, capacity);
        }
        self.config.training = training;
    }
}
