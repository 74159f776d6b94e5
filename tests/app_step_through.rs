//! The app's "Step through" mode headless (no window, no egui): the
//! session and step-through plugins driven by the requests the window, the
//! keys and clicks send. Opening it on a point shows the engine's own
//! explanation of that step; the stages go forward layer by layer, through
//! the loss and back; Apply takes exactly the engine's step on that point;
//! networks the engine will not explain are refused with its reason; the
//! explanation follows the run; the "stop after" control stops training.
#![cfg(feature = "gui")]

use std::time::{Duration, Instant};

use bevy::prelude::*;
use emergence_lab::app::schedule::SchedulePlugin;
use emergence_lab::app::ui::{StopKind, StopSetting};
use emergence_lab::app::{DraftConfig, Driving, Lab, RunCommand, SessionPlugin, StepThrough, StepThroughPlugin, StepThroughRequest};
use emergence_lab::config::{Config, ConfigSource, load_config};
use emergence_lab::data::DatasetKind;
use emergence_lab::explain::{self, Explanation, Stage};
use emergence_lab::nn::{Activation, Loss};
use emergence_lab::run::Run;
use emergence_lab::run::session::{Command, PointChoice, Speed, Stop};

fn preset(name: &str) -> Config {
    load_config(&ConfigSource::Preset(name.into()), &[]).unwrap()
}

fn preset_with(name: &str, overrides: &[String]) -> Config {
    load_config(&ConfigSource::Preset(name.into()), overrides).unwrap_or_else(|e| panic!("{overrides:?}: {e}"))
}

fn app_with(config: Config, driving: Driving) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins).add_plugins((
        SchedulePlugin,
        SessionPlugin { driving, ..SessionPlugin::new(config) },
        StepThroughPlugin,
    ));
    app.update();
    app
}

fn lab(app: &App) -> &Lab {
    app.world().resource::<Lab>()
}

fn state(app: &App) -> &StepThrough {
    app.world().resource::<StepThrough>()
}

/// The explanation the mode shows now, if any.
fn shown(app: &App) -> Option<Explanation> {
    state(app).current(lab(app)).map(|e| (**e).clone())
}

fn send(app: &mut App, command: Command) {
    app.world_mut().write_message(RunCommand(command));
}

fn ask(app: &mut App, request: StepThroughRequest) {
    app.world_mut().write_message(request);
    app.update();
}

/// Updates until `done` holds (the training thread answers in its own
/// time), failing after a generous timeout.
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

/// Trains to `steps` at full speed and waits until the run has stopped
/// there.
fn train_to(app: &mut App, steps: u64) {
    send(app, Command::SetSpeed(Speed::Max));
    send(app, Command::StopAt(Stop::AtStep(steps)));
    send(app, Command::Play);
    settle(app, "the stop", |app| !lab(app).playing && lab(app).step == steps);
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// The new values the explanation shows, in the parameters' layout.
fn new_values(explanation: &Explanation) -> Vec<f64> {
    explanation.layers.iter().flat_map(|l| l.weight_updates.iter().flatten().chain(&l.bias_updates)).map(|u| u.new).collect()
}

#[test]
fn opening_on_a_point_shows_the_engines_explanation_of_that_step() {
    for driving in [Driving::Frame, Driving::Thread] {
        let config = preset("playground");
        let mut app = app_with(config.clone(), driving);
        train_to(&mut app, 20);
        assert!(shown(&app).is_none(), "nothing is explained before the mode opens");
        ask(&mut app, StepThroughRequest::Open);
        ask(&mut app, StepThroughRequest::Choose(PointChoice::Index(7)));
        settle(&mut app, "the explanation", |app| shown(app).is_some());
        let explanation = shown(&app).unwrap();
        let mut headless = Run::new(config).unwrap();
        headless.run(20);
        assert_eq!(explanation, explain::step(headless.main(), 7).unwrap(), "the engine's numbers, not a second implementation");
        assert_eq!((explanation.step, explanation.point), (21, 7));
        assert_eq!(lab(&app).step, 20, "explaining takes no step");
        assert!(!lab(&app).playing);

        // "next point" is the point the next batch starts with.
        ask(&mut app, StepThroughRequest::Choose(PointChoice::Next));
        settle(&mut app, "the next point's explanation", |app| shown(app).is_some_and(|e| e.point == lab(app).next_point));
        assert_eq!(shown(&app).unwrap(), explain::step(headless.main(), headless.main().next_point()).unwrap());
    }
}

#[test]
fn the_stages_go_forward_layer_by_layer_through_the_loss_and_back() {
    let mut app = app_with(preset("playground"), Driving::Frame);
    ask(&mut app, StepThroughRequest::Open);
    settle(&mut app, "the explanation", |app| shown(app).is_some());
    let stage = |app: &App| state(app).stage_for(lab(app));
    let mut seen = vec![stage(&app)];
    for _ in 0..9 {
        ask(&mut app, StepThroughRequest::Next);
        seen.push(stage(&app));
    }
    use Stage::*;
    // 2-4-2-1: three weight layers.
    let order = [Forward(0), Forward(1), Forward(2), Loss, Backward(2), Backward(1), Backward(0), Update, Update, Update];
    assert_eq!(seen, order, "Next stops at the update: only Apply goes past it");
    ask(&mut app, StepThroughRequest::Previous);
    ask(&mut app, StepThroughRequest::Previous);
    assert_eq!(stage(&app), Backward(1));
    ask(&mut app, StepThroughRequest::GoTo(Stage::parse("backward").unwrap()));
    assert_eq!(stage(&app), Backward(2), "backward starts at the output layer");
    ask(&mut app, StepThroughRequest::GoTo(Forward(9)));
    assert_eq!(stage(&app), Forward(2), "a layer the network lacks is its last");
    assert_eq!(lab(&app).step, 0, "going through the stages takes no step");
    ask(&mut app, StepThroughRequest::Close);
    assert!(shown(&app).is_none() && !state(&app).open);
    ask(&mut app, StepThroughRequest::Toggle);
    assert!(state(&app).open);
    assert_eq!(stage(&app), Forward(0), "the mode opens at the start of the step");
}

#[test]
fn apply_takes_exactly_the_engines_step_on_that_point() {
    for driving in [Driving::Frame, Driving::Thread] {
        let config = preset("playground");
        let mut app = app_with(config.clone(), driving);
        train_to(&mut app, 30);
        ask(&mut app, StepThroughRequest::Open);
        ask(&mut app, StepThroughRequest::Choose(PointChoice::Index(11)));
        ask(&mut app, StepThroughRequest::GoTo(Stage::Update));
        settle(&mut app, "the explanation", |app| shown(app).is_some());
        let explanation = shown(&app).unwrap();
        ask(&mut app, StepThroughRequest::Apply);
        // A second Apply before the first is seen must not take a second
        // step the user has not been shown.
        ask(&mut app, StepThroughRequest::Apply);
        settle(&mut app, "the step", |app| lab(app).step == 31);
        let mut headless = Run::new(config).unwrap();
        headless.run(30);
        headless.step_on_point(11).unwrap();
        assert_eq!(bits(&lab(&app).network().params), bits(&headless.main().network().params), "the engine's step_on_point, bit for bit");
        assert_eq!(bits(&new_values(&explanation)), bits(&lab(&app).network().params), "the new values shown are the new weights");
        assert_eq!(state(&app).applied.as_deref(), Some(&explanation), "the step taken is kept, to compare its loss");

        // The mode goes on with the next step on the same point: its loss
        // is the point's loss under the new weights.
        settle(&mut app, "the next step's explanation", |app| shown(app).is_some_and(|e| e.step == 32));
        let after = shown(&app).unwrap();
        assert_eq!(after, explain::step(headless.main(), 11).unwrap());
        assert!(after.loss.value < explanation.loss.value, "one sgd step on a point lowers its loss here");
        for _ in 0..5 {
            app.update();
        }
        assert_eq!(lab(&app).step, 31, "exactly one step was taken");
        ask(&mut app, StepThroughRequest::Next);
        assert!(state(&app).applied.is_none());
        assert_eq!(state(&app).stage_for(lab(&app)), Stage::Forward(0), "the next step starts at its beginning");
    }
}

/// What a class does with the mode: take the next point, read the update,
/// apply it. With a batch of one that is the run's own next training step,
/// so the app's network afterwards, the new values the window showed and a
/// headless run's next step agree bit for bit, for every activation and
/// every loss (cross-entropy on three classes).
#[test]
fn applying_the_updates_shown_is_the_runs_next_step_for_every_activation_and_loss() {
    for loss in Loss::ALL {
        for activation in Activation::ALL {
            let mut overrides = vec![
                format!("network.activation={}", activation.name()),
                format!("training.loss={}", loss.name()),
                "training.batch_size=1".to_string(),
            ];
            if loss == Loss::Ce {
                overrides.push("data.dataset=multi-spiral".into());
            }
            let case = format!("{} with {}", activation.name(), loss.name());
            let config = preset_with("playground", &overrides);
            let mut app = app_with(config.clone(), Driving::Frame);
            train_to(&mut app, 5);
            ask(&mut app, StepThroughRequest::Open);
            ask(&mut app, StepThroughRequest::Choose(PointChoice::Next));
            settle(&mut app, "the explanation", |app| shown(app).is_some());
            let explanation = shown(&app).unwrap();
            let before = lab(&app).network().params.clone();
            ask(&mut app, StepThroughRequest::GoTo(Stage::Update));
            ask(&mut app, StepThroughRequest::Apply);
            settle(&mut app, "the step", |app| lab(app).step == 6);

            let mut headless = Run::new(config).unwrap();
            headless.run(5);
            assert_eq!(explanation.point, headless.main().next_point(), "{case}: the next point is the next step's");
            let old: Vec<f64> =
                explanation.layers.iter().flat_map(|l| l.weight_updates.iter().flatten().chain(&l.bias_updates)).map(|u| u.old).collect();
            assert_eq!(bits(&old), bits(&before), "{case}: the old values shown are the weights");
            assert!(headless.step(), "{case}: the headless step diverged");
            let after = &headless.main().network().params;
            assert_ne!(bits(after), bits(&before), "{case}: the step moved nothing, so the comparison proves nothing");
            assert_eq!(bits(&new_values(&explanation)), bits(after), "{case}: the new values shown are the run's next step");
            assert_eq!(bits(&lab(&app).network().params), bits(after), "{case}: Apply took the run's next step");
        }
    }
}

/// `gui --apply` (for screenshots) takes the step once it is on screen,
/// as Enter would, and only then: the same bits as the engine's step on
/// that point.
#[test]
fn apply_when_shown_waits_for_the_step_and_takes_it_once() {
    let config = preset("playground");
    let mut app = app_with(config.clone(), Driving::Frame);
    train_to(&mut app, 12);
    ask(&mut app, StepThroughRequest::Open);
    ask(&mut app, StepThroughRequest::Choose(PointChoice::Index(3)));
    app.world_mut().resource_mut::<StepThrough>().apply_when_shown = true;
    settle(&mut app, "the step taken", |app| lab(app).step == 13);
    for _ in 0..5 {
        app.update();
    }
    assert_eq!(lab(&app).step, 13, "one step only");
    let mut headless = Run::new(config).unwrap();
    headless.run(12);
    let explanation = explain::step(headless.main(), 3).unwrap();
    headless.step_on_point(3).unwrap();
    assert_eq!(bits(&lab(&app).network().params), bits(&headless.main().network().params));
    assert_eq!(state(&app).applied.as_deref(), Some(&explanation), "the step taken is the one explained");
}

#[test]
fn networks_the_engine_will_not_explain_are_refused_with_its_reason() {
    let mut config = preset("playground");
    config.network.batch_norm = true;
    let mut app = app_with(config, Driving::Frame);
    ask(&mut app, StepThroughRequest::Open);
    for _ in 0..3 {
        app.update();
    }
    let refusal = state(&app).refusal.clone().expect("batch norm is refused");
    assert!(refusal.contains("network.batch_norm") && refusal.contains("batch of one"), "{refusal}");
    assert!(lab(&app).explanation.is_none() && shown(&app).is_none());
    for request in [StepThroughRequest::Next, StepThroughRequest::Apply, StepThroughRequest::Previous] {
        ask(&mut app, request);
    }
    assert_eq!(lab(&app).step, 0, "nothing to apply");

    // Each change to the settings, and the reason it is refused (if it is).
    type Change = (fn(&mut Config), Option<&'static str>);
    let changes: [Change; 5] = [
        (|c| c.network.batch_norm = false, None),
        (|c| c.network.hidden = vec![16], Some("network.hidden[0] = 16")),
        (|c| c.network.hidden = vec![4, 4, 4, 4, 4], Some("5 layers")),
        (|c| c.network.hidden = vec![4, 2], None),
        (|c| c.network.dropout = 0.2, Some("network.dropout = 0.2")),
    ];
    for (change, reason) in changes {
        let generation = lab(&app).generation;
        change(&mut app.world_mut().resource_mut::<DraftConfig>().0);
        settle(&mut app, "the rebuild", |app| lab(app).generation == generation + 1);
        app.update();
        match reason {
            Some(reason) => {
                let refusal = state(&app).refusal.clone().unwrap_or_default();
                assert!(refusal.contains(reason), "{reason:?} not in {refusal:?}");
                assert!(shown(&app).is_none());
            }
            None => {
                settle(&mut app, "an explanation", |app| shown(app).is_some());
                assert!(state(&app).refusal.is_none());
            }
        }
    }
}

#[test]
fn the_explanation_follows_the_run() {
    let mut app = app_with(preset("playground"), Driving::Frame);
    ask(&mut app, StepThroughRequest::Open);
    settle(&mut app, "the explanation", |app| shown(app).is_some());
    assert_eq!(shown(&app).unwrap().optimizer.learning_rate, 0.03);
    app.world_mut().resource_mut::<DraftConfig>().0.training.learning_rate = 0.1;
    settle(&mut app, "the new rate's step", |app| shown(app).is_some_and(|e| e.optimizer.learning_rate == 0.1));
    send(&mut app, Command::StepOnce);
    settle(&mut app, "the step after", |app| shown(app).is_some_and(|e| e.step == 2));
    send(&mut app, Command::SetSpeed(Speed::Max));
    send(&mut app, Command::Play);
    app.update();
    app.update();
    assert!(lab(&app).playing, "an open mode does not stop training by itself");
    assert!(shown(&app).is_none(), "while training runs, the step shown would be out of date");
    send(&mut app, Command::Pause);
    settle(&mut app, "the step after the pause", |app| shown(app).is_some());
    assert_eq!(shown(&app).unwrap().step, lab(&app).step + 1);
}

#[test]
fn the_new_data_sets_can_be_chosen_and_stepped_through() {
    for kind in [DatasetKind::AboveSine, DatasetKind::AboveCubic, DatasetKind::AboveAbs] {
        // The data set dropdown lists DatasetKind::ALL.
        assert!(DatasetKind::ALL.contains(&kind), "{} is not offered", kind.name());
        let mut app = app_with(preset("playground"), Driving::Frame);
        app.world_mut().resource_mut::<DraftConfig>().0.data.dataset = kind;
        settle(&mut app, "the new data", |app| lab(app).config.data.dataset == kind);
        ask(&mut app, StepThroughRequest::Open);
        ask(&mut app, StepThroughRequest::Choose(PointChoice::Index(5)));
        settle(&mut app, "the explanation", |app| shown(app).is_some());
        let explanation = shown(&app).unwrap();
        let data = &lab(&app).data;
        assert_eq!((explanation.position, explanation.label), (data.train.points[5], data.train.labels[5]));
    }
}

#[test]
fn the_stop_after_control_stops_at_the_step_and_at_the_end_of_the_epoch() {
    let mut setting = StopSetting::default();
    assert_eq!(setting.stop(), Stop::Never);
    let mut app = app_with(preset("playground"), Driving::Thread);
    setting.kind = StopKind::AtStep;
    setting.steps = 40;
    send(&mut app, Command::StopAt(setting.stop()));
    send(&mut app, Command::SetSpeed(Speed::Max));
    send(&mut app, Command::Play);
    settle(&mut app, "the stop at step 40", |app| !lab(app).playing && lab(app).step > 0);
    assert_eq!(lab(&app).step, 40);
    assert_eq!(lab(&app).stop, Stop::AtStep(40));

    // 250 training points in batches of 10: 25 steps an epoch.
    setting.kind = StopKind::AfterEpochs;
    setting.epochs = 3;
    send(&mut app, Command::StopAt(setting.stop()));
    send(&mut app, Command::Play);
    settle(&mut app, "the stop after epoch 3", |app| !lab(app).playing && lab(app).step > 40);
    assert_eq!((lab(&app).step, lab(&app).epochs_completed), (75, 3));

    // The control shows what the session was told elsewhere
    // (--stop-after), keeping its other number.
    let shown = setting.showing(Stop::AtStep(500));
    assert_eq!((shown.kind, shown.steps, shown.epochs), (StopKind::AtStep, 500, 3));
    assert_eq!(shown.showing(Stop::Never).stop(), Stop::Never);
}
