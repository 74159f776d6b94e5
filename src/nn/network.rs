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

use super::conv::{
    ConvGeometry, FusedActivation, FusedPool, OutputGradient, PoolGeometry, conv_backward, conv_forward, pool_backward, pool_forward,
};
use super::gemm::{self, Precision, Real};
use super::kernels::{all_finite, dense_backward, dense_forward};
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

    /// The channels of a convolution's or a pooling's output (each sample's
    /// output is laid out channel by channel); none for a dense layer.
    pub fn output_channels(&self) -> Option<usize> {
        match self.kind {
            LayerKind::Dense => None,
            LayerKind::Conv(g) => Some(g.out_channels),
            LayerKind::MaxPool(g) => Some(g.channels),
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
    /// What the matrix products of a network with convolutions compute in
    /// (a network without computes portably in f64). Not saved with the
    /// network: the config, saved beside it, says it.
    #[serde(skip)]
    pub precision: Precision,
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
    /// Dense layers wider than 8 inputs: the weights transposed, so the
    /// forward product runs along contiguous outputs.
    pub weights_transposed: Vec<f64>,
    /// Convolutions: whether the last forward pass wrote only finite
    /// numbers.
    pub finite: bool,
    /// Max pooling, in workspaces with gradients: which input of its block
    /// each output took.
    pub winners: Vec<u8>,
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
    /// The convolutions' matrices, in the numbers their products compute in.
    products: Products,
    /// Room for two planes of a convolution whose output is not kept (see
    /// [`Workspace::for_training`]).
    planes: Vec<f64>,
    /// False for a workspace that only runs forward (inference): it holds
    /// no gradient buffers.
    gradients: bool,
}

impl Workspace {
    /// Buffers for forward and backward passes of up to `capacity` rows.
    pub fn new(network: &Network, capacity: usize) -> Self {
        Self::sized(network, capacity, true, false)
    }

    /// Buffers for forward passes only (evaluation, drawing): without the
    /// gradients', it takes half the memory. [`Network::backward`] refuses
    /// it.
    pub fn forward_only(network: &Network, capacity: usize) -> Self {
        Self::sized(network, capacity, false, false)
    }

    /// Buffers for training steps that nothing reads but the step itself:
    /// a convolution followed by a pool, whose activation's derivative
    /// follows from its output (relu, tanh, sigmoid, linear), keeps only the
    /// pooled values, which are all its backward pass reads. Its own output
    /// (the largest buffer of a convolutional network) is neither kept nor
    /// written: [`Workspace::activation`] and [`Workspace::output`] are
    /// empty for it.
    pub fn for_training(network: &Network, capacity: usize) -> Self {
        Self::sized(network, capacity, true, true)
    }

    /// How many numbers a workspace holds per row of capacity: what a
    /// larger batch costs in memory.
    pub fn values_per_row(network: &Network, gradients: bool) -> usize {
        let values = |rows| Self::sized(network, rows, gradients, false).values();
        values(2) - values(1)
    }

    fn values(&self) -> usize {
        let layers: usize = self
            .layers
            .iter()
            .map(|b| {
                [&b.linear, &b.normalized, &b.pre_activation, &b.activation, &b.dropout_scale, &b.dropped]
                    .iter()
                    .chain([&b.grad_output, &b.grad_pre_activation, &b.grad_linear, &b.weights_transposed].iter())
                    .map(|v| v.len())
                    .sum::<usize>()
                    + b.winners.len().div_ceil(8)
            })
            .sum();
        let products = match &self.products {
            Products::F64(buffers) => buffers.len(),
            Products::F32(buffers) => buffers.len().div_ceil(2),
        };
        layers + self.input.len() + products
    }

    fn sized(network: &Network, capacity: usize, gradients: bool, lean: bool) -> Self {
        let capacity = capacity.max(1);
        let pooled_only = |index: usize| lean && network.output_only_pooled(index);
        let layers = network
            .layers
            .iter()
            .enumerate()
            .map(|(index, layer)| {
                let n = if pooled_only(index) { 0 } else { capacity * layer.outputs };
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
                    grad_output: sized(gradients, n),
                    grad_pre_activation: sized(gradients, n),
                    grad_linear: sized(bn && gradients, n),
                    weights_transposed: sized(
                        layer.kind == LayerKind::Dense && layer.inputs > 8 && !network.has_convolutions(),
                        layer.inputs * layer.outputs,
                    ),
                    finite: true,
                    winners: if matches!(layer.kind, LayerKind::MaxPool(_)) && gradients { vec![0; n] } else { Vec::new() },
                }
            })
            .collect();
        let products = match network.product_precision() {
            Precision::F64 => Products::F64(ProductBuffers::sized(network, capacity, gradients)),
            Precision::F32 => Products::F32(ProductBuffers::sized(network, capacity, gradients)),
        };
        let plane = |layer: &Layer| if let LayerKind::Conv(g) = layer.kind { g.positions() } else { 0 };
        let planes = (0..network.layers.len()).filter(|&i| pooled_only(i)).map(|i| 2 * plane(&network.layers[i])).max().unwrap_or(0);
        Self {
            capacity,
            rows: 0,
            inputs: network.inputs(),
            dropout_applied: false,
            input: vec![0.0; capacity * network.inputs()],
            layers,
            products,
            planes: vec![0.0; planes],
            gradients,
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// What the convolutions' products compute in.
    pub fn precision(&self) -> Precision {
        match self.products {
            Products::F64(_) => Precision::F64,
            Products::F32(_) => Precision::F32,
        }
    }

    /// The width of an input row.
    pub fn inputs(&self) -> usize {
        self.inputs
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

    /// Sets the row count and returns the input rows to fill in.
    pub fn input_rows(&mut self, rows: usize) -> &mut [f64] {
        self.set_rows(rows);
        &mut self.input[..rows * self.inputs]
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

/// The matrices of a network's convolutions, in the numbers their products
/// compute in.
#[derive(Debug, Clone)]
enum Products {
    F64(ProductBuffers<f64>),
    F32(ProductBuffers<f32>),
}

#[derive(Debug, Clone)]
struct ProductBuffers<T> {
    /// Per layer, for a convolution: the batch's patch matrix, unfolded by
    /// the forward pass and read again by the backward pass (empty for
    /// other layers).
    patches: Vec<Vec<T>>,
    /// Convolutions' products and gradients, channel-major (`[channel][row]
    /// [position]`), for the largest convolution layer.
    scratch: Vec<T>,
    /// The gradient of a convolution's patch matrix, for the largest one
    /// that passes a gradient to its input.
    patch_grads: Vec<T>,
    /// In f32, for the largest convolution: its filters rounded, and its
    /// weight gradient before it is widened. Empty in f64, whose products
    /// read the parameters and write the gradients themselves.
    filters: Vec<T>,
    filter_grads: Vec<T>,
}

impl<T: Real> ProductBuffers<T> {
    fn sized(network: &Network, capacity: usize, gradients: bool) -> Self {
        let convolutions =
            || network.layers.iter().enumerate().filter_map(|(i, l)| if let LayerKind::Conv(g) = l.kind { Some((i, g)) } else { None });
        let zeros = |len: usize| vec![T::zero(); len];
        let patches = network
            .layers
            .iter()
            .map(|layer| match layer.kind {
                LayerKind::Conv(g) => zeros(g.patch_len(capacity)),
                _ => Vec::new(),
            })
            .collect();
        let scratch = convolutions().map(|(_, g)| g.out_channels * capacity * g.positions()).max().unwrap_or(0);
        // The first layer passes no gradient on: its patches' is never needed.
        let patch_grads = convolutions().filter(|&(i, _)| i > 0 && gradients).map(|(_, g)| g.patch_len(capacity)).max().unwrap_or(0);
        let rounded = if std::mem::size_of::<T>() < std::mem::size_of::<f64>() {
            convolutions().map(|(_, g)| g.out_channels * g.weights_per_filter()).max().unwrap_or(0)
        } else {
            0
        };
        Self {
            patches,
            scratch: zeros(scratch),
            patch_grads: zeros(patch_grads),
            filters: zeros(rounded),
            filter_grads: zeros(if gradients { rounded } else { 0 }),
        }
    }

    /// The numbers held.
    fn len(&self) -> usize {
        self.patches.iter().map(Vec::len).sum::<usize>()
            + self.scratch.len()
            + self.patch_grads.len()
            + self.filters.len()
            + self.filter_grads.len()
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
        Self { layers, params, leaky_slope: spec.leaky_slope, precision: Precision::F64 }
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

    /// Whether the network has convolution layers: then its products,
    /// dense ones included, go through `matrixmultiply` (see [`super::gemm`]).
    pub fn has_convolutions(&self) -> bool {
        self.layers.iter().any(|l| matches!(l.kind, LayerKind::Conv(_)))
    }

    /// Whether layer `index` is a convolution whose output only a 2x2 max
    /// pool reads, through an activation whose derivative follows from its
    /// output: a training step needs only the pooled values.
    fn output_only_pooled(&self, index: usize) -> bool {
        let layer = &self.layers[index];
        matches!(layer.kind, LayerKind::Conv(_))
            && matches!(self.layers.get(index + 1).map(|l| l.kind), Some(LayerKind::MaxPool(_)))
            && index + 1 != self.layers.len() - 1
            && layer.activation.derivative_follows_from_output()
    }

    /// What the convolutions' products compute in: [`Network::precision`];
    /// f64 for a network without convolutions.
    pub fn product_precision(&self) -> Precision {
        if self.has_convolutions() { self.precision } else { Precision::F64 }
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
    pub fn forward(&self, ws: &mut Workspace, mode: Mode<'_>) {
        assert_eq!(ws.precision(), self.product_precision(), "the workspace was made for a network of another precision");
        let rows = ws.rows;
        ws.dropout_applied = mode.dropout();
        let Workspace { input, layers: buffers, products, planes, .. } = ws;
        match products {
            Products::F64(products) => self.forward_with(rows, input, buffers, products, planes, mode),
            Products::F32(products) => self.forward_with(rows, input, buffers, products, planes, mode),
        }
    }

    /// [`Network::forward`] with the convolutions' products in `T`.
    fn forward_with<T: Real>(
        &self,
        rows: usize,
        input: &[f64],
        buffers: &mut [LayerBuffers],
        products: &mut ProductBuffers<T>,
        planes: &mut [f64],
        mut mode: Mode<'_>,
    ) {
        let ProductBuffers { patches, scratch, filters, .. } = products;
        let fast = self.has_convolutions();
        let mut pooled_already = false;
        for (index, layer) in self.layers.iter().enumerate() {
            if std::mem::take(&mut pooled_already) {
                // The convolution before pooled its output as it wrote it.
                continue;
            }
            let (before, rest) = buffers.split_at_mut(index);
            let x: &[f64] = if index == 0 { input } else { output_of(&before[index - 1]) };
            let (buf, after) = rest.split_first_mut().expect("a buffer per layer");
            let n = rows * layer.outputs;
            let weights = &self.params[layer.weights.clone()];
            let bias = &self.params[layer.bias.clone()];
            match (&layer.kind, &layer.batch_norm) {
                (LayerKind::Dense, batch_norm) => {
                    let out = if batch_norm.is_some() { &mut buf.linear } else { &mut buf.pre_activation };
                    if fast {
                        gemm::dense_forward(x, rows, layer.inputs, weights, bias, out);
                    } else {
                        dense_forward(x, rows, layer.inputs, weights, bias, out, &mut buf.weights_transposed);
                    }
                    if let Some(bn) = batch_norm {
                        self.batch_norm_forward(layer, bn, buf, rows, mode.batch_statistics());
                    }
                }
                (LayerKind::Conv(g), _) => {
                    // Empty buffers: only the pooled values are kept (see
                    // Workspace::for_training).
                    let kept = !buf.pre_activation.is_empty();
                    let activation = (layer.activation != Activation::Linear).then(|| FusedActivation {
                        activation: layer.activation,
                        leaky_slope: self.leaky_slope,
                        out: if kept { &mut buf.activation[..n] } else { &mut [] },
                    });
                    let pool = match (self.layers.get(index + 1).map(|l| l.kind), after.first_mut()) {
                        (Some(LayerKind::MaxPool(geometry)), Some(next)) => {
                            pooled_already = true;
                            let outputs = rows * geometry.outputs();
                            let winners = if next.winners.is_empty() { &mut [][..] } else { &mut next.winners[..outputs] };
                            let planes = if kept { &mut [][..] } else { &mut planes[..] };
                            Some(FusedPool { geometry, out: &mut next.pre_activation[..outputs], winners, planes })
                        }
                        _ => None,
                    };
                    let pre = &mut buf.pre_activation;
                    let weights = T::product_weights(weights, filters);
                    buf.finite = conv_forward(x, rows, g, weights, bias, pre, activation, pool, &mut patches[index], scratch);
                }
                (LayerKind::MaxPool(g), _) => pool_forward(x, rows, g, &mut buf.pre_activation, &mut buf.winners),
            }
            // (A convolution applied its activation as it wrote its output.)
            if !buf.activation.is_empty() && !matches!(layer.kind, LayerKind::Conv(_)) {
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
        self.layers.iter().position(|layer| layer.param_ranges().any(|range| !all_finite(&values[range])))
    }

    /// Backpropagates the logits' gradient already in `ws` (see
    /// [`Workspace::logits_and_grad`]) and writes the gradient of every
    /// parameter into `grads` (overwritten, same layout as `params`).
    pub fn backward(&self, ws: &mut Workspace, grads: &mut [f64]) {
        debug_assert_eq!(grads.len(), self.params.len());
        assert!(ws.gradients, "backward needs a workspace with gradient buffers (Workspace::new)");
        let fast = self.has_convolutions();
        // The products of a network with convolutions overwrite their
        // gradients; the portable dense kernels and batch normalisation add
        // to theirs.
        if fast {
            for bn in self.layers.iter().filter_map(|layer| layer.batch_norm.as_ref()) {
                grads[bn.scale.clone()].fill(0.0);
                grads[bn.shift.clone()].fill(0.0);
            }
        } else {
            grads.fill(0.0);
        }
        let Workspace { rows, dropout_applied, input, layers: buffers, products, .. } = ws;
        let (rows, dropout_applied) = (*rows, *dropout_applied);
        match products {
            Products::F64(products) => self.backward_with(rows, dropout_applied, input, buffers, products, grads),
            Products::F32(products) => self.backward_with(rows, dropout_applied, input, buffers, products, grads),
        }
    }

    /// [`Network::backward`] with the convolutions' products in `T`, into
    /// gradients already zeroed where the layers add to them.
    fn backward_with<T: Real>(
        &self,
        rows: usize,
        dropout_applied: bool,
        input: &[f64],
        buffers: &mut [LayerBuffers],
        products: &mut ProductBuffers<T>,
        grads: &mut [f64],
    ) {
        let ProductBuffers { patches, scratch, patch_grads, filters, filter_grads } = products;
        let fast = self.has_convolutions();
        let last = self.layers.len() - 1;
        let mut index = self.layers.len();
        while index > 0 {
            index -= 1;
            let layer = &self.layers[index];
            let n = rows * layer.outputs;
            if let (LayerKind::MaxPool(pool), Some(conv_index)) = (layer.kind, index.checked_sub(1))
                && let LayerKind::Conv(g) = self.layers[conv_index].kind
                && index != last
            {
                // Back through the pool, the convolution's activation and the
                // convolution at once, plane by plane.
                let conv = &self.layers[conv_index];
                let (before, rest) = buffers.split_at_mut(conv_index);
                let (conv_buf, pool_buf) = rest.split_at_mut(1);
                let (conv_buf, pool_buf) = (&conv_buf[0], &pool_buf[0]);
                let activated = if conv_buf.activation.is_empty() { &conv_buf.pre_activation } else { &conv_buf.activation };
                let gradient = OutputGradient::Pooled {
                    geometry: pool,
                    winners: &pool_buf.winners[..n],
                    pooled: &pool_buf.pre_activation[..n],
                    grad_pooled: &pool_buf.grad_output[..n],
                    activation: conv.activation,
                    leaky_slope: self.leaky_slope,
                    pre_activation: &conv_buf.pre_activation,
                    activated,
                };
                let grad_input = before.last_mut().map(|previous| output_and_grad(previous).1);
                let (w, b) = (conv.weights.clone(), conv.bias.clone());
                let (grad_weights, grad_bias) = grads[w.start..b.end].split_at_mut(w.len());
                let weights = T::product_weights(&self.params[w], filters);
                let patches = &patches[conv_index];
                conv_backward(
                    rows,
                    &g,
                    weights,
                    gradient,
                    grad_weights,
                    grad_bias,
                    grad_input,
                    patches,
                    scratch,
                    patch_grads,
                    filter_grads,
                );
                index = conv_index;
                continue;
            }
            let (before, rest) = buffers.split_at_mut(index);
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
                None => (input, None),
                Some(previous) => {
                    let (output, grad) = output_and_grad(previous);
                    (output, Some(grad))
                }
            };
            let (w, b) = (layer.weights.clone(), layer.bias.clone());
            debug_assert_eq!(w.end, b.start, "a layer's bias follows its weights");
            let (grad_weights, grad_bias) = grads[w.start..b.end].split_at_mut(w.len());
            match &layer.kind {
                LayerKind::Dense if fast => {
                    gemm::dense_backward(x, rows, layer.inputs, &self.params[w], grad_linear, grad_weights, grad_bias, grad_input)
                }
                LayerKind::Dense => {
                    dense_backward(x, rows, layer.inputs, &self.params[w], grad_linear, grad_weights, grad_bias, grad_input)
                }
                LayerKind::Conv(g) => conv_backward(
                    rows,
                    g,
                    T::product_weights(&self.params[w], filters),
                    OutputGradient::PreActivation(grad_linear),
                    grad_weights,
                    grad_bias,
                    grad_input,
                    &patches[index],
                    scratch,
                    patch_grads,
                    filter_grads,
                ),
                LayerKind::MaxPool(g) => {
                    if let Some(grad_input) = grad_input {
                        pool_backward(&buf.winners, grad_linear, rows, g, grad_input);
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
        (0..self.layers.len()).find(|&index| {
            let n = rows * self.layers[index].outputs;
            let buf = &ws.layers[index];
            match self.layers[index].kind {
                // Checked as it was written.
                LayerKind::Conv(_) => return !buf.finite,
                // The largest of finite inputs is finite: the layer before
                // was checked first.
                LayerKind::MaxPool(_) => return false,
                LayerKind::Dense => {}
            }
            let statistics_finite = self.layers[index].batch_norm.is_none()
                || (all_finite(&buf.linear[..n]) && all_finite(&buf.batch_mean) && all_finite(&buf.batch_var));
            !statistics_finite || !all_finite(&buf.pre_activation[..n]) || !all_finite(&ws.output(index)[..n])
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
