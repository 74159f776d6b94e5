//! The run bar (play, step, reset, speed, seed, preset, the windows), the
//! status line, the divergence banner and the help window.

use bevy_egui::egui::{self, Color32, RichText};

use super::{Frame, Requests};
use crate::app::classroom::PresentationRequest;
use crate::app::keys::SHORTCUTS;
use crate::app::windows::Toggle;
use crate::config::{Config, ConfigSource, PRESETS, load_config};
use crate::i18n::Localizer;
use crate::run::session::{Command, Speed};
use crate::tr;

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

fn speed_label(tr: &Localizer, speed: Speed) -> String {
    match speed {
        Speed::StepsPerSecond(rate) => tr!(tr, "run-bar-speed-rate", rate = rate),
        Speed::Max => tr!(tr, "run-bar-speed-max"),
    }
}

impl RunBar {
    pub fn show(&mut self, ui: &mut egui::Ui, frame: &Frame, config: &mut Config, shown: Shown, requests: &mut Requests) {
        let lab = frame.lab;
        let tr = frame.tr;
        ui.horizontal(|ui| {
            ui.heading(tr!(tr, "app-title"));
            ui.separator();
            let diverged = lab.diverged.is_some();
            let play_label = if lab.playing { tr!(tr, "run-bar-pause") } else { tr!(tr, "run-bar-play") };
            if ui.add_enabled(!diverged || lab.playing, egui::Button::new(play_label)).on_hover_text("Space").clicked() {
                requests.run(Command::TogglePlay);
            }
            if ui
                .add_enabled(!diverged, egui::Button::new(tr!(tr, "run-bar-step")))
                .on_hover_text(tr!(tr, "run-bar-step-tooltip"))
                .clicked()
            {
                requests.run(Command::StepOnce);
            }
            if ui.button(tr!(tr, "run-bar-reset")).on_hover_text(tr!(tr, "run-bar-reset-tooltip")).clicked() {
                requests.run(Command::Reset);
            }
            ui.separator();
            ui.label(tr!(tr, "run-bar-speed"));
            let mut index = Speed::CHOICES.iter().position(|&s| s == lab.speed).unwrap_or(5);
            ui.spacing_mut().slider_width = 80.0;
            let response = ui.add(
                egui::Slider::new(&mut index, 0..=Speed::CHOICES.len() - 1)
                    .show_value(false)
                    .custom_formatter(|v, _| speed_label(tr, Speed::CHOICES[v as usize])),
            );
            if response.changed() {
                requests.run(Command::SetSpeed(Speed::CHOICES[index]));
            }
            ui.label(speed_label(tr, lab.speed)).on_hover_text(tr!(tr, "run-bar-speed-tooltip"));
            ui.separator();
            ui.label(tr!(tr, "run-bar-seed"));
            ui.add(egui::DragValue::new(&mut config.seed).range(0..=u32::MAX as u64));
            if ui.button(tr!(tr, "run-bar-next-seed")).on_hover_text(tr!(tr, "run-bar-next-seed-tooltip")).clicked() {
                config.seed = config.seed.saturating_add(1);
            }
            ui.separator();
            egui::ComboBox::from_id_salt("preset").selected_text(tr!(tr, "run-bar-presets")).width(64.0).show_ui(ui, |ui| {
                for preset in PRESETS {
                    let description = preset.description();
                    let selected = config.description == description;
                    if ui.selectable_label(selected, preset.name).on_hover_text(super::preset_description(frame.tr, preset)).clicked() {
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
                let mut toggle = |ui: &mut egui::Ui, on: bool, label: String, hint: &str, which: Toggle| {
                    if ui.selectable_label(on, label).on_hover_text(hint).clicked() {
                        requests.toggles.push(which);
                    }
                };
                toggle(ui, shown.help, tr!(tr, "run-bar-help"), "H", Toggle::Help);
                if ui.small_button("A+").on_hover_text(tr!(tr, "run-bar-larger-tooltip")).clicked() {
                    requests.present.push(PresentationRequest::Zoom(1.0));
                }
                if ui.small_button("A−").on_hover_text(tr!(tr, "run-bar-smaller-tooltip")).clicked() {
                    requests.present.push(PresentationRequest::Zoom(-1.0));
                }
                let current = tr.language();
                // Narrow: the run bar is full at 1280 pixels in English.
                egui::ComboBox::from_id_salt("language")
                    .selected_text(format!("🌐 {}", tr.language_short()))
                    .width(0.0)
                    .show_ui(ui, |ui| {
                        for (tag, name) in tr.language_names() {
                            if ui.selectable_label(tag == current, name).clicked() {
                                requests.language = Some(tag);
                            }
                        }
                    })
                    .response
                    .on_hover_text(tr!(tr, "app-language-tooltip"));
                let presenting = frame.presentation.presenting;
                if ui.selectable_label(presenting, tr!(tr, "run-bar-present")).on_hover_text(tr!(tr, "run-bar-present-tooltip")).clicked() {
                    requests.present.push(PresentationRequest::Presenting(!presenting));
                }
                let mut toggle = |ui: &mut egui::Ui, on: bool, label: String, which: Toggle| {
                    if ui.selectable_label(on, label).clicked() {
                        requests.toggles.push(which);
                    }
                };
                toggle(ui, shown.files, tr!(tr, "run-bar-files"), Toggle::Files);
                toggle(ui, shown.replicas, tr!(tr, "run-bar-replicas"), Toggle::Replicas);
                toggle(ui, shown.lessons, tr!(tr, "run-bar-lessons"), Toggle::Lessons);
                if !presenting {
                    toggle(ui, shown.charts, tr!(tr, "run-bar-charts"), Toggle::Charts);
                    toggle(ui, shown.controls, tr!(tr, "run-bar-settings"), Toggle::Settings);
                }
            });
        });
    }
}

pub fn status_line(ui: &mut egui::Ui, frame: &Frame) {
    let lab = frame.lab;
    ui.horizontal(|ui| {
        // An aligned monospace line: the numbers are padded here, the words
        // come from the catalogue.
        ui.monospace(tr!(
            frame.tr,
            "run-bar-status",
            step = format!("{:>7}", lab.step),
            epoch = format!("{:>5}", lab.epoch),
            samples = format!("{:>9.0}", lab.throughput.samples_per_second),
            steps = format!("{:>7.0}", lab.throughput.steps_per_second),
            frame = format!("{:>5.1}", frame.frame_ms),
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
            // The divergence's description is the engine's (English).
            let divergence = divergence.to_string();
            ui.label(RichText::new(tr!(frame.tr, "run-bar-diverged", divergence = divergence)).color(Color32::WHITE).strong());
            ui.label(RichText::new(tr!(frame.tr, "run-bar-diverged-advice")).color(Color32::WHITE));
            if ui.button(tr!(frame.tr, "run-bar-diverged-reset")).clicked() {
                requests.run(Command::Reset);
            }
            if ui.button(tr!(frame.tr, "run-bar-diverged-reset-clipping")).clicked() {
                let mut clipped = frame.lab.config.clone();
                clipped.training.grad_clip = 1.0;
                *config = clipped.clone();
                requests.run(Command::Restart(Box::new(clipped)));
            }
            if ui.button(tr!(frame.tr, "run-bar-diverged-reset-slower")).clicked() {
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
    pub fn show(&mut self, ctx: &egui::Context, tr: &Localizer) {
        egui::Window::new(tr!(tr, "run-bar-help-title")).id(egui::Id::new("help-window")).open(&mut self.open).default_width(420.0).show(
            ctx,
            |ui| {
                egui::Grid::new("keys").num_columns(2).show(ui, |ui| {
                    for (key, what) in SHORTCUTS {
                        ui.monospace(key);
                        // The ids are in the table (keys.rs), so not `tr!`.
                        ui.label(tr.tr(what, None));
                        ui.end_row();
                    }
                });
                ui.separator();
                ui.label(tr!(tr, "run-bar-help-neurons"));
                ui.label(tr!(tr, "run-bar-help-lines"));
                ui.label(tr!(tr, "run-bar-help-hover"));
                ui.label(tr!(tr, "run-bar-help-charts"));
            },
        );
    }
}
