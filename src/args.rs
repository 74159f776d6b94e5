//! The command line's arguments and exit codes: what both the command line
//! and the app read, so neither needs the other.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, ConfigError, ConfigSource, Override, load_config_with};
#[cfg(feature = "gui")]
use crate::run::session::Speed;

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
    /// data_train.csv, data_test.csv and summary.json to --out.
    Run(RunArgs),
    /// List the presets with their descriptions.
    Presets,
    /// List the lessons and check every lesson file (exit 2 if one is
    /// malformed); with --verify, also run every step's checks.
    Lessons(LessonsArgs),
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
    /// Open a share link (the web page's "Copy link"): its settings, and
    /// its lesson step if it has one.
    #[arg(long, value_name = "URL", conflicts_with_all = ["preset", "config", "lesson"])]
    pub link: Option<String>,
    /// Training speed: steps per second, `max`, or 0 to start paused
    /// (default: paused, but `max` with --frames).
    #[arg(long, value_name = "STEPS|max", value_parser = parse_speed)]
    pub speed: Option<SpeedArg>,
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
