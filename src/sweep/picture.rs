//! A sweep's picture as numbers: the cells' means over two axes, placed in
//! σw² and depth where the axes are a gain and a depth, and the theory's
//! trainable depth as a line over them. `heatmap` draws it.

use super::collect::{CellSummary, RunRow};
use super::{Metric, Plan};
use crate::analysis::theory::{critical_sigma_w2, phase_point};
use crate::nn::Activation;

/// Points along the theory's line.
const CURVE_POINTS: usize = 160;

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
            let gap_below = if k > 0 {
                sorted[k] - sorted[k - 1]
            } else if sorted.len() > 1 {
                sorted[1] - sorted[0]
            } else {
                1.0
            };
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
pub(super) fn picture(plan: &Plan, cells: &[CellSummary], rows: &[RunRow], metric: Metric, xi_multiple: f64) -> Result<Picture, String> {
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
        title: format!("{}, mean of {seeds} seed{} ({steps} steps)", capitalised(metric.describe()), if seeds == 1 { "" } else { "s" }),
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
