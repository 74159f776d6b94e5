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
    /// One map per input feature of the network.
    pub inputs: Vec<Vec<f32>>,
    /// Per layer (hidden layers, then output), one map per unit: the unit's
    /// activation in evaluation mode. Output units hold their logits.
    pub layers: Vec<Vec<Vec<f32>>>,
    /// The network's output as the app draws it, see [`OutputMap`].
    pub output: OutputMap,
}

/// The network's prediction over the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputMap {
    pub resolution: usize,
    /// The loss's display value: in [-1, 1] for two classes (its sign is the
    /// class), the raw value for regression, and the predicted class's
    /// probability for K classes.
    pub value: Vec<f32>,
    /// The predicted class of every cell (0 for regression).
    pub class: Vec<u8>,
}

/// The centre of grid cell (row, col).
pub fn cell_centre(resolution: usize, row: usize, col: usize) -> (f64, f64) {
    let cell = 2.0 * INPUT_HALF_WIDTH / resolution as f64;
    (-INPUT_HALF_WIDTH + (col as f64 + 0.5) * cell, INPUT_HALF_WIDTH - (row as f64 + 0.5) * cell)
}

/// Each feature's value over the grid (features the network does not use
/// included, so the app can show what switching one on would add).
pub fn feature_maps(features: &[Feature], resolution: usize) -> Vec<Vec<f32>> {
    features
        .iter()
        .map(|feature| {
            (0..resolution * resolution)
                .map(|cell| {
                    let (x, y) = cell_centre(resolution, cell / resolution, cell % resolution);
                    feature.value(x, y) as f32
                })
                .collect()
        })
        .collect()
}

/// Runs the whole grid through the network in chunks, handing each chunk's
/// workspace (and its first cell) to `visit`.
fn evaluate_grid(network: &Network, features: &[Feature], resolution: usize, mut visit: impl FnMut(usize, &Workspace)) {
    let cells = resolution * resolution;
    let d = features.len();
    let mut ws = Workspace::new(network, CHUNK.min(cells).max(1));
    let mut rows = vec![0.0; CHUNK * d];
    for start in (0..cells).step_by(CHUNK) {
        let count = CHUNK.min(cells - start);
        for r in 0..count {
            let cell = start + r;
            let (x, y) = cell_centre(resolution, cell / resolution, cell % resolution);
            encode_point(features, x, y, &mut rows[r * d..(r + 1) * d]);
        }
        ws.load_input(&rows[..count * d]);
        network.forward(&mut ws, Mode::Eval);
        visit(start, &ws);
    }
}

fn record_output(network: &Network, loss: Loss, start: usize, ws: &Workspace, output: &mut OutputMap) {
    let outputs = network.outputs();
    for (r, logits) in ws.logits()[..ws.rows() * outputs].chunks_exact(outputs).enumerate() {
        output.value[start + r] = loss.display_value(logits) as f32;
        output.class[start + r] = loss.predicted_class(logits) as u8;
    }
}

/// The network's prediction over the grid, without the per-neuron maps.
pub fn output_map(network: &Network, features: &[Feature], loss: Loss, resolution: usize) -> OutputMap {
    let cells = resolution * resolution;
    let mut output = OutputMap { resolution, value: vec![0.0; cells], class: vec![0; cells] };
    evaluate_grid(network, features, resolution, |start, ws| record_output(network, loss, start, ws, &mut output));
    output
}

pub fn neuron_maps(network: &Network, features: &[Feature], loss: Loss, resolution: usize) -> NeuronMaps {
    let cells = resolution * resolution;
    let mut maps = NeuronMaps {
        resolution,
        inputs: feature_maps(features, resolution),
        layers: network.layers.iter().map(|layer| vec![vec![0.0; cells]; layer.outputs]).collect(),
        output: OutputMap { resolution, value: vec![0.0; cells], class: vec![0; cells] },
    };
    evaluate_grid(network, features, resolution, |start, ws| {
        for (index, layer) in network.layers.iter().enumerate() {
            let width = layer.outputs;
            for (r, values) in ws.activation(index)[..ws.rows() * width].chunks_exact(width).enumerate() {
                for (unit, &value) in values.iter().enumerate() {
                    maps.layers[index][unit][start + r] = value as f32;
                }
            }
        }
        record_output(network, loss, start, ws, &mut maps.output);
    });
    maps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigSource, load_config};
    use crate::train::Trainer;

    #[test]
    fn maps_agree_with_the_network_and_the_grid_is_oriented() {
        let config = load_config(&ConfigSource::Preset("playground".into()), &["training.steps=0".into()]).unwrap();
        let trainer = Trainer::new(config).unwrap();
        let data = trainer.data();
        let maps = neuron_maps(trainer.network(), &data.features, data.loss, 8);
        assert_eq!(maps.layers.len(), 3);
        assert_eq!(maps.layers[0].len(), 4);
        // Row 0 is the top: y is largest there; column 0 is the left.
        let y = &maps.inputs[1];
        assert!(y[0] > y[8 * 7]);
        let x = &maps.inputs[0];
        assert!(x[0] < x[7]);
        let output = output_map(trainer.network(), &data.features, data.loss, 8);
        assert_eq!(output, maps.output);
        assert!(output.value.iter().all(|v| v.is_finite()));
        assert_eq!(feature_maps(&data.features, 8), maps.inputs);
    }
}
