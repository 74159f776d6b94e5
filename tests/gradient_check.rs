//! Finite-difference checks of every analytic gradient: each activation with
//! each loss, with batch normalisation, with dropout under a fixed mask, and
//! with L1/L2 penalties.

use emergence_lab::nn::{Activation, ConvSpec, EngineRng, Init, Loss, Mode, Network, NetworkSpec, Workspace};
use rand::{RngExt, SeedableRng};

const ROWS: usize = 6;
const INPUTS: usize = 3;
const IMAGE: usize = 6;

struct Case {
    activation: Activation,
    loss: Loss,
    batch_norm: bool,
    dropout: f64,
    l1: f64,
    l2: f64,
    /// Convolutions on a 6x6 image before the dense layers.
    conv: Vec<ConvSpec>,
}

impl Case {
    fn plain(activation: Activation, loss: Loss) -> Self {
        Self { activation, loss, batch_norm: false, dropout: 0.0, l1: 0.0, l2: 0.0, conv: Vec::new() }
    }

    fn outputs(&self) -> usize {
        match self.loss {
            Loss::Mse => 2,
            Loss::Bce => 1,
            Loss::Ce => 3,
        }
    }
}

struct Problem {
    network: Network,
    ws: Workspace,
    targets: Vec<f64>,
    loss: Loss,
    l1: f64,
    l2: f64,
}

impl Problem {
    fn new(case: &Case, seed: u64) -> Self {
        let mut rng = EngineRng::seed_from_u64(seed);
        let image = !case.conv.is_empty();
        let inputs = if image { IMAGE * IMAGE } else { INPUTS };
        let spec = NetworkSpec {
            inputs,
            image: image.then_some((1, IMAGE, IMAGE)),
            conv: case.conv.clone(),
            hidden: vec![(5, case.activation), (4, case.activation)],
            outputs: case.outputs(),
            init: Init::XavierNormal,
            gain: 1.0,
            bias_init: 0.0,
            bias_std: 0.0,
            batch_norm: case.batch_norm,
            dropout: case.dropout,
            leaky_slope: 0.1,
        };
        let mut network = Network::new(&spec, &mut rng);
        // Non-trivial biases and normalisation parameters, so every path of
        // the gradient carries signal.
        for layer in network.layers.clone() {
            for range in layer.param_ranges().skip(1) {
                for p in &mut network.params[range] {
                    *p += rng.random_range(-0.5..0.5);
                }
            }
        }
        let mut ws = Workspace::new(&network, ROWS);
        let input: Vec<f64> = (0..ROWS * inputs).map(|_| rng.random_range(-1.5..1.5)).collect();
        ws.load_input(&input);
        let dim = case.outputs();
        let mut targets = vec![0.0; ROWS * dim];
        for row in targets.chunks_exact_mut(dim) {
            match case.loss {
                Loss::Mse => row.iter_mut().for_each(|t| *t = rng.random_range(-1.0..1.0)),
                Loss::Bce => row[0] = f64::from(rng.random_range(0..2u8)),
                Loss::Ce => row[rng.random_range(0..dim)] = 1.0,
            }
        }
        // Draw the dropout masks once; every later pass reuses them.
        network.forward(&mut ws, Mode::Train(&mut rng));
        Self { network, ws, targets, loss: case.loss, l1: case.l1, l2: case.l2 }
    }

    fn loss_value(&mut self) -> f64 {
        self.network.forward(&mut self.ws, Mode::TrainFixedMasks);
        let dim = self.network.outputs();
        let (logits, grad) = self.ws.logits_and_grad();
        self.loss.mean_and_grad(logits, &self.targets, ROWS, dim, grad) + self.network.penalty(self.l1, self.l2)
    }

    fn analytic_gradient(&mut self) -> Vec<f64> {
        self.loss_value();
        let mut grads = vec![0.0; self.network.params.len()];
        self.network.backward(&mut self.ws, &mut grads);
        self.network.add_penalty_gradient(self.l1, self.l2, &mut grads);
        grads
    }

    fn numeric_gradient(&mut self) -> Vec<f64> {
        let h = 1e-6;
        (0..self.network.params.len())
            .map(|i| {
                let original = self.network.params[i];
                self.network.params[i] = original + h;
                let plus = self.loss_value();
                self.network.params[i] = original - h;
                let minus = self.loss_value();
                self.network.params[i] = original;
                (plus - minus) / (2.0 * h)
            })
            .collect()
    }
}

/// Whether an analytic and a numeric derivative agree, component by
/// component: relative to the component itself, with an absolute floor for
/// components near zero (central differences with h = 1e-6 are good to
/// about 1e-9 absolute here).
fn agrees(analytic: f64, numeric: f64) -> bool {
    (analytic - numeric).abs() <= 1e-5 * analytic.abs().max(numeric.abs()) + 1e-8
}

fn check(case: Case, label: &str) {
    for seed in 0..3 {
        let mut problem = Problem::new(&case, 1000 + seed);
        let analytic = problem.analytic_gradient();
        let numeric = problem.numeric_gradient();
        let scale = analytic.iter().chain(&numeric).fold(0.0f64, |m, g| m.max(g.abs()));
        assert!(scale > 1e-6, "{label}: the gradient is all zero, the check would prove nothing");
        for (i, (&a, &n)) in analytic.iter().zip(&numeric).enumerate() {
            assert!(agrees(a, n), "{label} seed {seed}: parameter {i}: analytic {a:e}, numeric {n:e}");
        }
    }
}

/// The probes run forward without dropout (batch statistics for batch
/// norm) and then backward: that backward pass must be the gradient of
/// that forward pass, whatever masks an earlier training pass left.
#[test]
fn backward_after_a_probe_pass_is_the_probe_loss_gradient() {
    for (dropout, batch_norm) in [(0.4, false), (0.3, true), (0.0, true)] {
        let case = Case { dropout, batch_norm, ..Case::plain(Activation::Tanh, Loss::Ce) };
        let mut problem = Problem::new(&case, 77);
        let dim = problem.network.outputs();
        let probe_loss = |p: &mut Problem| {
            p.network.forward(&mut p.ws, Mode::Probe);
            let (logits, grad) = p.ws.logits_and_grad();
            p.loss.mean_and_grad(logits, &p.targets, ROWS, dim, grad)
        };
        probe_loss(&mut problem);
        let mut analytic = vec![0.0; problem.network.params.len()];
        problem.network.backward(&mut problem.ws, &mut analytic);
        let h = 1e-6;
        for (i, &expected) in analytic.iter().enumerate() {
            let original = problem.network.params[i];
            problem.network.params[i] = original + h;
            let plus = probe_loss(&mut problem);
            problem.network.params[i] = original - h;
            let minus = probe_loss(&mut problem);
            problem.network.params[i] = original;
            let numeric = (plus - minus) / (2.0 * h);
            assert!(agrees(expected, numeric), "dropout {dropout}, bn {batch_norm}: parameter {i}: {expected} vs {numeric}");
        }
        assert!(analytic.iter().any(|&g| g != 0.0));
    }
}

#[test]
fn every_activation_with_every_loss() {
    for activation in Activation::ALL {
        for loss in Loss::ALL {
            check(Case::plain(activation, loss), &format!("{} with {}", activation.name(), loss.name()));
        }
    }
}

#[test]
fn batch_normalisation() {
    for activation in [Activation::Tanh, Activation::Sigmoid, Activation::Relu, Activation::Gelu] {
        for loss in Loss::ALL {
            let case = Case { batch_norm: true, ..Case::plain(activation, loss) };
            check(case, &format!("batch norm, {} with {}", activation.name(), loss.name()));
        }
    }
}

#[test]
fn dropout_under_a_fixed_mask() {
    for activation in [Activation::Tanh, Activation::Relu, Activation::Silu] {
        let case = Case { dropout: 0.4, ..Case::plain(activation, Loss::Ce) };
        check(case, &format!("dropout, {}", activation.name()));
    }
    let case = Case { dropout: 0.3, batch_norm: true, ..Case::plain(Activation::Elu, Loss::Mse) };
    check(case, "dropout with batch norm");
}

#[test]
fn l1_and_l2_penalties() {
    let case = Case { l1: 0.01, l2: 0.05, ..Case::plain(Activation::Tanh, Loss::Bce) };
    check(case, "l1 and l2");
    let case = Case { l1: 0.1, ..Case::plain(Activation::Softplus, Loss::Mse) };
    check(case, "l1");
    let case = Case { l2: 0.3, batch_norm: true, dropout: 0.2, ..Case::plain(Activation::LeakyRelu, Loss::Ce) };
    check(case, "l2 with batch norm and dropout");
}

/// The dropout mask really is applied: with a fixed mask, some activations
/// are zeroed and the rest scaled by 1 / (1 - rate).
#[test]
fn dropout_masks_zero_and_rescale() {
    let case = Case { dropout: 0.5, ..Case::plain(Activation::Sigmoid, Loss::Mse) };
    let mut problem = Problem::new(&case, 7);
    problem.loss_value();
    let kept = problem.ws.layers[0].dropout_scale[..ROWS * 5].to_vec();
    assert!(kept.contains(&0.0) && kept.contains(&2.0), "{kept:?}");
    for (i, &scale) in kept.iter().enumerate() {
        let expected = problem.ws.activation(0)[i] * scale;
        assert_eq!(problem.ws.output(0)[i], expected);
    }
}

fn conv(filters: usize, kernel: usize, pad: usize, pool: bool, activation: Activation) -> ConvSpec {
    ConvSpec { filters, kernel, pad, pool, activation }
}

/// Convolutions (same and valid padding, 3x3 and 5x5) and max pooling, with
/// several activations and every loss.
#[test]
fn convolution_and_pooling() {
    for activation in [Activation::Tanh, Activation::Relu, Activation::Sigmoid, Activation::Gelu] {
        for loss in Loss::ALL {
            let layers = vec![conv(3, 3, 1, true, activation), conv(4, 3, 0, false, activation)];
            let case = Case { conv: layers, ..Case::plain(activation, loss) };
            check(case, &format!("conv, {} with {}", activation.name(), loss.name()));
        }
    }
    let case = Case {
        conv: vec![conv(2, 5, 2, false, Activation::Elu), conv(3, 5, 0, true, Activation::Softplus)],
        ..Case::plain(Activation::Silu, Loss::Ce)
    };
    check(case, "5x5 convolutions");
    let case = Case {
        conv: vec![conv(3, 3, 1, true, Activation::Tanh)],
        l2: 0.1,
        dropout: 0.3,
        batch_norm: true,
        ..Case::plain(Activation::Relu, Loss::Ce)
    };
    check(case, "conv with l2, and dropout and batch norm on the dense layers");
}

/// Every initialiser fills convolution filters, with the fan-based scale
/// of a filter: fan-in in_channels x k x k.
#[test]
fn initialisers_fill_filters() {
    for init in Init::ALL {
        let spec = NetworkSpec {
            inputs: 64,
            image: Some((1, 8, 8)),
            conv: vec![conv(32, 3, 1, true, Activation::Relu), conv(32, 3, 1, false, Activation::Relu)],
            hidden: vec![],
            outputs: 10,
            init,
            gain: 1.0,
            bias_init: 0.0,
            bias_std: 0.0,
            batch_norm: false,
            dropout: 0.0,
            leaky_slope: 0.01,
        };
        let network = Network::new(&spec, &mut EngineRng::seed_from_u64(5));
        let second = network.weights(2);
        assert_eq!(second.len(), 32 * 32 * 9);
        assert!(second.iter().all(|w| w.is_finite()));
        if init == Init::HeNormal {
            let variance = second.iter().map(|w| w * w).sum::<f64>() / second.len() as f64;
            let expected = 2.0 / (32.0 * 9.0);
            assert!((variance / expected - 1.0).abs() < 0.1, "he-normal filter variance {variance}, expected {expected}");
        }
    }
}
