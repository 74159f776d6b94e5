//! Data sets: generated 2-D point sets in the style of TensorFlow Playground,
//! a user's CSV of points, and the encoding of points into network inputs
//! and of labels into loss targets.
//!
//! A [`Dataset`] is what the trainer sees: input rows and target rows. The
//! 2-D coordinates are kept beside them for drawing, and the [`Feature`]
//! list says how to turn any point of the plane into an input row, which is
//! how the app draws every neuron's heatmap.

mod csv_points;
mod generate;

use std::fmt;
use std::path::PathBuf;

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

pub use csv_points::read_points_csv;
pub use generate::generate;

use crate::config::Config;
use crate::nn::Loss;
use crate::rng::{Stream, stream_rng};

/// Half the side of the input square: points live in [-6, 6]^2, as in
/// TensorFlow Playground.
pub const INPUT_HALF_WIDTH: f64 = 6.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetKind {
    Circle,
    Xor,
    Gauss,
    Spiral,
    Moons,
    Checkerboard,
    /// `data.classes` interleaved spiral arms, one class each.
    MultiSpiral,
    /// Regression: the target is a tilted plane.
    Plane,
    /// Regression: the target is a sum of signed Gaussian bumps.
    GaussMix,
    /// The user's own points, from `data.csv`.
    Csv,
}

impl DatasetKind {
    pub const ALL: [DatasetKind; 10] = [
        Self::Circle,
        Self::Xor,
        Self::Gauss,
        Self::Spiral,
        Self::Moons,
        Self::Checkerboard,
        Self::MultiSpiral,
        Self::Plane,
        Self::GaussMix,
        Self::Csv,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Circle => "circle",
            Self::Xor => "xor",
            Self::Gauss => "gauss",
            Self::Spiral => "spiral",
            Self::Moons => "moons",
            Self::Checkerboard => "checkerboard",
            Self::MultiSpiral => "multi-spiral",
            Self::Plane => "plane",
            Self::GaussMix => "gauss-mix",
            Self::Csv => "csv",
        }
    }

    /// The task of a generated set; `None` for csv, known once read.
    pub fn task(self, classes: usize) -> Option<TaskKind> {
        match self {
            Self::Plane | Self::GaussMix => Some(TaskKind::Regression),
            Self::MultiSpiral => Some(TaskKind::Classification { classes }),
            Self::Csv => None,
            _ => Some(TaskKind::Classification { classes: 2 }),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TaskKind {
    Classification { classes: usize },
    Regression,
}

impl TaskKind {
    pub fn classes(self) -> Option<usize> {
        match self {
            Self::Classification { classes } => Some(classes),
            Self::Regression => None,
        }
    }
}

/// An input feature computed from a point (x, y) of the input square.
/// Polynomial features are scaled by the square's half-width so they lie in
/// [-1, 1]; trigonometric ones take the raw coordinate, as in Playground.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Feature {
    #[serde(rename = "x")]
    X,
    #[serde(rename = "y")]
    Y,
    #[serde(rename = "x^2", alias = "x2")]
    XSquared,
    #[serde(rename = "y^2", alias = "y2")]
    YSquared,
    #[serde(rename = "xy")]
    XTimesY,
    #[serde(rename = "sin-x", alias = "sin x")]
    SinX,
    #[serde(rename = "sin-y", alias = "sin y")]
    SinY,
    #[serde(rename = "cos-x", alias = "cos x")]
    CosX,
    #[serde(rename = "cos-y", alias = "cos y")]
    CosY,
}

impl Feature {
    pub const ALL: [Feature; 9] = [
        Self::X,
        Self::Y,
        Self::XSquared,
        Self::YSquared,
        Self::XTimesY,
        Self::SinX,
        Self::SinY,
        Self::CosX,
        Self::CosY,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::X => "x",
            Self::Y => "y",
            Self::XSquared => "x^2",
            Self::YSquared => "y^2",
            Self::XTimesY => "xy",
            Self::SinX => "sin-x",
            Self::SinY => "sin-y",
            Self::CosX => "cos-x",
            Self::CosY => "cos-y",
        }
    }

    #[inline]
    pub fn value(self, x: f64, y: f64) -> f64 {
        let (u, v) = (x / INPUT_HALF_WIDTH, y / INPUT_HALF_WIDTH);
        match self {
            Self::X => u,
            Self::Y => v,
            Self::XSquared => u * u,
            Self::YSquared => v * v,
            Self::XTimesY => u * v,
            Self::SinX => x.sin(),
            Self::SinY => y.sin(),
            Self::CosX => x.cos(),
            Self::CosY => y.cos(),
        }
    }
}

/// Writes the input row of point (x, y) for `features`.
pub fn encode_point(features: &[Feature], x: f64, y: f64, row: &mut [f64]) {
    for (value, feature) in row.iter_mut().zip(features) {
        *value = feature.value(x, y);
    }
}

/// Labelled points in the plane: a class index (as f64) or a regression
/// value per point.
#[derive(Debug, Clone, PartialEq)]
pub struct PointSet {
    pub points: Vec<[f64; 2]>,
    pub labels: Vec<f64>,
    pub task: TaskKind,
}

/// One side of the train/test split, encoded for the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Split {
    pub points: Vec<[f64; 2]>,
    pub labels: Vec<f64>,
    /// `[len][input_dim]`, row-major.
    pub inputs: Vec<f64>,
    /// `[len][target_dim]`, row-major.
    pub targets: Vec<f64>,
}

impl Split {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub task: TaskKind,
    pub loss: Loss,
    pub features: Vec<Feature>,
    pub input_dim: usize,
    pub target_dim: usize,
    pub train: Split,
    pub test: Split,
}

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("cannot read data file {path}: {error}")]
    Read { path: PathBuf, error: std::io::Error },
    #[error("data file {path}, {location}: {message}")]
    Malformed { path: PathBuf, location: String, message: String },
    #[error("training.loss = \"{loss}\" does not fit data file {path}: {message}")]
    LossMismatch { path: PathBuf, loss: String, message: String },
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Dataset {
    /// Builds the data set a config describes: generates or reads the
    /// points, splits them with the seed, and encodes inputs and targets.
    pub fn from_config(config: &Config) -> Result<Self, DataError> {
        let data = &config.data;
        let set = match (&data.dataset, &data.csv) {
            (DatasetKind::Csv, Some(path)) => {
                let set = read_points_csv(path)?;
                config.training.loss.check_task(set.task).map_err(|message| DataError::LossMismatch {
                    path: path.clone(),
                    loss: config.training.loss.name().to_string(),
                    message,
                })?;
                set
            }
            (kind, _) => {
                let mut rng = stream_rng(config.seed, Stream::Data, 0);
                generate(*kind, data.samples, data.noise, data.classes, &mut rng)
            }
        };
        Ok(Self::from_points(set, &data.features, config.training.loss, data.train_fraction, config.seed))
    }

    /// Shuffles `set` with the seed's split stream, keeps `train_fraction`
    /// of it (at least one point on each side) for training, and encodes.
    pub fn from_points(set: PointSet, features: &[Feature], loss: Loss, train_fraction: f64, seed: u64) -> Self {
        let mut order: Vec<usize> = (0..set.points.len()).collect();
        order.shuffle(&mut stream_rng(seed, Stream::Split, 0));
        let total = order.len();
        let train_len = ((total as f64 * train_fraction).round() as usize).clamp(1.min(total), total.saturating_sub(1).max(1));
        let target_dim = loss.output_dim(set.task);
        let encode = |indices: &[usize]| {
            let mut split = Split {
                points: Vec::with_capacity(indices.len()),
                labels: Vec::with_capacity(indices.len()),
                inputs: vec![0.0; indices.len() * features.len()],
                targets: vec![0.0; indices.len() * target_dim],
            };
            for (row, &i) in indices.iter().enumerate() {
                let [x, y] = set.points[i];
                split.points.push([x, y]);
                split.labels.push(set.labels[i]);
                encode_point(features, x, y, &mut split.inputs[row * features.len()..(row + 1) * features.len()]);
                loss.encode_target(set.task, set.labels[i], &mut split.targets[row * target_dim..(row + 1) * target_dim]);
            }
            split
        };
        Self {
            task: set.task,
            loss,
            features: features.to_vec(),
            input_dim: features.len(),
            target_dim,
            train: encode(&order[..train_len]),
            test: encode(&order[train_len..]),
        }
    }

    pub fn input_names(&self) -> Vec<String> {
        self.features.iter().map(|f| f.name().to_string()).collect()
    }
}
