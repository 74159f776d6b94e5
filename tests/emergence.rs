//! Emergence and homogenisation on real runs: grokking's delay, replicas
//! that agree without sharing weights, constant init's perfect homogeneity,
//! features that settle.

use emergence_lab::analysis::emergence::{FIT_ACCURACY, emergence_report, fit_moments};
use emergence_lab::config::{Config, ConfigSource, load_config};
use emergence_lab::run::Run;
use emergence_lab::train::Trainer;

fn preset(name: &str, overrides: &[&str]) -> Config {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    load_config(&ConfigSource::Preset(name.to_string()), &overrides).unwrap()
}

/// The grokking preset with a reduced budget (a narrower network, a larger
/// learning rate, 2,000 steps): the training set is fitted long before the
/// test set follows. The full preset's figures are in the README.
#[test]
fn grokking_test_accuracy_lags_training_accuracy() {
    let config =
        preset("grokking", &["network.hidden=[128]", "training.learning_rate=0.01", "training.weight_decay=0.5", "training.steps=2000"]);
    let mut trainer = Trainer::new(config).unwrap();
    trainer.run(2000);
    let records = trainer.history().records();
    let moments = fit_moments(trainer.history(), FIT_ACCURACY);
    let fitted = moments.train_step.expect("the training pairs are fitted");
    assert!(fitted <= 500, "train fitted at {fitted}");
    let test_then = records.iter().find(|r| r.step == fitted).unwrap().test_acc.unwrap();
    assert!(test_then < 0.1, "test accuracy when the training set was fitted: {test_then}");
    let half = records.iter().find(|r| r.test_acc.unwrap() >= 0.5).map(|r| r.step).expect("the test set follows");
    assert!(half >= 3 * fitted, "test accuracy reached 50% at {half}, training 95% at {fitted}");
}

#[test]
fn replicas_agree_on_predictions_but_not_on_raw_weights() {
    let mut run = Run::new(preset("homogenisation", &[])).unwrap();
    run.run(3000);
    let report = run.measure().clone();
    assert_eq!(report.replicas, 4);
    for i in 0..4 {
        assert_eq!(report.agreement[i][i], Some(1.0), "a network agrees with itself");
        assert_eq!(report.cka[0][i][i].map(|c| (c * 1e9).round() / 1e9), Some(1.0));
    }
    let summary = report.summary();
    let (agreement, chance) = (summary.agreement.unwrap(), summary.agreement_chance.unwrap());
    assert!(agreement > 0.8 && agreement > chance + 0.2, "{summary:?}");
    let (raw, matched) = (summary.weight_cosine.unwrap(), summary.weight_cosine_matched.unwrap());
    assert!(raw.abs() < 0.3, "{summary:?}");
    assert!(matched > raw + 0.1, "matching aligns: {summary:?}");
    // Matching alone lifts the cosine of independent networks well above 0
    // (0.41 here): the trained replicas' matched cosine (0.34) is no higher,
    // so they agree on predictions without sharing weights.
    let matched_chance = summary.weight_cosine_matched_chance.unwrap();
    assert!(matched_chance > 0.15, "{summary:?}");
    assert!(matched < matched_chance + 0.1, "{summary:?}");
    assert!(summary.cka[0].unwrap() > summary.cka[1].unwrap(), "the first layer is the most alike: {summary:?}");
    assert!(summary.cka[0].unwrap() > summary.cka_chance[0].unwrap(), "{summary:?}");
    assert!(report.ood_agreement.is_some());
    assert_eq!(run.homogeneity_history().first().map(|h| h.step), Some(0));
    // Replicas really are different runs.
    let (a, b) = (&run.replicas()[0], &run.replicas()[1]);
    assert_ne!(a.network().params, b.network().params);
    assert_eq!(a.data(), b.data());
}

#[test]
fn constant_init_gives_within_layer_homogeneity_one() {
    let mut run = Run::new(preset("constant-init", &["replicas.count=2", "training.steps=300"])).unwrap();
    run.run(300);
    for row in &run.measure().within_layer {
        for &value in row {
            assert!((value.unwrap() - 1.0).abs() < 1e-12, "{row:?}");
        }
    }
    let random = Run::new(preset("playground", &["replicas.count=2"])).unwrap().measure().clone();
    assert!(random.within_layer[0][0].unwrap() < 0.9);
}

#[test]
fn replicas_with_other_inits_use_them() {
    let run = Run::new(preset("deep-relu-he", &["replicas.count=2", "replicas.inits=[\"he-normal\", \"xavier-normal\"]"])).unwrap();
    let inits: Vec<_> = run.replicas().iter().map(|t| t.config().network.init).collect();
    assert_eq!(inits, vec![emergence_lab::nn::Init::HeNormal, emergence_lab::nn::Init::XavierNormal]);
}

#[test]
fn first_layer_features_settle_after_the_fit() {
    let mut trainer = Trainer::new(preset("playground", &["training.steps=4000"])).unwrap();
    trainer.run(4000);
    let report = emergence_report(&trainer);
    let fitted = report.moments.train_step.expect("the circle is fitted");
    let settled = report.layers[0].settled_step.expect("the first layer settles");
    assert!(settled >= fitted / 2 && settled < 4000, "fitted {fitted}, settled {settled}");
    assert!(report.layers[0].neurons.iter().all(Option::is_some));
}
