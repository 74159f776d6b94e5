//! Keyboard shortcuts. They are ignored while a text field has the
//! keyboard. Each key only asks (a message); the plugin that owns the
//! state decides.

use bevy::prelude::*;
use bevy_egui::input::egui_wants_any_keyboard_input;

use super::classroom::{Presentation, PresentationRequest};
use super::files::FileRequest;
use super::schedule::LabSet;
use super::session::RunCommand;
use super::step_through::{StepThrough, StepThroughRequest};
use super::windows::Toggle;
use crate::run::session::Command;

pub struct KeysPlugin;

impl Plugin for KeysPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Update, shortcuts.run_if(not(egui_wants_any_keyboard_input)).in_set(LabSet::Input));
    }
}

/// What each key asks for, in the order the help window lists them.
pub const SHORTCUTS: [(&str, &str); 13] = [
    ("Space", "play / pause"),
    ("S", "one step"),
    ("R", "reset the network"),
    ("H", "this help"),
    ("+ / −", "larger / smaller interface"),
    ("P", "presentation: hide the side panels"),
    ("C", "high-contrast theme"),
    ("L", "lessons"),
    ("E", "step through one training step"),
    ("Right / Left", "step through: next / previous stage"),
    ("Enter", "step through: apply the update shown"),
    ("F11", "fullscreen"),
    ("F12", "screenshot"),
];

#[allow(clippy::too_many_arguments)]
fn shortcuts(
    keys: Res<ButtonInput<KeyCode>>,
    presentation: Res<Presentation>,
    step_through: Res<StepThrough>,
    mut stepping: MessageWriter<StepThroughRequest>,
    mut run: MessageWriter<RunCommand>,
    mut files: MessageWriter<FileRequest>,
    mut toggles: MessageWriter<Toggle>,
    mut present: MessageWriter<PresentationRequest>,
) {
    let pressed = |key| keys.just_pressed(key);
    if pressed(KeyCode::Space) {
        run.write(RunCommand(Command::TogglePlay));
    }
    if pressed(KeyCode::KeyS) {
        run.write(RunCommand(Command::StepOnce));
    }
    if pressed(KeyCode::KeyR) {
        run.write(RunCommand(Command::Reset));
    }
    if pressed(KeyCode::KeyH) {
        toggles.write(Toggle::Help);
    }
    if pressed(KeyCode::KeyL) {
        toggles.write(Toggle::Lessons);
    }
    if pressed(KeyCode::KeyE) {
        // Opening asks for the step now, which needs the run paused.
        if !step_through.open {
            run.write(RunCommand(Command::Pause));
        }
        stepping.write(StepThroughRequest::Toggle);
    }
    if step_through.open {
        if pressed(KeyCode::ArrowRight) {
            stepping.write(StepThroughRequest::Next);
        }
        if pressed(KeyCode::ArrowLeft) {
            stepping.write(StepThroughRequest::Previous);
        }
        if keys.any_just_pressed([KeyCode::Enter, KeyCode::NumpadEnter]) {
            stepping.write(StepThroughRequest::Apply);
        }
    }
    if keys.any_just_pressed([KeyCode::Equal, KeyCode::NumpadAdd]) {
        present.write(PresentationRequest::Zoom(1.0));
    }
    if keys.any_just_pressed([KeyCode::Minus, KeyCode::NumpadSubtract]) {
        present.write(PresentationRequest::Zoom(-1.0));
    }
    if pressed(KeyCode::KeyP) {
        present.write(PresentationRequest::Presenting(!presentation.presenting));
    }
    if pressed(KeyCode::KeyC) {
        present.write(PresentationRequest::HighContrast(!presentation.high_contrast));
    }
    if pressed(KeyCode::F11) {
        present.write(PresentationRequest::Fullscreen(!presentation.fullscreen));
    }
    if pressed(KeyCode::F12) {
        files.write(FileRequest::Screenshot);
    }
}
