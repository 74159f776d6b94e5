//! The app in a browser. It reads the page's address: `?bench` runs the
//! training benchmarks in the page instead; a fragment is a share link
//! (its settings, and its lesson step). The app then draws into the page's
//! canvas, follows the window's size, and keeps a few facts on `window` for
//! tests and the curious (`window.__lab`: step, config, frames).

use bevy::prelude::*;
use bevy::window::PresentMode;
use wasm_bindgen::JsValue;
use web_time::Duration;

use super::classroom::{EnterStep, Lessons};
use super::language::{ChooseLanguage, Words};
use super::session::{Lab, Notice, RunCommand};
use super::{Start, build, platform};
use crate::benchmarks::{PLAYGROUND_NETWORKS, fingerprint, fingerprint_cases, playground_config, samples_per_second};
use crate::config::{ConfigSource, load_config};
use crate::run::session::Command;

/// Starts the page: the benchmarks, or the app.
pub fn start() {
    if platform::page_query().contains("bench") {
        run_benchmarks();
        return;
    }
    let lessons = Lessons::new(crate::lessons::LessonLibrary::built_in(), crate::lessons::BASE_LANGUAGE);
    // `?lang=zh-CN` first, then the link's language, then the browser's.
    let query = platform::page_query();
    let mut languages: Vec<String> = query.split(['?', '&']).filter_map(|pair| pair.strip_prefix("lang=")).map(str::to_string).collect();
    let playground = load_config(&ConfigSource::Preset("playground".into()), &[]).expect("the default preset is valid");
    let (config, lesson, notice) = match platform::page_fragment() {
        None => (playground, None, None),
        Some(fragment) => match crate::share::decode(&fragment) {
            Ok(setup) => {
                languages.extend(setup.language);
                let lesson = setup.lesson.and_then(|(name, step)| {
                    let index = lessons.lessons.iter().position(|l| l.name == name)?;
                    (step < lessons.lessons[index].steps.len()).then_some((index, step))
                });
                (setup.config, lesson, None)
            }
            Err(error) => (playground, None, Some(error)),
        },
    };
    languages.extend(crate::i18n::requested_languages(None));
    let words = crate::i18n::Localizer::built_in(&languages).0;
    let notice = notice.map(|error| crate::tr!(words, "app-link-not-opened", error = error.to_string()));
    let window = Window {
        title: "Emergence Lab".into(),
        canvas: Some("#lab".into()),
        fit_canvas_to_parent: true,
        present_mode: PresentMode::AutoVsync,
        ..default()
    };
    let speed = lesson.and_then(|(index, step)| lessons.lessons[index].steps[step].play.then(Default::default));
    let start = Start {
        experiment: None,
        config,
        lessons,
        lesson,
        speed,
        frames: None,
        screenshot: None,
        notice,
        open: Vec::new(),
        stop: None,
        step_through: None,
        pointer: None,
        apply: false,
        named_language: query.split(['?', '&']).find_map(|pair| pair.strip_prefix("lang=")).map(str::to_string),
        languages,
        presentation: Vec::new(),
    };
    let mut app = build(start, window);
    app.add_plugins(WebPlugin);
    app.run();
}

/// What only the web page needs: links opened while the page is open, and
/// the facts it keeps on `window`.
struct WebPlugin;

impl Plugin for WebPlugin {
    fn build(&self, app: &mut App) {
        platform::listen_for_links();
        app.add_systems(Update, (open_new_links, publish_to_page));
    }
}

/// A link pasted into the address bar of an open page changes only the
/// fragment: open its setup as the page would have at load.
fn open_new_links(
    lessons: Res<Lessons>,
    words: Res<Words>,
    mut notice: ResMut<Notice>,
    mut commands: MessageWriter<RunCommand>,
    mut steps: MessageWriter<EnterStep>,
    mut language: MessageWriter<ChooseLanguage>,
) {
    for fragment in platform::take_new_links() {
        match crate::share::decode(&fragment) {
            Ok(setup) => {
                if let Some(tag) = setup.language.clone() {
                    language.write(ChooseLanguage(tag));
                }
                let lesson = setup.lesson.and_then(|(name, step)| Some((lessons.lessons.iter().position(|l| l.name == name)?, step)));
                match lesson {
                    Some((lesson, step)) => {
                        steps.write(EnterStep { lesson, step, settings: Some(Box::new(setup.config.clone())) });
                    }
                    None => {
                        commands.write(RunCommand(Command::Restart(Box::new(setup.config))));
                    }
                }
                notice.message = None;
            }
            Err(error) => notice.message = Some(crate::tr!(words, "app-link-not-opened", error = error.to_string())),
        }
    }
}

fn publish_to_page(lab: Res<Lab>, notice: Res<Notice>, words: Res<Words>, mut frames: Local<u64>) {
    *frames += 1;
    let Some(window) = web_sys::window() else { return };
    let _ = js_sys::Reflect::set(&window, &"__labFrames".into(), &JsValue::from_f64(*frames as f64));
    if *frames % 10 == 1 {
        let facts = serde_json::json!({
            "frames": *frames,
            "step": lab.step,
            "playing": lab.playing,
            "generation": lab.generation,
            "samples_per_second": lab.throughput.samples_per_second,
            "config": lab.config.to_toml(),
            "notice": notice.message,
            "language": words.language(),
        });
        let _ = js_sys::Reflect::set(&window, &"__lab".into(), &facts.to_string().into());
    }
}

/// `?bench`: the Playground training-step benchmarks and the fingerprints
/// of a few runs, printed on the page and the console and kept in
/// `window.__labBench`.
fn run_benchmarks() {
    let mut report = serde_json::Map::new();
    let mut lines = vec!["Emergence Lab in this browser: one training step (forward, backward, update), batch 10.".to_string()];
    for (name, hidden) in PLAYGROUND_NETWORKS {
        let rate = samples_per_second(playground_config(hidden), Duration::from_secs(3));
        lines.push(format!("{name}: {:.2} M samples/s", rate / 1e6));
        report.insert(name.to_string(), rate.into());
    }
    let mut fingerprints = serde_json::Map::new();
    for (name, config, steps) in fingerprint_cases() {
        let print = fingerprint(config, steps);
        lines.push(format!("fingerprint of {name} after {steps} steps: {print}"));
        fingerprints.insert(name.to_string(), print.into());
    }
    report.insert("fingerprints".into(), fingerprints.into());
    let text = lines.join("\n");
    web_sys::console::log_1(&text.clone().into());
    platform::show_text_on_page(&text);
    if let Some(window) = web_sys::window() {
        let _ = js_sys::Reflect::set(&window, &"__labBench".into(), &serde_json::Value::Object(report).to_string().into());
    }
}
