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

/// What each key asks for, in the order the help window lists them: the
/// key (its name on the keyboard, not translated) and the id of its
/// description in the catalogue (run-bar.ftl).
pub const SHORTCUTS: [(&str, &str); 13] = [
    ("Space", "run-bar-key-play"),
    ("S", "run-bar-key-step"),
    ("R", "run-bar-key-reset"),
    ("H", "run-bar-key-help"),
    ("+ / −", "run-bar-key-zoom"),
    ("P", "run-bar-key-present"),
    ("C", "run-bar-key-contrast"),
    ("L", "run-bar-key-lessons"),
    ("E", "run-bar-key-step-through"),
    ("Right / Left", "run-bar-key-stages"),
    ("Enter", "run-bar-key-apply"),
    ("F11", "run-bar-key-fullscreen"),
    ("F12", "run-bar-key-screenshot"),
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

#[cfg(test)]
mod tests {
    use super::SHORTCUTS;
    use crate::i18n::Localizer;

    /// The help window looks the descriptions up by id at run time (not
    /// through `tr!`, which the catalogue test sees): every id is in every
    /// built-in language.
    #[test]
    fn every_shortcut_is_described_in_every_language() {
        let (localizer, problems) = Localizer::built_in(&["en-US".to_string()]);
        assert!(problems.is_empty(), "{problems:?}");
        for language in ["en-US", "zh-CN"] {
            let ids = localizer.message_ids(language);
            for (key, id) in SHORTCUTS {
                assert!(ids.contains(id), "{language} lacks {id} (the key {key})");
            }
        }
    }
}
