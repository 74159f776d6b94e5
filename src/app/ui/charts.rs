//! The charts: losses over steps, per-layer gradient norm and activation
//! spread over steps (log scale: vanishing and exploding gradients are read
//! here), the per-layer profile now, and histograms of the current step.

use std::sync::Arc;

use bevy_egui::egui::{self, Color32};
use egui_plot::{Bar, BarChart, GridInput, GridMark, Line, Plot, PlotPoints, Polygon, VLine};

use super::traces::{self, ChartLines, Trace, legend};
use super::{Frame, Requests};
use crate::analysis::emergence::PhaseKind;
use crate::analysis::theory::Phase;
use crate::app::palette;
use crate::i18n::Localizer;
use crate::run::session::ProbeParts;
use crate::tr;
use crate::train::{Histogram, HistogramScale, LayerStats, ProbeRecord};

/// Which quantity the histogram chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HistogramKind {
    #[default]
    Weights,
    PreActivations,
    Activations,
    Gradients,
}

/// The charts' own settings.
#[derive(Default)]
pub struct Charts {
    /// Charts over steps use a logarithmic step axis.
    log_steps: bool,
    /// The gradient chart shows each layer relative to the output layer.
    relative_gradients: bool,
    histogram_layer: usize,
    histogram: HistogramKind,
    lines: Option<Lines>,
}

const CHART_HEIGHT: f32 = 130.0;
const ACCURACY_HEIGHT: f32 = 90.0;
const TRAIN_COLOUR: Color32 = Color32::from_rgb(120, 120, 120);
const TEST_COLOUR: Color32 = Color32::from_rgb(230, 120, 20);
const WAVE_SHARE_COLOUR: Color32 = Color32::from_rgb(80, 200, 255);

/// A chart as the lab draws them all: no background fill (a software
/// renderer blends each of its pixels again every frame; the grid and axes
/// frame the chart) and no zoom on the mouse wheel (it scrolls the panel).
pub fn chart<'a>(id: impl egui::AsId) -> Plot<'a> {
    Plot::new(id).show_background(false).allow_scroll(false)
}

/// log10 of a positive value; nothing for zero or non-finite values, which
/// a log chart cannot place.
fn log10(value: f64) -> Option<f64> {
    (value > 0.0 && value.is_finite()).then(|| value.log10())
}

/// Grid lines on whole decades, at most about six of them, whatever the
/// span (a diverging run spans hundreds).
fn decade_spacer(input: GridInput) -> Vec<GridMark> {
    let span = (input.bounds.1 - input.bounds.0).abs();
    let step = (span / 6.0).ceil().max(1.0);
    let first = (input.bounds.0 / step).ceil() as i64;
    let last = (input.bounds.1 / step).floor() as i64;
    (first..=last.min(first + 50)).map(|k| GridMark { value: k as f64 * step, step_size: step }).collect()
}

fn decade_label(mark: GridMark, _range: &std::ops::RangeInclusive<f64>) -> String {
    if (mark.value - mark.value.round()).abs() < 1e-6 { format!("1e{}", mark.value.round() as i32) } else { String::new() }
}

/// Where a step sits on the x axis: linear, or log10 (step 0 drawn at 1),
/// on which grokking's long delay and early phases are both visible.
#[derive(Clone, Copy)]
struct StepAxis {
    log: bool,
}

impl StepAxis {
    fn x(self, step: u64) -> f64 {
        if self.log { (step.max(1) as f64).log10() } else { step as f64 }
    }

    fn label(self, mark: GridMark) -> String {
        if !self.log {
            return format!("{}", mark.value);
        }
        if (mark.value - mark.value.round()).abs() < 1e-6 { format!("{}", 10f64.powf(mark.value.round())) } else { String::new() }
    }
}

/// `value` of every record where it is finite, over the steps.
fn series_points(records: &[ProbeRecord], axis: StepAxis, value: impl Fn(&ProbeRecord) -> Option<f64>) -> Vec<[f64; 2]> {
    records.iter().filter_map(|r| value(r).filter(|v| v.is_finite()).map(|v| [axis.x(r.step), v])).collect()
}

fn series(records: &[ProbeRecord], axis: StepAxis, value: impl Fn(&ProbeRecord) -> Option<f64>) -> Trace {
    Trace::new(series_points(records, axis, value))
}

/// Above this many layers a legend would hide the chart; the colours (dark
/// at the input, bright at the output) carry the order instead.
const MAX_LEGEND_LAYERS: usize = 6;

/// "L1 31%, L3 5%": the hidden layers whose fraction `stat` exceeds
/// `threshold`, numbered from 1.
fn layers_above(tr: &Localizer, layers: &[LayerStats], threshold: f64, stat: fn(&LayerStats) -> f64) -> String {
    let listed: Vec<String> = layers
        .iter()
        .enumerate()
        .filter(|(_, s)| stat(s) > threshold)
        .map(|(k, s)| tr!(tr, "charts-layer-fraction", layer = k + 1, fraction = stat(s)))
        .collect();
    listed.join(&tr!(tr, "charts-list-separator"))
}

/// One line per layer of a per-layer statistic on a log axis (`value`
/// reads layer k of a record). A deep network's many lines share the
/// chart's points and have no bands (see [`per_layer_log_chart`]).
fn per_layer_lines(
    records: &[ProbeRecord],
    axis: StepAxis,
    layers: usize,
    value: impl Fn(&ProbeRecord, usize) -> Option<f64>,
) -> ChartLines {
    let columns = traces::columns_for(layers);
    let traces = (0..layers)
        .map(|layer| Trace::with_columns(series_points(records, axis, |r| value(r, layer).and_then(log10)), columns))
        .map(|trace| if layers <= MAX_LEGEND_LAYERS { trace } else { trace.without_band() })
        .collect();
    ChartLines::new(traces, CHART_HEIGHT)
}

/// The lines of [`per_layer_lines`] from `first` to `last` on the x axis,
/// and, dashed, what theory predicts for each layer (`predicted`, on the
/// same scale), as a reference at every step.
fn per_layer_log_chart(
    ui: &mut egui::Ui,
    tr: &Localizer,
    id: &str,
    lines: &ChartLines,
    (axis, first, last): (StepAxis, f64, f64),
    predicted: &[Option<f64>],
) {
    let layers = lines.traces.len();
    let mut plot = chart(id).height(CHART_HEIGHT).x_axis_formatter(move |mark, _| axis.label(mark));
    let legend_shown = layers <= MAX_LEGEND_LAYERS;
    if legend_shown {
        plot = plot.legend(legend());
    } else {
        ui.small(tr!(tr, "charts-layer-colours"));
    }
    // A deep network's many lines are drawn under a pixel wide (a third
    // fewer triangles; they overlap anyway).
    let width = if legend_shown { 1.5 } else { 0.9 };
    let tolerance = lines.tolerance;
    // Without a legend, one dashed line per level: deep layers often share
    // theory's prediction, and the same dashes drawn twenty times over
    // look like one.
    let mut levels_drawn: Vec<f64> = Vec::new();
    plot.y_axis_formatter(decade_label).y_grid_spacer(decade_spacer).show(ui, |plot| {
        for (layer, trace) in lines.traces.iter().enumerate() {
            let name = tr!(tr, "charts-layer-short", layer = layer + 1);
            trace.draw_as_is(plot, name.clone(), palette::layer_colour(layer, layers), |line| line.width(width));
            if let Some(level) = predicted.get(layer).copied().flatten().and_then(log10) {
                if !legend_shown && levels_drawn.iter().any(|drawn| (drawn - level).abs() <= tolerance) {
                    continue;
                }
                levels_drawn.push(level);
                // Named as the layer's own line: one legend entry shows
                // and hides both (the caption says what dashed means).
                plot.line(
                    Line::new(name, PlotPoints::from(vec![[first, level], [last, level]]))
                        .color(palette::layer_colour(layer, layers))
                        .style(egui_plot::LineStyle::dashed_loose())
                        .width(1.0),
                );
            }
        }
    });
}

/// The charts' lines from one snapshot of the probes, kept while the
/// snapshot is the same (paused, or between probes): summarising 20,000
/// steps of a twenty-layer network into columns, a logarithm a point, and
/// simplifying them again every frame was half the charts' time on a
/// paused deep network.
struct Lines {
    parts: Arc<ProbeParts>,
    log_steps: bool,
    relative_gradients: bool,
    /// The highest loss drawn (and 0): a plateau's shading spans it.
    loss_range: (f64, f64),
    loss: ChartLines,
    accuracy: ChartLines,
    gradients: ChartLines,
    activations: ChartLines,
}

impl Lines {
    fn of(parts: &Arc<ProbeParts>, axis: StepAxis, relative_gradients: bool, layers: usize) -> Self {
        let records = parts.history.records();
        let losses = vec![series(records, axis, |r| Some(r.train_loss)), series(records, axis, |r| Some(r.test_loss))];
        let accuracies = vec![
            series(records, axis, |r| r.train_acc),
            series(records, axis, |r| r.test_acc),
            // Modular addition: the order that forms before the jump.
            Trace::new(parts.fourier.iter().filter(|w| w.median_share.is_finite()).map(|w| [axis.x(w.step), w.median_share]).collect()),
        ];
        let gradients = if relative_gradients {
            let relative = |r: &ProbeRecord, k: usize| {
                let output = r.layers.last()?.grad_norm;
                (output > 0.0).then(|| r.layers.get(k).map(|s| s.grad_norm / output)).flatten()
            };
            per_layer_lines(records, axis, layers, relative)
        } else {
            per_layer_lines(records, axis, layers, |r, k| r.layers.get(k).map(|s| s.grad_norm))
        };
        let loss_range = records
            .iter()
            .map(|r| r.train_loss.max(r.test_loss))
            .filter(|v| v.is_finite())
            .fold((0.0f64, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
        Self {
            parts: Arc::clone(parts),
            log_steps: axis.log,
            relative_gradients,
            loss_range,
            loss: ChartLines::new(losses, CHART_HEIGHT),
            accuracy: ChartLines::new(accuracies, ACCURACY_HEIGHT),
            gradients,
            activations: per_layer_lines(records, axis, layers - 1, |r, k| r.layers.get(k).map(|s| s.act_std)),
        }
    }

    fn is_of(&self, parts: &Arc<ProbeParts>, axis: StepAxis, relative_gradients: bool) -> bool {
        Arc::ptr_eq(&self.parts, parts) && self.log_steps == axis.log && self.relative_gradients == relative_gradients
    }
}

/// What theory predicts of the network, or why it says nothing.
fn theory_caption(ui: &mut egui::Ui, frame: &Frame) {
    let theory = &frame.lab.theory;
    if !theory.applies {
        // The reason is the engine's (English) description.
        let reason = theory.reason.clone().unwrap_or_else(|| tr!(frame.tr, "charts-theory-does-not-apply"));
        ui.small(tr!(frame.tr, "charts-theory-none", reason = reason));
        return;
    }
    let phase = match theory.phase {
        Some(Phase::Ordered) => tr!(frame.tr, "charts-phase-ordered"),
        Some(Phase::Critical) => tr!(frame.tr, "charts-phase-critical"),
        Some(Phase::Chaotic) => tr!(frame.tr, "charts-phase-chaotic"),
        Some(Phase::Exploding) => tr!(frame.tr, "charts-phase-exploding"),
        None => "-".to_string(),
    };
    // No depth scale is an infinite one (NUMBER() writes ∞).
    let xi = theory.xi_c.unwrap_or(f64::INFINITY);
    let depth = frame.lab.network().hidden_layers();
    ui.small(tr!(frame.tr, "charts-theory-caption", phase = phase, chi1 = theory.chi1.unwrap_or(f64::NAN), xi = xi, depth = depth));
}

impl Charts {
    pub fn show(&mut self, ui: &mut egui::Ui, frame: &Frame, _requests: &mut Requests) {
        let lab = frame.lab;
        let tr = frame.tr;
        let records = lab.parts.history.records();
        let layers = lab.network().layers.len();
        let hidden = layers - 1;

        let axis = StepAxis { log: self.log_steps };
        ui.horizontal(|ui| {
            ui.strong(tr!(tr, "charts-loss-heading"));
            ui.checkbox(&mut self.log_steps, tr!(tr, "charts-log-steps")).on_hover_text(tr!(tr, "charts-log-steps-tooltip"));
        });
        if !self.lines.as_ref().is_some_and(|lines| lines.is_of(&lab.parts, axis, self.relative_gradients)) {
            self.lines = Some(Lines::of(&lab.parts, axis, self.relative_gradients, layers));
        }
        let Some(lines) = &self.lines else { return };
        let phases = &lab.parts.phases;
        let (low, high) = lines.loss_range;
        // Said once, under the first chart: every chart's lines are then
        // means over a band.
        let summarised = lines.loss.traces.iter().any(Trace::summarised);
        chart("loss").height(CHART_HEIGHT).legend(legend()).include_y(0.0).x_axis_formatter(move |mark, _| axis.label(mark)).show(
            ui,
            |plot| {
                for phase in phases {
                    let (a, b) = (axis.x(phase.start_step), axis.x(phase.end_step));
                    match phase.kind {
                        PhaseKind::Plateau => plot.polygon(
                            Polygon::new(tr!(tr, "charts-plateau"), PlotPoints::from(vec![[a, low], [b, low], [b, high], [a, high]]))
                                .fill_color(Color32::from_rgba_unmultiplied(120, 160, 255, 40))
                                .stroke(egui::Stroke::NONE),
                        ),
                        PhaseKind::SuddenDrop => {
                            plot.vline(VLine::new(tr!(tr, "charts-sudden-drop"), a).color(Color32::from_rgb(220, 60, 60)))
                        }
                    }
                }
                let [train, test] = [&lines.loss.traces[0], &lines.loss.traces[1]];
                train.draw_as_is(plot, tr!(tr, "charts-train"), TRAIN_COLOUR, |line| line.width(1.0));
                test.draw_as_is(plot, tr!(tr, "charts-test"), TEST_COLOUR, |line| line.width(2.0));
            },
        );
        if summarised {
            ui.small(tr!(tr, "charts-long-history"));
        }
        if lab.data.task.classes().is_some() {
            let moments = lab.parts.moments;
            ui.strong(tr!(tr, "charts-accuracy-heading")).on_hover_text(tr!(tr, "charts-accuracy-tooltip"));
            chart("accuracy")
                .height(ACCURACY_HEIGHT)
                .legend(legend())
                .include_y(0.0)
                .include_y(1.0)
                .x_axis_formatter(move |mark, _| axis.label(mark))
                .show(ui, |plot| {
                    if let Some(step) = moments.train_step {
                        plot.vline(
                            VLine::new(tr!(tr, "charts-train-fitted", step = step), axis.x(step)).color(Color32::from_rgb(150, 150, 150)),
                        );
                    }
                    if let Some(step) = moments.test_step {
                        plot.vline(
                            VLine::new(tr!(tr, "charts-test-fitted", step = step), axis.x(step)).color(Color32::from_rgb(230, 120, 20)),
                        );
                    }
                    let [train, test, wave_share] = [&lines.accuracy.traces[0], &lines.accuracy.traces[1], &lines.accuracy.traces[2]];
                    train.draw_as_is(plot, tr!(tr, "charts-train"), TRAIN_COLOUR, |line| line.width(1.0));
                    test.draw_as_is(plot, tr!(tr, "charts-test"), TEST_COLOUR, |line| line.width(2.0));
                    wave_share.draw_as_is(plot, tr!(tr, "charts-median-wave-share"), WAVE_SHARE_COLOUR, |line| line.width(1.0));
                });
            if let (Some(train), Some(test)) = (moments.train_step, moments.test_step)
                && test >= 3 * train.max(1)
            {
                ui.small(tr!(tr, "charts-delayed-generalisation", steps = test - train));
            }
        }

        ui.horizontal(|ui| {
            ui.strong(tr!(tr, "charts-gradient-heading")).on_hover_text(tr!(tr, "charts-gradient-tooltip"));
            ui.checkbox(&mut self.relative_gradients, tr!(tr, "charts-relative-gradients"))
                .on_hover_text(tr!(tr, "charts-relative-gradients-tooltip"));
        });
        let (first, last) = match (records.first(), records.last()) {
            (Some(first), Some(last)) => (axis.x(first.step), axis.x(last.step).max(axis.x(first.step) + 1.0)),
            _ => (0.0, 1.0),
        };
        let theory = &lab.theory;
        // The lines of the choice before this frame's click: the next
        // frame shows the other (a frame late, as the checkbox's own tick).
        let predicted: Vec<Option<f64>> = if lines.relative_gradients {
            (0..layers)
                .map(|k| if k + 1 == layers { Some(1.0) } else { theory.layers.get(k).and_then(|l| l.grad_ratio_to_output) })
                .collect()
        } else {
            Vec::new()
        };
        per_layer_log_chart(ui, tr, "gradient-norms", &lines.gradients, (axis, first, last), &predicted);
        ui.strong(tr!(tr, "charts-activation-heading"));
        let predicted: Vec<Option<f64>> = theory.layers.iter().map(|l| l.act_std).collect();
        per_layer_log_chart(ui, tr, "activation-std", &lines.activations, (axis, first, last), &predicted);
        theory_caption(ui, frame);

        if let Some(latest) = records.last() {
            ui.strong(tr!(tr, "charts-profile-heading", step = latest.step)).on_hover_text(tr!(tr, "charts-profile-tooltip"));
            let bars: Vec<Bar> = latest
                .layers
                .iter()
                .enumerate()
                .filter_map(|(k, s)| {
                    log10(s.grad_norm).map(|v| Bar::new((k + 1) as f64, v).width(0.7).fill(palette::layer_colour(k, layers)))
                })
                .collect();
            chart("profile")
                .height(90.0)
                .allow_drag(false)
                .y_axis_formatter(decade_label)
                .y_grid_spacer(decade_spacer)
                .show(ui, |plot| plot.bar_chart(BarChart::new(tr!(tr, "charts-profile-series"), bars)));
            let hidden_layers = &latest.layers[..hidden];
            let dead = layers_above(tr, hidden_layers, 0.0, |s| s.dead_frac);
            if !dead.is_empty() {
                ui.small(tr!(tr, "charts-dead-units-by-layer", layers = dead));
            }
            let saturated = layers_above(tr, hidden_layers, 0.05, |s| s.sat_frac);
            if !saturated.is_empty() {
                ui.small(tr!(tr, "charts-saturated-by-layer", layers = saturated));
            }
        }

        self.settling_chart(ui, frame);
        self.histogram_chart(ui, frame);
    }
}

/// When each hidden layer's features settled (90% of its neurons), and how
/// alike each layer's neurons are.
impl Charts {
    fn settling_chart(&self, ui: &mut egui::Ui, frame: &Frame) {
        let lab = frame.lab;
        let tr = frame.tr;
        let hidden = lab.network().hidden_layers();
        if hidden == 0 {
            return;
        }
        let settling = &lab.parts.settling;
        let settled: Vec<Option<u64>> = (0..hidden).map(|l| settling.layer_settled_step(l)).collect();
        ui.strong(tr!(tr, "charts-settled-heading")).on_hover_text(tr!(tr, "charts-settled-tooltip"));
        let layers = hidden + 1;
        let bars: Vec<Bar> = settled
            .iter()
            .enumerate()
            .filter_map(|(k, s)| s.map(|step| Bar::new((k + 1) as f64, step as f64).width(0.7).fill(palette::layer_colour(k, layers))))
            .collect();
        chart("settled").height(80.0).allow_drag(false).include_y(0.0).include_x(0.5).include_x(hidden as f64 + 0.5).show(ui, |plot| {
            plot.bar_chart(BarChart::new(tr!(tr, "charts-settled-series"), bars));
        });
        if let Some(report) = &lab.homogeneity
            && let Some(within) = report.within_layer.first()
        {
            let bars: Vec<Bar> = within
                .iter()
                .enumerate()
                .filter_map(|(k, v)| v.map(|v| Bar::new((k + 1) as f64, v).width(0.7).fill(palette::layer_colour(k, layers))))
                .collect();
            ui.strong(tr!(tr, "charts-within-layer-heading")).on_hover_text(tr!(tr, "charts-within-layer-tooltip"));
            chart("within-layer")
                .height(80.0)
                .allow_drag(false)
                .include_y(0.0)
                .include_y(1.0)
                .include_x(0.5)
                .include_x(hidden as f64 + 0.5)
                .show(ui, |plot| plot.bar_chart(BarChart::new(tr!(tr, "charts-within-layer-series"), bars)));
        }
    }

    fn histogram_chart(&mut self, ui: &mut egui::Ui, frame: &Frame) {
        let details = &frame.lab.parts.detail;
        if details.is_empty() {
            return;
        }
        let tr = frame.tr;
        ui.horizontal(|ui| {
            ui.strong(tr!(tr, "charts-histogram-heading"));
            let layers = details.len();
            self.histogram_layer = self.histogram_layer.min(layers - 1);
            egui::ComboBox::from_id_salt("histogram-layer")
                .selected_text(tr!(tr, "charts-layer", layer = self.histogram_layer + 1))
                .width(70.0)
                .show_ui(ui, |ui| {
                    for k in 0..layers {
                        ui.selectable_value(&mut self.histogram_layer, k, tr!(tr, "charts-layer", layer = k + 1));
                    }
                });
            for (kind, name) in [
                (HistogramKind::Weights, tr!(tr, "charts-histogram-weights")),
                (HistogramKind::PreActivations, tr!(tr, "charts-histogram-pre-activations")),
                (HistogramKind::Activations, tr!(tr, "charts-histogram-activations")),
                (HistogramKind::Gradients, tr!(tr, "charts-histogram-gradients")),
            ] {
                ui.selectable_value(&mut self.histogram, kind, name);
            }
        });
        let detail = &details[self.histogram_layer];
        let histogram = match self.histogram {
            HistogramKind::Weights => &detail.weights,
            HistogramKind::PreActivations => &detail.pre_activations,
            HistogramKind::Activations => &detail.activations,
            HistogramKind::Gradients => &detail.gradients,
        };
        draw_histogram(ui, tr, "histogram", histogram);
    }
}

/// A fixed-bin histogram as bars; values outside the bins are counted in
/// the caption.
pub fn draw_histogram(ui: &mut egui::Ui, tr: &Localizer, id: &str, histogram: &Histogram) {
    let width = histogram.bin_width();
    let bars: Vec<Bar> =
        histogram.counts.iter().enumerate().map(|(i, &c)| Bar::new(histogram.bin_centre(i), f64::from(c)).width(width)).collect();
    let log = histogram.scale == HistogramScale::Log10Magnitude;
    chart(id)
        .height(CHART_HEIGHT)
        .include_x(histogram.low)
        .include_x(histogram.high)
        .x_axis_formatter(move |mark: GridMark, _| if log { decade_label(mark, &(0.0..=0.0)) } else { format!("{}", mark.value) })
        .show(ui, |plot| plot.bar_chart(BarChart::new(tr!(tr, "charts-histogram-count"), bars).color(Color32::from_rgb(8, 119, 189))));
    let mut outside = Vec::new();
    if histogram.below > 0 {
        outside.push(tr!(tr, "charts-histogram-below", count = histogram.below));
    }
    if histogram.above > 0 {
        outside.push(tr!(tr, "charts-histogram-above", count = histogram.above));
    }
    if log && histogram.zeros > 0 {
        outside.push(tr!(tr, "charts-histogram-zeros", count = histogram.zeros));
    }
    if histogram.non_finite > 0 {
        outside.push(tr!(tr, "charts-histogram-non-finite", count = histogram.non_finite));
    }
    if log {
        ui.small(tr!(tr, "charts-histogram-log-axis"));
    }
    if !outside.is_empty() {
        ui.small(tr!(tr, "charts-histogram-outside", counts = outside.join(&tr!(tr, "charts-list-separator"))));
    }
}
