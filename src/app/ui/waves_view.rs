//! The waves view (modular addition, in the centre in place of the
//! network): what the network learns underneath its accuracy.
//! Each hidden neuron's incoming weights drawn as a curve over the residues
//! 0..p-1 (from a, and from b), coloured by its dominant frequency: noise
//! at first, a wave once the neuron has found its frequency. Beside them,
//! the spectrum over time (frequency by step, brightness = share of the
//! power) and the median single-frequency share, which rises while the
//! test accuracy still says nothing.

use std::sync::Arc;

use bevy_egui::egui::{self, Color32, Pos2, Rect, Sense, pos2, vec2};

use super::charts::chart;
use super::traces::{Trace, legend, tolerance};
use super::{Frame, raster};
use crate::analysis::fourier::NeuronSpectrum;
use crate::app::palette;
use crate::data::InputPlane;
use crate::nn::Network;
use crate::run::cadence::Cadence;
use crate::run::session::ProbeParts;
use crate::tr;

/// At most this many neurons' curves are drawn.
const SHOWN_NEURONS: usize = 48;

#[derive(Default)]
pub struct WavesView {
    sort_by_frequency: bool,
    history_texture: Option<egui::TextureHandle>,
    history_drawn: Option<(u64, usize)>,
    curves: CurvesTexture,
}

/// The curves of the neurons in sight, drawn on the CPU into one texture:
/// as egui lines, the 35 or so tiles in sight were 16,000 triangles a frame
/// for the window to lay out, upload and rasterise, paused or not.
#[derive(Default)]
struct CurvesTexture {
    texture: Option<egui::TextureHandle>,
    drawn: Option<CurvesKey>,
    refresh: Option<Cadence>,
}

/// What a drawing of the curves depends on: the snapshot's network and
/// probes, held (not only their addresses, so a new one is never taken for
/// the old), and how they are shown.
struct CurvesKey {
    network: Arc<Network>,
    parts: Arc<ProbeParts>,
    view: CurvesView,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct CurvesView {
    sort_by_frequency: bool,
    origin: [i32; 2],
    pixels: [u32; 2],
    pixels_per_point: u32,
}

impl PartialEq for CurvesKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.network, &other.network) && Arc::ptr_eq(&self.parts, &other.parts) && self.view == other.view
    }
}

/// New weights are drawn at most this often while training, and less often
/// when drawing them takes long (an eighth of the time at most).
const REDRAW: Cadence = Cadence::new(web_time::Duration::from_millis(80), 8);

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
            self.curves(ui, frame, modulus);
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

    fn curves(&mut self, ui: &mut egui::Ui, frame: &Frame, modulus: usize) {
        let tr = frame.tr;
        let (network, parts) = (&frame.lab.networks[0], &frame.lab.parts);
        let frequencies = modulus / 2;
        let mut order: Vec<&NeuronSpectrum> = parts.spectra.iter().collect();
        if self.sort_by_frequency {
            order.sort_by_key(|n| (n.frequency.unwrap_or(usize::MAX), n.unit));
        }
        let inputs = network.layers[0].inputs;
        let weights = |n: &NeuronSpectrum| -> (&[f64], &[f64]) {
            let row = &network.weights(0)[n.unit * inputs..(n.unit + 1) * inputs];
            (&row[..modulus], &row[modulus..2 * modulus])
        };
        let mut in_sight: Vec<(Rect, &NeuronSpectrum)> = Vec::new();
        ui.horizontal_wrapped(|ui| {
            // Tiles have no background: the space between them groups a
            // tile's two curves.
            ui.spacing_mut().item_spacing = vec2(10.0, 12.0);
            for neuron in order.into_iter().take(SHOWN_NEURONS) {
                let (rect, response) = ui.allocate_exact_size(vec2(88.0, 48.0), Sense::hover());
                if !ui.is_rect_visible(rect) {
                    continue;
                }
                in_sight.push((rect, neuron));
                let text = match neuron.frequency {
                    Some(k) => tr!(tr, "waves-neuron-wave", neuron = neuron.unit + 1, frequency = k, share = neuron.share),
                    None => tr!(tr, "waves-neuron-no-wave", neuron = neuron.unit + 1),
                };
                response.on_hover_text(text);
            }
        });
        let Some(drawing) = in_sight.iter().map(|(rect, _)| *rect).reduce(Rect::union) else { return };
        let drawing = drawing.expand(1.0).intersect(ui.clip_rect());
        let drawing = Rect::from_min_max(drawing.min.floor(), drawing.max.ceil());
        let ppp = ui.ctx().pixels_per_point();
        let key = CurvesKey {
            network: Arc::clone(network),
            parts: Arc::clone(parts),
            view: CurvesView {
                sort_by_frequency: self.sort_by_frequency,
                origin: [drawing.min.x as i32, drawing.min.y as i32],
                pixels: [(drawing.width() * ppp).round() as u32, (drawing.height() * ppp).round() as u32],
                pixels_per_point: ppp.to_bits(),
            },
        };
        let curves = &mut self.curves;
        let stale = curves.drawn.as_ref() != Some(&key);
        // New weights while training wait their turn; a scroll, a resize
        // or the order are drawn at once.
        let only_weights_changed = curves.drawn.as_ref().is_some_and(|drawn| drawn.view == key.view);
        let started = web_time::Instant::now();
        if stale
            && (!only_weights_changed || curves.refresh.get_or_insert(REDRAW).due(started))
            && let Some(mut canvas) = tiny_skia::Pixmap::new(key.view.pixels[0].max(1), key.view.pixels[1].max(1))
        {
            let to_pixels = |p: Pos2| pos2((p.x - drawing.min.x) * ppp, (p.y - drawing.min.y) * ppp);
            for (rect, neuron) in &in_sight {
                let colour = frequency_colour(neuron.frequency, frequencies);
                let (from_a, from_b) = weights(neuron);
                let scale = from_a.iter().chain(from_b).fold(0.0f64, |m, v| m.max(v.abs())).max(1e-12);
                // From a in the top half, from b in the bottom one: two
                // noisy curves are hard to tell apart on top of each
                // other.
                let (top, bottom) = rect.split_top_bottom_at_fraction(0.5);
                let middle = rect.center().y;
                raster::stroke_line(
                    &mut canvas,
                    to_pixels(pos2(rect.left(), middle)),
                    to_pixels(pos2(rect.right(), middle)),
                    ppp,
                    Color32::from_gray(45),
                );
                for (band, values) in [(top, from_a), (bottom, from_b)] {
                    // A diverged network's weights have no curve to draw.
                    if values.iter().any(|v| !v.is_finite()) {
                        continue;
                    }
                    let point = |index: usize, value: f64| -> Pos2 {
                        let x = band.left() + 2.0 + (band.width() - 4.0) * index as f32 / (modulus - 1).max(1) as f32;
                        let y = band.center().y - (band.height() / 2.0 - 2.0) * (value / scale) as f32;
                        to_pixels(pos2(x, y))
                    };
                    raster::stroke_polyline(&mut canvas, values.iter().enumerate().map(|(i, &v)| point(i, v)), 0.9 * ppp, colour);
                }
            }
            raster::show_in(ui.ctx(), &mut curves.texture, "neuron-curves", &canvas);
            curves.drawn = Some(key);
            curves.refresh.get_or_insert(REDRAW).done(started);
        }
        if let Some(texture) = &curves.texture {
            ui.painter().image(texture.id(), drawing, Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)), Color32::WHITE);
        }
        if parts.spectra.len() > SHOWN_NEURONS {
            ui.small(tr!(tr, "waves-first-neurons", shown = SHOWN_NEURONS, total = parts.spectra.len()));
        }
    }
}
