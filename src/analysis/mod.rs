//! Analyses of a trained network that read its weights or its outputs on a
//! whole input plane, beyond what the probes record during training.

pub mod fourier;
