//! The window's layout: a top bar with the run controls, settings on the
//! left, charts on the right, the network in the middle, and the windows
//! that float over it (neuron inspector, help). egui panels share one root
//! `Ui`, so one system lays them out and each module draws its own part.

mod charts;
mod controls;
mod digits_view;
mod files_window;
mod inspector;
mod lessons_window;
mod network_view;
mod replicas_window;
mod status;

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use super::classroom::{LessonProgress, Lessons, Presentation};
use super::digits::DigitsState;
use super::files::{FileRequest, Files};
use super::pictures::{NeuronPictures, PictureSettings};
use super::session::{DraftConfig, Lab, Notice, RunCommand, RunState, Throughput};

/// How edges between neurons are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EdgeColouring {
    /// Colour is the weight's sign, thickness its magnitude.
    #[default]
    Weight,
    /// Brightness is the magnitude of the loss gradient through the weight:
    /// where gradient flows and where it dies.
    Gradient,
}

/// Which quantity the histogram chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HistogramKind {
    #[default]
    Weights,
    PreActivations,
    Activations,
    Gradients,
}

/// What the user has chosen to look at; none of it changes the training.
#[derive(Resource, Debug, Clone)]
pub struct ViewState {
    pub show_help: bool,
    pub show_controls: bool,
    pub show_charts: bool,
    pub show_test_points: bool,
    pub edge_colouring: EdgeColouring,
    /// The neuron whose inspector is open: (layer from 0, unit).
    pub inspected: Option<(usize, usize)>,
    pub histogram_layer: usize,
    pub histogram_kind: HistogramKind,
    pub show_files: bool,
    pub show_replicas: bool,
    /// Charts over steps use a logarithmic step axis.
    pub log_steps: bool,
    /// The layer whose replica-to-replica CKA matrix is shown.
    pub cka_layer: usize,
}

impl Default for ViewState {
    fn default() -> Self {
        Self {
            show_help: false,
            show_controls: true,
            show_charts: true,
            show_test_points: false,
            edge_colouring: EdgeColouring::Weight,
            inspected: None,
            histogram_layer: 0,
            histogram_kind: HistogramKind::Weights,
            show_files: false,
            show_replicas: false,
            log_steps: false,
            cka_layer: 0,
        }
    }
}

/// Everything the panels read and edit.
#[derive(SystemParam)]
pub struct UiParams<'w> {
    pub lab: Res<'w, Lab>,
    pub draft: ResMut<'w, DraftConfig>,
    pub run: ResMut<'w, RunState>,
    pub throughput: Res<'w, Throughput>,
    pub notice: ResMut<'w, Notice>,
    pub view: ResMut<'w, ViewState>,
    pub pictures: Res<'w, NeuronPictures>,
    pub picture_settings: ResMut<'w, PictureSettings>,
    pub commands: MessageWriter<'w, RunCommand>,
    pub time: Res<'w, Time>,
    pub lessons: Res<'w, Lessons>,
    pub progress: ResMut<'w, LessonProgress>,
    pub presentation: ResMut<'w, Presentation>,
    pub files: ResMut<'w, Files>,
    pub file_requests: MessageWriter<'w, FileRequest>,
    pub digits: ResMut<'w, DigitsState>,
}

pub struct UiPlugin;

impl Plugin for UiPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<ViewState>().add_systems(EguiPrimaryContextPass, draw_ui);
    }
}

pub fn draw_ui(mut contexts: EguiContexts, mut params: UiParams, mut seen_generation: Local<Option<u64>>) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    // A session that starts with replicas opens their window.
    if *seen_generation != Some(params.lab.generation) {
        *seen_generation = Some(params.lab.generation);
        if params.lab.trainers().len() > 1 {
            params.view.show_replicas = true;
        }
    }
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root".into(),
        egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.viewport_rect()),
    );
    egui::Panel::top("run-bar").show(&mut root, |ui| status::run_bar(ui, &mut params));
    egui::Panel::bottom("status-line").show(&mut root, |ui| status::status_line(ui, &mut params));
    let presenting = params.presentation.presenting;
    if params.view.show_controls && !presenting {
        egui::Panel::left("controls")
            .default_size(250.0)
            .resizable(true)
            .show(&mut root, |ui| egui::ScrollArea::vertical().show(ui, |ui| controls::show(ui, &mut params)));
    }
    if params.view.show_charts && !presenting {
        egui::Panel::right("charts")
            .default_size(340.0)
            .resizable(true)
            .show(&mut root, |ui| egui::ScrollArea::vertical().show(ui, |ui| charts::show(ui, &mut params)));
    }
    egui::CentralPanel::default().show(&mut root, |ui| {
        status::divergence_banner(ui, &mut params);
        if params.lab.trainer().data().plane.has_grid() {
            network_view::show(ui, &mut params);
        } else {
            digits_view::show(ui, &mut params);
        }
    });
    inspector::show(&ctx, &mut params);
    lessons_window::show(&ctx, &mut params);
    replicas_window::show(&ctx, &mut params);
    let mut show_files = params.view.show_files;
    files_window::show(&ctx, &mut params, &mut show_files);
    params.view.show_files = show_files;
    files_window::error_dialog(&ctx, &mut params);
    status::help_window(&ctx, &mut params);
    Ok(())
}

/// Edits a copy of the draft config and writes it back only if something
/// changed, so the session rebuilds only on a real change.
pub(crate) fn edit_draft(draft: &mut DraftConfig, edit: impl FnOnce(&mut crate::config::Config)) {
    let mut config = draft.0.clone();
    edit(&mut config);
    if config != draft.0 {
        draft.0 = config;
    }
}
