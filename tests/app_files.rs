//! Saving, loading and exporting from the app, headless: an experiment
//! saved and loaded resumes where it was, a bad file leaves the session
//! untouched, and the exported config replays the session on the command
//! line.
#![cfg(feature = "gui")]

use std::time::{Duration, Instant};

use bevy::prelude::*;
use emergence_lab::app::files::{FileRequest, Files, FilesPlugin};
use emergence_lab::app::schedule::SchedulePlugin;
use emergence_lab::app::{Driving, Lab, RunCommand, SessionPlugin};
use emergence_lab::config::{ConfigSource, load_config};
use emergence_lab::run::session::{Command, Speed, Stop};

fn app_in(folder: &std::path::Path) -> App {
    let config = load_config(&ConfigSource::Preset("deep-spiral".into()), &["network.dropout=0.1".into()]).unwrap();
    let mut app = App::new();
    app.add_plugins(MinimalPlugins).add_plugins((
        SchedulePlugin,
        SessionPlugin { driving: Driving::Thread, ..SessionPlugin::new(config) },
        FilesPlugin,
    ));
    app.world_mut().resource_mut::<Files>().folder = folder.to_path_buf();
    app.update();
    app
}

fn lab(app: &App) -> &Lab {
    app.world().resource::<Lab>()
}

/// Updates until `done` holds, failing after a generous timeout.
fn settle(app: &mut App, what: &str, done: impl Fn(&App) -> bool) {
    let started = Instant::now();
    loop {
        app.update();
        if done(app) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Trains `steps` more steps on the training thread, then stops.
fn train(app: &mut App, steps: u64) {
    let target = lab(app).step + steps;
    app.world_mut().write_message(RunCommand(Command::SetSpeed(Speed::Max)));
    app.world_mut().write_message(RunCommand(Command::StopAt(Stop::AtStep(target))));
    app.world_mut().write_message(RunCommand(Command::Play));
    settle(app, "training", |app| lab(app).step == target && !lab(app).playing);
}

fn params(app: &App) -> Vec<u64> {
    lab(app).network().params.iter().map(|p| p.to_bits()).collect()
}

#[test]
fn save_then_load_resumes_where_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app_in(dir.path());
    train(&mut app, 70);
    let step = lab(&app).step;
    let saved_params = params(&app);
    app.world_mut().write_message(FileRequest::SaveExperiment);
    let path = dir.path().join("session.emlab");
    settle(&mut app, "the save", |_| path.is_file());
    assert!(app.world().resource::<Files>().status.as_deref().unwrap_or("").contains("saved"));

    train(&mut app, 35);
    assert_ne!(params(&app), saved_params);
    let generation = lab(&app).generation;
    app.world_mut().write_message(FileRequest::LoadExperiment(path));
    settle(&mut app, "the load", |app| lab(app).generation > generation);
    assert_eq!(lab(&app).step, step);
    assert_eq!(params(&app), saved_params);
    assert!(app.world().resource::<Files>().error.is_none());
}

#[test]
fn a_bad_file_shows_an_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app_in(dir.path());
    train(&mut app, 21);
    let before = params(&app);
    let junk = dir.path().join("junk.emlab");
    std::fs::write(&junk, "emergence-lab experiment v2\nnot postcard at all").unwrap();
    for path in [junk, dir.path().join("missing.emlab")] {
        app.world_mut().write_message(FileRequest::LoadExperiment(path.clone()));
        app.update();
        let error = app.world_mut().resource_mut::<Files>().error.take().expect("an error dialog");
        assert!(error.contains(path.file_name().unwrap().to_str().unwrap()), "{error}");
        assert_eq!(params(&app), before, "the session is untouched");
    }
}

#[test]
fn the_exported_config_replays_the_session_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app_in(dir.path());
    train(&mut app, 84);
    app.world_mut().write_message(FileRequest::ExportConfig);
    app.world_mut().write_message(FileRequest::ExportModel);
    app.world_mut().write_message(FileRequest::ExportMetrics);
    app.update();
    let config = dir.path().join("session-config.toml");
    let out = dir.path().join("replay");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_emergence-lab"))
        .args(["run", "--config", config.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let exported = std::fs::read_to_string(dir.path().join("session-model.json")).unwrap();
    let replayed = std::fs::read_to_string(out.join("model.json")).unwrap();
    assert_eq!(exported, replayed, "the command line reproduces the app's network exactly");
    let metrics = std::fs::read_to_string(dir.path().join("session-metrics.csv")).unwrap();
    assert!(metrics.starts_with("step,train_loss,test_loss"));
}
