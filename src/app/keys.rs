//! Keyboard shortcuts: Space play/pause, S one step, R reset, H help.
//! They are ignored while a text field has the keyboard.

use bevy::prelude::*;
use bevy_egui::input::egui_wants_any_keyboard_input;

use super::session::RunCommand;
use super::ui::ViewState;

pub struct KeysPlugin;

impl Plugin for KeysPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Update, shortcuts.run_if(not(egui_wants_any_keyboard_input)).before(super::session::apply_run_commands));
    }
}

/// What each key asks for, in the order the help overlay lists them.
pub const SHORTCUTS: [(&str, &str); 4] = [("Space", "play / pause"), ("S", "one step"), ("R", "reset the network"), ("H", "this help")];

fn shortcuts(keys: Res<ButtonInput<KeyCode>>, mut commands: MessageWriter<RunCommand>, mut view: ResMut<ViewState>) {
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
}
