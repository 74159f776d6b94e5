//! Training reaches the accuracies the presets promise, signal propagation
//! at initialisation matches the literature, divergence is caught, and runs
//! are bit-reproducible.

use emergence_lab::config::{Config, ConfigSource, load_config};
use emergence_lab::train::{NonFinite, StepOutcome, Trainer};

fn preset(name: &str, overrides: &[&str]) -> Config {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    load_config(&ConfigSource::Preset(name.to_string()), &overrides).expect("shipped presets are valid")
}

fn trained(config: Config) -> Trainer {
    let steps = config.training.steps;
    let mut trainer = Trainer::new(config).expect("generated data builds");
    assert_eq!(trainer.run(steps), steps, "diverged: {:?}", trainer.diverged());
    trainer.record_probe();
    trainer
}

fn test_accuracy(trainer: &Trainer) -> f64 {
    trainer.latest().test_acc.expect("a classification task")
}

#[test]
fn playground_default_learns_circle_and_xor() {
    let circle = trained(preset("playground", &[]));
    assert!(test_accuracy(&circle) >= 0.95, "circle: {}", test_accuracy(&circle));
    let xor = trained(preset("playground", &["data.dataset=xor"]));
    assert!(test_accuracy(&xor) >= 0.95, "xor: {}", test_accuracy(&xor));
}

/// Six relu layers of 8 usually fold the plane into the spirals; one seed
/// in a few stalls in a poorer fold, which is why this checks seeds 1 to 5.
#[test]
fn deep_spiral_preset_learns_the_spiral() {
    let accuracies: Vec<f64> = (1..=5).map(|seed| test_accuracy(&trained(preset("deep-spiral", &[&format!("seed={seed}")])))).collect();
    let good = accuracies.iter().filter(|&&a| a >= 0.95).count();
    assert!(good >= 4 && accuracies.iter().all(|&a| a >= 0.8), "spiral, seeds 1 to 5: {accuracies:?}");
}

#[test]
fn loss_falls_for_every_optimizer_and_loss() {
    for optimizer in ["sgd", "momentum", "rmsprop", "adam", "adamw"] {
        for loss in ["mse", "bce", "ce"] {
            let rate = if matches!(optimizer, "sgd" | "momentum") { "0.1" } else { "0.01" };
            let trainer = trained(preset(
                "playground",
                &[
                    &format!("training.optimizer={optimizer}"),
                    &format!("training.loss={loss}"),
                    &format!("training.learning_rate={rate}"),
                    "training.steps=600",
                ],
            ));
            let records = trainer.history().records();
            let (first, last) = (&records[0], records.last().unwrap());
            assert!(last.train_loss < 0.7 * first.train_loss, "{optimizer}/{loss}: {} -> {}", first.train_loss, last.train_loss);
        }
    }
}

#[test]
fn multi_class_and_regression_train() {
    let spiral = trained(preset("multi-spiral", &["training.steps=3000"]));
    assert!(test_accuracy(&spiral) >= 0.85, "3-class spiral: {}", test_accuracy(&spiral));
    let regression = trained(preset("regression", &[]));
    let first = regression.history().records()[0].test_loss;
    assert!(regression.latest().test_loss < first / 5.0, "regression: {first} -> {}", regression.latest().test_loss);
    assert_eq!(regression.latest().test_acc, None);
}

/// Glorot & Bengio 2010: with sigmoid units the gradient shrinks layer by
/// layer toward the input.
#[test]
fn deep_sigmoid_gradients_vanish_toward_the_input() {
    let trainer = Trainer::new(preset("vanishing-gradients", &[])).unwrap();
    let norms: Vec<f64> = trainer.latest().layers.iter().map(|l| l.grad_norm).collect();
    assert_eq!(norms.len(), 11);
    for pair in norms.windows(2) {
        assert!(pair[0] < pair[1], "each layer's gradient is smaller than the next one's: {norms:?}");
    }
    assert!(norms[0] < norms[10] * 1e-4, "ten sigmoid layers lose four orders of magnitude: {norms:?}");
}

/// He et al. 2015: variance 2 / fan_in keeps a relu net's activation scale
/// over 20 layers; Xavier's 2 / (fan_in + fan_out) halves the variance at
/// each layer.
#[test]
fn he_keeps_relu_activation_scale_where_xavier_shrinks_it() {
    let wide = format!("network.hidden=[{}]", ["128"; 20].join(","));
    for seed in ["seed=1", "seed=2"] {
        let std_ratio = |init: &str| {
            let trainer = Trainer::new(preset("deep-relu-he", &[&wide, &format!("network.init={init}"), seed])).unwrap();
            let layers = &trainer.latest().layers;
            layers[19].act_std / layers[1].act_std
        };
        let he = std_ratio("he-normal");
        let xavier = std_ratio("xavier-normal");
        // One finite-width network's scale wanders a little from layer to
        // layer (Hanin & Rolnick 2018), but does not drift by orders of
        // magnitude.
        assert!((0.2..5.0).contains(&he), "he-normal, layer 20 / layer 2 std: {he}");
        // sqrt(1/2)^18 = 0.002
        assert!(xavier < 0.01, "xavier-normal, layer 20 / layer 2 std: {xavier}");
    }
}

/// With a constant init every neuron of a layer computes the same thing and
/// receives the same gradient, so they stay identical through training.
#[test]
fn constant_init_keeps_neurons_identical_forever() {
    let trainer = trained(preset("constant-init", &[]));
    let network = trainer.network();
    for (index, layer) in network.layers.iter().enumerate().take(network.hidden_layers()) {
        let weights = network.weights(index);
        let first_row = &weights[..layer.inputs];
        let moved = first_row.iter().any(|&w| w != 0.5);
        assert!(moved, "layer {index} trained at all");
        for row in weights.chunks_exact(layer.inputs) {
            assert_eq!(row, first_row, "layer {index}: neurons differ");
        }
        let bias = network.bias(index);
        assert!(bias.iter().all(|&b| b == bias[0]));
    }
    let detail = &trainer.latest_detail()[0];
    assert!(detail.unit_mean.iter().all(|&m| m == detail.unit_mean[0]));
}

/// With all-zero weights (and zero biases) hidden layers get no gradient at
/// all: only the output bias can learn.
#[test]
fn zero_init_gives_hidden_layers_no_gradient() {
    let trainer = trained(preset("playground", &["network.init=zeros", "training.steps=200"]));
    assert!(trainer.network().params.iter().enumerate().all(|(i, &p)| {
        let output_bias = trainer.network().layers.last().unwrap().bias.clone();
        output_bias.contains(&i) || p == 0.0
    }));
    assert!(trainer.latest().layers.iter().all(|l| l.grad_norm == 0.0));
}

#[test]
fn exploding_preset_diverges_and_says_where() {
    let mut trainer = Trainer::new(preset("exploding-gradients", &[])).unwrap();
    let taken = trainer.run(2000);
    let divergence = trainer.diverged().expect("the exploding preset must diverge").clone();
    assert_eq!(divergence.step, taken + 1);
    assert!(divergence.step < 100, "it diverges fast: {divergence:?}");
    if divergence.what != NonFinite::Loss {
        assert!(divergence.layer.is_some());
    }
    // A diverged trainer stays stopped, without panicking, and its network
    // holds finite numbers to look at.
    assert_eq!(trainer.step(), StepOutcome::Diverged);
    assert!(trainer.network().params.iter().all(|p| p.is_finite()));
    trainer.record_probe();
}

/// SGD and momentum at a learning rate of 10 on a linear network blow up
/// (each step multiplies the error): the divergence is recorded at the step
/// it happens, the trainer stops, and the network left to look at holds
/// only finite numbers. (RMSprop and Adam bound each step's size, so they
/// wander instead of overflowing.)
#[test]
fn huge_learning_rate_diverges_and_is_caught() {
    for optimizer in ["sgd", "momentum"] {
        let config = preset(
            "playground",
            &["training.learning_rate=10", &format!("training.optimizer={optimizer}"), "network.gain=3", "network.activation=linear"],
        );
        let mut trainer = Trainer::new(config).unwrap();
        let taken = trainer.run(5000);
        let divergence = trainer.diverged().unwrap_or_else(|| panic!("{optimizer}: no divergence in {taken} steps")).clone();
        assert_eq!(divergence.step, taken + 1, "{optimizer}: recorded at the step it happened");
        assert!(!divergence.to_string().is_empty());
        assert!(trainer.network().params.iter().all(|p| p.is_finite()), "{optimizer}: the last finite network is kept");
        assert_eq!(trainer.step(), StepOutcome::Diverged);
    }
}

/// The probe's forward pass has no dropout; its backward pass must not
/// apply dropout masks either (it did, with masks of zeros, and every
/// hidden layer's gradient read exactly 0).
#[test]
fn probes_of_dropout_networks_see_the_real_gradient() {
    let plain = Trainer::new(preset("playground", &["training.steps=0"])).unwrap();
    let dropped = Trainer::new(preset("playground", &["training.steps=0", "network.dropout=0.3"])).unwrap();
    let norms = |t: &Trainer| t.latest().layers.iter().map(|l| l.grad_norm).collect::<Vec<f64>>();
    assert!(norms(&dropped).iter().all(|&g| g > 0.0), "{:?}", norms(&dropped));
    // Dropout draws nothing at initialisation, so the step-0 probes (no
    // dropout) are of the same network and agree exactly.
    assert_eq!(norms(&plain), norms(&dropped));
    assert_eq!(plain.latest_gradients(), dropped.latest_gradients());
}

/// A network whose outputs are not finite has no accuracy: a NaN logit
/// used to count as a guess of class 0 (about 50% "accuracy").
#[test]
fn non_finite_outputs_never_give_an_accuracy() {
    let mut trainer = Trainer::new(preset("exploding-gradients", &["network.dropout=0.5"])).unwrap();
    trainer.run(2000);
    trainer.record_probe();
    assert!(trainer.diverged().is_some());
    for record in trainer.history().records() {
        for (loss, accuracy) in [(record.train_loss, record.train_acc), (record.test_loss, record.test_acc)] {
            let accuracy = accuracy.expect("a classification task");
            assert!(loss.is_finite() || accuracy.is_nan(), "step {}: loss {loss} with accuracy {accuracy}", record.step);
        }
    }
}

/// Batch norm's scale, shift and running statistics are checked like
/// every other number: the run stops at the step one goes non-finite, and
/// what is left (model and statistics) is finite.
#[test]
fn batch_norm_blowups_stop_the_run_where_they_happen() {
    let config = preset("exploding-gradients", &["network.batch_norm=true", "training.learning_rate=10", "training.log_every=1"]);
    let mut trainer = Trainer::new(config).unwrap();
    let taken = trainer.run(300);
    let divergence = trainer.diverged().expect("learning rate 10 with batch norm blows up").clone();
    assert_eq!(divergence.step, taken + 1);
    assert!(divergence.layer.is_some(), "{divergence:?}");
    for layer in &trainer.network().layers {
        if let Some(bn) = &layer.batch_norm {
            assert!(bn.running_mean.iter().chain(&bn.running_var).all(|v| v.is_finite()));
        }
    }
    assert!(trainer.network().params.iter().all(|p| p.is_finite()));
    // Every probe taken before the divergence (one per step) evaluated to
    // finite losses: nothing went non-finite unnoticed for steps on end.
    for record in trainer.history().records().iter().filter(|r| r.step < divergence.step) {
        assert!(record.train_loss.is_finite() && record.test_loss.is_finite(), "step {}: {record:?}", record.step);
    }
}

/// relu keeps NaN a NaN instead of turning it into 0.
#[test]
fn relu_does_not_hide_nan() {
    use emergence_lab::nn::{Activation, Loss};
    assert!(Activation::Relu.apply(f64::NAN, 0.0).is_nan());
    let mut out = [0.0; 3];
    Activation::Relu.forward(&[f64::NAN, -1.0, 2.0], &mut out, 0.0);
    assert!(out[0].is_nan() && out[1] == 0.0 && out[2] == 2.0);
    assert_eq!(Loss::Ce.predicted_class(&[0.1, f64::NAN, 0.3]), None);
    assert_eq!(Loss::Ce.predicted_class(&[0.1, 0.5, 0.3]), Some(1));
    assert!(Loss::Ce.display_value(&[f64::INFINITY, 0.0]).is_nan());
}

#[test]
fn same_config_and_seed_give_a_bit_identical_history() {
    let config = preset("deep-spiral", &["training.steps=500", "network.dropout=0.2", "network.batch_norm=true", "training.log_every=10"]);
    let a = trained(config.clone());
    let b = trained(config.clone());
    assert_eq!(format!("{:?}", a.history()), format!("{:?}", b.history()));
    let bits = |t: &Trainer| t.network().params.iter().map(|p| p.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a), bits(&b));
    let mut other = config;
    other.seed += 1;
    let c = trained(other);
    assert_ne!(bits(&a), bits(&c), "another seed gives another run");
}

#[test]
fn probes_run_at_step_zero_and_every_log_every_steps() {
    let trainer = trained(preset("playground", &["training.steps=100", "training.log_every=30"]));
    let steps: Vec<u64> = trainer.history().records().iter().map(|r| r.step).collect();
    assert_eq!(steps, vec![0, 30, 60, 90, 100]);
    let first = &trainer.history().records()[0];
    assert!(first.layers.iter().all(|l| l.update_ratio == 0.0 && l.grad_norm > 0.0));
    assert!(trainer.history().records()[1].layers.iter().all(|l| l.update_ratio > 0.0));
}

/// A learning rate far too large kills relu units (zero on every probe
/// point, so no gradient ever revives them); a sane one keeps them alive.
#[test]
fn too_large_a_learning_rate_kills_relus() {
    let dead = |trainer: &Trainer| trainer.latest().layers[..3].iter().map(|l| l.dead_frac).fold(0.0, f64::max);
    let killed = trained(preset("dead-relus", &[]));
    assert!(dead(&killed) >= 0.75, "dead fraction {}", dead(&killed));
    let healthy = trained(preset("dead-relus", &["training.learning_rate=0.03"]));
    assert!(dead(&healthy) < dead(&killed), "{} vs {}", dead(&healthy), dead(&killed));
    assert!(test_accuracy(&healthy) > test_accuracy(&killed));
}

#[test]
fn training_settings_change_in_place() {
    let mut trainer = Trainer::new(preset("playground", &["training.steps=50"])).unwrap();
    trainer.run(50);
    let params = trainer.network().params.clone();
    let mut training = trainer.config().training.clone();
    training.learning_rate = 0.1;
    training.batch_size = 25;
    training.optimizer = emergence_lab::nn::OptimizerKind::Adam;
    trainer.update_training(training);
    assert_eq!(trainer.network().params, params, "the network is kept");
    assert_eq!(trainer.step_count(), 50);
    assert_eq!(trainer.batch_size(), 25);
    let seen = trainer.samples_seen();
    trainer.step();
    assert_eq!(trainer.samples_seen() - seen, 25);
}
