//! Analyses: plain functions over a run's data (its networks, histories,
//! probe activations), for the command line's reports and the app's views.
//! What theory predicts of a network ([`theory`]), what a grokking network
//! has learned ([`fourier`]).

pub mod fourier;
pub mod theory;
