//! The edge of chaos (Poole et al. 2016, Schoenholz et al. 2017): the plane
//! of weight variance sigma_w^2 and bias variance sigma_b^2 for the current
//! activation, split by the line chi_1 = 1 into the ordered region (signals
//! forget their input, gradients vanish) and the chaotic one (nearby inputs
//! fly apart, gradients explode), with the current network as a point that
//! moves with the initialisation, gain and bias sliders, and its depth
//! against the depth scale xi_c over which signals survive.

use bevy_egui::egui::{self, Color32, Stroke};
use egui_plot::{Legend, Line, PlotPoints, Points, Polygon};

use super::Frame;
use super::charts::chart;
use crate::analysis::theory::{EdgePoint, Phase, edge_of_chaos};
use crate::nn::Activation;
use crate::tr;

/// The plane shown: sigma_w^2 from 0 to 5, sigma_b^2 from 0 to 0.5.
const SIGMA_W2_MAX: f64 = 5.0;
const SIGMA_B2_MAX: f64 = 0.5;
const ROWS: usize = 26;

#[derive(Default)]
pub struct ChaosWindow {
    pub open: bool,
    /// The edge computed for (activation, leaky slope, bias mean).
    edge: Option<((Activation, u64, u64), Vec<EdgePoint>)>,
}

impl ChaosWindow {
    pub fn show(&mut self, ctx: &egui::Context, frame: &Frame) {
        let mut open = self.open;
        let tr = frame.tr;
        let title = tr!(tr, "chaos-window-title");
        egui::Window::new(title).id(egui::Id::new("chaos-window")).open(&mut open).default_width(460.0).show(ctx, |ui| {
            let config = &frame.lab.config;
            let theory = &frame.lab.theory;
            let layers = config.network.hidden.len();
            let activation = if layers > 0 { config.network.activation_of(layers - 1) } else { config.network.activation };
            let slope = config.network.leaky_slope;
            let bias_mean = theory.bias_mean;
            let key = (activation, slope.to_bits(), bias_mean.to_bits());
            if self.edge.as_ref().is_none_or(|(k, _)| *k != key) {
                let variances: Vec<f64> = (0..ROWS).map(|i| SIGMA_B2_MAX * i as f64 / (ROWS - 1) as f64).collect();
                self.edge = Some((key, edge_of_chaos(activation, slope, bias_mean, &variances)));
            }
            let edge = &self.edge.as_ref().expect("just computed").1;
            let line: Vec<[f64; 2]> = edge.iter().filter_map(|e| e.sigma_w2.map(|w| [w.min(SIGMA_W2_MAX), e.bias_variance])).collect();
            ui.label(tr!(tr, "chaos-intro", activation = activation.name()));
            let (ordered_name, chaotic_name) = (tr!(tr, "chaos-region-ordered"), tr!(tr, "chaos-region-chaotic"));
            let point_name = tr!(tr, "chaos-this-network-series");
            chart("edge-of-chaos")
                .height(240.0)
                .legend(Legend::default())
                .allow_drag(false)
                .include_x(0.0)
                .include_x(SIGMA_W2_MAX)
                .include_y(0.0)
                .include_y(SIGMA_B2_MAX)
                .x_axis_label(tr!(tr, "chaos-axis-weight-variance"))
                .y_axis_label(tr!(tr, "chaos-axis-bias-variance"))
                .show(ui, |plot| {
                    if line.len() > 1 {
                        // egui_plot fills polygons as convex shapes: the
                        // ordered side (above the convex line) is convex,
                        // the chaotic side is filled in strips under it.
                        let (blue, red) = (Color32::from_rgb(60, 120, 255), Color32::from_rgb(255, 90, 60));
                        let region = |name: &str, points: Vec<[f64; 2]>, colour: Color32| {
                            Polygon::new(name, PlotPoints::from(points))
                                .stroke(Stroke::new(0.0, colour))
                                .fill_color(colour.gamma_multiply(0.2))
                        };
                        let last = *line.last().expect("two points or more");
                        let mut ordered = vec![[0.0, 0.0]];
                        ordered.extend(line.iter().copied());
                        if last[1] < SIGMA_B2_MAX {
                            ordered.push([last[0], SIGMA_B2_MAX]);
                        }
                        ordered.push([0.0, SIGMA_B2_MAX]);
                        plot.polygon(region(&ordered_name, ordered, blue));
                        for pair in line.windows(2) {
                            let strip = vec![[pair[0][0], 0.0], pair[0], pair[1], [pair[1][0], 0.0]];
                            plot.polygon(region(&chaotic_name, strip, red));
                        }
                        if last[0] < SIGMA_W2_MAX {
                            let rest = vec![[last[0], 0.0], [last[0], SIGMA_B2_MAX], [SIGMA_W2_MAX, SIGMA_B2_MAX], [SIGMA_W2_MAX, 0.0]];
                            plot.polygon(region(&chaotic_name, rest, red));
                        }
                        plot.line(Line::new("chi1 = 1", PlotPoints::from(line.clone())).color(Color32::WHITE).width(2.0));
                    }
                    if let Some(sigma_w2) = theory.sigma_w2 {
                        plot.points(
                            Points::new(point_name, vec![[sigma_w2.min(SIGMA_W2_MAX), theory.bias_variance.min(SIGMA_B2_MAX)]])
                                .radius(6.0)
                                .color(Color32::YELLOW),
                        );
                    }
                });
            if !theory.applies {
                // The engine's reason (English).
                let text = match &theory.reason {
                    Some(reason) => tr!(tr, "chaos-theory-not-applicable", reason = reason),
                    None => tr!(tr, "chaos-theory-not-applicable-see-readme"),
                };
                ui.colored_label(Color32::from_rgb(230, 150, 60), text);
                return;
            }
            if bias_mean != 0.0 {
                ui.small(tr!(tr, "chaos-bias-mean", mean = bias_mean));
            }
            let phase = match theory.phase {
                Some(Phase::Ordered) => tr!(tr, "chaos-phase-ordered"),
                Some(Phase::Critical) => tr!(tr, "chaos-phase-critical"),
                Some(Phase::Chaotic) => tr!(tr, "chaos-phase-chaotic"),
                Some(Phase::Exploding) => tr!(tr, "chaos-phase-exploding"),
                None => "-".to_string(),
            };
            // Values of the theory's symbols: formatted here, as formulas.
            ui.label(tr!(
                tr,
                "chaos-this-network",
                sigma_w2 = format!("{:.2}", theory.sigma_w2.unwrap_or(f64::NAN)),
                phase = phase,
                chi1 = format!("{:.3}", theory.chi1.unwrap_or(f64::NAN))
            ));
            match theory.xi_c {
                Some(xi) => ui.label(tr!(tr, "chaos-depth-scale", xi = format!("{xi:.1}"), depth = layers as f64 / xi, layers = layers)),
                None => ui.label(tr!(tr, "chaos-depth-scale-unbounded", layers = layers)),
            };
            ui.small(tr!(tr, "chaos-reference"));
        });
        self.open = open;
    }
}
