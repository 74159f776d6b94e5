//! Planning a sweep: the grid's cells, one config per cell and seed,
//! `jobs.txt` and `plan.json`. Every config is loaded and validated here,
//! so a bad value in the grid is found before anything runs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Axis, Metric, SweepError};
use crate::config::{Config, ConfigSource, Override, load_config_with};
use crate::files::read_text_capped;
use crate::nn::TaskKind;
use crate::report::{Skippable, WriteError, write_json};

/// The version of `plan.json` this build writes and reads.
pub const PLAN_FORMAT: &str = "emergence-lab-sweep/1";

/// More runs than this is a typing mistake, not an experiment.
const MAX_RUNS: usize = 100_000;

/// The most seeds per cell.
const MAX_SEEDS: u64 = 1000;

/// A plan.json is a few kilobytes per cell.
const MAX_PLAN_BYTES: u64 = 256 << 20;

/// Every run of a sweep leaves out the model and the data: a 50-layer
/// network's model.json is megabytes, and the data is the same in every
/// cell. A cell's line in jobs.txt, run without `--skip`, writes them.
pub const SWEEP_SKIPS: [Skippable; 2] = [Skippable::Model, Skippable::Data];

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct SweepRequest {
    pub source: ConfigSource,
    /// `--set` and the flags' overrides (`--steps`), in order.
    pub overrides: Vec<Override>,
    /// The `--grid` specs as typed.
    pub grid: Vec<String>,
    /// K: seeds per cell, the base config's seed and the K - 1 after it.
    pub seeds: u64,
    /// `None`: test accuracy for a classification, test loss otherwise.
    pub metric: Option<Metric>,
    /// The trainable depth drawn is this many times xi_c.
    pub xi_multiple: f64,
}

/// A sweep as written to `plan.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub format: String,
    /// The base config's source and overrides, as typed.
    pub base: String,
    pub grid: Vec<Axis>,
    pub seeds: Vec<u64>,
    pub metric: Metric,
    pub xi_multiple: f64,
    /// Outputs every run leaves out.
    pub skip: Vec<String>,
    /// Every combination of the axes' values, the first axis slowest.
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    /// Its folder under `cells/`.
    pub name: String,
    /// For each axis, the index of this cell's value.
    pub at: Vec<usize>,
}

/// One run: a cell and a seed, in `DIR/cells/<cell>/seed-<seed>/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub cell: usize,
    pub seed: u64,
    pub dir: PathBuf,
}

impl Job {
    pub fn config(&self) -> PathBuf {
        self.dir.join("config.toml")
    }

    pub fn out(&self) -> PathBuf {
        self.dir.join("out")
    }
}

impl Plan {
    /// Every run, cell by cell, seeds within a cell.
    pub fn jobs(&self, dir: &Path) -> Vec<Job> {
        self.cells
            .iter()
            .enumerate()
            .flat_map(|(cell, c)| {
                self.seeds.iter().map(move |&seed| Job { cell, seed, dir: dir.join("cells").join(&c.name).join(format!("seed-{seed}")) })
            })
            .collect()
    }

    /// The outputs every run leaves out.
    pub fn skips(&self) -> Vec<Skippable> {
        self.skip.iter().filter_map(|name| Skippable::from_name(name)).collect()
    }

    /// Reads `DIR/plan.json`.
    pub fn read(dir: &Path) -> Result<Self, SweepError> {
        let path = dir.join("plan.json");
        let text = read_text_capped(&path, MAX_PLAN_BYTES)?;
        let plan: Plan = serde_json::from_str(&text).map_err(|e| SweepError::Malformed { path: path.clone(), message: e.to_string() })?;
        if plan.format != PLAN_FORMAT {
            return Err(SweepError::Malformed {
                path,
                message: format!("a plan of format \"{}\"; this build reads \"{PLAN_FORMAT}\"", plan.format),
            });
        }
        let malformed = plan
            .cells
            .iter()
            .any(|cell| cell.at.len() != plan.grid.len() || cell.at.iter().zip(&plan.grid).any(|(&i, axis)| i >= axis.values.len()));
        if malformed || plan.cells.iter().any(|c| !is_plain_name(&c.name)) {
            return Err(SweepError::Malformed { path, message: "its cells do not match its grid".into() });
        }
        Ok(plan)
    }

    /// Whether `other` would run the same runs (what it draws may differ).
    fn same_runs(&self, other: &Plan) -> bool {
        (&self.base, &self.grid, &self.seeds, &self.skip, &self.cells)
            == (&other.base, &other.grid, &other.seeds, &other.skip, &other.cells)
    }

    /// The indices of the axes with more than one value: the ones a
    /// picture can show.
    pub fn varying_axes(&self) -> Vec<usize> {
        (0..self.grid.len()).filter(|&a| self.grid[a].values.len() > 1).collect()
    }
}

/// A folder name made by [`cell_name`]: nothing that leaves `cells/`.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-=+x".contains(c))
}

/// Plans the sweep into `dir`: validates every run's config, then writes
/// `cells/<cell>/seed-<seed>/config.toml`, `jobs.txt` and `plan.json`.
/// A directory that holds another sweep, or other files, is refused.
pub fn plan(request: &SweepRequest, dir: &Path) -> Result<Plan, SweepError> {
    let mut grid: Vec<Axis> = Vec::new();
    for spec in &request.grid {
        let axis = Axis::parse(spec)?;
        if grid.iter().any(|a| a.key == axis.key) {
            return Err(SweepError::BadGrid { spec: spec.clone(), message: format!("{} is already a grid key", axis.key) });
        }
        grid.push(axis);
    }
    if grid.is_empty() {
        return Err(SweepError::BadFlag {
            flag: "--grid".into(),
            message: "give at least one, e.g. --grid network.gain=0.8,1.0,1.33".into(),
        });
    }
    if !(1..=MAX_SEEDS).contains(&request.seeds) {
        return Err(SweepError::BadFlag {
            flag: format!("--seeds {}", request.seeds),
            message: format!("must be a whole number from 1 to {MAX_SEEDS}"),
        });
    }
    if !(request.xi_multiple.is_finite() && request.xi_multiple > 0.0) {
        return Err(SweepError::BadFlag {
            flag: format!("--xi-multiple {}", request.xi_multiple),
            message: "must be a number above 0".into(),
        });
    }
    let cells_count = grid.iter().try_fold(1usize, |n, axis| n.checked_mul(axis.values.len()));
    let runs = cells_count.and_then(|n| n.checked_mul(request.seeds as usize)).filter(|&runs| runs <= MAX_RUNS);
    let Some(cells_count) = cells_count.filter(|_| runs.is_some()) else {
        return Err(SweepError::BadFlag {
            flag: "--grid".into(),
            message: format!("the grid times {} seeds makes more than {MAX_RUNS} runs", request.seeds),
        });
    };

    let base = load_config_with(&request.source, &request.overrides)?;
    let metric = match request.metric {
        Some(metric) => metric,
        None if matches!(base.data.dataset.task(base.data.classes), Some(TaskKind::Regression)) => Metric::TestLoss,
        None => Metric::TestAcc,
    };
    if metric.is_accuracy() && matches!(base.data.dataset.task(base.data.classes), Some(TaskKind::Regression)) {
        return Err(SweepError::BadFlag {
            flag: format!("--metric {}", metric.name()),
            message: format!(
                "data set \"{}\" is a regression, which has no accuracy; use train_loss or test_loss",
                base.data.dataset.name()
            ),
        });
    }
    let seeds: Vec<u64> = (0..request.seeds).map(|i| base.seed.saturating_add(i)).collect();

    let width = (cells_count - 1).to_string().len();
    let cells: Vec<Cell> = (0..cells_count)
        .map(|index| {
            let mut at = vec![0; grid.len()];
            let mut rest = index;
            for (a, axis) in grid.iter().enumerate().rev() {
                at[a] = rest % axis.values.len();
                rest /= axis.values.len();
            }
            Cell { name: cell_name(index, width, &grid, &at), at }
        })
        .collect();

    let mut description = request.source.to_string();
    for o in &request.overrides {
        let _ = write!(description, ", {}", o.label);
    }
    let plan = Plan {
        format: PLAN_FORMAT.into(),
        base: description,
        grid,
        seeds,
        metric,
        xi_multiple: request.xi_multiple,
        skip: SWEEP_SKIPS.iter().map(|s| s.name().to_string()).collect(),
        cells,
    };

    // Every run's config, validated before anything is written.
    let jobs = plan.jobs(dir);
    let mut configs = Vec::with_capacity(jobs.len());
    for job in &jobs {
        configs.push(job_config(request, &plan, job)?);
    }

    prepare_directory(dir, &plan)?;
    write_json(&dir.join("plan.json"), &plan)?;
    let mut lines = String::new();
    for (job, config) in jobs.iter().zip(&configs) {
        std::fs::create_dir_all(&job.dir).map_err(|source| WriteError::Io { path: job.dir.clone(), source })?;
        let path = job.config();
        std::fs::write(&path, config.to_toml()).map_err(|source| WriteError::Io { path: path.clone(), source })?;
        lines.push_str(&job_line(job, &plan.skip));
        lines.push('\n');
    }
    let path = dir.join("jobs.txt");
    std::fs::write(&path, lines).map_err(|source| WriteError::Io { path, source })?;
    Ok(plan)
}

/// The config of one run: the base, its overrides, the cell's values and
/// the seed. Messages name the `--grid` value that made a config invalid.
fn job_config(request: &SweepRequest, plan: &Plan, job: &Job) -> Result<Config, SweepError> {
    let mut overrides = request.overrides.clone();
    for (axis, &at) in plan.grid.iter().zip(&plan.cells[job.cell].at) {
        let value = &axis.values[at];
        let label = format!("--grid {}={}", axis.key, value.text);
        let parsed = value.value().map_err(|message| SweepError::BadGrid { spec: format!("{}={}", axis.key, value.text), message })?;
        overrides.push(Override::new(&axis.key, parsed, label)?);
    }
    overrides.push(Override::flag(format!("--seeds {} (seed {})", request.seeds, job.seed), "seed", job.seed as i64));
    Ok(load_config_with(&request.source, &overrides)?)
}

/// `dir` must be new, empty, or hold this very plan (a sweep run again).
fn prepare_directory(dir: &Path, plan: &Plan) -> Result<(), SweepError> {
    let problem = |problem: &str| SweepError::Directory { path: dir.to_path_buf(), problem: problem.into() };
    if dir.exists() && !dir.is_dir() {
        return Err(problem("is a file, not a directory"));
    }
    if dir.join("plan.json").exists() {
        let earlier = Plan::read(dir)?;
        if !earlier.same_runs(plan) {
            return Err(problem("already holds another sweep (its plan.json differs); choose another directory or remove it"));
        }
    } else if dir.is_dir() && std::fs::read_dir(dir).map_err(|source| WriteError::Io { path: dir.to_path_buf(), source })?.next().is_some()
    {
        return Err(problem("is not empty and holds no sweep; choose a new or empty directory"));
    }
    std::fs::create_dir_all(dir).map_err(|source| WriteError::Io { path: dir.to_path_buf(), source })?;
    Ok(())
}

/// `007-gain=1.2-hidden=64x10`: the index keeps names unique and in
/// order; the values make them readable.
fn cell_name(index: usize, width: usize, grid: &[Axis], at: &[usize]) -> String {
    let mut name = format!("{index:0width$}");
    for (axis, &i) in grid.iter().zip(at) {
        let value = &axis.values[i];
        let short = match value.value() {
            Ok(toml::Value::Float(x)) => format_short(x),
            Ok(toml::Value::Array(items)) if !items.is_empty() && items.iter().all(|v| v == &items[0]) && items[0].is_integer() => {
                format!("{}x{}", items[0], items.len())
            }
            _ => value.text.clone(),
        };
        let short: String =
            short.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '+' { c } else { '_' }).take(40).collect();
        let key: String = axis.short_name().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let _ = write!(name, "-{key}={short}");
    }
    name
}

/// At most four significant digits: names, not values.
fn format_short(x: f64) -> String {
    let text = x.to_string();
    if text.len() <= 6 {
        return text;
    }
    let digits = 3i32.saturating_sub(x.abs().log10().floor() as i32).clamp(0, 8) as usize;
    let rounded = format!("{x:.digits$}");
    if rounded.contains('.') { rounded.trim_end_matches('0').trim_end_matches('.').to_string() } else { rounded }
}

/// One line of `jobs.txt`: a shell command that runs the job from the
/// directory the sweep was planned in.
fn job_line(job: &Job, skip: &[String]) -> String {
    let mut line = format!(
        "emergence-lab run --config {} --out {}",
        shell_quote(&job.config().to_string_lossy()),
        shell_quote(&job.out().to_string_lossy())
    );
    if !skip.is_empty() {
        let _ = write!(line, " --skip {}", skip.join(","));
    }
    line
}

fn shell_quote(text: &str) -> String {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "_./=+-,:@%".contains(c)) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_numbers_and_quoted_paths() {
        assert_eq!(format_short(1.118033988749895), "1.118");
        assert_eq!(format_short(0.001234567), "0.001235");
        assert_eq!(format_short(1.5), "1.5");
        assert_eq!(shell_quote("runs/a=1/config.toml"), "runs/a=1/config.toml");
        assert_eq!(shell_quote("my runs/it's"), "'my runs/it'\\''s'");
    }
}
