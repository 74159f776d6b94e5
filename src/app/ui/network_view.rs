//! The network, left to right: input features, hidden layers, output units,
//! and the output's decision picture with the data on it. Each neuron is a
//! square tile of its map; each weight a line coloured by sign (or by
//! gradient) with thickness by magnitude. Tiles never shrink below a
//! readable size: a deep or wide network scrolls instead.

use bevy_egui::egui::{self, Color32, Pos2, Rect, Sense, Stroke, Vec2, pos2, vec2};

use super::raster::{draw_part, fill_circle, pixmap_of, stroke_line, stroke_rect};
use super::{Frame, Requests, raster};
use crate::app::palette;
use crate::app::pictures::{MAX_DRAWN_UNITS, PictureSettings};
use crate::app::step_through::{StepThroughRequest, nearest_point};
use crate::config::{Config, Limits};
use crate::data::{Feature, INPUT_HALF_WIDTH, InputPlane};
use crate::explain::text::{edge_summary, neuron_formula, num};
use crate::explain::{Explanation, Stage};
use crate::i18n::Localizer;
use crate::nn::{Activation, TaskKind};
use crate::run::cadence::Cadence;
use crate::run::session::PointChoice;
use crate::tr;

const HEADER_HEIGHT: f32 = 58.0;
/// The most terms a neuron's tooltip writes out: a wider sum (modular
/// addition's one-hot inputs) would fill the screen and say nothing.
const FORMULA_TERMS: usize = 16;
/// How near (in points) the pointer must be to a line to hover it.
const EDGE_HOVER_DISTANCE: f32 = 4.0;
/// Tiles stay at least this big (a scroll bar appears instead) and at most
/// this big.
const TILE_RANGE: (f32, f32) = (22.0, 72.0);
const TILE_PITCH: f32 = 1.25;

/// How edges between neurons are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EdgeColouring {
    /// Colour is the weight's sign, thickness its magnitude.
    #[default]
    Weight,
    /// Brightness is the magnitude of the loss gradient through the weight:
    /// where gradient flows and where it dies.
    Gradient,
}

/// The network view's own settings, and its drawing.
#[derive(Default)]
pub struct NetworkView {
    edges: EdgeColouring,
    show_test_points: bool,
    diagram: Diagram,
}

/// The tiles, edges and output picture drawn on the CPU into one texture,
/// redrawn only when the pictures, the layout or the view settings change:
/// a software renderer then draws one quad instead of thousands of thin
/// triangles each frame.
#[derive(Default)]
struct Diagram {
    texture: Option<egui::TextureHandle>,
    drawn: Option<DiagramKey>,
    /// While training, new pictures are drawn at most this often: a deep
    /// network's lines took the drawing thread a quarter of its time.
    refresh: Option<Cadence>,
}

/// New pictures are drawn at most this often, and less often when drawing
/// them takes long (a sixteenth of the time at most: a 20-layer network's
/// 5,000 lines take over 10 ms, and at an eighth they cost a 2-CPU
/// machine's window a tenth of its frame while training).
const REDRAW: Cadence = Cadence::new(web_time::Duration::from_millis(80), 16);

/// What a drawing of the diagram depends on.
#[derive(Debug, Clone, PartialEq)]
struct DiagramKey {
    pictures: u64,
    generation: u64,
    pixels: [usize; 2],
    origin: [i32; 2],
    pixels_per_point: u32,
    edges: EdgeColouring,
    test_points: bool,
    inputs_on: Vec<usize>,
    /// The step-through stage whose lines are drawn, and which
    /// explanation's (by address: a new one is a new step or point).
    emphasis: Option<(usize, Stage)>,
}

/// Where everything sits this frame.
struct Geometry {
    tile: f32,
    /// Left edge of each tile column: inputs, hidden layers, output units.
    column_left: Vec<f32>,
    top: f32,
    height: f32,
    output_rect: Rect,
}

impl Geometry {
    fn tile_rect(&self, column: usize, row: usize, rows: usize) -> Rect {
        let pitch = self.tile * TILE_PITCH;
        let first = self.top + (self.height - rows as f32 * pitch).max(0.0) / 2.0;
        Rect::from_min_size(pos2(self.column_left[column], first + row as f32 * pitch), Vec2::splat(self.tile))
    }

    fn pitch(&self) -> f32 {
        if self.column_left.len() > 1 { self.column_left[1] - self.column_left[0] } else { 100.0 }
    }
}

/// The size the network needs to draw its tiles at least `TILE_RANGE.0`
/// big, and where it all goes within `area` (which may then be larger than
/// the visible part: the view scrolls).
fn geometry(visible: Rect, columns: usize, rows: usize) -> (Vec2, Geometry) {
    // The columns need at least this much room; the output picture gives
    // up some of its size before the view has to scroll.
    let needed = columns as f32 * TILE_RANGE.0 * 1.5;
    let output_size = (visible.height() * 0.55).min(visible.width() * 0.32).min(visible.width() - needed - 30.0).clamp(110.0, 360.0);
    let height = (visible.height() - HEADER_HEIGHT - 40.0).max(rows as f32 * TILE_RANGE.0 * TILE_PITCH);
    let spare_width = (visible.width() - output_size - 30.0).max(needed);
    let column_pitch = spare_width / columns as f32;
    let tile = (column_pitch * 0.6).min(height / (rows as f32 * TILE_PITCH)).clamp(TILE_RANGE.0, TILE_RANGE.1);
    let size = vec2(spare_width + output_size + 30.0, height + HEADER_HEIGHT + 40.0);
    let area = Rect::from_min_size(visible.min, size);
    let top = area.top() + HEADER_HEIGHT;
    let column_left = (0..columns).map(|c| area.left() + 8.0 + c as f32 * column_pitch + (column_pitch - tile) / 2.0).collect();
    let output_rect = Rect::from_min_size(
        pos2(area.right() - output_size - 8.0, top + ((height - output_size) / 2.0).clamp(0.0, visible.height() * 0.3)),
        Vec2::splat(output_size),
    );
    (size, Geometry { tile, column_left, top, height, output_rect })
}

fn distance_to_segment(point: Pos2, a: Pos2, b: Pos2) -> f32 {
    let ab = b - a;
    let t = ((point - a).dot(ab) / ab.length_sq().max(1e-6)).clamp(0.0, 1.0);
    (a + ab * t - point).length()
}

struct Edge {
    from: Pos2,
    to: Pos2,
    /// 1-based weight layer, input unit, output unit.
    layer: usize,
    input: usize,
    output: usize,
    weight: f64,
    gradient: f64,
}

impl NetworkView {
    /// Draws the network; returns the neuron clicked, to inspect.
    pub fn show(&mut self, ui: &mut egui::Ui, frame: &Frame, config: &mut Config, requests: &mut Requests) -> Option<(usize, usize)> {
        self.view_options(ui, frame, requests);
        if frame.pictures.atlas_image.is_none() {
            ui.label(tr!(frame.tr, "network-preparing"));
            return None;
        }
        let mut clicked = None;
        egui::ScrollArea::both().auto_shrink([false, false]).show_viewport(ui, |ui, _viewport| {
            let visible = ui.max_rect();
            let network = frame.lab.network();
            let widest = network.layers.iter().map(|l| l.outputs.min(MAX_DRAWN_UNITS)).max().unwrap_or(1).max(Feature::ALL.len());
            let columns = network.hidden_layers() + 2;
            let (size, g) = geometry(visible, columns, widest);
            ui.allocate_rect(Rect::from_min_size(visible.min, size), Sense::hover());
            clicked = self.draw_network(ui, frame, &g, config, requests);
            layer_headers(ui, frame.tr, &g, network.hidden_layers(), config);
            output_caption(ui, frame, &g);
        });
        clicked
    }

    fn view_options(&mut self, ui: &mut egui::Ui, frame: &Frame, requests: &mut Requests) {
        let tr = frame.tr;
        ui.horizontal_wrapped(|ui| {
            let mut settings: PictureSettings = frame.picture_settings.clone();
            ui.checkbox(&mut self.show_test_points, tr!(tr, "network-test-data"));
            ui.checkbox(&mut settings.discretise, tr!(tr, "network-discretise"));
            ui.checkbox(&mut settings.per_neuron_scale, tr!(tr, "network-scale-each-neuron"))
                .on_hover_text(tr!(tr, "network-scale-each-neuron-tooltip"));
            ui.label(tr!(tr, "network-edges"));
            ui.selectable_value(&mut self.edges, EdgeColouring::Weight, tr!(tr, "network-edges-weight"));
            ui.selectable_value(&mut self.edges, EdgeColouring::Gradient, tr!(tr, "network-edges-gradient"));
            if settings != *frame.picture_settings {
                requests.picture_settings = Some(settings);
            }
            ui.separator();
            let open = frame.step_through.open;
            if ui.selectable_label(open, tr!(tr, "network-step-through")).on_hover_text(tr!(tr, "network-step-through-tooltip")).clicked() {
                if open {
                    requests.step_through.push(StepThroughRequest::Close);
                } else {
                    requests.step_through_now(StepThroughRequest::Open);
                }
            }
        });
    }

    fn draw_network(
        &mut self,
        ui: &mut egui::Ui,
        frame: &Frame,
        g: &Geometry,
        config: &mut Config,
        requests: &mut Requests,
    ) -> Option<(usize, usize)> {
        let lab = frame.lab;
        let tr = frame.tr;
        let layout = frame.pictures.layout;
        let network = lab.network();
        let data = &lab.data;
        let hidden = network.hidden_layers();
        let columns = hidden + 2;
        let drawn = |units: usize| units.min(MAX_DRAWN_UNITS);
        let pairs = match data.plane {
            InputPlane::Pairs { modulus } => Some(modulus),
            InputPlane::Points { .. } | InputPlane::Image { .. } => None,
        };
        let input_tiles = if pairs.is_some() { 2 } else { Feature::ALL.len() };
        let rows_in = |column: usize| if column == 0 { input_tiles } else { drawn(network.layers[column - 1].outputs) };
        // The tile of each network input: its feature's row in column 0. A
        // pair's one-hot inputs have no tile each, so no first-layer lines.
        let input_row: Vec<usize> =
            data.features().iter().map(|f| Feature::ALL.iter().position(|g| g == f).expect("a known feature")).collect();
        let area = ui.max_rect();
        let pointer = ui.ctx().pointer_hover_pos().filter(|p| ui.clip_rect().contains(*p));
        let painter = ui.painter();

        // Edges first, under the tiles.
        let gradients = &lab.parts.gradients;
        let mut edges = Vec::new();
        for (k, layer) in network.layers.iter().enumerate() {
            let weights = network.weights(k);
            let grads = gradients.get(layer.weights.clone()).unwrap_or(&[]);
            let sources: Vec<(usize, usize)> =
                if k == 0 { input_row.iter().copied().enumerate().collect() } else { (0..drawn(layer.inputs)).map(|i| (i, i)).collect() };
            for j in 0..drawn(layer.outputs) {
                let to = g.tile_rect(k + 1, j, rows_in(k + 1)).left_center();
                for &(i, row) in &sources {
                    let from = g.tile_rect(k, row, rows_in(k)).right_center();
                    let index = j * layer.inputs + i;
                    edges.push(Edge {
                        from,
                        to,
                        layer: k + 1,
                        input: i,
                        output: j,
                        weight: weights[index],
                        gradient: grads.get(index).copied().unwrap_or(0.0),
                    });
                }
            }
        }
        let largest_gradient = edges.iter().map(|e| e.gradient.abs()).filter(|g| g.is_finite()).fold(0.0f64, f64::max);
        let colouring = self.edges;
        let style = |edge: &Edge| match colouring {
            EdgeColouring::Weight => ((edge.weight.abs() as f32 * 1.5).clamp(0.6, 5.0), palette::diverging(edge.weight as f32, 1e-9)),
            EdgeColouring::Gradient => {
                // Brightness on a log scale over six decades below the
                // largest gradient in the network.
                let magnitude = edge.gradient.abs();
                let t = if magnitude > 0.0 && largest_gradient > 0.0 {
                    (1.0 + (magnitude / largest_gradient).log10() / 6.0) as f32
                } else {
                    0.0
                };
                (1.0 + 2.0 * t.max(0.0), palette::heat(t))
            }
        };
        // Stepping through: the stage's layer stands out, its lines by the
        // stage's numbers (backward: the point's gradients; update: the
        // steps), the rest faded.
        let step_through = frame.step_through;
        let shown = step_through.current(lab);
        let explained = if step_through.applied.is_none() { shown } else { None };
        let emphasis = explained.map(|e| (e, step_through.stage_for(lab)));
        let largest_in = |values: &mut dyn Iterator<Item = f64>| values.filter(|v| v.is_finite()).fold(0.0f64, |m, v| m.max(v.abs()));
        let stage_scale = emphasis.map(|(e, stage)| match stage {
            Stage::Backward(layer) => largest_in(&mut e.layers[layer].weight_gradients.iter().flatten().copied()),
            Stage::Update => largest_in(&mut e.layers.iter().flat_map(|l| l.weight_updates.iter().flatten()).map(|u| u.step)),
            Stage::Forward(_) | Stage::Loss => 0.0,
        });
        let by_value = |value: f64, largest: f64| {
            let t = if largest > 0.0 { (value.abs() / largest) as f32 } else { 0.0 };
            (0.8 + 4.2 * t, palette::diverging(value as f32, largest as f32))
        };
        let faded = |(width, colour): (f32, Color32)| {
            let [r, g, b, _] = colour.to_srgba_unmultiplied();
            (width.min(1.5), Color32::from_rgba_unmultiplied(r, g, b, 45))
        };
        let style = |edge: &Edge| {
            let Some((e, stage)) = emphasis else { return style(edge) };
            let layer = edge.layer - 1;
            let largest = stage_scale.unwrap_or(0.0);
            let value = |f: &dyn Fn(&Explanation) -> Option<f64>| f(e).unwrap_or(0.0);
            match stage {
                Stage::Forward(current) if current == layer => style(edge),
                Stage::Backward(current) if current == layer => {
                    by_value(value(&|e| e.layers.get(layer)?.weight_gradients.get(edge.output)?.get(edge.input).copied()), largest)
                }
                Stage::Update => by_value(value(&|e| Some(e.weight_update(layer, edge.output, edge.input)?.step)), largest),
                _ => faded(style(edge)),
            }
        };
        let ppp = ui.ctx().pixels_per_point();
        // The texture covers what is drawn, not the whole panel: a software
        // renderer blends every pixel of it each frame, transparent or not.
        let drawing = {
            let mut content = g.output_rect;
            for column in 0..columns {
                for row in 0..rows_in(column) {
                    content = content.union(g.tile_rect(column, row, rows_in(column)));
                }
            }
            // Lines up to 5 points wide end at the tiles' edges.
            let content = content.expand(4.0);
            Rect::from_min_max(content.min.floor(), content.max.ceil()).intersect(area)
        };
        let key = DiagramKey {
            pictures: frame.pictures.stamp,
            generation: lab.generation,
            pixels: [(drawing.width() * ppp).round() as usize, (drawing.height() * ppp).round() as usize],
            origin: [drawing.min.x.round() as i32, drawing.min.y.round() as i32],
            pixels_per_point: ppp.to_bits(),
            edges: colouring,
            test_points: self.show_test_points,
            inputs_on: input_row.clone(),
            emphasis: emphasis.map(|(e, stage)| (std::sync::Arc::as_ptr(e) as usize, stage)),
        };
        // Anything but new pictures (a resize, a switch, a step-through
        // stage) is drawn at once.
        let stale = self.diagram.drawn.as_ref() != Some(&key);
        let only_pictures_changed =
            || self.diagram.drawn.as_ref().is_some_and(|drawn| DiagramKey { pictures: drawn.pictures, ..key.clone() } == *drawn);
        let started = web_time::Instant::now();
        if stale && (!only_pictures_changed() || self.diagram.refresh.get_or_insert(REDRAW).due(started)) {
            let to_pixels = |p: Pos2| pos2((p.x - drawing.min.x) * ppp, (p.y - drawing.min.y) * ppp);
            if let Some(mut canvas) = tiny_skia::Pixmap::new(key.pixels[0].max(1) as u32, key.pixels[1].max(1) as u32) {
                for edge in &edges {
                    let (width, colour) = style(edge);
                    stroke_line(&mut canvas, to_pixels(edge.from), to_pixels(edge.to), width * ppp, colour);
                }
                if let Some(atlas) = frame.pictures.atlas_image.as_deref().and_then(pixmap_of) {
                    let tile_pixels = atlas.width() as f32 / layout.columns.max(1) as f32;
                    for column in 0..columns {
                        for row in 0..rows_in(column) {
                            let target = g.tile_rect(column, row, rows_in(column));
                            let target = Rect::from_min_max(to_pixels(target.min), to_pixels(target.max));
                            let source =
                                Rect::from_min_size(pos2(column as f32 * tile_pixels, row as f32 * tile_pixels), Vec2::splat(tile_pixels));
                            let enabled = column > 0 || pairs.is_some() || input_row.contains(&row);
                            let opacity = if enabled { 1.0 } else { 0.2 };
                            draw_part(&mut canvas, &atlas, source, target, tiny_skia::FilterQuality::Nearest, opacity);
                        }
                    }
                }
                // The neurons' outlines, in the texture: hundreds of thin
                // strokes a frame otherwise.
                for column in 1..columns {
                    for row in 0..rows_in(column) {
                        let tile = g.tile_rect(column, row, rows_in(column)).expand(0.25);
                        stroke_rect(&mut canvas, Rect::from_min_max(to_pixels(tile.min), to_pixels(tile.max)), 0.5 * ppp, Color32::GRAY);
                    }
                }
                self.paint_output(&mut canvas, frame, g.output_rect, &to_pixels, ppp);
                raster::show_in(ui.ctx(), &mut self.diagram.texture, "network-diagram", &canvas);
                self.diagram.drawn = Some(key);
                self.diagram.refresh.get_or_insert(REDRAW).done(started);
            }
        }
        if let Some(texture) = &self.diagram.texture {
            painter.image(texture.id(), drawing, Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)), Color32::WHITE);
        }

        // Tiles.
        let details = &lab.parts.detail;
        let settling = &lab.parts.settling;
        let mut clicked = None;
        let mut feature_clicked = None;
        for column in 0..columns {
            for row in 0..rows_in(column) {
                let rect = g.tile_rect(column, row, rows_in(column));
                let enabled = column > 0 || pairs.is_some() || input_row.contains(&row);
                let response = ui.interact(rect, ui.id().with(("tile", column, row)), Sense::click());
                if let (0, Some(modulus)) = (column, pairs) {
                    response.on_hover_text(tr!(tr, "network-pair-input", name = ["a", "b"][row], last = modulus - 1));
                    continue;
                }
                if column == 0 {
                    let feature = Feature::ALL[row];
                    let response = response.on_hover_text(if enabled {
                        tr!(tr, "network-feature", name = feature.name())
                    } else {
                        tr!(tr, "network-feature-off", name = feature.name())
                    });
                    if response.clicked() {
                        feature_clicked = Some((feature, !enabled));
                    }
                    continue;
                }
                let layer = column - 1;
                let settled = (layer < hidden).then(|| settling.settled_since(layer, row)).flatten();
                if settled.is_some() && g.tile >= 12.0 {
                    // A square: a third of a small circle's triangles, on
                    // every settled neuron of a deep network.
                    let dot = Rect::from_center_size(rect.right_top() + vec2(-3.0, 3.0), Vec2::splat(4.5));
                    painter.rect_filled(dot, 0.0, Color32::from_rgb(40, 200, 90));
                }
                let Some(detail) = details.get(layer) else { continue };
                if g.tile >= 16.0 && detail.unit_dead.get(row).copied().unwrap_or(false) {
                    painter.text(
                        rect.center(),
                        egui::Align2::CENTER_CENTER,
                        "✖",
                        egui::FontId::proportional(g.tile * 0.5),
                        Color32::from_rgb(200, 30, 30),
                    );
                }
                let response = response.on_hover_ui(|ui| {
                    let activation = network.layers[layer].activation;
                    let name = if layer == hidden {
                        tr!(tr, "network-output-unit", number = row + 1)
                    } else {
                        tr!(tr, "network-neuron", layer = layer + 1, neuron = row + 1)
                    };
                    ui.strong(name);
                    let inputs = network.layers[layer].inputs;
                    if inputs <= FORMULA_TERMS {
                        let formula = neuron_formula(network, &data.input_names(), layer, row);
                        let formula = match (layer == hidden, data.loss) {
                            (true, crate::nn::Loss::Bce) => tr!(tr, "network-formula-then-sigmoid", formula = formula),
                            (true, crate::nn::Loss::Ce) => tr!(tr, "network-formula-then-softmax", formula = formula),
                            _ => formula,
                        };
                        ui.monospace(formula);
                    } else {
                        ui.small(tr!(tr, "network-formula-too-long", inputs = inputs));
                    }
                    if let Some(neuron) = shown.and_then(|e| e.layers.get(layer)?.neurons.get(row)) {
                        ui.small(tr!(tr, "network-at-point", point = step_through.point(lab)));
                        ui.monospace(&neuron.forward);
                        for part in neuron.backward.split("; ") {
                            ui.monospace(part);
                        }
                    }
                    ui.separator();
                    let shown = if layer == hidden { data.loss.output_activation_name() } else { activation.name() };
                    ui.label(tr!(tr, "network-activation", name = shown));
                    ui.label(tr!(tr, "network-mean-std", mean = detail.unit_mean[row], std = detail.unit_std[row]));
                    if activation.can_die() {
                        ui.label(if detail.unit_dead[row] { tr!(tr, "network-dead") } else { tr!(tr, "network-alive") });
                    }
                    if activation.bounds().is_some() {
                        ui.label(tr!(tr, "network-saturated", share = detail.unit_saturation[row]));
                    }
                    // Scientific notation: NUMBER() has none, so the number is
                    // written here.
                    ui.label(tr!(tr, "network-incoming-gradient", norm = format!("{:.3e}", detail.unit_grad_norm[row])));
                    if layer < hidden {
                        match (settled, settling.rate(layer, row).filter(|r| r.is_finite())) {
                            (Some(step), _) => ui.label(tr!(tr, "network-settled", step = step)),
                            (None, Some(rate)) => ui.label(tr!(tr, "network-still-changing", rate = rate)),
                            (None, None) => ui.label(tr!(tr, "network-settling-unknown")),
                        };
                    }
                    ui.small(tr!(tr, "network-click-to-inspect"));
                });
                if response.clicked() {
                    clicked = Some((layer, row));
                }
            }
            let units = if column == 0 { 0 } else { network.layers[column - 1].outputs };
            if units > MAX_DRAWN_UNITS {
                let below = g.tile_rect(column, rows_in(column) - 1, rows_in(column)).center_bottom() + vec2(0.0, 10.0);
                painter.text(
                    below,
                    egui::Align2::CENTER_TOP,
                    tr!(tr, "network-more-units", count = units - MAX_DRAWN_UNITS),
                    egui::FontId::proportional(11.0),
                    Color32::GRAY,
                );
            }
        }
        if let Some((feature, on)) = feature_clicked {
            super::controls::toggle_feature(&mut config.data.features, feature, on);
        }

        // A refused network has no step to mark, and no point to pick.
        if step_through.open && step_through.refusal.is_none() {
            let stage = (step_through.applied.is_none()).then(|| step_through.stage_for(lab));
            let position = shown.map(|e| e.position).or_else(|| data.train.points.get(step_through.point(lab)).copied());
            step_overlay(ui, tr, g, (columns, &rows_in, &input_row), shown.zip(stage), position);
            self.pick_point(ui, frame, g, requests);
        }

        // Hovering a line shows its weight (only away from the tiles).
        if let Some(point) = pointer.filter(|pt| !g.output_rect.contains(*pt) && area.contains(*pt)) {
            let nearest = edges
                .iter()
                .map(|e| (distance_to_segment(point, e.from, e.to), e))
                .filter(|(d, _)| *d < EDGE_HOVER_DISTANCE)
                .min_by(|a, b| a.0.total_cmp(&b.0));
            let over_tile = (0..columns).any(|c| (0..rows_in(c)).any(|r| g.tile_rect(c, r, rows_in(c)).contains(point)));
            if let (Some((_, edge)), false) = (nearest, over_tile) {
                ui.painter().line_segment([edge.from, edge.to], Stroke::new(3.0, Color32::YELLOW));
                let layer = edge.layer - 1;
                let spec = &network.layers[layer];
                let from = if layer == 0 {
                    data.input_names()[edge.input].clone()
                } else {
                    crate::explain::text::neuron_names(network, layer - 1)[edge.input].clone()
                };
                let to = crate::explain::text::neuron_names(network, layer)[edge.output].clone();
                let param = spec.weights.start + edge.output * spec.inputs + edge.input;
                let last_update_words = tr!(tr, "network-last-update");
                let last_update = lab.last_update.as_ref().and_then(|u| u.get(param).copied()).map(|u| (last_update_words.as_str(), u));
                let update = shown.and_then(|e| e.weight_update(layer, edge.output, edge.input));
                egui::Tooltip::always_open(ui.ctx().clone(), ui.layer_id(), ui.id().with("edge-tip"), egui::PopupAnchor::Pointer).show(
                    |ui| {
                        ui.strong(tr!(tr, "network-edge-title", from = from.as_str(), to = to.as_str(), layer = edge.layer));
                        match update {
                            Some(update) => {
                                ui.monospace(edge_summary(edge.weight, Some(update.gradient), last_update));
                                ui.small(tr!(tr, "network-edge-point-gradient", point = step_through.point(lab)));
                                ui.add_space(2.0);
                                for part in update.formula.split("; ") {
                                    ui.monospace(part);
                                }
                            }
                            None => {
                                ui.monospace(edge_summary(edge.weight, Some(edge.gradient), last_update));
                                ui.small(tr!(tr, "network-edge-probe-gradient", step = lab.parts.step));
                            }
                        }
                    },
                );
            }
        }
        clicked
    }

    /// With the step-through mode open, a click in the output picture picks
    /// the training point nearest it; hovering rings that point.
    fn pick_point(&self, ui: &egui::Ui, frame: &Frame, g: &Geometry, requests: &mut Requests) {
        let data = &frame.lab.data;
        if !matches!(data.plane, InputPlane::Points { .. }) {
            return;
        }
        let rect = g.output_rect;
        let response = ui.interact(rect, ui.id().with("pick-point"), Sense::click());
        let Some(pointer) = response.hover_pos() else { return };
        let to_plane = |p: Pos2| {
            let u = f64::from((p.x - rect.left()) / rect.width());
            let v = f64::from((p.y - rect.top()) / rect.height());
            [-INPUT_HALF_WIDTH + u * 2.0 * INPUT_HALF_WIDTH, INPUT_HALF_WIDTH - v * 2.0 * INPUT_HALF_WIDTH]
        };
        // Within a dozen points on screen of the pointer.
        let reach = 12.0 / f64::from(rect.width()) * 2.0 * INPUT_HALF_WIDTH;
        let Some(point) = nearest_point(&data.train.points, to_plane(pointer), reach) else { return };
        ui.painter().circle_stroke(plane_to_rect(data.train.points[point], rect), 7.0, Stroke::new(2.0, Color32::YELLOW));
        let response = response.on_hover_text(tr!(frame.tr, "network-pick-point", point = point));
        if response.clicked() {
            requests.step_through_now(StepThroughRequest::Choose(PointChoice::Index(point)));
        }
    }

    /// The output's decision picture with the data on it, into the
    /// diagram.
    fn paint_output(&self, canvas: &mut tiny_skia::Pixmap, frame: &Frame, rect: Rect, to_pixels: &impl Fn(Pos2) -> Pos2, ppp: f32) {
        let target = Rect::from_min_max(to_pixels(rect.min), to_pixels(rect.max));
        if let Some(output) = frame.pictures.output_image.as_deref().and_then(pixmap_of) {
            let source = Rect::from_min_size(Pos2::ZERO, vec2(output.width() as f32, output.height() as f32));
            draw_part(canvas, &output, source, target, tiny_skia::FilterQuality::Bilinear, 1.0);
        }
        let lab = frame.lab;
        let data = &lab.data;
        let to_screen = |[x, y]: [f64; 2]| {
            let u = ((x + INPUT_HALF_WIDTH) / (2.0 * INPUT_HALF_WIDTH)) as f32;
            let v = ((INPUT_HALF_WIDTH - y) / (2.0 * INPUT_HALF_WIDTH)) as f32;
            pos2(target.left() + u * target.width(), target.top() + v * target.height())
        };
        let point_colour = |label: f64| match data.task {
            TaskKind::Classification { .. } => palette::class_colour(label as usize),
            TaskKind::Regression => palette::diverging(label as f32, 1.0),
        };
        let radius = (rect.width() / 120.0).clamp(2.0, 4.0) * ppp;
        if matches!(data.plane, InputPlane::Points { .. }) {
            for (&point, &label) in data.train.points.iter().zip(&data.train.labels) {
                fill_circle(canvas, to_screen(point), radius + ppp, Color32::WHITE);
                fill_circle(canvas, to_screen(point), radius, point_colour(label));
            }
            if self.show_test_points {
                for (&point, &label) in data.test.points.iter().zip(&data.test.labels) {
                    fill_circle(canvas, to_screen(point), radius + 1.2 * ppp, Color32::BLACK);
                    fill_circle(canvas, to_screen(point), radius, point_colour(label));
                }
            }
        }
    }
}

/// Where a point of the input plane falls in a picture of it (a neuron's
/// tile or the output picture: both span the input square, y up).
fn plane_to_rect([x, y]: [f64; 2], rect: Rect) -> Pos2 {
    let u = ((x + INPUT_HALF_WIDTH) / (2.0 * INPUT_HALF_WIDTH)) as f32;
    let v = ((INPUT_HALF_WIDTH - y) / (2.0 * INPUT_HALF_WIDTH)) as f32;
    pos2(rect.left() + u * rect.width(), rect.top() + v * rect.height())
}

/// A number beside a tile, on a dark plate so it reads over the lines.
fn tag(painter: &egui::Painter, at: Pos2, text: String, align: egui::Align2) {
    let galley = painter.layout_no_wrap(text, egui::FontId::monospace(11.0), Color32::WHITE);
    let rect = align.anchor_size(at, galley.size()).expand(2.0);
    painter.rect_filled(rect, 3.0, Color32::from_rgba_unmultiplied(20, 20, 28, 225));
    painter.galley(rect.min + vec2(2.0, 2.0), galley, Color32::WHITE);
}

/// The step-through marks on the diagram: the point ringed on every
/// neuron's picture and the output picture, the stage's layer framed, and
/// its numbers beside its neurons.
fn step_overlay(
    ui: &egui::Ui,
    tr: &Localizer,
    g: &Geometry,
    (columns, rows_in, input_row): (usize, &dyn Fn(usize) -> usize, &[usize]),
    explained: Option<(&std::sync::Arc<Explanation>, Stage)>,
    position: Option<[f64; 2]>,
) {
    let painter = ui.painter();
    let highlight = Color32::from_rgb(255, 214, 10);
    if let Some(position) = position {
        let radius = (g.tile * 0.09).max(2.5);
        for column in 0..columns {
            for row in 0..rows_in(column) {
                if column == 0 && !input_row.contains(&row) {
                    continue;
                }
                let at = plane_to_rect(position, g.tile_rect(column, row, rows_in(column)));
                painter.circle_stroke(at, radius + 1.0, Stroke::new(1.5, Color32::BLACK));
                painter.circle_stroke(at, radius, Stroke::new(1.0, Color32::WHITE));
            }
        }
        let at = plane_to_rect(position, g.output_rect);
        painter.circle_stroke(at, 8.0, Stroke::new(3.0, Color32::BLACK));
        painter.circle_stroke(at, 8.0, Stroke::new(1.5, highlight));
    }
    let Some((e, stage)) = explained else { return };
    let frame_column = |column: usize| {
        let rows = rows_in(column);
        let top = g.tile_rect(column, 0, rows).min;
        let bottom = g.tile_rect(column, rows - 1, rows).max;
        painter.rect_stroke(Rect::from_min_max(top, bottom).expand(5.0), 4.0, Stroke::new(2.0, highlight), egui::StrokeKind::Outside);
    };
    let beside = |column: usize, row: usize, text: String| {
        let rect = g.tile_rect(column, row, rows_in(column));
        tag(painter, rect.right_center() + vec2(8.0, 0.0), text, egui::Align2::LEFT_CENTER);
    };
    let layers = e.layers.len();
    match stage {
        Stage::Forward(layer) => {
            frame_column(layer + 1);
            if layer == 0 {
                for (input, &row) in input_row.iter().enumerate() {
                    beside(0, row, format!("{} {}", e.input_names[input], num(e.inputs[input])));
                }
            }
            let step = &e.layers[layer];
            for unit in 0..step.bias.len().min(rows_in(layer + 1)) {
                let text = if layer + 1 == layers {
                    format!("z {}", num(step.pre_activations[unit]))
                } else {
                    format!("z {}\na {}", num(step.pre_activations[unit]), num(step.activations[unit]))
                };
                beside(layer + 1, unit, text);
            }
        }
        Stage::Loss => {
            frame_column(layers);
            painter.rect_stroke(g.output_rect.expand(4.0), 4.0, Stroke::new(2.0, highlight), egui::StrokeKind::Outside);
            let loss = &e.loss;
            for unit in 0..loss.outputs.len().min(rows_in(layers)) {
                beside(layers, unit, format!("y {}\nt {}", num(loss.prediction[unit]), num(loss.target[unit])));
            }
            tag(
                painter,
                g.output_rect.center_top() + vec2(0.0, 6.0),
                tr!(tr, "network-overlay-loss", value = num(loss.value)),
                egui::Align2::CENTER_TOP,
            );
        }
        Stage::Backward(layer) => {
            frame_column(layer + 1);
            let step = &e.layers[layer];
            for unit in 0..step.deltas.len().min(rows_in(layer + 1)) {
                beside(layer + 1, unit, format!("delta {}", num(step.deltas[unit])));
            }
        }
        Stage::Update => {
            for column in 1..columns {
                frame_column(column);
            }
        }
    }
}

/// Around the output picture: its frame, what it shows, and the losses.
fn output_caption(ui: &mut egui::Ui, frame: &Frame, g: &Geometry) {
    let rect = g.output_rect;
    let painter = ui.painter();
    painter.rect_stroke(rect, 0.0, Stroke::new(1.0, Color32::GRAY), egui::StrokeKind::Outside);
    let lab = frame.lab;
    if let InputPlane::Pairs { modulus } = lab.data.plane {
        let caption = tr!(frame.tr, "network-pairs-caption", modulus = modulus);
        painter.text(
            rect.left_top() - vec2(0.0, 4.0),
            egui::Align2::LEFT_BOTTOM,
            caption,
            egui::FontId::proportional(10.0),
            ui.visuals().text_color(),
        );
    }
    let latest = lab.latest();
    // Two aligned monospace lines: the numbers are written here, the words
    // come from the catalogue.
    let accuracy = |a: Option<f64>| a.map(|a| format!("  {:.1}%", 100.0 * a)).unwrap_or_default();
    let text = [
        tr!(frame.tr, "network-test-loss", loss = format!("{:.4}", latest.test_loss), accuracy = accuracy(latest.test_acc)),
        tr!(frame.tr, "network-train-loss", loss = format!("{:.4}", latest.train_loss), accuracy = accuracy(latest.train_acc)),
    ]
    .join("\n");
    // Under the picture, moved left where it would run past the panel's
    // edge (a deep network's output picture sits against it); a picture
    // scrolled out of sight takes its caption with it.
    let galley = painter.layout_no_wrap(text, egui::FontId::monospace(11.0), ui.visuals().text_color());
    let visible_right = painter.clip_rect().right();
    let left = if rect.left() < visible_right { rect.left().min(visible_right - galley.size().x) } else { rect.left() };
    let at = pos2(left, rect.bottom() + 6.0);
    if left < rect.left() {
        // Moved under the last neurons: on the panel's colour, to be read.
        painter.rect_filled(Rect::from_min_size(at, galley.size()).expand(2.0), 0.0, ui.visuals().panel_fill);
    }
    painter.galley(at, galley, ui.visuals().text_color());
}

/// Above each hidden column: its width with − and +, and its activation.
fn layer_headers(ui: &mut egui::Ui, tr: &Localizer, g: &Geometry, hidden: usize, config: &mut Config) {
    let top = g.top - HEADER_HEIGHT;
    let label_at = |ui: &mut egui::Ui, column: usize, text: &str| {
        let rect = Rect::from_min_size(pos2(g.column_left[column] - 10.0, top + 4.0), vec2(g.tile + 20.0, 16.0));
        ui.put(rect, egui::Label::new(egui::RichText::new(text).small().strong()));
    };
    label_at(ui, 0, &tr!(tr, "network-inputs-heading"));
    label_at(ui, hidden + 1, &tr!(tr, "network-output-heading"));
    let pitch = g.pitch();
    // Narrow columns get only the width; the activation is then set in the
    // settings panel.
    let show_buttons = pitch >= 44.0;
    let show_activation = pitch >= 64.0;
    let network = &mut config.network;
    for layer in 0..hidden.min(network.hidden.len()) {
        let column = layer + 1;
        let half = (pitch / 2.0).min(30.0);
        let left = g.column_left[column] + g.tile / 2.0 - half;
        let rect = Rect::from_min_size(pos2(left, top + 2.0), vec2(2.0 * half, HEADER_HEIGHT - 4.0));
        ui.scope_builder(egui::UiBuilder::new().max_rect(rect), |ui| {
            ui.spacing_mut().item_spacing = vec2(2.0, 1.0);
            ui.vertical_centered(|ui| {
                if show_buttons {
                    ui.horizontal(|ui| {
                        if ui.small_button("−").on_hover_text(tr!(tr, "network-fewer-neurons-tooltip")).clicked()
                            && network.hidden[layer] > 1
                        {
                            network.hidden[layer] -= 1;
                        }
                        ui.small(format!("{}", network.hidden[layer]));
                        if ui.small_button("+").on_hover_text(tr!(tr, "network-more-neurons-tooltip")).clicked()
                            && network.hidden[layer] < Limits::MAX_WIDTH
                        {
                            network.hidden[layer] += 1;
                        }
                    });
                } else {
                    ui.small(format!("{}", network.hidden[layer]));
                }
                if show_activation {
                    let current = network.activation_of(layer);
                    let mut chosen = current;
                    egui::ComboBox::from_id_salt(("layer-activation", layer))
                        .selected_text(egui::RichText::new(current.name()).small())
                        .width(56.0)
                        .show_ui(ui, |ui| {
                            for activation in Activation::ALL {
                                ui.selectable_value(&mut chosen, activation, activation.name());
                            }
                        });
                    if chosen != current {
                        if network.activations.len() != network.hidden.len() {
                            network.activations = vec![network.activation; network.hidden.len()];
                        }
                        network.activations[layer] = chosen;
                    }
                }
            });
        });
    }
}
