//! The command line: `run` trains headless and writes a run directory,
//! `presets` lists the presets, `gui` (with the `gui` feature) opens the app.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{Config, ConfigError, ConfigSource, Override, PRESETS, load_config_with};
use crate::emergence::emergence_report;
use crate::homogeneity::Replicas;
use crate::report::{
    MetricsWriter, RunOutput, Summary, WriteError, confusion_matrix, write_confusion_csv, write_csv_file, write_homogeneity_csv,
    write_json, write_run,
};
use crate::train::Trainer;

/// Exit code of a run that finished or diverged.
pub const EXIT_OK: i32 = 0;
/// Exit code of bad input: a config, a data file, an output directory.
pub const EXIT_BAD_INPUT: i32 = 2;

#[derive(Debug, Parser)]
#[command(name = "emergence-lab", version, about = "Watch a neural network learn: train it live, or headless from a config")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train headless and write config.toml, metrics.csv, model.json,
    /// data_train.csv, data_test.csv and summary.json to --out.
    Run(RunArgs),
    /// List the presets with their descriptions.
    Presets,
    /// List the lessons and check every lesson file (exit 2 if one is
    /// malformed).
    Lessons {
        /// A folder of lesson files (default: the shipped assets/lessons).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Open the app (the default when no command is given).
    #[cfg(feature = "gui")]
    Gui(GuiArgs),
}

/// Where the config comes from: a preset or a file, then overrides.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// A shipped preset (see `emergence-lab presets`).
    #[arg(long, conflicts_with = "config")]
    pub preset: Option<String>,
    /// A TOML config file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override one key; VALUE is TOML (`network.hidden=[8,8]`), a bare
    /// word is a string (`data.dataset=spiral`). Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

impl ConfigArgs {
    pub fn source(&self) -> ConfigSource {
        match (&self.preset, &self.config) {
            (Some(name), _) => ConfigSource::Preset(name.clone()),
            (None, Some(path)) => ConfigSource::File(path.clone()),
            (None, None) => ConfigSource::Preset("playground".to_string()),
        }
    }

    /// Loads the config, with flag overrides (`--steps 5`) applied after
    /// `--set`.
    pub fn load(&self, flags: &[Override]) -> Result<Config, ConfigError> {
        let mut overrides = self.overrides.iter().map(|text| Override::parse(text)).collect::<Result<Vec<_>, _>>()?;
        overrides.extend_from_slice(flags);
        load_config_with(&self.source(), &overrides)
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Steps to train (overrides training.steps).
    #[arg(long)]
    pub steps: Option<u64>,
    /// Seed (overrides seed), 0 to 9223372036854775807.
    #[arg(long, value_parser = clap::value_parser!(u64).range(..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// The directory the outputs are written to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Train K replicas (other seeds) in lockstep and also write
    /// homogenisation.json and homogenisation.csv (overrides
    /// replicas.count).
    #[arg(long, value_name = "K")]
    pub replicas: Option<usize>,
}

#[cfg(feature = "gui")]
#[derive(Debug, Default, Args)]
pub struct GuiArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Run this many frames with training on, print the average frame time,
    /// and exit.
    #[arg(long)]
    pub frames: Option<u32>,
    /// Save the window as PNG to FILE before exiting (with --frames).
    #[arg(long, value_name = "FILE", requires = "frames")]
    pub screenshot: Option<PathBuf>,
    /// Open this lesson (see `emergence-lab lessons`) at its first step.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["preset", "config"])]
    pub lesson: Option<String>,
}

/// Parses the arguments, runs the command, and returns the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Run(args)) => run(&args),
        Some(Command::Presets) => {
            list_presets();
            EXIT_OK
        }
        Some(Command::Lessons { dir }) => list_lessons(dir),
        #[cfg(feature = "gui")]
        Some(Command::Gui(args)) => crate::app::run(args),
        #[cfg(feature = "gui")]
        None => crate::app::run(GuiArgs::default()),
        #[cfg(not(feature = "gui"))]
        None => {
            eprintln!("this build has no app (built without the `gui` feature); try `emergence-lab run --help`");
            EXIT_BAD_INPUT
        }
    }
}

fn list_presets() {
    let width = PRESETS.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for preset in PRESETS {
        println!("{:width$}  {}", preset.name, preset.description());
    }
}

fn list_lessons(dir: Option<PathBuf>) -> i32 {
    let (lessons, errors, folder) = match dir {
        Some(dir) => {
            let (lessons, errors) = crate::lessons::load_lessons(&dir);
            (lessons, errors, Some(dir))
        }
        None => crate::lessons::available_lessons(),
    };
    match folder {
        Some(folder) => println!("lessons in {}:", folder.display()),
        None => println!("built-in lessons:"),
    }
    for lesson in &lessons {
        println!("  {:28} {} ({} steps)", lesson.name, lesson.title, lesson.steps.len());
    }
    for error in &errors {
        eprintln!("error: {error}");
    }
    if errors.is_empty() { EXIT_OK } else { EXIT_BAD_INPUT }
}

/// How many probe records a headless run keeps in memory; metrics.csv
/// gets every one as it comes.
const HISTORY_IN_MEMORY: usize = 20_000;

/// `emergence-lab run`: trains, shows progress on a terminal, writes the
/// run directory. Bad input gives exit code 2 and a message on stderr,
/// before any training where it can be known then.
pub fn run(args: &RunArgs) -> i32 {
    let mut flags = Vec::new();
    if let Some(steps) = args.steps {
        flags.push(Override::flag(format!("--steps {steps}"), "training.steps", steps as i64));
    }
    if let Some(seed) = args.seed {
        flags.push(Override::flag(format!("--seed {seed}"), "seed", seed as i64));
    }
    if let Some(count) = args.replicas {
        flags.push(Override::flag(format!("--replicas {count}"), "replicas.count", count as i64));
    }
    let config = match args.config.load(&flags) {
        Ok(config) => config,
        Err(error) => return bad_input(&error.to_string()),
    };
    let output = match RunOutput::prepare(&args.out) {
        Ok(output) => output,
        Err(error) => return bad_input(&error.to_string()),
    };
    let several = config.replicas.count > 1;
    let mut replicas = match Replicas::new(config) {
        Ok(replicas) => replicas,
        Err(error) => return bad_input(&error.to_string()),
    };
    let layers = replicas.trainers[0].network().layers.len();
    let metrics_path = output.file("metrics.csv");
    let mut metrics = match std::fs::File::create(&metrics_path)
        .map_err(|source| WriteError::Io { path: metrics_path.clone(), source })
        .and_then(|file| {
            MetricsWriter::new(std::io::BufWriter::new(file), layers)
                .map_err(|source| WriteError::Csv { path: metrics_path.clone(), source })
        }) {
        Ok(writer) => writer,
        Err(error) => return bad_input(&error.to_string()),
    };
    for trainer in &mut replicas.trainers {
        trainer.history_mut().set_limit(Some(HISTORY_IN_MEMORY));
    }
    replicas.trainers[0].history_mut().stream();
    let steps = replicas.trainers[0].config().training.steps;
    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(steps);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} steps  {per_sec}  eta {eta}  {msg}").expect("the template is valid"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let csv_failed = |source| WriteError::Csv { path: metrics_path.clone(), source };
    let started = Instant::now();
    let chunk = (steps / 200).clamp(1, 10_000);
    let mut done = 0;
    // Step 0's probe was taken before streaming began.
    if let Err(error) = metrics.write(replicas.trainers[0].history().records()).map_err(csv_failed) {
        return bad_input(&error.to_string());
    }
    while done < steps {
        let taken = chunk.min(steps - done);
        if several {
            replicas.run(taken);
        } else {
            replicas.trainers[0].run(taken);
        }
        done += taken;
        let rows = replicas.trainers[0].history_mut().take_unwritten();
        if let Err(error) = metrics.write(&rows).map_err(csv_failed) {
            return bad_input(&error.to_string());
        }
        progress.set_position(done);
        if let Some(latest) = replicas.trainers[0].history().latest() {
            progress.set_message(format!("test loss {:.4}", latest.test_loss));
        }
        if replicas.trainers.iter().all(|t| t.diverged().is_some()) {
            break;
        }
    }
    let wall = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    // The final state, also after a divergence: the network as it was just
    // before the non-finite value, which shows what exploded.
    for trainer in &mut replicas.trainers {
        if trainer.latest().step != trainer.step_count() {
            trainer.record_probe();
        }
    }
    let rows = replicas.trainers[0].history_mut().take_unwritten();
    if let Err(error) = metrics.write(&rows).and_then(|()| metrics.finish()).map_err(csv_failed) {
        return bad_input(&error.to_string());
    }
    let confusion = confusion_matrix(&mut replicas.trainers[0], true);
    let trainer = &replicas.trainers[0];
    let samples: u64 = replicas.trainers.iter().map(Trainer::samples_seen).sum();
    let summary = Summary::of(trainer, wall, samples);
    let written = write_run(&output.file(""), trainer, &summary)
        .and_then(|()| write_json(&output.file("emergence.json"), &emergence_report(trainer)))
        .and_then(|()| match &confusion {
            Some(counts) => write_csv_file(&output.file("confusion.csv"), |out| write_confusion_csv(counts, out)),
            None => Ok(()),
        });
    let written = written.and_then(|()| {
        if !several {
            return Ok(());
        }
        let report = replicas.measure();
        write_json(&output.file("homogenisation.json"), &report)?;
        let mut history = replicas.history.clone();
        if history.last().is_none_or(|h| h.step != report.step) {
            history.push(report.summary());
        }
        write_csv_file(&output.file("homogenisation.csv"), |out| write_homogeneity_csv(&history, out))
    });
    let target = output.target().to_path_buf();
    match written.and_then(|()| output.finish()) {
        Ok(0) => {}
        Ok(replaced) => eprintln!("replaced {replaced} files of an earlier run in {}", target.display()),
        Err(error) => return bad_input(&error.to_string()),
    }
    let last = &summary.final_metrics;
    let accuracy = last.test_acc.map(|a| format!(", test accuracy {:.1}%", 100.0 * a)).unwrap_or_default();
    match &summary.diverged {
        Some(divergence) => eprintln!("diverged: {divergence}; outputs in {}", target.display()),
        None => eprintln!(
            "{} steps in {:.2} s ({:.0} samples/s): test loss {:.4}{accuracy}; outputs in {}",
            summary.steps,
            wall,
            summary.samples_per_second,
            last.test_loss,
            target.display()
        ),
    }
    EXIT_OK
}

fn bad_input(message: &str) -> i32 {
    eprintln!("error: {message}");
    EXIT_BAD_INPUT
}
