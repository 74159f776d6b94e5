//! Data sets: generated 2-D point sets in the style of TensorFlow Playground,
//! a user's CSV of points, and the encoding of points into network inputs
//! and of labels into loss targets.
//!
//! A [`Dataset`] is what the trainer sees: input rows and target rows. The
//! 2-D coordinates are kept beside them for drawing, and the [`Feature`]
//! list says how to turn any point of the plane into an input row, which is
//! how the app draws every neuron's heatmap.

mod csv_points;
pub mod digits;
mod generate;
pub mod idx;
pub mod images;
pub mod mnist;
mod spec;

use std::fmt;
use std::path::PathBuf;

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

pub use csv_points::read_points_csv;
pub use generate::{boundary_curve, generate};
pub use spec::DataConfig;

use crate::maths;
use crate::nn::{InputRows, Loss, TaskKind};
use crate::rng::{Stream, stream_rng};

/// The most points a data set may have (generated or read).
pub const MAX_POINTS: usize = 100_000;
/// The most classes of a point set (multi-spiral, a CSV's labels).
pub const MAX_CLASSES: usize = 10;

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
    /// Class 1 above the graph of a sine, class 0 below (one period across
    /// the square): see [`boundary_curve`].
    AboveSine,
    /// Class 1 above the graph of the cubic x^3 - x.
    AboveCubic,
    /// Class 1 above the graph of |x| (lowered to balance the classes).
    AboveAbs,
    /// `data.classes` interleaved spiral arms, one class each.
    MultiSpiral,
    /// Regression: the target is a tilted plane.
    Plane,
    /// Regression: the target is a sum of signed Gaussian bumps.
    GaussMix,
    /// The user's own points, from `data.csv`.
    Csv,
    /// Pairs (a, b) labelled (a + b) mod `data.modulus`, each number
    /// one-hot: the task on which networks "grok" (Power et al. 2022).
    ModularAddition,
    /// The 1,797 handwritten 8x8 digits of the UCI repository (Alpaydin &
    /// Kaynak 1998), pixels scaled to 0..1.
    Digits,
    /// 28x28 handwritten digits of the MNIST database (LeCun, Cortes &
    /// Burges): 10,000 shipped, or the user's own IDX files.
    Mnist,
}

impl DatasetKind {
    pub const ALL: [DatasetKind; 16] = [
        Self::Circle,
        Self::Xor,
        Self::Gauss,
        Self::Spiral,
        Self::Moons,
        Self::Checkerboard,
        Self::AboveSine,
        Self::AboveCubic,
        Self::AboveAbs,
        Self::MultiSpiral,
        Self::Plane,
        Self::GaussMix,
        Self::Csv,
        Self::ModularAddition,
        Self::Digits,
        Self::Mnist,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Circle => "circle",
            Self::Xor => "xor",
            Self::Gauss => "gauss",
            Self::Spiral => "spiral",
            Self::Moons => "moons",
            Self::Checkerboard => "checkerboard",
            Self::AboveSine => "above-sine",
            Self::AboveCubic => "above-cubic",
            Self::AboveAbs => "above-abs",
            Self::MultiSpiral => "multi-spiral",
            Self::Plane => "plane",
            Self::GaussMix => "gauss-mix",
            Self::Csv => "csv",
            Self::ModularAddition => "modular-addition",
            Self::Digits => "digits",
            Self::Mnist => "mnist",
        }
    }

    /// The `data` keys this data set ignores (they are left out of the
    /// config a run writes).
    pub fn unused_keys(self) -> &'static [&'static str] {
        match self {
            Self::Digits | Self::Mnist => &["samples", "noise", "features", "classes", "modulus"],
            Self::ModularAddition => &["samples", "noise", "features", "classes", "augment"],
            Self::Csv => &["samples", "noise", "classes", "modulus", "augment"],
            Self::MultiSpiral => &["modulus", "augment"],
            _ => &["classes", "modulus", "augment"],
        }
    }

    /// The side of the square images of an image data set (the images
    /// reaching the first convolution); `None` for points and pairs.
    pub fn image_side(self) -> Option<usize> {
        match self {
            Self::Digits => Some(digits::SIDE),
            Self::Mnist => Some(mnist::SIDE),
            _ => None,
        }
    }

    /// The task of a generated set; `None` for csv, known once read.
    /// `classes` is the class count of multi-spiral or the modulus.
    pub fn task(self, classes: usize) -> Option<TaskKind> {
        match self {
            Self::Plane | Self::GaussMix => Some(TaskKind::Regression),
            Self::MultiSpiral | Self::ModularAddition => Some(TaskKind::Classification { classes }),
            Self::Digits | Self::Mnist => Some(TaskKind::Classification { classes: 10 }),
            Self::Csv => None,
            _ => Some(TaskKind::Classification { classes: 2 }),
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
    pub const ALL: [Feature; 9] =
        [Self::X, Self::Y, Self::XSquared, Self::YSquared, Self::XTimesY, Self::SinX, Self::SinY, Self::CosX, Self::CosY];

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
            Self::SinX => maths::sin(x),
            Self::SinY => maths::sin(y),
            Self::CosX => maths::cos(x),
            Self::CosY => maths::cos(y),
        }
    }
}

/// The two-dimensional space the inputs come from, over which the app
/// draws every neuron.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InputPlane {
    /// Points (x, y) of the square [-6, 6]^2, encoded as these features.
    Points { features: Vec<Feature> },
    /// Pairs (a, b) of residues modulo `modulus`, each one-hot: the input
    /// row is a's one-hot vector followed by b's.
    Pairs { modulus: usize },
    /// Grey images, row-major, values 0 (background) to 1 (ink).
    Image { width: usize, height: usize },
}

impl InputPlane {
    pub fn input_dim(&self) -> usize {
        match self {
            Self::Points { features } => features.len(),
            Self::Pairs { modulus } => 2 * modulus,
            Self::Image { width, height } => width * height,
        }
    }

    /// Whether every input is a point of a plane the app can draw each
    /// neuron over (points and pairs; not images).
    pub fn has_grid(&self) -> bool {
        !matches!(self, Self::Image { .. })
    }

    /// The grid a map must use, if the plane is discrete.
    pub fn fixed_resolution(&self) -> Option<usize> {
        match self {
            Self::Points { .. } => None,
            Self::Pairs { modulus } => Some(*modulus),
            Self::Image { width, .. } => Some(*width),
        }
    }

    /// The input row of grid cell (row, col). Points: row 0 at the top
    /// (y = +6), column 0 at the left (x = -6). Pairs: a = row, b = col.
    pub fn encode_cell(&self, resolution: usize, row: usize, col: usize, out: &mut [f64]) {
        match self {
            Self::Points { features } => {
                let cell = 2.0 * INPUT_HALF_WIDTH / resolution as f64;
                let (x, y) = (-INPUT_HALF_WIDTH + (col as f64 + 0.5) * cell, INPUT_HALF_WIDTH - (row as f64 + 0.5) * cell);
                encode_point(features, x, y, out);
            }
            Self::Pairs { modulus } => encode_pair(*modulus, row, col, out),
            // An image plane has no grid of inputs: nothing to draw over.
            Self::Image { .. } => out.fill(0.0),
        }
    }

    /// The true class of a grid cell, where the task defines one for every
    /// cell (pairs: (a + b) mod p).
    pub fn cell_label(&self, row: usize, col: usize) -> Option<usize> {
        match self {
            Self::Points { .. } => None,
            Self::Pairs { modulus } => Some((row + col) % modulus),
            Self::Image { .. } => None,
        }
    }

    pub fn input_names(&self) -> Vec<String> {
        match self {
            Self::Points { features } => features.iter().map(|f| f.name().to_string()).collect(),
            Self::Pairs { modulus } => (0..*modulus).map(|a| format!("a={a}")).chain((0..*modulus).map(|b| format!("b={b}"))).collect(),
            Self::Image { width, height } => (0..*height).flat_map(|y| (0..*width).map(move |x| format!("pixel ({x},{y})"))).collect(),
        }
    }
}

/// The one-hot input row of the pair (a, b) modulo `modulus`.
pub fn encode_pair(modulus: usize, a: usize, b: usize, out: &mut [f64]) {
    out[..2 * modulus].fill(0.0);
    out[a] = 1.0;
    out[modulus + b] = 1.0;
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

/// The input rows of one side of a split, `[len][input_dim]` row-major, as
/// they are kept in memory. The network reads numbers; rows are converted
/// as they are copied into a batch ([`InputRows::copy_rows`]), so a large
/// image set stays one byte per pixel: 60,000 MNIST images take 47 MB as
/// grey levels, 376 MB as numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Inputs {
    /// The numbers the network reads.
    Dense(Vec<f64>),
    /// Grey levels as an image file stores them; the network reads
    /// `level / full_scale`.
    Grey { levels: Vec<u8>, full_scale: f64 },
}

impl Default for Inputs {
    fn default() -> Self {
        Self::Dense(Vec::new())
    }
}

impl Inputs {
    /// The number of values (rows times their width).
    pub fn len(&self) -> usize {
        match self {
            Self::Dense(values) => values.len(),
            Self::Grey { levels, .. } => levels.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every value the network would read is a finite number.
    pub fn all_finite(&self) -> bool {
        match self {
            Self::Dense(values) => values.iter().all(|v| v.is_finite()),
            Self::Grey { full_scale, .. } => full_scale.is_finite() && *full_scale > 0.0,
        }
    }

    /// Copies rows `indices` (rows of `width`) into consecutive rows of
    /// `out`, as numbers.
    pub fn gather_rows(&self, width: usize, indices: &[usize], out: &mut [f64]) {
        match self {
            Self::Dense(values) => crate::nn::kernels::gather_rows(values, width, indices, out),
            Self::Grey { levels, full_scale } => {
                for (row, &index) in out.chunks_exact_mut(width).zip(indices) {
                    grey_to_numbers(&levels[index * width..(index + 1) * width], *full_scale, row);
                }
            }
        }
    }

    /// Rows `rows` as numbers, in a new vector: for views that read a few.
    pub fn rows(&self, width: usize, rows: std::ops::Range<usize>) -> Vec<f64> {
        let mut out = vec![0.0; rows.len() * width];
        self.copy_rows(width, rows.start, &mut out);
        out
    }

    /// The numbers of the dense variant, if this is one.
    pub fn as_dense(&self) -> Option<&[f64]> {
        match self {
            Self::Dense(values) => Some(values),
            Self::Grey { .. } => None,
        }
    }
}

fn grey_to_numbers(levels: &[u8], full_scale: f64, out: &mut [f64]) {
    for (value, &level) in out.iter_mut().zip(levels) {
        *value = f64::from(level) / full_scale;
    }
}

impl InputRows for Inputs {
    fn value_count(&self) -> usize {
        self.len()
    }

    fn copy_rows(&self, width: usize, first: usize, out: &mut [f64]) {
        let range = first * width..first * width + out.len();
        match self {
            Self::Dense(values) => out.copy_from_slice(&values[range]),
            Self::Grey { levels, full_scale } => grey_to_numbers(&levels[range], *full_scale, out),
        }
    }
}

/// One side of the train/test split, encoded for the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Split {
    pub points: Vec<[f64; 2]>,
    pub labels: Vec<f64>,
    /// `[len][input_dim]`, row-major.
    pub inputs: Inputs,
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
    pub plane: InputPlane,
    pub input_dim: usize,
    pub target_dim: usize,
    pub train: Split,
    pub test: Split,
}

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("cannot read data file {0}")]
    Read(#[source] crate::files::ReadError),
    #[error("data file {}, {location}: {message}", path.display())]
    Malformed { path: PathBuf, location: String, message: String },
    #[error("data file {}: {source}", path.display())]
    Idx {
        path: PathBuf,
        #[source]
        source: idx::IdxError,
    },
    #[error("training.loss = \"{}\" does not fit data file {}: {source}", loss.name(), path.display())]
    LossMismatch {
        path: PathBuf,
        loss: Loss,
        #[source]
        source: crate::nn::TaskMismatch,
    },
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Dataset {
    /// Builds the data set `data` describes for a loss: generates or reads
    /// the points, splits them with the seed, and encodes inputs and
    /// targets.
    pub fn build(data: &DataConfig, loss: Loss, seed: u64) -> Result<Self, DataError> {
        if data.dataset == DatasetKind::ModularAddition {
            return Ok(Self::modular_addition(data.modulus, loss, data.train_fraction, seed));
        }
        if data.dataset == DatasetKind::Digits {
            return Ok(digits::digits(loss, data.train_fraction, seed));
        }
        if data.dataset == DatasetKind::Mnist {
            let files = data.images.as_deref().zip(data.labels.as_deref());
            return mnist::mnist(files, loss, data.train_fraction, seed);
        }
        let set = match (&data.dataset, &data.csv) {
            (DatasetKind::Csv, Some(path)) => {
                let set = read_points_csv(path)?;
                loss.check_task(set.task).map_err(|source| DataError::LossMismatch { path: path.clone(), loss, source })?;
                set
            }
            (kind, _) => {
                let mut rng = stream_rng(seed, Stream::Data, 0);
                generate(*kind, data.samples, data.noise, data.classes, &mut rng)
            }
        };
        Ok(Self::from_points(set, &data.features, loss, data.train_fraction, seed))
    }

    /// Shuffles `set` with the seed's split stream, keeps `train_fraction`
    /// of it (at least one point on each side) for training, and encodes.
    pub fn from_points(set: PointSet, features: &[Feature], loss: Loss, train_fraction: f64, seed: u64) -> Self {
        Self::split_and_encode(set, InputPlane::Points { features: features.to_vec() }, loss, train_fraction, seed)
    }

    /// Every pair (a, b) modulo `modulus`, labelled (a + b) mod modulus,
    /// `train_fraction` of them for training.
    pub fn modular_addition(modulus: usize, loss: Loss, train_fraction: f64, seed: u64) -> Self {
        let pairs = (0..modulus).flat_map(|a| (0..modulus).map(move |b| (a, b)));
        let (points, labels) = pairs.map(|(a, b)| ([a as f64, b as f64], ((a + b) % modulus) as f64)).unzip();
        let set = PointSet { points, labels, task: TaskKind::Classification { classes: modulus } };
        Self::split_and_encode(set, InputPlane::Pairs { modulus }, loss, train_fraction, seed)
    }

    fn split_and_encode(set: PointSet, plane: InputPlane, loss: Loss, train_fraction: f64, seed: u64) -> Self {
        let mut order: Vec<usize> = (0..set.points.len()).collect();
        order.shuffle(&mut stream_rng(seed, Stream::Split, 0));
        let total = order.len();
        let train_len = ((total as f64 * train_fraction).round() as usize).clamp(1.min(total), total.saturating_sub(1).max(1));
        let target_dim = loss.output_dim(set.task);
        let input_dim = plane.input_dim();
        let encode = |indices: &[usize]| {
            let mut points = Vec::with_capacity(indices.len());
            let mut labels = Vec::with_capacity(indices.len());
            let mut inputs = vec![0.0; indices.len() * input_dim];
            let mut targets = vec![0.0; indices.len() * target_dim];
            for (row, &i) in indices.iter().enumerate() {
                let [x, y] = set.points[i];
                points.push([x, y]);
                labels.push(set.labels[i]);
                let inputs = &mut inputs[row * input_dim..(row + 1) * input_dim];
                match &plane {
                    InputPlane::Points { features } => encode_point(features, x, y, inputs),
                    InputPlane::Pairs { modulus } => encode_pair(*modulus, x as usize, y as usize, inputs),
                    InputPlane::Image { .. } => unreachable!("images are split by their own modules"),
                }
                loss.encode_target(set.task, set.labels[i], &mut targets[row * target_dim..(row + 1) * target_dim]);
            }
            Split { points, labels, inputs: Inputs::Dense(inputs), targets }
        };
        Self { task: set.task, loss, input_dim, target_dim, train: encode(&order[..train_len]), test: encode(&order[train_len..]), plane }
    }

    pub fn input_names(&self) -> Vec<String> {
        self.plane.input_names()
    }

    /// Whether the parts fit together: widths, lengths, labels. A data set
    /// read from a saved file is checked with this before any use.
    pub fn check(&self) -> Result<(), String> {
        if self.input_dim != self.plane.input_dim() || self.input_dim == 0 {
            return Err(format!("{} inputs per row for a plane of {}", self.input_dim, self.plane.input_dim()));
        }
        if self.target_dim != self.loss.output_dim(self.task) {
            return Err(format!("{} targets per row where the loss needs {}", self.target_dim, self.loss.output_dim(self.task)));
        }
        self.loss.check_task(self.task).map_err(|e| e.to_string())?;
        let classes = self.task.classes();
        match (&self.plane, classes) {
            (InputPlane::Pairs { modulus }, Some(k)) if k != *modulus => return Err(format!("{k} classes for pairs modulo {modulus}")),
            (InputPlane::Pairs { modulus }, _) if !(1..=1024).contains(modulus) => return Err(format!("modulus {modulus}")),
            (InputPlane::Image { width, height }, _) if *width == 0 || *height == 0 || width * height > 1 << 20 => {
                return Err(format!("images of {width} x {height}"));
            }
            _ => {}
        }
        if matches!(classes, Some(k) if !(2..=1024).contains(&k)) {
            return Err(format!("{} classes", classes.unwrap_or(0)));
        }
        for (name, split) in [("training", &self.train), ("test", &self.test)] {
            let n = split.len();
            if n == 0 {
                return Err(format!("the {name} set is empty"));
            }
            if split.inputs.len() != n * self.input_dim || split.targets.len() != n * self.target_dim {
                return Err(format!("the {name} set's rows do not match its {n} labels"));
            }
            let has_points = !matches!(self.plane, InputPlane::Image { .. });
            if has_points && split.points.len() != n {
                return Err(format!("the {name} set has {} points for {n} labels", split.points.len()));
            }
            if !split.inputs.all_finite() || !split.targets.iter().chain(&split.labels).all(|v| v.is_finite()) {
                return Err(format!("the {name} set holds a value that is not a finite number"));
            }
            if let Some(k) = classes
                && let Some(bad) = split.labels.iter().find(|&&l| l < 0.0 || l >= k as f64 || l.fract() != 0.0)
            {
                return Err(format!("the {name} set has label {bad} for {k} classes"));
            }
            if let InputPlane::Pairs { modulus } = self.plane
                && split.points.iter().any(|p| p.iter().any(|&v| v < 0.0 || v >= modulus as f64 || v.fract() != 0.0))
            {
                return Err(format!("the {name} set has a pair outside 0 to {}", modulus - 1));
            }
        }
        Ok(())
    }

    /// The features of a point data set (none for pairs and images).
    pub fn features(&self) -> &[Feature] {
        match &self.plane {
            InputPlane::Points { features } => features,
            _ => &[],
        }
    }
}
