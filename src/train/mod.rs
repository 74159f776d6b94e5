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
use crate::nn::{ConvSpec, Evaluation, Inference, Layer, Mode, Network, NetworkSpec, Optimizer, OptimizerSettings, Workspace};
use crate::rng::{Stream, stream_rng};

/// Replica numbers live in the high bits of a random stream's index, so
/// replicas never share an epoch's or a step's stream.
const REPLICA_SHIFT: u32 = 48;

/// The probe batch: the first this many training points.
pub const PROBE_BATCH: usize = 256;

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
        let expected = Network::new(&network_spec(&self.config, data), &mut stream_rng(0, Stream::Init, 0));
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
        let probe_rows = data.train.len().min(PROBE_BATCH);
        if !self.settling.fits(&hidden, probe_rows) {
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

fn optimizer_settings(training: &TrainingConfig) -> OptimizerSettings {
    OptimizerSettings {
        kind: training.optimizer,
        learning_rate: training.learning_rate,
        momentum: training.momentum,
        nesterov: training.nesterov,
        weight_decay: training.weight_decay,
    }
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
    batch: Workspace,
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
    /// This epoch's training inputs and targets in batch order, so a batch
    /// is one contiguous slice.
    epoch_inputs: Vec<f64>,
    epoch_targets: Vec<f64>,
    cursor: usize,
    uses_dropout: bool,
    uses_batch_norm: bool,
    history: History,
    latest_detail: Vec<LayerDetail>,
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
        let network = Network::new(&network_spec(&config, &data), &mut init_rng);
        let optimizer = Optimizer::new(optimizer_settings(&config.training), network.params.len());
        let batch_capacity = config.training.batch_size.min(data.train.len()).max(1);
        let probe_rows = data.train.len().min(PROBE_BATCH);
        let mut probe = Workspace::new(&network, probe_rows);
        probe.load_input(&data.train.inputs[..probe_rows * data.input_dim]);
        let mut trainer = Self {
            grads: vec![0.0; network.params.len()],
            batch: Workspace::new(&network, batch_capacity),
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
            epoch_inputs: vec![0.0; data.train.inputs.len()],
            epoch_targets: vec![0.0; data.train.targets.len()],
            cursor: 0,
            uses_dropout: config.network.dropout > 0.0,
            uses_batch_norm: config.network.batch_norm,
            history: History::default(),
            latest_detail: Vec::new(),
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
    /// Passes over the training set completed so far.
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
        Network::new(
            &network_spec(&self.config, &self.data),
            &mut stream_rng(self.config.seed, Stream::Init, self.replica << REPLICA_SHIFT),
        )
    }

    /// Which replica of its run this is (0: the plain run).
    pub fn replica_index(&self) -> u64 {
        self.replica
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

    /// Shuffles the training set for this epoch. The order depends only on
    /// the seed and the epoch number, so a resumed run repeats it.
    fn start_epoch(&mut self) {
        self.order.iter_mut().enumerate().for_each(|(i, slot)| *slot = i);
        self.order.shuffle(&mut stream_rng(self.config.seed, Stream::BatchOrder, self.replica << REPLICA_SHIFT | self.epoch));
        let train = &self.data.train;
        gather_rows(&train.inputs, self.data.input_dim, &self.order, &mut self.epoch_inputs);
        gather_rows(&train.targets, self.data.target_dim, &self.order, &mut self.epoch_targets);
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
        let d = self.data.input_dim;
        self.batch.load_input(&self.epoch_inputs[start * d..(start + rows) * d]);
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
        let training = self.config.training.clone();
        let start = self.load_next_batch();
        if self.config.data.augment
            && let crate::data::InputPlane::Image { width, height } = self.data.plane
        {
            let rows = self.batch.rows();
            let mut rng = stream_rng(self.config.seed, Stream::Augment, self.replica << REPLICA_SHIFT | step);
            crate::data::digits::augment(&mut self.batch.input[..rows * width * height], width, height, &mut rng);
        }
        if self.uses_dropout {
            let mut dropout_rng = stream_rng(self.config.seed, Stream::Dropout, self.replica << REPLICA_SHIFT | step);
            self.network.forward(&mut self.batch, Mode::Train(&mut dropout_rng));
        } else {
            // Nothing to draw: skip seeding a generator every step.
            self.network.forward(&mut self.batch, Mode::TrainFixedMasks);
        }
        let rows = self.batch.rows();
        let dim = self.data.target_dim;
        let targets = targets_of(&self.epoch_targets, start, rows, dim);
        let (logits, logits_grad) = self.batch.logits_and_grad();
        let loss = self.data.loss.mean_and_grad(logits, targets, rows, dim, logits_grad);
        if !loss.is_finite() {
            let layer = self.network.first_non_finite_layer(&self.batch);
            let what = if layer.is_some() { NonFinite::Activation } else { NonFinite::Loss };
            return self.diverge(step, layer, what);
        }
        self.network.backward(&mut self.batch, &mut self.grads);
        self.network.add_penalty_gradient(training.l1, training.l2, &mut self.grads);
        if let Some(layer) = self.network.first_non_finite_parameter_layer(&self.grads) {
            return self.diverge(step, Some(layer), NonFinite::Gradient);
        }
        if training.grad_clip > 0.0 {
            clip_to_norm(&mut self.grads, training.grad_clip);
        }
        // Kept every step: for the update ratio of the next probe, and to
        // roll back an update that overflows.
        self.previous_params.clone_from(&self.network.params);
        self.optimizer.update(&mut self.network.params, &self.grads, &self.decayed);
        if let Some(layer) = self.network.first_non_finite_parameter_layer(&self.network.params) {
            self.network.params.clone_from(&self.previous_params);
            return self.diverge(step, Some(layer), NonFinite::Weight);
        }
        if self.uses_batch_norm {
            let before = self.network.running_statistics();
            if let Err(layer) = self.network.update_running_statistics(&self.batch) {
                self.network.params.clone_from(&self.previous_params);
                return self.diverge(step, Some(layer), NonFinite::Statistic);
            }
            // Evaluation mode reads the running statistics, which lag the
            // batch's: it can overflow while training looks fine. Checking
            // this batch in that mode catches it at the step it happens.
            self.network.forward(&mut self.batch, Mode::Eval);
            let broken = self.network.first_non_finite_layer(&self.batch);
            let eval_loss = self.data.loss.sum(self.batch.logits(), targets_of(&self.epoch_targets, start, rows, dim), rows, dim);
            if broken.is_some() || !eval_loss.is_finite() {
                self.network.params.clone_from(&self.previous_params);
                self.network.set_running_statistics(&before);
                let layer = broken.unwrap_or(self.network.layers.len() - 1);
                return self.diverge(step, Some(layer), NonFinite::Evaluation);
            }
        }
        self.step = step;
        if step.is_multiple_of(training.log_every) {
            self.record_probe();
        }
        StepOutcome::Stepped
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
        let record = self.probe_now();
        self.history.push(record);
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
        trainer.network = state.network;
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
            self.batch = Workspace::new(&self.network, capacity);
        }
        self.config.training = training;
    }
}
