//! Analyses of a network that need no training: what theory predicts.

pub mod theory;
