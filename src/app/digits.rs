//! Digits: what the image view needs from the engine, refreshed while
//! training runs: the test digits' predictions, the confusion matrix, each
//! deeper neuron's mean output per class, and every layer's output for the
//! digit being looked at (a test digit, or one drawn on the canvas).

use std::time::{Duration, Instant};

use bevy::prelude::*;

use super::session::Lab;
use crate::data::InputPlane;
use crate::nn::LayerKind;
use crate::report::confusion_matrix;

/// How many test digits the grid shows.
pub const TEST_GRID: usize = 60;
const REFRESH_INTERVAL: Duration = Duration::from_millis(300);

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
    /// `[true][predicted]` over the whole test set.
    pub confusion: Vec<Vec<u32>>,
    /// Per hidden dense layer after the first: `[unit][class]` mean output.
    pub class_means: Vec<(usize, Vec<Vec<f64>>)>,
    /// Every layer's output for the selected digit.
    pub activations: Vec<Vec<f64>>,
    pub probabilities: Vec<f64>,
}

#[derive(Resource, Debug, Clone)]
pub struct DigitsState {
    /// The drawing canvas, 0 (paper) to 1 (ink), row-major.
    pub canvas: Vec<f64>,
    pub source: DigitSource,
    pub cache: Option<DigitsCache>,
    /// The selection or the canvas changed: refresh now.
    pub dirty: bool,
    last: Option<Instant>,
    /// How long the last refresh took, to space refreshes out.
    cost: Duration,
}

impl Default for DigitsState {
    fn default() -> Self {
        Self { canvas: vec![0.0; 64], source: DigitSource::Test(0), cache: None, dirty: true, last: None, cost: Duration::ZERO }
    }
}

pub struct DigitsPlugin;

impl Plugin for DigitsPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<DigitsState>().add_systems(Update, refresh_digits.after(super::session::train_within_budget));
    }
}

fn refresh_digits(mut lab: ResMut<Lab>, mut state: ResMut<DigitsState>) {
    let InputPlane::Image { width, height } = lab.trainer().data().plane else {
        state.cache = None;
        return;
    };
    let (generation, step) = (lab.generation, lab.trainer().step_count());
    let stale = state.cache.as_ref().is_none_or(|c| c.generation != generation || c.step != step);
    let due = state.last.is_none_or(|t| t.elapsed() >= REFRESH_INTERVAL.max(state.cost * 5));
    if !(state.dirty || (stale && due)) {
        return;
    }
    let started = Instant::now();
    let pixels = width * height;
    let data = lab.trainer().data().clone();
    let shown = TEST_GRID.min(data.test.len());
    let input: Vec<f64> = match state.source {
        DigitSource::Test(index) => data.test.inputs[index.min(data.test.len() - 1) * pixels..][..pixels].to_vec(),
        DigitSource::Canvas => state.canvas.clone(),
    };
    let trainer = lab.trainer_mut();
    let test_probabilities = trainer.predict_probabilities(&data.test.inputs[..shown * pixels]);
    let confusion = confusion_matrix(trainer, true).unwrap_or_default();
    let network = trainer.network().clone();
    let first_dense = network.layers.iter().position(|l| l.kind == LayerKind::Dense).unwrap_or(0);
    let class_means = (0..network.hidden_layers())
        .filter(|&k| network.layers[k].kind == LayerKind::Dense && (k > first_dense || first_dense > 0))
        .map(|k| (k, trainer.class_mean_activations(k)))
        .collect();
    let activations = trainer.activations_for(&input);
    let probabilities = trainer.predict_probabilities(&input).pop().unwrap_or_default();
    state.cache = Some(DigitsCache { generation, step, test_probabilities, confusion, class_means, activations, probabilities });
    state.dirty = false;
    state.cost = started.elapsed();
    state.last = Some(Instant::now());
}
