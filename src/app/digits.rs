//! Digits: what the image view needs from the engine, refreshed while
//! training runs: the test digits' predictions, the confusion matrix, each
//! deeper neuron's mean output per class, and every layer's output for the
//! digit being looked at (a test digit, or one drawn on the canvas).

use bevy::prelude::*;
use web_time::{Duration, Instant};

use super::schedule::LabSet;
use super::session::Lab;
use crate::data::InputPlane;
use crate::nn::{Inference, LayerKind};
use crate::report::confusion_matrix;
use crate::run::cadence::Cadence;

/// How many test digits the grid shows.
pub const TEST_GRID: usize = 60;
const REFRESH: Cadence = Cadence::new(Duration::from_millis(300), 5);

/// Which digit the feature maps show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigitSource {
    /// The test digit with this index.
    Test(usize),
    Canvas,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DigitsCache {
    pub generation: u64,
    pub step: u64,
    /// Class probabilities of the first [`TEST_GRID`] test digits.
    pub test_probabilities: Vec<Vec<f64>>,
    /// `[true][predicted]` over the whole test set (none if an output is
    /// not finite).
    pub confusion: Vec<Vec<u32>>,
    /// Per hidden dense layer after the first: `[unit][class]` mean output.
    pub class_means: Vec<(usize, Vec<Vec<f64>>)>,
    /// Every layer's output for the selected digit.
    pub activations: Vec<Vec<f64>>,
    pub probabilities: Vec<f64>,
}

/// What the user draws and picks, and what the engine said of it.
#[derive(Resource, Debug, Clone)]
pub struct DigitsState {
    /// The drawing canvas, 0 (paper) to 1 (ink), row-major.
    pub canvas: Vec<f64>,
    pub source: DigitSource,
    pub cache: Option<DigitsCache>,
    /// The selection or the canvas changed: refresh now.
    pub dirty: bool,
    refresh: Cadence,
    inference: Inference,
}

impl Default for DigitsState {
    fn default() -> Self {
        Self {
            canvas: vec![0.0; 64],
            source: DigitSource::Test(0),
            cache: None,
            dirty: true,
            refresh: REFRESH,
            inference: Inference::default(),
        }
    }
}

/// A change the digits view asks for.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum DigitsRequest {
    Show(DigitSource),
    /// The canvas's new pixels.
    Draw(Vec<f64>),
}

pub struct DigitsPlugin;

impl Plugin for DigitsPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<DigitsState>()
            .add_message::<DigitsRequest>()
            .add_systems(Update, (apply_requests.in_set(LabSet::ApplyChanges), refresh_digits.in_set(LabSet::Refresh)));
    }
}

fn apply_requests(mut requests: MessageReader<DigitsRequest>, mut state: ResMut<DigitsState>) {
    for request in requests.read() {
        match request {
            DigitsRequest::Show(source) => state.source = *source,
            DigitsRequest::Draw(pixels) => {
                state.canvas.clone_from(pixels);
                state.source = DigitSource::Canvas;
            }
        }
        state.dirty = true;
    }
}

fn refresh_digits(lab: Res<Lab>, mut state: ResMut<DigitsState>) {
    let InputPlane::Image { width, height } = lab.data.plane else {
        state.cache = None;
        return;
    };
    let pixels = width * height;
    if state.canvas.len() != pixels {
        state.canvas = vec![0.0; pixels];
    }
    let stale = state.cache.as_ref().is_none_or(|c| c.generation != lab.generation || c.step != lab.step);
    if !(state.dirty || (stale && state.refresh.due(Instant::now()))) {
        return;
    }
    let started = Instant::now();
    let data = &lab.data;
    let network = lab.network();
    let shown = TEST_GRID.min(data.test.len());
    let input: Vec<f64> = match state.source {
        DigitSource::Test(index) => {
            let row = index.min(data.test.len() - 1);
            data.test.inputs.rows(pixels, row..row + 1)
        }
        DigitSource::Canvas => state.canvas.clone(),
    };
    let inference = &mut state.inference;
    let test_probabilities = inference.probabilities(network, data.loss, &data.test.inputs.rows(pixels, 0..shown));
    let confusion = confusion_matrix(network, data, &data.test).unwrap_or_default();
    let first_dense = network.layers.iter().position(|l| l.kind == LayerKind::Dense).unwrap_or(0);
    let classes = data.task.classes().unwrap_or(0);
    let class_means = (0..network.hidden_layers())
        .filter(|&k| network.layers[k].kind == LayerKind::Dense && (k > first_dense || first_dense > 0))
        .map(|k| (k, inference.class_means(network, k, &data.test.inputs, &data.test.labels, classes)))
        .collect();
    let activations = inference.layer_outputs(network, &input);
    let probabilities = inference.probabilities(network, data.loss, &input).pop().unwrap_or_default();
    state.cache = Some(DigitsCache {
        generation: lab.generation,
        step: lab.step,
        test_probabilities,
        confusion,
        class_means,
        activations,
        probabilities,
    });
    state.dirty = false;
    state.refresh.done(started);
}
