//! Saved experiments: one file holding a run's config, data, weights,
//! optimiser state and history, from which training resumes exactly.
//!
//! The file is a line of text naming the format and its version, then the
//! state in postcard (a compact binary serde format that keeps every f64
//! bit, NaN and infinity included, which JSON cannot).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::load_config_text;
use crate::train::{Trainer, TrainerState};

/// What the file holds after its header line: the config as TOML text,
/// then the state of every replica (one for a single run).
#[derive(Serialize, Deserialize)]
struct Saved {
    config: String,
    states: Vec<TrainerState>,
}

const MAGIC: &str = "emergence-lab experiment";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("cannot write {path}: {message}")]
    Write { path: String, message: String },
    #[error("{path} is not an Emergence Lab experiment file")]
    NotAnExperiment { path: String },
    #[error("{path} was saved in format version {found}; this build reads version {FORMAT_VERSION}")]
    WrongVersion { path: String, found: String },
    #[error("{path} is truncated or corrupt: {message}")]
    Corrupt { path: String, message: String },
}

/// The bytes of a saved experiment: every replica of a run.
pub fn to_bytes(trainers: &[Trainer]) -> Vec<u8> {
    let mut bytes = format!("{MAGIC} v{FORMAT_VERSION}\n").into_bytes();
    let states: Vec<TrainerState> = trainers.iter().map(Trainer::snapshot).collect();
    let config = trainers.first().map(|t| t.config().to_toml()).unwrap_or_default();
    let saved = Saved { config, states };
    bytes.extend_from_slice(&postcard::to_allocvec(&saved).expect("a trainer state always serialises"));
    bytes
}

/// Restores the replicas of a saved experiment; `path` names the file in
/// errors.
pub fn from_bytes(bytes: &[u8], path: &str) -> Result<Vec<Trainer>, ExperimentError> {
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
        postcard::take_from_bytes(body).map_err(|e| ExperimentError::Corrupt { path: path.clone(), message: e.to_string() })?;
    if !rest.is_empty() {
        return Err(ExperimentError::Corrupt { path, message: format!("{} bytes after the end", rest.len()) });
    }
    let config = load_config_text(&saved.config, "its config", &[])
        .map_err(|e| ExperimentError::Corrupt { path: path.clone(), message: e.to_string() })?;
    if saved.states.is_empty() {
        return Err(ExperimentError::Corrupt { path, message: "it holds no network".into() });
    }
    saved
        .states
        .into_iter()
        .map(|mut state| {
            // Replicas may differ in their initialisation only.
            state.config = config.clone();
            let replica = state.replica as usize;
            if !config.replicas.inits.is_empty() {
                state.config.network.init = config.replicas.inits[replica % config.replicas.inits.len()];
            }
            Trainer::restore(state).map_err(|message| ExperimentError::Corrupt { path: path.clone(), message })
        })
        .collect()
}

pub fn save(trainers: &[Trainer], path: &Path) -> Result<(), ExperimentError> {
    std::fs::write(path, to_bytes(trainers))
        .map_err(|e| ExperimentError::Write { path: path.display().to_string(), message: e.to_string() })
}

pub fn load(path: &Path) -> Result<Vec<Trainer>, ExperimentError> {
    let bytes = std::fs::read(path).map_err(|e| ExperimentError::Read { path: path.display().to_string(), message: e.to_string() })?;
    from_bytes(&bytes, &path.display().to_string())
}
