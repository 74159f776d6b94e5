//! The files window: save and load experiments, export a screenshot, the
//! metrics, the model and the config, copy the config to the clipboard; and
//! the dialog that shows a file error.

use bevy_egui::egui::{self, Color32};

use super::{Frame, Requests};
use crate::app::files::FileRequest;
use crate::app::platform;
use crate::run::experiment;
use crate::share::{self, Setup};
use crate::tr;

/// The files window's own state: what is typed in it.
#[derive(Default)]
pub struct FilesWindow {
    pub open: bool,
    load_path: String,
    link: String,
    /// The export folder and name being edited (natively).
    target: Option<(String, String)>,
}

fn replay_toml(frame: &Frame) -> String {
    let mut config = frame.lab.config.clone();
    config.training.steps = frame.lab.step;
    config.to_toml()
}

impl FilesWindow {
    pub fn show(&mut self, ctx: &egui::Context, frame: &Frame, requests: &mut Requests) {
        let tr = frame.tr;
        let mut open = self.open;
        let title = tr!(tr, "files-window-title");
        egui::Window::new(title).id(egui::Id::new("files-window")).open(&mut open).default_width(440.0).show(ctx, |ui| {
            if platform::HAS_FOLDERS {
                let (folder, name) =
                    self.target.get_or_insert_with(|| (frame.files.folder.display().to_string(), frame.files.name.clone()));
                egui::Grid::new("export-target").num_columns(2).show(ui, |ui| {
                    ui.label(tr!(tr, "files-folder"));
                    let folder_changed = ui.text_edit_singleline(folder).changed();
                    ui.end_row();
                    ui.label(tr!(tr, "files-name"));
                    let name_changed = ui.text_edit_singleline(name).changed();
                    ui.end_row();
                    if folder_changed || name_changed {
                        requests.files.push(FileRequest::SetTarget { folder: folder.as_str().into(), name: name.clone() });
                    }
                });
            } else {
                ui.small(tr!(tr, "files-downloads"));
            }
            ui.horizontal_wrapped(|ui| {
                if ui.button(tr!(tr, "files-save-experiment")).on_hover_text(tr!(tr, "files-save-experiment-tooltip")).clicked() {
                    requests.files.push(FileRequest::SaveExperiment);
                }
                if ui.button(tr!(tr, "files-screenshot")).clicked() {
                    requests.files.push(FileRequest::Screenshot);
                }
                if ui.button(tr!(tr, "files-export-metrics")).clicked() {
                    requests.files.push(FileRequest::ExportMetrics);
                }
                if ui.button(tr!(tr, "files-export-model")).clicked() {
                    requests.files.push(FileRequest::ExportModel);
                }
                if ui.button(tr!(tr, "files-export-config")).on_hover_text(tr!(tr, "files-export-config-tooltip")).clicked() {
                    requests.files.push(FileRequest::ExportConfig);
                }
                if ui.button(tr!(tr, "files-copy-config")).on_hover_text(tr!(tr, "files-copy-config-tooltip")).clicked() {
                    requests.copy = Some(replay_toml(frame));
                }
            });
            ui.separator();
            if platform::HAS_FOLDERS {
                ui.horizontal(|ui| {
                    ui.label(tr!(tr, "files-load-label"));
                    ui.add(egui::TextEdit::singleline(&mut self.load_path).hint_text(tr!(tr, "files-load-hint")).desired_width(250.0));
                    if ui.add_enabled(!self.load_path.trim().is_empty(), egui::Button::new(tr!(tr, "files-load"))).clicked() {
                        requests.files.push(FileRequest::LoadExperiment(self.load_path.trim().into()));
                    }
                });
            } else if ui.button(tr!(tr, "files-pick-experiment")).on_hover_text(tr!(tr, "files-pick-experiment-tooltip")).clicked() {
                requests.files.push(FileRequest::PickExperiment);
            }
            ui.separator();
            ui.horizontal(|ui| {
                if ui.button(tr!(tr, "files-copy-link")).on_hover_text(tr!(tr, "files-copy-link-tooltip")).clicked() {
                    let lesson = frame
                        .progress
                        .lesson
                        .and_then(|index| frame.lessons.lessons.get(index))
                        .map(|l| (l.name.clone(), frame.progress.step));
                    let setup = Setup { config: frame.lab.config.clone(), lesson, language: Some(frame.tr.language()) };
                    let fragment = share::encode(&setup);
                    platform::set_page_fragment(&fragment);
                    requests.copy = Some(share::link(&platform::page_address(), &setup));
                    self.link = share::link(&platform::page_address(), &setup);
                }
                ui.add(egui::TextEdit::singleline(&mut self.link).hint_text(tr!(tr, "files-link-hint")).desired_width(220.0));
                if ui.add_enabled(!self.link.trim().is_empty(), egui::Button::new(tr!(tr, "files-open-link"))).clicked() {
                    requests.links.push(self.link.trim().to_string());
                }
            });
            ui.small(tr!(tr, "files-format-version", version = experiment::FORMAT_VERSION));
            if let Some(status) = &frame.files.status {
                ui.small(status);
            }
        });
        self.open = open;
    }
}

/// A modal dialog for a file that could not be used; the session goes on.
pub fn error_dialog(ctx: &egui::Context, frame: &Frame, requests: &mut Requests) {
    let Some(message) = &frame.files.error else { return };
    let response = egui::Modal::new(egui::Id::new("file-error")).show(ctx, |ui| {
        ui.set_max_width(480.0);
        ui.heading(tr!(frame.tr, "files-error-heading"));
        ui.colored_label(Color32::from_rgb(220, 70, 50), message);
        ui.label(tr!(frame.tr, "files-error-nothing-changed"));
        ui.button(tr!(frame.tr, "files-error-ok")).clicked()
    });
    if response.inner || response.should_close() {
        requests.dismiss_file_error = true;
    }
}
