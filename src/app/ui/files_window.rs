//! The files window: save and load experiments, export a screenshot, the
//! metrics, the model and the config, copy the config to the clipboard; and
//! the dialog that shows a file error.

use bevy_egui::egui::{self, Color32};

use super::UiParams;
use crate::app::files::{FileRequest, replay_config};

pub fn show(ctx: &egui::Context, p: &mut UiParams, open: &mut bool) {
    egui::Window::new("Save and export").open(open).default_width(420.0).show(ctx, |ui| {
        egui::Grid::new("export-target").num_columns(2).show(ui, |ui| {
            ui.label("folder");
            let mut folder = p.files.folder.display().to_string();
            if ui.text_edit_singleline(&mut folder).changed() {
                p.files.folder = folder.into();
            }
            ui.end_row();
            ui.label("name");
            ui.text_edit_singleline(&mut p.files.name);
            ui.end_row();
        });
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("Save experiment")
                .on_hover_text("Config, weights, optimiser state and history: training resumes exactly")
                .clicked()
            {
                p.file_requests.write(FileRequest::SaveExperiment);
            }
            if ui.button("Screenshot (F12)").clicked() {
                p.file_requests.write(FileRequest::Screenshot);
            }
            if ui.button("Metrics CSV").clicked() {
                p.file_requests.write(FileRequest::ExportMetrics);
            }
            if ui.button("Model JSON").clicked() {
                p.file_requests.write(FileRequest::ExportModel);
            }
            if ui.button("Config TOML").on_hover_text("emergence-lab run --config FILE replays this session headless").clicked() {
                p.file_requests.write(FileRequest::ExportConfig);
            }
            if ui.button("Copy config").on_hover_text("Puts the config on the clipboard, to paste in a message").clicked() {
                ctx.copy_text(replay_config(&p.lab).to_toml());
                p.files.status = Some("config copied to the clipboard".into());
            }
        });
        ui.separator();
        ui.horizontal(|ui| {
            ui.label("load");
            ui.add(egui::TextEdit::singleline(&mut p.files.load_path).hint_text("path of a .emlab file").desired_width(250.0));
            if ui.add_enabled(!p.files.load_path.trim().is_empty(), egui::Button::new("Load")).clicked() {
                p.file_requests.write(FileRequest::LoadExperiment(p.files.load_path.trim().into()));
            }
        });
        if let Some(status) = &p.files.status {
            ui.small(status);
        }
    });
}

/// A modal dialog for a file that could not be used; the session goes on.
pub fn error_dialog(ctx: &egui::Context, p: &mut UiParams) {
    let Some(message) = p.files.error.clone() else { return };
    let response = egui::Modal::new(egui::Id::new("file-error")).show(ctx, |ui| {
        ui.set_max_width(480.0);
        ui.heading("That file could not be used");
        ui.colored_label(Color32::from_rgb(220, 70, 50), message);
        ui.label("Nothing was changed: the session goes on as it was.");
        ui.button("OK").clicked()
    });
    if response.inner || response.should_close() {
        p.files.error = None;
    }
}
