//! Verifying a lesson's claims headless: every step's checks, over seeds
//! 1 to N, each seed a run of the step's config with its seed replaced,
//! trained only as far as its checks need (and, for a quick look, no
//! further than a budget of steps).

use web_time::Instant;

use super::LessonStep;
use super::checks::{Check, Evidence, Outcome, Verdict};
use crate::analysis::homogeneity::HomogeneitySummary;
use crate::data::DataError;
use crate::run::Run;

/// One check over the seeds it was run with.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub check: Check,
    /// One per seed, seed 1 first.
    pub outcomes: Vec<Outcome>,
    /// Passes required among these seeds (the check's share, scaled).
    pub required: u32,
}

/// How much to verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Seeds 1 to this.
    pub seeds: u32,
    /// Train no run further than this; a check that needs more stays
    /// undecided (`None`: every check is decided).
    pub max_steps: Option<u64>,
}

impl CheckResult {
    pub fn passed(&self) -> u32 {
        self.outcomes.iter().filter(|o| o.verdict == Verdict::Passed).count() as u32
    }

    /// Whether enough seeds passed.
    pub fn holds(&self) -> bool {
        self.passed() >= self.required
    }

    /// Whether the step budget stopped every seed's run before the check
    /// could be decided.
    pub fn undecided(&self) -> bool {
        self.outcomes.iter().all(|o| o.verdict == Verdict::Pending)
    }
}

/// A step's checks over seeds 1 to `seeds`.
#[derive(Debug, Clone, PartialEq)]
pub struct StepResult {
    pub seeds: u32,
    pub checks: Vec<CheckResult>,
    /// Wall-clock time of the step's runs.
    pub seconds: f64,
}

/// Runs the step's config with seeds 1 to `plan.seeds` and judges its
/// checks on each run.
pub fn verify_step(step: &LessonStep, plan: Plan) -> Result<StepResult, DataError> {
    let started = Instant::now();
    let seeds = plan.seeds;
    let mut per_seed = Vec::with_capacity(seeds as usize);
    for seed in 1..=u64::from(seeds) {
        per_seed.push(judge_seed(step, seed, plan.max_steps)?);
    }
    let checks = step
        .checks
        .iter()
        .enumerate()
        .map(|(index, check)| CheckResult {
            check: check.clone(),
            outcomes: per_seed.iter().map(|outcomes| outcomes[index].clone()).collect(),
            required: check.seeds.required(seeds),
        })
        .collect();
    Ok(StepResult { seeds, checks, seconds: started.elapsed().as_secs_f64() })
}

/// The step's checks on one seed's run, trained probe by probe until every
/// check is decided, or for at most `max_steps` (checks that need more are
/// left pending).
pub fn judge_seed(step: &LessonStep, seed: u64, max_steps: Option<u64>) -> Result<Vec<Outcome>, DataError> {
    let checks = &step.checks;
    if checks.is_empty() {
        return Ok(Vec::new());
    }
    let mut config = step.config.clone();
    config.seed = seed;
    let needed = checks.iter().map(Check::horizon).max().unwrap_or(0);
    let horizon = max_steps.map_or(needed, |budget| budget.min(needed));
    let log_every = config.training.log_every;
    let wants_measures = checks.iter().any(Check::uses_measures);
    let mut run = Run::new(config)?;
    // A run of several replicas measures them at every probe; a single
    // network only when asked.
    let mut measures: Vec<HomogeneitySummary> = Vec::new();
    let mut outcomes = vec![Outcome::pending(); checks.len()];
    loop {
        if wants_measures && run.homogeneity_history().last().is_none_or(|m| m.step != run.step_count()) && !run.is_stale() {
            let summary = run.measure().summary();
            if measures.last().is_none_or(|m| m.step < summary.step) {
                measures.push(summary);
            }
        }
        let mut all_measures = run.homogeneity_history().to_vec();
        for summary in &measures {
            if !all_measures.iter().any(|m| m.step == summary.step) {
                all_measures.push(summary.clone());
            }
        }
        all_measures.sort_by_key(|m| m.step);
        let evidence =
            Evidence { step: run.step_count(), records: run.main().history().records(), measures: &all_measures, diverged: run.diverged() };
        for (check, outcome) in checks.iter().zip(&mut outcomes) {
            if outcome.verdict == Verdict::Pending {
                *outcome = check.judge(&evidence);
            }
        }
        let done = run.step_count();
        if outcomes.iter().all(|o| o.verdict != Verdict::Pending) || done >= horizon || run.diverged().is_some() {
            break;
        }
        let next = ((done / log_every + 1) * log_every).min(horizon);
        run.run(next - done);
        if run.diverged().is_some() || run.step_count() == horizon {
            // The network as it was when training stopped.
            run.probe_stale();
        }
    }
    if horizon < needed && run.diverged().is_none() {
        return Ok(outcomes);
    }
    // Every check is decided by its horizon; one that is not could never
    // be, and a claim that cannot be shown has failed.
    for outcome in &mut outcomes {
        if outcome.verdict == Verdict::Pending {
            *outcome = Outcome { verdict: Verdict::Failed, note: format!("undecided at step {}", run.step_count()) };
        }
    }
    Ok(outcomes)
}
