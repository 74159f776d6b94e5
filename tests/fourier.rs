//! Fourier features emerge in a real run of modular addition: the neurons'
//! incoming weights concentrate on single frequencies as training proceeds.

use emergence_lab::analysis::fourier::{fourier_progress, frequency_ablation, logit_spectrum};
use emergence_lab::config::{ConfigSource, load_config};
use emergence_lab::data::InputPlane;
use emergence_lab::train::Trainer;

const MODULUS: usize = 23;
const STEPS: u64 = 600;

/// The grokking preset shrunk to run in seconds in the dev profile: 23
/// residues, 64 neurons, a larger learning rate.
fn small_grokking() -> Trainer {
    let overrides = [
        format!("data.modulus={MODULUS}"),
        "network.hidden=[64]".into(),
        "training.learning_rate=0.01".into(),
        format!("training.steps={STEPS}"),
        "training.log_every=100".into(),
    ];
    Trainer::new(load_config(&ConfigSource::Preset("grokking".into()), &overrides).unwrap()).unwrap()
}

#[test]
fn neurons_concentrate_on_single_frequencies_during_training() {
    let mut trainer = small_grokking();
    assert_eq!(trainer.data().plane, InputPlane::Pairs { modulus: MODULUS });
    let before = fourier_progress(trainer.network(), MODULUS).unwrap();
    assert_eq!(before.neurons, 64);
    trainer.run(STEPS);
    let after = fourier_progress(trainer.network(), MODULUS).unwrap();
    assert!(
        after.median_share > before.median_share + 0.2,
        "median share {:.3} at step 0, {:.3} at step {STEPS}",
        before.median_share,
        after.median_share
    );
    assert!(after.concentrated_neurons > before.concentrated_neurons, "{before:?}\n{after:?}");
    let output = after.output.expect("one hidden layer");
    assert!(output.matching_frequency > 0.5, "neurons write the frequency they read: {output:?}");
    let logits = logit_spectrum(trainer.network(), MODULUS).unwrap();
    let logits_before = logit_spectrum(&small_grokking().network().clone(), MODULUS).unwrap();
    assert!(logits.sum_share() > logits_before.sum_share(), "{logits:?}");
}

#[test]
fn the_ablation_loss_is_the_trainers_training_loss() {
    let mut trainer = small_grokking();
    trainer.run(100);
    let all: Vec<usize> = (1..=MODULUS / 2).collect();
    let ablation = frequency_ablation(trainer.network(), trainer.data(), &all).unwrap();
    let train_loss = trainer.latest().train_loss;
    assert_eq!(trainer.latest().step, 100);
    assert!((ablation.loss - train_loss).abs() < 1e-9, "{} vs {train_loss}", ablation.loss);
    assert!(frequency_ablation(trainer.network(), trainer.data(), &[0]).is_none(), "frequency 0 is no wave");
}
