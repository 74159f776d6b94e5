//! One training step, explained: for a network small enough to read, every
//! number of one step on one training point, stage by stage. Forward, layer
//! by layer (each neuron's inputs, weights, bias, pre-activation and
//! activation), the loss with its formula, backward (each neuron's delta
//! dL/dz, each weight's and bias's gradient), and the update (each
//! parameter's old value, what the optimiser makes of its gradient, with
//! its state, and the new value).
//!
//! The numbers are the engine's own: [`Trainer::point_step`] runs the
//! trainer's step on the point as a batch of one (the forward and backward
//! pass, penalties, clipping and the optimiser), and this module only reads
//! its buffers and writes the formulas out. Applying the updates shown is
//! exactly [`Trainer::step_on_point`], and with `training.batch_size = 1`
//! it is exactly the trainer's next step when the point is
//! [`Trainer::next_point`].
//!
//! Dense networks of up to [`MAX_HIDDEN_LAYERS`] hidden layers of up to
//! [`MAX_WIDTH`] neurons only, without batch normalisation or dropout
//! ([`readable`] says why not, for a network it refuses).

pub mod stage;
pub mod text;

pub use stage::Stage;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::data::InputPlane;
use crate::nn::{Activation, LayerKind, Loss, Network, OptimizerKind, softmax_in_place};
use crate::train::{Divergence, PointOutOfRange, PointStep, PointStepError, Trainer};
use text::{apply, num, numbers, weighted_sum};

/// The most hidden layers a network explained step by step may have.
pub const MAX_HIDDEN_LAYERS: usize = 4;
/// The most neurons per hidden layer.
pub const MAX_WIDTH: usize = 8;
/// The most inputs: all nine point features.
pub const MAX_INPUTS: usize = 9;
/// The most outputs: one per class of ten.
pub const MAX_OUTPUTS: usize = 10;

/// Why a step cannot be explained.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExplainError {
    #[error(transparent)]
    Point(#[from] PointOutOfRange),
    #[error(
        "network.hidden has {layers} layers: a step is explained for networks of at most {MAX_HIDDEN_LAYERS} hidden layers, small enough to read"
    )]
    TooDeep { layers: usize },
    #[error("network.hidden[{index}] = {width}: a step is explained for layers of at most {MAX_WIDTH} neurons, small enough to read")]
    TooWide { index: usize, width: usize },
    #[error(
        "the network has {inputs} inputs (data set \"{dataset}\"): a step is explained for at most {MAX_INPUTS} inputs, small enough to read"
    )]
    TooManyInputs { inputs: usize, dataset: String },
    #[error("the network has {outputs} outputs: a step is explained for at most {MAX_OUTPUTS}")]
    TooManyOutputs { outputs: usize },
    #[error("network.conv: a step is explained for dense networks only, and this one has convolution layers")]
    Convolution,
    #[error(
        "network.batch_norm = true: a step on one point is not explained with batch normalisation, because it normalises each \
         neuron by the batch's mean, which for a batch of one is the point's own value: every normalised value is 0, and the \
         step would show nothing the network does when it trains on batches"
    )]
    BatchNorm,
    #[error(
        "network.dropout = {rate}: a step is not explained with dropout, because each step silences a fresh random set of \
         neurons, so its numbers would show one throw of the dice rather than the network; set network.dropout = 0"
    )]
    Dropout { rate: f64 },
    #[error("the run has stopped ({0}): there is no step left to explain")]
    Diverged(Divergence),
    #[error("the step on this point would not give finite numbers ({0}): there is nothing to show")]
    StepDiverges(Divergence),
}

impl From<PointStepError> for ExplainError {
    fn from(error: PointStepError) -> Self {
        match error {
            PointStepError::OutOfRange(error) => Self::Point(error),
            PointStepError::AlreadyDiverged(divergence) => Self::Diverged(divergence),
            PointStepError::Diverges(divergence) => Self::StepDiverges(divergence),
        }
    }
}

/// Whether a trainer's network can be explained step by step, and if not,
/// why (for the app to say so instead of offering the mode).
pub fn readable(trainer: &Trainer) -> Result<(), ExplainError> {
    readable_network(trainer.config(), trainer.network())
}

/// [`readable`] for a network and the config it was built from, for a
/// front end that holds a snapshot of the run rather than its trainer (the
/// app says why before it asks for a step).
pub fn readable_network(config: &Config, network: &Network) -> Result<(), ExplainError> {
    if network.layers.iter().any(|layer| layer.kind != LayerKind::Dense) {
        return Err(ExplainError::Convolution);
    }
    let hidden = network.hidden_layers();
    if hidden > MAX_HIDDEN_LAYERS {
        return Err(ExplainError::TooDeep { layers: hidden });
    }
    if let Some((index, layer)) = network.layers[..hidden].iter().enumerate().find(|(_, layer)| layer.outputs > MAX_WIDTH) {
        return Err(ExplainError::TooWide { index, width: layer.outputs });
    }
    if network.inputs() > MAX_INPUTS {
        return Err(ExplainError::TooManyInputs { inputs: network.inputs(), dataset: config.data.dataset.name().into() });
    }
    if network.outputs() > MAX_OUTPUTS {
        return Err(ExplainError::TooManyOutputs { outputs: network.outputs() });
    }
    if network.layers.iter().any(|layer| layer.batch_norm.is_some()) {
        return Err(ExplainError::BatchNorm);
    }
    if network.layers.iter().any(|layer| layer.dropout > 0.0) {
        return Err(ExplainError::Dropout { rate: config.network.dropout });
    }
    Ok(())
}

/// Explains the step `trainer` would take on training point `point` (its
/// index in the training set) alone, as a batch of one, with its learning
/// rate, penalties, clipping and optimiser state. The trainer is not
/// changed: [`Trainer::step_on_point`] takes the step.
pub fn step(trainer: &Trainer, point: usize) -> Result<Explanation, ExplainError> {
    readable(trainer)?;
    let computed = trainer.point_step(point)?;
    Ok(Explanation::of(trainer, &computed))
}

/// Every stage of one training step on one point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The step explained: one more than the steps the network has taken.
    pub step: u64,
    /// The point's index in the training set.
    pub point: usize,
    /// Where the point lies: (x, y) in the plane, or (a, b) for pairs.
    pub position: [f64; 2],
    /// The point's label: its class (from 0), or the value to predict.
    pub label: f64,
    /// The names of the network's inputs (the features).
    pub input_names: Vec<String>,
    /// The point as the network reads it: one value per input.
    pub inputs: Vec<f64>,
    /// What the loss compares the outputs with (-1 or 1 for a binary mse
    /// task, 0 or 1 for bce, one-hot for ce, the value for regression).
    pub target: Vec<f64>,
    /// The configured batch size. The step shown is a batch of one: its
    /// gradient is this point's alone, not a mean over a batch.
    pub batch_size: usize,
    /// Every weight layer, the input side first; the last is the output
    /// layer.
    pub layers: Vec<LayerStep>,
    pub loss: LossStage,
    pub optimizer: OptimizerStage,
}

/// One weight layer through the step. Vectors run over the layer's
/// neurons; matrices are `[neuron][input]`, like `weights`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerStep {
    /// 1 for the first weight layer.
    pub layer: usize,
    /// The output layer is linear here: the loss applies its link.
    pub activation: Activation,
    pub input_names: Vec<String>,
    pub neuron_names: Vec<String>,
    // Forward.
    /// The values the layer reads: the point's inputs, or the previous
    /// layer's activations.
    pub inputs: Vec<f64>,
    pub weights: Vec<Vec<f64>>,
    pub bias: Vec<f64>,
    /// z = sum of weight x input, plus the bias.
    pub pre_activations: Vec<f64>,
    /// a = f(z).
    pub activations: Vec<f64>,
    // Backward.
    /// dL/da: how the loss changes with each activation (for the output
    /// layer, the loss's gradient).
    pub output_gradients: Vec<f64>,
    /// f'(z), the activation's slope at z.
    pub slopes: Vec<f64>,
    /// delta = dL/dz = f'(z) dL/da.
    pub deltas: Vec<f64>,
    /// dL/dw = delta x input: the point's loss alone, before penalties.
    pub weight_gradients: Vec<Vec<f64>>,
    /// dL/db = delta.
    pub bias_gradients: Vec<f64>,
    // Update.
    pub weight_updates: Vec<Vec<Update>>,
    pub bias_updates: Vec<Update>,
    /// Each neuron's forward and backward formulas with the numbers.
    pub neurons: Vec<NeuronText>,
}

/// One neuron's formulas with the numbers plugged in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeuronText {
    /// Weights and inputs by name, and the value at this point:
    /// `tanh(0.310 * x + -1.200 * y + 0.050) = 0.418`.
    pub formula: String,
    /// The same with the inputs' values:
    /// `tanh(0.310 * 0.500 + -1.200 * -0.200 + 0.050) = tanh(0.445) = 0.418`.
    pub forward: String,
    /// How its delta comes about.
    pub backward: String,
}

/// One parameter's update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Update {
    pub old: f64,
    /// The point's loss gradient (delta x input for a weight, delta for a
    /// bias).
    pub gradient: f64,
    /// The penalties' gradient, l1 sign(w) + l2 w (0 for biases).
    pub penalty_gradient: f64,
    /// What the optimiser was given: the two summed, then clipped.
    pub used_gradient: f64,
    /// Velocity (momentum) or first moment m (Adam, AdamW), before and
    /// after this step.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub first_moment: Option<Moment>,
    /// Mean square (RMSprop) or second moment v (Adam, AdamW).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub second_moment: Option<Moment>,
    /// new - old.
    pub step: f64,
    pub new: f64,
    /// The gradient's and the update's arithmetic with the numbers.
    pub formula: String,
}

/// An optimiser's state for one parameter, before and after the step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Moment {
    pub before: f64,
    pub after: f64,
}

/// The loss of the point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossStage {
    pub loss: Loss,
    /// The output layer's values z (logits for bce and ce).
    pub outputs: Vec<f64>,
    /// The outputs through the loss's link: themselves (mse), the
    /// sigmoid's probability of class 1 (bce), the softmax's class
    /// probabilities (ce).
    pub prediction: Vec<f64>,
    pub target: Vec<f64>,
    /// The point's loss.
    pub value: f64,
    /// The L1 and L2 penalties on all the weights (0 without them).
    pub penalty: f64,
    /// The loss's formula with the numbers.
    pub formula: String,
    /// dL/dz for each output: the output layer's deltas.
    pub gradient: Vec<f64>,
    pub gradient_formula: String,
}

/// The optimiser's settings and what they did to the gradient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizerStage {
    pub optimizer: OptimizerKind,
    pub learning_rate: f64,
    /// The momentum optimiser's coefficient, and whether Nesterov's.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub momentum: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nesterov: Option<bool>,
    pub weight_decay: f64,
    pub l1: f64,
    pub l2: f64,
    /// Which update of the optimiser this is (Adam's t).
    pub update_number: u64,
    /// Adam's bias corrections 1 / (1 - beta1^t), 1 / (1 - beta2^t).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bias_corrections: Option<[f64; 2]>,
    /// Gradient clipping, when on.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub clipping: Option<Clipping>,
    /// The update rule in symbols.
    pub rule: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Clipping {
    /// The largest global gradient norm allowed.
    pub limit: f64,
    /// The norm of the whole gradient (every parameter's) before clipping.
    pub norm: f64,
    /// What every gradient was multiplied by: limit / norm, or 1.
    pub factor: f64,
}

impl Explanation {
    fn of(trainer: &Trainer, computed: &PointStep) -> Self {
        let network = trainer.network();
        let data = trainer.data();
        let ws = &computed.workspace;
        let input_names = data.input_names();
        let loss = loss_stage(data.loss, &ws.logits()[..network.outputs()], &computed.targets, computed.loss, computed.penalty);
        let optimizer = optimizer_stage(trainer, computed);
        let mut layers: Vec<LayerStep> =
            (0..network.layers.len()).map(|index| layer_step(trainer, computed, &input_names, index)).collect();
        for index in 0..layers.len() {
            let neurons = (0..layers[index].bias.len()).map(|unit| neuron_text(network, &layers, &loss, index, unit)).collect();
            layers[index].neurons = neurons;
        }
        let position = match data.plane {
            InputPlane::Points { .. } | InputPlane::Pairs { .. } => data.train.points[computed.point],
            // Images are refused before this (too many inputs).
            InputPlane::Image { .. } => [f64::NAN; 2],
        };
        Self {
            step: computed.step,
            point: computed.point,
            position,
            label: data.train.labels[computed.point],
            input_names,
            inputs: ws.input[..network.inputs()].to_vec(),
            target: computed.targets.clone(),
            batch_size: trainer.config().training.batch_size,
            layers,
            loss,
            optimizer,
        }
    }

    /// The update of the weight from input `input` to neuron `unit` of
    /// layer `layer` (all from 0), for an edge's tooltip.
    pub fn weight_update(&self, layer: usize, unit: usize, input: usize) -> Option<&Update> {
        self.layers.get(layer)?.weight_updates.get(unit)?.get(input)
    }
}

/// Layer `index` (from 0) read off the step's buffers.
fn layer_step(trainer: &Trainer, computed: &PointStep, input_names: &[String], index: usize) -> LayerStep {
    let network = trainer.network();
    let ws = &computed.workspace;
    let spec = &network.layers[index];
    let (fan_in, width) = (spec.inputs, spec.outputs);
    let buffers = &ws.layers[index];
    let inputs = if index == 0 { &ws.input[..fan_in] } else { &ws.output(index - 1)[..fan_in] };
    let pre_activations = buffers.pre_activation[..width].to_vec();
    let activations = ws.activation(index)[..width].to_vec();
    let deltas = buffers.grad_pre_activation[..width].to_vec();
    // The output layer's dL/da is the loss's gradient (the layer is
    // linear); a hidden layer's was written by the layer above it.
    let output_gradients = if index + 1 == network.layers.len() { deltas.clone() } else { buffers.grad_output[..width].to_vec() };
    let slopes = (0..width).map(|j| spec.activation.derivative(pre_activations[j], activations[j], network.leaky_slope)).collect();
    let rows = |values: &[f64]| values.chunks_exact(fan_in).map(<[f64]>::to_vec).collect::<Vec<_>>();
    let weight_updates = (0..width)
        .map(|j| {
            (0..fan_in)
                .map(|i| {
                    let param = spec.weights.start + j * fan_in + i;
                    let why =
                        format!("dL/dw = delta * input = {} * {} = {}", num(deltas[j]), num(inputs[i]), num(computed.data_gradient[param]));
                    update_of(trainer, computed, param, "w", why)
                })
                .collect()
        })
        .collect();
    let bias_updates = spec
        .bias
        .clone()
        .zip(&deltas)
        .map(|(param, &delta)| update_of(trainer, computed, param, "b", format!("dL/db = delta = {}", num(delta))))
        .collect();
    LayerStep {
        layer: index + 1,
        activation: spec.activation,
        input_names: text::input_names_of(network, input_names, index),
        neuron_names: text::neuron_names(network, index),
        inputs: inputs.to_vec(),
        weights: rows(network.weights(index)),
        bias: network.bias(index).to_vec(),
        pre_activations,
        activations,
        output_gradients,
        slopes,
        deltas,
        weight_gradients: rows(&computed.data_gradient[spec.weights.clone()]),
        bias_gradients: computed.data_gradient[spec.bias.clone()].to_vec(),
        weight_updates,
        bias_updates,
        neurons: Vec::new(),
    }
}

/// Neuron `unit` of layer `index`'s formulas, once every layer is read
/// (a hidden neuron's delta comes from the layer above).
fn neuron_text(network: &Network, layers: &[LayerStep], loss: &LossStage, index: usize, unit: usize) -> NeuronText {
    let layer = &layers[index];
    let (z, a) = (layer.pre_activations[unit], layer.activations[unit]);
    let symbolic = weighted_sum(&layer.weights[unit], &layer.input_names, layer.bias[unit]);
    let values: Vec<String> = layer.inputs.iter().map(|&v| num(v)).collect();
    let plugged = weighted_sum(&layer.weights[unit], &values, layer.bias[unit]);
    let (formula, forward) = match layer.activation {
        Activation::Linear => (format!("{symbolic} = {}", num(z)), format!("{plugged} = {}", num(z))),
        activation => (
            format!("{} = {}", apply(activation, &symbolic), num(a)),
            format!("{} = {} = {}", apply(activation, &plugged), apply(activation, &num(z)), num(a)),
        ),
    };
    let delta = layer.deltas[unit];
    let backward = match layers.get(index + 1) {
        None => format!("delta = dL/dz = {}", loss.gradient_terms(unit)),
        Some(above) => {
            let terms: Vec<String> =
                above.deltas.iter().enumerate().map(|(k, &d)| format!("{} * {}", num(above.weights[k][unit]), num(d))).collect();
            format!(
                "dL/da = sum over {} of weight * delta = {} = {}; delta = f'(z) * dL/da = {} * {} = {}, f'(z) = {}",
                above.neuron_names.join(", "),
                terms.join(" + "),
                num(layer.output_gradients[unit]),
                num(layer.slopes[unit]),
                num(layer.output_gradients[unit]),
                num(delta),
                text::slope_rule(layer.activation, network.leaky_slope),
            )
        }
    };
    NeuronText { formula, forward, backward }
}

fn loss_stage(loss: Loss, outputs: &[f64], target: &[f64], value: f64, penalty: f64) -> LossStage {
    let gradient_of = |prediction: &[f64]| prediction.iter().zip(target).map(|(p, t)| p - t).collect::<Vec<f64>>();
    let (prediction, formula, gradient_formula) = match loss {
        Loss::Mse => {
            let terms: Vec<String> = outputs.iter().zip(target).map(|(&y, &t)| format!("({} - {})^2", num(y), num(t))).collect();
            let formula = if outputs.len() == 1 {
                format!("L = 1/2 (y - t)^2 = 1/2 {} = {}", terms[0], num(value))
            } else {
                format!("L = 1/2 sum of (y - t)^2 = 1/2 ({}) = {}", terms.join(" + "), num(value))
            };
            (outputs.to_vec(), formula, "dL/dy = y - t".to_string())
        }
        Loss::Bce => {
            let p = Activation::Sigmoid.apply(outputs[0], 0.0);
            let likelihood = if target[0] > 0.5 { format!("ln p = -ln {}", num(p)) } else { format!("ln(1 - p) = -ln {}", num(1.0 - p)) };
            let formula = format!(
                "p = sigmoid(z) = sigmoid({}) = {}; L = -(t ln p + (1 - t) ln(1 - p)) = -{likelihood} = {}",
                num(outputs[0]),
                num(p),
                num(value)
            );
            (vec![p], formula, "dL/dz = p - t".to_string())
        }
        Loss::Ce => {
            let mut p = outputs.to_vec();
            softmax_in_place(&mut p);
            let class = target.iter().position(|&t| t == 1.0).unwrap_or(0);
            let formula = format!(
                "p = softmax(z) = softmax{} = {}; L = -ln p[{class}] = -ln {} = {}",
                numbers(outputs),
                numbers(&p),
                num(p[class]),
                num(value)
            );
            (p, formula, "dL/dz = p - t, per class".to_string())
        }
    };
    let gradient = gradient_of(&prediction);
    LossStage { loss, outputs: outputs.to_vec(), prediction, target: target.to_vec(), value, penalty, formula, gradient, gradient_formula }
}

impl LossStage {
    /// Output `unit`'s dL/dz worked out: `y - t = 0.420 - 1.000 = -0.580`.
    fn gradient_terms(&self, unit: usize) -> String {
        let name = match self.loss {
            Loss::Mse => "y - t",
            Loss::Bce | Loss::Ce => "p - t",
        };
        format!("{name} = {} - {} = {}", num(self.prediction[unit]), num(self.target[unit]), num(self.gradient[unit]))
    }
}

fn optimizer_stage(trainer: &Trainer, computed: &PointStep) -> OptimizerStage {
    let training = &trainer.config().training;
    let after = &computed.optimizer_after;
    let kind = training.optimizer;
    let adam = matches!(kind, OptimizerKind::Adam | OptimizerKind::Adamw);
    let decay = if training.weight_decay > 0.0 { "w = w (1 - lr * weight_decay), for weights; then " } else { "" };
    let rule = match kind {
        OptimizerKind::Sgd => "w = w - lr * g",
        OptimizerKind::Momentum if training.nesterov => "v = mu v + g; w = w - lr (g + mu v)",
        OptimizerKind::Momentum => "v = mu v + g; w = w - lr v",
        OptimizerKind::Rmsprop => "s = 0.9 s + 0.1 g^2; w = w - lr g / (sqrt(s) + 1e-8)",
        OptimizerKind::Adam | OptimizerKind::Adamw => {
            "m = 0.9 m + 0.1 g; v = 0.999 v + 0.001 g^2; m_hat = m / (1 - 0.9^t); v_hat = v / (1 - 0.999^t); \
             w = w - lr m_hat / (sqrt(v_hat) + 1e-8)"
        }
    };
    let penalties = if training.l1 > 0.0 || training.l2 > 0.0 { "g = dL/dw + l1 sign(w) + l2 w, for weights; " } else { "" };
    let clipping = computed.norm_before_clip.map(|norm| Clipping {
        limit: training.grad_clip,
        norm,
        factor: if norm > training.grad_clip { training.grad_clip / norm } else { 1.0 },
    });
    let clip = if clipping.is_some() { "g = g * min(1, limit / |g|) over all parameters; " } else { "" };
    let (first, second) = after.bias_corrections();
    OptimizerStage {
        optimizer: kind,
        learning_rate: training.learning_rate,
        momentum: (kind == OptimizerKind::Momentum).then_some(training.momentum),
        nesterov: (kind == OptimizerKind::Momentum).then_some(training.nesterov),
        weight_decay: training.weight_decay,
        l1: training.l1,
        l2: training.l2,
        update_number: after.updates,
        bias_corrections: adam.then_some([first, second]),
        clipping,
        rule: format!("{penalties}{clip}{decay}{rule}"),
    }
}

/// Parameter `index`'s update, read off the optimiser before and after;
/// `symbol` names the parameter in the formula, which starts with how its
/// gradient came about.
fn update_of(trainer: &Trainer, computed: &PointStep, index: usize, symbol: &str, gradient_text: String) -> Update {
    let training = &trainer.config().training;
    let (before, after) = (trainer.optimizer(), &computed.optimizer_after);
    let moment = |old: &[f64], new: &[f64]| (!new.is_empty()).then(|| Moment { before: old[index], after: new[index] });
    let first_moment = moment(before.first_moments(), after.first_moments());
    let second_moment = moment(before.second_moments(), after.second_moments());
    let old = trainer.network().params[index];
    let new = computed.network_after.params[index];
    let (gradient, penalty_gradient, used_gradient) =
        (computed.data_gradient[index], computed.penalty_gradient[index], computed.gradient[index]);
    let decayed = trainer.network().layers.iter().any(|layer| layer.weights.contains(&index));
    let mut parts = vec![gradient_text];
    if penalty_gradient != 0.0 {
        parts.push(format!("g = {} + {} = {}", num(gradient), num(penalty_gradient), num(gradient + penalty_gradient)));
    }
    if let Some(norm) = computed.norm_before_clip.filter(|&norm| norm > training.grad_clip) {
        parts.push(format!("g = g * {} = {}", num(training.grad_clip / norm), num(used_gradient)));
    }
    // Old and new values with enough places to see the step between them.
    let places = text::places_for_change(new - old);
    let value = |v: f64| text::number(v, places);
    let mut w = value(old);
    let p = symbol;
    let keep = 1.0 - training.learning_rate * training.weight_decay;
    if decayed && training.weight_decay > 0.0 {
        parts.push(format!("{p} = {w} * (1 - {} * {}) = {}", num(training.learning_rate), num(training.weight_decay), value(old * keep)));
        w = value(old * keep);
    }
    let (lr, g) = (num(training.learning_rate), num(used_gradient));
    // -0.006^2 would read as -(0.006^2).
    let g_squared = if used_gradient < 0.0 { format!("({g})^2") } else { format!("{g}^2") };
    match (training.optimizer, first_moment, second_moment) {
        (OptimizerKind::Momentum, Some(v), _) => {
            let mu = num(training.momentum);
            parts.push(format!("v = {mu} * {} + {g} = {}", num(v.before), num(v.after)));
            if training.nesterov {
                parts.push(format!("{p} = {w} - {lr} * ({g} + {mu} * {}) = {}", num(v.after), value(new)));
            } else {
                parts.push(format!("{p} = {w} - {lr} * {} = {}", num(v.after), value(new)));
            }
        }
        (OptimizerKind::Rmsprop, _, Some(s)) => {
            parts.push(format!("s = 0.9 * {} + 0.1 * {g_squared} = {}", num(s.before), num(s.after)));
            parts.push(format!("{p} = {w} - {lr} * {g} / (sqrt({}) + 1e-8) = {}", num(s.after), value(new)));
        }
        (OptimizerKind::Adam | OptimizerKind::Adamw, Some(m), Some(v)) => {
            let (first, second) = after.bias_corrections();
            let (m_hat, v_hat) = (m.after * first, v.after * second);
            parts.push(format!("m = 0.9 * {} + 0.1 * {g} = {}", num(m.before), num(m.after)));
            parts.push(format!("v = 0.999 * {} + 0.001 * {g_squared} = {}", num(v.before), num(v.after)));
            parts.push(format!("m_hat = {} * {} = {}", num(m.after), num(first), num(m_hat)));
            parts.push(format!("v_hat = {} * {} = {}", num(v.after), num(second), num(v_hat)));
            parts.push(format!("{p} = {w} - {lr} * {} / (sqrt({}) + 1e-8) = {}", num(m_hat), num(v_hat), value(new)));
        }
        _ => parts.push(format!("{p} = {w} - {lr} * {g} = {}", value(new))),
    }
    let sign = if new > old { "+" } else { "" };
    parts.push(format!("a step of {sign}{}", num(new - old)));
    Update { old, gradient, penalty_gradient, used_gradient, first_moment, second_moment, step: new - old, new, formula: parts.join("; ") }
}
