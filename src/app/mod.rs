//! The live app: a Bevy window with egui panels in which the engine trains
//! a network and every neuron and weight is drawn as it changes.
//!
//! One plugin per feature: [`session`] holds the trainer and runs it within
//! a frame budget; [`pictures`] turns the engine's neuron maps into
//! textures; [`ui`] lays out the panels; [`keys`] maps shortcuts to run
//! commands; [`automation`] runs a fixed number of frames and takes a
//! screenshot for tests. The app reads the engine and draws; it computes
//! nothing about the network itself.

pub mod automation;
pub mod classroom;
pub mod digits;
pub mod files;
pub mod keys;
pub mod palette;
pub mod pictures;
pub mod session;
pub mod ui;

use bevy::core_pipeline::tonemapping::DebandDither;
use bevy::prelude::*;
use bevy::render::view::Msaa;
use bevy::window::{PresentMode, WindowResolution};
use bevy_egui::EguiPlugin;

use crate::cli::{EXIT_BAD_INPUT, GuiArgs};

pub use automation::AutomationPlugin;
pub use classroom::ClassroomPlugin;
pub use files::FilesPlugin;
pub use keys::KeysPlugin;
pub use pictures::PicturesPlugin;
pub use session::{Change, DraftConfig, Lab, Notice, RunCommand, RunState, SessionPlugin, Throughput};
pub use ui::UiPlugin;

pub const WINDOW_SIZE: (u32, u32) = (1280, 800);

/// Opens the app; returns the process exit code.
pub fn run(args: GuiArgs) -> i32 {
    let (lessons, lesson_errors, lesson_folder) = crate::lessons::available_lessons();
    let lesson = match &args.lesson {
        Some(name) => match lessons.iter().position(|l| &l.name == name) {
            Some(index) => Some(index),
            None => {
                let known: Vec<&str> = lessons.iter().map(|l| l.name.as_str()).collect();
                eprintln!("error: unknown lesson \"{name}\"; the lessons are: {}", known.join(", "));
                return EXIT_BAD_INPUT;
            }
        },
        None => None,
    };
    let config = match lesson {
        Some(index) => lessons[index].steps[0].config.clone(),
        None => match args.config.load(&[]) {
            Ok(config) => config,
            Err(error) => {
                eprintln!("error: {error}");
                return EXIT_BAD_INPUT;
            }
        },
    };
    let automated = args.frames.is_some();
    let play_lesson = lesson.is_some_and(|index| lessons[index].steps[0].play);
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title: "Emergence Lab".into(),
            resolution: WindowResolution::new(WINDOW_SIZE.0, WINDOW_SIZE.1),
            present_mode: PresentMode::AutoVsync,
            ..default()
        }),
        ..default()
    }))
    .add_plugins(EguiPlugin::default())
    .add_plugins((
        SessionPlugin { initial: config },
        PicturesPlugin,
        ClassroomPlugin { lessons: classroom::Lessons { lessons, errors: lesson_errors, folder: lesson_folder }, open: lesson },
        FilesPlugin,
        digits::DigitsPlugin,
        UiPlugin,
        KeysPlugin,
        AutomationPlugin { frames: args.frames, screenshot: args.screenshot.clone() },
    ))
    .add_systems(Startup, spawn_camera);
    if automated || play_lesson {
        app.world_mut().resource_mut::<RunState>().playing = true;
    }
    match app.run() {
        AppExit::Success => 0,
        AppExit::Error(code) => i32::from(code.get()),
    }
}

/// egui draws over a plain 2D camera. Multisampling and dithering add
/// full-screen passes that cost a software renderer (a projector laptop,
/// a CI machine) most of its frame, for flat panels that do not need them.
fn spawn_camera(mut commands: Commands) {
    commands.spawn((Camera2d, Msaa::Off, DebandDither::Disabled));
}
