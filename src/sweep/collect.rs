//! Collecting a sweep: every run's directory read back into one row per
//! run (`summary.csv`), one row of means per cell (`cells.csv`), and a
//! heatmap of one metric over two axes with the theory's trainable depth
//! drawn over it (`heatmap.png`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Job, Metric, Plan, SweepError};
use crate::analysis::theory::{TheoryReport, critical_sigma_w2, phase_point};
use crate::config::{Config, MAX_CONFIG_BYTES, load_config_text};
use crate::files::read_text_capped;
use crate::nn::Activation;
use crate::report::write_csv_file;

/// summary.json and theory.json are a few kilobytes; metrics.csv grows
/// with the probes and the layers.
const MAX_JSON_BYTES: u64 = 64 << 20;
const MAX_METRICS_BYTES: u64 = 1 << 30;

/// How many missing runs an error lists by name.
const LISTED_MISSING: usize = 5;

/// Points along the theory's line.
const CURVE_POINTS: usize = 160;

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
    let heatmap = match picture(&plan, &cells, &rows, metric, xi_multiple) {
        Ok(picture) => draw(&picture, &dir.join("heatmap.png"))?,
        Err(why) => HeatmapOutcome::NotDrawn(why),
    };
    Ok(Collected { runs: rows.len(), missing, summary: summary_path, cells: cells_path, heatmap })
}

#[cfg(not(target_arch = "wasm32"))]
fn draw(picture: &Picture, path: &Path) -> Result<HeatmapOutcome, SweepError> {
    super::heatmap::draw(picture, path)?;
    Ok(HeatmapOutcome::Drawn(path.to_path_buf()))
}

#[cfg(target_arch = "wasm32")]
fn draw(_picture: &Picture, _path: &Path) -> Result<HeatmapOutcome, SweepError> {
    Ok(HeatmapOutcome::NotDrawn("this build (wasm) draws no pictures".into()))
}

// ---------------------------------------------------------------------------
// One run

/// What a run's directory says.
#[derive(Debug, Clone)]
struct RunRow {
    cell: usize,
    seed: u64,
    hidden_layers: usize,
    leaky_slope: f64,
    steps: u64,
    diverged_at: Option<u64>,
    train_loss: Option<f64>,
    test_loss: Option<f64>,
    train_acc: Option<f64>,
    test_acc: Option<f64>,
    steps_to_target: Option<u64>,
    theory: TheoryReport,
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
struct CellSummary {
    runs: usize,
    diverged: usize,
    train_loss: Option<f64>,
    test_loss: Option<f64>,
    train_acc: Option<f64>,
    test_acc: Option<f64>,
    /// The fraction of runs that reached the target.
    reached_target: Option<f64>,
    /// The mean over the runs that reached it.
    steps_to_target: Option<f64>,
    hidden_layers: Option<usize>,
    theory: Option<TheoryReport>,
}

impl CellSummary {
    fn metric(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::TrainAcc => self.train_acc,
            Metric::TestAcc => self.test_acc,
            Metric::TrainLoss => self.train_loss,
            Metric::TestLoss => self.test_loss,
            Metric::StepsToTarget => self.steps_to_target,
        }
    }
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
                reached_target: (!runs.is_empty() && runs.iter().any(|r| r.test_acc.is_some()))
                    .then(|| reached as f64 / runs.len() as f64),
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

// ---------------------------------------------------------------------------
// The picture, as numbers (drawn by `heatmap`)

/// A heatmap of cell means over two axes, and the theory's line.
#[derive(Debug, Clone)]
pub(super) struct Picture {
    pub title: String,
    pub footnote: String,
    pub x: PictureAxis,
    pub y: PictureAxis,
    /// `values[y][x]`: the cell's mean, `None` where no run has one.
    pub values: Vec<Vec<Option<f64>>>,
    /// Where some run of the cell diverged.
    pub diverged: Vec<Vec<bool>>,
    /// The colour scale's ends.
    pub range: (f64, f64),
    pub colour_label: String,
    pub curve: Option<TheoryCurve>,
}

#[derive(Debug, Clone)]
pub(super) struct PictureAxis {
    pub label: String,
    /// Each value's place along the axis: its number on a numeric axis
    /// (sigma_w^2, depth), its index otherwise.
    pub positions: Vec<f64>,
    /// Each value's label, shown at its place on a categorical axis.
    pub ticks: Vec<String>,
    pub numeric: bool,
}

impl PictureAxis {
    /// The lower and upper edge of each value's cell: half-way to its
    /// neighbours (in order of position), as far out at the ends.
    pub fn edges(&self) -> Vec<(f64, f64)> {
        let mut order: Vec<usize> = (0..self.positions.len()).collect();
        order.sort_by(|&a, &b| self.positions[a].total_cmp(&self.positions[b]));
        let sorted: Vec<f64> = order.iter().map(|&i| self.positions[i]).collect();
        let mut edges = vec![(0.0, 0.0); sorted.len()];
        for (k, &i) in order.iter().enumerate() {
            let gap_below = if k > 0 { sorted[k] - sorted[k - 1] } else if sorted.len() > 1 { sorted[1] - sorted[0] } else { 1.0 };
            let gap_above = if k + 1 < sorted.len() { sorted[k + 1] - sorted[k] } else { gap_below };
            edges[i] = (sorted[k] - gap_below / 2.0, sorted[k] + gap_above / 2.0);
        }
        edges
    }

    pub fn span(&self) -> (f64, f64) {
        let edges = self.edges();
        let low = edges.iter().map(|e| e.0).fold(f64::INFINITY, f64::min);
        let high = edges.iter().map(|e| e.1).fold(f64::NEG_INFINITY, f64::max);
        (low, high)
    }
}

#[derive(Debug, Clone)]
pub(super) struct TheoryCurve {
    pub label: String,
    /// Pieces of the line `xi_multiple * xi_c(sigma_w^2)`, broken where it
    /// leaves the top of the picture (xi_c diverges at the edge of chaos).
    pub segments: Vec<Vec<(f64, f64)>>,
    /// sigma_w^2 where chi_1 = 1, if it lies in the picture.
    pub critical: Option<f64>,
}

const GAIN_KEY: &str = "network.gain";
const HIDDEN_KEY: &str = "network.hidden";

/// The picture of `metric` over the plan's two varying axes, or why there
/// is none.
fn picture(plan: &Plan, cells: &[CellSummary], rows: &[RunRow], metric: Metric, xi_multiple: f64) -> Result<Picture, String> {
    let varying = plan.varying_axes();
    let [first, second] = varying[..] else {
        return Err(format!(
            "a heatmap needs exactly two grid keys with several values; this sweep has {}",
            if varying.is_empty() { "none".to_string() } else { varying.len().to_string() }
        ));
    };
    if rows.is_empty() {
        return Err("no run has outputs".into());
    }
    // Depth up the side, as in the papers; otherwise the first key across.
    let (xa, ya) = if plan.grid[first].key == HIDDEN_KEY { (second, first) } else { (first, second) };
    let cell_at = |xi: usize, yi: usize| {
        plan.cells.iter().position(|c| c.at[xa] == xi && c.at[ya] == yi).expect("every combination of values is a cell")
    };
    let (nx, ny) = (plan.grid[xa].values.len(), plan.grid[ya].values.len());
    let theory_of = |axis: usize, value: usize| {
        cells.iter().zip(&plan.cells).find(|(s, c)| c.at[axis] == value && s.theory.is_some()).and_then(|(s, _)| s.theory.clone())
    };

    let weight_axis = |axis: usize| -> Option<PictureAxis> {
        let grid = &plan.grid[axis];
        if grid.key != GAIN_KEY {
            return None;
        }
        let positions: Option<Vec<f64>> =
            (0..grid.values.len()).map(|v| theory_of(axis, v).filter(|t| t.applies).and_then(|t| t.sigma_w2)).collect();
        Some(PictureAxis {
            label: "σw² (fan-in × weight variance, from network.gain)".into(),
            positions: positions.filter(|p| distinct(p))?,
            ticks: Vec::new(),
            numeric: true,
        })
    };
    let depth_axis = |axis: usize| -> Option<PictureAxis> {
        let grid = &plan.grid[axis];
        if grid.key != HIDDEN_KEY {
            return None;
        }
        let lists: Vec<Vec<toml::Value>> =
            grid.values.iter().map(|v| v.value().ok().and_then(|v| v.as_array().cloned())).collect::<Option<_>>()?;
        let positions: Vec<f64> = lists.iter().map(|l| l.len() as f64).collect();
        let widths: Vec<&toml::Value> = lists.iter().flatten().collect();
        let label = match widths.first() {
            Some(&w) if widths.iter().all(|&v| v == w) => format!("depth (hidden layers of {w})"),
            _ => "depth (hidden layers)".into(),
        };
        distinct(&positions).then_some(PictureAxis { label, positions, ticks: Vec::new(), numeric: true })
    };
    let categorical = |axis: usize| {
        let grid = &plan.grid[axis];
        PictureAxis {
            label: grid.key.clone(),
            positions: (0..grid.values.len()).map(|i| i as f64).collect(),
            ticks: grid.values.iter().map(|v| v.text.clone()).collect(),
            numeric: false,
        }
    };
    let x = weight_axis(xa).or_else(|| depth_axis(xa)).unwrap_or_else(|| categorical(xa));
    let y = depth_axis(ya).or_else(|| weight_axis(ya)).unwrap_or_else(|| categorical(ya));

    let values: Vec<Vec<Option<f64>>> = (0..ny).map(|yi| (0..nx).map(|xi| cells[cell_at(xi, yi)].metric(metric)).collect()).collect();
    let diverged = (0..ny).map(|yi| (0..nx).map(|xi| cells[cell_at(xi, yi)].diverged > 0).collect()).collect();
    let range = match metric {
        Metric::TrainAcc | Metric::TestAcc => (0.0, 1.0),
        _ => {
            let present: Vec<f64> = values.iter().flatten().flatten().copied().collect();
            let low = present.iter().copied().fold(f64::INFINITY, f64::min);
            let high = present.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if !low.is_finite() {
                (0.0, 1.0)
            } else if high > low {
                (low, high)
            } else {
                (low - 0.5, low + 0.5)
            }
        }
    };

    let curve = if x.numeric && plan.grid[xa].key == GAIN_KEY && y.numeric && plan.grid[ya].key == HIDDEN_KEY {
        theory_curve(&x, &y, cells, rows, xi_multiple)
    } else {
        None
    };
    let seeds = plan.seeds.len();
    let steps = rows.iter().map(|r| r.steps).max().unwrap_or(0);
    let mut footnote = plan.base.clone();
    if footnote.chars().count() > 150 {
        footnote = footnote.chars().take(147).collect::<String>() + "...";
    }
    Ok(Picture {
        title: format!(
            "{}, mean of {seeds} seed{} ({steps} steps)",
            capitalised(metric.describe()),
            if seeds == 1 { "" } else { "s" }
        ),
        footnote,
        x,
        y,
        values,
        diverged,
        range,
        colour_label: metric.name().into(),
        curve,
    })
}

fn distinct(positions: &[f64]) -> bool {
    positions.iter().enumerate().all(|(i, p)| p.is_finite() && !positions[..i].contains(p))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// `xi_multiple * xi_c` along sigma_w^2 across the picture, from the
/// mean-field theory of the cells' activation and biases.
fn theory_curve(x: &PictureAxis, y: &PictureAxis, cells: &[CellSummary], rows: &[RunRow], xi_multiple: f64) -> Option<TheoryCurve> {
    let theory = cells.iter().filter_map(|c| c.theory.as_ref()).find(|t| t.applies)?;
    let activation: Activation = theory.layers.last()?.activation;
    let leaky_slope = rows.first()?.leaky_slope;
    let (bias_mean, bias_variance) = (theory.bias_mean, theory.bias_variance);
    let (left, right) = x.span();
    let (bottom, top) = y.span();
    let mut segments: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    // Where the line leaves the picture (above the top where xi_c
    // diverges), the piece ends at the edge it crossed, at the nearest
    // point computed, and the next piece starts there.
    let mut previous: Option<(f64, Option<f64>)> = None;
    for k in 0..=CURVE_POINTS {
        let sigma_w2 = left + (right - left) * k as f64 / CURVE_POINTS as f64;
        if sigma_w2 <= 0.0 {
            continue;
        }
        let depth = phase_point(activation, leaky_slope, bias_mean, sigma_w2, bias_variance).xi_c.map(|xi| xi_multiple * xi);
        let edge = if depth.is_some_and(|d| d < bottom) { bottom } else { top };
        let inside = depth.filter(|d| (bottom..=top).contains(d));
        match (inside, previous) {
            (Some(depth), Some((before, Some(edge_before)))) => {
                current.push((before, edge_before));
                current.push((sigma_w2, depth));
            }
            (Some(depth), _) => current.push((sigma_w2, depth)),
            (None, Some((_, None))) => {
                current.push((sigma_w2, edge));
                segments.push(std::mem::take(&mut current));
            }
            (None, _) => {}
        }
        previous = Some((sigma_w2, if inside.is_some() { None } else { Some(edge) }));
    }
    segments.push(current);
    segments.retain(|s| s.len() > 1);
    let critical = critical_sigma_w2(activation, leaky_slope, bias_mean, bias_variance).filter(|s| (left..=right).contains(s));
    let multiple = if xi_multiple.fract() == 0.0 { format!("{xi_multiple:.0}") } else { xi_multiple.to_string() };
    Some(TheoryCurve { label: format!("{multiple} ξc (mean-field theory)"), segments, critical })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::theory::theory_for;
    use crate::nn::{Init, NetworkSpec};

    fn axis(positions: &[f64]) -> PictureAxis {
        PictureAxis { label: String::new(), positions: positions.to_vec(), ticks: Vec::new(), numeric: true }
    }

    #[test]
    fn edges_lie_half_way_between_values_in_any_order() {
        assert_eq!(axis(&[3.0, 1.0, 2.0]).edges(), vec![(2.5, 3.5), (0.5, 1.5), (1.5, 2.5)]);
        assert_eq!(axis(&[4.0, 10.0, 22.0]).span(), (1.0, 28.0));
        assert_eq!(axis(&[5.0]).edges(), vec![(4.5, 5.5)]);
    }

    /// The line is 6 xi_c from the theory, stays inside the picture, and
    /// leaves it through the top around the edge of chaos (tanh at
    /// sigma_b^2 = 0.05: sigma_w^2 = 1.76).
    #[test]
    fn the_theory_line_follows_xi_c_and_breaks_at_the_edge_of_chaos() {
        let spec = NetworkSpec {
            inputs: 64,
            image: None,
            conv: Vec::new(),
            hidden: vec![(64, Activation::Tanh); 4],
            outputs: 10,
            init: Init::LecunNormal,
            gain: 1.0,
            bias_init: 0.0,
            bias_std: 0.05f64.sqrt(),
            batch_norm: false,
            dropout: 0.0,
            leaky_slope: 0.01,
        };
        let theory = theory_for(&spec, 0.2, 0.05);
        let cell = CellSummary {
            runs: 1,
            diverged: 0,
            train_loss: None,
            test_loss: None,
            train_acc: None,
            test_acc: None,
            reached_target: None,
            steps_to_target: None,
            hidden_layers: Some(4),
            theory: Some(theory.clone()),
        };
        let row = RunRow {
            cell: 0,
            seed: 1,
            hidden_layers: 4,
            leaky_slope: 0.01,
            steps: 1,
            diverged_at: None,
            train_loss: None,
            test_loss: None,
            train_acc: None,
            test_acc: None,
            steps_to_target: None,
            theory,
        };
        let (x, y) = (axis(&[1.0, 2.0, 3.0, 4.0]), axis(&[10.0, 30.0, 50.0, 70.0]));
        let curve = theory_curve(&x, &y, &[cell], &[row], 6.0).unwrap();
        let critical = curve.critical.unwrap();
        assert!((critical - 1.76).abs() < 0.01, "{critical}");
        assert_eq!(curve.segments.len(), 2, "one piece on each side of the edge");
        for &(sigma_w2, depth) in curve.segments.iter().flatten() {
            assert!((0.0..=80.0).contains(&depth), "{sigma_w2}: {depth}");
            if depth < 80.0 {
                let xi = phase_point(Activation::Tanh, 0.01, 0.0, sigma_w2, 0.05).xi_c.unwrap();
                assert!((depth - 6.0 * xi).abs() < 1e-9);
            }
        }
        let ends: Vec<f64> = curve.segments.iter().map(|s| s.last().unwrap().0).collect();
        assert!(ends[0] < critical && curve.segments[1][0].0 > critical, "{ends:?}");
    }
}
