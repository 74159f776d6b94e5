//! Sweeps: a grid over config keys, K seeds per cell, every run written
//! as `emergence-lab run` writes it, then one summary and one picture.
//!
//! A sweep is always a [`plan`] first: a directory with one config per
//! cell and seed, `jobs.txt` (one `emergence-lab run` line per run) and
//! `plan.json`. [`execute`] runs the jobs on this machine's cores;
//! elsewhere GNU parallel, `xargs -P` or a Slurm array runs the lines of
//! `jobs.txt`. Either way [`collect`] reads the runs' directories into
//! `summary.csv`, `cells.csv` and `heatmap.png`, so the numbers cannot
//! depend on where or in which order the runs ran.

mod collect;
mod execute;
#[cfg(not(target_arch = "wasm32"))]
mod heatmap;
#[cfg(not(target_arch = "wasm32"))]
mod picture;
mod plan;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;
use crate::config::values::{ListedValue, parse_list};
use crate::files::ReadError;
use crate::headless::HeadlessError;
use crate::report::WriteError;

pub use collect::{Collected, HeatmapOutcome, collect};
pub use execute::{JobDone, execute};
pub use plan::{Job, Plan, SweepRequest, plan};

/// What a sweep's picture shows and its tables summarise per cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    TrainAcc,
    TestAcc,
    TrainLoss,
    TestLoss,
    /// The first probe step at which test accuracy reached
    /// `replicas.target_accuracy`.
    StepsToTarget,
}

impl Metric {
    pub const ALL: [Metric; 5] = [Self::TrainAcc, Self::TestAcc, Self::TrainLoss, Self::TestLoss, Self::StepsToTarget];

    /// The name on the command line and the column in the tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::TrainAcc => "train_acc",
            Self::TestAcc => "test_acc",
            Self::TrainLoss => "train_loss",
            Self::TestLoss => "test_loss",
            Self::StepsToTarget => "steps_to_target",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// How the picture's colour bar names it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::TrainAcc => "final training accuracy",
            Self::TestAcc => "final test accuracy",
            Self::TrainLoss => "final training loss",
            Self::TestLoss => "final test loss",
            Self::StepsToTarget => "steps to the target test accuracy",
        }
    }

    pub fn is_accuracy(self) -> bool {
        matches!(self, Self::TrainAcc | Self::TestAcc | Self::StepsToTarget)
    }
}

/// One key of the grid and the values it takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// The dotted config key, as typed: `network.gain`.
    pub key: String,
    pub values: Vec<AxisValue>,
}

/// One value of an axis: how it was written, and the TOML value it sets
/// (as TOML text, so plan.json keeps every float's exact bits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AxisValue {
    pub text: String,
    pub toml: String,
}

impl AxisValue {
    fn from_listed(listed: ListedValue) -> Self {
        Self { text: listed.text, toml: listed.value.to_string() }
    }

    /// The value this stands for.
    pub fn value(&self) -> Result<toml::Value, String> {
        let mut table = format!("value = {}", self.toml).parse::<toml::Table>().map_err(|e| format!("`{}`: {e}", self.toml))?;
        Ok(table.remove("value").expect("the key was just written"))
    }
}

impl Axis {
    /// Parses `KEY=VALUES` as written after `--grid` (see
    /// [`crate::config::values`] for the forms of VALUES).
    pub fn parse(spec: &str) -> Result<Self, SweepError> {
        let bad = |message: String| SweepError::BadGrid { spec: spec.to_string(), message };
        let (key, values) = spec.split_once('=').ok_or_else(|| bad("expected KEY=VALUES, e.g. network.gain=0.8,1.0,1.33".into()))?;
        let key = key.trim();
        if key.is_empty() || key.split('.').any(|part| part.trim().is_empty()) {
            return Err(bad("the key is missing or has an empty part; write it like network.gain".into()));
        }
        let values: Vec<AxisValue> = parse_list(values).map_err(bad)?.into_iter().map(AxisValue::from_listed).collect();
        for (index, value) in values.iter().enumerate() {
            if values[..index].iter().any(|earlier| earlier.toml == value.toml) {
                return Err(bad(format!("lists {} twice", value.text)));
            }
        }
        Ok(Self { key: key.to_string(), values })
    }

    /// The last part of the key: `gain` for `network.gain`.
    pub fn short_name(&self) -> &str {
        self.key.rsplit('.').next().unwrap_or(&self.key)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("--grid {spec}: {message}")]
    BadGrid { spec: String, message: String },
    /// A cell's config is invalid; the message names the `--grid` value,
    /// the `--set` or the file that made it so.
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{flag}: {message}")]
    BadFlag { flag: String, message: String },
    #[error("{}: {problem}", path.display())]
    Directory { path: PathBuf, problem: String },
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{}: {message}", path.display())]
    Malformed { path: PathBuf, message: String },
    #[error("{missing} of {total} runs have no usable outputs (run their lines of jobs.txt, or pass --allow-missing): {list}")]
    Missing { missing: usize, total: usize, list: String },
    #[error("run {job}: {source}")]
    Run {
        job: String,
        #[source]
        source: HeadlessError,
    },
    #[error("{failed} of {total} runs failed; the first: {first}")]
    RunsFailed { failed: usize, total: usize, first: String },
    #[error("cannot draw {}: {source}", path.display())]
    Draw {
        path: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
