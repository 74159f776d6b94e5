//! An interactive run, as the app drives it: a [`Run`] that plays and
//! pauses, steps at a chosen speed, takes settings changes and commands,
//! and publishes snapshots for the views to read. No Bevy and no threads
//! here: the app runs a session on a thread of its own where it can (so
//! training uses the other core while the window draws), or a slice of each
//! frame where it cannot (the web). Both give the same steps, so a run is
//! deterministic either way; only when probes happen depends on the clock.

use std::sync::Arc;

use web_time::{Duration, Instant};

use super::Run;
use super::cadence::Cadence;
use super::digits::{DigitInput, DigitReadings, DigitsWatch};
use crate::analysis::emergence::{FIT_ACCURACY, FitMoments, LossPhase, fit_moments, loss_phases};
use crate::analysis::fourier::{NeuronSpectrum, input_spectra};
use crate::analysis::homogeneity::{HomogeneityReport, HomogeneitySummary};
use crate::analysis::maps::{NetworkPictures, network_pictures};
use crate::analysis::theory::{TheoryReport, theory_for_run};
use crate::config::Config;
use crate::data::{DataError, Dataset, InputPlane};
use crate::explain::{self, Explanation};
use crate::nn::Network;
use crate::train::{Divergence, History, LayerDetail, ProbeRecord, Settling};

/// How many probe records the session keeps before thinning old ones.
const HISTORY_LIMIT: usize = 4000;
/// The session probes at least this often while training, so charts and
/// histograms move smoothly whatever `log_every` says, and spends at most a
/// fifth of its time on it.
const PROBE_CADENCE: Cadence = Cadence::new(Duration::from_millis(100), 5);
/// The homogeneity measures (predictions of every replica, CKA, matching)
/// cost more than a probe.
const MEASURE_CADENCE: Cadence = Cadence::new(Duration::from_millis(500), 5);
/// The neurons' and outputs' pictures: a forward pass over a grid per
/// replica, which on a large plane (modular addition's 59 x 59 pairs)
/// costs as much as many steps; at most a tenth of the training time, so
/// that the window trains at close to the engine's speed.
const PICTURE_CADENCE: Cadence = Cadence::new(Duration::from_millis(80), 10);
/// A slow session never owes more than this much time's worth of steps
/// (after a pause, or a long frame).
const MAX_OWED: Duration = Duration::from_millis(250);

/// How fast training runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speed {
    StepsPerSecond(u32),
    /// As many steps as the time allows.
    Max,
}

impl Speed {
    /// The choices the app offers, slowest first.
    pub const CHOICES: [Speed; 10] = [
        Speed::StepsPerSecond(1),
        Speed::StepsPerSecond(3),
        Speed::StepsPerSecond(10),
        Speed::StepsPerSecond(30),
        Speed::StepsPerSecond(100),
        Speed::StepsPerSecond(300),
        Speed::StepsPerSecond(1000),
        Speed::StepsPerSecond(3000),
        Speed::StepsPerSecond(10_000),
        Speed::Max,
    ];
}

impl Default for Speed {
    fn default() -> Self {
        Speed::StepsPerSecond(300)
    }
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

pub fn change_between(running: &Config, wanted: &Config) -> Change {
    if running.data != wanted.data || running.seed != wanted.seed || running.training.loss != wanted.training.loss {
        Change::Everything
    } else if running.network != wanted.network || running.replicas != wanted.replicas {
        Change::Network
    } else if running.training != wanted.training {
        Change::Training
    } else {
        Change::None
    }
}

/// Where playing stops by itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Stop {
    #[default]
    Never,
    /// Once this many steps are taken.
    AtStep(u64),
    /// Once this many passes over the training set are complete: at the
    /// end of epoch N.
    AfterEpochs(u64),
}

impl Stop {
    fn reached(self, run: &Run) -> bool {
        match self {
            Stop::Never => false,
            Stop::AtStep(step) => run.step_count() >= step,
            Stop::AfterEpochs(epochs) => run.main().epochs_completed() >= epochs,
        }
    }
}

/// Which training point the step-by-step explanation takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointChoice {
    /// The point the next training step starts its batch with.
    Next,
    /// A point by its index in the training set.
    Index(usize),
}

/// What the app asks of a session.
#[derive(Debug, Clone)]
pub enum Command {
    Play,
    Pause,
    TogglePlay,
    /// One training step (and a probe), then pause.
    StepOnce,
    /// A fresh network from the same settings (the seed decides its
    /// weights).
    Reset,
    /// Use these settings, rebuilding only what they change.
    Apply(Box<Config>),
    /// Use these settings with a fresh network, even if they are the
    /// current ones (a lesson step starting over).
    Restart(Box<Config>),
    /// Continue a run loaded from a file.
    Load(Box<Run>),
    SetSpeed(Speed),
    StopAt(Stop),
    /// Pause, and explain the step the main network would take on this
    /// point ([`SessionView::explanation`]; a network the explanation
    /// refuses is answered with [`Event::Refused`] saying why).
    Explain(PointChoice),
    /// Pause, and take one step on this training point alone, as a batch
    /// of one: the step [`Command::Explain`] showed.
    StepOnPoint(usize),
    /// The bytes of a saved experiment, answered with [`Event::Saved`].
    Save,
    /// Images: show this digit's layers ([`SessionView::digits`]).
    ShowDigit(DigitInput),
}

/// What a session tells the app besides its snapshots.
#[derive(Debug, Clone)]
pub enum Event {
    /// A setting or command that could not be applied; the session goes on
    /// as it was.
    Refused(String),
    /// A change was applied: any earlier refusal no longer stands.
    Applied,
    Saved(Arc<Vec<u8>>),
}

/// Training speed as measured, for the status line.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Throughput {
    pub samples_per_second: f64,
    pub steps_per_second: f64,
}

/// Everything the views read, at one moment: cheap to share, never
/// changed after it is made.
#[derive(Debug, Clone)]
pub struct SessionView {
    /// Counts rebuilds, so views can tell their pictures are of an older
    /// network.
    pub generation: u64,
    /// The running config (not the settings being edited).
    pub config: Config,
    /// Training settings were changed while this network trained, so its
    /// config alone does not replay the run.
    pub changed_in_place: bool,
    pub playing: bool,
    pub speed: Speed,
    pub stop: Stop,
    pub step: u64,
    pub epoch: u64,
    /// Passes over the training set completed.
    pub epochs_completed: u64,
    /// The training point the next step starts its batch with.
    pub next_point: usize,
    pub samples_seen: u64,
    pub diverged: Option<Divergence>,
    pub data: Arc<Dataset>,
    /// Every replica's network, the main one first.
    pub networks: Vec<Arc<Network>>,
    /// Every replica's latest test accuracy and initialisation.
    pub replicas: Vec<ReplicaSummary>,
    pub parts: Arc<ProbeParts>,
    pub homogeneity: Option<Arc<HomogeneityReport>>,
    pub homogeneity_history: Arc<Vec<HomogeneitySummary>>,
    /// What mean-field theory predicts of this network's initialisation
    /// (or why it does not apply).
    pub theory: Arc<TheoryReport>,
    pub throughput: Throughput,
    /// The latest step explained ([`Command::Explain`]) on this network;
    /// its `step` is one more than the steps taken when it was made.
    pub explanation: Option<Arc<Explanation>>,
    /// What the main network's last step changed each parameter by (the
    /// parameters' layout), for the edges' tooltips.
    pub last_update: Option<Arc<Vec<f64>>>,
    /// The neurons and outputs drawn over the input plane (none for
    /// images), at most [`PICTURE_CADENCE`] behind while training and
    /// up to date when it stops.
    pub pictures: Option<Arc<NetworkPictures>>,
    /// Images: the digits view's numbers (none for other data, and until
    /// they are first worked out).
    pub digits: Option<Arc<DigitReadings>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaSummary {
    pub init: crate::nn::Init,
    pub test_accuracy: Option<f64>,
}

/// What changes only when the main replica probes: its history and what
/// is read off it, and the probe's details.
#[derive(Debug, Clone)]
pub struct ProbeParts {
    pub history: History,
    pub detail: Vec<LayerDetail>,
    pub gradients: Vec<f64>,
    pub settling: Settling,
    pub phases: Vec<LossPhase>,
    pub moments: FitMoments,
    /// Modular addition: the Fourier progress measures at the probes.
    pub fourier: Vec<crate::analysis::fourier::FourierRecord>,
    /// Modular addition: each first-layer neuron's spectrum over a and b
    /// at this probe (empty for other data).
    pub spectra: Vec<NeuronSpectrum>,
    /// The probe's (main replica's) step.
    pub step: u64,
}

impl SessionView {
    pub fn network(&self) -> &Network {
        &self.networks[0]
    }

    pub fn latest(&self) -> &ProbeRecord {
        self.parts.history.latest().expect("a run probes at step 0")
    }
}

/// An interactive run.
pub struct Session {
    run: Run,
    generation: u64,
    playing: bool,
    speed: Speed,
    stop: Stop,
    changed_in_place: bool,
    probe: Cadence,
    measure: Cadence,
    /// Steps owed at the chosen speed, and when they were last counted.
    owed: f64,
    counted: Option<Instant>,
    /// Samples and steps over the last second or so, for the throughput.
    meter: (Instant, u64, u64),
    throughput: Throughput,
    parts: Option<Arc<ProbeParts>>,
    homogeneity: Option<Arc<HomogeneityReport>>,
    homogeneity_history: Arc<Vec<HomogeneitySummary>>,
    theory: Arc<TheoryReport>,
    explanation: Option<Arc<Explanation>>,
    pictures: Option<Arc<NetworkPictures>>,
    picture_cadence: Cadence,
    digits: DigitsWatch,
    events: Vec<Event>,
}

impl Session {
    pub fn new(config: Config) -> Result<Self, DataError> {
        Ok(Self::with_run(Run::new(config)?))
    }

    pub fn with_run(run: Run) -> Self {
        let theory = Arc::new(theory_for_run(run.config(), run.data()));
        let mut session = Self {
            run,
            generation: 0,
            playing: false,
            speed: Speed::default(),
            stop: Stop::Never,
            changed_in_place: false,
            probe: PROBE_CADENCE,
            measure: MEASURE_CADENCE,
            owed: 0.0,
            counted: None,
            meter: (Instant::now(), 0, 0),
            throughput: Throughput::default(),
            parts: None,
            homogeneity: None,
            homogeneity_history: Arc::new(Vec::new()),
            theory,
            explanation: None,
            pictures: None,
            picture_cadence: PICTURE_CADENCE,
            digits: DigitsWatch::default(),
            events: Vec::new(),
        };
        session.settle_in();
        session
    }

    /// After a new run is put in place: bounded history, fresh measures.
    fn settle_in(&mut self) {
        self.run.limit_history(HISTORY_LIMIT);
        self.parts = None;
        self.explanation = None;
        self.probe.reset();
        self.measure.reset();
        self.remeasure();
        self.redraw();
        self.digits.restart();
    }

    fn replace(&mut self, run: Run) {
        self.theory = Arc::new(theory_for_run(run.config(), run.data()));
        self.run = run;
        self.generation += 1;
        self.changed_in_place = false;
        self.settle_in();
    }

    pub fn run(&self) -> &Run {
        &self.run
    }

    pub fn playing(&self) -> bool {
        self.playing
    }

    /// The events since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    fn refuse(&mut self, message: String) {
        self.events.push(Event::Refused(message));
    }

    /// Applies settings, rebuilding what they change; invalid settings or
    /// data that cannot be built leave the session as it was.
    fn apply(&mut self, config: Config, change: Change) {
        if let Some(issue) = config.issues().into_iter().next() {
            return self.refuse(format!("not applied: {issue}"));
        }
        let run = match change {
            Change::None => return,
            Change::Training => {
                self.changed_in_place |= self.run.step_count() > 0;
                self.run.update_training(config.training);
                // The step explained used the old learning rate, penalties
                // or optimiser: it is no longer the step the run would take.
                self.explanation = None;
                self.events.push(Event::Applied);
                return;
            }
            Change::Network => Ok(Run::with_data(config, Arc::clone(self.run.data()))),
            Change::Everything => Run::new(config),
        };
        match run {
            Ok(run) => {
                self.replace(run);
                self.events.push(Event::Applied);
            }
            Err(error) => self.refuse(format!("not applied: {error}")),
        }
    }

    pub fn handle(&mut self, command: Command) {
        match command {
            Command::Play => self.playing = self.run.diverged().is_none(),
            Command::Pause => self.playing = false,
            Command::TogglePlay => self.playing = !self.playing && self.run.diverged().is_none(),
            Command::StepOnce => {
                self.playing = false;
                self.run.step();
                self.run.probe_stale();
                self.remeasure();
            }
            Command::Reset => {
                let config = self.run.config().clone();
                self.apply(config, Change::Network);
            }
            Command::Apply(config) => {
                let change = change_between(self.run.config(), &config);
                self.apply(*config, change);
            }
            Command::Restart(config) => self.apply(*config, Change::Everything),
            Command::Load(run) => {
                self.replace(*run);
                self.playing = false;
            }
            Command::SetSpeed(speed) => self.speed = speed,
            Command::StopAt(stop) => self.stop = stop,
            Command::Explain(choice) => {
                self.playing = false;
                let main = self.run.main();
                let point = match choice {
                    PointChoice::Next => main.next_point(),
                    PointChoice::Index(point) => point,
                };
                match explain::step(main, point) {
                    Ok(explanation) => self.explanation = Some(Arc::new(explanation)),
                    Err(error) => self.refuse(format!("cannot explain the step: {error}")),
                }
            }
            Command::StepOnPoint(point) => {
                self.playing = false;
                match self.run.step_on_point(point) {
                    Ok(_) => {
                        // A step off the batch order: the config alone no
                        // longer replays the run.
                        self.changed_in_place = true;
                        self.run.probe_stale();
                        self.remeasure();
                    }
                    Err(error) => self.refuse(format!("no step taken: {error}")),
                }
            }
            Command::Save => {
                let bytes = super::experiment::to_bytes(&self.run);
                self.events.push(Event::Saved(Arc::new(bytes)));
            }
            Command::ShowDigit(digit) => self.digits.show(digit),
        }
        if !self.playing {
            self.counted = None;
            self.owed = 0.0;
        }
    }

    /// Trains the steps owed at the chosen speed (all it can, at `Max`)
    /// within `budget`, then probes and measures when due. Returns the
    /// steps taken.
    pub fn advance(&mut self, budget: Duration) -> u64 {
        let started = Instant::now();
        let mut taken = 0;
        if self.playing {
            let allowed = match self.speed {
                Speed::Max => u64::MAX,
                Speed::StepsPerSecond(rate) => {
                    let elapsed = self.counted.map_or(Duration::ZERO, |t| started.duration_since(t)).min(MAX_OWED);
                    self.owed = (self.owed + elapsed.as_secs_f64() * f64::from(rate)).min(f64::from(rate) * MAX_OWED.as_secs_f64() + 1.0);
                    self.owed.floor() as u64
                }
            };
            self.counted = Some(started);
            while taken < allowed && started.elapsed() < budget {
                if self.stop.reached(&self.run) {
                    self.playing = false;
                    break;
                }
                if !self.run.step() {
                    break;
                }
                taken += 1;
            }
            if let Speed::StepsPerSecond(_) = self.speed {
                self.owed -= taken as f64;
            }
            if self.run.diverged().is_some() {
                self.playing = false;
            }
        }
        let now = Instant::now();
        if self.run.is_stale() && (self.probe.due(now) || !self.playing) {
            let probing = Instant::now();
            self.run.probe_stale();
            self.probe.done(probing);
        }
        if taken > 0 && self.measure.due(Instant::now()) {
            self.remeasure();
        }
        self.count(taken);
        taken
    }

    /// How long until there is work: a step owed at the chosen speed (zero
    /// at `Max` or when some are owed), or the digits' tally while paused;
    /// `None` while there is none until a command comes. A thread sleeps
    /// instead of spinning.
    pub fn idle_for(&self) -> Option<Duration> {
        if !self.playing {
            // Paused, the digits' tally still has work until it is done.
            return self.digits.behind(&self.run).then_some(Duration::ZERO);
        }
        match self.speed {
            Speed::Max => Some(Duration::ZERO),
            Speed::StepsPerSecond(rate) => {
                let missing = (1.0 - self.owed).max(0.0);
                Some(Duration::from_secs_f64(missing / f64::from(rate.max(1))))
            }
        }
    }

    fn remeasure(&mut self) {
        let started = Instant::now();
        self.homogeneity = Some(Arc::new(self.run.measure().clone()));
        self.homogeneity_history = Arc::new(self.run.homogeneity_history().to_vec());
        self.measure.done(started);
    }

    /// Whether the pictures show an older step than the run's.
    fn pictures_behind(&self) -> bool {
        self.pictures.as_ref().is_some_and(|p| p.step != self.run.step_count())
    }

    fn redraw(&mut self) {
        let started = Instant::now();
        let data = self.run.data();
        let networks = self.run.replicas().iter().map(|t| t.network());
        self.pictures = network_pictures(networks, &data.plane, data.loss, self.run.step_count()).map(Arc::new);
        self.picture_cadence.done(started);
    }

    fn count(&mut self, steps: u64) {
        let (since, samples_then, steps_then) = self.meter;
        let (samples, total_steps) = (self.run.samples_seen(), self.run.step_count());
        let elapsed = since.elapsed().as_secs_f64();
        if elapsed >= 0.5 || (steps == 0 && !self.playing) {
            if elapsed > 0.0 && self.playing {
                self.throughput = Throughput {
                    samples_per_second: samples.saturating_sub(samples_then) as f64 / elapsed,
                    steps_per_second: total_steps.saturating_sub(steps_then) as f64 / elapsed,
                };
            } else if !self.playing {
                self.throughput = Throughput::default();
            }
            self.meter = (Instant::now(), samples, total_steps);
        }
    }

    /// The views' snapshot now. The parts that change only at a probe are
    /// shared with the previous snapshot until the next probe, the pictures
    /// until they are redrawn.
    pub fn view(&mut self) -> SessionView {
        if self.pictures_behind() && (!self.playing || self.picture_cadence.due(Instant::now())) {
            self.redraw();
        }
        self.digits.update(&self.run, self.playing);
        let main = self.run.main();
        let probed = main.latest().step;
        let fresh = self.parts.as_ref().is_some_and(|p| p.step == probed && p.history.len() == main.history().len());
        if !fresh {
            let history = main.history().clone();
            self.parts = Some(Arc::new(ProbeParts {
                phases: loss_phases(history.records(), |r| r.train_loss),
                moments: fit_moments(&history, FIT_ACCURACY),
                history,
                detail: main.latest_detail().to_vec(),
                gradients: main.latest_gradients().to_vec(),
                settling: main.settling().clone(),
                fourier: self.run.fourier().to_vec(),
                spectra: match main.data().plane {
                    InputPlane::Pairs { modulus } => input_spectra(main.network(), modulus).unwrap_or_default(),
                    _ => Vec::new(),
                },
                step: probed,
            }));
        }
        SessionView {
            generation: self.generation,
            config: self.run.config().clone(),
            changed_in_place: self.changed_in_place,
            playing: self.playing,
            speed: self.speed,
            stop: self.stop,
            step: main.step_count(),
            epoch: main.epoch(),
            epochs_completed: main.epochs_completed(),
            next_point: main.next_point(),
            samples_seen: self.run.samples_seen(),
            diverged: main.diverged().cloned(),
            data: Arc::clone(main.data()),
            networks: self.run.replicas().iter().map(|t| Arc::new(t.network().clone())).collect(),
            replicas: self
                .run
                .replicas()
                .iter()
                .map(|t| ReplicaSummary { init: t.config().network.init, test_accuracy: t.latest().test_acc.filter(|a| a.is_finite()) })
                .collect(),
            parts: Arc::clone(self.parts.as_ref().expect("just made")),
            homogeneity: self.homogeneity.clone(),
            homogeneity_history: Arc::clone(&self.homogeneity_history),
            theory: Arc::clone(&self.theory),
            throughput: self.throughput,
            explanation: self.explanation.clone(),
            last_update: main.last_update().map(Arc::new),
            pictures: self.pictures.clone(),
            digits: self.digits.readings().cloned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigSource, load_config};

    fn session(preset: &str) -> Session {
        Session::new(load_config(&ConfigSource::Preset(preset.into()), &[]).unwrap()).unwrap()
    }

    /// The waves view reads its spectra from the snapshot: the main
    /// network's at the probe, and none for data other than pairs.
    #[test]
    fn modular_addition_snapshots_carry_the_probes_spectra() {
        let overrides: Vec<String> = ["data.modulus=13", "network.hidden=[16]"].map(String::from).to_vec();
        let mut s = Session::new(load_config(&ConfigSource::Preset("grokking".into()), &overrides).unwrap()).unwrap();
        s.handle(Command::StepOnce);
        let view = s.view();
        assert_eq!(view.parts.step, s.run().main().latest().step);
        let expected = input_spectra(s.run().main().network(), 13).unwrap();
        assert_eq!(expected.len(), 16);
        assert_eq!(view.parts.spectra, expected);
        assert!(session("playground").view().parts.spectra.is_empty());
    }

    /// The pictures are made on the session's side (the app only colours
    /// them): of the step shown once training stops, shared between
    /// snapshots while nothing changes, one output per replica.
    #[test]
    fn pictures_follow_the_run_and_catch_up_when_it_stops() {
        use crate::analysis::maps::{MAX_DRAWN_UNITS, TILE_RESOLUTION, neuron_maps};
        let mut s = session("playground");
        let first = s.view().pictures.expect("a plane has pictures");
        assert_eq!((first.step, first.replica_outputs.len()), (0, 0));
        s.handle(Command::StepOnce);
        let pictures = s.view().pictures.expect("still");
        assert_eq!(pictures.step, 1, "a single step is drawn at once");
        let (network, data) = (s.run().main().network(), s.run().data());
        assert_eq!(pictures.maps, neuron_maps(network, &data.plane, data.loss, TILE_RESOLUTION, MAX_DRAWN_UNITS));
        assert!(Arc::ptr_eq(&pictures, s.view().pictures.as_ref().expect("still")), "not redrawn while nothing moved");
        s.handle(Command::SetSpeed(Speed::Max));
        s.handle(Command::StopAt(Stop::AtStep(300)));
        s.handle(Command::Play);
        while s.playing() {
            s.advance(Duration::from_millis(5));
            let view = s.view();
            assert!(view.pictures.expect("always").step <= view.step);
        }
        assert_eq!(s.view().pictures.expect("always").step, 300, "up to date once play stops");

        let mut replicas = session("homogenisation");
        let pictures = replicas.view().pictures.expect("a plane has pictures");
        assert_eq!(pictures.replica_outputs.len(), replicas.run().replicas().len() - 1);
        assert!(session("digits-mlp").view().pictures.is_none(), "images have no plane to draw over");
    }

    #[test]
    fn steps_follow_the_speed_and_stop_where_asked() {
        let mut s = session("playground");
        s.handle(Command::StepOnce);
        s.handle(Command::StepOnce);
        assert_eq!(s.run().step_count(), 2);
        assert_eq!(s.view().latest().step, 2, "a single step is probed at once");
        s.handle(Command::SetSpeed(Speed::Max));
        s.handle(Command::StopAt(Stop::AtStep(50)));
        s.handle(Command::Play);
        while s.playing() {
            s.advance(Duration::from_secs(5));
        }
        assert_eq!(s.run().step_count(), 50);
        s.handle(Command::SetSpeed(Speed::StepsPerSecond(1)));
        s.handle(Command::StopAt(Stop::Never));
        s.handle(Command::Play);
        s.advance(Duration::from_secs(5));
        let first = s.run().step_count();
        std::thread::sleep(Duration::from_millis(20));
        s.advance(Duration::from_secs(5));
        assert!(s.run().step_count() - first <= 1, "one step a second, not as fast as it can");
    }

    #[test]
    fn play_stops_at_the_end_of_the_epoch_asked_for() {
        let mut s = session("playground");
        // 250 training points in batches of 10: 25 steps an epoch.
        let per_epoch = s.run().data().train.len().div_ceil(s.run().main().batch_size()) as u64;
        assert_eq!(per_epoch, 25);
        s.handle(Command::SetSpeed(Speed::Max));
        s.handle(Command::StopAt(Stop::AfterEpochs(2)));
        s.handle(Command::Play);
        while s.playing() {
            s.advance(Duration::from_secs(5));
        }
        let view = s.view();
        assert_eq!((view.step, view.epochs_completed), (2 * per_epoch, 2), "stopped as the second epoch ended, not before or after");
        s.handle(Command::Play);
        s.advance(Duration::from_secs(5));
        assert!(!s.playing() && s.run().step_count() == 2 * per_epoch, "play stays stopped there");
        s.handle(Command::StopAt(Stop::AfterEpochs(3)));
        s.handle(Command::Play);
        while s.playing() {
            s.advance(Duration::from_secs(5));
        }
        assert_eq!(s.run().step_count(), 3 * per_epoch);
    }

    #[test]
    fn the_explained_step_is_the_step_taken_on_that_point() {
        let mut s = session("playground");
        s.handle(Command::StepOnce);
        let next = s.view().next_point;
        s.handle(Command::Explain(PointChoice::Next));
        let explanation = s.view().explanation.expect("the playground network is small enough");
        assert_eq!((explanation.point, explanation.step), (next, 2));
        s.handle(Command::StepOnPoint(next));
        let view = s.view();
        assert_eq!(view.step, 2);
        assert!(view.changed_in_place, "a step off the batch order: the config alone does not replay it");
        let shown: Vec<f64> =
            explanation.layers.iter().flat_map(|l| l.weight_updates.iter().flatten().chain(&l.bias_updates)).map(|u| u.new).collect();
        assert_eq!(shown, view.network().params, "the pictures redraw with the weights shown");
        let update = view.last_update.expect("a step was taken");
        assert_eq!(update[0], explanation.layers[0].weight_updates[0][0].new - explanation.layers[0].weight_updates[0][0].old);

        s.handle(Command::Explain(PointChoice::Index(250)));
        assert!(s.take_events().iter().any(|e| matches!(e, Event::Refused(m) if m.contains("point 250") && m.contains("250 points"))));
        s.handle(Command::StepOnPoint(250));
        assert!(s.take_events().iter().any(|e| matches!(e, Event::Refused(m) if m.contains("point 250"))));
        assert_eq!(s.run().step_count(), 2, "no step for a point that is not there");

        s.handle(Command::Explain(PointChoice::Next));
        assert!(s.view().explanation.is_some());
        let mut slower = s.run().config().clone();
        slower.training.learning_rate = 0.01;
        s.handle(Command::Apply(Box::new(slower)));
        assert!(s.view().explanation.is_none(), "an explanation belongs to its training settings");

        let mut wide = s.run().config().clone();
        wide.network.hidden = vec![16];
        s.handle(Command::Apply(Box::new(wide)));
        assert!(s.view().explanation.is_none(), "an explanation belongs to its network");
        s.handle(Command::Explain(PointChoice::Next));
        assert!(s.take_events().iter().any(|e| matches!(e, Event::Refused(m) if m.contains("network.hidden[0] = 16"))));
    }

    #[test]
    fn changes_rebuild_what_they_must_and_bad_ones_are_refused() {
        let mut s = session("playground");
        s.handle(Command::StepOnce);
        let mut faster = s.run().config().clone();
        faster.training.learning_rate = 0.1;
        s.handle(Command::Apply(Box::new(faster.clone())));
        assert_eq!((s.view().generation, s.run().step_count()), (0, 1), "in place");
        assert!(s.view().changed_in_place);
        let mut deeper = faster.clone();
        deeper.network.hidden = vec![3, 3, 3];
        s.handle(Command::Apply(Box::new(deeper)));
        assert_eq!((s.view().generation, s.run().step_count()), (1, 0));
        let mut broken = faster;
        broken.training.learning_rate = -1.0;
        s.handle(Command::Apply(Box::new(broken)));
        assert!(s.take_events().iter().any(|e| matches!(e, Event::Refused(m) if m.contains("training.learning_rate"))));
        assert_eq!(s.view().generation, 1, "nothing was lost");
    }

    #[test]
    fn a_divergence_stops_play() {
        let mut s = session("exploding-gradients");
        s.handle(Command::SetSpeed(Speed::Max));
        s.handle(Command::Play);
        for _ in 0..100 {
            s.advance(Duration::from_millis(50));
        }
        assert!(!s.playing());
        assert!(s.view().diverged.is_some());
        s.handle(Command::Play);
        assert!(!s.playing(), "play is refused until a reset");
    }
}
