//! `--frames N [--screenshot FILE]`: run N frames with training on, save
//! the window, print the average frame time and how fast training went,
//! exit. For tests, for measuring, and for the screenshots in the README.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured, save_to_disk};

use super::session::Lab;

/// Frames to wait for a requested screenshot to be written before giving
/// up with an error.
const SCREENSHOT_PATIENCE: u32 = 240;
/// The screenshot is requested this many frames before the last, as the
/// capture lands a frame or two later.
const SCREENSHOT_LEAD: u32 = 5;
/// The first frames (window creation, shader compilation) are not counted
/// in the average.
const WARMUP_FRAMES: u32 = 3;

pub struct AutomationPlugin {
    pub frames: Option<u32>,
    pub screenshot: Option<PathBuf>,
    /// `--pointer X,Y`: where the mouse pointer is put (in logical
    /// pixels), so a screenshot shows a chosen hover, or none by accident
    /// (Xvfb starts the pointer in the middle of the screen).
    pub pointer: Option<[f32; 2]>,
}

#[derive(Resource, Debug)]
struct Automation {
    frames: u32,
    screenshot: Option<PathBuf>,
    frame: u32,
    measured: Duration,
    measured_frames: u32,
    /// Steps and samples when measuring began.
    start: Option<Start>,
    requested: bool,
    pointer: Option<[f32; 2]>,
    /// Set by the capture observer once the file is written (or failed).
    saved: Arc<Mutex<Option<Result<(), String>>>>,
}

impl Plugin for AutomationPlugin {
    fn build(&self, app: &mut App) {
        if let Some(frames) = self.frames {
            app.insert_resource(Automation {
                frames: frames.max(1),
                screenshot: self.screenshot.clone(),
                frame: 0,
                measured: Duration::ZERO,
                measured_frames: 0,
                start: None,
                requested: false,
                pointer: self.pointer,
                saved: Arc::new(Mutex::new(None)),
            })
            .add_systems(Last, count_frames_and_exit);
        }
    }
}

/// Where the measured frames' training began.
#[derive(Debug, Clone, Copy)]
struct Start {
    step: u64,
    samples: u64,
    generation: u64,
}

fn count_frames_and_exit(
    mut automation: ResMut<Automation>,
    time: Res<Time>,
    lab: Res<Lab>,
    words: Option<Res<super::language::Words>>,
    mut windows: Query<&mut Window>,
    mut commands: Commands,
    mut exit: MessageWriter<AppExit>,
) {
    automation.frame += 1;
    // Again every few frames: the window manager may move the pointer
    // while the window is being mapped.
    if let Some([x, y]) = automation.pointer
        && automation.frame % 10 == 1
    {
        for mut window in &mut windows {
            window.set_cursor_position(Some(Vec2::new(x, y)));
        }
    }
    // Counted again from a run that replaced the one measured from (an
    // experiment still loading at the warm-up's end).
    let replaced = automation.start.is_some_and(|start| start.generation != lab.generation);
    if automation.frame == WARMUP_FRAMES || replaced {
        automation.start = Some(Start { step: lab.step, samples: lab.samples_seen, generation: lab.generation });
    }
    if automation.frame > WARMUP_FRAMES && automation.frame <= automation.frames {
        automation.measured += time.delta();
        automation.measured_frames += 1;
    }
    let frame = automation.frame;
    if let Some(path) = automation.screenshot.clone()
        && !automation.requested
        && frame + SCREENSHOT_LEAD >= automation.frames
    {
        automation.requested = true;
        let saved = Arc::clone(&automation.saved);
        let mut save = save_to_disk(path.clone());
        commands.spawn(Screenshot::primary_window()).observe(move |captured: On<ScreenshotCaptured>| {
            save(captured);
            let result = if path.is_file() { Ok(()) } else { Err(format!("could not write {}", path.display())) };
            *saved.lock().expect("the flag is never poisoned") = Some(result);
        });
    }
    if frame == automation.frames {
        let seconds = automation.measured.as_secs_f64();
        let average = seconds * 1000.0 / f64::from(automation.measured_frames.max(1));
        let (steps, samples) =
            automation.start.map_or((0, 0), |start| (lab.step.saturating_sub(start.step), lab.samples_seen.saturating_sub(start.samples)));
        let per_second = |count: u64| if seconds > 0.0 { count as f64 / seconds } else { 0.0 };
        println!(
            "{} frames, average frame time {average:.2} ms; trained {steps} steps over the measured frames ({:.0} steps/s, {:.0} samples/s), now at step {}",
            automation.frames,
            per_second(steps),
            per_second(samples),
            lab.step
        );
        if let Some(words) = words {
            println!("language: {}", words.language());
        }
    }
    if frame < automation.frames {
        return;
    }
    let outcome = if automation.screenshot.is_some() { automation.saved.lock().expect("never poisoned").clone() } else { Some(Ok(())) };
    match outcome {
        Some(Ok(())) => {
            if let Some(path) = &automation.screenshot {
                println!("screenshot saved to {}", path.display());
            }
            exit.write(AppExit::Success);
        }
        Some(Err(message)) => {
            eprintln!("error: {message}");
            exit.write(AppExit::from_code(1));
        }
        None if frame > automation.frames + SCREENSHOT_PATIENCE => {
            eprintln!("error: the screenshot was not captured within {SCREENSHOT_PATIENCE} frames");
            exit.write(AppExit::from_code(1));
        }
        None => {}
    }
}
