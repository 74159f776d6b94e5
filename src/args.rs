//! The command line's arguments and exit codes: what both the command line
//! and the app read, so neither needs the other.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, ConfigError, ConfigSource, Limits, Override, load_config_with};
#[cfg(feature = "gui")]
use crate::explain::Stage;
use crate::report::Skippable;
use crate::run::session::PointChoice;
#[cfg(feature = "gui")]
use crate::run::session::{Speed, Stop};
use crate::sweep::Metric;

/// Exit code of a run that finished or diverged.
pub const EXIT_OK: i32 = 0;
/// Exit code of `lessons --verify` when a lesson's claim missed its
/// requirement.
pub const EXIT_CLAIM_FAILED: i32 = 1;
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
    /// data_train.csv, data_test.csv, summary.json, emergence.json and
    /// theory.json (and confusion.csv for a classifier) to --out; with
    /// --experiment, also experiment.emlab for the app to open.
    Run(RunArgs),
    /// Train --steps steps, then write every number of one training step
    /// on one training point (forward, loss, backward, update) as one JSON
    /// document, to standard output or --out.
    Explain(ExplainArgs),
    /// List the presets with their descriptions.
    Presets,
    /// List the lessons and check every lesson file (exit 2 if one is
    /// malformed); with --verify, also run every step's checks.
    Lessons(LessonsArgs),
    /// Run a grid of configs, K seeds per cell, on this machine's cores
    /// (--out), or plan it as a job list for elsewhere (--plan); then
    /// `sweep collect DIR` merges a plan's outputs.
    Sweep(SweepCommand),
    /// Open the app (the default when no command is given).
    #[cfg(feature = "gui")]
    Gui(GuiArgs),
}

#[derive(Debug, Default, Args)]
pub struct LessonsArgs {
    /// A folder of lesson files (default: the shipped assets/lessons).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Run every step's checks headless over seeds 1 to N and print how
    /// many seeds passed each (exit 1 if a check misses its requirement).
    #[arg(long)]
    pub verify: bool,
    /// The number of seeds to verify with (default 10).
    #[arg(long, value_name = "N", requires = "verify", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub seeds: Option<u32>,
    /// With --verify: under each check, what every seed showed.
    #[arg(long, requires = "verify")]
    pub verbose: bool,
    /// Only these lessons (file names without .toml; default: all).
    #[arg(value_name = "LESSON")]
    pub names: Vec<String>,
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
        load_config_with(&self.source(), &self.overrides_with(flags)?)
    }

    /// The `--set` overrides, then the flags'.
    pub fn overrides_with(&self, flags: &[Override]) -> Result<Vec<Override>, ConfigError> {
        let mut overrides = self.overrides.iter().map(|text| Override::parse(text)).collect::<Result<Vec<_>, _>>()?;
        overrides.extend_from_slice(flags);
        Ok(overrides)
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
    /// Leave out bulky outputs: `model` (model.json), `data`
    /// (data_train.csv, data_test.csv); comma-separated.
    #[arg(long, value_name = "model,data", value_delimiter = ',', value_parser = parse_skippable)]
    pub skip: Vec<Skippable>,
    /// Also write experiment.emlab: the trained run, which `gui
    /// --experiment` (or the app's Files window) opens to go on training.
    #[arg(long)]
    pub experiment: bool,
}

fn parse_skippable(text: &str) -> Result<Skippable, String> {
    Skippable::from_name(text.trim()).ok_or_else(|| {
        let known: Vec<&str> = Skippable::ALL.iter().map(|s| s.name()).collect();
        format!("\"{text}\" is not an output that can be left out ({})", known.join(", "))
    })
}

/// `sweep [OPTIONS]` plans (and runs) a sweep; `sweep collect DIR` merges
/// a planned sweep's outputs.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SweepCommand {
    #[command(subcommand)]
    pub action: Option<SweepAction>,
    #[command(flatten)]
    pub args: SweepArgs,
}

#[derive(Debug, Subcommand)]
pub enum SweepAction {
    /// Read the outputs of a planned sweep's runs into DIR/summary.csv,
    /// DIR/cells.csv and DIR/heatmap.png.
    Collect(CollectArgs),
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// One axis of the grid: KEY=VALUES, VALUES comma-separated TOML values
    /// or `linspace(A, B, N)`, `sqrt(...)`, `[W]*D` (D layers of W),
    /// `[W]*(D1,D2,...)`. Repeatable: the grid is every combination.
    #[arg(long = "grid", value_name = "KEY=VALUES", required = true)]
    pub grid: Vec<String>,
    /// Seeds per cell: the config's seed and the K - 1 after it.
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub seeds: u64,
    /// Steps to train every run (overrides training.steps).
    #[arg(long)]
    pub steps: Option<u64>,
    /// Run the sweep here and write everything to DIR.
    #[arg(long, value_name = "DIR", required_unless_present = "plan", conflicts_with = "plan")]
    pub out: Option<PathBuf>,
    /// Only plan: write DIR/jobs.txt (one `emergence-lab run` line per
    /// run) and the runs' configs, to run elsewhere.
    #[arg(long, value_name = "DIR")]
    pub plan: Option<PathBuf>,
    /// What the heatmap shows: train_acc, test_acc, train_loss, test_loss,
    /// steps_to_target (default: test_acc, or test_loss for a regression).
    #[arg(long, value_parser = parse_metric)]
    pub metric: Option<Metric>,
    /// The trainable depth drawn over the heatmap is this many times the
    /// theory's depth scale xi_c (6 in Schoenholz et al. 2017).
    #[arg(long, value_name = "M", default_value_t = 6.0)]
    pub xi_multiple: f64,
    /// Runs at a time (default: one per core).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// The sweep's directory (made by `sweep --plan DIR` or `--out DIR`).
    pub dir: PathBuf,
    /// What the heatmap shows (default: the plan's).
    #[arg(long, value_parser = parse_metric)]
    pub metric: Option<Metric>,
    /// The multiple of xi_c drawn (default: the plan's).
    #[arg(long, value_name = "M")]
    pub xi_multiple: Option<f64>,
    /// Summarise the runs that have outputs even if some have none.
    #[arg(long)]
    pub allow_missing: bool,
}

fn parse_metric(text: &str) -> Result<Metric, String> {
    Metric::from_name(text.trim()).ok_or_else(|| {
        let known: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        format!("\"{text}\" is not a metric ({})", known.join(", "))
    })
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The training point: its index in the training set (0 first, as in
    /// data_train.csv), or `next` for the one the next training step
    /// starts its batch with.
    #[arg(long, value_name = "N|next", value_parser = parse_point)]
    pub point: PointChoice,
    /// Steps to train before the step explained.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(..=Limits::STEPS.1))]
    pub steps: u64,
    /// Seed (overrides seed), 0 to 9223372036854775807.
    #[arg(long, value_parser = clap::value_parser!(u64).range(..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// Write the JSON to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// A point number, or `next`.
fn parse_point(text: &str) -> Result<PointChoice, String> {
    match text.trim() {
        "next" => Ok(PointChoice::Next),
        number => number
            .parse::<usize>()
            .map(PointChoice::Index)
            .map_err(|_| format!("\"{number}\" is not a training point's number (0, 1, 2, ...) or next")),
    }
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
    /// Put the mouse pointer at X,Y (logical pixels from the window's top
    /// left) for the screenshot: a hover to show, or none (with --frames).
    #[arg(long, value_name = "X,Y", requires = "frames", value_parser = parse_pointer)]
    pub pointer: Option<[f32; 2]>,
    /// Open this lesson (see `emergence-lab lessons`) at its first step.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["preset", "config"])]
    pub lesson: Option<String>,
    /// Open a saved experiment (`run --experiment`, or saved from the Files
    /// window) and go on from where it stopped.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["preset", "config", "overrides", "lesson", "link"])]
    pub experiment: Option<PathBuf>,
    /// Open a share link (the web page's "Copy link"): its settings, and
    /// its lesson step if it has one.
    #[arg(long, value_name = "URL", conflicts_with_all = ["preset", "config", "lesson"])]
    pub link: Option<String>,
    /// Training speed: steps per second, `max`, or 0 to start paused
    /// (default: paused, but `max` with --frames).
    #[arg(long, value_name = "STEPS|max", value_parser = parse_speed)]
    pub speed: Option<SpeedArg>,
    /// Stop training at this step (`300`), or at the end of this many
    /// epochs (`4epochs`): the settings panel's "stop after".
    #[arg(long, value_name = "N|Nepochs", value_parser = parse_stop)]
    pub stop_after: Option<Stop>,
    /// Open "Step through" on this training point (its index, or `next`).
    /// With --stop-after and training on (--speed, or --frames) it shows
    /// the step after the stop; otherwise it pauses the run at once.
    #[arg(long, value_name = "N|next", value_parser = parse_point)]
    pub step_through: Option<PointChoice>,
    /// The stage "Step through" opens at: forward, forward:N, loss,
    /// backward, backward:N or update (N a weight layer, from 1).
    #[arg(long, value_name = "STAGE", requires = "step_through", value_parser = Stage::parse)]
    pub stage: Option<Stage>,
    /// Take the step "Step through" shows, as Apply (Enter) does: the
    /// pictures redraw with the new weights.
    #[arg(long, requires = "step_through")]
    pub apply: bool,
    /// Open these windows, or show these views, at the start
    /// (repeatable), e.g. for screenshots.
    #[arg(long = "open", value_name = "WINDOW", value_enum)]
    pub open: Vec<WindowArg>,
    /// Start presenting: side panels hidden so the network fills the
    /// window (P).
    #[arg(long)]
    pub present: bool,
    /// Start in the high-contrast theme for projectors (C).
    #[arg(long)]
    pub high_contrast: bool,
    /// The app's language (en-US, zh-CN, or a language added in
    /// assets/i18n); default: $EMERGENCE_LAB_LANG, then the system's.
    #[arg(long, value_name = "LANGUAGE")]
    pub lang: Option<String>,
}

/// `X,Y`, two finite numbers.
#[cfg(feature = "gui")]
fn parse_pointer(text: &str) -> Result<[f32; 2], String> {
    let numbers: Vec<Option<f32>> = text.split(',').map(|part| part.trim().parse::<f32>().ok().filter(|v| v.is_finite())).collect();
    match numbers[..] {
        [Some(x), Some(y)] => Ok([x, y]),
        _ => Err(format!("\"{text}\" is not a position X,Y such as 640,400")),
    }
}

/// `300` (steps) or `4epochs`.
#[cfg(feature = "gui")]
fn parse_stop(text: &str) -> Result<Stop, String> {
    let text = text.trim();
    let (number, epochs) = match text.strip_suffix("epochs").or_else(|| text.strip_suffix("epoch")) {
        Some(number) => (number.trim(), true),
        None => (text, false),
    };
    match number.parse::<u64>() {
        Ok(0) => Err("0: training would stop before it starts; give 1 or more".into()),
        Ok(n) if epochs => Ok(Stop::AfterEpochs(n)),
        Ok(n) => Ok(Stop::AtStep(n)),
        Err(_) => Err(format!("\"{text}\" is not a number of steps (300) or of epochs (4epochs)")),
    }
}

/// A window `gui --open` can open.
#[cfg(feature = "gui")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WindowArg {
    Help,
    Lessons,
    Files,
    Replicas,
    Waves,
    EdgeOfChaos,
}

/// A speed given on the command line: `None` is paused.
#[cfg(feature = "gui")]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpeedArg(pub Option<Speed>);

/// `max`, a number of steps per second, or 0 for paused.
#[cfg(feature = "gui")]
fn parse_speed(text: &str) -> Result<SpeedArg, String> {
    match text.trim() {
        "max" => Ok(SpeedArg(Some(Speed::Max))),
        number => match number.parse::<u32>() {
            Ok(0) => Ok(SpeedArg(None)),
            Ok(rate) => Ok(SpeedArg(Some(Speed::StepsPerSecond(rate)))),
            Err(_) => Err(format!("\"{number}\" is not a number of steps per second, 0 or max")),
        },
    }
}

#[cfg(all(test, feature = "gui"))]
mod tests {
    use super::*;

    #[test]
    fn stop_after_reads_steps_or_epochs_and_refuses_the_rest() {
        assert_eq!(parse_stop("300"), Ok(Stop::AtStep(300)));
        assert_eq!(parse_stop("4epochs"), Ok(Stop::AfterEpochs(4)));
        assert_eq!(parse_stop(" 1 epoch "), Ok(Stop::AfterEpochs(1)));
        assert!(parse_stop("0").unwrap_err().contains("before it starts"));
        assert!(parse_stop("-3").unwrap_err().contains("not a number"));
        assert!(parse_stop("epochs").unwrap_err().contains("not a number"));
    }

    #[test]
    fn pointer_reads_two_finite_numbers() {
        assert_eq!(parse_pointer("20,790"), Ok([20.0, 790.0]));
        assert_eq!(parse_pointer(" 1.5 , 2 "), Ok([1.5, 2.0]));
        for bad in ["", "1", "1,2,3", "x,1", "inf,1", "NaN,2"] {
            assert!(parse_pointer(bad).is_err(), "{bad:?}");
        }
    }
}
