//! The image view (digits): inside the network, each first-layer neuron's
//! receptive field or each filter as a small image, the feature maps of the
//! chosen digit at every layer, deeper neurons as bars of their mean output
//! per class; beside it a grid of test digits with the network's guesses, a
//! confusion matrix, and a canvas to draw a digit on.

use bevy_egui::egui::{self, Color32, Painter, Rect, Sense, Stroke, Vec2, pos2, vec2};

use super::{Frame, Requests};
use crate::app::digits::{DigitSource, DigitsRequest, TEST_GRID};
use crate::app::palette;
use crate::data::InputPlane;
use crate::i18n::Localizer;
use crate::nn::{Layer, LayerKind};
use crate::run::digits::DigitReadings;
use crate::tr;

/// Ink on paper: 0 white, 1 black.
fn ink(value: f64) -> Color32 {
    let v = (255.0 * (1.0 - value.clamp(0.0, 1.0))) as u8;
    Color32::from_rgb(v, v, v)
}

/// Side of the texture the small images of a frame are packed into at
/// first: MNIST's network needs a quarter of it; a larger network's images
/// double it (up to [`LARGEST_ATLAS_SIDE`]).
const FIRST_ATLAS_SIDE: usize = 512;
const LARGEST_ATLAS_SIDE: usize = 4096;

/// The small images of a frame (digits, filters, maps) in sight, packed
/// into one texture in the order they are drawn and uploaded only when a
/// pixel changed: a rectangle per pixel cost a software renderer tens of
/// milliseconds a frame.
#[derive(Default)]
pub struct ImageAtlas {
    texture: Option<egui::TextureHandle>,
    side: usize,
    uploaded: Vec<Color32>,
    pixels: Vec<Color32>,
    /// Where the next image goes, and the tallest image of the current row.
    cursor: (usize, usize),
    row_height: usize,
    /// An image found no room this frame: the next frame's atlas is larger.
    full: bool,
    batches: Vec<Batch>,
}

/// The quads of the images drawn through one painter (one scroll area),
/// painted as one mesh in a slot kept where the first of them was drawn.
/// Drawn one by one, each image was its own draw call, since the captions
/// and outlines between them use another texture: two hundred a frame on
/// the MNIST preset.
struct Batch {
    painter: Painter,
    slot: egui::layers::ShapeIdx,
    mesh: egui::Mesh,
}

impl ImageAtlas {
    fn begin(&mut self, ctx: &egui::Context) {
        if self.side == 0 {
            self.side = FIRST_ATLAS_SIDE;
        } else if self.full && self.side < LARGEST_ATLAS_SIDE {
            self.side *= 2;
        }
        self.full = false;
        if self.texture.is_none() {
            let blank = egui::ColorImage::filled([self.side, self.side], Color32::TRANSPARENT);
            self.texture = Some(ctx.load_texture("digits-atlas", blank, egui::TextureOptions::NEAREST));
        }
        self.pixels.clear();
        self.pixels.resize(self.side * self.side, Color32::TRANSPARENT);
        self.cursor = (0, 0);
        self.row_height = 0;
    }

    /// Draws a `width x height` grid of values into `rect`, if it is in
    /// sight: the maps of a large network are mostly scrolled away, and
    /// colouring them was a good part of the view's time.
    fn paint(&mut self, painter: &Painter, rect: Rect, values: &[f64], width: usize, height: usize, colour: &impl Fn(f64) -> Color32) {
        if !painter.clip_rect().intersects(rect) || values.len() < width * height {
            return;
        }
        let side = self.side;
        if self.cursor.0 + width > side {
            self.cursor = (0, self.cursor.1 + self.row_height + 1);
            self.row_height = 0;
        }
        let (x0, y0) = self.cursor;
        if y0 + height > side || width > side {
            self.full = true;
            return;
        }
        for y in 0..height {
            for x in 0..width {
                self.pixels[(y0 + y) * side + x0 + x] = colour(values[y * width + x]);
            }
        }
        self.cursor.0 += width + 1;
        self.row_height = self.row_height.max(height);
        let scale = side as f32;
        let uv =
            Rect::from_min_max(pos2(x0 as f32 / scale, y0 as f32 / scale), pos2((x0 + width) as f32 / scale, (y0 + height) as f32 / scale));
        let Some(texture) = &self.texture else { return };
        let same_painter =
            |batch: &Batch| batch.painter.layer_id() == painter.layer_id() && batch.painter.clip_rect() == painter.clip_rect();
        let batch = match self.batches.iter().position(same_painter) {
            Some(index) => &mut self.batches[index],
            None => {
                let slot = painter.add(egui::Shape::Noop);
                self.batches.push(Batch { painter: painter.clone(), slot, mesh: egui::Mesh::with_texture(texture.id()) });
                self.batches.last_mut().expect("just pushed")
            }
        };
        batch.mesh.add_rect_with_uv(rect, uv, Color32::WHITE);
    }

    fn finish(&mut self) {
        for batch in self.batches.drain(..) {
            batch.painter.set(batch.slot, egui::Shape::mesh(batch.mesh));
        }
        if self.pixels != self.uploaded
            && let Some(texture) = self.texture.as_mut()
        {
            texture.set(egui::ColorImage::new([self.side, self.side], self.pixels.clone()), egui::TextureOptions::NEAREST);
            std::mem::swap(&mut self.uploaded, &mut self.pixels);
        }
    }
}

/// Diverging colours scaled to the largest magnitude in `values`.
fn signed(values: &[f64]) -> impl Fn(f64) -> Color32 {
    let scale = values.iter().filter(|v| v.is_finite()).fold(0.0f64, |m, v| m.max(v.abs())).max(1e-12) as f32;
    move |v| palette::diverging(v as f32, scale)
}

fn small_image(
    ui: &mut egui::Ui,
    atlas: &mut ImageAtlas,
    size: f32,
    values: &[f64],
    width: usize,
    height: usize,
    colour: impl Fn(f64) -> Color32,
) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(Vec2::splat(size), Sense::click());
    atlas.paint(ui.painter(), rect, values, width, height, &colour);
    ui.painter().rect_stroke(rect, 0.0, Stroke::new(0.5, Color32::GRAY), egui::StrokeKind::Outside);
    response
}

fn layer_title(tr: &Localizer, layer: &Layer, index: usize) -> String {
    match layer.kind {
        LayerKind::Conv(g) => tr!(
            tr,
            "digits-layer-conv",
            layer = index + 1,
            filters = g.out_channels,
            kernel = g.kernel,
            height = g.out_height(),
            width = g.out_width()
        ),
        LayerKind::MaxPool(g) => tr!(tr, "digits-layer-pool", layer = index + 1, height = g.out_height(), width = g.out_width()),
        LayerKind::Dense => tr!(tr, "digits-layer-dense", layer = index + 1, neurons = layer.outputs),
    }
}

/// A layer's channels as small maps (conv and pool outputs).
fn feature_maps(ui: &mut egui::Ui, tr: &Localizer, atlas: &mut ImageAtlas, values: &[f64], channels: usize, height: usize, width: usize) {
    ui.horizontal_wrapped(|ui| {
        let size = (width as f32 * 6.0).clamp(24.0, 48.0);
        for c in 0..channels {
            let map = &values[c * height * width..(c + 1) * height * width];
            small_image(ui, atlas, size, map, width, height, signed(map)).on_hover_text(tr!(tr, "digits-channel", channel = c + 1));
        }
    });
}

fn network_side(ui: &mut egui::Ui, atlas: &mut ImageAtlas, frame: &Frame, cache: &DigitReadings) {
    let tr = frame.tr;
    let network = frame.lab.network();
    let hidden = network.hidden_layers();
    for (index, layer) in network.layers.iter().enumerate().take(hidden) {
        ui.strong(layer_title(tr, layer, index));
        let activations = cache.activations.get(index).map(Vec::as_slice).unwrap_or(&[]);
        match layer.kind {
            LayerKind::Conv(g) => {
                ui.small(tr!(tr, "digits-filters"));
                let per_filter = g.weights_per_filter();
                let weights = network.weights(index);
                let (k, shown) = (g.kernel, g.in_channels.min(8));
                let tap = if k == 3 { 4.0 } else { 3.0 };
                ui.horizontal_wrapped(|ui| {
                    for (f, filter) in weights.chunks_exact(per_filter).enumerate() {
                        // One allocation per filter, so the row wraps.
                        let size = vec2(shown as f32 * (k as f32 * tap + 2.0), k as f32 * tap);
                        let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
                        let colour = signed(filter);
                        for c in 0..shown {
                            let taps = &filter[c * k * k..(c + 1) * k * k];
                            let min = rect.min + vec2(c as f32 * (k as f32 * tap + 2.0), 0.0);
                            atlas.paint(ui.painter(), Rect::from_min_size(min, Vec2::splat(k as f32 * tap)), taps, k, k, &colour);
                        }
                        response.on_hover_text(tr!(tr, "digits-filter", filter = f + 1, channels = g.in_channels));
                    }
                });
                ui.small(tr!(tr, "digits-filter-maps"));
                feature_maps(ui, tr, atlas, activations, g.out_channels, g.out_height(), g.out_width());
            }
            LayerKind::MaxPool(g) => feature_maps(ui, tr, atlas, activations, g.channels, g.out_height(), g.out_width()),
            LayerKind::Dense => {
                if let (0, InputPlane::Image { width, height }) = (index, &frame.lab.data.plane) {
                    ui.small(tr!(tr, "digits-receptive-fields"));
                    let weights = network.weights(0);
                    ui.horizontal_wrapped(|ui| {
                        for (unit, field) in weights.chunks_exact(width * height).enumerate().take(64) {
                            let active = activations.get(unit).copied().unwrap_or(0.0);
                            small_image(ui, atlas, 34.0, field, *width, *height, signed(field)).on_hover_text(tr!(
                                tr,
                                "digits-neuron-output",
                                neuron = unit + 1,
                                output = active
                            ));
                        }
                    });
                } else if let Some((_, means)) = cache.class_means.iter().find(|(k, _)| *k == index) {
                    ui.small(tr!(tr, "digits-class-means"));
                    class_bars(ui, tr, means);
                }
            }
        }
        ui.add_space(6.0);
    }
}

/// Per neuron, ten bars: its mean output for each class.
fn class_bars(ui: &mut egui::Ui, tr: &Localizer, means: &[Vec<f64>]) {
    let largest = means.iter().flatten().filter(|v| v.is_finite()).fold(0.0f64, |m, v| m.max(v.abs())).max(1e-12);
    ui.horizontal_wrapped(|ui| {
        for (unit, classes) in means.iter().enumerate().take(32) {
            let (rect, response) = ui.allocate_exact_size(vec2(64.0, 30.0), Sense::hover());
            let painter = ui.painter_at(rect);
            painter.rect_filled(rect, 0.0, Color32::from_gray(35));
            let bar = rect.width() / classes.len() as f32;
            for (class, &mean) in classes.iter().enumerate() {
                let height = (mean.abs() / largest) as f32 * (rect.height() - 2.0);
                let x = rect.left() + class as f32 * bar;
                let r = Rect::from_min_max(pos2(x + 0.5, rect.bottom() - height), pos2(x + bar - 0.5, rect.bottom()));
                painter.rect_filled(r, 0.0, if mean >= 0.0 { palette::POSITIVE } else { palette::NEGATIVE });
            }
            let best = classes.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(c, _)| c);
            response.on_hover_text(tr!(tr, "digits-strongest", neuron = unit + 1, digit = best));
        }
    });
}

fn test_side(
    ui: &mut egui::Ui,
    atlas: &mut ImageAtlas,
    frame: &Frame,
    cache: &DigitReadings,
    canvas: &mut Canvas,
    requests: &mut Requests,
) {
    let InputPlane::Image { width, height } = frame.lab.data.plane else { return };
    let pixels = width * height;
    let data = &frame.lab.data;
    let tr = frame.tr;
    ui.strong(tr!(tr, "digits-test-digits")).on_hover_text(tr!(tr, "digits-test-digits-tooltip"));
    let mut chosen = None;
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing = vec2(3.0, 3.0);
        for (index, probabilities) in cache.test_probabilities.iter().enumerate().take(TEST_GRID) {
            let image = data.test.inputs.rows(pixels, index..index + 1);
            let label = data.test.labels[index] as usize;
            let (guess, confidence) = probabilities.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or((0, 0.0), |(c, &p)| (c, p));
            // One allocation per digit (image and caption), so the grid wraps.
            let (cell, response) = ui.allocate_exact_size(vec2(32.0, 42.0), Sense::click());
            let picture = Rect::from_min_size(cell.min, Vec2::splat(32.0));
            atlas.paint(ui.painter(), picture, &image, width, height, &ink);
            let wrong = guess != label;
            let selected = frame.digits.source == DigitSource::Test(index);
            let border = match (selected, wrong) {
                (true, _) => Stroke::new(2.0, Color32::YELLOW),
                (false, true) => Stroke::new(2.0, Color32::from_rgb(230, 40, 40)),
                _ => Stroke::new(0.5, Color32::GRAY),
            };
            ui.painter().rect_stroke(picture, 0.0, border, egui::StrokeKind::Outside);
            let caption_colour = if wrong { Color32::from_rgb(230, 60, 60) } else { ui.visuals().text_color() };
            ui.painter().text(
                cell.center_bottom(),
                egui::Align2::CENTER_BOTTOM,
                tr!(tr, "digits-guess-caption", guess = guess, confidence = confidence),
                egui::FontId::proportional(9.0),
                caption_colour,
            );
            if response.on_hover_text(tr!(tr, "digits-guess-tooltip", label = label, guess = guess, confidence = confidence)).clicked() {
                chosen = Some(index);
            }
        }
    });
    if let Some(index) = chosen {
        requests.digits.push(DigitsRequest::Show(DigitSource::Test(index)));
    }
    ui.add_space(6.0);
    canvas.show(ui, atlas, frame, cache, requests);
    ui.add_space(6.0);
    confusion(ui, tr, &cache.confusion, cache.tally_step);
}

fn confusion(ui: &mut egui::Ui, tr: &Localizer, counts: &[Vec<u32>], step: Option<u64>) {
    let title = match step {
        Some(step) => tr!(tr, "digits-confusion", step = step),
        None => tr!(tr, "digits-confusion-counting"),
    };
    ui.strong(title).on_hover_text(tr!(tr, "digits-confusion-tooltip"));
    let cell = 17.0;
    let n = counts.len();
    let (rect, _) = ui.allocate_exact_size(vec2(cell * n as f32 + 14.0, cell * n as f32 + 14.0), Sense::hover());
    let painter = ui.painter_at(rect);
    let origin = rect.min + vec2(14.0, 14.0);
    for (t, row) in counts.iter().enumerate() {
        let total = row.iter().sum::<u32>().max(1) as f32;
        painter.text(
            origin + vec2(-3.0, (t as f32 + 0.5) * cell),
            egui::Align2::RIGHT_CENTER,
            t.to_string(),
            egui::FontId::proportional(9.0),
            ui.visuals().text_color(),
        );
        painter.text(
            origin + vec2((t as f32 + 0.5) * cell, -2.0),
            egui::Align2::CENTER_BOTTOM,
            t.to_string(),
            egui::FontId::proportional(9.0),
            ui.visuals().text_color(),
        );
        for (g, &count) in row.iter().enumerate() {
            let r = Rect::from_min_size(origin + vec2(g as f32 * cell, t as f32 * cell), vec2(cell - 1.0, cell - 1.0));
            painter.rect_filled(r, 0.0, palette::heat(count as f32 / total));
            if count > 0 {
                let colour = if count as f32 / total > 0.6 { Color32::BLACK } else { Color32::WHITE };
                painter.text(r.center(), egui::Align2::CENTER_CENTER, count.to_string(), egui::FontId::proportional(8.0), colour);
            }
        }
    }
}

/// The drawing canvas's pixels while the user draws (sent on as a request
/// whenever they change).
#[derive(Default)]
pub struct Canvas {
    pixels: Vec<f64>,
}

impl Canvas {
    /// A canvas of the images' size: drag to draw, right-drag to erase. The
    /// network's guess and every layer's response update as you draw.
    fn show(&mut self, ui: &mut egui::Ui, atlas: &mut ImageAtlas, frame: &Frame, cache: &DigitReadings, requests: &mut Requests) {
        let InputPlane::Image { width, height } = frame.lab.data.plane else { return };
        if self.pixels.len() != width * height {
            self.pixels = frame.digits.canvas.clone();
            self.pixels.resize(width * height, 0.0);
        }
        let tr = frame.tr;
        ui.strong(tr!(tr, "digits-draw"));
        let size = 160.0;
        let (rect, response) = ui.allocate_exact_size(vec2(size, size), Sense::click_and_drag());
        atlas.paint(ui.painter(), rect, &self.pixels, width, height, &ink);
        ui.painter().rect_stroke(rect, 0.0, Stroke::new(1.0, Color32::GRAY), egui::StrokeKind::Outside);
        if let Some(pointer) = response.interact_pointer_pos() {
            let (x, y) =
                (((pointer.x - rect.left()) / size * width as f32) as i64, ((pointer.y - rect.top()) / size * height as f32) as i64);
            let erase = ui.input(|i| i.pointer.secondary_down());
            // A soft brush: full ink at the cell, a little on its neighbours.
            for (dx, dy, amount) in [(0, 0, 0.5), (1, 0, 0.12), (-1, 0, 0.12), (0, 1, 0.12), (0, -1, 0.12)] {
                let (cx, cy) = (x + dx, y + dy);
                if (0..width as i64).contains(&cx) && (0..height as i64).contains(&cy) {
                    let pixel = &mut self.pixels[cy as usize * width + cx as usize];
                    *pixel = if erase { (*pixel - 2.0 * amount).max(0.0) } else { (*pixel + amount).min(1.0) };
                }
            }
            requests.digits.push(DigitsRequest::Draw(self.pixels.clone()));
        }
        ui.horizontal(|ui| {
            if ui.button(tr!(tr, "digits-clear")).clicked() {
                self.pixels.fill(0.0);
                requests.digits.push(DigitsRequest::Draw(self.pixels.clone()));
            }
            if frame.digits.source == DigitSource::Canvas {
                let (guess, confidence) =
                    cache.probabilities.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or((0, 0.0), |(c, &p)| (c, p));
                ui.heading(format!("{guess}"));
                ui.label(tr!(tr, "digits-sure", confidence = confidence));
            } else if ui.button(tr!(tr, "digits-show-canvas")).clicked() {
                requests.digits.push(DigitsRequest::Show(DigitSource::Canvas));
            }
        });
        if let Some(field) = &cache.preprocessed {
            ui.horizontal(|ui| {
                let side = 56.0;
                let (rect, _) = ui.allocate_exact_size(vec2(side, side), Sense::hover());
                atlas.paint(ui.painter(), rect, field, width, height, &ink);
                ui.painter().rect_stroke(rect, 0.0, Stroke::new(1.0, Color32::GRAY), egui::StrokeKind::Outside);
                ui.small(tr!(tr, "digits-preprocessed"));
            });
        }
        // The output: one bar per class.
        let (rect, _) = ui.allocate_exact_size(vec2(size, 40.0), Sense::hover());
        let bar = rect.width() / cache.probabilities.len().max(1) as f32;
        for (class, &probability) in cache.probabilities.iter().enumerate() {
            let x = rect.left() + class as f32 * bar;
            let top = rect.bottom() - 12.0 - probability as f32 * (rect.height() - 12.0);
            ui.painter().rect_filled(
                Rect::from_min_max(pos2(x + 1.0, top), pos2(x + bar - 1.0, rect.bottom() - 12.0)),
                0.0,
                palette::POSITIVE,
            );
            ui.painter().text(
                pos2(x + bar / 2.0, rect.bottom()),
                egui::Align2::CENTER_BOTTOM,
                class.to_string(),
                egui::FontId::proportional(9.0),
                ui.visuals().text_color(),
            );
        }
    }
}

/// The digits view's own state: the canvas being drawn on, and the texture
/// of its small images.
#[derive(Default)]
pub struct DigitsView {
    canvas: Canvas,
    atlas: ImageAtlas,
}

impl DigitsView {
    pub fn show(&mut self, ui: &mut egui::Ui, frame: &Frame, requests: &mut Requests) {
        let Some(cache) = frame.lab.digits.as_deref() else {
            ui.label(tr!(frame.tr, "digits-preparing"));
            return;
        };
        let source = match frame.digits.source {
            DigitSource::Test(index) => tr!(
                frame.tr,
                "digits-shown-test",
                index = index + 1,
                label = frame.lab.data.test.labels.get(index).map_or(0, |&l| l as usize)
            ),
            DigitSource::Canvas => tr!(frame.tr, "digits-shown-canvas"),
        };
        let atlas = &mut self.atlas;
        atlas.begin(ui.ctx());
        ui.columns(2, |columns| {
            egui::ScrollArea::vertical().id_salt("digits-network").show(&mut columns[0], |ui| {
                ui.small(source);
                network_side(ui, atlas, frame, cache);
            });
            egui::ScrollArea::vertical()
                .id_salt("digits-tests")
                .show(&mut columns[1], |ui| test_side(ui, atlas, frame, cache, &mut self.canvas, requests));
        });
        atlas.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_atlas_holds_only_images_in_sight_and_grows_when_they_do_not_fit() {
        let ctx = egui::Context::default();
        let painter = Painter::new(ctx.clone(), egui::LayerId::background(), Rect::from_min_size(pos2(0.0, 0.0), vec2(100.0, 100.0)));
        let (inside, outside) =
            (Rect::from_min_size(pos2(5.0, 5.0), vec2(30.0, 30.0)), Rect::from_min_size(pos2(400.0, 0.0), vec2(30.0, 30.0)));
        let image = vec![1.0; 300 * 300];
        let mut atlas = ImageAtlas::default();

        atlas.begin(&ctx);
        atlas.paint(&painter, outside, &image, 300, 300, &ink);
        assert_eq!(atlas.cursor, (0, 0), "an image out of sight takes no room");
        // Two rows of 300 do not fit in 512.
        for _ in 0..3 {
            atlas.paint(&painter, inside, &image, 300, 300, &ink);
        }
        assert!(atlas.full);
        atlas.finish();
        assert_eq!(atlas.uploaded.len(), FIRST_ATLAS_SIDE * FIRST_ATLAS_SIDE);

        atlas.begin(&ctx);
        for _ in 0..3 {
            atlas.paint(&painter, inside, &image, 300, 300, &ink);
        }
        assert!(!atlas.full, "three fit in a row of the larger atlas");
        atlas.finish();
        let side = 2 * FIRST_ATLAS_SIDE;
        assert_eq!(atlas.uploaded.len(), side * side);
        let inked = atlas.uploaded.iter().filter(|&&c| c == ink(1.0)).count();
        assert_eq!(inked, 3 * 300 * 300, "each image in sight, once");
    }
}
