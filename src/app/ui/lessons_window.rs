//! The lesson window: pick a lesson, walk through its steps. Entering a
//! step applies its settings (a fresh network) and starts training if the
//! step says so. The step's checks are judged on the running session as it
//! passes the steps they need: a tick, a cross, or still waiting.

use bevy_egui::egui::{self, Color32, RichText};

use super::{Frame, Requests};
use crate::app::classroom::EnterStep;
use crate::i18n::Localizer;
use crate::lessons::checks::{LiveChecks, Verdict};
use crate::tr;

/// The primary subtag of a language tag: `zh` for `zh-CN`.
fn primary(tag: &str) -> &str {
    tag.split(['-', '_']).next().unwrap_or(tag)
}

/// A lesson's language by name, in the app's language (the tag itself for
/// a language the catalogues do not name).
fn language_name(tr: &Localizer, tag: &str) -> String {
    match primary(tag) {
        "en" => tr!(tr, "lessons-language-en"),
        "zh" => tr!(tr, "lessons-language-zh"),
        _ => tag.to_string(),
    }
}

#[derive(Default)]
pub struct LessonsWindow {
    pub open: bool,
    checks: Option<StepChecks>,
}

/// The live checks of the lesson step on screen.
struct StepChecks {
    lesson: usize,
    step: usize,
    live: LiveChecks,
    /// Whether the session runs the step's settings.
    applies: bool,
    /// The session's (generation, step) last judged, so a paused run is not
    /// judged again every frame.
    judged: Option<(u64, u64)>,
}

impl LessonsWindow {
    /// Follows the session with the current step's checks, also while the
    /// window is closed: a check decided at step 100 stays decided.
    fn follow(&mut self, frame: &Frame) {
        let Some(lesson) = frame.progress.lesson.and_then(|index| Some((index, frame.lessons.lessons.get(index)?))) else {
            self.checks = None;
            return;
        };
        let (lesson_index, lesson) = lesson;
        let step_index = frame.progress.step.min(lesson.steps.len().saturating_sub(1));
        let Some(step) = lesson.steps.get(step_index) else {
            self.checks = None;
            return;
        };
        let current = self.checks.as_ref().is_some_and(|c| c.lesson == lesson_index && c.step == step_index);
        if !current {
            self.checks =
                Some(StepChecks { lesson: lesson_index, step: step_index, live: step.live_checks(), applies: false, judged: None });
        }
        if let Some(checks) = &mut self.checks {
            let now = (frame.lab.generation, frame.lab.step);
            if checks.judged != Some(now) || checks.applies != checks.live.applies_to(frame.lab) {
                checks.judged = Some(now);
                checks.applies = checks.live.update(frame.lab);
            }
        }
    }

    pub fn show(&mut self, ctx: &egui::Context, frame: &Frame, requests: &mut Requests) {
        self.follow(frame);
        let checks = self.checks.as_ref();
        let tr = frame.tr;
        let mut open = self.open;
        egui::Window::new(tr!(tr, "lessons-window-title"))
            .id(egui::Id::new("lessons-window"))
            .open(&mut open)
            .default_width(430.0)
            .default_pos(egui::pos2(20.0, 380.0))
            .default_height(400.0)
            .max_height(520.0)
            .vscroll(true)
            .show(ctx, |ui| {
                let lessons = &frame.lessons.lessons;
                let titles: Vec<String> = lessons.iter().enumerate().map(|(i, l)| format!("{}. {}", i + 1, l.title)).collect();
                let mut chosen = frame.progress.lesson;
                egui::ComboBox::from_id_salt("lesson")
                    .selected_text(chosen.map_or_else(|| tr!(tr, "lessons-choose"), |i| titles[i].clone()))
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
                for error in &frame.lessons.library.errors {
                    ui.colored_label(Color32::from_rgb(220, 70, 50), error.to_string());
                }
                let Some(lesson_index) = frame.progress.lesson else {
                    if let Some(folder) = &frame.lessons.library.folder {
                        ui.small(tr!(tr, "lessons-folder", folder = folder.display().to_string()));
                    }
                    return;
                };
                let lesson = &lessons[lesson_index];
                let step_index = frame.progress.step.min(lesson.steps.len() - 1);
                let step = &lesson.steps[step_index];
                if primary(&lesson.language) != primary(&tr.language()) {
                    let language = language_name(tr, &lesson.language);
                    ui.small(RichText::new(tr!(tr, "lessons-not-translated", language = language)).color(Color32::GRAY));
                }
                ui.label(RichText::new(&lesson.summary).italics());
                ui.separator();
                ui.heading(tr!(tr, "lessons-step-heading", step = step_index + 1, count = lesson.steps.len(), title = &step.title));
                let paragraph = |ui: &mut egui::Ui, label: String, text: &str| {
                    if !text.is_empty() {
                        ui.label(RichText::new(label).strong());
                        ui.label(text);
                        ui.add_space(4.0);
                    }
                };
                paragraph(ui, tr!(tr, "lessons-watch"), &step.watch);
                paragraph(ui, tr!(tr, "lessons-do"), &step.change);
                egui::CollapsingHeader::new(tr!(tr, "lessons-expect"))
                    .id_salt(("expect", lesson_index, step_index))
                    .show(ui, |ui| ui.label(&step.expect));
                egui::CollapsingHeader::new(tr!(tr, "lessons-why"))
                    .id_salt(("why", lesson_index, step_index))
                    .show(ui, |ui| ui.label(&step.why));
                if let Some(checks) = checks.filter(|c| !c.live.checks().is_empty()) {
                    show_checks(ui, checks, tr);
                }
                ui.separator();
                let mut enter = |step| requests.lesson_steps.push(EnterStep::new(lesson_index, step));
                ui.horizontal(|ui| {
                    if ui.add_enabled(step_index > 0, egui::Button::new(tr!(tr, "lessons-back"))).clicked() {
                        enter(step_index - 1);
                    }
                    if ui.button(tr!(tr, "lessons-restart-step")).clicked() {
                        enter(step_index);
                    }
                    if ui.add_enabled(step_index + 1 < lesson.steps.len(), egui::Button::new(tr!(tr, "lessons-next"))).clicked() {
                        enter(step_index + 1);
                    }
                });
            });
        self.open = open;
    }
}

/// The step's claims with a tick, a cross or a wait mark each, and what
/// each verdict rests on; folded away like the expectation it checks (the
/// header counts the marks without giving the claims away).
fn show_checks(ui: &mut egui::Ui, checks: &StepChecks, tr: &Localizer) {
    let count = |verdict| checks.live.outcomes().iter().filter(|o| o.verdict == verdict).count();
    let header = tr!(
        tr,
        "lessons-checks-header",
        passed = count(Verdict::Passed),
        failed = count(Verdict::Failed),
        waiting = count(Verdict::Pending),
    );
    egui::CollapsingHeader::new(header).id_salt(("checks", checks.lesson, checks.step)).show(ui, |ui| {
        ui.small(tr!(tr, "lessons-checks-explained"));
        if !checks.applies {
            ui.small(tr!(tr, "lessons-checks-waiting"));
        }
        for (check, outcome) in checks.live.results() {
            let (mark, colour) = match outcome.verdict {
                Verdict::Passed => ("✔", Color32::from_rgb(60, 170, 80)),
                Verdict::Failed => ("✖", Color32::from_rgb(220, 70, 50)),
                Verdict::Pending => ("…", Color32::GRAY),
            };
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(mark).color(colour).strong());
                ui.label(&check.text);
                if !outcome.note.is_empty() {
                    ui.small(RichText::new(tr!(tr, "lessons-check-note", note = &outcome.note)).color(Color32::GRAY));
                }
            });
        }
    });
}
