//! The run bar (play, step, reset, speed, seed, preset), the status line,
//! the divergence banner and the help window.

use bevy_egui::egui::{self, Color32, RichText};

use super::{UiParams, edit_draft};
use crate::app::keys::SHORTCUTS;
use crate::app::session::RunCommand;
use crate::config::PRESETS;

const SPEEDS: [u32; 9] = [1, 2, 5, 10, 20, 50, 100, 500, 5000];

pub fn run_bar(ui: &mut egui::Ui, p: &mut UiParams) {
    ui.horizontal(|ui| {
        ui.heading("Emergence Lab");
        ui.separator();
        let diverged = p.lab.trainer().diverged().is_some();
        let play_label = if p.run.playing { "⏸ Pause" } else { "▶ Play" };
        if ui.add_enabled(!diverged || p.run.playing, egui::Button::new(play_label)).on_hover_text("Space").clicked() {
            p.commands.write(RunCommand::TogglePlay);
        }
        if ui.add_enabled(!diverged, egui::Button::new("Step")).on_hover_text("S: one training step").clicked() {
            p.commands.write(RunCommand::StepOnce);
        }
        if ui.button("⟲ Reset").on_hover_text("R: a fresh network from the same settings").clicked() {
            p.commands.write(RunCommand::Reset);
        }
        ui.separator();
        ui.label("Speed");
        let mut speed_index = SPEEDS.iter().position(|&s| s >= p.run.steps_per_frame).unwrap_or(SPEEDS.len() - 1);
        let response = ui.add(
            egui::Slider::new(&mut speed_index, 0..=SPEEDS.len() - 1)
                .show_value(false)
                .custom_formatter(|v, _| format!("{}", SPEEDS[v as usize])),
        );
        if response.changed() {
            p.run.steps_per_frame = SPEEDS[speed_index];
        }
        ui.label(format!("{} steps/frame", p.run.steps_per_frame))
            .on_hover_text("The most steps per frame; training always stops within its time budget so the window stays responsive.");
        ui.separator();
        ui.label("Seed");
        edit_draft(&mut p.draft, |config| {
            ui.add(egui::DragValue::new(&mut config.seed).range(0..=u32::MAX as u64));
            if ui.button("Next").on_hover_text("The next seed: new data and new weights").clicked() {
                config.seed = config.seed.wrapping_add(1);
            }
        });
        ui.separator();
        let current = p.draft.0.description.clone();
        egui::ComboBox::from_id_salt("preset").selected_text("Presets").width(110.0).show_ui(ui, |ui| {
            for preset in PRESETS {
                let description = preset.description();
                let selected = current == description;
                if ui.selectable_label(selected, preset.name).on_hover_text(description).clicked() {
                    p.commands.write(RunCommand::LoadPreset(preset.name.to_string()));
                }
            }
        });
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.toggle_value(&mut p.view.show_help, "Help").on_hover_text("H");
            if ui.small_button("A+").on_hover_text("Larger (+)").clicked() {
                p.presentation.zoom_by(1.0);
            }
            if ui.small_button("A−").on_hover_text("Smaller (−)").clicked() {
                p.presentation.zoom_by(-1.0);
            }
            ui.toggle_value(&mut p.presentation.presenting, "Present")
                .on_hover_text("P: hide the side panels so the network fills the screen; F11 fullscreen");
            ui.toggle_value(&mut p.view.show_files, "Files");
            ui.toggle_value(&mut p.view.show_replicas, "Replicas");
            ui.toggle_value(&mut p.progress.open, "Lessons");
            if !p.presentation.presenting {
                ui.toggle_value(&mut p.view.show_charts, "Charts");
                ui.toggle_value(&mut p.view.show_controls, "Settings");
            }
        });
    });
}

pub fn status_line(ui: &mut egui::Ui, p: &mut UiParams) {
    ui.horizontal(|ui| {
        let trainer = p.lab.trainer();
        let frame_ms = p.time.delta_secs_f64() * 1000.0;
        ui.monospace(format!(
            "step {:>7}   epoch {:>5}   {:>9.0} samples/s   frame {:>5.1} ms   training {:>4.1} ms ({} steps)",
            trainer.step_count(),
            trainer.epoch(),
            p.throughput.samples_per_second,
            frame_ms,
            p.throughput.training_time.as_secs_f64() * 1000.0,
            p.throughput.steps_last_frame,
        ));
        if let Some(message) = p.notice.message.clone() {
            ui.separator();
            ui.colored_label(Color32::from_rgb(230, 80, 60), message);
            if ui.small_button("✖").clicked() {
                p.notice.message = None;
            }
        }
    });
}

/// Shown while the run is stopped by a non-finite value: where it happened,
/// and the ways out.
pub fn divergence_banner(ui: &mut egui::Ui, p: &mut UiParams) {
    let Some(divergence) = p.lab.trainer().diverged().cloned() else { return };
    egui::Frame::new().fill(Color32::from_rgb(120, 20, 20)).inner_margin(8.0).corner_radius(4.0).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("Training diverged: {divergence}.")).color(Color32::WHITE).strong());
            ui.label(
                RichText::new("Numbers grew past what a computer can hold. Try a smaller learning rate or gain, or clip gradients.")
                    .color(Color32::WHITE),
            );
            if ui.button("Reset").clicked() {
                p.commands.write(RunCommand::Reset);
            }
            if ui.button("Reset with gradient clipping").clicked() {
                edit_draft(&mut p.draft, |config| config.training.grad_clip = 1.0);
                p.commands.write(RunCommand::Reset);
            }
            if ui.button("Reset with learning rate / 10").clicked() {
                edit_draft(&mut p.draft, |config| config.training.learning_rate /= 10.0);
                p.commands.write(RunCommand::Reset);
            }
        });
    });
    ui.add_space(4.0);
}

pub fn help_window(ctx: &egui::Context, p: &mut UiParams) {
    let mut open = p.view.show_help;
    egui::Window::new("Help").open(&mut open).default_width(420.0).show(ctx, |ui| {
        egui::Grid::new("keys").num_columns(2).show(ui, |ui| {
            for (key, what) in SHORTCUTS {
                ui.monospace(key);
                ui.label(what);
                ui.end_row();
            }
        });
        ui.separator();
        ui.label("Each square is a neuron: its output at every point of the input plane. Blue is positive, orange negative, white zero; magenta marks a number that is not finite.");
        ui.label("Lines are weights: blue positive, orange negative, thicker is larger. Switch them to gradient colouring to see where the learning signal flows and where it dies.");
        ui.label("Hover a neuron for its statistics; click it to inspect it. Hover a line to read its weight.");
        ui.label("The charts on the right read the per-layer signals: a gradient norm that falls layer by layer toward the input is a vanishing gradient; one that grows is exploding.");
    });
    p.view.show_help = open;
}
