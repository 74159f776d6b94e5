//! The run bar (play, step, reset, speed, seed, preset, the windows), the
//! status line, the divergence banner and the help window.

use bevy_egui::egui::{self, Color32, RichText};

use super::{Frame, Requests};
use crate::app::classroom::PresentationRequest;
use crate::app::keys::SHORTCUTS;
use crate::app::windows::Toggle;
use crate::config::{Config, ConfigSource, PRESETS, load_config};
use crate::run::session::{Command, Speed};

/// Which windows and panels are showing, for the toggles' state.
pub struct Shown {
    pub controls: bool,
    pub charts: bool,
    pub files: bool,
    pub replicas: bool,
    pub lessons: bool,
    pub help: bool,
}

#[derive(Default)]
pub struct RunBar;

fn speed_label(speed: Speed) -> String {
    match speed {
        Speed::StepsPerSecond(rate) => format!("{rate} steps/s"),
        Speed::Max => "as fast as it goes".into(),
    }
}

impl RunBar {
    pub fn show(&mut self, ui: &mut egui::Ui, frame: &Frame, config: &mut Config, shown: Shown, requests: &mut Requests) {
        let lab = frame.lab;
        ui.horizontal(|ui| {
            ui.heading("Emergence Lab");
            ui.separator();
            let diverged = lab.diverged.is_some();
            let play_label = if lab.playing { "⏸ Pause" } else { "▶ Play" };
            if ui.add_enabled(!diverged || lab.playing, egui::Button::new(play_label)).on_hover_text("Space").clicked() {
                requests.run(Command::TogglePlay);
            }
            if ui.add_enabled(!diverged, egui::Button::new("Step")).on_hover_text("S: one training step").clicked() {
                requests.run(Command::StepOnce);
            }
            if ui.button("⟲ Reset").on_hover_text("R: a fresh network from the same settings").clicked() {
                requests.run(Command::Reset);
            }
            ui.separator();
            ui.label("Speed");
            let mut index = Speed::CHOICES.iter().position(|&s| s == lab.speed).unwrap_or(5);
            let response = ui.add(
                egui::Slider::new(&mut index, 0..=Speed::CHOICES.len() - 1)
                    .show_value(false)
                    .custom_formatter(|v, _| speed_label(Speed::CHOICES[v as usize])),
            );
            if response.changed() {
                requests.run(Command::SetSpeed(Speed::CHOICES[index]));
            }
            ui.label(speed_label(lab.speed)).on_hover_text("The most training steps a second; the window stays responsive at any speed.");
            ui.separator();
            ui.label("Seed");
            ui.add(egui::DragValue::new(&mut config.seed).range(0..=u32::MAX as u64));
            if ui.button("Next").on_hover_text("The next seed: new data and new weights").clicked() {
                config.seed = config.seed.saturating_add(1);
            }
            ui.separator();
            egui::ComboBox::from_id_salt("preset").selected_text("Presets").width(110.0).show_ui(ui, |ui| {
                for preset in PRESETS {
                    let description = preset.description();
                    let selected = config.description == description;
                    if ui.selectable_label(selected, preset.name).on_hover_text(description).clicked() {
                        match load_config(&ConfigSource::Preset(preset.name.to_string()), &[]) {
                            Ok(loaded) => requests.run(Command::Apply(Box::new(loaded))),
                            Err(error) => {
                                requests.run(Command::Apply(Box::new(Config { description: error.to_string(), ..config.clone() })))
                            }
                        }
                    }
                }
            });
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let mut toggle = |ui: &mut egui::Ui, on: bool, label: &str, hint: &str, which: Toggle| {
                    if ui.selectable_label(on, label).on_hover_text(hint).clicked() {
                        requests.toggles.push(which);
                    }
                };
                toggle(ui, shown.help, "Help", "H", Toggle::Help);
                if ui.small_button("A+").on_hover_text("Larger (+)").clicked() {
                    requests.present.push(PresentationRequest::Zoom(1.0));
                }
                if ui.small_button("A−").on_hover_text("Smaller (−)").clicked() {
                    requests.present.push(PresentationRequest::Zoom(-1.0));
                }
                let presenting = frame.presentation.presenting;
                if ui
                    .selectable_label(presenting, "Present")
                    .on_hover_text("P: hide the side panels so the network fills the screen; F11 fullscreen")
                    .clicked()
                {
                    requests.present.push(PresentationRequest::Presenting(!presenting));
                }
                let mut toggle = |ui: &mut egui::Ui, on: bool, label: &str, which: Toggle| {
                    if ui.selectable_label(on, label).clicked() {
                        requests.toggles.push(which);
                    }
                };
                toggle(ui, shown.files, "Files", Toggle::Files);
                toggle(ui, shown.replicas, "Replicas", Toggle::Replicas);
                toggle(ui, shown.lessons, "Lessons", Toggle::Lessons);
                if !presenting {
                    toggle(ui, shown.charts, "Charts", Toggle::Charts);
                    toggle(ui, shown.controls, "Settings", Toggle::Settings);
                }
            });
        });
    }
}

pub fn status_line(ui: &mut egui::Ui, frame: &Frame) {
    let lab = frame.lab;
    ui.horizontal(|ui| {
        ui.monospace(format!(
            "step {:>7}   epoch {:>5}   {:>9.0} samples/s   {:>7.0} steps/s   frame {:>5.1} ms",
            lab.step, lab.epoch, lab.throughput.samples_per_second, lab.throughput.steps_per_second, frame.frame_ms,
        ));
        if let Some(message) = &frame.notice.message {
            ui.separator();
            ui.colored_label(Color32::from_rgb(230, 80, 60), message);
        }
    });
}

/// Shown while the run is stopped by a non-finite value: where it happened,
/// and the ways out.
pub fn divergence_banner(ui: &mut egui::Ui, frame: &Frame, config: &mut Config, requests: &mut Requests) {
    let Some(divergence) = &frame.lab.diverged else { return };
    egui::Frame::new().fill(Color32::from_rgb(120, 20, 20)).inner_margin(8.0).corner_radius(4.0).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("Training diverged: {divergence}.")).color(Color32::WHITE).strong());
            ui.label(
                RichText::new("Numbers grew past what a computer can hold. Try a smaller learning rate or gain, or clip gradients.")
                    .color(Color32::WHITE),
            );
            if ui.button("Reset").clicked() {
                requests.run(Command::Reset);
            }
            if ui.button("Reset with gradient clipping").clicked() {
                let mut clipped = frame.lab.config.clone();
                clipped.training.grad_clip = 1.0;
                *config = clipped.clone();
                requests.run(Command::Restart(Box::new(clipped)));
            }
            if ui.button("Reset with learning rate / 10").clicked() {
                let mut slower = frame.lab.config.clone();
                slower.training.learning_rate /= 10.0;
                *config = slower.clone();
                requests.run(Command::Restart(Box::new(slower)));
            }
        });
    });
    ui.add_space(4.0);
}

#[derive(Default)]
pub struct HelpWindow {
    pub open: bool,
}

impl HelpWindow {
    pub fn show(&mut self, ctx: &egui::Context) {
        egui::Window::new("Help").open(&mut self.open).default_width(420.0).show(ctx, |ui| {
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
    }
}
