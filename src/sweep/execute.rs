//! Running a plan's jobs on this machine, several at once. Each run is
//! deterministic on its own and writes only its own directory, so the
//! results cannot depend on how many run at a time or in which order.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use super::{Job, Plan, SweepError};
use crate::config::{Config, ConfigSource, load_config_with};
use crate::headless::train_to_directory;
use crate::report::Summary;

/// One finished run, for a progress line.
#[derive(Debug)]
pub struct JobDone<'a> {
    /// Runs finished so far, this one included, and in all.
    pub done: usize,
    pub total: usize,
    pub job: &'a Job,
    pub cell_name: &'a str,
    pub seconds: f64,
    pub outcome: Result<&'a Summary, &'a SweepError>,
}

/// Runs every job of `plan` (planned into `dir`), `threads` at a time,
/// each exactly as its line of jobs.txt would: its config is read back
/// from the file the plan wrote. `on_done` hears of each run as it ends.
/// A run that fails does not stop the others; the first failure is
/// returned at the end.
pub fn execute(plan: &Plan, dir: &Path, threads: usize, mut on_done: impl FnMut(JobDone)) -> Result<(), SweepError> {
    let jobs = plan.jobs(dir);
    let configs = jobs
        .iter()
        .map(|job| load_config_with(&ConfigSource::File(job.config()), &[]).map_err(SweepError::from))
        .collect::<Result<Vec<Config>, _>>()?;
    // Longest first, so the last runs to start are short ones and no core
    // waits alone on a deep network at the end.
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(cost(&configs[i])));
    let skip = plan.skips();
    let total = jobs.len();
    let run = |index: usize| -> (f64, Result<Summary, SweepError>) {
        let started = Instant::now();
        let job = &jobs[index];
        let outcome = train_to_directory(configs[index].clone(), &job.out(), &skip, false, |_, _| {})
            .map(|finished| finished.summary)
            .map_err(|source| SweepError::Run { job: job.dir.display().to_string(), source });
        (started.elapsed().as_secs_f64(), outcome)
    };

    let mut failures: Vec<SweepError> = Vec::new();
    let mut done = 0;
    let mut report = |index: usize, seconds: f64, outcome: Result<Summary, SweepError>| {
        done += 1;
        let job = &jobs[index];
        on_done(JobDone { done, total, job, cell_name: &plan.cells[job.cell].name, seconds, outcome: outcome.as_ref() });
        if let Err(error) = outcome {
            failures.push(error);
        }
    };
    let threads = threads.clamp(1, total.max(1));
    if threads == 1 {
        // Also where there are no threads (wasm).
        for &index in &order {
            let (seconds, outcome) = run(index);
            report(index, seconds, outcome);
        }
    } else {
        let next = AtomicUsize::new(0);
        let (sender, receiver) = mpsc::channel();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let sender = sender.clone();
                let (next, order, run) = (&next, &order, &run);
                scope.spawn(move || {
                    while let Some(&index) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let (seconds, outcome) = run(index);
                        if sender.send((index, seconds, outcome)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(sender);
            for (index, seconds, outcome) in receiver {
                report(index, seconds, outcome);
            }
        });
    }
    match failures.len() {
        0 => Ok(()),
        1 => Err(failures.remove(0)),
        failed => Err(SweepError::RunsFailed { failed, total, first: failures[0].to_string() }),
    }
}

/// A rough count of a run's arithmetic: steps times weights.
fn cost(config: &Config) -> u64 {
    let hidden = &config.network.hidden;
    let weights: usize = hidden.windows(2).map(|w| w[0] * w[1]).sum::<usize>() + hidden.iter().sum::<usize>() + 1;
    config.training.steps.saturating_mul(weights as u64)
}
