//! Saving, loading and exporting: experiments (resumable), screenshots,
//! metrics, the model and the config. The engine writes every file; this
//! plugin only decides where, and reports what happened. A file that cannot
//! be read leaves the running session untouched.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, save_to_disk};

use super::session::{DraftConfig, Lab, RunState};
use crate::experiment;
use crate::homogeneity::Replicas;
use crate::report::{model_json, write_metrics_csv};

/// What the user asked to save, export or load.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum FileRequest {
    SaveExperiment,
    LoadExperiment(PathBuf),
    Screenshot,
    ExportMetrics,
    ExportModel,
    ExportConfig,
}

/// Where exports go, and what the last request did.
#[derive(Resource, Debug, Clone)]
pub struct Files {
    pub folder: PathBuf,
    /// The file name stem exports get (with a suffix per kind).
    pub name: String,
    /// The path typed in the load field.
    pub load_path: String,
    /// What the last request did, for the status in the files window.
    pub status: Option<String>,
    /// An error to show in a dialog until dismissed.
    pub error: Option<String>,
}

impl Default for Files {
    fn default() -> Self {
        Self { folder: PathBuf::from("emergence-lab-exports"), name: "session".into(), load_path: String::new(), status: None, error: None }
    }
}

impl Files {
    fn target(&self, suffix: &str) -> Result<PathBuf, String> {
        std::fs::create_dir_all(&self.folder).map_err(|e| format!("cannot create the folder {}: {e}", self.folder.display()))?;
        Ok(self.folder.join(format!("{}{suffix}", self.name)))
    }
}

pub struct FilesPlugin;

impl Plugin for FilesPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Files>()
            .add_message::<FileRequest>()
            .add_systems(Update, handle_file_requests.before(super::session::apply_run_commands));
    }
}

fn write(path: &Path, contents: impl AsRef<[u8]>) -> Result<(), String> {
    std::fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn seconds_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The config that `emergence-lab run --config` replays this session with.
pub fn replay_config(lab: &Lab) -> crate::config::Config {
    let mut config = lab.trainer().config().clone();
    config.training.steps = lab.trainer().step_count();
    config
}

fn handle_file_requests(
    mut requests: MessageReader<FileRequest>,
    mut files: ResMut<Files>,
    mut lab: ResMut<Lab>,
    mut draft: ResMut<DraftConfig>,
    mut run: ResMut<RunState>,
    mut commands: Commands,
) {
    for request in requests.read() {
        let outcome: Result<String, String> = match request {
            FileRequest::SaveExperiment => files.target(".emlab").and_then(|path| {
                experiment::save(lab.trainers(), &path).map_err(|e| e.to_string())?;
                Ok(format!("saved the experiment to {}", path.display()))
            }),
            FileRequest::LoadExperiment(path) => match experiment::load(path) {
                Ok(trainers) => {
                    draft.0 = trainers[0].config().clone();
                    lab.replace(Replicas::from_trainers(trainers));
                    run.playing = false;
                    Ok(format!("loaded {} at step {}", path.display(), lab.trainer().step_count()))
                }
                Err(error) => Err(error.to_string()),
            },
            FileRequest::Screenshot => files.target(&format!("-{}.png", seconds_now())).map(|path| {
                commands.spawn(Screenshot::primary_window()).observe(save_to_disk(path.clone()));
                format!("screenshot saved to {}", path.display())
            }),
            FileRequest::ExportMetrics => files.target("-metrics.csv").and_then(|path| {
                let file = std::fs::File::create(&path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                write_metrics_csv(lab.trainer().history(), lab.trainer().network().layers.len(), std::io::BufWriter::new(file))
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(format!("metrics written to {}", path.display()))
            }),
            FileRequest::ExportModel => files.target("-model.json").and_then(|path| {
                write(&path, model_json(lab.trainer().network(), lab.trainer().data()))?;
                Ok(format!("model written to {}", path.display()))
            }),
            FileRequest::ExportConfig => files.target("-config.toml").and_then(|path| {
                write(&path, replay_config(&lab).to_toml())?;
                let caveat = if lab.changed_in_place {
                    " (training settings changed during this run: `run --config` replays the final settings from step 0)"
                } else {
                    ""
                };
                Ok(format!("config written to {}; `emergence-lab run --config` replays it{caveat}", path.display()))
            }),
        };
        match outcome {
            Ok(status) => {
                info!("{status}");
                files.status = Some(status);
            }
            Err(error) => {
                files.status = Some(format!("failed: {error}"));
                files.error = Some(error);
            }
        }
    }
}
