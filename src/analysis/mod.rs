//! Analyses: plain functions over a run's data (its networks, histories,
//! probe activations), for the command line's reports and the app's views.
//!
//! - [`similarity`]: how alike two networks, layers or neurons are, and by
//!   chance;
//! - [`homogeneity`]: those measures across a run's replicas;
//! - [`emergence`]: fit moments, loss plateaus and sudden drops, when
//!   features settled;
//! - [`maps`]: every neuron's output over the input plane;
//! - [`theory`]: what mean-field theory predicts of an initialisation;
//! - [`fourier`]: the waves a network learning modular addition grows;
//! - [`class_tally`]: a confusion matrix and per-class mean outputs, a
//!   slice of rows at a time.

pub mod class_tally;
pub mod emergence;
pub mod fourier;
pub mod homogeneity;
pub mod maps;
pub mod similarity;
pub mod theory;
