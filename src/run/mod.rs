//! A run: one network, or several replicas of it trained in lockstep on one
//! data set, with the measures that compare them. This is where training
//! happens: the command line and the app both drive a [`Run`] and nothing
//! else; its trainers are private, and the views read it through
//! read-only accessors. [`session`] makes it interactive (play, pause,
//! speed, commands, snapshots); [`experiment`] saves and loads it;
//! [`digits`] keeps what the digits view reads of a run on images.

pub mod cadence;
pub mod digits;
pub mod experiment;
pub mod session;

use std::sync::Arc;

use crate::analysis::fourier::{FourierRecord, fourier_record};
use crate::analysis::homogeneity::{Baselines, HomogeneityReport, HomogeneitySummary, measure};
use crate::config::{Config, TrainingConfig};
use crate::data::{DataError, Dataset};
use crate::nn::Inference;
use crate::train::{Divergence, PointOutOfRange, ProbeRecord, RestoreError, StepOutcome, Trainer, TrainerState};

/// The config of replica `index`: the run's, with its own initialisation
/// when `replicas.inits` lists some (replica i uses `inits[i % len]`).
/// Each replica also draws from its own seed streams.
pub fn replica_config(config: &Config, index: usize) -> Config {
    let mut replica = config.clone();
    let inits = &config.replicas.inits;
    if !inits.is_empty() {
        replica.network.init = inits[index % inits.len()];
    }
    replica
}

/// One or more networks trained in lockstep on shared data.
#[derive(Debug, Clone)]
pub struct Run {
    /// The run's config (a replica's may differ in its initialisation).
    config: Config,
    trainers: Vec<Trainer>,
    baselines: Baselines,
    /// Summaries of the measures at the main replica's probes (runs of
    /// several replicas only).
    history: Vec<HomogeneitySummary>,
    latest: Option<HomogeneityReport>,
    inference: Inference,
    /// The Fourier progress measures at the main replica's probes
    /// (modular addition only), thinned like the history; and those not yet
    /// taken by a writer, while streaming.
    fourier: Vec<FourierRecord>,
    fourier_unwritten: Option<Vec<FourierRecord>>,
    history_limit: Option<usize>,
}

impl Run {
    /// The replicas `config.replicas` asks for, on the data it describes.
    pub fn new(config: Config) -> Result<Self, DataError> {
        let data = Arc::new(Dataset::build(&config.data, config.training.loss, config.seed)?);
        Ok(Self::with_data(config, data))
    }

    /// As [`Run::new`], on a data set already built (a new network for the
    /// same data).
    pub fn with_data(config: Config, data: Arc<Dataset>) -> Self {
        let count = config.replicas.count.max(1);
        let trainers = (0..count).map(|i| Trainer::replica(replica_config(&config, i), Arc::clone(&data), i as u64)).collect();
        Self::from_trainers(config, trainers)
    }

    /// A run from saved states (validated, each with its replica's config).
    pub fn restore(config: &Config, states: Vec<TrainerState>) -> Result<Self, RestoreError> {
        let trainers = states
            .into_iter()
            .map(|mut state| {
                state.config = replica_config(config, state.replica as usize);
                Trainer::restore(state)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if trainers.is_empty() {
            return Err(RestoreError::Inconsistent { part: "run", problem: "it holds no network".into() });
        }
        if let Some(other) = trainers.iter().find(|t| !Arc::ptr_eq(t.data(), trainers[0].data()) && t.data() != trainers[0].data()) {
            return Err(RestoreError::Inconsistent {
                part: "replicas",
                problem: format!("replica {} was trained on other data", other.replica_index()),
            });
        }
        Ok(Self::from_trainers(config.clone(), trainers))
    }

    fn from_trainers(config: Config, trainers: Vec<Trainer>) -> Self {
        let baselines = Baselines::of(&trainers);
        let mut run = Self {
            config,
            trainers,
            baselines,
            history: Vec::new(),
            latest: None,
            inference: Inference::default(),
            fourier: Vec::new(),
            fourier_unwritten: None,
            history_limit: None,
        };
        if run.trainers.len() > 1 {
            run.record();
        }
        run.record_fourier();
        run
    }

    /// The main replica (replica 0: the plain run of the config).
    pub fn main(&self) -> &Trainer {
        &self.trainers[0]
    }

    /// Every replica, the main one first.
    pub fn replicas(&self) -> &[Trainer] {
        &self.trainers
    }

    /// The run's config, as given (replicas may differ in their
    /// initialisation: see [`replica_config`]).
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn data(&self) -> &Arc<Dataset> {
        self.main().data()
    }

    pub fn step_count(&self) -> u64 {
        self.main().step_count()
    }

    /// Training examples consumed by every replica together.
    pub fn samples_seen(&self) -> u64 {
        self.trainers.iter().map(Trainer::samples_seen).sum()
    }

    /// Seconds every replica spent probing so far.
    pub fn probe_seconds(&self) -> f64 {
        self.trainers.iter().map(Trainer::probe_seconds).sum()
    }

    /// The main replica's divergence: training stops with it.
    pub fn diverged(&self) -> Option<&Divergence> {
        self.main().diverged()
    }

    pub fn all_diverged(&self) -> bool {
        self.trainers.iter().all(|t| t.diverged().is_some())
    }

    /// One step of every replica that has not diverged; returns whether any
    /// stepped. With several replicas, the measures are summarised at each
    /// of the main replica's probes.
    pub fn step(&mut self) -> bool {
        let stepped = self.trainers.iter_mut().map(|t| t.step() == StepOutcome::Stepped).fold(false, |any, stepped| any | stepped);
        self.after_step(stepped);
        stepped
    }

    /// One step of every replica that has not diverged on training point
    /// `point` alone, as a batch of one (see [`Trainer::step_on_point`]):
    /// the step the step-by-step explanation shows. Returns whether any
    /// replica stepped.
    pub fn step_on_point(&mut self, point: usize) -> Result<bool, PointOutOfRange> {
        let mut stepped = false;
        // Every replica has the same training set: the first finds a point
        // out of range before any steps.
        for trainer in &mut self.trainers {
            stepped |= trainer.step_on_point(point)? == StepOutcome::Stepped;
        }
        self.after_step(stepped);
        Ok(stepped)
    }

    /// With several replicas, the measures are summarised at each of the
    /// main replica's probes.
    fn after_step(&mut self, stepped: bool) {
        let main = self.main();
        let probed = stepped && main.latest().step == main.step_count() && main.diverged().is_none();
        if probed && self.trainers.len() > 1 {
            self.record();
        }
        if probed {
            self.record_fourier();
        }
    }

    /// The Fourier measures of the main replica's latest probe, if it is a
    /// modular-addition run and they are not recorded yet.
    fn record_fourier(&mut self) {
        let main = self.main();
        let step = main.latest().step;
        if self.fourier.last().is_some_and(|r| r.step == step) {
            return;
        }
        let Some(record) = fourier_record(main.network(), main.data(), step) else { return };
        if let Some(unwritten) = &mut self.fourier_unwritten {
            unwritten.push(record.clone());
        }
        if let Some(limit) = self.history_limit
            && self.fourier.len() >= limit
        {
            let mut index = 0;
            self.fourier.retain(|_| {
                index += 1;
                index % 2 == 1
            });
        }
        self.fourier.push(record);
    }

    /// The Fourier progress measures recorded so far (modular addition).
    pub fn fourier(&self) -> &[FourierRecord] {
        &self.fourier
    }

    /// The Fourier records since the last call (with [`Run::stream_records`]).
    pub fn take_unwritten_fourier(&mut self) -> Vec<FourierRecord> {
        self.fourier_unwritten.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Up to `steps` lockstep steps; stops when no replica can step.
    /// Returns the steps taken.
    pub fn run(&mut self, steps: u64) -> u64 {
        let mut taken = 0;
        while taken < steps && self.step() {
            taken += 1;
        }
        taken
    }

    /// Probes every replica whose latest probe is older than its last step,
    /// so the views show the network as it is now.
    pub fn probe_stale(&mut self) {
        for trainer in &mut self.trainers {
            if trainer.latest().step != trainer.step_count() {
                trainer.record_probe();
            }
        }
        self.record_fourier();
    }

    /// Whether any replica has stepped since its latest probe.
    pub fn is_stale(&self) -> bool {
        self.trainers.iter().any(|t| t.latest().step != t.step_count())
    }

    /// Every homogeneity measure now, kept as [`Run::homogeneity`].
    pub fn measure(&mut self) -> &HomogeneityReport {
        let target = self.config().replicas.target_accuracy;
        let report = measure(&self.trainers, &self.baselines, target, &mut self.inference);
        self.latest.insert(report)
    }

    fn record(&mut self) {
        let summary = self.measure().summary();
        self.history.push(summary);
    }

    /// The latest measures, if any were taken.
    pub fn homogeneity(&self) -> Option<&HomogeneityReport> {
        self.latest.as_ref()
    }

    /// The summaries recorded at the main replica's probes.
    pub fn homogeneity_history(&self) -> &[HomogeneitySummary] {
        &self.history
    }

    /// New training settings for every replica, in place (the networks are
    /// kept).
    pub fn update_training(&mut self, training: TrainingConfig) {
        self.config.training = training.clone();
        for trainer in &mut self.trainers {
            trainer.update_training(training.clone());
        }
    }

    /// Bounds every replica's in-memory history (thinning old records).
    pub fn limit_history(&mut self, limit: usize) {
        self.history_limit = Some(limit.max(4));
        for trainer in &mut self.trainers {
            trainer.history_mut().set_limit(Some(limit));
        }
    }

    /// Keeps the main replica's probe records for a writer from now on
    /// ([`Run::take_unwritten_records`]), whatever the history's limit.
    pub fn stream_records(&mut self) {
        self.trainers[0].history_mut().stream();
        self.fourier_unwritten.get_or_insert_with(Vec::new);
    }

    pub fn take_unwritten_records(&mut self) -> Vec<ProbeRecord> {
        self.trainers[0].history_mut().take_unwritten()
    }

    /// Every replica's complete state, for saving.
    pub fn states(&self) -> Vec<TrainerState> {
        self.trainers.iter().map(Trainer::snapshot).collect()
    }
}
