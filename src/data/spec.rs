//! What data set to build: the `[data]` section of a config. The data set
//! itself is built from it by [`super::Dataset::build`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{DatasetKind, Feature};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    pub dataset: DatasetKind,
    /// Positional noise (0 to 0.5): each point moves by up to `noise x 5`
    /// along each axis, uniformly, as Playground's noise slider does (5 is
    /// the data's radius). Not a standard deviation.
    pub noise: f64,
    pub samples: usize,
    pub train_fraction: f64,
    pub features: Vec<Feature>,
    /// Number of classes of the `multi-spiral` data set.
    pub classes: usize,
    /// The modulus p of the `modular-addition` data set.
    pub modulus: usize,
    /// Image data sets: shift each training image by up to a pixel and add
    /// a little noise, anew at every step.
    pub augment: bool,
    /// The file read when `dataset = "csv"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csv: Option<PathBuf>,
    /// `dataset = "mnist"`: an IDX images file (gzip or plain) of the
    /// user's own, read instead of the 10,000 shipped digits, with
    /// `labels`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub images: Option<PathBuf>,
    /// The IDX labels file that goes with `images`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<PathBuf>,
}

impl DataConfig {
    /// The keys that name files, with their values.
    pub fn files(&self) -> [(&'static str, Option<&Path>); 3] {
        [("csv", self.csv.as_deref()), ("images", self.images.as_deref()), ("labels", self.labels.as_deref())]
    }

    /// As [`DataConfig::files`], to change them: relative paths in a config
    /// file are read from the file's folder.
    pub fn files_mut(&mut self) -> [(&'static str, &mut Option<PathBuf>); 3] {
        [("csv", &mut self.csv), ("images", &mut self.images), ("labels", &mut self.labels)]
    }
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            dataset: DatasetKind::Circle,
            noise: 0.0,
            samples: 500,
            train_fraction: 0.5,
            features: vec![Feature::X, Feature::Y],
            classes: 3,
            modulus: 97,
            augment: false,
            csv: None,
            images: None,
            labels: None,
        }
    }
}
