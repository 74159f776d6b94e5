//! Every neuron's output over the input square: the heatmaps the app draws.

use crate::data::{Feature, INPUT_HALF_WIDTH, encode_point};
use crate::nn::{Loss, Mode, Network, Workspace};

const CHUNK: usize = 256;

/// Values on a `resolution x resolution` grid of cell centres over the
/// input square, row-major with row 0 at the top (y = +6) and column 0 at
/// the left (x = -6).
#[derive(Debug, Clone, PartialEq)]
pub struct NeuronMaps {
    pub resolution: usize,
    /// One map per input feature.
    pub inputs: Vec<Vec<f32>>,
    /// Per layer (hidden layers, then output), one map per unit: the unit's
    /// activation in evaluation mode. Output units hold their logits.
    pub layers: Vec<Vec<Vec<f32>>>,
    /// The loss's display value of the output: in [-1, 1] for two classes
    /// (its sign is the class), the raw value for regression, and the
    /// predicted class's probability for K classes.
    pub output_value: Vec<f32>,
    /// The predicted class of every cell (0 for regression).
    pub output_class: Vec<u8>,
}

/// The centre of grid cell (row, col).
pub fn cell_centre(resolution: usize, row: usize, col: usize) -> (f64, f64) {
    let cell = 2.0 * INPUT_HALF_WIDTH / resolution as f64;
    (-INPUT_HALF_WIDTH + (col as f64 + 0.5) * cell, INPUT_HALF_WIDTH - (row as f64 + 0.5) * cell)
}

pub fn neuron_maps(network: &Network, features: &[Feature], loss: Loss, resolution: usize) -> NeuronMaps {
    let cells = resolution * resolution;
    let d = features.len();
    let mut ws = Workspace::new(network, CHUNK.min(cells));
    let mut maps = NeuronMaps {
        resolution,
        inputs: vec![vec![0.0; cells]; d],
        layers: network.layers.iter().map(|layer| vec![vec![0.0; cells]; layer.outputs]).collect(),
        output_value: vec![0.0; cells],
        output_class: vec![0; cells],
    };
    let mut row_buffer = vec![0.0; CHUNK * d];
    for start in (0..cells).step_by(CHUNK) {
        let rows = CHUNK.min(cells - start);
        for r in 0..rows {
            let cell = start + r;
            let (x, y) = cell_centre(resolution, cell / resolution, cell % resolution);
            let row = &mut row_buffer[r * d..(r + 1) * d];
            encode_point(features, x, y, row);
            for (f, &value) in row.iter().enumerate() {
                maps.inputs[f][cell] = value as f32;
            }
        }
        ws.load_input(&row_buffer[..rows * d]);
        network.forward(&mut ws, Mode::Eval);
        for (index, layer) in network.layers.iter().enumerate() {
            let width = layer.outputs;
            for (r, values) in ws.activation(index)[..rows * width].chunks_exact(width).enumerate() {
                for (unit, &value) in values.iter().enumerate() {
                    maps.layers[index][unit][start + r] = value as f32;
                }
            }
        }
        let outputs = network.outputs();
        for (r, logits) in ws.logits()[..rows * outputs].chunks_exact(outputs).enumerate() {
            maps.output_value[start + r] = loss.display_value(logits) as f32;
            maps.output_class[start + r] = loss.predicted_class(logits) as u8;
        }
    }
    maps
}
