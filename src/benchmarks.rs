//! The training-step benchmarks, shared by `cargo bench` and the web page's
//! `?bench` mode so both measure the same thing: one `Trainer::step` on the
//! networks TensorFlow Playground's engine was measured on (2-4-2-1 and
//! 2-8x6-1 tanh, circle data, batch 10, squared error, sgd at 0.03); and a
//! fingerprint of a run's weights, to compare platforms bit for bit.

use web_time::{Duration, Instant};

use crate::config::{Config, ConfigSource, load_config};
use crate::run::Run;
use crate::train::Trainer;

/// The two Playground networks: name and hidden widths.
pub const PLAYGROUND_NETWORKS: [(&str, &str); 2] = [("2-4-2-1", "[4, 2]"), ("2-8x6-1", "[8, 8, 8, 8, 8, 8]")];

/// The Playground benchmark's config for these hidden widths (TOML).
pub fn playground_config(hidden: &str) -> Config {
    let overrides = [
        format!("network.hidden={hidden}"),
        "network.activation=tanh".to_string(),
        "training.loss=mse".to_string(),
        "training.optimizer=sgd".to_string(),
        "training.learning_rate=0.03".to_string(),
        "training.batch_size=10".to_string(),
        // No probes inside the measured steps.
        "training.log_every=10000000".to_string(),
    ];
    load_config(&ConfigSource::Preset("playground".into()), &overrides).expect("the benchmark config is valid")
}

/// Training samples per second over at least `duration`, best of three
/// rounds (a browser's timer and scheduler are noisy).
pub fn samples_per_second(config: Config, duration: Duration) -> f64 {
    let mut trainer = Trainer::new(config).expect("generated data builds");
    let batch = trainer.batch_size() as f64;
    let mut best = 0.0f64;
    for _ in 0..3 {
        let started = Instant::now();
        let mut steps = 0u64;
        while started.elapsed() < duration / 3 {
            for _ in 0..1000 {
                trainer.step();
            }
            steps += 1000;
        }
        best = best.max(steps as f64 * batch / started.elapsed().as_secs_f64());
    }
    best
}

/// A fingerprint of a run's weights after `steps` steps: FNV-1a over the
/// bits of every parameter. Equal on two platforms means bit-identical.
pub fn fingerprint(config: Config, steps: u64) -> String {
    let mut run = Run::new(config).expect("generated data builds");
    run.run(steps);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in run.main().network().params.iter().flat_map(|p| p.to_bits().to_le_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// The runs whose fingerprints the web page reports.
pub fn fingerprint_cases() -> Vec<(&'static str, Config, u64)> {
    let preset = |name: &str, overrides: &[&str]| {
        let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
        load_config(&ConfigSource::Preset(name.into()), &overrides).expect("a shipped preset")
    };
    vec![
        ("playground", preset("playground", &[]), 500),
        ("deep-spiral with dropout", preset("deep-spiral", &["network.dropout=0.1"]), 300),
        ("grokking, p = 23", preset("grokking", &["data.modulus=23", "network.hidden=[32]"]), 100),
    ]
}
