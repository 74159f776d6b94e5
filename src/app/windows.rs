//! The app's floating windows and side panels, named so keys and buttons
//! can ask for one to open or close without knowing how it is drawn.

use bevy::prelude::*;

use crate::args::WindowArg;

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

impl From<WindowArg> for Toggle {
    fn from(window: WindowArg) -> Self {
        match window {
            WindowArg::Help => Toggle::Help,
            WindowArg::Lessons => Toggle::Lessons,
            WindowArg::Files => Toggle::Files,
            WindowArg::Replicas => Toggle::Replicas,
            WindowArg::Waves => Toggle::Waves,
            WindowArg::EdgeOfChaos => Toggle::EdgeOfChaos,
        }
    }
}
