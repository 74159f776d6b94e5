//! Initialisers' statistics and each optimiser's update against steps
//! computed by hand.

use emergence_lab::nn::{Activation, EngineRng, Init, Network, NetworkSpec, Optimizer, OptimizerKind, OptimizerSettings};
use rand::SeedableRng;

fn variance(values: &[f64]) -> f64 {
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / values.len() as f64
}

fn drawn(init: Init, gain: f64, fan_in: usize, fan_out: usize) -> Vec<f64> {
    let mut weights = vec![f64::NAN; fan_in * fan_out];
    init.fill(gain, fan_in, fan_out, &mut weights, &mut EngineRng::seed_from_u64(42));
    weights
}

#[test]
fn fan_based_variances_match_their_formulas() {
    let (fan_in, fan_out) = (400, 600);
    let (fi, fo) = (fan_in as f64, fan_out as f64);
    let cases = [
        (Init::XavierUniform, 2.0 / (fi + fo)),
        (Init::XavierNormal, 2.0 / (fi + fo)),
        (Init::HeUniform, 2.0 / fi),
        (Init::HeNormal, 2.0 / fi),
        (Init::LecunNormal, 1.0 / fi),
    ];
    for (init, expected) in cases {
        for gain in [1.0, 1.7] {
            let got = variance(&drawn(init, gain, fan_in, fan_out));
            let want = gain * gain * expected;
            assert!((got / want - 1.0).abs() < 0.02, "{}: variance {got}, expected {want}", init.name());
        }
    }
}

#[test]
fn plain_schemes_use_gain_as_their_scale() {
    let uniform = drawn(Init::Uniform, 0.5, 300, 300);
    assert!(uniform.iter().all(|w| w.abs() <= 0.5));
    assert!((variance(&uniform) / (0.25 / 3.0) - 1.0).abs() < 0.02);
    let normal = drawn(Init::Normal, 0.3, 300, 300);
    assert!((variance(&normal) / 0.09 - 1.0).abs() < 0.02);
    assert!(drawn(Init::Constant, -0.7, 5, 3).iter().all(|&w| w == -0.7));
    assert!(drawn(Init::Zeros, 3.0, 5, 3).iter().all(|&w| w == 0.0));
}

/// `rows x cols` row-major product of the matrix with its transpose on the
/// side that gives the identity.
fn gram(weights: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let (n, k) = if rows >= cols { (cols, rows) } else { (rows, cols) };
    let at = |r: usize, c: usize| weights[r * cols + c];
    let mut g = vec![0.0; n * n];
    for a in 0..n {
        for b in 0..n {
            g[a * n + b] = (0..k).map(|i| if rows >= cols { at(i, a) * at(i, b) } else { at(a, i) * at(b, i) }).sum();
        }
    }
    g
}

#[test]
fn orthogonal_gives_orthonormal_columns_or_rows() {
    // weights are [fan_out][fan_in]: rows = fan_out.
    for (fan_in, fan_out) in [(64, 64), (30, 100), (100, 30), (1, 5), (7, 1)] {
        let weights = drawn(Init::Orthogonal, 1.0, fan_in, fan_out);
        let n = fan_in.min(fan_out);
        let g = gram(&weights, fan_out, fan_in);
        for a in 0..n {
            for b in 0..n {
                let expected = if a == b { 1.0 } else { 0.0 };
                assert!((g[a * n + b] - expected).abs() < 1e-12, "{fan_out}x{fan_in}: W^T W [{a}][{b}] = {}", g[a * n + b]);
            }
        }
    }
    let scaled = drawn(Init::Orthogonal, 2.0, 16, 16);
    let g = gram(&scaled, 16, 16);
    assert!((g[0] - 4.0).abs() < 1e-12 && g[1].abs() < 1e-12);
}

fn settings(kind: OptimizerKind) -> OptimizerSettings {
    OptimizerSettings { kind, learning_rate: 0.1, momentum: 0.9, nesterov: false, weight_decay: 0.0 }
}

/// Two updates with gradients g1 then g2 on parameters starting at w0; the
/// first parameter is a weight (decayed), the second a bias.
fn two_steps(settings: OptimizerSettings) -> Vec<f64> {
    let mut params = vec![1.0, -2.0];
    let mut optimizer = Optimizer::new(settings, 2);
    optimizer.update(&mut params, &[0.5, 0.25], std::slice::from_ref(&(0..1)));
    optimizer.update(&mut params, &[-0.2, 0.4], std::slice::from_ref(&(0..1)));
    params
}

fn assert_close(got: &[f64], want: &[f64]) {
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-12, "got {got:?}, want {want:?}");
    }
}

#[test]
fn sgd_step() {
    // w -= 0.1 g, twice.
    assert_close(&two_steps(settings(OptimizerKind::Sgd)), &[1.0 - 0.05 + 0.02, -2.0 - 0.025 - 0.04]);
}

#[test]
fn momentum_and_nesterov_steps() {
    // v1 = g1, w1 = w0 - 0.1 v1; v2 = 0.9 v1 + g2, w2 = w1 - 0.1 v2.
    let v1 = [0.5, 0.25];
    let v2 = [0.9 * 0.5 - 0.2, 0.9 * 0.25 + 0.4];
    assert_close(&two_steps(settings(OptimizerKind::Momentum)), &[1.0 - 0.1 * v1[0] - 0.1 * v2[0], -2.0 - 0.1 * v1[1] - 0.1 * v2[1]]);
    // Nesterov: w -= 0.1 (g + 0.9 v).
    let nesterov = OptimizerSettings { nesterov: true, ..settings(OptimizerKind::Momentum) };
    let step1 = [0.1 * (0.5 + 0.9 * v1[0]), 0.1 * (0.25 + 0.9 * v1[1])];
    let step2 = [0.1 * (-0.2 + 0.9 * v2[0]), 0.1 * (0.4 + 0.9 * v2[1])];
    assert_close(&two_steps(nesterov), &[1.0 - step1[0] - step2[0], -2.0 - step1[1] - step2[1]]);
}

#[test]
fn rmsprop_step() {
    // s1 = 0.1 g1^2, s2 = 0.9 s1 + 0.1 g2^2; w -= 0.1 g / (sqrt(s) + 1e-8).
    let eps = 1e-8;
    let expected: Vec<f64> = [(1.0, 0.5, -0.2), (-2.0, 0.25, 0.4)]
        .iter()
        .map(|&(w0, g1, g2): &(f64, f64, f64)| {
            let s1 = 0.1 * g1 * g1;
            let w1 = w0 - 0.1 * g1 / (s1.sqrt() + eps);
            let s2 = 0.9 * s1 + 0.1 * g2 * g2;
            w1 - 0.1 * g2 / (s2.sqrt() + eps)
        })
        .collect();
    assert_close(&two_steps(settings(OptimizerKind::Rmsprop)), &expected);
}

fn adam_expected(decay: f64) -> Vec<f64> {
    let eps = 1e-8;
    [(1.0, 0.5, -0.2, decay), (-2.0, 0.25, 0.4, 0.0)]
        .iter()
        .map(|&(w0, g1, g2, wd): &(f64, f64, f64, f64)| {
            let (m1, v1) = (0.1 * g1, 0.001 * g1 * g1);
            let w = w0 * (1.0 - 0.1 * wd);
            let w1 = w - 0.1 * (m1 / (1.0 - 0.9)) / ((v1 / (1.0 - 0.999)).sqrt() + eps);
            let (m2, v2) = (0.9 * m1 + 0.1 * g2, 0.999 * v1 + 0.001 * g2 * g2);
            let w = w1 * (1.0 - 0.1 * wd);
            w - 0.1 * (m2 / (1.0 - 0.81)) / ((v2 / (1.0 - 0.999 * 0.999)).sqrt() + eps)
        })
        .collect()
}

#[test]
fn adam_and_adamw_steps() {
    assert_close(&two_steps(settings(OptimizerKind::Adam)), &adam_expected(0.0));
    // Decoupled decay shrinks only the weight (the first parameter).
    let adamw = OptimizerSettings { weight_decay: 0.05, ..settings(OptimizerKind::Adamw) };
    assert_close(&two_steps(adamw), &adam_expected(0.05));
}

#[test]
fn decoupled_decay_applies_to_sgd_weights_only() {
    let decayed = OptimizerSettings { weight_decay: 0.5, ..settings(OptimizerKind::Sgd) };
    // w = w (1 - 0.05) - 0.1 g for the weight; the bias only takes the step.
    let w1 = 1.0 * 0.95 - 0.05;
    assert_close(&two_steps(decayed), &[w1 * 0.95 + 0.02, -2.0 - 0.025 - 0.04]);
}

#[test]
fn bias_noise_has_its_spread_and_draws_nothing_at_zero() {
    let spec = |bias_std: f64| NetworkSpec {
        inputs: 50,
        image: None,
        conv: Vec::new(),
        hidden: vec![(400, Activation::Tanh); 3],
        outputs: 10,
        init: Init::LecunNormal,
        gain: 1.0,
        bias_init: 0.25,
        bias_std,
        batch_norm: false,
        dropout: 0.0,
        leaky_slope: 0.01,
    };
    let build = |bias_std: f64| Network::new(&spec(bias_std), &mut EngineRng::seed_from_u64(9));
    let (plain, noisy) = (build(0.0), build(0.5));
    assert!((0..4).all(|layer| plain.bias(layer).iter().all(|&b| b == 0.25)));
    let biases: Vec<f64> = (0..3).flat_map(|layer| noisy.bias(layer).to_vec()).collect();
    let mean = biases.iter().sum::<f64>() / biases.len() as f64;
    assert!((mean - 0.25).abs() < 0.05, "{mean}");
    assert!((variance(&biases).sqrt() / 0.5 - 1.0).abs() < 0.05, "{}", variance(&biases).sqrt());
    // The noise is drawn after each layer's weights: the first layer's
    // weights are the same draws, so bias_std = 0 leaves the random
    // stream of earlier configs untouched.
    assert_eq!(plain.weights(0), noisy.weights(0));
    assert_ne!(plain.weights(1), noisy.weights(1));
}
