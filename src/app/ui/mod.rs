//! The window's layout: a top bar with the run controls, settings on the
//! left, charts on the right, the network in the middle, and the windows
//! that float over it (neuron inspector, lessons, replicas, files, help).
//!
//! Each panel is a struct that owns its own state (which histogram, which
//! layer, whether it is open) and is drawn from a read-only [`Frame`] of
//! this frame's data; what the user asks for comes back as [`Requests`]
//! (and settings edits in the draft config), and one place sends them on.
//! No panel changes another's state.

mod central;
mod chaos_window;
mod charts;
mod controls;
mod digits_view;
mod files_window;
mod inspector;
mod lessons_window;
mod network_view;
mod raster;
mod replicas_view;
mod run_bar;
mod step_window;
mod traces;
mod waves_view;

pub use controls::{StopKind, StopSetting};

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use super::classroom::{EnterStep, LessonProgress, Lessons, Presentation, PresentationRequest};
use super::digits::{DigitsRequest, DigitsState};
use super::files::{DismissFileError, FileRequest, Files};
use super::language::{ChooseLanguage, Words};
use super::pictures::{NeuronPictures, PictureSettings};
use super::schedule::DrawSet;
use super::session::{DraftConfig, Lab, Notice, RunCommand};
use super::step_through::{StepThrough, StepThroughRequest};
use super::windows::{Open, Toggle};
use crate::config::Config;
use crate::i18n::Localizer;
use crate::run::session::{Command, SessionView};
use central::CentralView;

/// What every panel reads this frame.
pub struct Frame<'a> {
    pub lab: &'a SessionView,
    pub pictures: &'a NeuronPictures,
    pub picture_settings: &'a PictureSettings,
    pub digits: &'a DigitsState,
    pub lessons: &'a Lessons,
    pub progress: &'a LessonProgress,
    pub presentation: &'a Presentation,
    pub notice: &'a Notice,
    pub files: &'a Files,
    pub step_through: &'a StepThrough,
    /// The last frame's duration.
    pub frame_ms: f64,
    /// The words of the app's language: `tr!(frame.tr, "id", ...)`.
    pub tr: &'a Localizer,
}

/// What the panels asked for this frame, sent on once they are drawn.
#[derive(Default)]
pub struct Requests {
    pub run: Vec<Command>,
    pub files: Vec<FileRequest>,
    pub present: Vec<PresentationRequest>,
    pub lesson_steps: Vec<EnterStep>,
    pub digits: Vec<DigitsRequest>,
    pub toggles: Vec<Toggle>,
    pub step_through: Vec<StepThroughRequest>,
    pub picture_settings: Option<PictureSettings>,
    pub dismiss_file_error: bool,
    /// Text for the clipboard.
    pub copy: Option<String>,
    /// Share links to open.
    pub links: Vec<String>,
    /// A language to show the app in.
    pub language: Option<String>,
}

impl Requests {
    pub fn run(&mut self, command: Command) {
        self.run.push(command);
    }

    /// A step-through request that shows a step now: explaining needs the
    /// run paused.
    pub fn step_through_now(&mut self, request: StepThroughRequest) {
        self.run.push(Command::Pause);
        self.step_through.push(request);
    }
}

/// Every panel and window, each with its own state.
#[derive(Resource, Default)]
pub struct Panels {
    run_bar: run_bar::RunBar,
    controls: controls::Controls,
    charts: charts::Charts,
    network: network_view::NetworkView,
    digits: digits_view::DigitsView,
    inspector: inspector::Inspector,
    replicas: replicas_view::ReplicasView,
    files: files_window::FilesWindow,
    lessons: lessons_window::LessonsWindow,
    help: run_bar::HelpWindow,
    waves: waves_view::WavesView,
    chaos: chaos_window::ChaosWindow,
    hide_controls: bool,
    hide_charts: bool,
    /// What the centre shows, and what the run last suggested it show.
    central: CentralView,
    suggested: Option<CentralView>,
    seen_generation: Option<u64>,
    opened_lesson: bool,
}

/// The resources the panels read.
#[derive(SystemParam)]
pub struct Reads<'w> {
    lab: Res<'w, Lab>,
    pictures: Res<'w, NeuronPictures>,
    digits: Res<'w, DigitsState>,
    lessons: Res<'w, Lessons>,
    progress: Res<'w, LessonProgress>,
    presentation: Res<'w, Presentation>,
    notice: Res<'w, Notice>,
    files: Res<'w, Files>,
    step_through: Res<'w, StepThrough>,
    time: Res<'w, Time>,
    words: Res<'w, Words>,
}

/// Where the panels' requests go.
#[derive(SystemParam)]
pub struct Sends<'w> {
    run: MessageWriter<'w, RunCommand>,
    files: MessageWriter<'w, FileRequest>,
    present: MessageWriter<'w, PresentationRequest>,
    lesson_steps: MessageWriter<'w, EnterStep>,
    digits: MessageWriter<'w, DigitsRequest>,
    dismiss: MessageWriter<'w, DismissFileError>,
    notices: MessageWriter<'w, super::session::NoticeMessage>,
    step_through: MessageWriter<'w, StepThroughRequest>,
    picture_settings: ResMut<'w, PictureSettings>,
    language: MessageWriter<'w, ChooseLanguage>,
}

pub struct UiPlugin;

impl Plugin for UiPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Panels>()
            .add_message::<Toggle>()
            .add_message::<Open>()
            .add_systems(EguiPrimaryContextPass, (clear_to_panel_colour, draw_ui).in_set(DrawSet::Draw));
    }
}

/// The panels are drawn without a fill (see [`draw_ui`]): the camera's
/// clear colour is their background. A software renderer clears the window
/// anyway, and blending a second window-sized layer over it cost a quarter
/// of the frame under lavapipe.
fn clear_to_panel_colour(mut contexts: EguiContexts, clear: Option<ResMut<ClearColor>>) -> Result {
    let Some(mut clear) = clear else { return Ok(()) };
    let [r, g, b, a] = contexts.ctx_mut()?.global_style().visuals.panel_fill.to_srgba_unmultiplied();
    let panel = Color::srgba_u8(r, g, b, a);
    if clear.0 != panel {
        clear.0 = panel;
    }
    Ok(())
}

pub fn draw_ui(
    mut contexts: EguiContexts,
    mut panels: ResMut<Panels>,
    reads: Reads,
    mut draft: ResMut<DraftConfig>,
    (mut toggles, mut opens): (MessageReader<Toggle>, MessageReader<Open>),
    mut sends: Sends,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let picture_settings = sends.picture_settings.clone();
    let frame = Frame {
        lab: &reads.lab,
        pictures: &reads.pictures,
        picture_settings: &picture_settings,
        digits: &reads.digits,
        lessons: &reads.lessons,
        progress: &reads.progress,
        presentation: &reads.presentation,
        notice: &reads.notice,
        files: &reads.files,
        step_through: &reads.step_through,
        frame_ms: reads.time.delta_secs_f64() * 1000.0,
        tr: &reads.words.0,
    };
    let panels = &mut *panels;
    let mut requests = Requests::default();
    // A run with replicas opens on them, modular addition on its waves; a
    // rebuild of the same kind of run (a reset, a setting) leaves the
    // centre where the user put it. One that starts in a lesson opens the
    // lessons.
    if panels.seen_generation != Some(frame.lab.generation) {
        panels.seen_generation = Some(frame.lab.generation);
        let suggested = CentralView::suggested_for(frame.lab);
        if panels.suggested != Some(suggested) {
            panels.suggested = Some(suggested);
            panels.central = suggested;
        }
    }
    for Open(which) in opens.read() {
        panels.open(*which);
    }
    for toggle in toggles.read() {
        panels.toggle(*toggle);
    }
    if !panels.opened_lesson && frame.progress.lesson.is_some() {
        panels.opened_lesson = true;
        panels.lessons.open = true;
    }
    let mut config: Config = draft.0.clone();
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root".into(),
        egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.viewport_rect()),
    );
    let presenting = frame.presentation.presenting;
    // Unfilled: the clear colour is the panels' background (`clear_to_panel_colour`).
    let style = ctx.global_style();
    let side = egui::Frame::side_top_panel(&style).fill(egui::Color32::TRANSPARENT);
    let centre = egui::Frame::central_panel(&style).fill(egui::Color32::TRANSPARENT);
    egui::Panel::top("run-bar").frame(side).show(&mut root, |ui| {
        let shown = run_bar::Shown {
            controls: !panels.hide_controls,
            charts: !panels.hide_charts,
            files: panels.files.open,
            replicas: panels.central == CentralView::Replicas,
            lessons: panels.lessons.open,
            help: panels.help.open,
        };
        panels.run_bar.show(ui, &frame, &mut config, shown, &mut requests);
    });
    egui::Panel::bottom("status-line").frame(side).show(&mut root, |ui| run_bar::status_line(ui, &frame));
    if !panels.hide_controls && !presenting {
        egui::Panel::left("controls")
            .frame(side)
            .default_size(250.0)
            .resizable(true)
            .show(&mut root, |ui| egui::ScrollArea::vertical().show(ui, |ui| panels.controls.show(ui, &frame, &mut config, &mut requests)));
    }
    if !panels.hide_charts && !presenting {
        egui::Panel::right("charts")
            .frame(side)
            .default_size(340.0)
            .resizable(true)
            .show(&mut root, |ui| egui::ScrollArea::vertical().show(ui, |ui| panels.charts.show(ui, &frame, &mut requests)));
    }
    egui::CentralPanel::default().frame(centre).show(&mut root, |ui| {
        if !panels.central.applies_to(frame.lab) {
            panels.central = CentralView::Network;
        }
        central::tabs(ui, frame.tr, frame.lab, &mut panels.central);
        run_bar::divergence_banner(ui, &frame, &mut config, &mut requests);
        match panels.central {
            CentralView::Network if frame.lab.data.plane.has_grid() => {
                if let Some(clicked) = panels.network.show(ui, &frame, &mut config, &mut requests) {
                    panels.inspector.target = Some(clicked);
                }
            }
            CentralView::Network => panels.digits.show(ui, &frame, &mut requests),
            CentralView::Replicas => panels.replicas.show(ui, &frame, &mut config),
            CentralView::Waves => panels.waves.show(ui, &frame),
        }
    });
    panels.inspector.show(&ctx, &frame);
    panels.lessons.show(&ctx, &frame, &mut requests);
    panels.files.show(&ctx, &frame, &mut requests);
    files_window::error_dialog(&ctx, &frame, &mut requests);
    panels.help.show(&ctx, frame.tr);
    panels.chaos.show(&ctx, &frame);
    step_window::show(&ctx, &frame, &mut requests);
    for toggle in std::mem::take(&mut requests.toggles) {
        panels.toggle(toggle);
    }
    if let Some(text) = requests.copy.take() {
        ctx.copy_text(text);
    }
    for link in std::mem::take(&mut requests.links) {
        open_link(&link, &frame, &mut requests, &mut sends);
    }
    send(requests, &mut sends);
    if config != draft.0 {
        draft.0 = config;
    }
    Ok(())
}

impl Panels {
    fn open(&mut self, which: Toggle) {
        match which {
            Toggle::Help => self.help.open = true,
            Toggle::Lessons => self.lessons.open = true,
            Toggle::Files => self.files.open = true,
            Toggle::Replicas => self.central = CentralView::Replicas,
            Toggle::Settings => self.hide_controls = false,
            Toggle::Charts => self.hide_charts = false,
            Toggle::Waves => self.central = CentralView::Waves,
            Toggle::EdgeOfChaos => self.chaos.open = true,
        }
    }

    fn toggle(&mut self, toggle: Toggle) {
        match toggle {
            Toggle::Help => self.help.open = !self.help.open,
            Toggle::Lessons => self.lessons.open = !self.lessons.open,
            Toggle::Files => self.files.open = !self.files.open,
            Toggle::Replicas => self.central = self.central.toggled(CentralView::Replicas),
            Toggle::Settings => self.hide_controls = !self.hide_controls,
            Toggle::Charts => self.hide_charts = !self.hide_charts,
            Toggle::Waves => self.central = self.central.toggled(CentralView::Waves),
            Toggle::EdgeOfChaos => self.chaos.open = !self.chaos.open,
        }
    }
}

/// A preset's description in the app's language; the preset file's own
/// (English) line for a preset the catalogues do not know.
pub fn preset_description(tr: &Localizer, preset: &crate::config::Preset) -> String {
    let id = format!("preset-{}", preset.name);
    if tr.has(&id) { tr.tr(&id, None) } else { preset.description() }
}

/// A share link pasted into the app: its lesson step, or its settings
/// with a fresh network; a bad link is a notice and changes nothing.
fn open_link(link: &str, frame: &Frame, requests: &mut Requests, sends: &mut Sends) {
    match crate::share::decode(link) {
        Ok(setup) => {
            requests.language = setup.language;
            let lesson = setup.lesson.and_then(|(name, step)| Some((frame.lessons.lessons.iter().position(|l| l.name == name)?, step)));
            match lesson {
                Some((lesson, step)) => requests.lesson_steps.push(EnterStep::new(lesson, step)),
                None => requests.run(Command::Restart(Box::new(setup.config))),
            }
        }
        Err(error) => {
            sends.notices.write(super::session::NoticeMessage(crate::tr!(frame.tr, "app-link-not-opened", error = error.to_string())));
        }
    }
}

fn send(requests: Requests, sends: &mut Sends) {
    sends.run.write_batch(requests.run.into_iter().map(RunCommand));
    sends.files.write_batch(requests.files);
    sends.present.write_batch(requests.present);
    sends.lesson_steps.write_batch(requests.lesson_steps);
    sends.digits.write_batch(requests.digits);
    sends.step_through.write_batch(requests.step_through);
    if let Some(language) = requests.language {
        sends.language.write(ChooseLanguage(language));
    }
    if requests.dismiss_file_error {
        sends.dismiss.write(DismissFileError);
    }
    if let Some(settings) = requests.picture_settings
        && *sends.picture_settings != settings
    {
        *sends.picture_settings = settings;
    }
}
