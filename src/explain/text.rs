//! The numbers and formulas of the explanation as text: a neuron with its
//! weights plugged in, the loss with its numbers, an optimiser's update.
//! The app's tooltips use the same helpers, so a formula reads the same in
//! the JSON document and on screen.

use crate::nn::{Activation, Network};

/// Decimal places of the numbers in the explanation's formulas.
pub const DECIMALS: usize = 3;

/// Past this many decimal places a small number is shown in scientific
/// notation instead.
const MAX_PLACES: usize = 6;

/// A number as a formula shows it: `decimals` places, more for a small
/// number so it keeps two significant digits (0.00036, not 0.000), and
/// scientific notation for very small or very large ones (3.6e-9, 1.2e7).
pub fn number(value: f64, decimals: usize) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if value == 0.0 {
        return "0".into();
    }
    let exponent = exponent(value);
    let places = decimals.max((1 - exponent).max(0) as usize);
    if exponent >= 6 || places > MAX_PLACES { format!("{value:.1e}") } else { format!("{value:.places$}") }
}

/// The power of ten of a finite number's leading digit, read off Rust's
/// own formatting (no logarithm: the same answer on every platform).
fn exponent(value: f64) -> i32 {
    format!("{value:.1e}").rsplit('e').next().and_then(|e| e.parse().ok()).unwrap_or(0)
}

/// The decimal places that show a value changed by `change` with the
/// change's first two digits visible (0.884833 to 0.884923, not 0.885 to
/// 0.885), within the places a formula ever shows.
pub fn places_for_change(change: f64) -> usize {
    if change == 0.0 || !change.is_finite() {
        return DECIMALS;
    }
    ((1 - exponent(change)).max(0) as usize).clamp(DECIMALS, MAX_PLACES)
}

/// [`number`] at the explanation's precision.
pub fn num(value: f64) -> String {
    number(value, DECIMALS)
}

/// A list of numbers in parentheses: `(0.100, -0.200)`.
pub fn numbers(values: &[f64]) -> String {
    format!("({})", values.iter().map(|&v| num(v)).collect::<Vec<_>>().join(", "))
}

/// How an activation is written around its argument: `tanh(...)`; a
/// linear unit has no function around its sum.
pub fn apply(activation: Activation, argument: &str) -> String {
    match activation {
        Activation::Linear => argument.to_string(),
        Activation::LeakyRelu => format!("leaky_relu({argument})"),
        other => format!("{}({argument})", other.name()),
    }
}

/// The slope f'(z) of an activation as a rule, in terms of z and the output
/// a, as the backward pass computes it.
pub fn slope_rule(activation: Activation, leaky_slope: f64) -> String {
    match activation {
        Activation::Linear => "1".into(),
        Activation::Sigmoid => "a (1 - a)".into(),
        Activation::Tanh => "1 - a^2".into(),
        Activation::Relu => "1 if z > 0, else 0".into(),
        Activation::LeakyRelu => format!("1 if z > 0, else {}", num(leaky_slope)),
        Activation::Elu => "1 if z > 0, else a + 1".into(),
        Activation::Gelu => "the slope of 0.5 z (1 + tanh(0.798 (z + 0.0447 z^3)))".into(),
        Activation::Silu => "s (1 + z (1 - s)) with s = sigmoid(z)".into(),
        Activation::Softplus => "sigmoid(z)".into(),
        Activation::Sin => "cos(z)".into(),
    }
}

/// `0.310 * x + -1.200 * y + 0.050`: a weighted sum with each term's
/// weight and input as given.
pub fn weighted_sum(weights: &[f64], inputs: &[String], bias: f64) -> String {
    let mut terms: Vec<String> = weights.iter().zip(inputs).map(|(&w, input)| format!("{} * {input}", num(w))).collect();
    terms.push(num(bias));
    terms.join(" + ")
}

/// The names of a network's values, layer by layer: the input names, then
/// `h1.1`, `h1.2`, ... for hidden layer 1 (layers and neurons counted from
/// 1), and `out` for a single output or `out0`, `out1`, ... for one output
/// per class (numbered like the classes).
pub fn neuron_names(network: &Network, layer: usize) -> Vec<String> {
    let width = network.layers[layer].outputs;
    if layer + 1 < network.layers.len() {
        (1..=width).map(|unit| format!("h{}.{unit}", layer + 1)).collect()
    } else if width == 1 {
        vec!["out".into()]
    } else {
        (0..width).map(|unit| format!("out{unit}")).collect()
    }
}

/// The names of the values layer `layer` reads: the network's inputs for
/// the first, the previous layer's neurons after that.
pub fn input_names_of(network: &Network, input_names: &[String], layer: usize) -> Vec<String> {
    if layer == 0 { input_names.to_vec() } else { neuron_names(network, layer - 1) }
}

/// A dense neuron with its weights plugged in and its inputs by name:
/// `tanh(0.310 * x + -1.200 * y + 0.050)`. The output layer is linear
/// here: the loss applies its link (sigmoid for bce, softmax for ce).
/// `layer` and `unit` count from 0.
pub fn neuron_formula(network: &Network, input_names: &[String], layer: usize, unit: usize) -> String {
    let spec = &network.layers[layer];
    let row = &network.weights(layer)[unit * spec.inputs..(unit + 1) * spec.inputs];
    let sum = weighted_sum(row, &input_names_of(network, input_names, layer), network.bias(layer)[unit]);
    apply(spec.activation, &sum)
}

/// An edge for a tooltip: its weight, the loss gradient on it and the last
/// update it received (after the words for it, which are the caller's
/// language), whichever are known:
/// `w = 0.310, dL/dw = -0.012, last update +0.00036`.
pub fn edge_summary(weight: f64, gradient: Option<f64>, last_update: Option<(&str, f64)>) -> String {
    let mut parts = vec![format!("w = {}", num(weight))];
    if let Some(gradient) = gradient {
        parts.push(format!("dL/dw = {}", num(gradient)));
    }
    if let Some((words, update)) = last_update {
        let sign = if update > 0.0 { "+" } else { "" };
        parts.push(format!("{words} {sign}{}", num(update)));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_two_significant_digits_and_switch_to_scientific_at_the_ends() {
        assert_eq!(num(0.31), "0.310");
        assert_eq!(num(-1.2), "-1.200");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(0.00036), "0.00036");
        assert_eq!(num(0.0123), "0.012");
        assert_eq!(num(3.6e-9), "3.6e-9");
        assert_eq!(num(12_345_678.0), "1.2e7");
        assert_eq!(num(123.4567), "123.457");
        assert_eq!(num(f64::NAN), "NaN");
        assert_eq!(number(0.31, 2), "0.31");
        assert_eq!(places_for_change(8.9e-5), 6);
        assert_eq!(places_for_change(0.25), 3);
        assert_eq!(places_for_change(0.0), 3);
        assert_eq!(number(0.884833375, places_for_change(8.9e-5)), "0.884833");
    }

    #[test]
    fn a_neuron_reads_as_its_formula() {
        assert_eq!(
            apply(Activation::Tanh, &weighted_sum(&[0.31, -1.2], &["x".into(), "y".into()], 0.05)),
            "tanh(0.310 * x + -1.200 * y + 0.050)"
        );
        assert_eq!(apply(Activation::Linear, "z"), "z");
        assert_eq!(edge_summary(0.31, Some(-0.012), Some(("last update", 0.00036))), "w = 0.310, dL/dw = -0.012, last update +0.00036");
        assert_eq!(edge_summary(0.31, None, None), "w = 0.310");
    }
}
