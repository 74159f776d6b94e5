//! What the digits view reads of a run on images, worked out on the
//! session's side (the training thread, where there is one): the test
//! digits' predictions, the confusion matrix, each deeper neuron's mean
//! output per class, and every layer's output for the digit being looked
//! at (a test digit, or one drawn on the canvas).
//!
//! The confusion matrix and class means need the whole test set, which for
//! MNIST through a CNN is most of a second of work: they are gathered a
//! slice at a time, for one snapshot of the network, and shown with the
//! step they are of, so neither training nor the window stops for them.

use std::sync::Arc;

use web_time::{Duration, Instant};

use super::Run;
use super::cadence::Cadence;
use crate::analysis::class_tally::ClassTally;
use crate::data::{DatasetKind, InputPlane};
use crate::nn::{Inference, LayerKind};

/// How many test digits the grid shows.
pub const TEST_GRID: usize = 60;
/// The grid's predictions and the shown digit's layers, while training.
const REFRESH: Cadence = Cadence::new(Duration::from_millis(300), 5);
/// Time for the test set's tally per snapshot while training (a sixth of
/// the session's slice), and while paused (so it completes within a second
/// or so).
const TALLY_BUDGET_TRAINING: Duration = Duration::from_millis(3);
const TALLY_BUDGET_PAUSED: Duration = Duration::from_millis(10);
/// Rows per slice of the tally: small enough that one slice of MNIST
/// through the CNN stays within the budget.
const TALLY_ROWS: usize = 16;

/// The digit whose layers are shown.
#[derive(Debug, Clone, PartialEq)]
pub enum DigitInput {
    /// The test digit with this index.
    Test(usize),
    /// A drawing, 0 (paper) to 1 (ink), row-major, the data's size.
    Drawn(Vec<f64>),
}

/// The digits view's numbers at one step.
#[derive(Debug, Clone, PartialEq)]
pub struct DigitReadings {
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
    /// The digit these layers are of.
    pub shown: DigitInput,
    /// Every layer's output for the shown digit.
    pub activations: Vec<Vec<f64>>,
    pub probabilities: Vec<f64>,
    /// A drawn MNIST digit as the network sees it: after MNIST's own
    /// preprocessing (fitted into 20x20, centred by its centre of mass).
    pub preprocessed: Option<Vec<f64>>,
}

/// Keeps a run's [`DigitReadings`] up to date.
#[derive(Debug)]
pub struct DigitsWatch {
    shown: DigitInput,
    readings: Option<Arc<DigitReadings>>,
    /// The shown digit changed: refresh at once.
    dirty: bool,
    refresh: Cadence,
    inference: Inference,
    /// The test set's tally under way, of this step.
    tally: Option<(u64, ClassTally)>,
}

impl Default for DigitsWatch {
    fn default() -> Self {
        Self { shown: DigitInput::Test(0), readings: None, dirty: true, refresh: REFRESH, inference: Inference::default(), tally: None }
    }
}

impl DigitsWatch {
    pub fn show(&mut self, digit: DigitInput) {
        self.shown = digit;
        self.dirty = true;
    }

    /// A new network: its readings start empty (the shown digit stays).
    pub fn restart(&mut self) {
        self.readings = None;
        self.tally = None;
        self.dirty = true;
        self.refresh.reset();
    }

    pub fn readings(&self) -> Option<&Arc<DigitReadings>> {
        self.readings.as_ref()
    }

    /// Whether work remains for the run's current step: the readings or
    /// the tally are behind it.
    pub fn behind(&self, run: &Run) -> bool {
        if !matches!(run.data().plane, InputPlane::Image { .. }) {
            return false;
        }
        let step = run.step_count();
        let tallied = run.data().task.classes().is_some();
        self.dirty
            || self.tally.is_some()
            || self.readings.as_ref().is_none_or(|r| r.step != step || (tallied && r.tally_step != Some(step)))
    }

    /// Brings the readings nearer the run's step: the grid and the shown
    /// digit at once while paused (or when the digit changed), at the
    /// refresh cadence while training; the tally a slice at a time.
    pub fn update(&mut self, run: &Run, training: bool) {
        let data = run.data();
        let InputPlane::Image { width, height } = data.plane else {
            self.readings = None;
            return;
        };
        let step = run.step_count();
        let stale = self.readings.as_ref().is_none_or(|r| r.step != step);
        if self.dirty || (stale && (!training || self.refresh.due(Instant::now()))) {
            let started = Instant::now();
            self.read(run, width, height);
            self.refresh.done(started);
        }
        self.tally(run, if training { TALLY_BUDGET_TRAINING } else { TALLY_BUDGET_PAUSED });
    }

    fn read(&mut self, run: &Run, width: usize, height: usize) {
        let (data, pixels) = (run.data(), width * height);
        let network = run.main().network();
        let shown = TEST_GRID.min(data.test.len());
        // MNIST's digits were fitted and centred before the network saw
        // them; a drawn one gets the same, or a digit drawn small or
        // off-centre would be judged on where it sits rather than what it
        // is. A drawing of another size (the data changed) is blank paper.
        let (input, preprocessed) = match &self.shown {
            DigitInput::Drawn(canvas) => {
                let canvas = if canvas.len() == pixels { canvas.clone() } else { vec![0.0; pixels] };
                if run.config().data.dataset == DatasetKind::Mnist {
                    let field = crate::data::mnist::preprocess_drawing(&canvas, width, height);
                    (field.clone(), Some(field))
                } else {
                    (canvas, None)
                }
            }
            DigitInput::Test(index) => {
                let row = (*index).min(data.test.len().saturating_sub(1));
                (data.test.inputs.rows(pixels, row..row + 1), None)
            }
        };
        // The last tally stays until the next one is complete.
        let (confusion, class_means, tally_step) = match &self.readings {
            Some(old) => (old.confusion.clone(), old.class_means.clone(), old.tally_step),
            None => (Vec::new(), Vec::new(), None),
        };
        let inference = &mut self.inference;
        let test_probabilities = inference.probabilities(network, data.loss, &data.test.inputs.rows(pixels, 0..shown));
        let activations = inference.layer_outputs(network, &input);
        let probabilities = inference.probabilities(network, data.loss, &input).pop().unwrap_or_default();
        self.readings = Some(Arc::new(DigitReadings {
            step: run.step_count(),
            test_probabilities,
            confusion,
            class_means,
            tally_step,
            shown: self.shown.clone(),
            activations,
            probabilities,
            preprocessed,
        }));
        self.dirty = false;
    }

    /// Gathers the test set's confusion matrix and class means within
    /// `budget`; when one is complete it goes into the readings and the
    /// next starts from the run's step then.
    fn tally(&mut self, run: &Run, budget: Duration) {
        let data = run.data();
        let Some(classes) = data.task.classes() else { return };
        let Some(readings) = self.readings.clone() else { return };
        let step = run.step_count();
        if self.tally.is_none() && readings.tally_step != Some(step) {
            let network = Arc::new(run.main().network().clone());
            let first_dense = network.layers.iter().position(|l| l.kind == LayerKind::Dense).unwrap_or(0);
            let layers: Vec<usize> = (0..network.hidden_layers())
                .filter(|&k| network.layers[k].kind == LayerKind::Dense && (k > first_dense || first_dense > 0))
                .collect();
            self.tally = Some((step, ClassTally::new(network, data.loss, &layers, classes)));
        }
        let Some((tally_step, tally)) = &mut self.tally else { return };
        let started = Instant::now();
        while started.elapsed() < budget {
            if tally.advance(&mut self.inference, &data.test, TALLY_ROWS) {
                let mut done = (*readings).clone();
                done.confusion = tally.confusion().unwrap_or_default();
                done.class_means = tally.class_means();
                done.tally_step = Some(*tally_step);
                self.readings = Some(Arc::new(done));
                self.tally = None;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigSource, load_config};
    use crate::run::session::{Command, Session};

    fn session(preset: &str) -> Session {
        Session::new(load_config(&ConfigSource::Preset(preset.into()), &[]).unwrap()).unwrap()
    }

    /// What the app's drivers do while paused: go on while the session has
    /// work, then wait for a command.
    fn settle(s: &mut Session) -> Arc<DigitReadings> {
        for _ in 0..10_000 {
            let view = s.view();
            if s.idle_for().is_none() {
                return view.digits.expect("images have readings");
            }
            s.advance(Duration::ZERO);
        }
        panic!("the digits' work never ended");
    }

    #[test]
    fn the_readings_follow_the_run_and_the_digit_shown() {
        let mut s = session("digits-mlp");
        s.handle(Command::StepOnce);
        let readings = settle(&mut s);
        let (network, data) = (s.run().main().network().clone(), Arc::clone(s.run().data()));
        assert_eq!(readings.step, 1);
        assert_eq!(readings.tally_step, Some(1), "paused, the tally completes");
        let tallied: u32 = readings.confusion.iter().flatten().sum();
        assert_eq!(tallied as usize, data.test.len(), "every test digit counted once");
        assert_eq!(readings.test_probabilities.len(), TEST_GRID.min(data.test.len()));

        s.handle(Command::ShowDigit(DigitInput::Test(5)));
        let readings = settle(&mut s);
        let pixels = data.input_dim;
        let digit = data.test.inputs.rows(pixels, 5..6);
        assert_eq!(readings.shown, DigitInput::Test(5));
        assert_eq!(readings.activations, Inference::default().layer_outputs(&network, &digit));

        s.handle(Command::ShowDigit(DigitInput::Drawn(vec![1.0; 3])));
        let readings = settle(&mut s);
        let blank = vec![0.0; pixels];
        assert_eq!(readings.activations, Inference::default().layer_outputs(&network, &blank), "a drawing of another size: blank paper");
    }

    #[test]
    fn other_data_have_no_readings_and_no_work() {
        let mut s = session("playground");
        assert!(s.view().digits.is_none());
        assert_eq!(s.idle_for(), None, "paused with nothing to do: wait for a command");
    }
}
