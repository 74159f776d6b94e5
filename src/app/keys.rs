//! Keyboard shortcuts. They are ignored while a text field has the
//! keyboard.

use bevy::prelude::*;
use bevy_egui::input::egui_wants_any_keyboard_input;

use super::classroom::Presentation;
use super::files::FileRequest;
use super::session::RunCommand;
use super::ui::ViewState;

pub struct KeysPlugin;

impl Plugin for KeysPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Update, shortcuts.run_if(not(egui_wants_any_keyboard_input)).before(super::session::apply_run_commands));
    }
}

/// What each key asks for, in the order the help overlay lists them.
pub const SHORTCUTS: [(&str, &str); 10] = [
    ("Space", "play / pause"),
    ("S", "one step"),
    ("R", "reset the network"),
    ("H", "this help"),
    ("+ / −", "larger / smaller interface"),
    ("P", "presentation: hide the side panels"),
    ("C", "high-contrast theme"),
    ("L", "lessons"),
    ("F11", "fullscreen"),
    ("F12", "screenshot"),
];

fn shortcuts(
    keys: Res<ButtonInput<KeyCode>>,
    mut commands: MessageWriter<RunCommand>,
    mut files: MessageWriter<FileRequest>,
    mut view: ResMut<ViewState>,
    mut presentation: ResMut<Presentation>,
    mut progress: ResMut<super::classroom::LessonProgress>,
) {
    if keys.just_pressed(KeyCode::Space) {
        commands.write(RunCommand::TogglePlay);
    }
    if keys.just_pressed(KeyCode::KeyS) {
        commands.write(RunCommand::StepOnce);
    }
    if keys.just_pressed(KeyCode::KeyR) {
        commands.write(RunCommand::Reset);
    }
    if keys.just_pressed(KeyCode::KeyH) {
        view.show_help = !view.show_help;
    }
    if keys.any_just_pressed([KeyCode::Equal, KeyCode::NumpadAdd]) {
        presentation.zoom_by(1.0);
    }
    if keys.any_just_pressed([KeyCode::Minus, KeyCode::NumpadSubtract]) {
        presentation.zoom_by(-1.0);
    }
    if keys.just_pressed(KeyCode::KeyP) {
        presentation.presenting = !presentation.presenting;
    }
    if keys.just_pressed(KeyCode::KeyC) {
        presentation.high_contrast = !presentation.high_contrast;
    }
    if keys.just_pressed(KeyCode::KeyL) {
        progress.open = !progress.open;
    }
    if keys.just_pressed(KeyCode::F11) {
        presentation.fullscreen = !presentation.fullscreen;
    }
    if keys.just_pressed(KeyCode::F12) {
        files.write(FileRequest::Screenshot);
    }
}
