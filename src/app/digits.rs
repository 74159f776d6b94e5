//! Digits: what the image view needs from the engine, refreshed while
//! training runs: the test digits' predictions, the confusion matrix, each
//! deeper neuron's mean output per class, and every layer's output for the
//! digit being looked at (a test digit, or one drawn on the canvas).
//!
//! The confusion matrix and class means need the whole test set, which for
//! MNIST through a CNN is most of a second of work: they are gathered a few
//! rows per frame, for one snapshot of the network, and shown with the step
//! they are of, so the window never stops for them.

use bevy::prelude::*;
use std::sync::Arc;

use web_time::{Duration, Instant};

use super::schedule::LabSet;
use super::session::Lab;
use crate::analysis::class_tally::ClassTally;
use crate::data::{DatasetKind, InputPlane};
use crate::nn::{Inference, LayerKind};
use crate::run::cadence::Cadence;

/// How many test digits the grid shows.
pub const TEST_GRID: usize = 60;
const REFRESH: Cadence = Cadence::new(Duration::from_millis(300), 5);
/// The time a frame may spend on the test set's tally.
const TALLY_BUDGET: Duration = Duration::from_millis(6);
/// Rows per slice of the tally: small enough that one slice of MNIST
/// through the CNN stays within a frame's budget.
const TALLY_ROWS: usize = 16;

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
    /// The step of the network the confusion matrix and class means are
    /// of (none yet: still being gathered).
    pub tally_step: Option<u64>,
    /// Every layer's output for the selected digit.
    pub activations: Vec<Vec<f64>>,
    pub probabilities: Vec<f64>,
    /// A drawn MNIST digit as the network sees it: after MNIST's own
    /// preprocessing (fitted into 20x20, centred by its centre of mass).
    pub preprocessed: Option<Vec<f64>>,
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
    /// The test set's tally under way: of this generation and step.
    tally: Option<(u64, u64, ClassTally)>,
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
            tally: None,
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
        app.init_resource::<DigitsState>().add_message::<DigitsRequest>().add_systems(
            Update,
            (apply_requests.in_set(LabSet::ApplyChanges), (refresh_digits, tally_test_set).chain().in_set(LabSet::Refresh)),
        );
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
    // MNIST's digits were fitted and centred before the network saw them;
    // a drawn one gets the same, or a digit drawn small or off-centre
    // would be judged on where it sits rather than what it is.
    let preprocessed = (state.source == DigitSource::Canvas && lab.config.data.dataset == DatasetKind::Mnist)
        .then(|| crate::data::mnist::preprocess_drawing(&state.canvas, width, height));
    let input: Vec<f64> = match (state.source, &preprocessed) {
        (_, Some(field)) => field.clone(),
        (DigitSource::Test(index), None) => {
            let row = index.min(data.test.len() - 1);
            data.test.inputs.rows(pixels, row..row + 1)
        }
        (DigitSource::Canvas, None) => state.canvas.clone(),
    };
    // The last tally stays on screen, marked with its step, until the next
    // one is complete; a new network starts empty.
    let (confusion, class_means, tally_step) = match &state.cache {
        Some(old) if old.generation == lab.generation => (old.confusion.clone(), old.class_means.clone(), old.tally_step),
        _ => (Vec::new(), Vec::new(), None),
    };
    let inference = &mut state.inference;
    let test_probabilities = inference.probabilities(network, data.loss, &data.test.inputs.rows(pixels, 0..shown));
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
        preprocessed,
        tally_step,
    });
    state.dirty = false;
    state.refresh.done(started);
}

/// Gathers the test set's confusion matrix and class means a slice at a
/// time, within [`TALLY_BUDGET`] per frame; when one is complete it goes
/// into the cache and the next starts from the network's latest step.
fn tally_test_set(lab: Res<Lab>, mut state: ResMut<DigitsState>) {
    let data = &lab.data;
    let (Some(classes), InputPlane::Image { .. }) = (data.task.classes(), &data.plane) else {
        state.tally = None;
        return;
    };
    let state = &mut *state;
    let Some(cache) = &mut state.cache else { return };
    if state.tally.as_ref().is_some_and(|(generation, _, _)| *generation != lab.generation) {
        state.tally = None;
    }
    if state.tally.is_none() && cache.tally_step != Some(lab.step) {
        let network = Arc::clone(&lab.networks[0]);
        let first_dense = network.layers.iter().position(|l| l.kind == LayerKind::Dense).unwrap_or(0);
        let layers: Vec<usize> = (0..network.hidden_layers())
            .filter(|&k| network.layers[k].kind == LayerKind::Dense && (k > first_dense || first_dense > 0))
            .collect();
        state.tally = Some((lab.generation, lab.step, ClassTally::new(network, data.loss, &layers, classes)));
    }
    let Some((_, step, tally)) = &mut state.tally else { return };
    let started = Instant::now();
    while started.elapsed() < TALLY_BUDGET {
        if tally.advance(&mut state.inference, &data.test, TALLY_ROWS) {
            cache.confusion = tally.confusion().unwrap_or_default();
            cache.class_means = tally.class_means();
            cache.tally_step = Some(*step);
            state.tally = None;
            return;
        }
    }
}
