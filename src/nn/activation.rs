//! Activation functions, applied to whole buffers at once so each loop is a
//! single tight pass the compiler can pipeline.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    Linear,
    Sigmoid,
    Tanh,
    Relu,
    LeakyRelu,
    Elu,
    /// The tanh approximation of GELU (Hendrycks & Gimpel), as in GPT-2.
    Gelu,
    Silu,
    Softplus,
    Sin,
}

const GELU_C: f64 = 0.797_884_560_802_865_4; // sqrt(2 / pi)
const GELU_A: f64 = 0.044_715;

/// How close to a bound an output must be to count as saturated: 1% of the
/// function's range.
const SATURATION_MARGIN: f64 = 0.01;

pub(crate) use super::fastmath::sigmoid;
use super::fastmath::tanh;

#[inline]
pub(crate) fn softplus(z: f64) -> f64 {
    z.max(0.0) + super::fastmath::exp(-z.abs()).ln_1p()
}

impl Activation {
    pub const ALL: [Activation; 10] = [
        Self::Linear,
        Self::Sigmoid,
        Self::Tanh,
        Self::Relu,
        Self::LeakyRelu,
        Self::Elu,
        Self::Gelu,
        Self::Silu,
        Self::Softplus,
        Self::Sin,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Linear => "linear",
            Self::Sigmoid => "sigmoid",
            Self::Tanh => "tanh",
            Self::Relu => "relu",
            Self::LeakyRelu => "leaky-relu",
            Self::Elu => "elu",
            Self::Gelu => "gelu",
            Self::Silu => "silu",
            Self::Softplus => "softplus",
            Self::Sin => "sin",
        }
    }

    /// Units of these activations can die: stuck on their flat (or nearly
    /// flat) negative side for every input.
    pub fn is_relu_like(self) -> bool {
        matches!(self, Self::Relu | Self::LeakyRelu | Self::Elu)
    }

    /// The output range of a saturating activation.
    pub fn bounds(self) -> Option<(f64, f64)> {
        match self {
            Self::Sigmoid => Some((0.0, 1.0)),
            Self::Tanh => Some((-1.0, 1.0)),
            _ => None,
        }
    }

    /// Whether an output lies within 1% of the range from a bound.
    #[inline]
    pub fn is_saturated(self, output: f64) -> bool {
        match self.bounds() {
            Some((lo, hi)) => {
                let margin = SATURATION_MARGIN * (hi - lo);
                output <= lo + margin || output >= hi - margin
            }
            None => false,
        }
    }

    #[inline]
    pub fn apply(self, z: f64, leaky_slope: f64) -> f64 {
        match self {
            Self::Linear => z,
            Self::Sigmoid => sigmoid(z),
            Self::Tanh => tanh(z),
            Self::Relu => z.max(0.0),
            Self::LeakyRelu => {
                if z > 0.0 {
                    z
                } else {
                    leaky_slope * z
                }
            }
            Self::Elu => {
                if z > 0.0 {
                    z
                } else {
                    z.exp_m1()
                }
            }
            Self::Gelu => 0.5 * z * (1.0 + tanh(GELU_C * (z + GELU_A * z * z * z))),
            Self::Silu => z * sigmoid(z),
            Self::Softplus => softplus(z),
            Self::Sin => z.sin(),
        }
    }

    /// The derivative at `z`, given also the output `a = f(z)` (several
    /// derivatives are cheapest from the output).
    #[inline]
    pub fn derivative(self, z: f64, a: f64, leaky_slope: f64) -> f64 {
        match self {
            Self::Linear => 1.0,
            Self::Sigmoid => a * (1.0 - a),
            Self::Tanh => 1.0 - a * a,
            Self::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Self::LeakyRelu => {
                if z > 0.0 {
                    1.0
                } else {
                    leaky_slope
                }
            }
            Self::Elu => {
                if z > 0.0 {
                    1.0
                } else {
                    a + 1.0
                }
            }
            Self::Gelu => {
                let t = tanh(GELU_C * (z + GELU_A * z * z * z));
                0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * GELU_A * z * z)
            }
            Self::Silu => {
                let s = sigmoid(z);
                s * (1.0 + z * (1.0 - s))
            }
            Self::Softplus => sigmoid(z),
            Self::Sin => z.cos(),
        }
    }

    /// `out[i] = f(z[i])` over a whole buffer.
    pub fn forward(self, z: &[f64], out: &mut [f64], leaky_slope: f64) {
        debug_assert_eq!(z.len(), out.len());
        match self {
            // The common cases get their own loops so the match is not
            // inside the hot loop.
            Self::Tanh => out.iter_mut().zip(z).for_each(|(a, &z)| *a = tanh(z)),
            Self::Relu => out.iter_mut().zip(z).for_each(|(a, &z)| *a = z.max(0.0)),
            Self::Linear => out.copy_from_slice(z),
            Self::Sigmoid => out.iter_mut().zip(z).for_each(|(a, &z)| *a = sigmoid(z)),
            _ => out.iter_mut().zip(z).for_each(|(a, &z)| *a = self.apply(z, leaky_slope)),
        }
    }

    /// `grad_z[i] = grad_a[i] * f'(z[i])`, the chain rule through the
    /// activation, over a whole buffer.
    pub fn backward(self, z: &[f64], a: &[f64], grad_a: &[f64], grad_z: &mut [f64], leaky_slope: f64) {
        debug_assert!(z.len() == a.len() && a.len() == grad_a.len() && grad_a.len() == grad_z.len());
        match self {
            Self::Tanh => {
                for ((g, &a), &ga) in grad_z.iter_mut().zip(a).zip(grad_a) {
                    *g = ga * (1.0 - a * a);
                }
            }
            Self::Relu => {
                for ((g, &z), &ga) in grad_z.iter_mut().zip(z).zip(grad_a) {
                    *g = if z > 0.0 { ga } else { 0.0 };
                }
            }
            Self::Linear => grad_z.copy_from_slice(grad_a),
            Self::Sigmoid => {
                for ((g, &a), &ga) in grad_z.iter_mut().zip(a).zip(grad_a) {
                    *g = ga * a * (1.0 - a);
                }
            }
            _ => {
                for (((g, &z), &a), &ga) in grad_z.iter_mut().zip(z).zip(a).zip(grad_a) {
                    *g = ga * self.derivative(z, a, leaky_slope);
                }
            }
        }
    }
}
