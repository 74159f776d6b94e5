//! The neuron inspector: a clicked neuron's map at full size, the histogram
//! of its activation over the probe batch, and its incoming weights.

use bevy_egui::egui::{self, Color32, Vec2};
use egui_plot::{Bar, BarChart};

use super::Frame;
use super::charts::{chart, draw_histogram};
use crate::app::palette;
use crate::app::pictures::MAX_DRAWN_UNITS;
use crate::tr;

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
        let tr = frame.tr;
        let title = if is_output {
            tr!(tr, "inspector-title-output", unit = unit + 1)
        } else {
            tr!(tr, "inspector-title-neuron", layer = layer + 1, unit = unit + 1)
        };
        let mut open = true;
        egui::Window::new(title).id(egui::Id::new("inspector")).open(&mut open).default_width(320.0).show(ctx, |ui| {
            if let Some(atlas) = &frame.pictures.atlas {
                let (rect, _) = ui.allocate_exact_size(Vec2::splat(256.0), egui::Sense::hover());
                ui.painter().image(atlas.id(), rect, frame.pictures.layout.uv(layer + 1, unit.min(MAX_DRAWN_UNITS - 1)), Color32::WHITE);
                if unit >= MAX_DRAWN_UNITS {
                    ui.small(tr!(tr, "inspector-pictures-limit", count = MAX_DRAWN_UNITS));
                }
            }
            if let Some(detail) = lab.parts.detail.get(layer) {
                // A status line of numbers: formatted here (the norm in
                // scientific notation, which NUMBER() cannot write).
                ui.label(tr!(
                    tr,
                    "inspector-statistics",
                    mean = format!("{:.4}", detail.unit_mean[unit]),
                    std = format!("{:.4}", detail.unit_std[unit]),
                    gradient = format!("{:.3e}", detail.unit_grad_norm[unit])
                ));
                if let Some(histogram) = detail.unit_activations.get(unit) {
                    ui.strong(tr!(tr, "inspector-activation-heading"));
                    draw_histogram(ui, tr, "inspector-activation", histogram);
                }
            }
            ui.strong(tr!(tr, "inspector-weights-heading"));
            let inputs = network.layers[layer].inputs;
            let weights = &network.weights(layer)[unit * inputs..(unit + 1) * inputs];
            let names: Vec<String> = if layer == 0 { lab.data.input_names() } else { (1..=inputs).map(|i| format!("{i}")).collect() };
            let bars: Vec<Bar> = weights
                .iter()
                .enumerate()
                .map(|(i, &w)| Bar::new(i as f64, w).width(0.8).fill(palette::diverging(w as f32, 1e-9)).name(&names[i]))
                .collect();
            let series = tr!(tr, "inspector-weight-series");
            chart("inspector-weights").height(110.0).show(ui, |plot| plot.bar_chart(BarChart::new(series, bars)));
            ui.small(tr!(tr, "inspector-bias", bias = network.bias(layer)[unit]));
        });
        if !open {
            self.target = None;
        }
    }
}
