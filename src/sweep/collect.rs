//! Collecting a sweep: every run's directory read back into one row per
//! run (`summary.csv`), one row of means per cell (`cells.csv`), and a
//! heatmap of one metric over two axes with the theory's trainable depth
//! drawn over it (`heatmap.png`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Job, Metric, Plan, SweepError};
use crate::analysis::theory::TheoryReport;
use crate::config::{Config, MAX_CONFIG_BYTES, load_config_text};
use crate::files::read_text_capped;
use crate::report::write_csv_file;

/// summary.json and theory.json are a few kilobytes; metrics.csv grows
/// with the probes and the layers.
const MAX_JSON_BYTES: u64 = 64 << 20;
const MAX_METRICS_BYTES: u64 = 1 << 30;

/// How many missing runs an error lists by name.
const LISTED_MISSING: usize = 5;

/// What [`collect`] wrote.
#[derive(Debug)]
pub struct Collected {
    pub runs: usize,
    /// Runs without usable outputs (only with `allow_missing`), with why.
    pub missing: Vec<String>,
    pub summary: PathBuf,
    pub cells: PathBuf,
    pub heatmap: HeatmapOutcome,
}

#[derive(Debug, PartialEq)]
pub enum HeatmapOutcome {
    Drawn(PathBuf),
    /// Why there is no picture.
    NotDrawn(String),
}

/// Reads every run of the sweep planned in `dir` and writes
/// `summary.csv`, `cells.csv` and `heatmap.png` there. `metric` and
/// `xi_multiple` default to the plan's. A run without usable outputs is
/// an error naming it, unless `allow_missing`.
pub fn collect(dir: &Path, metric: Option<Metric>, xi_multiple: Option<f64>, allow_missing: bool) -> Result<Collected, SweepError> {
    let plan = Plan::read(dir)?;
    let metric = metric.unwrap_or(plan.metric);
    let xi_multiple = xi_multiple.unwrap_or(plan.xi_multiple);
    if !(xi_multiple.is_finite() && xi_multiple > 0.0) {
        return Err(SweepError::BadFlag { flag: format!("--xi-multiple {xi_multiple}"), message: "must be a number above 0".into() });
    }
    let jobs = plan.jobs(dir);
    let mut rows = Vec::with_capacity(jobs.len());
    let mut missing = Vec::new();
    for job in &jobs {
        match read_run(job) {
            Ok(row) => rows.push(row),
            Err(why) => missing.push(format!("{} ({why})", job.dir.display())),
        }
    }
    if !missing.is_empty() && !allow_missing {
        let mut list = missing.iter().take(LISTED_MISSING).cloned().collect::<Vec<_>>().join("; ");
        if missing.len() > LISTED_MISSING {
            let _ = write!(list, "; and {} more", missing.len() - LISTED_MISSING);
        }
        return Err(SweepError::Missing { missing: missing.len(), total: jobs.len(), list });
    }

    let cells = cell_summaries(&plan, &rows);
    let summary_path = dir.join("summary.csv");
    write_csv_file(&summary_path, |out| write_summary_csv(&plan, &rows, out))?;
    let cells_path = dir.join("cells.csv");
    write_csv_file(&cells_path, |out| write_cells_csv(&plan, &cells, out))?;
    let heatmap = heatmap(&plan, &cells, &rows, metric, xi_multiple, &dir.join("heatmap.png"))?;
    Ok(Collected { runs: rows.len(), missing, summary: summary_path, cells: cells_path, heatmap })
}

#[cfg(not(target_arch = "wasm32"))]
fn heatmap(
    plan: &Plan,
    cells: &[CellSummary],
    rows: &[RunRow],
    metric: Metric,
    xi_multiple: f64,
    path: &Path,
) -> Result<HeatmapOutcome, SweepError> {
    match super::picture::picture(plan, cells, rows, metric, xi_multiple) {
        Ok(picture) => {
            super::heatmap::draw(&picture, path)?;
            Ok(HeatmapOutcome::Drawn(path.to_path_buf()))
        }
        Err(why) => Ok(HeatmapOutcome::NotDrawn(why)),
    }
}

#[cfg(target_arch = "wasm32")]
fn heatmap(_: &Plan, _: &[CellSummary], _: &[RunRow], _: Metric, _: f64, _: &Path) -> Result<HeatmapOutcome, SweepError> {
    Ok(HeatmapOutcome::NotDrawn("this build (wasm) draws no pictures".into()))
}

// ---------------------------------------------------------------------------
// One run

/// What a run's directory says.
#[derive(Debug, Clone)]
pub(super) struct RunRow {
    pub(super) cell: usize,
    pub(super) seed: u64,
    pub(super) hidden_layers: usize,
    /// For the theory's line in the picture, which wasm builds do not draw.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(super) leaky_slope: f64,
    pub(super) steps: u64,
    pub(super) diverged_at: Option<u64>,
    pub(super) train_loss: Option<f64>,
    pub(super) test_loss: Option<f64>,
    pub(super) train_acc: Option<f64>,
    pub(super) test_acc: Option<f64>,
    pub(super) steps_to_target: Option<u64>,
    pub(super) theory: TheoryReport,
}

/// The part of summary.json a sweep reads.
#[derive(Deserialize)]
struct SummaryFile {
    steps: u64,
    #[serde(rename = "final")]
    final_metrics: FinalFile,
    diverged: Option<DivergedFile>,
}

/// Non-finite numbers are written to JSON as null.
#[derive(Deserialize)]
struct FinalFile {
    train_loss: Option<f64>,
    test_loss: Option<f64>,
    train_acc: Option<f64>,
    test_acc: Option<f64>,
}

#[derive(Deserialize)]
struct DivergedFile {
    step: u64,
}

/// A run's row, or why it has none: outputs missing, unreadable, or from
/// another config than the one planned (an older run in the same folder).
fn read_run(job: &Job) -> Result<RunRow, String> {
    let out = job.out();
    let read = |name: &str, limit: u64| read_text_capped(&out.join(name), limit).map_err(|e| e.to_string());
    if !out.join("summary.json").is_file() {
        return Err("not run yet: no summary.json".into());
    }
    let planned = read_text_capped(&job.config(), MAX_CONFIG_BYTES).map_err(|e| e.to_string())?;
    let used = read("config.toml", MAX_CONFIG_BYTES)?;
    if planned != used {
        return Err("its out/config.toml is not the planned config.toml: an older run? run its line again".into());
    }
    let config: Config = load_config_text(&used, &out.join("config.toml").display().to_string(), &[]).map_err(|e| e.to_string())?;
    let summary: SummaryFile = serde_json::from_str(&read("summary.json", MAX_JSON_BYTES)?).map_err(|e| format!("summary.json: {e}"))?;
    let theory: TheoryReport = serde_json::from_str(&read("theory.json", MAX_JSON_BYTES)?).map_err(|e| format!("theory.json: {e}"))?;
    let metrics = read("metrics.csv", MAX_METRICS_BYTES)?;
    let steps_to_target = first_step_at(&metrics, "test_acc", config.replicas.target_accuracy).map_err(|e| format!("metrics.csv: {e}"))?;
    let last = summary.final_metrics;
    Ok(RunRow {
        cell: job.cell,
        seed: job.seed,
        hidden_layers: config.network.hidden.len(),
        leaky_slope: config.network.leaky_slope,
        steps: summary.steps,
        diverged_at: summary.diverged.map(|d| d.step),
        train_loss: last.train_loss,
        test_loss: last.test_loss,
        train_acc: last.train_acc,
        test_acc: last.test_acc,
        steps_to_target,
        theory,
    })
}

/// The first probe step at which `column` reached `target`.
fn first_step_at(metrics: &str, column: &str, target: f64) -> Result<Option<u64>, String> {
    let mut reader = csv::Reader::from_reader(metrics.as_bytes());
    let header = reader.headers().map_err(|e| e.to_string())?.clone();
    let find = |name: &str| header.iter().position(|h| h == name).ok_or_else(|| format!("no {name} column"));
    let (step_at, value_at) = (find("step")?, find(column)?);
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        let value = record.get(value_at).and_then(|v| v.parse::<f64>().ok());
        if value.is_some_and(|v| v >= target) {
            let step = record.get(step_at).and_then(|s| s.parse::<u64>().ok()).ok_or("a step that is not a number")?;
            return Ok(Some(step));
        }
    }
    Ok(None)
}

// ---------------------------------------------------------------------------
// Cells

/// The means over a cell's runs, and its theory (that of its first run:
/// the seed changes only which rows the probes follow).
#[derive(Debug, Clone)]
pub(super) struct CellSummary {
    pub(super) runs: usize,
    pub(super) diverged: usize,
    pub(super) train_loss: Option<f64>,
    pub(super) test_loss: Option<f64>,
    pub(super) train_acc: Option<f64>,
    pub(super) test_acc: Option<f64>,
    /// The fraction of runs that reached the target.
    pub(super) reached_target: Option<f64>,
    /// The mean over the runs that reached it.
    pub(super) steps_to_target: Option<f64>,
    pub(super) hidden_layers: Option<usize>,
    pub(super) theory: Option<TheoryReport>,
}

/// The mean of the values present, in the rows' order (seed order), so
/// the same runs give the same bits.
fn mean(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let present: Vec<f64> = values.flatten().filter(|v| v.is_finite()).collect();
    (!present.is_empty()).then(|| present.iter().sum::<f64>() / present.len() as f64)
}

fn cell_summaries(plan: &Plan, rows: &[RunRow]) -> Vec<CellSummary> {
    (0..plan.cells.len())
        .map(|cell| {
            let runs: Vec<&RunRow> = rows.iter().filter(|r| r.cell == cell).collect();
            let reached = runs.iter().filter(|r| r.steps_to_target.is_some()).count();
            CellSummary {
                runs: runs.len(),
                diverged: runs.iter().filter(|r| r.diverged_at.is_some()).count(),
                train_loss: mean(runs.iter().map(|r| r.train_loss)),
                test_loss: mean(runs.iter().map(|r| r.test_loss)),
                train_acc: mean(runs.iter().map(|r| r.train_acc)),
                test_acc: mean(runs.iter().map(|r| r.test_acc)),
                reached_target: (!runs.is_empty() && runs.iter().any(|r| r.test_acc.is_some())).then(|| reached as f64 / runs.len() as f64),
                steps_to_target: mean(runs.iter().map(|r| r.steps_to_target.map(|s| s as f64))),
                hidden_layers: runs.first().map(|r| r.hidden_layers),
                theory: runs.first().map(|r| r.theory.clone()),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Tables

fn number(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// phase, sigma_w2, chi1, xi_c, depth_over_xi_c: empty where the theory
/// does not apply or has no number (xi_c is unbounded at the edge).
fn theory_columns(theory: Option<&TheoryReport>, depth: Option<usize>) -> [String; 5] {
    let Some(theory) = theory.filter(|t| t.applies) else { return Default::default() };
    let depth_over_xi = match (depth, theory.xi_c) {
        (Some(depth), Some(xi)) => Some(depth as f64 / xi),
        _ => None,
    };
    [
        theory.phase.map(|p| p.name().to_string()).unwrap_or_default(),
        number(theory.sigma_w2),
        number(theory.chi1),
        number(theory.xi_c),
        number(depth_over_xi),
    ]
}

const THEORY_HEADER: [&str; 5] = ["phase", "sigma_w2", "chi1", "xi_c", "depth_over_xi_c"];

fn axis_columns(plan: &Plan, cell: usize) -> impl Iterator<Item = String> + '_ {
    plan.grid.iter().zip(&plan.cells[cell].at).map(|(axis, &at)| axis.values[at].text.clone())
}

fn write_summary_csv<W: std::io::Write>(plan: &Plan, rows: &[RunRow], out: W) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["cell".to_string()];
    header.extend(plan.grid.iter().map(|a| a.key.clone()));
    header.extend(
        ["seed", "hidden_layers", "steps", "diverged_at", "train_loss", "test_loss", "train_acc", "test_acc", "steps_to_target"]
            .map(String::from),
    );
    header.extend(THEORY_HEADER.map(String::from));
    writer.write_record(&header)?;
    for row in rows {
        let mut record = vec![plan.cells[row.cell].name.clone()];
        record.extend(axis_columns(plan, row.cell));
        record.extend([
            row.seed.to_string(),
            row.hidden_layers.to_string(),
            row.steps.to_string(),
            row.diverged_at.map(|s| s.to_string()).unwrap_or_default(),
            number(row.train_loss),
            number(row.test_loss),
            number(row.train_acc),
            number(row.test_acc),
            row.steps_to_target.map(|s| s.to_string()).unwrap_or_default(),
        ]);
        record.extend(theory_columns(Some(&row.theory), Some(row.hidden_layers)));
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}

fn write_cells_csv<W: std::io::Write>(plan: &Plan, cells: &[CellSummary], out: W) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["cell".to_string()];
    header.extend(plan.grid.iter().map(|a| a.key.clone()));
    header.extend(
        ["runs", "diverged", "train_loss", "test_loss", "train_acc", "test_acc", "reached_target", "steps_to_target"].map(String::from),
    );
    header.extend(THEORY_HEADER.map(String::from));
    writer.write_record(&header)?;
    for (index, cell) in cells.iter().enumerate() {
        let mut record = vec![plan.cells[index].name.clone()];
        record.extend(axis_columns(plan, index));
        record.extend([
            cell.runs.to_string(),
            cell.diverged.to_string(),
            number(cell.train_loss),
            number(cell.test_loss),
            number(cell.train_acc),
            number(cell.test_acc),
            number(cell.reached_target),
            number(cell.steps_to_target),
        ]);
        record.extend(theory_columns(cell.theory.as_ref(), cell.hidden_layers));
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}
