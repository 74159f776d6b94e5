//! The app's session systems, headless (no window, no egui): settings
//! changes rebuild the network, training advances within its frame budget,
//! a divergence pauses training and raises the banner state.
#![cfg(feature = "gui")]

use std::time::Duration;

use bevy::prelude::*;
use emergence_lab::app::{DraftConfig, Lab, Notice, RunCommand, RunState, SessionPlugin};
use emergence_lab::config::{ConfigSource, load_config};

fn app_with(preset: &str) -> App {
    let config = load_config(&ConfigSource::Preset(preset.into()), &[]).unwrap();
    let mut app = App::new();
    app.add_plugins(MinimalPlugins).add_plugins(SessionPlugin { initial: config });
    app.update();
    app
}

fn lab(app: &App) -> &Lab {
    app.world().resource::<Lab>()
}

#[test]
fn a_network_setting_rebuilds_the_network_and_shows_its_step_zero_picture() {
    let mut app = app_with("playground");
    let before = lab(&app).generation;
    app.world_mut().resource_mut::<DraftConfig>().0.network.hidden = vec![5, 3, 2];
    app.world_mut().resource_mut::<DraftConfig>().0.network.init = emergence_lab::nn::Init::HeNormal;
    app.update();
    let lab = lab(&app);
    assert_eq!(lab.generation, before + 1);
    let widths: Vec<usize> = lab.trainer().network().layers.iter().map(|l| l.outputs).collect();
    assert_eq!(widths, vec![5, 3, 2, 1]);
    // Paused, yet the new network's signal-propagation probe is there.
    assert_eq!(lab.trainer().step_count(), 0);
    assert_eq!(lab.trainer().latest().step, 0);
    assert_eq!(lab.trainer().latest().layers.len(), 4);
}

#[test]
fn a_training_setting_applies_in_place() {
    let mut app = app_with("playground");
    app.world_mut().write_message(RunCommand::StepOnce);
    app.update();
    let generation = lab(&app).generation;
    app.world_mut().resource_mut::<DraftConfig>().0.training.learning_rate = 0.1;
    app.update();
    let lab = lab(&app);
    assert_eq!(lab.generation, generation, "the network was kept");
    assert_eq!(lab.trainer().step_count(), 1);
    assert_eq!(lab.trainer().config().training.learning_rate, 0.1);
}

#[test]
fn training_advances_and_stops_within_the_frame_budget() {
    let mut app = app_with("deep-relu-he");
    {
        let mut run = app.world_mut().resource_mut::<RunState>();
        run.playing = true;
        run.steps_per_frame = u32::MAX;
        run.frame_budget = Duration::from_millis(30);
    }
    app.update();
    let steps = lab(&app).trainer().step_count();
    assert!(steps > 0, "training ran");
    assert!(steps < u64::from(u32::MAX), "the budget, not the step count, ended the frame");
    app.update();
    assert!(lab(&app).trainer().step_count() > steps, "and goes on next frame");

    app.world_mut().resource_mut::<RunState>().steps_per_frame = 3;
    app.world_mut().resource_mut::<RunState>().frame_budget = Duration::from_secs(600);
    let before = lab(&app).trainer().step_count();
    app.update();
    assert_eq!(lab(&app).trainer().step_count(), before + 3);
}

#[test]
fn a_divergence_pauses_and_raises_the_banner_state() {
    let mut app = app_with("exploding-gradients");
    app.world_mut().write_message(RunCommand::Play);
    for _ in 0..20 {
        app.update();
    }
    assert!(!app.world().resource::<RunState>().playing, "training paused");
    let divergence = lab(&app).trainer().diverged().expect("the banner has something to say").clone();
    assert!(divergence.step >= 1);
    // Play is refused until a reset; the session goes on.
    app.world_mut().write_message(RunCommand::Play);
    app.update();
    assert!(!app.world().resource::<RunState>().playing);
    app.world_mut().write_message(RunCommand::Reset);
    app.update();
    assert!(lab(&app).trainer().diverged().is_none());
    assert_eq!(lab(&app).trainer().step_count(), 0);
}

#[test]
fn step_once_and_reset() {
    let mut app = app_with("xor");
    app.world_mut().write_message(RunCommand::StepOnce);
    app.update();
    app.world_mut().write_message(RunCommand::StepOnce);
    app.update();
    assert_eq!(lab(&app).trainer().step_count(), 2);
    assert!(!app.world().resource::<RunState>().playing);
    let generation = lab(&app).generation;
    app.world_mut().write_message(RunCommand::Reset);
    app.update();
    assert_eq!(lab(&app).trainer().step_count(), 0);
    assert_eq!(lab(&app).generation, generation + 1);
}

#[test]
fn a_bad_setting_is_reported_and_the_session_goes_on() {
    let mut app = app_with("playground");
    app.world_mut().write_message(RunCommand::StepOnce);
    app.update();
    app.world_mut().resource_mut::<DraftConfig>().0.training.learning_rate = -3.0;
    app.update();
    let notice = app.world().resource::<Notice>().message.clone().expect("a notice");
    assert!(notice.contains("training.learning_rate"), "{notice}");
    assert_eq!(lab(&app).trainer().step_count(), 1, "nothing was lost");

    app.world_mut().resource_mut::<DraftConfig>().0.data.dataset = emergence_lab::data::DatasetKind::Csv;
    app.world_mut().resource_mut::<DraftConfig>().0.data.csv = Some("/no/such/file.csv".into());
    app.world_mut().resource_mut::<DraftConfig>().0.training.learning_rate = 0.03;
    app.update();
    let notice = app.world().resource::<Notice>().message.clone().expect("a notice");
    assert!(notice.contains("/no/such/file.csv"), "{notice}");
    assert_eq!(lab(&app).trainer().step_count(), 1, "the running network is untouched");
}

#[test]
fn loading_a_preset_replaces_the_session() {
    let mut app = app_with("playground");
    app.world_mut().write_message(RunCommand::LoadPreset("vanishing-gradients".into()));
    app.update();
    app.update();
    assert_eq!(lab(&app).trainer().network().hidden_layers(), 10);
    app.world_mut().write_message(RunCommand::LoadPreset("no-such-preset".into()));
    app.update();
    assert!(app.world().resource::<Notice>().message.as_deref().unwrap_or("").contains("no-such-preset"));
}

#[test]
fn a_lesson_step_restarts_with_its_settings() {
    let (lessons, errors) = emergence_lab::lessons::built_in_lessons();
    assert!(errors.is_empty());
    let step = &lessons[1].steps[2];
    let mut app = app_with("playground");
    app.world_mut().write_message(RunCommand::StepOnce);
    app.update();
    app.world_mut().write_message(RunCommand::Restart(Box::new(step.config.clone())));
    app.world_mut().write_message(RunCommand::Play);
    app.update();
    assert_eq!(lab(&app).trainer().config(), &step.config);
    assert_eq!(app.world().resource::<DraftConfig>().0, step.config);
    assert!(app.world().resource::<RunState>().playing);
    // Restarting the same step again gives a fresh network.
    let generation = lab(&app).generation;
    app.world_mut().write_message(RunCommand::Restart(Box::new(step.config.clone())));
    app.update();
    assert_eq!(lab(&app).generation, generation + 1);
}

#[test]
fn replicas_train_in_lockstep_and_are_measured() {
    let mut app = app_with("playground");
    app.world_mut().resource_mut::<DraftConfig>().0.replicas.count = 3;
    app.update();
    assert_eq!(lab(&app).trainers().len(), 3);
    {
        let mut run = app.world_mut().resource_mut::<RunState>();
        run.playing = true;
        run.steps_per_frame = 20;
        // The step count, not the clock, must end each frame here, however
        // loaded the machine.
        run.frame_budget = Duration::from_secs(600);
    }
    for _ in 0..5 {
        app.update();
    }
    let steps: Vec<u64> = lab(&app).trainers().iter().map(|t| t.step_count()).collect();
    assert_eq!(steps, vec![100, 100, 100]);
    let report = lab(&app).homogeneity.as_ref().expect("measured");
    assert_eq!(report.replicas, 3);
    assert_eq!(report.agreement[1][1], Some(1.0));
    assert!(!lab(&app).homogeneity_history().is_empty());
}
