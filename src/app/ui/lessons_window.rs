//! The lesson window: pick a lesson, walk through its steps. Entering a
//! step applies its settings (a fresh network) and starts training if the
//! step says so.

use bevy_egui::egui::{self, Color32, RichText};

use super::{Frame, Requests};
use crate::app::classroom::EnterStep;

#[derive(Default)]
pub struct LessonsWindow {
    pub open: bool,
}

impl LessonsWindow {
    pub fn show(&mut self, ctx: &egui::Context, frame: &Frame, requests: &mut Requests) {
        let mut open = self.open;
        egui::Window::new("Lessons")
            .open(&mut open)
            .default_width(430.0)
            .default_pos(egui::pos2(20.0, 380.0))
            .default_height(330.0)
            .max_height(420.0)
            .vscroll(true)
            .show(ctx, |ui| {
                let lessons = &frame.lessons.lessons;
                let titles: Vec<String> = lessons.iter().enumerate().map(|(i, l)| format!("{}. {}", i + 1, l.title)).collect();
                let mut chosen = frame.progress.lesson;
                egui::ComboBox::from_id_salt("lesson")
                    .selected_text(chosen.map_or("Choose a lesson".to_string(), |i| titles[i].clone()))
                    .width(380.0)
                    .show_ui(ui, |ui| {
                        for (index, title) in titles.iter().enumerate() {
                            ui.selectable_value(&mut chosen, Some(index), title);
                        }
                    });
                if chosen != frame.progress.lesson
                    && let Some(lesson) = chosen
                {
                    requests.lesson_steps.push(EnterStep::new(lesson, 0));
                }
                for error in &frame.lessons.errors {
                    ui.colored_label(Color32::from_rgb(220, 70, 50), error.to_string());
                }
                let Some(lesson_index) = frame.progress.lesson else {
                    if let Some(folder) = &frame.lessons.folder {
                        ui.small(format!("Lessons are read from {}; add a .toml file there to write your own.", folder.display()));
                    }
                    return;
                };
                let lesson = &lessons[lesson_index];
                let step_index = frame.progress.step.min(lesson.steps.len() - 1);
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
                let mut enter = |step| requests.lesson_steps.push(EnterStep::new(lesson_index, step));
                ui.horizontal(|ui| {
                    if ui.add_enabled(step_index > 0, egui::Button::new("◀ Back")).clicked() {
                        enter(step_index - 1);
                    }
                    if ui.button("Restart this step").clicked() {
                        enter(step_index);
                    }
                    if ui.add_enabled(step_index + 1 < lesson.steps.len(), egui::Button::new("Next ▶")).clicked() {
                        enter(step_index + 1);
                    }
                });
            });
        self.open = open;
    }
}
