//! Range and consistency checks. Every message names the key, the value and
//! what is allowed, because the reader is often a student who typed it.

use std::fmt;

use super::Config;
use crate::data::DatasetKind;
use crate::nn::{Init, OptimizerKind};

/// The allowed ranges, shared by validation and by the app's sliders so the
/// two can never disagree.
pub struct Limits;

impl Limits {
    pub const MAX_HIDDEN_LAYERS: usize = 64;
    pub const MAX_WIDTH: usize = 256;
    pub const NOISE: (f64, f64) = (0.0, 0.5);
    pub const SAMPLES: (usize, usize) = (10, crate::data::MAX_POINTS);
    pub const TRAIN_FRACTION: (f64, f64) = (0.05, 0.95);
    pub const CLASSES: (usize, usize) = (2, crate::data::MAX_CLASSES);
    pub const MODULUS: (usize, usize) = (3, 127);
    pub const LEAKY_SLOPE: (f64, f64) = (0.0, 1.0);
    pub const GAIN: (f64, f64) = (-100.0, 100.0);
    pub const BIAS_INIT: (f64, f64) = (-10.0, 10.0);
    pub const BIAS_STD: (f64, f64) = (0.0, 10.0);
    pub const DROPOUT: (f64, f64) = (0.0, 0.9);
    pub const LEARNING_RATE: (f64, f64) = (1e-7, 10.0);
    pub const BATCH_SIZE: (usize, usize) = (1, 4096);
    pub const PENALTY: (f64, f64) = (0.0, 1.0);
    pub const WEIGHT_DECAY: (f64, f64) = (0.0, 10.0);
    pub const GRAD_CLIP: (f64, f64) = (0.0, 1e6);
    pub const MOMENTUM: (f64, f64) = (0.0, 0.999);
    pub const STEPS: (u64, u64) = (0, 100_000_000);
    pub const REPLICAS: (usize, usize) = (1, 8);
    pub const MAX_CONV_LAYERS: usize = 4;
    pub const FILTERS: (usize, usize) = (1, 64);
    pub const LOG_EVERY: (u64, u64) = (1, 10_000_000);
    /// A TOML integer is signed 64-bit: larger seeds could not be written
    /// to the config a run leaves beside its outputs.
    pub const SEED: (u64, u64) = (0, i64::MAX as u64);
}

/// One problem with a config: which key, what it holds, and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigIssue {
    pub key: String,
    pub value: String,
    pub message: String,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}: {}", self.key, self.value, self.message)
    }
}

struct Checker {
    issues: Vec<ConfigIssue>,
}

impl Checker {
    fn fail(&mut self, key: impl Into<String>, value: impl fmt::Display, message: impl Into<String>) {
        self.issues.push(ConfigIssue { key: key.into(), value: value.to_string(), message: message.into() });
    }

    fn real(&mut self, key: &str, value: f64, (lo, hi): (f64, f64)) {
        if !value.is_finite() || value < lo || value > hi {
            self.fail(key, value, format!("must be a number from {lo} to {hi}"));
        }
    }

    fn whole<T: PartialOrd + fmt::Display + Copy>(&mut self, key: &str, value: T, (lo, hi): (T, T)) {
        if value < lo || value > hi {
            self.fail(key, value, format!("must be a whole number from {lo} to {hi}"));
        }
    }
}

pub(super) fn validate(config: &Config) -> Vec<ConfigIssue> {
    let mut c = Checker { issues: Vec::new() };
    let data = &config.data;
    let network = &config.network;
    let training = &config.training;

    c.whole("seed", config.seed, Limits::SEED);
    c.real("data.noise", data.noise, Limits::NOISE);
    c.whole("data.samples", data.samples, Limits::SAMPLES);
    c.real("data.train_fraction", data.train_fraction, Limits::TRAIN_FRACTION);
    if data.dataset == DatasetKind::MultiSpiral {
        c.whole("data.classes", data.classes, Limits::CLASSES);
    }
    if data.dataset == DatasetKind::ModularAddition {
        c.whole("data.modulus", data.modulus, Limits::MODULUS);
    }
    if data.augment && data.dataset != DatasetKind::Digits {
        c.fail("data.augment", true, format!("shifts images; data set \"{}\" has none (use digits)", data.dataset.name()));
    }
    if data.features.is_empty() {
        c.fail("data.features", "[]", "choose at least one input feature, e.g. [\"x\", \"y\"]");
    }
    for (index, feature) in data.features.iter().enumerate() {
        if data.features[..index].contains(feature) {
            c.fail(format!("data.features[{index}]"), format!("\"{}\"", feature.name()), "is listed twice");
        }
    }
    match (&data.dataset, &data.csv) {
        (DatasetKind::Csv, None) => {
            c.fail("data.csv", "(missing)", "dataset = \"csv\" needs data.csv, the path of a file of x, y, label rows")
        }
        (kind, Some(path)) if *kind != DatasetKind::Csv => c.fail(
            "data.csv",
            format!("\"{}\"", path.display()),
            format!("is only read when dataset = \"csv\", but dataset = \"{}\"", kind.name()),
        ),
        _ => {}
    }

    if network.hidden.len() > Limits::MAX_HIDDEN_LAYERS {
        c.fail(
            "network.hidden",
            format!("({} layers)", network.hidden.len()),
            format!("at most {} hidden layers", Limits::MAX_HIDDEN_LAYERS),
        );
    }
    for (index, &width) in network.hidden.iter().enumerate() {
        c.whole(&format!("network.hidden[{index}]"), width, (1, Limits::MAX_WIDTH));
    }
    if !network.activations.is_empty() && network.activations.len() != network.hidden.len() {
        c.fail(
            "network.activations",
            format!("({} entries)", network.activations.len()),
            format!("needs one activation per hidden layer ({}), or none to use network.activation everywhere", network.hidden.len()),
        );
    }
    if !network.conv.is_empty() && data.dataset != DatasetKind::Digits {
        c.fail(
            "network.conv",
            format!("({} layers)", network.conv.len()),
            format!("convolutions need image data (dataset = \"digits\"), not \"{}\"", data.dataset.name()),
        );
    }
    if network.conv.len() > Limits::MAX_CONV_LAYERS {
        c.fail(
            "network.conv",
            format!("({} layers)", network.conv.len()),
            format!("at most {} convolution layers", Limits::MAX_CONV_LAYERS),
        );
    }
    // Follow the image's size through the layers (digits are 8 x 8).
    let mut side = crate::data::digits::SIDE;
    for (index, conv) in network.conv.iter().enumerate() {
        c.whole(&format!("network.conv[{index}].filters"), conv.filters, Limits::FILTERS);
        if conv.kernel != 3 && conv.kernel != 5 {
            c.fail(format!("network.conv[{index}].kernel"), conv.kernel, "must be 3 or 5");
            continue;
        }
        if conv.padding == crate::config::Padding::Valid {
            if side < conv.kernel {
                c.fail(
                    format!("network.conv[{index}].kernel"),
                    conv.kernel,
                    format!("is larger than the {side}x{side} image reaching this layer"),
                );
                break;
            }
            side -= conv.kernel - 1;
        }
        if conv.pool {
            if side < 2 {
                c.fail(format!("network.conv[{index}].pool"), true, format!("the image reaching it is only {side}x{side}"));
                break;
            }
            side /= 2;
        }
    }
    c.real("network.leaky_slope", network.leaky_slope, Limits::LEAKY_SLOPE);
    c.real("network.gain", network.gain, Limits::GAIN);
    if network.init != Init::Constant && network.init != Init::Zeros && network.gain <= 0.0 {
        c.fail("network.gain", network.gain, format!("init = \"{}\" needs a positive gain (a scale)", network.init.name()));
    }
    c.real("network.bias_init", network.bias_init, Limits::BIAS_INIT);
    c.real("network.bias_std", network.bias_std, Limits::BIAS_STD);
    c.real("network.dropout", network.dropout, Limits::DROPOUT);

    c.real("training.learning_rate", training.learning_rate, Limits::LEARNING_RATE);
    c.whole("training.batch_size", training.batch_size, Limits::BATCH_SIZE);
    c.real("training.l1", training.l1, Limits::PENALTY);
    c.real("training.l2", training.l2, Limits::PENALTY);
    c.real("training.weight_decay", training.weight_decay, Limits::WEIGHT_DECAY);
    if training.weight_decay * training.learning_rate >= 1.0 {
        c.fail(
            "training.weight_decay",
            training.weight_decay,
            format!("times the learning rate ({}) must stay below 1, or each step would flip the weights' signs", training.learning_rate),
        );
    }
    c.real("training.grad_clip", training.grad_clip, Limits::GRAD_CLIP);
    c.real("training.momentum", training.momentum, Limits::MOMENTUM);
    c.whole("training.steps", training.steps, Limits::STEPS);
    c.whole("training.log_every", training.log_every, Limits::LOG_EVERY);
    if training.optimizer == OptimizerKind::Adam && training.weight_decay > 0.0 {
        c.fail(
            "training.weight_decay",
            training.weight_decay,
            "adam has no decoupled weight decay: use optimizer = \"adamw\", or l2 for a penalty in the loss",
        );
    }
    if training.nesterov && training.optimizer != OptimizerKind::Momentum {
        c.fail("training.nesterov", true, format!("only applies to optimizer = \"momentum\", not \"{}\"", training.optimizer.name()));
    }

    c.whole("replicas.count", config.replicas.count, Limits::REPLICAS);
    c.real("replicas.target_accuracy", config.replicas.target_accuracy, (0.0, 1.0));

    // The loss must fit the task; csv data is only known once read, so the
    // trainer checks it again then.
    if let Some(task) = data.dataset.task(data.classes)
        && let Err(mismatch) = training.loss.check_task(task)
    {
        c.fail("training.loss", format!("\"{}\"", training.loss.name()), mismatch.to_string());
    }
    c.issues
}
