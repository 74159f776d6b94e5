//! Digits: which digit the image view shows (a test digit, or the canvas
//! the user draws on), passed to the session, which works out everything
//! the view draws ([`crate::run::digits`]) on the training thread.

use bevy::prelude::*;

use super::schedule::LabSet;
use super::session::{Lab, RunCommand};
use crate::data::InputPlane;
use crate::run::digits::DigitInput;
use crate::run::session::Command;

pub use crate::run::digits::TEST_GRID;

/// Which digit the feature maps show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigitSource {
    /// The test digit with this index.
    Test(usize),
    Canvas,
}

/// What the user draws and picks.
#[derive(Resource, Debug, Clone)]
pub struct DigitsState {
    /// The drawing canvas, 0 (paper) to 1 (ink), row-major.
    pub canvas: Vec<f64>,
    pub source: DigitSource,
}

impl Default for DigitsState {
    fn default() -> Self {
        Self { canvas: vec![0.0; 64], source: DigitSource::Test(0) }
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
            .add_systems(Update, (fit_canvas, apply_requests).chain().in_set(LabSet::ApplyChanges));
    }
}

/// A blank canvas of the data's size when the images' size changes.
fn fit_canvas(lab: Res<Lab>, mut state: ResMut<DigitsState>) {
    if let InputPlane::Image { width, height } = lab.data.plane
        && state.canvas.len() != width * height
    {
        state.canvas = vec![0.0; width * height];
    }
}

/// Keeps the choice and tells the session which digit to work out.
fn apply_requests(mut requests: MessageReader<DigitsRequest>, mut state: ResMut<DigitsState>, mut commands: MessageWriter<RunCommand>) {
    let mut changed = false;
    for request in requests.read() {
        match request {
            DigitsRequest::Show(source) => state.source = *source,
            DigitsRequest::Draw(pixels) => {
                state.canvas.clone_from(pixels);
                state.source = DigitSource::Canvas;
            }
        }
        changed = true;
    }
    if changed {
        let digit = match state.source {
            DigitSource::Test(index) => DigitInput::Test(index),
            DigitSource::Canvas => DigitInput::Drawn(state.canvas.clone()),
        };
        commands.write(RunCommand(Command::ShowDigit(digit)));
    }
}
