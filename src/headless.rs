//! A run trained without a window into its output directory: what
//! `emergence-lab run` does, and every run of a sweep, so a sweep's cell
//! and a job of its plan write the very same files.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::analysis::emergence::emergence_report;
use crate::analysis::theory::theory_for_run;
use crate::config::Config;
use crate::data::{DataError, InputPlane};
use crate::report::{
    FourierWriter, MetricsWriter, RunOutput, Skippable, Summary, WriteError, confusion_matrix, write_confusion_csv, write_csv_file,
    write_homogeneity_csv, write_json, write_run,
};
use crate::run::Run;

/// How many probe records a headless run keeps in memory; metrics.csv
/// gets every one as it comes.
const HISTORY_IN_MEMORY: usize = 20_000;

/// The saved experiment's name in a run directory.
pub const EXPERIMENT_FILE: &str = "experiment.emlab";

#[derive(Debug, thiserror::Error)]
pub enum HeadlessError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Experiment(#[from] Box<crate::run::experiment::ExperimentError>),
}

/// What a finished (or diverged) headless run leaves behind.
#[derive(Debug)]
pub struct Finished {
    pub summary: Summary,
    /// Where its files are.
    pub target: PathBuf,
    /// Files of an earlier run in the same directory that were removed.
    pub replaced: usize,
}

/// Trains `config` and writes its run directory at `out`, leaving out the
/// `skip`ped files, and with `experiment` the saved experiment
/// ([`EXPERIMENT_FILE`]) that the app opens to go on training. The
/// directory is checked (and a staging folder made) before the data is
/// built or any step is taken. `progress` is told the steps done after
/// every chunk of training.
pub fn train_to_directory(
    config: Config,
    out: &Path,
    skip: &[Skippable],
    experiment: bool,
    mut progress: impl FnMut(&Run, u64),
) -> Result<Finished, HeadlessError> {
    let output = RunOutput::prepare(out)?;
    let several = config.replicas.count > 1;
    let mut run = Run::new(config)?;
    let layers = run.main().network().layers.len();
    let metrics_path = output.file("metrics.csv");
    let csv_failed = |source| WriteError::Csv { path: metrics_path.clone(), source };
    let file = std::fs::File::create(&metrics_path).map_err(|source| WriteError::Io { path: metrics_path.clone(), source })?;
    let mut metrics = MetricsWriter::new(std::io::BufWriter::new(file), layers).map_err(csv_failed)?;
    run.limit_history(HISTORY_IN_MEMORY);
    run.stream_records();
    // Modular addition: the Fourier progress measures at every probe.
    let fourier_path = output.file("fourier.csv");
    let fourier_failed = |source| WriteError::Csv { path: fourier_path.clone(), source };
    let mut fourier = match run.data().plane {
        InputPlane::Pairs { .. } => {
            let file = std::fs::File::create(&fourier_path).map_err(|source| WriteError::Io { path: fourier_path.clone(), source })?;
            Some(FourierWriter::new(std::io::BufWriter::new(file)))
        }
        _ => None,
    };
    let steps = run.config().training.steps;
    let started = Instant::now();
    let probing_before = run.probe_seconds();
    let chunk = (steps / 200).clamp(1, 10_000);
    let mut done = 0;
    // Step 0's probe was taken before streaming began.
    metrics.write(run.main().history().records()).map_err(csv_failed)?;
    if let Some(writer) = &mut fourier {
        writer.write(run.fourier()).map_err(fourier_failed)?;
    }
    while done < steps {
        let taken = chunk.min(steps - done);
        run.run(taken);
        done += taken;
        metrics.write(&run.take_unwritten_records()).map_err(csv_failed)?;
        let fourier_rows = run.take_unwritten_fourier();
        if let Some(writer) = &mut fourier {
            writer.write(&fourier_rows).map_err(fourier_failed)?;
        }
        progress(&run, done);
        if run.all_diverged() {
            break;
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let probing = run.probe_seconds() - probing_before;
    // The final state, also after a divergence: the network as it was just
    // before the non-finite value, which shows what exploded.
    run.probe_stale();
    metrics.write(&run.take_unwritten_records()).and_then(|()| metrics.finish()).map_err(csv_failed)?;
    let fourier_rows = run.take_unwritten_fourier();
    if let Some(mut writer) = fourier {
        writer.write(&fourier_rows).and_then(|()| writer.finish()).map_err(fourier_failed)?;
    }

    let data = run.data();
    let summary = Summary::of(&run, wall, probing);
    write_run(&output.file(""), &run, &summary, skip)?;
    write_json(&output.file("emergence.json"), &emergence_report(run.main()))?;
    // The theory of the main replica's own initialisation (replicas may
    // use other schemes).
    write_json(&output.file("theory.json"), &theory_for_run(run.main().config(), data))?;
    if let Some(counts) = confusion_matrix(run.main().network(), data, &data.test) {
        write_csv_file(&output.file("confusion.csv"), |out| write_confusion_csv(&counts, out))?;
    }
    if several {
        let report = run.measure().clone();
        write_json(&output.file("homogenisation.json"), &report)?;
        let mut history = run.homogeneity_history().to_vec();
        if history.last().is_none_or(|h| h.step != report.step) {
            history.push(report.summary());
        }
        write_csv_file(&output.file("homogenisation.csv"), |out| write_homogeneity_csv(&history, out))?;
    }
    if experiment {
        crate::run::experiment::save(&run, &output.file(EXPERIMENT_FILE)).map_err(Box::new)?;
    }
    let target = output.target().to_path_buf();
    let replaced = output.finish()?;
    Ok(Finished { summary, target, replaced })
}
