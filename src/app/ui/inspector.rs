//! The neuron inspector: a clicked neuron's map at full size, the histogram
//! of its activation over the probe batch, and its incoming weights.

use bevy_egui::egui::{self, Color32, Vec2};
use egui_plot::{Bar, BarChart, Plot};

use super::Frame;
use super::charts::draw_histogram;
use crate::app::palette;
use crate::app::pictures::MAX_DRAWN_UNITS;

/// Which neuron is being inspected: (layer from 0, unit).
#[derive(Default)]
pub struct Inspector {
    pub target: Option<(usize, usize)>,
}

impl Inspector {
    pub fn show(&mut self, ctx: &egui::Context, frame: &Frame) {
        let Some((layer, unit)) = self.target else { return };
        let lab = frame.lab;
        let network = lab.network();
        // The network may have been rebuilt smaller since the click.
        if layer >= network.layers.len() || unit >= network.layers[layer].outputs {
            self.target = None;
            return;
        }
        let is_output = layer + 1 == network.layers.len();
        let title = if is_output { format!("Output {}", unit + 1) } else { format!("Layer {} neuron {}", layer + 1, unit + 1) };
        let mut open = true;
        egui::Window::new(title).id(egui::Id::new("inspector")).open(&mut open).default_width(320.0).show(ctx, |ui| {
            if let Some(atlas) = &frame.pictures.atlas {
                let (rect, _) = ui.allocate_exact_size(Vec2::splat(256.0), egui::Sense::hover());
                ui.painter().image(atlas.id(), rect, frame.pictures.layout.uv(layer + 1, unit.min(MAX_DRAWN_UNITS - 1)), Color32::WHITE);
                if unit >= MAX_DRAWN_UNITS {
                    ui.small(format!("(only the first {MAX_DRAWN_UNITS} neurons of a layer have pictures)"));
                }
            }
            if let Some(detail) = lab.parts.detail.get(layer) {
                ui.label(format!(
                    "mean {:.4}   std {:.4}   incoming gradient norm {:.3e}",
                    detail.unit_mean[unit], detail.unit_std[unit], detail.unit_grad_norm[unit]
                ));
                if let Some(histogram) = detail.unit_activations.get(unit) {
                    ui.strong("Activation over the probe batch");
                    draw_histogram(ui, "inspector-activation", histogram);
                }
            }
            ui.strong("Incoming weights");
            let inputs = network.layers[layer].inputs;
            let weights = &network.weights(layer)[unit * inputs..(unit + 1) * inputs];
            let names: Vec<String> = if layer == 0 { lab.data.input_names() } else { (1..=inputs).map(|i| format!("{i}")).collect() };
            let bars: Vec<Bar> = weights
                .iter()
                .enumerate()
                .map(|(i, &w)| Bar::new(i as f64, w).width(0.8).fill(palette::diverging(w as f32, 1e-9)).name(&names[i]))
                .collect();
            Plot::new("inspector-weights").height(110.0).allow_scroll(false).show(ui, |plot| plot.bar_chart(BarChart::new("weight", bars)));
            ui.small(format!("bias {:.4}", network.bias(layer)[unit]));
        });
        if !open {
            self.target = None;
        }
    }
}
