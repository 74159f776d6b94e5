//! Optimisers over the network's flat parameter vector. Each keeps its state
//! in flat vectors of the same layout, so an update is one pass with no
//! allocation, and saving a run is saving a few vectors.

use std::ops::Range;

use multiversion::multiversion;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerKind {
    Sgd,
    /// Heavy-ball momentum, PyTorch convention: v = mu v + g, w -= lr v
    /// (Nesterov: w -= lr (g + mu v)).
    Momentum,
    /// RMSprop (Hinton 2012): s = rho s + (1 - rho) g^2, w -= lr g / (sqrt s + eps).
    Rmsprop,
    /// Adam (Kingma & Ba 2015) with bias correction:
    /// w -= lr m_hat / (sqrt(v_hat) + eps), or with `adam_epsilon_hat` as
    /// Keras and TensorFlow do it, w -= lr_t m / (sqrt(v) + eps) with
    /// lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t).
    Adam,
    /// Adam with decoupled weight decay (Loshchilov & Hutter 2019).
    Adamw,
}

pub const RMSPROP_RHO: f64 = 0.9;
pub const ADAM_BETA1: f64 = 0.9;
pub const ADAM_BETA2: f64 = 0.999;
/// RMSprop's epsilon, and Adam's unless `training.adam_epsilon` says
/// otherwise.
pub const EPSILON: f64 = 1e-8;

impl OptimizerKind {
    pub const ALL: [OptimizerKind; 5] = [Self::Sgd, Self::Momentum, Self::Rmsprop, Self::Adam, Self::Adamw];

    pub fn name(self) -> &'static str {
        match self {
            Self::Sgd => "sgd",
            Self::Momentum => "momentum",
            Self::Rmsprop => "rmsprop",
            Self::Adam => "adam",
            Self::Adamw => "adamw",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OptimizerSettings {
    pub kind: OptimizerKind,
    pub learning_rate: f64,
    pub momentum: f64,
    pub nesterov: bool,
    pub weight_decay: f64,
    /// Adam's epsilon.
    pub adam_epsilon: f64,
    /// Add `adam_epsilon` to sqrt(v) before the bias correction instead of
    /// to sqrt(v_hat): Kingma & Ba's "epsilon hat" (the formula before
    /// their section 2.1), which Keras and TensorFlow use. With it, the
    /// epsilon's weight grows early in training by 1 / sqrt(1 - beta2^t).
    pub adam_epsilon_hat: bool,
}

/// An optimiser and its state for one parameter vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Optimizer {
    pub settings: OptimizerSettings,
    /// Updates applied so far (Adam's t).
    pub updates: u64,
    /// Velocity (momentum) or first moment (Adam).
    first: Vec<f64>,
    /// Mean square (RMSprop) or second moment (Adam).
    second: Vec<f64>,
    beta1_power: f64,
    beta2_power: f64,
}

impl Optimizer {
    pub fn new(settings: OptimizerSettings, parameters: usize) -> Self {
        let (first, second) = match settings.kind {
            OptimizerKind::Sgd => (0, 0),
            OptimizerKind::Momentum => (parameters, 0),
            OptimizerKind::Rmsprop => (0, parameters),
            OptimizerKind::Adam | OptimizerKind::Adamw => (parameters, parameters),
        };
        Self { settings, updates: 0, first: vec![0.0; first], second: vec![0.0; second], beta1_power: 1.0, beta2_power: 1.0 }
    }

    /// Whether the state fits a parameter vector of this length (a loaded
    /// file could say otherwise).
    pub fn fits(&self, parameters: usize) -> bool {
        let expected = Optimizer::new(self.settings, parameters);
        self.first.len() == expected.first.len() && self.second.len() == expected.second.len()
    }

    /// Per parameter, the velocity (momentum) or first moment (Adam and
    /// AdamW); empty for the others.
    pub fn first_moments(&self) -> &[f64] {
        &self.first
    }

    /// Per parameter, the mean square (RMSprop) or second moment (Adam and
    /// AdamW); empty for the others.
    pub fn second_moments(&self) -> &[f64] {
        &self.second
    }

    /// Adam's bias corrections as of the latest update t: 1 / (1 - beta1^t)
    /// and 1 / (1 - beta2^t), by which the moments are divided to give
    /// m-hat and v-hat. (1, 1) before any update, and for other optimisers.
    pub fn bias_corrections(&self) -> (f64, f64) {
        if self.updates == 0 || !matches!(self.settings.kind, OptimizerKind::Adam | OptimizerKind::Adamw) {
            return (1.0, 1.0);
        }
        (1.0 / (1.0 - self.beta1_power), 1.0 / (1.0 - self.beta2_power))
    }

    /// Applies one update. `decayed` lists the ranges that take weight decay
    /// (the weights, not biases or normalisation parameters).
    pub fn update(&mut self, params: &mut [f64], grads: &[f64], decayed: &[Range<usize>]) {
        debug_assert_eq!(params.len(), grads.len());
        let OptimizerSettings { kind, learning_rate: lr, momentum: mu, nesterov, weight_decay, adam_epsilon, adam_epsilon_hat } =
            self.settings;
        self.updates += 1;
        if weight_decay > 0.0 {
            // Decoupled: shrink the weights directly, outside the gradient,
            // before the step, as AdamW does.
            let keep = 1.0 - lr * weight_decay;
            for range in decayed {
                params[range.clone()].iter_mut().for_each(|w| *w *= keep);
            }
        }
        match kind {
            OptimizerKind::Sgd => {
                for (w, &g) in params.iter_mut().zip(grads) {
                    *w -= lr * g;
                }
            }
            OptimizerKind::Momentum => {
                for ((w, &g), v) in params.iter_mut().zip(grads).zip(&mut self.first) {
                    *v = mu * *v + g;
                    *w -= lr * if nesterov { g + mu * *v } else { *v };
                }
            }
            OptimizerKind::Rmsprop => {
                for ((w, &g), s) in params.iter_mut().zip(grads).zip(&mut self.second) {
                    *s = RMSPROP_RHO * *s + (1.0 - RMSPROP_RHO) * g * g;
                    *w -= lr * g / (s.sqrt() + EPSILON);
                }
            }
            OptimizerKind::Adam | OptimizerKind::Adamw => {
                self.beta1_power *= ADAM_BETA1;
                self.beta2_power *= ADAM_BETA2;
                let step = if adam_epsilon_hat {
                    AdamStep::EpsilonHat { step: lr * (1.0 - self.beta2_power).sqrt() / (1.0 - self.beta1_power) }
                } else {
                    AdamStep::Corrected {
                        learning_rate: lr,
                        first_correction: 1.0 / (1.0 - self.beta1_power),
                        second_correction: 1.0 / (1.0 - self.beta2_power),
                    }
                };
                adam_update(params, grads, &mut self.first, &mut self.second, step, adam_epsilon);
            }
        }
    }
}

/// How an Adam update scales its moments.
#[derive(Debug, Clone, Copy)]
enum AdamStep {
    /// Keras's: w -= step m / (sqrt(v) + eps).
    EpsilonHat { step: f64 },
    /// The paper's: w -= lr m_hat / (sqrt(v_hat) + eps).
    Corrected { learning_rate: f64, first_correction: f64, second_correction: f64 },
}

/// One Adam update of every parameter. Compiled for AVX-512 and AVX2 as
/// well, picked at run time: the square roots and divisions are IEEE's,
/// exact at any vector width, so every build gives the same bits (and a
/// network of a quarter of a million parameters updates several times
/// faster).
#[multiversion(targets("x86_64+avx512f+avx512vl+avx512dq+avx2+avx", "x86_64+avx+avx2"))]
fn adam_update(params: &mut [f64], grads: &[f64], first: &mut [f64], second: &mut [f64], step: AdamStep, epsilon: f64) {
    let moments = params.iter_mut().zip(grads).zip(first).zip(second);
    match step {
        AdamStep::EpsilonHat { step } => {
            for (((w, &g), m), v) in moments {
                *m = ADAM_BETA1 * *m + (1.0 - ADAM_BETA1) * g;
                *v = ADAM_BETA2 * *v + (1.0 - ADAM_BETA2) * g * g;
                *w -= *m * step / (v.sqrt() + epsilon);
            }
        }
        AdamStep::Corrected { learning_rate, first_correction, second_correction } => {
            for (((w, &g), m), v) in moments {
                *m = ADAM_BETA1 * *m + (1.0 - ADAM_BETA1) * g;
                *v = ADAM_BETA2 * *v + (1.0 - ADAM_BETA2) * g * g;
                let m_hat = *m * first_correction;
                let v_hat = *v * second_correction;
                *w -= learning_rate * m_hat / (v_hat.sqrt() + epsilon);
            }
        }
    }
}
