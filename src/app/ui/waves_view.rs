//! The waves view (modular addition, in the centre in place of the
//! network): what the network learns underneath its accuracy.
//! Each hidden neuron's incoming weights drawn as a curve over the residues
//! 0..p-1 (from a, and from b), coloured by its dominant frequency: noise
//! at first, a wave once the neuron has found its frequency. Beside them,
//! the spectrum over time (frequency by step, brightness = share of the
//! power) and the median single-frequency share, which rises while the
//! test accuracy still says nothing.

use bevy_egui::egui::{self, Color32, Pos2, Rect, Sense, Shape, Stroke, pos2, vec2};

use super::Frame;
use super::charts::chart;
use super::traces::{Trace, legend, tolerance};
use crate::analysis::fourier::NeuronSpectrum;
use crate::app::palette;
use crate::data::InputPlane;
use crate::i18n::Localizer;
use crate::tr;

/// At most this many neurons' curves are drawn.
const SHOWN_NEURONS: usize = 48;

#[derive(Default)]
pub struct WavesView {
    sort_by_frequency: bool,
    history_texture: Option<egui::TextureHandle>,
    history_drawn: Option<(u64, usize)>,
}

/// A colour per frequency, spread around the hue circle.
fn frequency_colour(frequency: Option<usize>, frequencies: usize) -> Color32 {
    match frequency {
        None => Color32::GRAY,
        Some(k) => {
            let hue = (k - 1) as f32 / frequencies.max(1) as f32;
            egui::ecolor::Hsva::new(hue, 0.75, 0.95, 1.0).into()
        }
    }
}

impl WavesView {
    pub fn show(&mut self, ui: &mut egui::Ui, frame: &Frame) {
        let InputPlane::Pairs { modulus } = frame.lab.data.plane else { return };
        let tr = frame.tr;
        ui.heading(tr!(tr, "waves-view-title"));
        egui::ScrollArea::vertical().id_salt("waves-view").auto_shrink(false).show(ui, |ui| {
            if frame.lab.parts.spectra.is_empty() {
                ui.label(tr!(tr, "waves-not-applicable"));
                return;
            }
            self.progress_chart(ui, frame);
            self.spectrum_history(ui, frame, modulus);
            ui.horizontal(|ui| {
                ui.strong(tr!(tr, "waves-curves-heading"));
                ui.checkbox(&mut self.sort_by_frequency, tr!(tr, "waves-sort-by-frequency"));
            });
            ui.small(tr!(tr, "waves-curves-legend"));
            self.curves(ui, tr, frame.lab.network(), &frame.lab.parts.spectra, modulus);
        });
    }

    /// The median share and the test accuracy over the steps.
    fn progress_chart(&self, ui: &mut egui::Ui, frame: &Frame) {
        let records = &frame.lab.parts.fourier;
        let history = frame.lab.parts.history.records();
        let tr = frame.tr;
        ui.strong(tr!(tr, "waves-progress-heading")).on_hover_text(tr!(tr, "waves-progress-tooltip"));
        let (share_name, test_name) = (tr!(tr, "waves-series-median-share"), tr!(tr, "waves-series-test-accuracy"));
        let share = Trace::new(records.iter().filter(|r| r.median_share.is_finite()).map(|r| [r.step as f64, r.median_share]).collect());
        let test = Trace::new(history.iter().filter_map(|r| r.test_acc.filter(|a| a.is_finite()).map(|a| [r.step as f64, a])).collect());
        const HEIGHT: f32 = 120.0;
        let tolerance = tolerance([&share, &test], HEIGHT);
        chart("waves-progress").height(HEIGHT).legend(legend()).include_y(0.0).include_y(1.0).show(ui, |plot| {
            share.draw(plot, share_name, Color32::from_rgb(80, 200, 255), tolerance, |line| line.width(2.0));
            test.draw(plot, test_name, Color32::from_rgb(230, 120, 20), tolerance, |line| line);
        });
    }

    /// Share (1 at the top) by probe (across), brightness the fraction of
    /// neurons whose single-frequency share is in that tenth: noise sits at
    /// the bottom, waves at the top. (The power per frequency, summed over
    /// neurons, stays spread over every frequency in this network, so it
    /// shows no order: each neuron picks its own.)
    fn spectrum_history(&mut self, ui: &mut egui::Ui, frame: &Frame, _modulus: usize) {
        let records = &frame.lab.parts.fourier;
        let Some(last) = records.last() else { return };
        let bins = last.share_histogram.len();
        let key = (frame.lab.generation, records.len());
        if self.history_drawn != Some(key) || self.history_texture.is_none() {
            let columns = records.len().max(1);
            let mut pixels = vec![Color32::BLACK; columns * bins];
            for (column, record) in records.iter().enumerate() {
                let neurons = record.share_histogram.iter().sum::<usize>().max(1) as f32;
                for (bin, &count) in record.share_histogram.iter().enumerate() {
                    let row = bins - 1 - bin;
                    pixels[row * columns + column] = palette::heat((count as f32 / neurons * 2.0).min(1.0));
                }
            }
            let image = egui::ColorImage::new([columns, bins], pixels);
            match &mut self.history_texture {
                Some(texture) => texture.set(image, egui::TextureOptions::NEAREST),
                None => self.history_texture = Some(ui.ctx().load_texture("share-history", image, egui::TextureOptions::NEAREST)),
            }
            self.history_drawn = Some(key);
        }
        let tr = frame.tr;
        ui.strong(tr!(tr, "waves-history-heading")).on_hover_text(tr!(tr, "waves-history-tooltip"));
        let (rect, _) = ui.allocate_exact_size(vec2(ui.available_width().min(580.0), 90.0), Sense::hover());
        if let Some(texture) = &self.history_texture {
            ui.painter().image(texture.id(), rect, Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)), Color32::WHITE);
        }
        ui.small(tr!(
            tr,
            "waves-history-caption",
            first = records[0].step,
            last = last.step,
            used = last.distinct_concentrated_frequencies,
            total = last.power_shares.len()
        ));
    }

    fn curves(&self, ui: &mut egui::Ui, tr: &Localizer, network: &crate::nn::Network, spectra: &[NeuronSpectrum], modulus: usize) {
        let frequencies = modulus / 2;
        let mut order: Vec<&NeuronSpectrum> = spectra.iter().collect();
        if self.sort_by_frequency {
            order.sort_by_key(|n| (n.frequency.unwrap_or(usize::MAX), n.unit));
        }
        let inputs = network.layers[0].inputs;
        let weights = |n: &NeuronSpectrum| -> (&[f64], &[f64]) {
            let row = &network.weights(0)[n.unit * inputs..(n.unit + 1) * inputs];
            (&row[..modulus], &row[modulus..2 * modulus])
        };
        ui.horizontal_wrapped(|ui| {
            // Tiles have no background: the space between them groups a
            // tile's two curves.
            ui.spacing_mut().item_spacing = vec2(10.0, 12.0);
            for neuron in order.into_iter().take(SHOWN_NEURONS) {
                let (rect, response) = ui.allocate_exact_size(vec2(88.0, 48.0), Sense::hover());
                // Scrolled out of sight: egui would still tessellate it.
                if !ui.is_rect_visible(rect) {
                    continue;
                }
                // Not clipped to the tile (the curves stay inside it), so
                // every tile is one draw call with the next.
                let painter = ui.painter();
                let colour = frequency_colour(neuron.frequency, frequencies);
                let (from_a, from_b) = weights(neuron);
                let scale = from_a.iter().chain(from_b).fold(0.0f64, |m, v| m.max(v.abs())).max(1e-12);
                // From a in the top half, from b in the bottom one: two
                // noisy curves are hard to tell apart on top of each other,
                // and a dashed one cost ten times the triangles of a solid
                // one (a software renderer's frame is bound by them).
                let (top, bottom) = rect.split_top_bottom_at_fraction(0.5);
                painter.hline(rect.x_range(), rect.center().y, Stroke::new(1.0, Color32::from_gray(45)));
                for (band, values) in [(top, from_a), (bottom, from_b)] {
                    // A diverged network's weights have no curve to draw.
                    if values.iter().any(|v| !v.is_finite()) {
                        continue;
                    }
                    let point = |index: usize, value: f64| -> Pos2 {
                        let x = band.left() + 2.0 + (band.width() - 4.0) * index as f32 / (modulus - 1).max(1) as f32;
                        let y = band.center().y - (band.height() / 2.0 - 2.0) * (value / scale) as f32;
                        pos2(x, y)
                    };
                    let line: Vec<Pos2> = values.iter().enumerate().map(|(i, &v)| point(i, v)).collect();
                    // Under a pixel wide: egui draws it as a ridge of 4 triangles a
                    // segment instead of a band of 6 with caps, for the same look.
                    painter.add(Shape::line(line, Stroke::new(0.9, colour)));
                }
                let text = match neuron.frequency {
                    Some(k) => tr!(tr, "waves-neuron-wave", neuron = neuron.unit + 1, frequency = k, share = neuron.share),
                    None => tr!(tr, "waves-neuron-no-wave", neuron = neuron.unit + 1),
                };
                response.on_hover_text(text);
            }
        });
        if spectra.len() > SHOWN_NEURONS {
            ui.small(tr!(tr, "waves-first-neurons", shown = SHOWN_NEURONS, total = spectra.len()));
        }
    }
}
