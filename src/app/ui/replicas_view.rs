//! The replicas view (in the centre, in place of the network): train K copies of the network side by side and see
//! how alike they become: their output pictures in a row, the agreement,
//! representation-similarity and weight-similarity matrices, and the same
//! measures over time.

use bevy_egui::egui::{self, Color32, Rect, Sense, Stroke, pos2, vec2};

use super::Frame;
use super::charts::chart;
use super::traces::{Trace, legend, tolerance};
use crate::analysis::homogeneity::{HomogeneityReport, HomogeneitySummary};
use crate::app::palette;
use crate::config::{Config, Limits};
use crate::i18n::Localizer;
use crate::nn::Init;
use crate::tr;

/// The replicas view's own state.
#[derive(Default)]
pub struct ReplicasView {
    /// The layer whose replica-to-replica CKA matrix is shown.
    cka_layer: usize,
}

/// A K x K (or L x L) matrix of values in [0, 1] as coloured cells with
/// their numbers; `None` cells are grey.
fn matrix(ui: &mut egui::Ui, title: &str, hint: &str, values: &[Vec<Option<f64>>], labels: &[String]) {
    ui.strong(title).on_hover_text(hint);
    let n = values.len();
    let cell = matrix_cell(n);
    let (rect, _) = ui.allocate_exact_size(vec2(matrix_width(n), cell * n as f32 + 16.0), Sense::hover());
    // The view's painter, not one clipped to the matrix: everything
    // drawn stays inside `rect` anyway, and a clip rectangle of its own
    // would make the matrix a separate draw call.
    let painter = ui.painter();
    let origin = rect.min + vec2(30.0, 16.0);
    for (i, row) in values.iter().enumerate() {
        painter.text(
            origin + vec2(-4.0, (i as f32 + 0.5) * cell),
            egui::Align2::RIGHT_CENTER,
            &labels[i],
            egui::FontId::proportional(10.0),
            ui.visuals().text_color(),
        );
        painter.text(
            origin + vec2((i as f32 + 0.5) * cell, -3.0),
            egui::Align2::CENTER_BOTTOM,
            &labels[i],
            egui::FontId::proportional(10.0),
            ui.visuals().text_color(),
        );
        for (j, value) in row.iter().enumerate() {
            let r = Rect::from_min_size(origin + vec2(j as f32 * cell, i as f32 * cell), vec2(cell - 1.0, cell - 1.0));
            let (fill, text) = match value {
                Some(v) if v.is_finite() => (palette::heat(*v as f32), format!("{:.2}", v)),
                _ => (Color32::from_gray(90), "-".to_string()),
            };
            painter.rect_filled(r, 0.0, fill);
            if cell >= 26.0 {
                let ink = if value.is_some_and(|v| v > 0.6) { Color32::BLACK } else { Color32::WHITE };
                painter.text(r.center(), egui::Align2::CENTER_CENTER, text, egui::FontId::proportional(9.0), ink);
            }
        }
    }
}

/// The side of a cell of an n x n matrix.
fn matrix_cell(n: usize) -> f32 {
    (160.0 / n.max(1) as f32).clamp(18.0, 32.0)
}

/// The width of an n x n matrix with its labels.
fn matrix_width(n: usize) -> f32 {
    matrix_cell(n) * n as f32 + 30.0
}

fn history_chart(ui: &mut egui::Ui, tr: &Localizer, history: &[HomogeneitySummary]) {
    let series = |value: &dyn Fn(&HomogeneitySummary) -> Option<f64>| {
        Trace::new(history.iter().filter_map(|h| value(h).filter(|v| v.is_finite()).map(|v| [h.step as f64, v])).collect())
    };
    let layers = history.last().map_or(0, |h| h.cka.len());
    let (orange, yellow, grey) = (Color32::from_rgb(230, 120, 20), Color32::from_rgb(240, 200, 80), Color32::from_rgb(140, 140, 140));
    // Name, colour, values, width, dashed (chance levels).
    let mut traces: Vec<(String, Color32, Trace, f32, bool)> = vec![
        (tr!(tr, "replicas-series-agreement"), orange, series(&|h| h.agreement), 2.0, false),
        (tr!(tr, "replicas-series-agreement-chance"), orange, series(&|h| h.agreement_chance), 1.0, true),
        (tr!(tr, "replicas-series-far-agreement"), yellow, series(&|h| h.ood_agreement), 1.0, false),
        (tr!(tr, "replicas-series-weights-raw"), grey, series(&|h| h.weight_cosine), 1.0, false),
        (tr!(tr, "replicas-series-weights-matched"), Color32::WHITE, series(&|h| h.weight_cosine_matched), 1.0, false),
        (tr!(tr, "replicas-series-matched-chance"), Color32::WHITE, series(&|h| h.weight_cosine_matched_chance), 1.0, true),
    ];
    for layer in 0..layers {
        let name = tr!(tr, "replicas-series-cka", layer = layer + 1);
        traces.push((name, palette::layer_colour(layer, layers), series(&|h| h.cka.get(layer).copied().flatten()), 1.0, false));
    }
    let tolerance = tolerance(traces.iter().map(|(_, _, trace, _, _)| trace), HISTORY_HEIGHT);
    chart("homogeneity-history").height(HISTORY_HEIGHT).legend(legend()).include_y(0.0).include_y(1.0).show(ui, |plot| {
        for (name, colour, trace, width, dashed) in traces {
            trace.draw(plot, name, colour, tolerance, |line| {
                let line = line.width(width);
                if dashed { line.style(egui_plot::LineStyle::dashed_loose()) } else { line }
            });
        }
    });
}

const HISTORY_HEIGHT: f32 = 150.0;

/// The mean of a pair matrix's off-diagonal entries, as "0.33", or "-".
fn off_diagonal_mean(tr: &Localizer, matrix: &[Vec<Option<f64>>]) -> String {
    let values: Vec<f64> = matrix
        .iter()
        .enumerate()
        .flat_map(|(i, row)| row.iter().enumerate().filter(move |(j, _)| *j != i).filter_map(|(_, v)| *v))
        .collect();
    if values.is_empty() { "-".into() } else { tr!(tr, "replicas-mean-value", value = values.iter().sum::<f64>() / values.len() as f64) }
}

fn measures(ui: &mut egui::Ui, tr: &Localizer, cka_layer: &mut usize, report: &HomogeneityReport) {
    let k = report.replicas;
    let labels: Vec<String> = (0..k).map(|i| format!("{i}")).collect();
    let pairwise = [
        (tr!(tr, "replicas-agree-test"), tr!(tr, "replicas-agree-test-tooltip"), Some(&report.agreement), Some(&report.agreement_chance)),
        (
            tr!(tr, "replicas-agree-far"),
            tr!(tr, "replicas-agree-far-tooltip"),
            report.ood_agreement.as_ref(),
            report.ood_agreement_chance.as_ref(),
        ),
        (
            tr!(tr, "replicas-weights-raw"),
            tr!(tr, "replicas-weights-raw-tooltip"),
            Some(&report.weight_cosine),
            Some(&report.weight_cosine_chance),
        ),
        (
            tr!(tr, "replicas-weights-matched"),
            tr!(tr, "replicas-weights-matched-tooltip"),
            Some(&report.weight_cosine_matched),
            Some(&report.weight_cosine_matched_chance),
        ),
    ];
    let pairwise: Vec<_> = pairwise.into_iter().filter_map(|(title, hint, values, chance)| Some((title, hint, values?, chance))).collect();
    // Rows of whole blocks, as many as the width takes (the CKA block last).
    let width = matrix_width(k).max(140.0);
    let spacing = ui.spacing().item_spacing.x;
    let per_row = (((ui.available_width() + spacing) / (width + spacing)).floor() as usize).max(1);
    let blocks = pairwise.len() + 1;
    for row in (0..blocks).collect::<Vec<_>>().chunks(per_row) {
        ui.horizontal_top(|ui| {
            for &block in row {
                ui.vertical(|ui| {
                    ui.set_width(width);
                    match pairwise.get(block) {
                        Some((title, hint, values, chance)) => {
                            matrix(ui, title, hint, values, &labels);
                            if let Some(chance) = chance {
                                let (mean, chance) = (off_diagonal_mean(tr, values), off_diagonal_mean(tr, chance));
                                ui.small(tr!(tr, "replicas-mean-and-chance", mean = mean, chance = chance))
                                    .on_hover_text(tr!(tr, "replicas-chance-tooltip"));
                            }
                        }
                        None => cka_block(ui, tr, cka_layer, report, &labels),
                    }
                });
            }
        });
    }
}

/// The replicas' representation similarity at a layer chosen in the block.
fn cka_block(ui: &mut egui::Ui, tr: &Localizer, cka_layer: &mut usize, report: &HomogeneityReport, labels: &[String]) {
    let layers = report.cka.len();
    *cka_layer = (*cka_layer).min(layers.saturating_sub(1));
    let Some(cka) = report.cka.get(*cka_layer) else { return };
    egui::ComboBox::from_id_salt("cka-layer").selected_text(tr!(tr, "replicas-cka-layer-choice", layer = *cka_layer + 1)).show_ui(
        ui,
        |ui| {
            for layer in 0..layers {
                ui.selectable_value(cka_layer, layer, tr!(tr, "replicas-layer", layer = layer + 1));
            }
        },
    );
    matrix(ui, &tr!(tr, "replicas-cka"), &tr!(tr, "replicas-cka-tooltip"), cka, labels);
    let mean = off_diagonal_mean(tr, cka);
    let chance = report.cka_chance.get(*cka_layer).map_or_else(|| "-".to_string(), |chance| off_diagonal_mean(tr, chance));
    ui.small(tr!(tr, "replicas-mean-and-chance", mean = mean, chance = chance));
}

impl ReplicasView {
    pub fn show(&mut self, ui: &mut egui::Ui, frame: &Frame, config: &mut Config) {
        let cka_layer = &mut self.cka_layer;
        let tr = frame.tr;
        ui.heading(tr!(tr, "replicas-view-title"));
        egui::ScrollArea::vertical().id_salt("replicas-view").auto_shrink(false).show(ui, |ui| {
            {
                ui.horizontal(|ui| {
                    let (low, high) = Limits::REPLICAS;
                    ui.add(egui::Slider::new(&mut config.replicas.count, low..=high).text(tr!(tr, "replicas-count")))
                        .on_hover_text(tr!(tr, "replicas-count-tooltip"));
                    ui.add(egui::Slider::new(&mut config.replicas.target_accuracy, 0.5..=1.0).text(tr!(tr, "replicas-target-accuracy")));
                });
                ui.horizontal_wrapped(|ui| {
                    ui.label(tr!(tr, "replicas-inits"));
                    for init in Init::ALL {
                        let mut on = config.replicas.inits.contains(&init);
                        if ui.toggle_value(&mut on, init.name()).changed() {
                            if on {
                                config.replicas.inits.push(init);
                            } else {
                                config.replicas.inits.retain(|&i| i != init);
                            }
                        }
                    }
                });
            }
            let Some(report) = frame.lab.homogeneity.clone() else { return };
            let lab = frame.lab;
            ui.separator();
            ui.horizontal_wrapped(|ui| {
                let size = vec2(96.0, 96.0);
                // The pictures go in two meshes painted before every
                // caption: pictures and captions interleaved would be a
                // draw call each.
                let (main_slot, others_slot) = (ui.painter().add(egui::Shape::Noop), ui.painter().add(egui::Shape::Noop));
                let mut others = frame.pictures.replica_strip.as_ref().map(|strip| egui::Mesh::with_texture(strip.id()));
                for (index, replica) in lab.replicas.iter().enumerate() {
                    ui.vertical(|ui| {
                        let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
                        if index == 0 {
                            if let Some(texture) = &frame.pictures.output_texture {
                                let whole = Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0));
                                let image = egui::Shape::image(texture.id(), rect, whole, Color32::WHITE);
                                ui.painter().set(main_slot, image);
                            }
                        } else if let Some(mesh) = others.as_mut()
                            && index <= frame.pictures.replica_count
                        {
                            mesh.add_rect_with_uv(rect, frame.pictures.replica_uv(index), Color32::WHITE);
                        }
                        ui.painter().rect_stroke(rect, 0.0, Stroke::new(1.0, Color32::GRAY), egui::StrokeKind::Outside);
                        let name = match replica.test_accuracy {
                            Some(accuracy) => tr!(tr, "replicas-replica-accuracy", index = index, accuracy = accuracy),
                            None => tr!(tr, "replicas-replica", index = index),
                        };
                        // The initialisation's name is the config's value.
                        let init = replica.init.name();
                        ui.small(format!("{name}\n{init}"));
                        let reached = report.time_to_target.get(index).copied().flatten();
                        let target = report.target_accuracy;
                        ui.small(match reached {
                            Some(step) => tr!(tr, "replicas-target-reached", target = target, step = step),
                            None => tr!(tr, "replicas-target-not-yet", target = target),
                        });
                    });
                }
                if let Some(mesh) = others {
                    ui.painter().set(others_slot, egui::Shape::mesh(mesh));
                }
            });
            if report.replicas > 1 {
                ui.separator();
                measures(ui, tr, cka_layer, &report);
                ui.separator();
                ui.strong(tr!(tr, "replicas-history-heading"));
                history_chart(ui, tr, &lab.homogeneity_history);
            } else {
                ui.small(tr!(tr, "replicas-single"));
            }
            let layers = report.cka_between_layers.len();
            let labels: Vec<String> = (1..=layers).map(|l| format!("L{l}")).collect();
            matrix(
                ui,
                &tr!(tr, "replicas-between-layers"),
                &tr!(tr, "replicas-between-layers-tooltip"),
                &report.cka_between_layers,
                &labels,
            );
        });
    }
}
