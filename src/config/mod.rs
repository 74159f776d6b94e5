//! The experiment description: one serde struct, read from TOML.
//!
//! The key names and the kebab-case enum values are the public interface:
//! preset files, `--set KEY=VALUE`, saved experiments and the app all speak
//! them, so renaming one is a breaking change.

mod load;
mod presets;
mod validate;
pub mod values;

use serde::{Deserialize, Serialize};

pub use load::{ConfigError, ConfigSource, MAX_CONFIG_BYTES, Override, load_config, load_config_text, load_config_with};
pub use presets::{PRESETS, Preset, preset, preset_names};
pub use validate::{ConfigIssue, Limits};

pub use crate::data::DataConfig;
use crate::nn::{Activation, Init, Loss, OptimizerKind, Precision};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// One line saying what the experiment shows; presets and lessons use it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub seed: u64,
    pub data: DataConfig,
    pub network: NetworkConfig,
    pub training: TrainingConfig,
    /// Replicas trained side by side for the homogenisation measures.
    #[serde(skip_serializing_if = "ReplicasConfig::is_single")]
    pub replicas: ReplicasConfig,
}

/// One convolution layer (stride 1), optionally followed by 2x2 max
/// pooling. Convolutions come first, on image data, then the dense layers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConvConfig {
    pub filters: usize,
    /// 3 or 5.
    pub kernel: usize,
    pub padding: Padding,
    /// A 2x2 max pool after the activation.
    pub pool: bool,
}

impl Default for ConvConfig {
    fn default() -> Self {
        Self { filters: 8, kernel: 3, padding: Padding::Same, pool: false }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Padding {
    /// Zeros around the image keep its size.
    Same,
    /// No padding: the image shrinks by kernel - 1.
    Valid,
}

impl Padding {
    pub fn name(self) -> &'static str {
        match self {
            Self::Same => "same",
            Self::Valid => "valid",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkConfig {
    /// Convolution layers before the dense ones (image data only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conv: Vec<ConvConfig>,
    /// Widths of the hidden dense layers, input side first.
    pub hidden: Vec<usize>,
    /// Activation of every hidden layer that `activations` does not override.
    pub activation: Activation,
    /// Per-layer activations; empty, or one entry per hidden layer.
    pub activations: Vec<Activation>,
    /// Slope of `leaky-relu` for negative inputs.
    pub leaky_slope: f64,
    pub init: Init,
    /// The constant's value, the uniform's half-width, the normal's sigma, or
    /// a multiplier of the fan-based schemes' standard scale.
    pub gain: f64,
    pub bias_init: f64,
    /// The standard deviation of Gaussian noise added to every bias at
    /// initialisation: sigma_b in the mean-field papers, whose phase
    /// diagrams are drawn at a bias variance sigma_b^2 > 0.
    pub bias_std: f64,
    pub batch_norm: bool,
    /// Inverted dropout rate of every hidden layer, applied in training only.
    pub dropout: f64,
    /// What the matrix products of a network with convolutions compute in:
    /// f64, or f32 (about twice as fast; parameters, gradients and the
    /// optimiser stay f64). A network without convolutions computes in f64
    /// whatever this says: its portable kernels give the same bits on every
    /// CPU and in the browser.
    pub precision: Precision,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainingConfig {
    pub loss: Loss,
    pub optimizer: OptimizerKind,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub l1: f64,
    pub l2: f64,
    /// Decoupled weight decay (AdamW style), applied to weights, not biases.
    pub weight_decay: f64,
    /// Largest global gradient norm; 0 turns clipping off.
    pub grad_clip: f64,
    /// Momentum coefficient of the `momentum` optimiser.
    pub momentum: f64,
    pub nesterov: bool,
    /// Epsilon of `adam` and `adamw`.
    pub adam_epsilon: f64,
    /// Add `adam_epsilon` to sqrt(v) before bias correction, as Keras and
    /// TensorFlow do, instead of to sqrt(v_hat) as the paper's Algorithm 1.
    pub adam_epsilon_hat: bool,
    pub steps: u64,
    pub log_every: u64,
}

/// K copies of the run, from other seeds (or other initialisations),
/// trained in lockstep on the same data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReplicasConfig {
    /// 1 to 8; 1 is a single run.
    pub count: usize,
    /// If not empty, replica i uses `inits[i % len]` instead of
    /// `network.init` (each replica keeps its own seed stream too).
    pub inits: Vec<Init>,
    /// The test accuracy whose time to reach is reported per replica.
    pub target_accuracy: f64,
}

impl Default for ReplicasConfig {
    fn default() -> Self {
        Self { count: 1, inits: Vec::new(), target_accuracy: 0.9 }
    }
}

impl ReplicasConfig {
    pub fn is_single(&self) -> bool {
        *self == Self::default()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            description: String::new(),
            seed: 1,
            data: DataConfig::default(),
            network: NetworkConfig::default(),
            training: TrainingConfig::default(),
            replicas: ReplicasConfig::default(),
        }
    }
}

impl Default for NetworkConfig {
    fn default() -> Self {
        Self {
            conv: Vec::new(),
            hidden: vec![4, 2],
            activation: Activation::Tanh,
            activations: Vec::new(),
            leaky_slope: 0.01,
            init: Init::XavierUniform,
            gain: 1.0,
            bias_init: 0.0,
            bias_std: 0.0,
            batch_norm: false,
            dropout: 0.0,
            precision: Precision::F64,
        }
    }
}

impl Default for TrainingConfig {
    fn default() -> Self {
        Self {
            loss: Loss::Mse,
            optimizer: OptimizerKind::Sgd,
            learning_rate: 0.03,
            batch_size: 10,
            l1: 0.0,
            l2: 0.0,
            weight_decay: 0.0,
            grad_clip: 0.0,
            momentum: 0.9,
            nesterov: false,
            adam_epsilon: crate::nn::EPSILON,
            adam_epsilon_hat: false,
            steps: 2000,
            log_every: 25,
        }
    }
}

impl NetworkConfig {
    /// The activation of hidden layer `index` (0-based), override included.
    pub fn activation_of(&self, index: usize) -> Activation {
        self.activations.get(index).copied().unwrap_or(self.activation)
    }
}

impl Config {
    /// The resolved config as TOML, the form written next to every run.
    /// Keys the data set does not read are left out, so the file never
    /// records a setting as if it had been used (digits have no `noise`).
    /// A relative `data.csv`, `data.images` or `data.labels` is made
    /// absolute, so the file can be read from anywhere. Panics only for a
    /// seed above `Limits::SEED`, which validation rejects.
    pub fn to_toml(&self) -> String {
        let mut table = toml::Table::try_from(self).expect("a valid Config serialises to TOML");
        if let Some(toml::Value::Table(data)) = table.get_mut("data") {
            for key in self.data.dataset.unused_keys() {
                data.remove(*key);
            }
            for (key, file) in self.data.files() {
                if let Some(path) = file.filter(|p| p.is_relative())
                    && let Ok(absolute) = std::path::absolute(path)
                {
                    data.insert(key.into(), toml::Value::String(absolute.display().to_string()));
                }
            }
        }
        toml::to_string(&table).expect("a TOML table serialises")
    }

    /// Checks every range and combination; an empty list means valid.
    pub fn issues(&self) -> Vec<ConfigIssue> {
        validate::validate(self)
    }
}
