//! Saving, loading and exporting: experiments (resumable), screenshots,
//! metrics, the model and the config. The engine writes every file's
//! contents; this plugin decides where they go (a folder natively, the
//! browser's downloads on the web: see [`super::platform`]) and reports
//! what happened. A file that cannot be read leaves the session untouched.

use std::path::PathBuf;
use std::sync::Arc;

use bevy::prelude::*;

use super::language::Words;
use super::platform;
use super::schedule::LabSet;
use super::session::{Lab, RunCommand, SavedExperiment};
use crate::i18n::Localizer;
use crate::report::{model_json, write_metrics_csv};
use crate::run::experiment::{self, ExperimentError};
use crate::run::session::Command;
use crate::tr;

/// What the user asked to save, export or load.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum FileRequest {
    SaveExperiment,
    LoadExperiment(PathBuf),
    /// A file the browser handed over (its name, for messages).
    LoadExperimentBytes {
        name: String,
        bytes: Arc<Vec<u8>>,
    },
    /// Ask the browser for a file to load (its file dialog).
    PickExperiment,
    Screenshot,
    ExportMetrics,
    ExportModel,
    ExportConfig,
    /// Where exports go from now on (natively).
    SetTarget {
        folder: PathBuf,
        name: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(transparent)]
    Experiment(#[from] Box<ExperimentError>),
    #[error(transparent)]
    Save(#[from] platform::SaveError),
    #[error("cannot write the metrics: {0}")]
    Csv(#[source] csv::Error),
}

/// Where exports go, and what the last request did.
#[derive(Resource, Debug, Clone)]
pub struct Files {
    pub folder: PathBuf,
    /// The file name stem exports get (with a suffix per kind).
    pub name: String,
    /// What the last request did, for the status in the files window.
    pub status: Option<String>,
    /// An error to show in a dialog until dismissed.
    pub error: Option<String>,
    /// A save was asked of the run; its bytes come back in a later frame.
    saving: bool,
}

impl Default for Files {
    fn default() -> Self {
        Self { folder: PathBuf::from("emergence-lab-exports"), name: "session".into(), status: None, error: None, saving: false }
    }
}

impl Files {
    fn report(&mut self, outcome: Result<String, FileError>, words: &Localizer) {
        match outcome {
            Ok(status) => {
                info!("{status}");
                self.status = Some(status);
            }
            Err(error) => {
                self.status = Some(tr!(words, "app-files-failed", error = error.to_string()));
                self.error = Some(error.to_string());
            }
        }
    }

    fn save(&self, suffix: &str, bytes: &[u8]) -> Result<String, FileError> {
        Ok(platform::save_bytes(&self.folder, &format!("{}{suffix}", self.name), bytes)?)
    }
}

/// A dismissable dialog's worth of text, for the files window.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct DismissFileError;

pub struct FilesPlugin;

impl Plugin for FilesPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Files>()
            .init_resource::<Words>()
            .add_message::<FileRequest>()
            .add_message::<DismissFileError>()
            .add_systems(Update, (take_picked_files, handle_file_requests, write_saved_experiments).chain().in_set(LabSet::ApplyChanges));
    }
}

/// The config that `emergence-lab run --config` replays this session with.
pub fn replay_config(lab: &Lab) -> crate::config::Config {
    let mut config = lab.config.clone();
    config.training.steps = lab.step;
    config
}

fn handle_file_requests(
    mut requests: MessageReader<FileRequest>,
    mut dismissed: MessageReader<DismissFileError>,
    mut files: ResMut<Files>,
    lab: Res<Lab>,
    words: Res<Words>,
    mut run: MessageWriter<RunCommand>,
    mut commands: Commands,
) {
    // Natively a file's place is its path; in the browser, a download's name.
    let place = |place: String| if platform::HAS_FOLDERS { place } else { tr!(words, "app-files-download", name = place) };
    if dismissed.read().count() > 0 {
        files.error = None;
    }
    for request in requests.read() {
        let outcome: Result<String, FileError> = match request {
            FileRequest::SaveExperiment => {
                files.saving = true;
                run.write(RunCommand(Command::Save));
                continue;
            }
            FileRequest::PickExperiment => {
                platform::pick_file();
                continue;
            }
            FileRequest::SetTarget { folder, name } => {
                files.folder.clone_from(folder);
                files.name.clone_from(name);
                continue;
            }
            FileRequest::LoadExperiment(path) => experiment::load(path).map_err(|e| FileError::from(Box::new(e))).map(|loaded| {
                let step = loaded.step_count();
                run.write(RunCommand(Command::Load(Box::new(loaded))));
                tr!(words, "app-files-loaded", name = path.display().to_string(), step = step)
            }),
            FileRequest::LoadExperimentBytes { name, bytes } => {
                experiment::from_bytes(bytes, name).map_err(|e| FileError::from(Box::new(e))).map(|loaded| {
                    let step = loaded.step_count();
                    run.write(RunCommand(Command::Load(Box::new(loaded))));
                    tr!(words, "app-files-loaded", name = name, step = step)
                })
            }
            FileRequest::Screenshot => {
                platform::screenshot(&mut commands, &files.folder, &format!("{}-{}.png", files.name, platform::seconds_now()))
                    .map(|saved| tr!(words, "app-files-screenshot", place = place(saved)))
                    .map_err(FileError::from)
            }
            FileRequest::ExportMetrics => {
                let mut bytes = Vec::new();
                write_metrics_csv(&lab.parts.history, lab.network().layers.len(), &mut bytes)
                    .map_err(FileError::Csv)
                    .and_then(|()| files.save("-metrics.csv", &bytes))
                    .map(|saved| tr!(words, "app-files-metrics", place = place(saved)))
            }
            FileRequest::ExportModel => files
                .save("-model.json", model_json(lab.network(), &lab.data).as_bytes())
                .map(|saved| tr!(words, "app-files-model", place = place(saved))),
            FileRequest::ExportConfig => files.save("-config.toml", replay_config(&lab).to_toml().as_bytes()).map(|saved| {
                if lab.changed_in_place {
                    tr!(words, "app-files-config-changed", place = place(saved))
                } else {
                    tr!(words, "app-files-config", place = place(saved))
                }
            }),
        };
        files.report(outcome, &words);
    }
}

/// Files picked in the browser's dialog become load requests.
fn take_picked_files(mut requests: MessageWriter<FileRequest>) {
    for (name, bytes) in platform::take_picked_files() {
        requests.write(FileRequest::LoadExperimentBytes { name, bytes: Arc::new(bytes) });
    }
}

fn write_saved_experiments(mut saved: MessageReader<SavedExperiment>, mut files: ResMut<Files>, words: Res<Words>) {
    for SavedExperiment(bytes) in saved.read() {
        if !files.saving {
            continue;
        }
        files.saving = false;
        let outcome = files.save(".emlab", bytes).map(|saved| {
            let place = if platform::HAS_FOLDERS { saved } else { tr!(words, "app-files-download", name = saved) };
            tr!(words, "app-files-saved-experiment", place = place)
        });
        files.report(outcome, &words);
    }
}
