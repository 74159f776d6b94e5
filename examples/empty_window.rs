//! An empty Bevy + egui window of the app's size, with the app's renderer
//! settings: the floor of frame time on a machine (under Xvfb with software
//! Vulkan, about 40 ms). The app's frame times are measured against it:
//!
//!     xvfb-run -a -s "-screen 0 1280x800x24" cargo run --example empty_window -- 150
//!     xvfb-run -a -s "-screen 0 1280x800x24" target/debug/emergence-lab gui --preset P --frames 150
//!
//! Both print the average frame time over the frames after the first few.
//! With `busy` after the frame count, one thread spins beside the window
//! the whole time, as the app's training thread does while it trains at
//! full speed: the floor for a frame drawn with one core taken.

use bevy::core_pipeline::tonemapping::DebandDither;
use bevy::prelude::*;
use bevy::render::view::Msaa;
use bevy::window::{PresentMode, WindowResolution};
use bevy_egui::{EguiContexts, EguiPlugin, EguiPrimaryContextPass, egui};

const WARMUP_FRAMES: u32 = 3;

#[derive(Resource)]
struct Frames {
    wanted: u32,
    seen: u32,
    measured: f64,
}

fn main() {
    let wanted = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(150);
    if std::env::args().nth(2).as_deref() == Some("busy") {
        std::thread::spawn(|| {
            let mut x = 1.0f64;
            loop {
                x = std::hint::black_box(x * 1.000_000_1 + 1e-9);
            }
        });
    }
    App::new()
        .add_plugins(DefaultPlugins.set(WindowPlugin {
            primary_window: Some(Window {
                title: "Empty window".into(),
                resolution: WindowResolution::new(1280, 800),
                present_mode: PresentMode::AutoVsync,
                ..default()
            }),
            ..default()
        }))
        .add_plugins(EguiPlugin::default())
        .insert_resource(Frames { wanted, seen: 0, measured: 0.0 })
        .add_systems(Startup, |mut commands: Commands| {
            commands.spawn((Camera2d, Msaa::Off, DebandDither::Disabled));
        })
        .add_systems(EguiPrimaryContextPass, draw)
        .add_systems(Last, count)
        .run();
}

fn draw(mut contexts: EguiContexts) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    // The app lays out its panels in one root Ui, as here.
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root".into(),
        egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.viewport_rect()),
    );
    egui::CentralPanel::default().show(&mut root, |ui| ui.label("empty"));
    Ok(())
}

fn count(mut frames: ResMut<Frames>, time: Res<Time>, mut exit: MessageWriter<AppExit>) {
    frames.seen += 1;
    if frames.seen > WARMUP_FRAMES {
        frames.measured += time.delta_secs_f64();
    }
    if frames.seen >= frames.wanted {
        let average = 1000.0 * frames.measured / f64::from(frames.wanted - WARMUP_FRAMES).max(1.0);
        println!("{} frames, average frame time {average:.2} ms", frames.wanted);
        exit.write(AppExit::Success);
    }
}
