//! A stack of dense layers over one flat parameter vector.
//!
//! All trainable numbers live in `Network::params`; each layer holds the
//! ranges of its weights (row-major `[outputs][inputs]`), bias and, with
//! batch normalisation, scale and shift. Gradients and optimiser state use
//! the same layout. The buffers of a forward and backward pass live in a
//! [`Workspace`] allocated once per batch capacity, so a training step
//! allocates nothing.

use std::ops::Range;

use rand::RngExt;
use serde::{Deserialize, Serialize};

use super::conv::{ConvGeometry, PoolGeometry, conv_backward, conv_forward, pool_backward, pool_forward};
use super::kernels::{dense_backward, dense_forward};
use super::{Activation, EngineRng, Init};

pub const BATCH_NORM_MOMENTUM: f64 = 0.1;
pub const BATCH_NORM_EPSILON: f64 = 1e-5;

/// A convolution layer to build (and whether a 2x2 max pool follows it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvSpec {
    pub filters: usize,
    pub kernel: usize,
    /// Zero padding on each side.
    pub pad: usize,
    pub pool: bool,
    pub activation: Activation,
}

/// What a network is made of, before its numbers are drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSpec {
    pub inputs: usize,
    /// The input as an image (channels, height, width), for convolutions.
    pub image: Option<(usize, usize, usize)>,
    /// Convolution layers, input side first, before the dense layers.
    pub conv: Vec<ConvSpec>,
    /// Width and activation of each hidden dense layer, input side first.
    pub hidden: Vec<(usize, Activation)>,
    pub outputs: usize,
    pub init: Init,
    pub gain: f64,
    pub bias_init: f64,
    /// Gaussian noise of this standard deviation is added to every bias,
    /// drawn after the layer's weights; at 0 nothing is drawn, so the
    /// random stream (and every earlier run's bits) stays as it was.
    pub bias_std: f64,
    pub batch_norm: bool,
    pub dropout: f64,
    pub leaky_slope: f64,
}

/// Batch normalisation of a layer's linear output (Ioffe & Szegedy 2015).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchNorm {
    /// gamma, in `Network::params`.
    pub scale: Range<usize>,
    /// beta, in `Network::params`.
    pub shift: Range<usize>,
    pub running_mean: Vec<f64>,
    pub running_var: Vec<f64>,
}

/// How a layer maps its inputs to its outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LayerKind {
    /// Every output sees every input: weights `[outputs][inputs]`.
    Dense,
    /// Filters slid over an image: weights `[out_channels][in_channels][k][k]`.
    Conv(ConvGeometry),
    /// 2x2 max pooling; no parameters.
    MaxPool(PoolGeometry),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    pub kind: LayerKind,
    /// Sizes of the flattened input and output of one sample.
    pub inputs: usize,
    pub outputs: usize,
    pub activation: Activation,
    pub dropout: f64,
    pub weights: Range<usize>,
    pub bias: Range<usize>,
    pub batch_norm: Option<BatchNorm>,
}

impl Layer {
    /// The units whose incoming weights form one row of the weight matrix:
    /// the outputs of a dense layer, the filters of a convolution.
    pub fn weight_rows(&self) -> usize {
        match self.kind {
            LayerKind::Dense => self.outputs,
            LayerKind::Conv(g) => g.out_channels,
            LayerKind::MaxPool(_) => 0,
        }
    }

    /// Every parameter range of the layer, for per-layer norms.
    pub fn param_ranges(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        [Some(self.weights.clone()), Some(self.bias.clone())]
            .into_iter()
            .chain(self.batch_norm.iter().flat_map(|bn| [Some(bn.scale.clone()), Some(bn.shift.clone())]))
            .flatten()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Network {
    /// Hidden layers, then the output layer (linear: the loss applies the
    /// output link).
    pub layers: Vec<Layer>,
    pub params: Vec<f64>,
    pub leaky_slope: f64,
}

/// How a forward pass treats batch normalisation and dropout.
#[derive(Debug, PartialEq)]
pub enum Mode<'a> {
    /// Batch statistics and fresh dropout masks drawn from the generator.
    Train(&'a mut EngineRng),
    /// Batch statistics and the dropout masks already in the workspace: a
    /// repeatable training-mode pass, for gradient checks.
    TrainFixedMasks,
    /// Batch statistics, no dropout: the probes' view of signal propagation.
    Probe,
    /// Running statistics, no dropout: evaluation and drawing.
    Eval,
}

impl Mode<'_> {
    fn batch_statistics(&self) -> bool {
        !matches!(self, Mode::Eval)
    }
    fn dropout(&self) -> bool {
        matches!(self, Mode::Train(_) | Mode::TrainFixedMasks)
    }
}

/// The buffers of one layer for a batch of up to `capacity` rows, each
/// row-major `[rows][outputs]`.
#[derive(Debug, Clone)]
pub struct LayerBuffers {
    /// `W x + b`, kept apart only with batch normalisation.
    pub linear: Vec<f64>,
    /// Batch-normalised `linear` (x-hat).
    pub normalized: Vec<f64>,
    pub batch_mean: Vec<f64>,
    pub batch_var: Vec<f64>,
    pub batch_inv_std: Vec<f64>,
    /// The input of the activation function.
    pub pre_activation: Vec<f64>,
    /// `f(pre_activation)`; empty for linear layers, which reuse
    /// `pre_activation`.
    pub activation: Vec<f64>,
    /// Inverted-dropout factor of each element: 0 or 1 / (1 - rate).
    pub dropout_scale: Vec<f64>,
    /// `activation * dropout_scale`; empty without dropout.
    pub dropped: Vec<f64>,
    pub grad_output: Vec<f64>,
    pub grad_pre_activation: Vec<f64>,
    pub grad_linear: Vec<f64>,
    /// Max pooling: which input won each output.
    pub argmax: Vec<u32>,
    /// Dense layers wider than 8 inputs: the weights transposed, so the
    /// forward product runs along contiguous outputs.
    pub weights_transposed: Vec<f64>,
    /// Convolution scratch: one image's patch matrix and its gradient.
    pub patches: Vec<f64>,
    pub patch_grads: Vec<f64>,
}

/// Forward and backward buffers for a network and a batch capacity.
#[derive(Debug, Clone)]
pub struct Workspace {
    capacity: usize,
    rows: usize,
    inputs: usize,
    /// Whether the last forward pass applied dropout masks, so backward
    /// routes the gradient through the same masks and only through them.
    dropout_applied: bool,
    /// The batch's input rows, `[rows][inputs]`.
    pub input: Vec<f64>,
    pub layers: Vec<LayerBuffers>,
}

impl Workspace {
    pub fn new(network: &Network, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        let layers = network
            .layers
            .iter()
            .map(|layer| {
                let n = capacity * layer.outputs;
                let bn = layer.batch_norm.is_some();
                let sized = |wanted: bool, len: usize| if wanted { vec![0.0; len] } else { Vec::new() };
                LayerBuffers {
                    linear: sized(bn, n),
                    normalized: sized(bn, n),
                    batch_mean: sized(bn, layer.outputs),
                    batch_var: sized(bn, layer.outputs),
                    batch_inv_std: sized(bn, layer.outputs),
                    pre_activation: vec![0.0; n],
                    activation: sized(layer.activation != Activation::Linear, n),
                    dropout_scale: sized(layer.dropout > 0.0, n),
                    dropped: sized(layer.dropout > 0.0, n),
                    grad_output: vec![0.0; n],
                    grad_pre_activation: vec![0.0; n],
                    grad_linear: sized(bn, n),
                    argmax: if matches!(layer.kind, LayerKind::MaxPool(_)) { vec![0; n] } else { Vec::new() },
                    weights_transposed: sized(layer.kind == LayerKind::Dense && layer.inputs > 8, layer.inputs * layer.outputs),
                    patches: match layer.kind {
                        LayerKind::Conv(g) => vec![0.0; g.patch_len()],
                        _ => Vec::new(),
                    },
                    patch_grads: match layer.kind {
                        LayerKind::Conv(g) => vec![0.0; g.patch_len()],
                        _ => Vec::new(),
                    },
                }
            })
            .collect();
        Self { capacity, rows: 0, inputs: network.inputs(), dropout_applied: false, input: vec![0.0; capacity * network.inputs()], layers }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The number of rows the next pass uses.
    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn set_rows(&mut self, rows: usize) {
        assert!(rows <= self.capacity, "batch of {rows} rows exceeds the workspace's {}", self.capacity);
        self.rows = rows;
    }

    /// Copies `rows` input rows in and sets the row count.
    pub fn load_input(&mut self, rows: &[f64]) {
        let count = rows.len() / self.inputs;
        self.set_rows(count);
        self.input[..rows.len()].copy_from_slice(rows);
    }

    /// The values layer `index` passes on: after activation and dropout.
    pub fn output(&self, index: usize) -> &[f64] {
        output_of(&self.layers[index])
    }

    /// Layer `index`'s activation function output (before dropout).
    pub fn activation(&self, index: usize) -> &[f64] {
        let layer = &self.layers[index];
        if layer.activation.is_empty() { &layer.pre_activation } else { &layer.activation }
    }

    /// The network's output rows (logits).
    pub fn logits(&self) -> &[f64] {
        &self.layers.last().expect("a network has an output layer").pre_activation
    }

    /// The logits and, beside them, where the loss writes its gradient
    /// with respect to them.
    pub fn logits_and_grad(&mut self) -> (&[f64], &mut [f64]) {
        let last = self.layers.last_mut().expect("a network has an output layer");
        (&last.pre_activation, &mut last.grad_pre_activation)
    }
}

/// A layer's output and, beside it, the buffer for the gradient flowing
/// back into that output: borrowed together for the next layer's backward.
fn output_and_grad(layer: &mut LayerBuffers) -> (&[f64], &mut [f64]) {
    let LayerBuffers { dropped, activation, pre_activation, grad_output, .. } = layer;
    let output: &[f64] = if !dropped.is_empty() {
        dropped
    } else if !activation.is_empty() {
        activation
    } else {
        pre_activation
    };
    (output, grad_output)
}

fn output_of(layer: &LayerBuffers) -> &[f64] {
    if !layer.dropped.is_empty() {
        &layer.dropped
    } else if !layer.activation.is_empty() {
        &layer.activation
    } else {
        &layer.pre_activation
    }
}

fn add_bias_noise(bias: &mut [f64], std: f64, rng: &mut EngineRng) {
    if std > 0.0 {
        for value in bias {
            *value += std * crate::maths::standard_normal(rng);
        }
    }
}

impl Network {
    /// Draws a network's parameters from `rng` layer by layer.
    pub fn new(spec: &NetworkSpec, rng: &mut EngineRng) -> Self {
        let mut params = Vec::new();
        let mut layers = Vec::new();
        let take = |params: &mut Vec<f64>, len: usize, value: f64| {
            let start = params.len();
            params.resize(start + len, value);
            start..start + len
        };
        let mut fan_in = spec.inputs;
        if let Some((mut channels, mut height, mut width)) = spec.image {
            for conv in &spec.conv {
                let g = ConvGeometry {
                    in_channels: channels,
                    out_channels: conv.filters,
                    kernel: conv.kernel,
                    pad: conv.pad,
                    in_height: height,
                    in_width: width,
                };
                let weights = take(&mut params, conv.filters * g.weights_per_filter(), 0.0);
                let fans = (g.weights_per_filter(), conv.filters * conv.kernel * conv.kernel);
                spec.init.fill_shaped(spec.gain, fans, (conv.filters, g.weights_per_filter()), &mut params[weights.clone()], rng);
                let bias = take(&mut params, conv.filters, spec.bias_init);
                add_bias_noise(&mut params[bias.clone()], spec.bias_std, rng);
                layers.push(Layer {
                    kind: LayerKind::Conv(g),
                    inputs: g.inputs(),
                    outputs: g.outputs(),
                    activation: conv.activation,
                    dropout: 0.0,
                    weights,
                    bias,
                    batch_norm: None,
                });
                (channels, height, width) = (conv.filters, g.out_height(), g.out_width());
                if conv.pool {
                    let pool = PoolGeometry { channels, in_height: height, in_width: width };
                    let at = params.len();
                    layers.push(Layer {
                        kind: LayerKind::MaxPool(pool),
                        inputs: pool.inputs(),
                        outputs: pool.outputs(),
                        activation: Activation::Linear,
                        dropout: 0.0,
                        weights: at..at,
                        bias: at..at,
                        batch_norm: None,
                    });
                    (height, width) = (pool.out_height(), pool.out_width());
                }
            }
            fan_in = channels * height * width;
        }
        let widths = spec.hidden.iter().map(|&(w, a)| (w, a, true)).chain([(spec.outputs, Activation::Linear, false)]);
        for (width, activation, hidden) in widths {
            let weights = take(&mut params, width * fan_in, 0.0);
            spec.init.fill(spec.gain, fan_in, width, &mut params[weights.clone()], rng);
            let bias = take(&mut params, width, spec.bias_init);
            add_bias_noise(&mut params[bias.clone()], spec.bias_std, rng);
            let batch_norm = (hidden && spec.batch_norm).then(|| BatchNorm {
                scale: take(&mut params, width, 1.0),
                shift: take(&mut params, width, 0.0),
                running_mean: vec![0.0; width],
                running_var: vec![1.0; width],
            });
            layers.push(Layer {
                kind: LayerKind::Dense,
                inputs: fan_in,
                outputs: width,
                activation,
                dropout: if hidden { spec.dropout } else { 0.0 },
                weights,
                bias,
                batch_norm,
            });
            fan_in = width;
        }
        Self { layers, params, leaky_slope: spec.leaky_slope }
    }

    pub fn inputs(&self) -> usize {
        self.layers[0].inputs
    }

    pub fn outputs(&self) -> usize {
        self.layers.last().expect("a network has an output layer").outputs
    }

    pub fn hidden_layers(&self) -> usize {
        self.layers.len() - 1
    }

    pub fn weights(&self, layer: usize) -> &[f64] {
        &self.params[self.layers[layer].weights.clone()]
    }

    pub fn bias(&self, layer: usize) -> &[f64] {
        &self.params[self.layers[layer].bias.clone()]
    }

    /// The ranges that take weight decay and L1/L2 penalties: the weights.
    pub fn weight_ranges(&self) -> Vec<Range<usize>> {
        self.layers.iter().map(|layer| layer.weights.clone()).collect()
    }

    /// Runs the batch already loaded into `ws` through the network.
    pub fn forward(&self, ws: &mut Workspace, mut mode: Mode<'_>) {
        let rows = ws.rows;
        ws.dropout_applied = mode.dropout();
        let (input, buffers) = (&ws.input, &mut ws.layers);
        for (index, layer) in self.layers.iter().enumerate() {
            let (before, rest) = buffers.split_at_mut(index);
            let x: &[f64] = if index == 0 { input } else { output_of(&before[index - 1]) };
            let buf = &mut rest[0];
            let n = rows * layer.outputs;
            let weights = &self.params[layer.weights.clone()];
            let bias = &self.params[layer.bias.clone()];
            match (&layer.kind, &layer.batch_norm) {
                (LayerKind::Dense, None) => {
                    dense_forward(x, rows, layer.inputs, weights, bias, &mut buf.pre_activation, &mut buf.weights_transposed)
                }
                (LayerKind::Dense, Some(bn)) => {
                    dense_forward(x, rows, layer.inputs, weights, bias, &mut buf.linear, &mut buf.weights_transposed);
                    self.batch_norm_forward(layer, bn, buf, rows, mode.batch_statistics());
                }
                (LayerKind::Conv(g), _) => conv_forward(x, rows, g, weights, bias, &mut buf.pre_activation, &mut buf.patches),
                (LayerKind::MaxPool(g), _) => pool_forward(x, rows, g, &mut buf.pre_activation, &mut buf.argmax),
            }
            if !buf.activation.is_empty() {
                layer.activation.forward(&buf.pre_activation[..n], &mut buf.activation[..n], self.leaky_slope);
            }
            if !buf.dropped.is_empty() {
                let source = if buf.activation.is_empty() { &buf.pre_activation } else { &buf.activation };
                if mode.dropout() {
                    if let Mode::Train(rng) = &mut mode {
                        let keep = 1.0 - layer.dropout;
                        for scale in &mut buf.dropout_scale[..n] {
                            *scale = if rng.random::<f64>() < keep { 1.0 / keep } else { 0.0 };
                        }
                    }
                    for ((d, &a), &s) in buf.dropped[..n].iter_mut().zip(&source[..n]).zip(&buf.dropout_scale[..n]) {
                        *d = a * s;
                    }
                } else {
                    buf.dropped[..n].copy_from_slice(&source[..n]);
                }
            }
        }
    }

    fn batch_norm_forward(&self, layer: &Layer, bn: &BatchNorm, buf: &mut LayerBuffers, rows: usize, batch_statistics: bool) {
        let width = layer.outputs;
        let scale = &self.params[bn.scale.clone()];
        let shift = &self.params[bn.shift.clone()];
        if batch_statistics {
            let count = rows as f64;
            buf.batch_mean.fill(0.0);
            buf.batch_var.fill(0.0);
            for row in buf.linear[..rows * width].chunks_exact(width) {
                for (m, &v) in buf.batch_mean.iter_mut().zip(row) {
                    *m += v;
                }
            }
            buf.batch_mean.iter_mut().for_each(|m| *m /= count);
            for row in buf.linear[..rows * width].chunks_exact(width) {
                for ((var, &v), &m) in buf.batch_var.iter_mut().zip(row).zip(&buf.batch_mean) {
                    *var += (v - m) * (v - m);
                }
            }
            for (inv, var) in buf.batch_inv_std.iter_mut().zip(buf.batch_var.iter_mut()) {
                *var /= count;
                *inv = 1.0 / (*var + BATCH_NORM_EPSILON).sqrt();
            }
        } else {
            buf.batch_mean.copy_from_slice(&bn.running_mean);
            for (inv, &var) in buf.batch_inv_std.iter_mut().zip(&bn.running_var) {
                *inv = 1.0 / (var + BATCH_NORM_EPSILON).sqrt();
            }
        }
        let rows_iter = buf.linear[..rows * width]
            .chunks_exact(width)
            .zip(buf.normalized.chunks_exact_mut(width))
            .zip(buf.pre_activation.chunks_exact_mut(width));
        for ((lin, xhat), z) in rows_iter {
            for j in 0..width {
                xhat[j] = (lin[j] - buf.batch_mean[j]) * buf.batch_inv_std[j];
                z[j] = scale[j] * xhat[j] + shift[j];
            }
        }
    }

    /// Folds the batch statistics of the last [`Mode::Train`] pass into the
    /// running statistics that [`Mode::Eval`] uses. Nothing changes if a
    /// new statistic would not be finite: the error names the layer (from
    /// 0), so the run can stop with every statistic as it was.
    pub fn update_running_statistics(&mut self, ws: &Workspace) -> Result<(), usize> {
        let rows = ws.rows as f64;
        // The running variance estimates the population's: unbiased.
        let unbias = if ws.rows > 1 { rows / (rows - 1.0) } else { 1.0 };
        let next = |running: f64, batch: f64| running + BATCH_NORM_MOMENTUM * (batch - running);
        for (index, (layer, buf)) in self.layers.iter().zip(&ws.layers).enumerate() {
            if let Some(bn) = &layer.batch_norm {
                let finite = (0..layer.outputs).all(|j| {
                    next(bn.running_mean[j], buf.batch_mean[j]).is_finite()
                        && next(bn.running_var[j], buf.batch_var[j] * unbias).is_finite()
                });
                if !finite {
                    return Err(index);
                }
            }
        }
        for (layer, buf) in self.layers.iter_mut().zip(&ws.layers) {
            if let Some(bn) = &mut layer.batch_norm {
                for j in 0..layer.outputs {
                    bn.running_mean[j] = next(bn.running_mean[j], buf.batch_mean[j]);
                    bn.running_var[j] = next(bn.running_var[j], buf.batch_var[j] * unbias);
                }
            }
        }
        Ok(())
    }

    /// Every layer's running statistics (empty for layers without batch
    /// normalisation), to put back after an update that went wrong.
    pub fn running_statistics(&self) -> Vec<(Vec<f64>, Vec<f64>)> {
        self.layers
            .iter()
            .map(|layer| layer.batch_norm.as_ref().map_or((Vec::new(), Vec::new()), |bn| (bn.running_mean.clone(), bn.running_var.clone())))
            .collect()
    }

    pub fn set_running_statistics(&mut self, statistics: &[(Vec<f64>, Vec<f64>)]) {
        for (layer, (mean, var)) in self.layers.iter_mut().zip(statistics) {
            if let Some(bn) = &mut layer.batch_norm {
                bn.running_mean.clone_from(mean);
                bn.running_var.clone_from(var);
            }
        }
    }

    /// The first layer (from 0) with a non-finite value among `values`, a
    /// vector laid out like the parameters (the parameters themselves, or
    /// their gradients): weights, bias, and batch-norm scale and shift.
    pub fn first_non_finite_parameter_layer(&self, values: &[f64]) -> Option<usize> {
        self.layers.iter().position(|layer| layer.param_ranges().any(|range| !values[range].iter().all(|v| v.is_finite())))
    }

    /// Backpropagates the logits' gradient already in `ws` (see
    /// [`Workspace::logits_and_grad`]) and writes the gradient of every
    /// parameter into `grads` (overwritten, same layout as `params`).
    pub fn backward(&self, ws: &mut Workspace, grads: &mut [f64]) {
        debug_assert_eq!(grads.len(), self.params.len());
        grads.fill(0.0);
        let rows = ws.rows;
        let dropout_applied = ws.dropout_applied;
        let last = self.layers.len() - 1;
        for index in (0..self.layers.len()).rev() {
            let layer = &self.layers[index];
            let n = rows * layer.outputs;
            let (before, rest) = ws.layers.split_at_mut(index);
            let buf = &mut rest[0];
            if index != last {
                // dL/d(activation) from dL/d(output): through dropout, then
                // through the activation function.
                let grad_act: &mut [f64] = &mut buf.grad_output[..n];
                if dropout_applied && !buf.dropout_scale.is_empty() {
                    grad_act.iter_mut().zip(&buf.dropout_scale[..n]).for_each(|(g, &s)| *g *= s);
                }
                let act = if buf.activation.is_empty() { &buf.pre_activation } else { &buf.activation };
                layer.activation.backward(
                    &buf.pre_activation[..n],
                    &act[..n],
                    &buf.grad_output[..n],
                    &mut buf.grad_pre_activation[..n],
                    self.leaky_slope,
                );
            }
            let grad_linear: &[f64] = match &layer.batch_norm {
                None => &buf.grad_pre_activation,
                Some(bn) => {
                    batch_norm_backward(layer.outputs, rows, bn, buf, &self.params, grads);
                    &buf.grad_linear
                }
            };
            let (x, grad_input): (&[f64], Option<&mut [f64]>) = match before.last_mut() {
                None => (&ws.input, None),
                Some(previous) => {
                    let (output, grad) = output_and_grad(previous);
                    (output, Some(grad))
                }
            };
            let (w, b) = (layer.weights.clone(), layer.bias.clone());
            debug_assert_eq!(w.end, b.start, "a layer's bias follows its weights");
            let (grad_weights, grad_bias) = grads[w.start..b.end].split_at_mut(w.len());
            match &layer.kind {
                LayerKind::Dense => {
                    dense_backward(x, rows, layer.inputs, &self.params[w], grad_linear, grad_weights, grad_bias, grad_input)
                }
                LayerKind::Conv(g) => conv_backward(
                    x,
                    rows,
                    g,
                    &self.params[w],
                    grad_linear,
                    grad_weights,
                    grad_bias,
                    grad_input,
                    &mut buf.patches,
                    &mut buf.patch_grads,
                ),
                LayerKind::MaxPool(g) => {
                    if let Some(grad_input) = grad_input {
                        pool_backward(grad_linear, rows, g, &buf.argmax, grad_input);
                    }
                }
            }
        }
    }

    /// The first layer (0-based) whose buffers in `ws` hold a non-finite
    /// value after a forward pass: its linear output, batch statistics,
    /// activation or output.
    pub fn first_non_finite_layer(&self, ws: &Workspace) -> Option<usize> {
        let rows = ws.rows;
        let finite = |values: &[f64]| values.iter().all(|v| v.is_finite());
        (0..self.layers.len()).find(|&index| {
            let n = rows * self.layers[index].outputs;
            let buf = &ws.layers[index];
            let statistics_finite =
                self.layers[index].batch_norm.is_none() || (finite(&buf.linear[..n]) && finite(&buf.batch_mean) && finite(&buf.batch_var));
            !statistics_finite || !finite(&buf.pre_activation[..n]) || !finite(&ws.output(index)[..n])
        })
    }

    /// Sum of L1 and L2 penalties on the weights: `l1 |w| + l2 w^2 / 2`.
    pub fn penalty(&self, l1: f64, l2: f64) -> f64 {
        if l1 == 0.0 && l2 == 0.0 {
            return 0.0;
        }
        self.layers.iter().flat_map(|layer| &self.params[layer.weights.clone()]).map(|w| l1 * w.abs() + 0.5 * l2 * w * w).sum()
    }

    /// Adds the penalties' gradient to `grads`. The L1 term uses sign(0) = 0.
    pub fn add_penalty_gradient(&self, l1: f64, l2: f64, grads: &mut [f64]) {
        if l1 == 0.0 && l2 == 0.0 {
            return;
        }
        for layer in &self.layers {
            let range = layer.weights.clone();
            for (g, &w) in grads[range.clone()].iter_mut().zip(&self.params[range]) {
                let sign = if w > 0.0 {
                    1.0
                } else if w < 0.0 {
                    -1.0
                } else {
                    0.0
                };
                *g += l1 * sign + l2 * w;
            }
        }
    }
}

/// Backpropagates through batch normalisation: from dL/dz (in
/// `grad_pre_activation`) to dL/d(linear), plus the scale and shift
/// gradients.
fn batch_norm_backward(width: usize, rows: usize, bn: &BatchNorm, buf: &mut LayerBuffers, params: &[f64], grads: &mut [f64]) {
    let count = rows as f64;
    let scale = &params[bn.scale.clone()];
    {
        let (grad_scale, grad_shift) = (bn.scale.clone(), bn.shift.clone());
        for (g, xhat) in buf.grad_pre_activation[..rows * width].chunks_exact(width).zip(buf.normalized.chunks_exact(width)) {
            for j in 0..width {
                grads[grad_scale.start + j] += g[j] * xhat[j];
                grads[grad_shift.start + j] += g[j];
            }
        }
    }
    let rows_iter = buf.grad_pre_activation[..rows * width]
        .chunks_exact(width)
        .zip(buf.normalized.chunks_exact(width))
        .zip(buf.grad_linear.chunks_exact_mut(width));
    for ((g, xhat), out) in rows_iter {
        for j in 0..width {
            let d_scale = grads[bn.scale.start + j];
            let d_shift = grads[bn.shift.start + j];
            // dL/dx = gamma / (m sigma) (m dL/dz - sum dL/dz - xhat sum dL/dz xhat)
            out[j] = scale[j] * buf.batch_inv_std[j] / count * (count * g[j] - d_shift - xhat[j] * d_scale);
        }
    }
}
