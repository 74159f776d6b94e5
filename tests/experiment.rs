//! Saved experiments: a saved-and-loaded run continues bit-identically, and
//! every kind of bad file gives an error naming it, never a panic.

use emergence_lab::config::{Config, ConfigSource, load_config};
use emergence_lab::run::Run;
use emergence_lab::run::experiment::{self, ExperimentError};
use emergence_lab::train::Trainer;

fn config(overrides: &[&str]) -> Config {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    load_config(&ConfigSource::Preset("deep-spiral".into()), &overrides).unwrap()
}

fn fingerprint(trainer: &Trainer) -> (Vec<u64>, String, u64, u64) {
    (
        trainer.network().params.iter().map(|p| p.to_bits()).collect(),
        format!("{:?}", trainer.history()),
        trainer.samples_seen(),
        trainer.epoch(),
    )
}

#[test]
fn a_saved_and_loaded_run_continues_bit_identically() {
    let settings = config(&[
        "network.dropout=0.2",
        "network.batch_norm=true",
        "training.optimizer=adamw",
        "training.weight_decay=0.01",
        "training.log_every=20",
    ]);
    let mut straight = Run::new(settings.clone()).unwrap();
    straight.run(337);

    let mut first = Run::new(settings).unwrap();
    first.run(137); // mid-epoch, mid-way between probes
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.emlab");
    experiment::save(&first, &path).unwrap();
    let mut resumed = experiment::load(&path).unwrap();
    assert_eq!(resumed.step_count(), 137);
    resumed.run(200);
    assert_eq!(fingerprint(resumed.main()), fingerprint(straight.main()));
}

#[test]
fn a_diverged_run_with_infinities_round_trips() {
    let diverging = load_config(&ConfigSource::Preset("exploding-gradients".into()), &[]).unwrap();
    let mut run = Run::new(diverging).unwrap();
    run.run(100);
    run.probe_stale();
    assert!(run.diverged().is_some());
    let loaded = experiment::from_bytes(&experiment::to_bytes(&run), "mem").unwrap();
    assert_eq!(loaded.diverged(), run.diverged());
    assert_eq!(fingerprint(loaded.main()), fingerprint(run.main()));
}

fn error_of(bytes: &[u8]) -> ExperimentError {
    match experiment::from_bytes(bytes, "bad.emlab") {
        Ok(_) => panic!("a bad file loaded"),
        Err(error) => {
            assert!(error.to_string().contains("bad.emlab"), "{error}");
            error
        }
    }
}

#[test]
fn every_kind_of_bad_file_is_an_error_not_a_panic() {
    let run = Run::new(config(&[])).unwrap();
    let good = experiment::to_bytes(&run);

    assert!(matches!(experiment::load(std::path::Path::new("/no/such/file.emlab")), Err(ExperimentError::Read { .. })));
    assert!(matches!(error_of(b""), ExperimentError::NotAnExperiment { .. }));
    assert!(matches!(error_of(b"seed = 1\n[data]\n"), ExperimentError::NotAnExperiment { .. }));
    assert!(matches!(error_of(&[0u8; 300]), ExperimentError::NotAnExperiment { .. }));

    let next = experiment::FORMAT_VERSION + 1;
    let mut newer = format!("emergence-lab experiment v{next}\n").into_bytes();
    newer.extend_from_slice(&good[good.iter().position(|&b| b == b'\n').unwrap() + 1..]);
    let error = error_of(&newer);
    assert!(matches!(error, ExperimentError::WrongVersion { .. }) && error.to_string().contains(&format!("version {next}")), "{error}");

    for cut in [good.len() / 2, good.len() - 1, 40] {
        assert!(matches!(error_of(&good[..cut]), ExperimentError::Corrupt { .. } | ExperimentError::Encoding { .. }), "cut at {cut}");
    }
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"junk");
    assert!(matches!(error_of(&trailing), ExperimentError::Corrupt { .. }));

    // Flipping bytes in the body never panics (it may still decode to a
    // state that fails the consistency checks, or, rarely, a valid one).
    let header = good.iter().position(|&b| b == b'\n').unwrap() + 1;
    for position in (header..good.len()).step_by(good.len() / 97 + 1) {
        let mut flipped = good.clone();
        flipped[position] ^= 0xA5;
        let _ = experiment::from_bytes(&flipped, "bad.emlab");
    }
}

#[test]
fn a_state_whose_parts_disagree_is_corrupt() {
    let trainer = Trainer::new(config(&[])).unwrap();
    let header = format!("emergence-lab experiment v{}\n", experiment::FORMAT_VERSION).into_bytes();
    // The file's layout: the config as TOML text, then the state.
    let encode = |state: &emergence_lab::train::TrainerState| {
        let mut bytes = header.clone();
        bytes.extend(postcard::to_allocvec(&(state.config.to_toml(), vec![state])).unwrap());
        bytes
    };
    let mut state = trainer.snapshot();
    state.network.params.pop();
    let error = error_of(&encode(&state));
    assert!(error.to_string().contains("network does not fit"), "{error}");

    let mut state = trainer.snapshot();
    state.config.network.hidden.push(3);
    assert!(error_of(&encode(&state)).to_string().contains("network does not fit"));

    let mut state = trainer.snapshot();
    state.config.training.learning_rate = -1.0;
    let error = error_of(&encode(&state));
    // (the file's config text is what is checked)
    assert!(error.to_string().contains("training.learning_rate"), "{error}");

    let mut state = trainer.snapshot();
    state.config.training.optimizer = emergence_lab::nn::OptimizerKind::Momentum;
    assert!(error_of(&encode(&state)).to_string().contains("optimiser"));

    let mut state = trainer.snapshot();
    state.cursor = 100_000;
    assert!(error_of(&encode(&state)).to_string().contains("position"));
}

#[test]
fn every_replica_is_saved_and_restored() {
    let mut run = Run::new(config(&["replicas.count=3"])).unwrap();
    run.run(40);
    let loaded = experiment::from_bytes(&experiment::to_bytes(&run), "mem").unwrap();
    assert_eq!(loaded.replicas().len(), 3);
    for (a, b) in loaded.replicas().iter().zip(run.replicas()) {
        assert_eq!(fingerprint(a), fingerprint(b));
    }
    let mut continued = loaded;
    continued.run(10);
    run.run(10);
    for (a, b) in continued.replicas().iter().zip(run.replicas()) {
        assert_eq!(fingerprint(a), fingerprint(b), "each replica continues exactly");
    }
}
