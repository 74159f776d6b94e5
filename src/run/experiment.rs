//! Saved experiments: one file holding a run's config, data, weights,
//! optimiser state and history, from which training resumes exactly.
//!
//! The file is a line of text naming the format and its version, then the
//! state in postcard (a compact binary serde format that keeps every f64
//! bit, NaN and infinity included, which JSON cannot).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Run;
use crate::config::{ConfigError, load_config_text};
use crate::train::TrainerState;

/// What the file holds after its header line: the config as TOML text,
/// then the state of every replica (one for a single run).
#[derive(Serialize, Deserialize)]
struct Saved {
    config: String,
    states: Vec<TrainerState>,
}

const MAGIC: &str = "emergence-lab experiment";
/// Version 2: a split's inputs may be grey levels (MNIST), and Adam's
/// epsilon is a setting.
pub const FORMAT_VERSION: u32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    #[error("cannot read {0}")]
    Read(#[source] crate::files::ReadError),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not an Emergence Lab experiment file")]
    NotAnExperiment { path: String },
    #[error("{path} was saved in format version {found}; this build reads version {FORMAT_VERSION}")]
    WrongVersion { path: String, found: String },
    #[error("{path} is truncated or corrupt: {message}")]
    Corrupt { path: String, message: String },
    #[error("{path} is corrupt: {source}")]
    Encoding {
        path: String,
        #[source]
        source: postcard::Error,
    },
    #[error("{path}: {source}")]
    Config {
        path: String,
        #[source]
        source: Box<ConfigError>,
    },
    #[error("{path} cannot be resumed: {source}")]
    Unusable {
        path: String,
        #[source]
        source: crate::train::RestoreError,
    },
}

/// The bytes of a saved experiment: every replica of a run.
pub fn to_bytes(run: &Run) -> Vec<u8> {
    let mut bytes = format!("{MAGIC} v{FORMAT_VERSION}\n").into_bytes();
    let saved = Saved { config: run.config().to_toml(), states: run.states() };
    bytes.extend_from_slice(&postcard::to_allocvec(&saved).expect("a trainer state always serialises"));
    bytes
}

/// Restores the run of a saved experiment; `path` names the file in
/// errors.
pub fn from_bytes(bytes: &[u8], path: &str) -> Result<Run, ExperimentError> {
    let path = path.to_string();
    let newline = bytes.iter().position(|&b| b == b'\n').filter(|&n| n < 64);
    let (header, body) = match newline {
        Some(n) => (String::from_utf8_lossy(&bytes[..n]).into_owned(), &bytes[n + 1..]),
        None => return Err(ExperimentError::NotAnExperiment { path }),
    };
    let Some(version) = header.strip_prefix(MAGIC).map(str::trim) else {
        return Err(ExperimentError::NotAnExperiment { path });
    };
    if version != format!("v{FORMAT_VERSION}") {
        return Err(ExperimentError::WrongVersion { path, found: version.trim_start_matches('v').to_string() });
    }
    let (saved, rest): (Saved, &[u8]) =
        postcard::take_from_bytes(body).map_err(|source| ExperimentError::Encoding { path: path.clone(), source })?;
    if !rest.is_empty() {
        return Err(ExperimentError::Corrupt { path, message: format!("{} bytes after the end", rest.len()) });
    }
    let config = load_config_text(&saved.config, "its config", &[])
        .map_err(|source| ExperimentError::Config { path: path.clone(), source: Box::new(source) })?;
    if saved.states.len() > crate::config::Limits::REPLICAS.1 {
        return Err(ExperimentError::Corrupt { path, message: format!("it holds {} networks", saved.states.len()) });
    }
    Run::restore(&config, saved.states).map_err(|source| ExperimentError::Unusable { path, source })
}

pub fn save(run: &Run, path: &Path) -> Result<(), ExperimentError> {
    std::fs::write(path, to_bytes(run)).map_err(|source| ExperimentError::Write { path: path.to_path_buf(), source })
}

pub fn load(path: &Path) -> Result<Run, ExperimentError> {
    let bytes = crate::files::read_capped(path, MAX_EXPERIMENT_BYTES).map_err(ExperimentError::Read)?;
    from_bytes(&bytes, &path.display().to_string())
}

/// The largest experiment file read: the data and every replica's state
/// of the largest runs take a few hundred megabytes.
pub const MAX_EXPERIMENT_BYTES: u64 = 1 << 30;

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};

    use super::*;
    use crate::config::{ConfigSource, load_config};
    use crate::rng::EngineRng;
    use crate::train::TrainerState;

    fn saved_run() -> Run {
        let overrides: Vec<String> =
            ["network.batch_norm=true", "network.dropout=0.1", "replicas.count=2", "training.optimizer=adam", "training.log_every=5"]
                .map(String::from)
                .to_vec();
        let config = load_config(&ConfigSource::Preset("deep-spiral".into()), &overrides).unwrap();
        let mut run = Run::new(config).unwrap();
        run.run(60);
        run
    }

    /// Whatever loads must also train, probe and be measured.
    fn exercise(mut run: Run) {
        run.run(3);
        run.measure();
        run.probe_stale();
    }

    /// Random byte changes anywhere in a saved file, many seeds: every
    /// outcome is a loaded run that works or an error, never a panic.
    #[test]
    fn randomly_corrupted_files_never_panic() {
        let good = to_bytes(&saved_run());
        let mut rng = EngineRng::seed_from_u64(42);
        let (mut loaded, mut refused) = (0, 0);
        for _ in 0..600 {
            let mut bytes = good.clone();
            for _ in 0..rng.random_range(1..6) {
                let at = rng.random_range(0..bytes.len());
                match rng.random_range(0..4) {
                    0 => bytes[at] = rng.random(),
                    1 => bytes[at] ^= 1 << rng.random_range(0..8),
                    2 => bytes.truncate(at.max(1)),
                    _ => bytes.insert(at, rng.random()),
                }
            }
            match from_bytes(&bytes, "fuzzed.emlab") {
                Ok(run) => {
                    loaded += 1;
                    exercise(run);
                }
                Err(error) => {
                    refused += 1;
                    assert!(error.to_string().contains("fuzzed.emlab"), "{error}");
                }
            }
        }
        assert!(refused > 0 && loaded + refused == 600);
    }

    /// Every field of a saved state, made inconsistent on purpose: each is
    /// an error before use.
    #[test]
    fn every_inconsistent_field_is_refused() {
        let run = saved_run();
        let config = run.config().to_toml();
        let state = run.main().snapshot();
        type Mutation = Box<dyn Fn(&mut TrainerState)>;
        let mutations: Vec<(&str, Mutation)> = vec![
            ("weights range", Box::new(|s| s.network.layers[0].weights.end += 1)),
            ("bias range", Box::new(|s| s.network.layers[1].bias = 0..3)),
            ("layer width", Box::new(|s| s.network.layers[0].outputs += 1)),
            (
                "too few parameters",
                Box::new(|s| {
                    s.network.params.pop();
                }),
            ),
            (
                "running mean",
                Box::new(|s| {
                    s.network.layers[0].batch_norm.as_mut().unwrap().running_mean.pop();
                }),
            ),
            ("running variance", Box::new(|s| s.network.layers[2].batch_norm.as_mut().unwrap().running_var.push(1.0))),
            ("batch norm removed", Box::new(|s| s.network.layers[0].batch_norm = None)),
            ("activation", Box::new(|s| s.network.layers[0].activation = crate::nn::Activation::Sin)),
            ("dropout rate", Box::new(|s| s.network.layers[0].dropout = 0.5)),
            ("input width", Box::new(|s| s.data.input_dim = 3)),
            ("target width", Box::new(|s| s.data.target_dim = 2)),
            (
                "training inputs",
                Box::new(|s| {
                    let crate::data::Inputs::Dense(inputs) = &mut s.data.train.inputs else { panic!("points are numbers") };
                    inputs.pop();
                }),
            ),
            (
                "test targets",
                Box::new(|s| {
                    s.data.test.targets.push(0.0);
                }),
            ),
            (
                "points",
                Box::new(|s| {
                    s.data.train.points.pop();
                }),
            ),
            ("label", Box::new(|s| s.data.train.labels[0] = 7.0)),
            ("nan input", Box::new(|s| s.data.test.inputs = crate::data::Inputs::Dense(vec![f64::NAN; s.data.test.inputs.len()]))),
            (
                "grey scale",
                Box::new(|s| s.data.test.inputs = crate::data::Inputs::Grey { levels: vec![0; s.data.test.inputs.len()], full_scale: 0.0 }),
            ),
            (
                "empty test set",
                Box::new(|s| {
                    s.data.test.labels.clear();
                    s.data.test.inputs = crate::data::Inputs::Dense(Vec::new());
                    s.data.test.targets.clear();
                    s.data.test.points.clear();
                }),
            ),
            ("cursor", Box::new(|s| s.cursor = s.data.train.len() + 1)),
            ("step", Box::new(|s| s.step = u64::MAX)),
            ("replica", Box::new(|s| s.replica = 1 << 20)),
            ("previous parameters", Box::new(|s| s.previous_params = vec![0.0; 3])),
            ("optimizer", Box::new(|s| s.optimizer = crate::nn::Optimizer::new(s.optimizer.settings, 5))),
            (
                "history",
                Box::new(|s| {
                    let mut h = crate::train::History::default();
                    h.push(crate::train::ProbeRecord {
                        step: 0,
                        train_loss: 0.0,
                        test_loss: 0.0,
                        train_acc: None,
                        test_acc: None,
                        layers: Vec::new(),
                    });
                    s.history = h;
                }),
            ),
            (
                "settling",
                Box::new(|s| {
                    s.settling = {
                        let mut t = crate::train::Settling::default();
                        t.observe(0, 2, &[(&[0.0; 6], 3)]);
                        t
                    }
                }),
            ),
            (
                "divergence layer",
                Box::new(|s| {
                    s.diverged = Some(crate::train::Divergence { step: 1, layer: Some(99), what: crate::train::NonFinite::Weight })
                }),
            ),
        ];
        for (name, mutate) in mutations {
            let mut broken = state.clone();
            mutate(&mut broken);
            let saved = Saved { config: config.clone(), states: vec![broken] };
            let mut bytes = format!("{MAGIC} v{FORMAT_VERSION}\n").into_bytes();
            bytes.extend_from_slice(&postcard::to_allocvec(&saved).unwrap());
            match from_bytes(&bytes, "edited.emlab") {
                Ok(_) => panic!("{name}: an inconsistent file loaded"),
                Err(error) => assert!(error.to_string().contains("edited.emlab"), "{name}: {error}"),
            }
        }
    }
}
