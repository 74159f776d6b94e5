//! Reading a network without training it: predictions, probabilities,
//! every layer's output, per-class means, a split's loss and accuracy. All
//! over `&Network` with a workspace the caller owns, so any number of views
//! can read one network at once, and in chunks, so memory does not grow
//! with the data. Evaluation mode throughout: running statistics for batch
//! normalisation, no dropout.

use super::{Activation, LayerKind, Loss, Mode, Network, Precision, TaskKind, Workspace, parallel};

/// Rows per forward pass, at most.
pub const CHUNK: usize = 256;
/// The most numbers a workspace for reading holds: a wide convolutional
/// network reads fewer rows per pass, so its buffers stay in the caches
/// and its memory small (a row of the MNIST network holds 128,000).
const CHUNK_VALUES: usize = 1 << 20;

/// The rows a forward pass of `network` reads at a time.
pub fn chunk_rows(network: &Network) -> usize {
    (CHUNK_VALUES / Workspace::values_per_row(network, false).max(1)).clamp(1, CHUNK)
}

/// The loss and accuracy of a network on a set of rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Mean loss without penalties; NaN for no rows.
    pub loss: f64,
    /// `None` for regression; NaN if an output was not a finite number (a
    /// guess is never read from it).
    pub accuracy: Option<f64>,
    /// The first layer (from 0) that produced a non-finite value.
    pub broken_layer: Option<usize>,
}

/// Rows of network inputs however they are kept: as the numbers the
/// network reads, or in a compact form converted as rows are copied out
/// (a data set's grey levels).
pub trait InputRows {
    /// The number of values: rows times their width.
    fn value_count(&self) -> usize;
    /// Writes rows `first..first + out.len() / width` (rows of `width`)
    /// into `out` as numbers.
    fn copy_rows(&self, width: usize, first: usize, out: &mut [f64]);
}

impl InputRows for [f64] {
    fn value_count(&self) -> usize {
        self.len()
    }

    fn copy_rows(&self, width: usize, first: usize, out: &mut [f64]) {
        out.copy_from_slice(&self[first * width..first * width + out.len()]);
    }
}

impl InputRows for Vec<f64> {
    fn value_count(&self) -> usize {
        self.len()
    }

    fn copy_rows(&self, width: usize, first: usize, out: &mut [f64]) {
        self.as_slice().copy_rows(width, first, out);
    }
}

/// What a workspace's buffers depend on.
type Shape = (Vec<(LayerKind, usize, usize, Activation, bool, bool)>, Precision);

fn shape_of(network: &Network) -> Shape {
    let layers = network.layers.iter().map(|l| (l.kind, l.inputs, l.outputs, l.activation, l.batch_norm.is_some(), l.dropout > 0.0));
    (layers.collect(), network.product_precision())
}

/// Workspaces for reading networks of one shape; they are made anew when
/// handed a network of another. A network with convolutions reads several
/// chunks at once, one per thread (a row's outputs do not depend on the
/// rows beside it, so the numbers are the same).
#[derive(Debug, Clone, Default)]
pub struct Inference {
    workspaces: Option<(Shape, Vec<Workspace>)>,
}

impl Inference {
    fn workspaces(&mut self, network: &Network) -> &mut [Workspace] {
        let shape = shape_of(network);
        if self.workspaces.as_ref().is_none_or(|(known, _)| *known != shape) {
            let threads = if network.has_convolutions() { parallel::threads() } else { 1 };
            let workspaces = (0..threads).map(|_| Workspace::forward_only(network, chunk_rows(network))).collect();
            self.workspaces = Some((shape, workspaces));
        }
        &mut self.workspaces.as_mut().expect("just made").1
    }

    /// Runs `inputs` (`rows x network.inputs()`) through the network in
    /// chunks and hands each chunk's workspace to `visit`, in order, with
    /// the index of its first row.
    pub fn run_chunks(&mut self, network: &Network, inputs: &(impl InputRows + ?Sized), mut visit: impl FnMut(usize, &Workspace)) {
        let width = network.inputs();
        let rows = inputs.value_count() / width;
        let workspaces = self.workspaces(network);
        let chunk = workspaces[0].capacity();
        let mut first = 0;
        while first < rows {
            let mut used = 0;
            for ws in workspaces.iter_mut() {
                let start = first + used * chunk;
                if start >= rows {
                    break;
                }
                inputs.copy_rows(width, start, ws.input_rows(chunk.min(rows - start)));
                used += 1;
            }
            parallel::for_each(&mut workspaces[..used], |ws| network.forward(ws, Mode::Eval));
            for (index, ws) in workspaces[..used].iter().enumerate() {
                visit(first + index * chunk, ws);
            }
            first += used * chunk;
        }
    }

    /// Each row's output read by `read`.
    pub fn outputs<T>(&mut self, network: &Network, inputs: &(impl InputRows + ?Sized), read: impl Fn(&[f64]) -> T) -> Vec<T> {
        let width = network.outputs();
        let mut outputs = Vec::with_capacity(inputs.value_count() / network.inputs().max(1));
        self.run_chunks(network, inputs, |_, ws| outputs.extend(ws.logits()[..ws.rows() * width].chunks_exact(width).map(&read)));
        outputs
    }

    /// The class predicted for each row; `None` where an output is not
    /// finite.
    pub fn classes(&mut self, network: &Network, loss: Loss, inputs: &(impl InputRows + ?Sized)) -> Vec<Option<usize>> {
        self.outputs(network, inputs, |row| loss.predicted_class(row))
    }

    /// The first output of each row: a regression's prediction.
    pub fn values(&mut self, network: &Network, inputs: &(impl InputRows + ?Sized)) -> Vec<f64> {
        self.outputs(network, inputs, |row| row[0])
    }

    /// The class probabilities of each row.
    pub fn probabilities(&mut self, network: &Network, loss: Loss, inputs: &(impl InputRows + ?Sized)) -> Vec<Vec<f64>> {
        self.outputs(network, inputs, |row| loss.probabilities(row))
    }

    /// Every layer's output (after its activation) for one input row.
    pub fn layer_outputs(&mut self, network: &Network, input: &[f64]) -> Vec<Vec<f64>> {
        let mut layers = Vec::new();
        self.run_chunks(network, &input[..network.inputs()], |_, ws| {
            layers = (0..network.layers.len()).map(|k| ws.activation(k)[..network.layers[k].outputs].to_vec()).collect();
        });
        layers
    }

    /// The mean output of every unit of `layer` for each class, over rows
    /// labelled `labels` (`[unit][class]`): what a deeper neuron responds
    /// to.
    pub fn class_means(
        &mut self,
        network: &Network,
        layer: usize,
        inputs: &(impl InputRows + ?Sized),
        labels: &[f64],
        classes: usize,
    ) -> Vec<Vec<f64>> {
        let width = network.layers[layer].outputs;
        let mut sums = vec![vec![0.0; classes]; width];
        let mut counts = vec![0usize; classes];
        self.run_chunks(network, inputs, |start, ws| {
            let rows = ws.rows();
            for (row, &label) in ws.activation(layer)[..rows * width].chunks_exact(width).zip(&labels[start..start + rows]) {
                let class = label as usize;
                counts[class] += 1;
                for (unit, &value) in row.iter().enumerate() {
                    sums[unit][class] += value;
                }
            }
        });
        for unit in &mut sums {
            for (sum, &count) in unit.iter_mut().zip(&counts) {
                *sum /= count.max(1) as f64;
            }
        }
        sums
    }

    /// Mean loss and accuracy on rows with their encoded targets and
    /// labels.
    pub fn evaluate(
        &mut self,
        network: &Network,
        loss: Loss,
        task: TaskKind,
        inputs: &(impl InputRows + ?Sized),
        targets: &[f64],
        labels: &[f64],
    ) -> Evaluation {
        let n = labels.len();
        if n == 0 {
            return Evaluation { loss: f64::NAN, accuracy: None, broken_layer: None };
        }
        let t = network.outputs();
        let (mut total, mut correct, mut unreadable, mut broken_layer) = (0.0, 0usize, 0usize, None);
        self.run_chunks(network, inputs, |start, ws| {
            let rows = ws.rows();
            if broken_layer.is_none() {
                broken_layer = network.first_non_finite_layer(ws);
            }
            let logits = &ws.logits()[..rows * t];
            total += loss.sum(logits, &targets[start * t..(start + rows) * t], rows, t);
            for (row, label) in logits.chunks_exact(t).zip(&labels[start..start + rows]) {
                match loss.predicted_class(row) {
                    Some(class) => correct += usize::from(class as f64 == *label),
                    None => unreadable += 1,
                }
            }
        });
        let accuracy = task.classes().map(|_| if unreadable > 0 { f64::NAN } else { correct as f64 / n as f64 });
        Evaluation { loss: total / n as f64, accuracy, broken_layer }
    }
}
