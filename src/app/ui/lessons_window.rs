//! The lesson window: pick a lesson, walk through its steps. Entering a
//! step applies its settings (a fresh network) and starts training if the
//! step says so.

use bevy_egui::egui::{self, Color32, RichText};

use super::UiParams;
use crate::app::session::RunCommand;

/// Enters step `step` of lesson `lesson`.
fn enter(p: &mut UiParams, lesson: usize, step: usize) {
    let Some(lesson_step) = p.lessons.lessons.get(lesson).and_then(|l| l.steps.get(step)) else { return };
    p.progress.lesson = Some(lesson);
    p.progress.step = step;
    p.commands.write(RunCommand::Restart(Box::new(lesson_step.config.clone())));
    p.commands.write(if lesson_step.play { RunCommand::Play } else { RunCommand::Pause });
}

pub fn show(ctx: &egui::Context, p: &mut UiParams) {
    let mut open = p.progress.open;
    egui::Window::new("Lessons")
        .open(&mut open)
        .default_width(430.0)
        .default_pos(egui::pos2(20.0, 380.0))
        .default_height(330.0)
        .max_height(420.0)
        .vscroll(true)
        .show(ctx, |ui| {
            let titles: Vec<String> = p.lessons.lessons.iter().enumerate().map(|(i, l)| format!("{}. {}", i + 1, l.title)).collect();
            let mut chosen = p.progress.lesson;
            egui::ComboBox::from_id_salt("lesson")
                .selected_text(chosen.map_or("Choose a lesson".to_string(), |i| titles[i].clone()))
                .width(380.0)
                .show_ui(ui, |ui| {
                    for (index, title) in titles.iter().enumerate() {
                        ui.selectable_value(&mut chosen, Some(index), title);
                    }
                });
            if chosen != p.progress.lesson
                && let Some(lesson) = chosen
            {
                enter(p, lesson, 0);
            }
            for error in &p.lessons.errors {
                ui.colored_label(Color32::from_rgb(220, 70, 50), error.to_string());
            }
            let Some(lesson_index) = p.progress.lesson else {
                if let Some(folder) = &p.lessons.folder {
                    ui.small(format!("Lessons are read from {}; add a .toml file there to write your own.", folder.display()));
                }
                return;
            };
            let lesson = p.lessons.lessons[lesson_index].clone();
            let step_index = p.progress.step.min(lesson.steps.len() - 1);
            let step = &lesson.steps[step_index];
            ui.label(RichText::new(&lesson.summary).italics());
            ui.separator();
            ui.heading(format!("Step {} of {}: {}", step_index + 1, lesson.steps.len(), step.title));
            let paragraph = |ui: &mut egui::Ui, label: &str, text: &str| {
                if !text.is_empty() {
                    ui.label(RichText::new(label).strong());
                    ui.label(text);
                    ui.add_space(4.0);
                }
            };
            paragraph(ui, "Watch", &step.watch);
            paragraph(ui, "Do", &step.change);
            egui::CollapsingHeader::new("What should happen")
                .id_salt(("expect", lesson_index, step_index))
                .show(ui, |ui| ui.label(&step.expect));
            egui::CollapsingHeader::new("Why").id_salt(("why", lesson_index, step_index)).show(ui, |ui| ui.label(&step.why));
            ui.separator();
            ui.horizontal(|ui| {
                if ui.add_enabled(step_index > 0, egui::Button::new("◀ Back")).clicked() {
                    enter(p, lesson_index, step_index - 1);
                }
                if ui.button("Restart this step").clicked() {
                    enter(p, lesson_index, step_index);
                }
                if ui.add_enabled(step_index + 1 < lesson.steps.len(), egui::Button::new("Next ▶")).clicked() {
                    enter(p, lesson_index, step_index + 1);
                }
            });
        });
    p.progress.open = open;
}
