//! Step through one training step: which training point, which stage of
//! the step is on screen, and asking the session for the step's
//! explanation whenever the run has moved on. The numbers are the
//! session's [`Explanation`]: this module only chooses what to show and
//! when to ask.
//!
//! The explanation is asked for only while the run is paused (explaining
//! pauses it): a control that means "show me now" (the button, **E**,
//! clicking a point) pauses the run itself, while the command line's
//! `--step-through` waits for `--stop-after` to stop it.

use std::sync::Arc;

use bevy::prelude::*;

use super::schedule::LabSet;
use super::session::{Lab, RunCommand, SessionRefused};
use crate::config::TrainingConfig;
use crate::explain::{self, ExplainError, Explanation, Stage};
use crate::run::session::{Command, PointChoice, SessionView};

/// What the step-through mode asks of the app.
#[derive(Message, Debug, Clone, Copy, PartialEq)]
pub enum StepThroughRequest {
    Open,
    Close,
    Toggle,
    /// Explain the step on this point.
    Choose(PointChoice),
    Next,
    Previous,
    GoTo(Stage),
    /// Take the step shown, for real.
    Apply,
}

/// What an explanation was asked for: when any of it changes, the one on
/// screen is of a network or settings that no longer run.
#[derive(Debug, Clone, PartialEq)]
struct Basis {
    generation: u64,
    step: u64,
    choice: PointChoice,
    training: TrainingConfig,
}

/// The mode's state.
#[derive(Resource, Debug, Clone)]
pub struct StepThrough {
    pub open: bool,
    pub choice: PointChoice,
    /// The stage on screen (of the step taken, once [`StepThrough::applied`]).
    pub stage: Stage,
    /// Why this network cannot be stepped through (too large, batch
    /// normalisation, dropout, a diverged run), from the engine.
    pub refusal: Option<String>,
    /// The session's answer when it could not explain the step asked for.
    pub failure: Option<String>,
    /// The step just taken (Apply): the pictures show its new weights, and
    /// the point's loss before and after it can be compared.
    pub applied: Option<Arc<Explanation>>,
    /// Opened from the command line on a run that trains to `--stop-after`
    /// first: asking at once would pause it at step 0.
    pub hold: Hold,
    /// `--apply`: take the step once it is on screen (for a screenshot of
    /// the step taken; a command line cannot press Enter at the right
    /// moment).
    pub apply_when_shown: bool,
    asked: Option<Basis>,
}

/// Whether the mode waits for the run to train and stop by itself before
/// it asks for a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Hold {
    #[default]
    No,
    /// Until the run has taken a step and is paused. (Not "until it has
    /// played": at full speed a short run starts and stops within a frame,
    /// and no snapshot shows it playing.)
    UntilTrained,
}

impl Default for StepThrough {
    fn default() -> Self {
        Self {
            open: false,
            choice: PointChoice::Next,
            stage: Stage::Forward(0),
            refusal: None,
            failure: None,
            applied: None,
            hold: Hold::No,
            apply_when_shown: false,
            asked: None,
        }
    }
}

impl StepThrough {
    /// The training point chosen, as the snapshot numbers it.
    pub fn point(&self, lab: &SessionView) -> usize {
        match self.choice {
            PointChoice::Next => lab.next_point,
            PointChoice::Index(point) => point,
        }
    }

    /// The explanation of the step the run would take now on the chosen
    /// point, once the session has made it; `None` while the mode is
    /// closed, waiting or refused.
    pub fn current<'a>(&self, lab: &'a SessionView) -> Option<&'a Arc<Explanation>> {
        if !self.open || self.refusal.is_some() {
            return None;
        }
        let explanation = lab.explanation.as_ref()?;
        (explanation.step == lab.step + 1 && explanation.point == self.point(lab)).then_some(explanation)
    }

    /// The stage on screen, fitted to the running network.
    pub fn stage_for(&self, lab: &SessionView) -> Stage {
        self.stage.within(lab.network().layers.len())
    }
}

pub struct StepThroughPlugin;

impl Plugin for StepThroughPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<StepThrough>()
            .add_message::<StepThroughRequest>()
            .add_systems(Update, (handle_requests, ask_for_explanation).chain().in_set(LabSet::ApplyChanges));
    }
}

fn handle_requests(
    mut requests: MessageReader<StepThroughRequest>,
    mut state: ResMut<StepThrough>,
    lab: Res<Lab>,
    mut run: MessageWriter<RunCommand>,
) {
    let layers = lab.network().layers.len();
    for &request in requests.read() {
        match request {
            StepThroughRequest::Open => open(&mut state),
            StepThroughRequest::Close => close(&mut state),
            StepThroughRequest::Toggle if state.open => close(&mut state),
            StepThroughRequest::Toggle => open(&mut state),
            StepThroughRequest::Choose(choice) => {
                state.choice = choice;
                state.applied = None;
            }
            // After a step taken, Next starts on the next step.
            StepThroughRequest::Next if state.applied.is_some() => {
                state.applied = None;
                state.stage = Stage::Forward(0);
            }
            StepThroughRequest::Next => state.stage = state.stage.next(layers),
            // The step taken cannot be gone back into.
            StepThroughRequest::Previous if state.applied.is_some() => {}
            StepThroughRequest::Previous => state.stage = state.stage.previous(layers),
            StepThroughRequest::GoTo(stage) => {
                state.stage = stage.within(layers);
                state.applied = None;
            }
            StepThroughRequest::Apply => apply(&mut state, &lab, &mut run),
        }
    }
    if state.apply_when_shown && state.applied.is_none() && state.current(&lab).is_some() {
        state.apply_when_shown = false;
        apply(&mut state, &lab, &mut run);
    }
}

fn apply(state: &mut StepThrough, lab: &SessionView, run: &mut MessageWriter<RunCommand>) {
    // Only the step on screen is taken: never one the user has not seen (a
    // stale or missing explanation).
    if let Some(explanation) = state.current(lab).cloned()
        && state.applied.is_none()
    {
        run.write(RunCommand(Command::StepOnPoint(explanation.point)));
        state.applied = Some(explanation);
    }
}

/// Closing forgets a command line's wait: opening again by hand means now.
fn close(state: &mut StepThrough) {
    state.open = false;
    state.hold = Hold::No;
}

fn open(state: &mut StepThrough) {
    if !state.open {
        state.open = true;
        state.stage = Stage::Forward(0);
        state.applied = None;
        state.asked = None;
    }
}

/// Asks the session to explain the step on the chosen point whenever the
/// run has moved since the last explanation and is paused; says why not
/// when the engine refuses the network.
fn ask_for_explanation(
    mut state: ResMut<StepThrough>,
    lab: Res<Lab>,
    mut refused: MessageReader<SessionRefused>,
    mut run: MessageWriter<RunCommand>,
) {
    let answers: Vec<String> = refused.read().map(|r| r.0.clone()).collect();
    if !state.open {
        return;
    }
    let refusal = match explain::readable_network(&lab.config, lab.network()) {
        Err(error) => Some(error.to_string()),
        Ok(()) => lab.diverged.clone().map(|divergence| ExplainError::Diverged(divergence).to_string()),
    };
    if state.refusal != refusal {
        state.refusal = refusal;
    }
    if state.refusal.is_some() {
        return;
    }
    if state.hold == Hold::UntilTrained {
        if lab.playing || lab.step == 0 {
            return;
        }
        state.hold = Hold::No;
    }
    // A point chosen before the data set changed may not be there any more.
    if let PointChoice::Index(point) = state.choice
        && point >= lab.data.train.len()
    {
        state.choice = PointChoice::Next;
    }
    let waiting = state.asked.is_some() && state.current(&lab).is_none();
    if waiting && let Some(answer) = answers.into_iter().last() {
        state.failure = Some(answer);
    }
    if lab.playing || state.current(&lab).is_some() {
        return;
    }
    let basis = Basis { generation: lab.generation, step: lab.step, choice: state.choice, training: lab.config.training.clone() };
    if state.asked.as_ref() != Some(&basis) {
        run.write(RunCommand(Command::Explain(state.choice)));
        state.asked = Some(basis);
        state.failure = None;
    }
}

/// The training point nearest `position` (in the input plane's
/// coordinates) within `radius` of it, if any: the point a click on the
/// output picture picks.
pub fn nearest_point(points: &[[f64; 2]], position: [f64; 2], radius: f64) -> Option<usize> {
    let distance = |p: &[f64; 2]| (p[0] - position[0]).powi(2) + (p[1] - position[1]).powi(2);
    points
        .iter()
        .enumerate()
        .map(|(index, p)| (distance(p), index))
        .filter(|(d, _)| d.is_finite() && *d <= radius * radius)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, index)| index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_click_picks_the_nearest_point_within_reach() {
        let points = [[0.0, 0.0], [1.0, 1.0], [-2.0, 3.0]];
        assert_eq!(nearest_point(&points, [0.9, 0.8], 0.5), Some(1));
        assert_eq!(nearest_point(&points, [-1.9, 3.1], 0.5), Some(2));
        assert_eq!(nearest_point(&points, [4.0, 4.0], 0.5), None);
        assert_eq!(nearest_point(&[], [0.0, 0.0], 1.0), None);
    }
}
