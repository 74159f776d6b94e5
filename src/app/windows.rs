//! The app's floating windows and side panels, named so keys and buttons
//! can ask for one to open or close without knowing how it is drawn.

use bevy::prelude::*;

#[derive(Message, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Toggle {
    Help,
    Lessons,
    Files,
    Replicas,
    Settings,
    Charts,
    Waves,
    EdgeOfChaos,
}
