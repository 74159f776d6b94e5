//! The edge of chaos (Poole et al. 2016, Schoenholz et al. 2017): the plane
//! of weight variance sigma_w^2 and bias variance sigma_b^2 for the current
//! activation, split by the line chi_1 = 1 into the ordered region (signals
//! forget their input, gradients vanish) and the chaotic one (nearby inputs
//! fly apart, gradients explode), with the current network as a point that
//! moves with the initialisation, gain and bias sliders, and its depth
//! against the depth scale xi_c over which signals survive.

use bevy_egui::egui::{self, Color32, Stroke};
use egui_plot::{Legend, Line, Plot, PlotPoints, Points, Polygon};

use super::Frame;
use crate::analysis::theory::{EdgePoint, edge_of_chaos};
use crate::nn::Activation;

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
        egui::Window::new("Edge of chaos").open(&mut open).default_width(460.0).show(ctx, |ui| {
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
            ui.label(format!(
                "{} layers: left of the line signals fade with depth (ordered), right of it they scatter (chaotic). Networks train best near the line.",
                activation.name()
            ));
            Plot::new("edge-of-chaos")
                .height(240.0)
                .legend(Legend::default())
                .allow_scroll(false)
                .allow_drag(false)
                .include_x(0.0)
                .include_x(SIGMA_W2_MAX)
                .include_y(0.0)
                .include_y(SIGMA_B2_MAX)
                .x_axis_label("sigma_w² (weight variance x fan-in)")
                .y_axis_label("sigma_b² (bias variance)")
                .show(ui, |plot| {
                    if line.len() > 1 {
                        // egui_plot fills polygons as convex shapes: the
                        // ordered side (above the convex line) is convex,
                        // the chaotic side is filled in strips under it.
                        let (blue, red) = (Color32::from_rgb(60, 120, 255), Color32::from_rgb(255, 90, 60));
                        let region = |name: &str, points: Vec<[f64; 2]>, colour: Color32| {
                            Polygon::new(name, PlotPoints::from(points)).stroke(Stroke::new(0.0, colour)).fill_color(colour.gamma_multiply(0.2))
                        };
                        let last = *line.last().expect("two points or more");
                        let mut ordered = vec![[0.0, 0.0]];
                        ordered.extend(line.iter().copied());
                        if last[1] < SIGMA_B2_MAX {
                            ordered.push([last[0], SIGMA_B2_MAX]);
                        }
                        ordered.push([0.0, SIGMA_B2_MAX]);
                        plot.polygon(region("ordered", ordered, blue));
                        for pair in line.windows(2) {
                            let strip = vec![[pair[0][0], 0.0], pair[0], pair[1], [pair[1][0], 0.0]];
                            plot.polygon(region("chaotic", strip, red));
                        }
                        if last[0] < SIGMA_W2_MAX {
                            let rest = vec![[last[0], 0.0], [last[0], SIGMA_B2_MAX], [SIGMA_W2_MAX, SIGMA_B2_MAX], [SIGMA_W2_MAX, 0.0]];
                            plot.polygon(region("chaotic", rest, red));
                        }
                        plot.line(Line::new("chi1 = 1", PlotPoints::from(line.clone())).color(Color32::WHITE).width(2.0));
                    }
                    if let Some(sigma_w2) = theory.sigma_w2 {
                        plot.points(
                            Points::new("this network", vec![[sigma_w2.min(SIGMA_W2_MAX), theory.bias_variance.min(SIGMA_B2_MAX)]])
                                .radius(6.0)
                                .color(Color32::YELLOW),
                        );
                    }
                });
            if !theory.applies {
                ui.colored_label(
                    Color32::from_rgb(230, 150, 60),
                    format!("The theory does not describe this network: {}", theory.reason.as_deref().unwrap_or("see the README")),
                );
                return;
            }
            if bias_mean != 0.0 {
                ui.small(format!("Every bias starts at {bias_mean}: the line is for that mean (the plane's sigma_b² is the variance around it)."));
            }
            let phase = theory.phase.map_or("-".to_string(), |p| format!("{p:?}").to_lowercase());
            ui.label(format!("This network: sigma_w² = {:.2}, {phase}, chi1 = {:.3}", theory.sigma_w2.unwrap_or(f64::NAN), theory.chi1.unwrap_or(f64::NAN)));
            match theory.xi_c {
                Some(xi) => ui.label(format!("Depth scale xi_c = {xi:.1} layers: this network is {:.1} depth scales deep ({layers} layers).", layers as f64 / xi)),
                None => ui.label(format!("Depth scale: unbounded (critical): signals survive any depth; {layers} layers.")),
            };
            ui.small("Schoenholz et al. (2017): a network trains when its depth is within a few depth scales.");
        });
        self.open = open;
    }
}
