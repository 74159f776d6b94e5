//! For the classroom: the lessons (read from `assets/lessons/` at start)
//! and the presentation settings for projectors: UI scale, a high-contrast
//! theme, fullscreen, and hiding the panels so the network fills the
//! screen.

use bevy::prelude::*;
use bevy::window::{MonitorSelection, PrimaryWindow, WindowMode};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use super::schedule::{DrawSet, LabSet};
use super::session::RunCommand;
use crate::config::Config;
use crate::lessons::{Lesson, LessonLibrary};
use crate::run::session::Command;

pub const ZOOM_RANGE: (f32, f32) = (0.6, 3.0);
const ZOOM_STEP: f32 = 0.1;

/// The lessons found at start in every language (and the files that
/// could not be used), and the list shown: each lesson in the app's
/// language where it is written in it.
#[derive(Resource, Debug, Default, Clone)]
pub struct Lessons {
    pub library: LessonLibrary,
    pub lessons: Vec<Lesson>,
}

impl Lessons {
    pub fn new(library: LessonLibrary, language: &str) -> Self {
        let lessons = library.in_language(language);
        Self { library, lessons }
    }

    /// Shows the lessons in `language`; a lesson keeps its place.
    pub fn set_language(&mut self, language: &str) {
        self.lessons = self.library.in_language(language);
    }
}

/// Which lesson is open, and at which step.
#[derive(Resource, Debug, Default, Clone, PartialEq)]
pub struct LessonProgress {
    pub lesson: Option<usize>,
    pub step: usize,
}

/// Enter a lesson's step: its settings with a fresh network, and training
/// started if the step says so.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct EnterStep {
    pub lesson: usize,
    pub step: usize,
    /// Settings to start the step with instead of its own: a share link's,
    /// which carries what the teacher had changed in the step.
    pub settings: Option<Box<Config>>,
}

impl EnterStep {
    pub fn new(lesson: usize, step: usize) -> Self {
        EnterStep { lesson, step, settings: None }
    }
}

/// A change of how the app is presented.
#[derive(Message, Debug, Clone, Copy, PartialEq)]
pub enum PresentationRequest {
    /// Interface size up (+1) or down (-1) a step.
    Zoom(f32),
    Presenting(bool),
    HighContrast(bool),
    Fullscreen(bool),
}

#[derive(Resource, Debug, Clone, PartialEq)]
pub struct Presentation {
    /// egui's zoom factor: the size of every panel, label and chart.
    pub zoom: f32,
    pub high_contrast: bool,
    /// Side panels hidden so the network fills the window.
    pub presenting: bool,
    pub fullscreen: bool,
}

impl Default for Presentation {
    fn default() -> Self {
        Self { zoom: 1.0, high_contrast: false, presenting: false, fullscreen: false }
    }
}

impl Presentation {
    pub fn zoom_by(&mut self, steps: f32) {
        let (low, high) = ZOOM_RANGE;
        self.zoom = ((self.zoom + steps * ZOOM_STEP) * 10.0).round() / 10.0;
        self.zoom = self.zoom.clamp(low, high);
    }
}

pub struct ClassroomPlugin {
    pub lessons: Lessons,
    /// A lesson and step to open.
    pub open: Option<(usize, usize)>,
}

impl Plugin for ClassroomPlugin {
    fn build(&self, app: &mut App) {
        for error in &self.lessons.library.errors {
            warn!("{error}");
        }
        let progress = LessonProgress { lesson: self.open.map(|(lesson, _)| lesson), step: self.open.map_or(0, |(_, step)| step) };
        app.insert_resource(self.lessons.clone())
            .insert_resource(progress)
            .init_resource::<Presentation>()
            .add_message::<EnterStep>()
            .add_message::<PresentationRequest>()
            .add_systems(Update, (enter_steps, present).in_set(LabSet::Input))
            .add_systems(Update, apply_fullscreen.in_set(LabSet::ApplyChanges))
            .add_systems(EguiPrimaryContextPass, apply_presentation.in_set(DrawSet::Theme));
    }
}

fn enter_steps(
    mut requests: MessageReader<EnterStep>,
    lessons: Res<Lessons>,
    mut progress: ResMut<LessonProgress>,
    mut commands: MessageWriter<RunCommand>,
) {
    for request in requests.read() {
        let Some(step) = lessons.lessons.get(request.lesson).and_then(|l| l.steps.get(request.step)) else { continue };
        *progress = LessonProgress { lesson: Some(request.lesson), step: request.step };
        let settings = request.settings.clone().unwrap_or_else(|| Box::new(step.config.clone()));
        commands.write(RunCommand(Command::Restart(settings)));
        commands.write(RunCommand(if step.play { Command::Play } else { Command::Pause }));
    }
}

fn present(mut requests: MessageReader<PresentationRequest>, mut presentation: ResMut<Presentation>) {
    for request in requests.read() {
        match *request {
            PresentationRequest::Zoom(steps) => presentation.zoom_by(steps),
            PresentationRequest::Presenting(on) => presentation.presenting = on,
            PresentationRequest::HighContrast(on) => presentation.high_contrast = on,
            PresentationRequest::Fullscreen(on) => presentation.fullscreen = on,
        }
    }
}

/// A theme for projectors: black on white, thick strokes, strong
/// selection colours.
fn high_contrast_visuals() -> egui::Visuals {
    let mut visuals = egui::Visuals::light();
    let black = egui::Color32::BLACK;
    visuals.panel_fill = egui::Color32::WHITE;
    visuals.window_fill = egui::Color32::WHITE;
    visuals.extreme_bg_color = egui::Color32::WHITE;
    visuals.faint_bg_color = egui::Color32::from_gray(235);
    visuals.window_stroke = egui::Stroke::new(2.0, black);
    for widget in
        [&mut visuals.widgets.noninteractive, &mut visuals.widgets.inactive, &mut visuals.widgets.hovered, &mut visuals.widgets.active]
    {
        widget.fg_stroke = egui::Stroke::new(1.5, black);
        widget.bg_stroke = egui::Stroke::new(1.2, black);
    }
    visuals.selection.bg_fill = egui::Color32::from_rgb(0, 70, 200);
    visuals.selection.stroke = egui::Stroke::new(2.0, egui::Color32::WHITE);
    visuals
}

/// Visuals that a software renderer (a classroom laptop, a CI machine)
/// draws quickly, for almost the same look. Its frame is bound by the
/// pixels it blends and the triangles it rasterises, and egui's defaults
/// spend both on ornaments: a window's shadow is a blurred rectangle as
/// large as the window, blended under it; a widget's 2-pixel rounded corners
/// make its background about 60 triangles instead of 6 (a panel of sliders
/// and fields, thousands; a chart's legend, 250). Windows keep their
/// outline.
fn cheap_to_draw(mut visuals: egui::Visuals) -> egui::Visuals {
    visuals.window_shadow = egui::Shadow::NONE;
    visuals.popup_shadow = egui::Shadow::NONE;
    visuals.menu_corner_radius = egui::CornerRadius::ZERO;
    visuals.window_corner_radius = egui::CornerRadius::ZERO;
    for widget in [
        &mut visuals.widgets.noninteractive,
        &mut visuals.widgets.inactive,
        &mut visuals.widgets.hovered,
        &mut visuals.widgets.active,
        &mut visuals.widgets.open,
    ] {
        widget.corner_radius = egui::CornerRadius::ZERO;
    }
    visuals
}

fn apply_presentation(mut contexts: EguiContexts, presentation: Res<Presentation>, mut applied: Local<Option<(f32, bool)>>) -> Result {
    let wanted = (presentation.zoom, presentation.high_contrast);
    if *applied == Some(wanted) {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    ctx.set_zoom_factor(presentation.zoom);
    if presentation.high_contrast {
        ctx.set_theme(egui::Theme::Light);
        ctx.set_visuals(cheap_to_draw(high_contrast_visuals()));
    } else {
        ctx.set_theme(egui::Theme::Dark);
        ctx.set_visuals(cheap_to_draw(egui::Visuals::dark()));
    }
    *applied = Some(wanted);
    Ok(())
}

fn apply_fullscreen(presentation: Res<Presentation>, window: Option<Single<&mut Window, With<PrimaryWindow>>>) {
    if !presentation.is_changed() {
        return;
    }
    let Some(mut window) = window else { return };
    let wanted = if presentation.fullscreen { WindowMode::BorderlessFullscreen(MonitorSelection::Current) } else { WindowMode::Windowed };
    if window.mode != wanted {
        window.mode = wanted;
    }
}
