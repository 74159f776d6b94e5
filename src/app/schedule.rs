//! The order of a frame, declared once. Every plugin puts its systems in
//! one of these sets; none orders itself by naming another's systems.
//!
//! In `Update`: input (keys, automation) → apply changes (commands and
//! settings reach the run) → train (the run advances, or its latest
//! snapshot is fetched from the training thread) → refresh (pictures and
//! other views recomputed from the snapshot). In egui's pass: theme (zoom,
//! contrast) → upload (textures) → draw (the panels).

use bevy::prelude::*;
use bevy_egui::EguiPrimaryContextPass;

#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabSet {
    Input,
    ApplyChanges,
    Train,
    Refresh,
}

#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DrawSet {
    Theme,
    Upload,
    Draw,
}

pub struct SchedulePlugin;

impl Plugin for SchedulePlugin {
    fn build(&self, app: &mut App) {
        app.configure_sets(Update, (LabSet::Input, LabSet::ApplyChanges, LabSet::Train, LabSet::Refresh).chain())
            .configure_sets(EguiPrimaryContextPass, (DrawSet::Theme, DrawSet::Upload, DrawSet::Draw).chain());
    }
}
