//! Activation functions, applied to whole buffers at once so each loop is a
//! single tight pass the compiler can pipeline.

use multiversion::multiversion;
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

/// max(z, 0) that keeps a NaN a NaN (`f64::max` would turn it into 0 and
/// hide a broken network behind a finite-looking output).
#[inline(always)]
pub(crate) fn relu(z: f64) -> f64 {
    if z <= 0.0 { 0.0 } else { z }
}

#[inline]
pub(crate) fn softplus(z: f64) -> f64 {
    z.max(0.0) + crate::maths::ln_1p(super::fastmath::exp(-z.abs()))
}

impl Activation {
    pub const ALL: [Activation; 10] = [
        Activation::Linear,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu,
        Activation::Elu,
        Activation::Gelu,
        Activation::Silu,
        Activation::Softplus,
        Activation::Sin,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::LeakyRelu => "leaky-relu",
            Activation::Elu => "elu",
            Activation::Gelu => "gelu",
            Activation::Silu => "silu",
            Activation::Softplus => "softplus",
            Activation::Sin => "sin",
        }
    }

    /// Whether a unit can die: output exactly zero, with zero slope, for
    /// every input. Only relu can; leaky relu and elu keep a slope below
    /// zero, so their units can always recover.
    pub fn can_die(self) -> bool {
        self == Self::Relu
    }

    /// The output range of a saturating activation.
    pub fn bounds(self) -> Option<(f64, f64)> {
        match self {
            Activation::Sigmoid => Some((0.0, 1.0)),
            Activation::Tanh => Some((-1.0, 1.0)),
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
            Activation::Linear => z,
            Activation::Sigmoid => sigmoid(z),
            Activation::Tanh => tanh(z),
            Activation::Relu => relu(z),
            Activation::LeakyRelu => {
                if z > 0.0 {
                    z
                } else {
                    leaky_slope * z
                }
            }
            Activation::Elu => {
                if z > 0.0 {
                    z
                } else {
                    crate::maths::exp_m1(z)
                }
            }
            Activation::Gelu => 0.5 * z * (1.0 + tanh(GELU_C * (z + GELU_A * z * z * z))),
            Activation::Silu => z * sigmoid(z),
            Activation::Softplus => softplus(z),
            Activation::Sin => crate::maths::sin(z),
        }
    }

    /// The derivative at `z`, given also the output `a = f(z)` (several
    /// derivatives are cheapest from the output).
    #[inline]
    pub fn derivative(self, z: f64, a: f64, leaky_slope: f64) -> f64 {
        match self {
            Activation::Linear => 1.0,
            Activation::Sigmoid => a * (1.0 - a),
            Activation::Tanh => 1.0 - a * a,
            Activation::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu => {
                if z > 0.0 {
                    1.0
                } else {
                    leaky_slope
                }
            }
            Activation::Elu => {
                if z > 0.0 {
                    1.0
                } else {
                    a + 1.0
                }
            }
            Activation::Gelu => {
                let t = tanh(GELU_C * (z + GELU_A * z * z * z));
                0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * GELU_A * z * z)
            }
            Activation::Silu => {
                let s = sigmoid(z);
                s * (1.0 + z * (1.0 - s))
            }
            Activation::Softplus => sigmoid(z),
            Activation::Sin => crate::maths::cos(z),
        }
    }

    /// `out[i] = f(z[i])` over a whole buffer.
    pub fn forward(self, z: &[f64], out: &mut [f64], leaky_slope: f64) {
        forward_buffer(self, z, out, leaky_slope);
    }

    /// The chain rule through the activation for one value, as
    /// [`Activation::backward`] computes it for each.
    #[inline]
    pub fn backward_one(self, z: f64, a: f64, grad_a: f64, leaky_slope: f64) -> f64 {
        match self {
            Activation::Tanh => grad_a * (1.0 - a * a),
            Activation::Relu => {
                if z > 0.0 {
                    grad_a
                } else {
                    0.0
                }
            }
            Activation::Linear => grad_a,
            Activation::Sigmoid => grad_a * a * (1.0 - a),
            _ => grad_a * self.derivative(z, a, leaky_slope),
        }
    }

    /// [`Activation::backward_one`] from the output alone, for the
    /// activations whose derivative the output tells (relu: a > 0 exactly
    /// when z > 0; tanh, sigmoid, linear); `None` for the others.
    #[inline]
    pub fn backward_from_output(self, a: f64, grad_a: f64) -> Option<f64> {
        match self {
            Activation::Relu => Some(if a > 0.0 { grad_a } else { 0.0 }),
            Activation::Tanh | Activation::Sigmoid | Activation::Linear => Some(self.backward_one(a, a, grad_a, 0.0)),
            _ => None,
        }
    }

    /// Whether [`Activation::backward_from_output`] can go back through it.
    pub fn derivative_follows_from_output(self) -> bool {
        self.backward_from_output(0.0, 0.0).is_some()
    }

    /// `grad_z[i] = grad_a[i] * f'(z[i])`, the chain rule through the
    /// activation, over a whole buffer.
    pub fn backward(self, z: &[f64], a: &[f64], grad_a: &[f64], grad_z: &mut [f64], leaky_slope: f64) {
        backward_buffer(self, z, a, grad_a, grad_z, leaky_slope);
    }
}

/// `out[i] = f(z[i])` over a whole buffer; compiled also for AVX2, picked
/// at run time (the results are the same bits: Rust never fuses a
/// multiply and an add on its own).
#[multiversion(targets("x86_64+avx+avx2"))]
fn forward_buffer(activation: Activation, z: &[f64], out: &mut [f64], leaky_slope: f64) {
    debug_assert_eq!(z.len(), out.len());
    match activation {
        // The common cases get their own loops so the match is not
        // inside the hot loop.
        Activation::Tanh => out.iter_mut().zip(z).for_each(|(a, &z)| *a = tanh(z)),
        Activation::Relu => out.iter_mut().zip(z).for_each(|(a, &z)| *a = relu(z)),
        Activation::Linear => out.copy_from_slice(z),
        Activation::Sigmoid => out.iter_mut().zip(z).for_each(|(a, &z)| *a = sigmoid(z)),
        _ => out.iter_mut().zip(z).for_each(|(a, &z)| *a = activation.apply(z, leaky_slope)),
    }
}

/// The chain rule through the activation over a whole buffer.
#[multiversion(targets("x86_64+avx+avx2"))]
fn backward_buffer(activation: Activation, z: &[f64], a: &[f64], grad_a: &[f64], grad_z: &mut [f64], leaky_slope: f64) {
    debug_assert!(z.len() == a.len() && a.len() == grad_a.len() && grad_a.len() == grad_z.len());
    match activation {
        Activation::Tanh => {
            for ((g, &a), &ga) in grad_z.iter_mut().zip(a).zip(grad_a) {
                *g = ga * (1.0 - a * a);
            }
        }
        Activation::Relu => {
            for ((g, &z), &ga) in grad_z.iter_mut().zip(z).zip(grad_a) {
                *g = if z > 0.0 { ga } else { 0.0 };
            }
        }
        Activation::Linear => grad_z.copy_from_slice(grad_a),
        Activation::Sigmoid => {
            for ((g, &a), &ga) in grad_z.iter_mut().zip(a).zip(grad_a) {
                *g = ga * a * (1.0 - a);
            }
        }
        _ => {
            for (((g, &z), &a), &ga) in grad_z.iter_mut().zip(z).zip(a).zip(grad_a) {
                *g = ga * activation.derivative(z, a, leaky_slope);
            }
        }
    }
}
