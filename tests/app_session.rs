//! The app's session systems headless (no window, no egui), in both ways
//! the app drives a run: on the training thread (native) and in a slice of
//! each frame (the web). Settings changes rebuild the network, commands
//! step and reset, a divergence pauses training, and a run on the training
//! thread is bit-identical to the same run headless.
#![cfg(feature = "gui")]

use std::time::{Duration, Instant};

use bevy::prelude::*;
use emergence_lab::app::schedule::SchedulePlugin;
use emergence_lab::app::{DraftConfig, Driving, Lab, Notice, RunCommand, SessionPlugin};
use emergence_lab::config::{Config, ConfigSource, load_config};
use emergence_lab::run::Run;
use emergence_lab::run::session::{Command, Speed, Stop};

fn preset(name: &str) -> Config {
    load_config(&ConfigSource::Preset(name.into()), &[]).unwrap()
}

fn app_with(config: Config, driving: Driving) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins).add_plugins((SchedulePlugin, SessionPlugin { driving, ..SessionPlugin::new(config) }));
    app.update();
    app
}

fn lab(app: &App) -> &Lab {
    app.world().resource::<Lab>()
}

fn send(app: &mut App, command: Command) {
    app.world_mut().write_message(RunCommand(command));
}

/// Updates until `done` holds (the training thread answers in its own
/// time), failing after a generous timeout.
fn settle(app: &mut App, what: &str, done: impl Fn(&Lab) -> bool) {
    let started = Instant::now();
    loop {
        app.update();
        if done(lab(app)) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn bits(network: &emergence_lab::nn::Network) -> Vec<u64> {
    network.params.iter().map(|p| p.to_bits()).collect()
}

#[test]
fn a_network_setting_rebuilds_the_network_and_shows_its_step_zero_picture() {
    for driving in [Driving::Frame, Driving::Thread] {
        let mut app = app_with(preset("playground"), driving);
        let before = lab(&app).generation;
        {
            let mut draft = app.world_mut().resource_mut::<DraftConfig>();
            draft.0.network.hidden = vec![5, 3, 2];
            draft.0.network.init = emergence_lab::nn::Init::HeNormal;
        }
        settle(&mut app, "the rebuild", |lab| lab.generation == before + 1);
        let lab = lab(&app);
        let widths: Vec<usize> = lab.network().layers.iter().map(|l| l.outputs).collect();
        assert_eq!(widths, vec![5, 3, 2, 1]);
        // Paused, yet the new network's signal-propagation probe is there.
        assert_eq!(lab.step, 0);
        assert_eq!(lab.latest().step, 0);
        assert_eq!(lab.latest().layers.len(), 4);
    }
}

#[test]
fn a_training_setting_applies_in_place() {
    for driving in [Driving::Frame, Driving::Thread] {
        let mut app = app_with(preset("playground"), driving);
        send(&mut app, Command::StepOnce);
        settle(&mut app, "a step", |lab| lab.step == 1);
        let generation = lab(&app).generation;
        app.world_mut().resource_mut::<DraftConfig>().0.training.learning_rate = 0.1;
        settle(&mut app, "the new rate", |lab| lab.config.training.learning_rate == 0.1);
        let lab = lab(&app);
        assert_eq!(lab.generation, generation, "the network was kept");
        assert_eq!(lab.step, 1);
        assert!(lab.changed_in_place);
    }
}

/// In-frame driving (the web's) trains within its slice of the frame and
/// at the chosen speed.
#[test]
fn in_frame_training_advances_at_the_chosen_speed() {
    let mut app = app_with(preset("deep-relu-he"), Driving::Frame);
    send(&mut app, Command::SetSpeed(Speed::Max));
    send(&mut app, Command::Play);
    app.update();
    let steps = lab(&app).step;
    assert!(steps > 0, "training ran");
    app.update();
    assert!(lab(&app).step > steps, "and goes on next frame");
    send(&mut app, Command::SetSpeed(Speed::StepsPerSecond(1)));
    app.update();
    let before = lab(&app).step;
    for _ in 0..5 {
        app.update();
    }
    assert!(lab(&app).step - before <= 1, "one step a second: {} in five quick frames", lab(&app).step - before);
}

#[test]
fn a_divergence_pauses_and_raises_the_banner_state() {
    for driving in [Driving::Frame, Driving::Thread] {
        let mut app = app_with(preset("exploding-gradients"), driving);
        send(&mut app, Command::SetSpeed(Speed::Max));
        send(&mut app, Command::Play);
        settle(&mut app, "the divergence", |lab| lab.diverged.is_some() && !lab.playing);
        let divergence = lab(&app).diverged.clone().unwrap();
        assert!(divergence.step >= 1);
        // Play is refused until a reset; the session goes on.
        send(&mut app, Command::Play);
        settle(&mut app, "a snapshot", |lab| !lab.playing);
        send(&mut app, Command::Reset);
        settle(&mut app, "the reset", |lab| lab.diverged.is_none());
        assert_eq!(lab(&app).step, 0);
    }
}

#[test]
fn step_once_and_reset() {
    for driving in [Driving::Frame, Driving::Thread] {
        let mut app = app_with(preset("xor"), driving);
        send(&mut app, Command::StepOnce);
        send(&mut app, Command::StepOnce);
        settle(&mut app, "two steps", |lab| lab.step == 2);
        assert!(!lab(&app).playing);
        assert_eq!(lab(&app).latest().step, 2, "each single step is probed");
        let generation = lab(&app).generation;
        send(&mut app, Command::Reset);
        settle(&mut app, "the reset", |lab| lab.generation == generation + 1);
        assert_eq!(lab(&app).step, 0);
    }
}

#[test]
fn a_bad_setting_is_reported_and_the_session_goes_on() {
    let mut app = app_with(preset("playground"), Driving::Frame);
    send(&mut app, Command::StepOnce);
    app.update();
    app.world_mut().resource_mut::<DraftConfig>().0.training.learning_rate = -3.0;
    app.update();
    let notice = app.world().resource::<Notice>().message.clone().expect("a notice");
    assert!(notice.contains("training.learning_rate"), "{notice}");
    assert_eq!(lab(&app).step, 1, "nothing was lost");

    {
        let mut draft = app.world_mut().resource_mut::<DraftConfig>();
        draft.0.data.dataset = emergence_lab::data::DatasetKind::Csv;
        draft.0.data.csv = Some("/no/such/file.csv".into());
        draft.0.training.learning_rate = 0.03;
    }
    app.update();
    let notice = app.world().resource::<Notice>().message.clone().expect("a notice");
    assert!(notice.contains("/no/such/file.csv"), "{notice}");
    assert_eq!(lab(&app).step, 1, "the running network is untouched");
}

#[test]
fn a_lesson_step_restarts_with_its_settings() {
    let (lessons, errors) = emergence_lab::lessons::built_in_lessons();
    assert!(errors.is_empty());
    let step = &lessons[1].steps[2];
    let mut app = app_with(preset("playground"), Driving::Frame);
    send(&mut app, Command::StepOnce);
    app.update();
    send(&mut app, Command::Restart(Box::new(step.config.clone())));
    send(&mut app, Command::Play);
    app.update();
    assert_eq!(lab(&app).config, step.config);
    assert_eq!(app.world().resource::<DraftConfig>().0, step.config);
    assert!(lab(&app).playing);
    // Restarting the same step again gives a fresh network.
    let generation = lab(&app).generation;
    send(&mut app, Command::Restart(Box::new(step.config.clone())));
    app.update();
    assert_eq!(lab(&app).generation, generation + 1);
}

#[test]
fn replicas_train_in_lockstep_and_are_measured() {
    let mut app = app_with(preset("playground"), Driving::Frame);
    app.world_mut().resource_mut::<DraftConfig>().0.replicas.count = 3;
    app.update();
    assert_eq!(lab(&app).networks.len(), 3);
    send(&mut app, Command::SetSpeed(Speed::Max));
    send(&mut app, Command::StopAt(Stop::AtStep(100)));
    send(&mut app, Command::Play);
    settle(&mut app, "100 steps", |lab| !lab.playing && lab.step == 100);
    let report = lab(&app).homogeneity.clone().expect("measured");
    assert_eq!(report.replicas, 3);
    assert_eq!(report.agreement[1][1], Some(1.0));
    assert!(!lab(&app).homogeneity_history.is_empty());
}

/// The training thread takes the same steps as a headless run: the same
/// bits after the same number of steps, whatever the frames and the clock.
#[test]
fn a_run_on_the_training_thread_is_bit_identical_to_the_headless_run() {
    let mut config = preset("deep-spiral");
    config.network.dropout = 0.1;
    let mut headless = Run::new(config.clone()).unwrap();
    headless.run(700);
    let mut app = app_with(config, Driving::Thread);
    send(&mut app, Command::SetSpeed(Speed::Max));
    send(&mut app, Command::StopAt(Stop::AtStep(700)));
    send(&mut app, Command::Play);
    settle(&mut app, "700 steps", |lab| !lab.playing && lab.step == 700);
    assert_eq!(bits(lab(&app).network()), bits(headless.main().network()));
}

/// A saved run opens where it stopped (`--experiment`), in either way of
/// driving it, and goes on as the same run would have.
#[test]
fn a_resumed_run_opens_where_it_stopped_and_goes_on() {
    let config = preset("xor");
    let mut saved = Run::new(config.clone()).unwrap();
    saved.run(40);
    let mut straight = Run::new(config).unwrap();
    straight.run(60);
    for driving in [Driving::Frame, Driving::Thread] {
        let mut app = App::new();
        let plugin = SessionPlugin { driving, ..SessionPlugin::resuming(Box::new(saved.clone())) };
        app.add_plugins(MinimalPlugins).add_plugins((SchedulePlugin, plugin));
        app.update();
        assert_eq!((lab(&app).step, lab(&app).generation), (40, 0), "the saved run, not a new one replaced");
        assert_eq!(bits(lab(&app).network()), bits(saved.main().network()));
        assert_eq!(app.world().resource::<DraftConfig>().0, *saved.config());
        assert!(!lab(&app).playing);
        send(&mut app, Command::SetSpeed(Speed::Max));
        send(&mut app, Command::StopAt(Stop::AtStep(60)));
        send(&mut app, Command::Play);
        settle(&mut app, "60 steps", |lab| !lab.playing && lab.step == 60);
        assert_eq!(bits(lab(&app).network()), bits(straight.main().network()));
    }
}
