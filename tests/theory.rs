//! Mean-field theory against closed forms, the papers' numbers, and wide
//! networks built by the lab itself.

use emergence_lab::analysis::theory::{
    Inapplicable, Phase, TheoryReport, applicability, critical_sigma_w2, edge_of_chaos, edge_point, inputs_second_moment, phase_point,
    sigma_w2, theory_for, theory_for_inputs, theory_for_run,
};
use emergence_lab::config::Config;
use emergence_lab::data::{Dataset, DatasetKind};
use emergence_lab::nn::{Activation, ConvSpec, EngineRng, Init, Mode, Network, NetworkSpec, Workspace};
use emergence_lab::train::Trainer;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

const WIDTH: usize = 256;
const DEPTH: usize = 10;
const ROWS: usize = 256;
const INPUT_DIM: usize = 32;
const OUTPUTS: usize = 8;

fn spec(activation: Activation, init: Init, gain: f64, bias_init: f64) -> NetworkSpec {
    NetworkSpec {
        inputs: INPUT_DIM,
        image: None,
        conv: Vec::new(),
        hidden: vec![(WIDTH, activation); DEPTH],
        outputs: OUTPUTS,
        init,
        gain,
        bias_init,
        bias_std: 0.0,
        batch_norm: false,
        dropout: 0.0,
        leaky_slope: 0.01,
    }
}

fn gaussian_inputs(rows: usize, seed: u64) -> Vec<f64> {
    let mut rng = EngineRng::seed_from_u64(seed);
    (0..rows * INPUT_DIM).map(|_| StandardNormal.sample(&mut rng)).collect()
}

fn variance(values: &[f64]) -> f64 {
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / values.len() as f64
}

/// The step-0 activation std of each hidden layer over rows and units, as
/// the probe measures it, from a probe-mode forward pass per seed. The
/// variances are averaged over seeds before the square root: at finite
/// width a layer's variance is the prediction times a product of
/// independent mean-one factors, so its average is unbiased where the
/// average std is not.
fn measured_act_std(spec: &NetworkSpec, inputs: &[f64], seeds: &[u64]) -> Vec<f64> {
    let rows = inputs.len() / spec.inputs;
    let mut variances = vec![0.0; spec.hidden.len()];
    for &seed in seeds {
        let network = Network::new(spec, &mut EngineRng::seed_from_u64(seed));
        let mut ws = Workspace::new(&network, rows);
        ws.load_input(inputs);
        network.forward(&mut ws, Mode::Probe);
        for (k, total) in variances.iter_mut().enumerate() {
            *total += variance(&ws.activation(k)[..rows * spec.hidden[k].0]);
        }
    }
    variances.iter().map(|v| (v / seeds.len() as f64).sqrt()).collect()
}

/// Checks every layer's measured activation std against the prediction,
/// printing both (`cargo test -- --nocapture` shows the table).
fn assert_act_std_matches(spec: &NetworkSpec, seeds: &[u64], tolerance: f64) {
    let inputs = gaussian_inputs(ROWS, 7);
    let report = theory_for(spec, inputs_second_moment(&inputs), spec.bias_std * spec.bias_std);
    assert!(report.applies, "{:?}", report.reason);
    let measured = measured_act_std(spec, &inputs, seeds);
    let label =
        format!("{} {} gain {:.3} bias {} ± {}", spec.hidden[0].1.name(), spec.init.name(), spec.gain, spec.bias_init, spec.bias_std);
    let mut worst: f64 = 0.0;
    for (k, (layer, &got)) in report.layers.iter().zip(&measured).enumerate() {
        let want = layer.act_std.expect("finite");
        let error = got / want - 1.0;
        eprintln!("{label}: layer {}: predicted {want:.4}, measured {got:.4} ({:+.1}%)", k + 1, 100.0 * error);
        worst = worst.max(error.abs());
    }
    assert!(worst <= tolerance, "{label}: worst relative error {worst:.3}");
}

#[test]
fn tanh_activation_std_matches_wide_networks_without_bias() {
    // lecun-normal makes sigma_w2 = gain^2 in every layer: ordered,
    // critical at sigma_b2 = 0 (sigma_w2 = 1), near tanh's edge for
    // sigma_b2 = 0.05 (1.76), and chaotic (3).
    for sigma_w2 in [1.0, 1.76, 3.0] {
        assert_act_std_matches(&spec(Activation::Tanh, Init::LecunNormal, f64::sqrt(sigma_w2), 0.0), &[1, 2, 3], 0.10);
    }
}

#[test]
fn tanh_activation_std_matches_wide_networks_with_bias() {
    for sigma_w2 in [1.0, 1.76, 3.0] {
        assert_act_std_matches(&spec(Activation::Tanh, Init::LecunNormal, f64::sqrt(sigma_w2), 0.3), &[1, 2, 3], 0.10);
    }
}

/// Schoenholz et al.'s setting: biases drawn with sigma_b^2 = 0.05.
#[test]
fn tanh_activation_std_matches_wide_networks_with_random_biases() {
    for sigma_w2 in [1.0, 1.76, 3.0] {
        let spec = NetworkSpec { bias_std: 0.05f64.sqrt(), ..spec(Activation::Tanh, Init::LecunNormal, f64::sqrt(sigma_w2), 0.0) };
        assert_act_std_matches(&spec, &[1, 2, 3], 0.10);
    }
    // Without the noise the deep layers of the ordered network shrink
    // well below it: the test tells the two apart.
    let spec = spec(Activation::Tanh, Init::LecunNormal, 1.0, 0.0);
    let quiet = theory_for(&spec, 1.0, 0.0).layers.last().unwrap().act_std.unwrap();
    let noisy = theory_for(&spec, 1.0, 0.05).layers.last().unwrap().act_std.unwrap();
    assert!(noisy > 1.3 * quiet, "{noisy} vs {quiet}");
}

#[test]
fn relu_activation_std_matches_wide_networks() {
    // He init: sigma_w2 = 2 gain^2, so the variance changes by gain^2 per
    // layer. Finite width makes it a product of random factors (about
    // sqrt(5 / 256) = 14% spread each, a random walk over depth with no
    // drift), so this one takes more seeds.
    let seeds: Vec<u64> = (1..=16).collect();
    for gain in [0.8, 1.0, 1.2] {
        assert_act_std_matches(&spec(Activation::Relu, Init::HeNormal, gain, 0.0), &seeds, 0.10);
    }
}

#[test]
fn other_schemes_and_activations_match_too() {
    // xavier-uniform: sigma_w2 differs between the first layer (fan_in 32)
    // and the rest; orthogonal: sigma_w2 = gain^2 min(1, fan_in / fan_out).
    assert_act_std_matches(&spec(Activation::Tanh, Init::XavierUniform, 1.3, 0.1), &[1, 2], 0.10);
    assert_act_std_matches(&spec(Activation::Tanh, Init::Orthogonal, 1.3, 0.1), &[1, 2], 0.10);
    // gelu at He's scale wanders like relu at finite width: more seeds.
    let seeds: Vec<u64> = (1..=16).collect();
    assert_act_std_matches(&spec(Activation::Gelu, Init::HeNormal, 1.0, 0.1), &seeds, 0.10);
    assert_act_std_matches(&spec(Activation::Sin, Init::LecunNormal, 1.5, 0.2), &[1, 2], 0.10);
}

#[test]
fn per_sample_gradient_ratios_match_wide_networks() {
    // One row at a time, with a random logits gradient independent of the
    // forward pass: the per-sample gradient the prediction is for.
    let samples = 32;
    for (activation, init, gain, bias_init) in
        [(Activation::Tanh, Init::LecunNormal, 1.5, 0.0), (Activation::Relu, Init::HeNormal, 1.0, 0.0)]
    {
        let spec = spec(activation, init, gain, bias_init);
        let inputs = gaussian_inputs(samples, 11);
        let report = theory_for(&spec, inputs_second_moment(&inputs), 0.0);
        let mut squares = [0.0; DEPTH + 1];
        let mut rng = EngineRng::seed_from_u64(5);
        for seed in 1..=8 {
            let network = Network::new(&spec, &mut EngineRng::seed_from_u64(seed));
            let mut ws = Workspace::new(&network, 1);
            let mut grads = vec![0.0; network.params.len()];
            for row in inputs.chunks_exact(INPUT_DIM) {
                ws.load_input(row);
                network.forward(&mut ws, Mode::Probe);
                let (_, logits_grad) = ws.logits_and_grad();
                logits_grad.iter_mut().for_each(|g| *g = StandardNormal.sample(&mut rng));
                network.backward(&mut ws, &mut grads);
                for (total, layer) in squares.iter_mut().zip(&network.layers) {
                    *total += grads[layer.weights.clone()].iter().map(|g| g * g).sum::<f64>();
                }
            }
        }
        let output = squares[DEPTH];
        for (k, layer) in report.layers.iter().enumerate() {
            let want = layer.grad_ratio_to_output.expect("finite");
            let got = (squares[k] / output).sqrt();
            let error = got / want - 1.0;
            eprintln!(
                "{} gain {gain}: layer {}: grad ratio predicted {want:.4}, measured {got:.4} ({:+.1}%)",
                activation.name(),
                k + 1,
                100.0 * error
            );
            assert!(error.abs() <= 0.12, "{} layer {}: {got} vs {want}", activation.name(), k + 1);
        }
    }
}

#[test]
fn relu_and_linear_recursions_have_closed_forms() {
    let (q_in, bias_variance) = (0.7, 0.05);
    for gain in [0.8, 1.0, 1.3] {
        let report = theory_for(&spec(Activation::Relu, Init::HeNormal, gain, 0.0), q_in, bias_variance);
        let sigma_w2 = 2.0 * gain * gain;
        let mut variance = sigma_w2 * q_in + bias_variance;
        for layer in &report.layers {
            assert!((layer.variance.unwrap() / variance - 1.0).abs() < 1e-12);
            assert!((layer.chi1.unwrap() - sigma_w2 / 2.0).abs() < 1e-12);
            variance = sigma_w2 * variance / 2.0 + bias_variance;
        }
        assert!((report.chi1.unwrap() - sigma_w2 / 2.0).abs() < 1e-12);

        let report = theory_for(&spec(Activation::Linear, Init::LecunNormal, gain, 0.0), q_in, bias_variance);
        let sigma_w2 = gain * gain;
        let mut variance = sigma_w2 * q_in + bias_variance;
        for layer in &report.layers {
            assert!((layer.variance.unwrap() / variance - 1.0).abs() < 1e-12);
            assert!((layer.act_std.unwrap() - variance.sqrt()).abs() < 1e-12 * variance.sqrt());
            assert!((layer.chi1.unwrap() - sigma_w2).abs() < 1e-12);
            variance = sigma_w2 * variance + bias_variance;
        }
    }
    // He at gain 1: chi_1 = 1, the relu edge; without bias noise every
    // variance is a fixed point.
    let critical = theory_for(&spec(Activation::Relu, Init::HeNormal, 1.0, 0.0), 1.0, 0.0);
    assert_eq!(critical.phase, Some(Phase::Critical));
    assert_eq!(critical.xi_c, None);
    let exploding = theory_for(&spec(Activation::Relu, Init::HeNormal, 1.2, 0.0), 1.0, 0.0);
    assert_eq!((exploding.phase, exploding.q_star), (Some(Phase::Exploding), None));
    let ordered = theory_for(&spec(Activation::Relu, Init::HeNormal, 0.8, 0.0), 1.0, 0.0);
    assert_eq!((ordered.phase, ordered.q_star), (Some(Phase::Ordered), Some(0.0)));
}

#[test]
fn sigma_w2_is_fan_in_times_the_drawn_variance() {
    let (fan_in, fan_out) = (300, 200);
    for init in Init::ALL {
        let Some(predicted) = sigma_w2(init, 1.3, fan_in, fan_out) else {
            assert!(matches!(init, Init::Zeros | Init::Constant));
            continue;
        };
        let mut weights = vec![0.0; fan_in * fan_out];
        init.fill(1.3, fan_in, fan_out, &mut weights, &mut EngineRng::seed_from_u64(3));
        let drawn = fan_in as f64 * weights.iter().map(|w| w * w).sum::<f64>() / weights.len() as f64;
        assert!((drawn / predicted - 1.0).abs() < 0.02, "{}: {drawn} vs {predicted}", init.name());
    }
}

#[test]
fn tanh_edge_of_chaos_is_where_the_papers_put_it() {
    // Schoenholz et al. 2017, fig. 1: sigma_w2 ~ 1.76 at sigma_b2 = 0.05.
    let edge = critical_sigma_w2(Activation::Tanh, 0.01, 0.0, 0.05).unwrap();
    assert!((edge - 1.76).abs() < 0.03, "{edge}");
    // With no bias noise the edge is sigma_w2 = 1 (Poole et al. 2016).
    assert!((critical_sigma_w2(Activation::Tanh, 0.01, 0.0, 0.0).unwrap() - 1.0).abs() < 1e-6);

    let near_below = phase_point(Activation::Tanh, 0.01, 0.0, edge * 0.99, 0.05);
    let near_above = phase_point(Activation::Tanh, 0.01, 0.0, edge * 1.01, 0.05);
    let far_below = phase_point(Activation::Tanh, 0.01, 0.0, 0.5, 0.05);
    let far_above = phase_point(Activation::Tanh, 0.01, 0.0, 4.0, 0.05);
    for point in [near_below, near_above, far_below, far_above] {
        eprintln!(
            "tanh sigma_w2 {:.4}: q* {:.4}, chi1 {:.4}, c* {:.4}, chi_c {:.4}, xi_c {:?}, {}",
            point.sigma_w2,
            point.q_star.unwrap(),
            point.chi1,
            point.c_star.unwrap(),
            point.chi_c.unwrap(),
            point.xi_c,
            point.phase.name()
        );
    }
    let at_edge = phase_point(Activation::Tanh, 0.01, 0.0, edge, 0.05);
    assert!((at_edge.chi1 - 1.0).abs() < 1e-6 && at_edge.phase == Phase::Critical);
    assert!(at_edge.xi_c.is_none_or(|xi| xi > 1000.0), "{at_edge:?}");
    assert_eq!(far_below.phase, Phase::Ordered);
    assert_eq!(far_above.phase, Phase::Chaotic);
    assert_eq!(far_below.c_star, Some(1.0));
    assert!(far_above.c_star.unwrap() < 0.9);
    for near in [near_below, near_above] {
        assert!(near.xi_c.unwrap() > 50.0, "{near:?}");
    }
    for far in [far_below, far_above] {
        assert!(far.xi_c.unwrap() < 10.0, "{far:?}");
    }
    // Slightly off the edge is still critical by the 1% tolerance.
    assert_eq!(near_below.phase, Phase::Critical);
}

#[test]
fn relu_edge_of_chaos_is_sigma_w2_two_for_every_bias() {
    for point in edge_of_chaos(Activation::Relu, 0.01, 0.0, &[0.0, 0.05, 0.3, 1.0]) {
        let edge = point.sigma_w2.unwrap();
        assert!((edge - 2.0).abs() < 1e-6, "sigma_b2 {}: {edge}", point.bias_variance);
    }
    let leaky = critical_sigma_w2(Activation::LeakyRelu, 0.1, 0.0, 0.05).unwrap();
    assert!((leaky - 2.0 / (1.0 + 0.01)).abs() < 1e-6, "{leaky}");
}

#[test]
fn every_activation_has_an_edge() {
    for activation in Activation::ALL {
        let edge = edge_point(activation, 0.01, 0.0, 0.05);
        let sigma_w2 = edge.sigma_w2.unwrap_or_else(|| panic!("{} has an edge", activation.name()));
        let below = phase_point(activation, 0.01, 0.0, sigma_w2 * (1.0 - 1e-6), 0.05);
        let above = phase_point(activation, 0.01, 0.0, sigma_w2 * (1.0 + 1e-6), 0.05);
        eprintln!(
            "{}: edge at sigma_b2 = 0.05: sigma_w2 {sigma_w2:.4} (continuous: {}), chi1 {:.4} -> {:.4}, q* {:?} -> {:?}",
            activation.name(),
            edge.continuous,
            below.chi1,
            above.chi1,
            below.q_star,
            above.q_star
        );
        assert!(below.chi1 < 1.0 && above.chi1 > 1.0);
        if edge.continuous {
            // softplus is off by 0.3% below: its q* diverges there, and its
            // chi_1 approaches 1 only as q* does.
            assert!((below.chi1 - 1.0).abs() <= 0.01 && (above.chi1 - 1.0).abs() <= 0.01, "{}", activation.name());
        } else {
            // Order gives way to explosion: the variance fixed point vanishes.
            assert!(below.q_star.is_some() && above.q_star.is_none(), "{}", activation.name());
        }
    }
}

#[test]
fn inapplicable_networks_get_reasons_not_numbers() {
    let plain = spec(Activation::Tanh, Init::XavierUniform, 1.0, 0.0);
    assert!(applicability(&plain).is_empty());
    let cases = [
        (NetworkSpec { batch_norm: true, ..plain.clone() }, Inapplicable::BatchNorm),
        (NetworkSpec { dropout: 0.2, ..plain.clone() }, Inapplicable::Dropout),
        (
            NetworkSpec {
                inputs: 64,
                image: Some((1, 8, 8)),
                conv: vec![ConvSpec { filters: 4, kernel: 3, pad: 1, pool: false, activation: Activation::Tanh }],
                ..plain.clone()
            },
            Inapplicable::Convolution,
        ),
        (NetworkSpec { init: Init::Zeros, ..plain.clone() }, Inapplicable::DegenerateInit(Init::Zeros)),
        (NetworkSpec { init: Init::Constant, ..plain.clone() }, Inapplicable::DegenerateInit(Init::Constant)),
        (NetworkSpec { hidden: Vec::new(), ..plain.clone() }, Inapplicable::NoHiddenLayers),
    ];
    for (spec, why) in cases {
        let report = theory_for(&spec, 1.0, 0.0);
        assert!(!report.applies);
        assert_eq!(report.reason, Some(why.to_string()));
        assert!(report.layers.is_empty() && report.phase.is_none() && report.chi1.is_none());
    }
    let report = theory_for(&plain, f64::NAN, 0.0);
    assert!(!report.applies && report.reason.unwrap().contains("second moment"));
}

#[test]
fn reports_serialise_to_valid_json() {
    let critical = theory_for(&spec(Activation::Relu, Init::HeNormal, 1.0, 0.0), 1.0, 0.0);
    let text = serde_json::to_string_pretty(&critical).unwrap();
    assert!(text.contains("\"phase\": \"critical\"") && text.contains("\"xi_c\": null"), "{text}");
    // serde_json's default parser may miss a float's last bit: compare
    // what it reads from the file both ways.
    let back: TheoryReport = serde_json::from_str(&text).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), serde_json::from_str::<serde_json::Value>(&text).unwrap());
    // A relu network whose signal overflows keeps a valid file.
    let huge = theory_for(
        &NetworkSpec { hidden: vec![(WIDTH, Activation::Relu); 60], ..spec(Activation::Relu, Init::Normal, 1.0, 0.0) },
        1.0,
        0.0,
    );
    assert_eq!(huge.phase, Some(Phase::Exploding));
    assert!(huge.layers.last().unwrap().act_std.is_none());
    let text = serde_json::to_string(&huge).unwrap();
    let back: TheoryReport = serde_json::from_str(&text).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), serde_json::from_str::<serde_json::Value>(&text).unwrap());
}

#[test]
fn the_probes_of_the_labs_own_runs_match() {
    // Two input features: the rows' second moments spread widely (points
    // at every radius), which is why a run's theory follows each row.
    let seeds = 6;
    for (activation, init, gain) in [(Activation::Tanh, Init::LecunNormal, 2.0), (Activation::Relu, Init::HeNormal, 1.0)] {
        let mut config = Config::default();
        config.data.dataset = DatasetKind::Spiral;
        config.data.samples = 600;
        config.network.hidden = vec![WIDTH; 6];
        config.network.activation = activation;
        config.network.init = init;
        config.network.gain = gain;
        config.network.bias_init = 0.1;
        let mut variances = vec![0.0; 6];
        let mut report = None;
        for seed in 1..=seeds {
            config.seed = seed;
            let trainer = Trainer::new(config.clone()).unwrap();
            report.get_or_insert_with(|| theory_for_run(&config, trainer.data()));
            for (total, layer) in variances.iter_mut().zip(&trainer.latest().layers) {
                *total += layer.act_std * layer.act_std / seeds as f64;
            }
        }
        let report = report.unwrap();
        assert_eq!(report.input_rows, 256);
        for (k, (layer, variance)) in report.layers.iter().zip(&variances).enumerate() {
            let (want, got) = (layer.act_std.unwrap(), variance.sqrt());
            eprintln!(
                "spiral {} {} gain {gain}: layer {}: predicted {want:.4}, probe {got:.4} ({:+.1}%)",
                activation.name(),
                init.name(),
                k + 1,
                100.0 * (got / want - 1.0)
            );
            assert!((got / want - 1.0).abs() <= 0.10, "layer {}: {got} vs {want}", k + 1);
        }
    }
}

#[test]
fn following_rows_agrees_with_one_second_moment_when_rows_agree() {
    let spec = spec(Activation::Tanh, Init::LecunNormal, 1.4, 0.2);
    let row: Vec<f64> = (0..INPUT_DIM).map(|j| if j % 2 == 0 { 1.2 } else { -0.4 }).collect();
    let rows: Vec<f64> = row.iter().copied().cycle().take(5 * INPUT_DIM).collect();
    let per_row = theory_for_inputs(&spec, &rows, 0.05);
    let single = theory_for(&spec, inputs_second_moment(&row), 0.05);
    assert_eq!(per_row.input_rows, 5);
    for (a, b) in per_row.layers.iter().zip(&single.layers) {
        for (x, y) in [(a.act_std, b.act_std), (a.chi1, b.chi1), (a.grad_ratio_to_output, b.grad_ratio_to_output), (a.q, b.q)] {
            assert!((x.unwrap() - y.unwrap()).abs() < 1e-12 * y.unwrap().abs().max(1.0));
        }
    }
    let ragged = theory_for_inputs(&spec, &rows[1..], 0.05);
    assert!(!ragged.applies && ragged.layers.is_empty(), "{ragged:?}");
}

#[test]
fn a_run_config_gets_its_theory() {
    let config = Config::default();
    let data = Dataset::build(&config.data, config.training.loss, config.seed).unwrap();
    let report = theory_for_run(&config, &data);
    assert!(report.applies, "{:?}", report.reason);
    assert_eq!(report.layers.len(), config.network.hidden.len());
    let rows = data.train.len().min(256);
    assert_eq!(report.input_rows, rows);
    let q_in = inputs_second_moment(&data.train.inputs[..rows * data.input_dim]);
    assert!((report.inputs_second_moment / q_in - 1.0).abs() < 1e-12);
    // The default preset: xavier-uniform tanh on two inputs.
    let expected_first = sigma_w2(Init::XavierUniform, 1.0, data.input_dim, config.network.hidden[0]).unwrap();
    assert_eq!(report.layers[0].sigma_w2, expected_first);
}

#[test]
fn a_runs_theory_uses_its_bias_noise() {
    let mut config = Config::default();
    config.network.bias_std = 0.3;
    let data = Dataset::build(&config.data, config.training.loss, config.seed).unwrap();
    let report = theory_for_run(&config, &data);
    assert!((report.bias_variance - 0.09).abs() < 1e-15, "{}", report.bias_variance);
    config.network.bias_std = 0.0;
    assert_eq!(theory_for_run(&config, &data).bias_variance, 0.0);
}
