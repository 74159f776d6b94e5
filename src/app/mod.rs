//! The live app: a Bevy window with egui panels in which the engine trains
//! a network and every neuron and weight is drawn as it changes.
//!
//! One plugin per feature, layered (each imports only those above it in
//! this list, and [`schedule`], [`palette`], [`platform`], [`windows`]):
//! - [`session`]: the run, on a training thread or in-frame, its commands
//!   and its snapshot (`Lab`);
//! - [`pictures`]: every neuron's map as textures; [`digits`]: the image
//!   view's predictions;
//! - [`classroom`]: lessons and presentation; [`language`]: the words of
//!   the chosen language and the fonts that draw them; [`files`]: save,
//!   load, export; [`step_through`]: one training step, stage by stage;
//! - [`keys`]: shortcuts; [`automation`]: `--frames` and screenshots;
//! - [`ui`]: the panels, which read a frame's snapshot and send requests.
//!
//! The frame's order is declared once in [`schedule`]. The app reads the
//! engine and draws; it computes nothing about the network itself.

pub mod automation;
pub mod classroom;
pub mod digits;
pub mod files;
pub mod keys;
pub mod language;
pub mod palette;
pub mod pictures;
pub mod platform;
pub mod schedule;
pub mod session;
pub mod step_through;
pub mod ui;
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub mod web;
pub mod windows;

use std::sync::atomic::{AtomicBool, Ordering};

use bevy::core_pipeline::tonemapping::DebandDither;
use bevy::prelude::*;
use bevy::render::view::Msaa;
use bevy::window::{PresentMode, WindowResolution};
use bevy_egui::EguiPlugin;

use crate::args::{EXIT_BAD_INPUT, GuiArgs};
use crate::explain::Stage;
use crate::run::session::{Command, PointChoice, Speed, Stop};

pub use automation::AutomationPlugin;
pub use classroom::ClassroomPlugin;
pub use files::FilesPlugin;
pub use keys::KeysPlugin;
pub use language::{ChooseLanguage, LanguagePlugin, Words};
pub use pictures::PicturesPlugin;
pub use schedule::SchedulePlugin;
pub use session::{DraftConfig, Driving, Lab, Notice, RunCommand, SessionPlugin};
pub use step_through::{Hold, StepThrough, StepThroughPlugin, StepThroughRequest};
pub use ui::UiPlugin;

pub const WINDOW_SIZE: (u32, u32) = (1280, 800);

/// Why a window cannot open here, if that can be known before trying: on
/// X11 systems, no `DISPLAY`.
fn missing_display() -> Option<String> {
    if cfg!(all(unix, not(target_os = "macos"))) && std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty()) {
        return Some(
            "no display to open a window on (DISPLAY is not set): run the app on a desktop, under `xvfb-run`, or use `emergence-lab run` to train without a window"
                .into(),
        );
    }
    None
}

/// A screenshot file that cannot be written is bad input, found before
/// the window opens rather than after the frames have run.
fn check_writable(path: &std::path::Path) -> Result<(), String> {
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot write the screenshot {}: {e}", path.display()))?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// Set once the app is built and starts running: the window library fails
/// (panics) while it is built when it cannot reach a display.
static APP_BUILT: AtomicBool = AtomicBool::new(false);

/// How the app starts.
pub struct Start {
    pub config: crate::config::Config,
    /// A saved experiment to go on with (`--experiment`), whose config is
    /// `config`.
    pub experiment: Option<Box<crate::run::Run>>,
    pub lessons: classroom::Lessons,
    /// A lesson and step to open.
    pub lesson: Option<(usize, usize)>,
    /// Training speed at the start; `None` paused.
    pub speed: Option<Speed>,
    /// `--frames`, `--screenshot`.
    pub frames: Option<u32>,
    pub screenshot: Option<std::path::PathBuf>,
    /// Something to tell the user at once (a link that could not be read).
    pub notice: Option<String>,
    /// `--stop-after`.
    pub stop: Option<Stop>,
    /// `--step-through` and `--stage`: the mode open on this point, at this
    /// stage.
    pub step_through: Option<(PointChoice, Stage)>,
    /// Windows open at the start.
    pub open: Vec<windows::Open>,
    /// `--pointer`.
    pub pointer: Option<[f32; 2]>,
    /// `--apply`: take the step shown.
    pub apply: bool,
    /// The languages asked for, most wanted first.
    pub languages: Vec<String>,
    /// The language the user named (`--lang`, `?lang=`).
    pub named_language: Option<String>,
    /// `--present`, `--high-contrast`.
    pub presentation: Vec<classroom::PresentationRequest>,
}

/// The app with every plugin, drawing into `window`.
pub fn build(start: Start, window: Window) -> App {
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin { primary_window: Some(window), ..default() }))
        .add_plugins(EguiPlugin::default())
        .add_plugins((
            SchedulePlugin,
            match start.experiment {
                Some(run) => SessionPlugin::resuming(run),
                None => SessionPlugin::new(start.config),
            },
            PicturesPlugin,
            ClassroomPlugin { lessons: start.lessons, open: start.lesson },
            LanguagePlugin { requested: start.languages, named: start.named_language },
            FilesPlugin,
            StepThroughPlugin,
            digits::DigitsPlugin,
            UiPlugin,
            KeysPlugin,
            AutomationPlugin { frames: start.frames, screenshot: start.screenshot, pointer: start.pointer },
        ))
        .add_systems(Startup, spawn_camera);
    if let Some(message) = start.notice {
        app.world_mut().resource_mut::<Notice>().message = Some(message);
    }
    if let Some(stop) = start.stop {
        app.world_mut().write_message(RunCommand(Command::StopAt(stop)));
        // The step to show is the one after the stop, not step 1.
        if start.step_through.is_some() && start.speed.is_some() {
            app.world_mut().resource_mut::<StepThrough>().hold = step_through::Hold::UntilTrained;
        }
    }
    for window in start.open {
        app.world_mut().write_message(window);
    }
    for request in start.presentation {
        app.world_mut().write_message(request);
    }
    if let Some(speed) = start.speed {
        app.world_mut().write_message(RunCommand(Command::SetSpeed(speed)));
        app.world_mut().write_message(RunCommand(Command::Play));
    }
    if let Some((choice, stage)) = start.step_through {
        for request in [StepThroughRequest::Open, StepThroughRequest::Choose(choice), StepThroughRequest::GoTo(stage)] {
            app.world_mut().write_message(request);
        }
        app.world_mut().resource_mut::<StepThrough>().apply_when_shown = start.apply;
    }
    app
}

/// Opens the app; returns the process exit code.
pub fn run(args: GuiArgs) -> i32 {
    if let Some(problem) = missing_display() {
        eprintln!("error: {problem}");
        return EXIT_BAD_INPUT;
    }
    if let Some(path) = &args.screenshot
        && let Err(problem) = check_writable(path)
    {
        eprintln!("error: {problem}");
        return EXIT_BAD_INPUT;
    }
    let mut languages = crate::i18n::requested_languages(args.lang.as_deref());
    let library = crate::lessons::LessonLibrary::available();
    let lessons = classroom::Lessons::new(library, crate::lessons::BASE_LANGUAGE);
    let lessons_by_name = &lessons.lessons;
    let find_lesson = |name: &str| {
        lessons_by_name.iter().position(|l| l.name == name).ok_or_else(|| {
            let known: Vec<&str> = lessons_by_name.iter().map(|l| l.name.as_str()).collect();
            format!("unknown lesson \"{name}\"; the lessons are: {}", known.join(", "))
        })
    };
    let opened = match (&args.lesson, &args.link) {
        (Some(name), _) => find_lesson(name).map(|index| Some((index, 0))),
        (None, Some(link)) => match crate::share::decode(link) {
            Ok(setup) => match setup.lesson {
                Some((name, step)) => find_lesson(&name).map(|index| Some((index, step))),
                None => Ok(None),
            },
            Err(error) => Err(format!("--link: {error}")),
        },
        (None, None) => Ok(None),
    };
    let lesson = match opened {
        Ok(lesson) => lesson.filter(|&(index, step)| step < lessons_by_name[index].steps.len()),
        Err(problem) => {
            eprintln!("error: {problem}");
            return EXIT_BAD_INPUT;
        }
    };
    // A link's settings win over its lesson step's own: they are what the
    // teacher had on screen when the link was made.
    let experiment = match args.experiment.as_deref().map(crate::run::experiment::load) {
        Some(Ok(run)) => Some(Box::new(run)),
        Some(Err(error)) => {
            eprintln!("error: --experiment: {error}");
            return EXIT_BAD_INPUT;
        }
        None => None,
    };
    let config = match (&experiment, lesson, &args.link) {
        (Some(run), _, _) => run.config().clone(),
        (None, Some((index, step)), None) => lessons_by_name[index].steps[step].config.clone(),
        (None, _, Some(link)) => match crate::share::decode(link) {
            Ok(setup) => {
                // The link's language comes after --lang, before the
                // environment's.
                if let Some(language) = setup.language {
                    languages.insert(usize::from(args.lang.is_some()), language);
                }
                setup.config
            }
            Err(error) => {
                eprintln!("error: --link: {error}");
                return EXIT_BAD_INPUT;
            }
        },
        (None, None, None) => match args.config.load(&[]) {
            Ok(config) => config,
            Err(error) => {
                eprintln!("error: {error}");
                return EXIT_BAD_INPUT;
            }
        },
    };
    // With --frames, training runs at full speed unless --speed says
    // otherwise; a lesson step that plays starts at the default speed.
    let plays = lesson.is_some_and(|(index, step)| lessons_by_name[index].steps[step].play);
    let speed = match (args.speed, args.frames.is_some()) {
        (Some(speed), _) => speed.0,
        (None, true) => Some(Speed::Max),
        (None, false) => plays.then(Speed::default),
    };
    let start = Start {
        config,
        experiment,
        lessons,
        lesson,
        speed,
        frames: args.frames,
        screenshot: args.screenshot.clone(),
        notice: None,
        stop: args.stop_after,
        step_through: args.step_through.map(|choice| (choice, args.stage.unwrap_or(Stage::Forward(0)))),
        open: args.open.iter().map(|&window| windows::Open(window.into())).collect(),
        pointer: args.pointer,
        apply: args.apply,
        languages,
        named_language: args.lang.clone(),
        presentation: [
            args.present.then_some(classroom::PresentationRequest::Presenting(true)),
            args.high_contrast.then_some(classroom::PresentationRequest::HighContrast(true)),
        ]
        .into_iter()
        .flatten()
        .collect(),
    };
    let window = Window {
        title: "Emergence Lab".into(),
        resolution: WindowResolution::new(WINDOW_SIZE.0, WINDOW_SIZE.1),
        present_mode: PresentMode::AutoVsync,
        ..default()
    };
    let build_and_run = move || {
        let mut app = build(start, window);
        APP_BUILT.store(true, Ordering::Relaxed);
        app.run()
    };
    // The window library panics when a display is set but cannot be
    // reached (while the plugins are added, or at the first frame); that is
    // bad input (exit 2) with a message, not a crash.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let message =
            info.payload().downcast_ref::<String>().cloned().or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()));
        eprintln!("error: the app stopped: {}", message.unwrap_or_else(|| "unknown panic".into()));
    }));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(build_and_run));
    std::panic::set_hook(default_hook);
    match outcome {
        Ok(AppExit::Success) => 0,
        Ok(AppExit::Error(code)) => i32::from(code.get()),
        Err(_) if !APP_BUILT.load(Ordering::Relaxed) => {
            eprintln!("error: could not open a window (is the display {:?} reachable?)", std::env::var("DISPLAY").unwrap_or_default());
            EXIT_BAD_INPUT
        }
        // A bug, not bad input: the message above says what happened.
        Err(_) => 101,
    }
}

/// egui draws over a plain 2D camera. Multisampling and dithering add
/// full-screen passes that cost a software renderer (a projector laptop,
/// a CI machine) most of its frame, for flat panels that do not need them.
fn spawn_camera(mut commands: Commands) {
    commands.spawn((Camera2d, Msaa::Off, DebandDither::Disabled));
}
