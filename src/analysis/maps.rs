//! Every neuron's output over the input square: the heatmaps the app draws.

use crate::data::{Feature, INPUT_HALF_WIDTH, InputPlane};
use crate::nn::{Loss, Mode, Network, Workspace};

const CHUNK: usize = 256;

/// Resolution of each neuron's map on a continuous plane.
pub const TILE_RESOLUTION: usize = 32;
/// Resolution of the output's larger picture on a continuous plane.
pub const OUTPUT_RESOLUTION: usize = 64;
/// Resolution of the other replicas' small output pictures.
pub const REPLICA_RESOLUTION: usize = 32;
/// At most this many neurons of a layer are mapped (and drawn).
pub const MAX_DRAWN_UNITS: usize = 16;

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
    /// The predicted class of every cell (0 for regression); `None` where
    /// the output is not a finite number.
    pub class: Vec<Option<u16>>,
    /// Whether the prediction is right, where the task has an answer for
    /// every cell (modular addition); `None` where there is no prediction.
    pub correct: Option<Vec<Option<bool>>>,
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
fn evaluate_grid(network: &Network, plane: &InputPlane, resolution: usize, mut visit: impl FnMut(usize, &Workspace)) {
    let cells = resolution * resolution;
    let d = plane.input_dim();
    let mut ws = Workspace::new(network, CHUNK.min(cells).max(1));
    let mut rows = vec![0.0; CHUNK * d];
    for start in (0..cells).step_by(CHUNK) {
        let count = CHUNK.min(cells - start);
        for r in 0..count {
            let cell = start + r;
            plane.encode_cell(resolution, cell / resolution, cell % resolution, &mut rows[r * d..(r + 1) * d]);
        }
        ws.load_input(&rows[..count * d]);
        network.forward(&mut ws, Mode::Eval);
        visit(start, &ws);
    }
}

fn record_output(network: &Network, loss: Loss, plane: &InputPlane, start: usize, ws: &Workspace, output: &mut OutputMap) {
    let outputs = network.outputs();
    let resolution = output.resolution;
    for (r, logits) in ws.logits()[..ws.rows() * outputs].chunks_exact(outputs).enumerate() {
        let cell = start + r;
        let class = loss.predicted_class(logits);
        output.value[cell] = loss.display_value(logits) as f32;
        output.class[cell] = class.map(|c| c as u16);
        if let (Some(correct), Some(label)) = (output.correct.as_mut(), plane.cell_label(cell / resolution, cell % resolution)) {
            correct[cell] = class.map(|c| c == label);
        }
    }
}

fn empty_output(plane: &InputPlane, resolution: usize) -> OutputMap {
    let cells = resolution * resolution;
    let correct = plane.cell_label(0, 0).map(|_| vec![None; cells]);
    OutputMap { resolution, value: vec![0.0; cells], class: vec![None; cells], correct }
}

/// A discrete plane has its own grid; a continuous one takes the one asked.
fn grid_resolution(plane: &InputPlane, asked: usize) -> usize {
    plane.fixed_resolution().unwrap_or(asked)
}

/// The network's prediction over the grid, without the per-neuron maps.
pub fn output_map(network: &Network, plane: &InputPlane, loss: Loss, resolution: usize) -> OutputMap {
    let resolution = grid_resolution(plane, resolution);
    let mut output = empty_output(plane, resolution);
    evaluate_grid(network, plane, resolution, |start, ws| record_output(network, loss, plane, start, ws, &mut output));
    output
}

/// The maps of the first `units` neurons of every layer (all, with
/// `usize::MAX`); `resolution` applies to a continuous plane (a discrete
/// one has its own).
pub fn neuron_maps(network: &Network, plane: &InputPlane, loss: Loss, resolution: usize, units: usize) -> NeuronMaps {
    let resolution = grid_resolution(plane, resolution);
    let cells = resolution * resolution;
    let inputs = match plane {
        InputPlane::Points { features } => feature_maps(features, resolution),
        InputPlane::Pairs { modulus } => {
            // The two numbers themselves, scaled to [0, 1].
            let scale = (*modulus as f32 - 1.0).max(1.0);
            vec![
                (0..cells).map(|c| (c / resolution) as f32 / scale).collect(),
                (0..cells).map(|c| (c % resolution) as f32 / scale).collect(),
            ]
        }
        InputPlane::Image { .. } => Vec::new(),
    };
    let mut maps = NeuronMaps {
        resolution,
        inputs,
        layers: network.layers.iter().map(|layer| vec![vec![0.0; cells]; layer.outputs.min(units)]).collect(),
        output: empty_output(plane, resolution),
    };
    evaluate_grid(network, plane, resolution, |start, ws| {
        for (index, layer) in network.layers.iter().enumerate() {
            let width = layer.outputs;
            for (r, values) in ws.activation(index)[..ws.rows() * width].chunks_exact(width).enumerate() {
                for (unit, &value) in values.iter().enumerate().take(units) {
                    maps.layers[index][unit][start + r] = value as f32;
                }
            }
        }
        record_output(network, loss, plane, start, ws, &mut maps.output);
    });
    maps
}

/// Everything drawn of a run over its input plane at one step: the maps of
/// the main network's neurons, its output, and the other replicas' outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkPictures {
    /// The training step they show.
    pub step: u64,
    pub maps: NeuronMaps,
    pub output: OutputMap,
    /// Replica 1 onward.
    pub replica_outputs: Vec<OutputMap>,
}

/// The pictures of `networks` (the main one first) at `step`, at the sizes
/// above; `None` for a plane without a grid (images).
pub fn network_pictures<'a>(
    mut networks: impl Iterator<Item = &'a Network>,
    plane: &InputPlane,
    loss: Loss,
    step: u64,
) -> Option<NetworkPictures> {
    if !plane.has_grid() {
        return None;
    }
    let main = networks.next()?;
    let maps = neuron_maps(main, plane, loss, TILE_RESOLUTION, MAX_DRAWN_UNITS);
    // A discrete plane has one grid for both: one pass over it, not two.
    let output = if grid_resolution(plane, OUTPUT_RESOLUTION) == maps.resolution {
        maps.output.clone()
    } else {
        output_map(main, plane, loss, OUTPUT_RESOLUTION)
    };
    let replica_outputs = networks.map(|network| output_map(network, plane, loss, REPLICA_RESOLUTION)).collect();
    Some(NetworkPictures { step, maps, output, replica_outputs })
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
        let maps = neuron_maps(trainer.network(), &data.plane, data.loss, 8, usize::MAX);
        assert_eq!(maps.layers.len(), 3);
        assert_eq!(maps.layers[0].len(), 4);
        // Row 0 is the top: y is largest there; column 0 is the left.
        let y = &maps.inputs[1];
        assert!(y[0] > y[8 * 7]);
        let x = &maps.inputs[0];
        assert!(x[0] < x[7]);
        let output = output_map(trainer.network(), &data.plane, data.loss, 8);
        assert_eq!(output, maps.output);
        assert!(output.value.iter().all(|v| v.is_finite()));
        assert_eq!(feature_maps(data.features(), 8), maps.inputs);
    }
}

#[cfg(test)]
mod pair_tests {
    use super::*;
    use crate::config::{ConfigSource, load_config};
    use crate::train::Trainer;

    #[test]
    fn pair_maps_use_the_residue_grid_and_know_the_answers() {
        let overrides = ["data.dataset=modular-addition".into(), "data.modulus=7".into(), "training.loss=ce".into()];
        let config = load_config(&ConfigSource::Preset("playground".into()), &overrides).unwrap();
        let trainer = Trainer::new(config).unwrap();
        let data = trainer.data();
        assert_eq!(data.input_dim, 14);
        assert_eq!(data.train.len() + data.test.len(), 49);
        let maps = neuron_maps(trainer.network(), &data.plane, data.loss, 32, usize::MAX);
        assert_eq!(maps.resolution, 7);
        assert_eq!(maps.inputs.len(), 2);
        let correct = maps.output.correct.as_ref().expect("every cell has an answer");
        for (cell, &right) in correct.iter().enumerate() {
            let class = maps.output.class[cell].expect("finite outputs") as usize;
            assert_eq!(right, Some(class == (cell / 7 + cell % 7) % 7));
        }
        let pictures = network_pictures([trainer.network()].into_iter(), &data.plane, data.loss, 0).expect("pairs are a plane");
        assert_eq!(pictures.output, output_map(trainer.network(), &data.plane, data.loss, OUTPUT_RESOLUTION), "one grid, one pass");
    }
}
