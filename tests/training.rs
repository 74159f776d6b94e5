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

#[test]
fn deep_spiral_preset_learns_the_spiral() {
    let spiral = trained(preset("deep-spiral", &[]));
    assert!(test_accuracy(&spiral) >= 0.90, "spiral: {}", test_accuracy(&spiral));
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

#[test]
fn huge_learning_rate_is_caught_not_panicked() {
    for optimizer in ["sgd", "momentum", "rmsprop"] {
        let config = preset("playground", &["training.learning_rate=10", &format!("training.optimizer={optimizer}"), "network.gain=3"]);
        let mut trainer = Trainer::new(config).unwrap();
        trainer.run(5000);
        if let Some(divergence) = trainer.diverged() {
            assert!(divergence.step >= 1);
            assert!(!divergence.to_string().is_empty());
        }
    }
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
