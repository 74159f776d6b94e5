//! The app's floating windows, side panels and central views, named so
//! keys and buttons can ask for one to open or close (a view: to show it,
//! or go back to the network) without knowing how it is drawn.

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

/// Shows a window, panel or view whatever it showed before (`--open`),
/// where a [`Toggle`] switches it.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Open(pub Toggle);

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
