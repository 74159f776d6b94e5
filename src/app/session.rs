//! The training session the app shows: the engine's trainer, the settings
//! the controls edit, whether training runs and how fast. Everything here
//! works without a window, so it is tested headless.

use std::time::{Duration, Instant};

use bevy::prelude::*;

use crate::config::{Config, ConfigSource, load_config};
use crate::homogeneity::{HomogeneityReport, HomogeneitySummary, Replicas};
use crate::train::Trainer;

/// How many probe records the app keeps before thinning old ones.
const HISTORY_LIMIT: usize = 4000;
/// The app probes at least this often while training, so charts and
/// histograms move smoothly whatever `log_every` says.
const PROBE_INTERVAL: Duration = Duration::from_millis(100);
/// The homogeneity measures (CKA, matching) are recomputed at most this
/// often: they cost more than a probe.
const MEASURE_INTERVAL: Duration = Duration::from_millis(500);

/// The networks being trained (one, or several replicas in lockstep) and
/// everything the engine knows about them.
#[derive(Resource)]
pub struct Lab {
    replicas: Replicas,
    /// Counts rebuilds, so views can tell their pictures are of an older
    /// network.
    pub generation: u64,
    /// Training settings were changed while this network trained, so its
    /// config alone does not replay the run.
    pub changed_in_place: bool,
    /// The latest homogeneity measures: between replicas, and within each
    /// network's layers.
    pub homogeneity: Option<HomogeneityReport>,
}

impl Lab {
    pub fn new(config: Config) -> Result<Self, String> {
        let replicas = Replicas::new(config).map_err(|e| e.to_string())?;
        let mut lab = Self { replicas, generation: 0, changed_in_place: false, homogeneity: None };
        lab.settle_in();
        Ok(lab)
    }

    /// The main network (replica 0).
    pub fn trainer(&self) -> &Trainer {
        &self.replicas.trainers[0]
    }

    pub fn trainer_mut(&mut self) -> &mut Trainer {
        &mut self.replicas.trainers[0]
    }

    /// Every replica, the main network first.
    pub fn trainers(&self) -> &[Trainer] {
        &self.replicas.trainers
    }

    /// The homogeneity summaries recorded at the replicas' probes.
    pub fn homogeneity_history(&self) -> &[HomogeneitySummary] {
        &self.replicas.history
    }

    fn settle_in(&mut self) {
        for trainer in &mut self.replicas.trainers {
            trainer.history_mut().set_limit(Some(HISTORY_LIMIT));
        }
        if self.replicas.history.is_empty() {
            self.replicas.record();
        }
        self.homogeneity = Some(self.replicas.measure());
    }

    /// Puts other networks (rebuilt, or loaded from a file) in place.
    pub fn replace(&mut self, replicas: Replicas) {
        self.replicas = replicas;
        self.generation += 1;
        self.changed_in_place = false;
        self.settle_in();
    }

    /// Recomputes the homogeneity measures now.
    pub fn measure(&mut self) {
        self.homogeneity = Some(self.replicas.measure());
    }

    /// Every replica's state, for saving.
    pub fn replicas(&self) -> &Replicas {
        &self.replicas
    }
}

/// The settings as the controls have them, applied to the [`Lab`] when they
/// differ from what it runs.
#[derive(Resource, Clone, Debug, PartialEq)]
pub struct DraftConfig(pub Config);

/// Whether training runs, and how much of each frame it may take.
#[derive(Resource, Clone, Debug)]
pub struct RunState {
    pub playing: bool,
    /// The most steps taken in one frame (the speed control).
    pub steps_per_frame: u32,
    /// The most time training may take in one frame, so the window stays
    /// responsive at any speed.
    pub frame_budget: Duration,
}

impl Default for RunState {
    fn default() -> Self {
        Self { playing: false, steps_per_frame: 10, frame_budget: Duration::from_millis(10) }
    }
}

/// Measured speed, for the status line.
#[derive(Resource, Clone, Debug, Default)]
pub struct Throughput {
    /// Training samples per second of wall time (frames included), smoothed.
    pub samples_per_second: f64,
    /// Steps taken in the last frame.
    pub steps_last_frame: u32,
    /// Time training took in the last frame.
    pub training_time: Duration,
    last_probe: Option<Instant>,
    last_measure: Option<Instant>,
    probe_cost: Duration,
    measure_cost: Duration,
}

/// A problem to show the user: a setting that could not be applied, a file
/// that could not be read. The session goes on regardless.
#[derive(Resource, Clone, Debug, Default)]
pub struct Notice {
    pub message: Option<String>,
}

/// What the run controls and keys ask for.
#[derive(Message, Clone, Debug, PartialEq)]
pub enum RunCommand {
    TogglePlay,
    Play,
    Pause,
    /// One training step, then pause.
    StepOnce,
    /// A fresh network from the same settings (the seed decides its
    /// weights).
    Reset,
    LoadPreset(String),
    /// Use these settings (rebuilding only what they change).
    LoadConfig(Box<Config>),
    /// Use these settings with a fresh network, even if they are the
    /// current ones (a lesson step starting over).
    Restart(Box<Config>),
}

/// How much of the session a settings change invalidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    None,
    /// Learning rate, penalties, optimiser, batch size: applied in place.
    Training,
    /// Depth, width, activation, initialisation, replicas: new networks on
    /// the same data.
    Network,
    /// Data, seed or loss: new data and a new network.
    Everything,
}

pub fn change_between(running: &Config, draft: &Config) -> Change {
    if running.data != draft.data || running.seed != draft.seed || running.training.loss != draft.training.loss {
        Change::Everything
    } else if running.network != draft.network || running.replicas != draft.replicas {
        Change::Network
    } else if running.training != draft.training {
        Change::Training
    } else {
        Change::None
    }
}

pub struct SessionPlugin {
    pub initial: Config,
}

impl Plugin for SessionPlugin {
    fn build(&self, app: &mut App) {
        let (lab, notice) = match Lab::new(self.initial.clone()) {
            Ok(lab) => (lab, Notice::default()),
            Err(message) => {
                // The caller validated the config; if the data still cannot
                // be built (a CSV deleted meanwhile), start from the default.
                let fallback = load_config(&ConfigSource::Preset("playground".into()), &[]).expect("the default preset is valid");
                (Lab::new(fallback).expect("the default preset builds"), Notice { message: Some(message) })
            }
        };
        app.insert_resource(DraftConfig(lab.trainer().config().clone()))
            .insert_resource(lab)
            .insert_resource(notice)
            .init_resource::<RunState>()
            .init_resource::<Throughput>()
            .add_message::<RunCommand>()
            .add_systems(Update, (apply_run_commands, apply_draft_config, train_within_budget).chain());
    }
}

fn rebuild(lab: &mut Lab, config: Config, change: Change, notice: &mut Notice) {
    if let Some(issue) = config.issues().first() {
        notice.message = Some(format!("not applied: {issue}"));
        return;
    }
    let replicas = match change {
        Change::None => return,
        Change::Training => {
            lab.changed_in_place |= lab.trainer().step_count() > 0;
            for trainer in &mut lab.replicas.trainers {
                trainer.update_training(config.training.clone());
            }
            notice.message = None;
            return;
        }
        Change::Network => Ok(Replicas::with_data(config, lab.trainer().data().clone())),
        Change::Everything => Replicas::new(config),
    };
    match replicas {
        Ok(replicas) => {
            lab.replace(replicas);
            notice.message = None;
        }
        Err(error) => notice.message = Some(format!("not applied: {error}")),
    }
}

pub fn apply_run_commands(
    mut commands: MessageReader<RunCommand>,
    mut lab: ResMut<Lab>,
    mut draft: ResMut<DraftConfig>,
    mut run: ResMut<RunState>,
    mut notice: ResMut<Notice>,
) {
    for command in commands.read() {
        match command {
            RunCommand::TogglePlay => run.playing = !run.playing && lab.trainer().diverged().is_none(),
            RunCommand::Play => run.playing = lab.trainer().diverged().is_none(),
            RunCommand::Pause => run.playing = false,
            RunCommand::StepOnce => {
                run.playing = false;
                lab.replicas.step();
                for trainer in &mut lab.replicas.trainers {
                    trainer.record_probe();
                }
                lab.measure();
            }
            RunCommand::Reset => {
                let config = lab.trainer().config().clone();
                rebuild(&mut lab, config, Change::Network, &mut notice);
            }
            RunCommand::LoadPreset(name) => match load_config(&ConfigSource::Preset(name.clone()), &[]) {
                Ok(config) => draft.0 = config,
                Err(error) => notice.message = Some(error.to_string()),
            },
            RunCommand::LoadConfig(config) => draft.0 = (**config).clone(),
            RunCommand::Restart(config) => {
                draft.0 = (**config).clone();
                rebuild(&mut lab, draft.0.clone(), Change::Everything, &mut notice);
            }
        }
    }
}

/// Rebuilds or updates the session when the controls changed a setting.
pub fn apply_draft_config(draft: Res<DraftConfig>, mut lab: ResMut<Lab>, mut notice: ResMut<Notice>) {
    if !draft.is_changed() {
        return;
    }
    let change = change_between(lab.trainer().config(), &draft.0);
    if change != Change::None {
        rebuild(&mut lab, draft.0.clone(), change, &mut notice);
    }
}

/// Trains for up to `steps_per_frame` steps within the frame budget. A
/// divergence pauses training; the banner reads it from the trainer.
pub fn train_within_budget(time: Res<Time>, mut lab: ResMut<Lab>, mut run: ResMut<RunState>, mut throughput: ResMut<Throughput>) {
    throughput.steps_last_frame = 0;
    if !run.playing {
        throughput.training_time = Duration::ZERO;
        return;
    }
    let started = Instant::now();
    let samples_of = |lab: &Lab| lab.trainers().iter().map(Trainer::samples_seen).sum::<u64>();
    let samples_before = samples_of(&lab);
    let mut steps = 0;
    while steps < run.steps_per_frame && started.elapsed() < run.frame_budget {
        lab.replicas.step();
        if lab.trainer().diverged().is_some() {
            run.playing = false;
            break;
        }
        steps += 1;
    }
    let now = Instant::now();
    // Probes and measures cost more on large networks: space them so they
    // never take more than about a fifth of the time.
    let probe_interval = PROBE_INTERVAL.max(throughput.probe_cost * 5);
    if throughput.last_probe.is_none_or(|t| now - t >= probe_interval) && lab.trainer().latest().step != lab.trainer().step_count() {
        let probing = Instant::now();
        for trainer in &mut lab.replicas.trainers {
            if trainer.latest().step != trainer.step_count() {
                trainer.record_probe();
            }
        }
        throughput.probe_cost = probing.elapsed();
        throughput.last_probe = Some(now);
    }
    let measure_interval = MEASURE_INTERVAL.max(throughput.measure_cost * 5);
    if throughput.last_measure.is_none_or(|t| now - t >= measure_interval) {
        let measuring = Instant::now();
        lab.measure();
        throughput.measure_cost = measuring.elapsed();
        throughput.last_measure = Some(now);
    }
    let elapsed = started.elapsed();
    throughput.steps_last_frame = steps;
    throughput.training_time = elapsed;
    let samples = (samples_of(&lab) - samples_before) as f64;
    let frame = time.delta_secs_f64();
    if frame > 0.0 {
        let rate = samples / frame;
        // Exponential smoothing over roughly 30 frames.
        throughput.samples_per_second = if throughput.samples_per_second == 0.0 {
            rate
        } else {
            throughput.samples_per_second + (rate - throughput.samples_per_second) / 30.0
        };
    }
}
