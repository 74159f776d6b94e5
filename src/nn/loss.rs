//! Losses, each with the output activation that belongs to it: the network's
//! last layer is linear and the loss applies the link (identity for mse,
//! sigmoid for bce, softmax for ce), which keeps the gradient simple and the
//! numbers stable.

use serde::{Deserialize, Serialize};

use super::TaskKind;
use super::activation::{sigmoid, softplus};
use crate::maths::{exp, ln};

/// Why a loss cannot train on a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TaskMismatch {
    #[error("bce is for two classes and this data set has {classes}: use \"ce\"")]
    BinaryLossForClasses { classes: usize },
    #[error("a regression data set needs loss = \"mse\"")]
    RegressionNeedsMse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Loss {
    /// Half the squared error, summed over outputs; binary labels are
    /// encoded as -1 and +1, K classes one-hot.
    Mse,
    /// Binary cross-entropy on a logit; labels 0 and 1.
    Bce,
    /// Softmax cross-entropy over K logits.
    Ce,
}

impl Loss {
    pub const ALL: [Loss; 3] = [Self::Mse, Self::Bce, Self::Ce];

    pub fn name(self) -> &'static str {
        match self {
            Self::Mse => "mse",
            Self::Bce => "bce",
            Self::Ce => "ce",
        }
    }

    /// Whether this loss can train on the task, and why not.
    pub fn check_task(self, task: TaskKind) -> Result<(), TaskMismatch> {
        match (self, task) {
            (Self::Mse, _) => Ok(()),
            (Self::Bce, TaskKind::Classification { classes: 2 }) => Ok(()),
            (Self::Bce, TaskKind::Classification { classes }) => Err(TaskMismatch::BinaryLossForClasses { classes }),
            (Self::Ce, TaskKind::Classification { .. }) => Ok(()),
            (_, TaskKind::Regression) => Err(TaskMismatch::RegressionNeedsMse),
        }
    }

    /// Width of the output layer.
    pub fn output_dim(self, task: TaskKind) -> usize {
        match (self, task) {
            (_, TaskKind::Regression) => 1,
            (Self::Mse | Self::Bce, TaskKind::Classification { classes: 2 }) => 1,
            (_, TaskKind::Classification { classes }) => classes,
        }
    }

    /// The name of the output layer's effective activation, for exports.
    pub fn output_activation_name(self) -> &'static str {
        match self {
            Self::Mse => "linear",
            Self::Bce => "sigmoid",
            Self::Ce => "softmax",
        }
    }

    /// The target row the loss compares an output row with, for a label
    /// (a class index, or a regression value).
    pub fn encode_target(self, task: TaskKind, label: f64, target: &mut [f64]) {
        match task {
            TaskKind::Regression => target[0] = label,
            TaskKind::Classification { .. } if target.len() == 1 => {
                let positive = label > 0.5;
                target[0] = match (self, positive) {
                    (Self::Mse, true) => 1.0,
                    (Self::Mse, false) => -1.0,
                    (_, true) => 1.0,
                    (_, false) => 0.0,
                };
            }
            TaskKind::Classification { .. } => {
                target.fill(0.0);
                target[label as usize] = 1.0;
            }
        }
    }

    /// The class an output row predicts; `None` if any output is not a
    /// finite number, so a broken network is never scored as a guess.
    pub fn predicted_class(self, output: &[f64]) -> Option<usize> {
        if !output.iter().all(|v| v.is_finite()) {
            return None;
        }
        if output.len() == 1 {
            return Some(usize::from(output[0] > 0.0));
        }
        let mut best = 0;
        for (k, &value) in output.iter().enumerate() {
            if value > output[best] {
                best = k;
            }
        }
        Some(best)
    }

    /// A value in [-1, 1] for drawing a binary output, or the confidence of
    /// the predicted class for K classes, or the raw value for regression.
    pub fn display_value(self, output: &[f64]) -> f64 {
        if !output.iter().all(|v| v.is_finite()) {
            return f64::NAN;
        }
        match (self, output.len()) {
            (Self::Mse, 1) => output[0],
            (Self::Bce, _) => 2.0 * sigmoid(output[0]) - 1.0,
            _ => {
                let mut probabilities = output.to_vec();
                softmax_in_place(&mut probabilities);
                probabilities.iter().copied().fold(0.0, f64::max)
            }
        }
    }

    /// The network's confidence in each class for one output row: softmax
    /// for ce, the sigmoid and its complement for bce; for mse, the outputs
    /// clipped to [0, 1] and normalised (binary: +1 is class 1).
    pub fn probabilities(self, output: &[f64]) -> Vec<f64> {
        match (self, output.len()) {
            (Self::Bce, _) => {
                let p = sigmoid(output[0]);
                vec![1.0 - p, p]
            }
            (Self::Mse, 1) => {
                let p = ((output[0] + 1.0) / 2.0).clamp(0.0, 1.0);
                vec![1.0 - p, p]
            }
            (Self::Mse, _) => {
                let clipped: Vec<f64> = output.iter().map(|v| v.clamp(0.0, 1.0)).collect();
                let total: f64 = clipped.iter().sum();
                if total > 0.0 { clipped.iter().map(|v| v / total).collect() } else { vec![1.0 / output.len() as f64; output.len()] }
            }
            (Self::Ce, _) => {
                let mut p = output.to_vec();
                softmax_in_place(&mut p);
                p
            }
        }
    }

    /// Summed (not averaged) loss of `rows` output rows of width `dim`.
    pub fn sum(self, outputs: &[f64], targets: &[f64], rows: usize, dim: usize) -> f64 {
        let mut total = 0.0;
        for r in 0..rows {
            let out = &outputs[r * dim..(r + 1) * dim];
            let target = &targets[r * dim..(r + 1) * dim];
            total += match self {
                Self::Mse => 0.5 * out.iter().zip(target).map(|(o, t)| (o - t) * (o - t)).sum::<f64>(),
                Self::Bce => out.iter().zip(target).map(|(&z, &t)| softplus(z) - t * z).sum::<f64>(),
                Self::Ce => {
                    let max = out.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let log_sum = max + ln(out.iter().map(|z| exp(z - max)).sum::<f64>());
                    log_sum - out.iter().zip(target).map(|(z, t)| z * t).sum::<f64>()
                }
            };
        }
        total
    }

    /// Mean loss over `rows`, and its gradient with respect to the outputs
    /// (the logits), already divided by `rows`, written into `grad`.
    pub fn mean_and_grad(self, outputs: &[f64], targets: &[f64], rows: usize, dim: usize, grad: &mut [f64]) -> f64 {
        let scale = 1.0 / rows as f64;
        self.sum_and_grad(outputs, targets, rows, dim, grad, scale) * scale
    }

    /// The summed loss over `rows`, and its gradient with respect to the
    /// outputs times `scale` (1 / the batch's rows, for a slice of a batch),
    /// written into `grad`.
    pub fn sum_and_grad(self, outputs: &[f64], targets: &[f64], rows: usize, dim: usize, grad: &mut [f64], scale: f64) -> f64 {
        let n = rows * dim;
        let (outputs, targets, grad) = (&outputs[..n], &targets[..n], &mut grad[..n]);
        match self {
            Self::Mse => {
                let mut total = 0.0;
                for ((g, &o), &t) in grad.iter_mut().zip(outputs).zip(targets) {
                    let error = o - t;
                    total += error * error;
                    *g = error * scale;
                }
                0.5 * total
            }
            Self::Bce => {
                let mut total = 0.0;
                for ((g, &z), &t) in grad.iter_mut().zip(outputs).zip(targets) {
                    total += softplus(z) - t * z;
                    *g = (sigmoid(z) - t) * scale;
                }
                total
            }
            Self::Ce => {
                let total = self.sum(outputs, targets, rows, dim);
                for r in 0..rows {
                    let g = &mut grad[r * dim..(r + 1) * dim];
                    g.copy_from_slice(&outputs[r * dim..(r + 1) * dim]);
                    softmax_in_place(g);
                    for (g, &t) in g.iter_mut().zip(&targets[r * dim..(r + 1) * dim]) {
                        *g = (*g - t) * scale;
                    }
                }
                total
            }
        }
    }
}

/// Softmax of `values` in place, shifted by the maximum for stability.
pub fn softmax_in_place(values: &mut [f64]) {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for v in values.iter_mut() {
        *v = exp(*v - max);
        sum += *v;
    }
    values.iter_mut().for_each(|v| *v /= sum);
}
