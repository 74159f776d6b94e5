//! Emergence Lab: train a small neural network and watch it learn.
//!
//! The engine (this library without the `gui` feature) holds everything that
//! is computed: [`config`], [`data`], the network in [`nn`], training and
//! probes in [`train`], analyses of networks and runs in [`analysis`], and
//! the files a run writes in [`report`]. The command line ([`cli`]) drives
//! the engine headless; the app (`app`, with the `gui` feature) draws what
//! the engine computes and does no maths of its own.

pub mod analysis;
pub mod args;
pub mod benchmarks;
pub mod cli;
pub mod config;
pub mod data;
pub mod explain;
pub mod files;
pub mod headless;
#[cfg(feature = "gui")]
pub mod i18n;
pub mod lessons;
pub mod maths;
pub mod nn;
pub mod report;
pub mod rng;
pub mod run;
pub mod share;
pub mod sweep;
pub mod train;

#[cfg(feature = "gui")]
pub mod app;
