//! Real images: the handwritten digits with a perceptron and with a small
//! convolutional network reach the accuracies their presets promise, and
//! the command line writes a confusion matrix.

use emergence_lab::config::{ConfigSource, load_config};
use emergence_lab::report::confusion_matrix;
use emergence_lab::train::Trainer;

fn trained(preset: &str) -> Trainer {
    let config = load_config(&ConfigSource::Preset(preset.into()), &[]).unwrap();
    let steps = config.training.steps;
    let mut trainer = Trainer::new(config).unwrap();
    assert_eq!(trainer.run(steps), steps);
    trainer.record_probe();
    trainer
}

#[test]
fn the_perceptron_reaches_95_percent() {
    let trainer = trained("digits-mlp");
    let accuracy = trainer.latest().test_acc.unwrap();
    assert!(accuracy >= 0.95, "digits-mlp: {accuracy}");
}

#[test]
fn the_convolutional_network_reaches_97_percent() {
    let trainer = trained("digits-cnn");
    let accuracy = trainer.latest().test_acc.unwrap();
    assert!(accuracy >= 0.97, "digits-cnn: {accuracy}");
    let confusion = confusion_matrix(trainer.network(), trainer.data(), &trainer.data().test).unwrap();
    let total: u32 = confusion.iter().flatten().sum();
    let correct: u32 = (0..10).map(|c| confusion[c][c]).sum();
    assert_eq!(total as usize, trainer.data().test.len());
    assert!((f64::from(correct) / f64::from(total) - accuracy).abs() < 1e-12);
}

#[test]
fn augmentation_trains_and_changes_the_run() {
    let plain = load_config(&ConfigSource::Preset("digits-mlp".into()), &["training.steps=300".into()]).unwrap();
    let mut augmented = plain.clone();
    augmented.data.augment = true;
    let (mut a, mut b) = (Trainer::new(plain).unwrap(), Trainer::new(augmented).unwrap());
    a.run(300);
    b.run(300);
    assert_ne!(a.network().params, b.network().params);
    assert!(b.latest().test_acc.unwrap() > 0.8);
}

#[test]
fn the_command_line_writes_pixels_and_a_confusion_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("digits");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_emergence-lab"))
        .args(["run", "--preset", "digits-cnn", "--steps", "100", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let confusion = std::fs::read_to_string(out.join("confusion.csv")).unwrap();
    assert_eq!(confusion.lines().count(), 11);
    let train = std::fs::read_to_string(out.join("data_train.csv")).unwrap();
    assert!(train.starts_with("p0,p1,"));
    assert_eq!(train.lines().next().unwrap().split(',').count(), 65);
    let model: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("model.json")).unwrap()).unwrap();
    assert_eq!(model["layers"][0]["kind"], "conv");
    assert_eq!(model["layers"][1]["kind"], "max-pool");
    assert_eq!(model["layers"][0]["weights"].as_array().unwrap().len(), 8);
    assert_eq!(model["layers"][0]["weights"][0].as_array().unwrap().len(), 9);
}

#[test]
fn convolutions_on_point_data_are_refused() {
    let error = load_config(&ConfigSource::Preset("playground".into()), &["network.conv=[{filters = 4}]".into()]).unwrap_err().to_string();
    assert!(error.contains("network.conv") && error.contains("digits"), "{error}");
    let error = load_config(&ConfigSource::Preset("digits-cnn".into()), &["network.conv=[{kernel = 4}]".into()]).unwrap_err().to_string();
    assert!(error.contains("network.conv[0].kernel = 4"), "{error}");
    let too_small = "network.conv=[{kernel = 5, padding = \"valid\", pool = true}, {kernel = 3, padding = \"valid\"}]";
    let error = load_config(&ConfigSource::Preset("digits-cnn".into()), &[too_small.into()]).unwrap_err().to_string();
    assert!(error.contains("network.conv[1].kernel"), "{error}");
}
