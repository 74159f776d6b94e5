//! The "Step through" window: one training step on one training point,
//! stage by stage (forward layer by layer, the loss, backward layer by
//! layer, the update), every number and formula read off the session's
//! explanation. The network view marks the point and the stage's layer.

use bevy_egui::egui::{self, Color32, RichText};

use super::{Frame, Requests};
use crate::app::palette;
use crate::app::step_through::StepThroughRequest;
use crate::explain::text::{num, number, places_for_change, weighted_sum};
use crate::explain::{Explanation, LayerStep, MAX_HIDDEN_LAYERS, MAX_WIDTH, Stage};
use crate::i18n::Localizer;
use crate::nn::{Loss, TaskKind};
use crate::run::session::{Command, PointChoice};
use crate::tr;

/// The window's width: wide enough for a formula of a few terms per line.
const WIDTH: f32 = 370.0;

pub fn show(ctx: &egui::Context, frame: &Frame, requests: &mut Requests) {
    if !frame.step_through.open {
        return;
    }
    let mut open = true;
    // Over the charts, beside the diagram: the charts say little about one
    // step, and the diagram is what the numbers are about.
    let screen = ctx.content_rect();
    egui::Window::new(tr!(frame.tr, "step-window-title"))
        .id(egui::Id::new("step-through"))
        .open(&mut open)
        .pivot(egui::Align2::RIGHT_TOP)
        .default_pos(egui::pos2(screen.right() - 8.0, screen.top() + 64.0))
        .default_width(WIDTH)
        .default_height((screen.height() - 130.0).max(300.0))
        .vscroll(true)
        .show(ctx, |ui| body(ui, frame, requests));
    if !open {
        requests.step_through.push(StepThroughRequest::Close);
    }
}

fn body(ui: &mut egui::Ui, frame: &Frame, requests: &mut Requests) {
    let (lab, state) = (frame.lab, frame.step_through);
    if let Some(reason) = &state.refusal {
        ui.colored_label(Color32::from_rgb(230, 90, 60), RichText::new(tr!(frame.tr, "step-refused")).strong());
        // The engine's reason (English).
        ui.label(reason);
        ui.add_space(4.0);
        ui.label(tr!(frame.tr, "step-refused-explanation", layers = MAX_HIDDEN_LAYERS, neurons = MAX_WIDTH));
        return;
    }
    point_chooser(ui, frame, requests);
    ui.separator();
    if let Some(applied) = &state.applied {
        applied_view(ui, frame, applied, requests);
        return;
    }
    let Some(explanation) = state.current(lab) else {
        if lab.playing {
            ui.label(tr!(frame.tr, "step-running", point = state.point(lab)));
            if ui.button(tr!(frame.tr, "step-pause")).clicked() {
                requests.run(Command::Pause);
            }
        } else if let Some(failure) = &state.failure {
            ui.colored_label(Color32::from_rgb(230, 90, 60), failure);
        } else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(tr!(frame.tr, "step-working"));
            });
        }
        return;
    };
    let layers = explanation.layers.len();
    let stage = state.stage_for(lab);
    point_summary(ui, frame, explanation);
    navigation(ui, frame.tr, stage, layers, requests);
    ui.separator();
    ui.heading(stage_title(frame.tr, stage, layers));
    match stage {
        Stage::Forward(layer) => forward(ui, frame, explanation, layer),
        Stage::Loss => loss(ui, frame.tr, explanation),
        Stage::Backward(layer) => backward(ui, frame.tr, explanation, layer),
        Stage::Update => update(ui, frame.tr, explanation),
    }
}

/// The stage's title in the app's language ([`Stage::title`] is the
/// command line's English).
fn stage_title(tr: &Localizer, stage: Stage, layers: usize) -> String {
    let output = |layer: usize| layer + 1 == layers;
    match stage.within(layers) {
        Stage::Forward(layer) if output(layer) => tr!(tr, "step-stage-forward-output", layer = layer + 1, layers = layers),
        Stage::Forward(layer) => tr!(tr, "step-stage-forward", layer = layer + 1, layers = layers),
        Stage::Loss => tr!(tr, "step-stage-loss"),
        Stage::Backward(layer) if output(layer) => tr!(tr, "step-stage-backward-output", layer = layer + 1, layers = layers),
        Stage::Backward(layer) => tr!(tr, "step-stage-backward", layer = layer + 1, layers = layers),
        Stage::Update => tr!(tr, "step-stage-update"),
    }
}

/// The point's number, "next point", and how to pick one in the picture.
fn point_chooser(ui: &mut egui::Ui, frame: &Frame, requests: &mut Requests) {
    let (lab, state) = (frame.lab, frame.step_through);
    let points = lab.data.train.len();
    ui.horizontal_wrapped(|ui| {
        ui.label(tr!(frame.tr, "step-training-point"));
        let mut point = state.point(lab);
        let response = ui.add(egui::DragValue::new(&mut point).range(0..=points.saturating_sub(1)).speed(0.3));
        if response.changed() {
            requests.step_through_now(StepThroughRequest::Choose(PointChoice::Index(point)));
        }
        let next = state.choice == PointChoice::Next;
        if ui.selectable_label(next, tr!(frame.tr, "step-next-point")).on_hover_text(tr!(frame.tr, "step-next-point-tooltip")).clicked()
            && !next
        {
            requests.step_through_now(StepThroughRequest::Choose(PointChoice::Next));
        }
        ui.small(tr!(frame.tr, "step-click-a-point"));
    });
}

/// Where the point is, what it is, and what the step is.
fn point_summary(ui: &mut egui::Ui, frame: &Frame, e: &Explanation) {
    let [x, y] = e.position;
    // The coordinates as the formulas below write numbers.
    let (x, y) = (num(x), num(y));
    let summary = match frame.lab.data.task {
        TaskKind::Classification { .. } => {
            tr!(frame.tr, "step-summary-class", step = e.step, point = e.point, x = x, y = y, class = e.label)
        }
        TaskKind::Regression => tr!(frame.tr, "step-summary-value", step = e.step, point = e.point, x = x, y = y, value = num(e.label)),
    };
    ui.label(RichText::new(summary).strong());
    let inputs: Vec<String> = e.input_names.iter().zip(&e.inputs).map(|(name, &value)| format!("{name} = {}", num(value))).collect();
    ui.monospace(tr!(frame.tr, "step-inputs-line", inputs = inputs.join(", ")));
    let target = if e.target.len() == 1 { num(e.target[0]) } else { crate::explain::text::numbers(&e.target) };
    ui.monospace(tr!(frame.tr, "step-target-line", target = target));
    if e.batch_size > 1 {
        ui.small(tr!(frame.tr, "step-batch-of-one", size = e.batch_size));
    }
}

/// Previous, next, apply, and every stage to jump to.
fn navigation(ui: &mut egui::Ui, tr: &Localizer, stage: Stage, layers: usize, requests: &mut Requests) {
    ui.horizontal(|ui| {
        let sequence = Stage::sequence(layers);
        let first = stage == sequence[0];
        let last = stage == Stage::Update;
        if ui.add_enabled(!first, egui::Button::new(tr!(tr, "step-previous"))).on_hover_text(tr!(tr, "step-previous-tooltip")).clicked() {
            requests.step_through.push(StepThroughRequest::Previous);
        }
        if ui.add_enabled(!last, egui::Button::new(tr!(tr, "step-next"))).on_hover_text(tr!(tr, "step-next-tooltip")).clicked() {
            requests.step_through.push(StepThroughRequest::Next);
        }
        let apply = egui::Button::new(RichText::new(tr!(tr, "step-apply")).strong());
        let apply = if last { apply.fill(Color32::from_rgb(30, 110, 60)) } else { apply };
        if ui.add(apply).on_hover_text(tr!(tr, "step-apply-tooltip")).clicked() {
            requests.step_through.push(StepThroughRequest::Apply);
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 3.0;
        for candidate in Stage::sequence(layers) {
            let short = match candidate {
                Stage::Forward(layer) => format!("▶{}", layer + 1),
                Stage::Loss => tr!(tr, "step-short-loss"),
                Stage::Backward(layer) => format!("◀{}", layer + 1),
                Stage::Update => tr!(tr, "step-short-update"),
            };
            if ui
                .selectable_label(candidate == stage, RichText::new(short).small())
                .on_hover_text(stage_title(tr, candidate, layers))
                .clicked()
            {
                requests.step_through.push(StepThroughRequest::GoTo(candidate));
            }
        }
    });
}

/// One neuron's row: its name, then its lines, wrapped to the window.
fn neuron_row(ui: &mut egui::Ui, name: &str, lines: &[String], hover: Option<&str>) {
    let response = ui
        .horizontal_top(|ui| {
            ui.add_sized([44.0, 14.0], egui::Label::new(RichText::new(name).monospace().strong()));
            ui.vertical(|ui| {
                for line in lines {
                    ui.add(egui::Label::new(RichText::new(line).monospace()).wrap());
                }
            });
        })
        .response;
    if let Some(hover) = hover {
        response.on_hover_text(hover);
    }
    ui.add_space(3.0);
}

fn forward(ui: &mut egui::Ui, frame: &Frame, e: &Explanation, index: usize) {
    let layer = &e.layers[index];
    let output = index + 1 == e.layers.len();
    let tr = frame.tr;
    if output {
        ui.label(match frame.lab.data.loss {
            Loss::Mse => tr!(tr, "step-forward-output-mse"),
            Loss::Bce => tr!(tr, "step-forward-output-bce"),
            Loss::Ce => tr!(tr, "step-forward-output-ce"),
        });
    } else {
        ui.label(tr!(tr, "step-forward-hidden", activation = layer.activation.name()));
    }
    let inputs: Vec<String> = layer.input_names.iter().zip(&layer.inputs).map(|(name, &v)| format!("{name} = {}", num(v))).collect();
    ui.monospace(tr!(tr, "step-reads-line", inputs = inputs.join(", ")));
    ui.add_space(4.0);
    for (unit, name) in layer.neuron_names.iter().enumerate() {
        let values: Vec<String> = layer.inputs.iter().map(|&v| num(v)).collect();
        let z = format!("z = {} = {}", weighted_sum(&layer.weights[unit], &values, layer.bias[unit]), num(layer.pre_activations[unit]));
        let mut lines = vec![z];
        if !output {
            let a = crate::explain::text::apply(layer.activation, &num(layer.pre_activations[unit]));
            lines.push(format!("a = {a} = {}", num(layer.activations[unit])));
        }
        neuron_row(ui, name, &lines, Some(&layer.neurons[unit].formula));
    }
    ui.small(tr!(tr, "step-forward-hint"));
}

fn loss(ui: &mut egui::Ui, tr: &Localizer, e: &Explanation) {
    let loss = &e.loss;
    let what = match loss.loss {
        Loss::Mse => tr!(tr, "step-loss-mse"),
        Loss::Bce => tr!(tr, "step-loss-bce"),
        Loss::Ce => tr!(tr, "step-loss-ce"),
    };
    ui.label(what);
    for part in loss.formula.split("; ") {
        ui.add(egui::Label::new(RichText::new(part).monospace()).wrap());
    }
    if loss.penalty > 0.0 {
        ui.monospace(tr!(tr, "step-loss-penalty", penalty = num(loss.penalty)));
    }
    ui.add_space(6.0);
    ui.label(tr!(tr, "step-loss-gradient", formula = &loss.gradient_formula));
    let output = &e.layers[e.layers.len() - 1];
    for (unit, name) in output.neuron_names.iter().enumerate() {
        neuron_row(ui, name, &[output.neurons[unit].backward.clone()], None);
    }
}

fn backward(ui: &mut egui::Ui, tr: &Localizer, e: &Explanation, index: usize) {
    let layer = &e.layers[index];
    if index + 1 == e.layers.len() {
        ui.label(tr!(tr, "step-backward-output"));
    } else {
        ui.label(tr!(tr, "step-backward-hidden"));
    }
    ui.add_space(4.0);
    for (unit, name) in layer.neuron_names.iter().enumerate() {
        let lines: Vec<String> = layer.neurons[unit].backward.split("; ").map(str::to_string).collect();
        neuron_row(ui, name, &lines, None);
    }
    ui.add_space(4.0);
    ui.strong(tr!(tr, "step-gradients-heading"));
    ui.small(tr!(tr, "step-gradients-hint"));
    let largest = layer.weight_gradients.iter().flatten().chain(&layer.bias_gradients).fold(0.0f64, |m, g| m.max(g.abs()));
    egui::ScrollArea::horizontal().id_salt(("gradients", index)).show(ui, |ui| {
        egui::Grid::new(("gradient-grid", index)).striped(true).spacing([10.0, 2.0]).show(ui, |ui| {
            ui.label("");
            for name in &layer.input_names {
                ui.monospace(name);
            }
            ui.monospace(tr!(tr, "step-bias-column"));
            ui.end_row();
            for (unit, name) in layer.neuron_names.iter().enumerate() {
                ui.monospace(RichText::new(name).strong());
                for (input, &gradient) in layer.weight_gradients[unit].iter().enumerate() {
                    let why = format!("{} × {} = {}", num(layer.deltas[unit]), num(layer.inputs[input]), num(gradient));
                    coloured_number(ui, gradient, largest).on_hover_text(tr!(
                        tr,
                        "step-weight-gradient-tooltip",
                        from = &layer.input_names[input],
                        to = name,
                        arithmetic = why
                    ));
                }
                coloured_number(ui, layer.bias_gradients[unit], largest).on_hover_text(tr!(
                    tr,
                    "step-bias-gradient-tooltip",
                    neuron = name
                ));
                ui.end_row();
            }
        });
    });
}

/// A number in the diagram's colours: blue positive, orange negative,
/// stronger the larger it is against `largest`.
fn coloured_number(ui: &mut egui::Ui, value: f64, largest: f64) -> egui::Response {
    let strength = if largest > 0.0 { (value.abs() / largest) as f32 } else { 0.0 };
    let colour = if value >= 0.0 { palette::POSITIVE } else { palette::NEGATIVE };
    let text = RichText::new(num(value)).monospace();
    let text = if strength > 0.05 { text.color(colour) } else { text.weak() };
    ui.label(text)
}

fn update(ui: &mut egui::Ui, tr: &Localizer, e: &Explanation) {
    let optimizer = &e.optimizer;
    // The learning rate as the rule below writes it.
    ui.label(tr!(tr, "step-update-intro", optimizer = optimizer.optimizer.name(), rate = num(optimizer.learning_rate)));
    for part in optimizer.rule.split("; ") {
        ui.add(egui::Label::new(RichText::new(part).monospace()).wrap());
    }
    if let Some(clipping) = &optimizer.clipping {
        ui.small(tr!(tr, "step-clipping", norm = num(clipping.norm), limit = num(clipping.limit), factor = num(clipping.factor)));
    }
    ui.small(tr!(tr, "step-update-hint"));
    for (index, layer) in e.layers.iter().enumerate() {
        egui::CollapsingHeader::new(RichText::new(tr!(tr, "step-update-layer", layer = layer.layer)).strong())
            .id_salt(("update-layer", index))
            .default_open(true)
            .show(ui, |ui| update_grid(ui, tr, layer, index));
    }
    ui.add_space(4.0);
    ui.label(tr!(tr, "step-update-apply-hint"));
}

fn update_grid(ui: &mut egui::Ui, tr: &Localizer, layer: &LayerStep, index: usize) {
    egui::Grid::new(("update-grid", index)).striped(true).spacing([12.0, 1.0]).show(ui, |ui| {
        ui.small("");
        for heading in [tr!(tr, "step-column-old"), tr!(tr, "step-column-step"), tr!(tr, "step-column-new")] {
            ui.small(heading);
        }
        ui.end_row();
        let row = |ui: &mut egui::Ui, name: String, update: &crate::explain::Update| {
            let places = places_for_change(update.step);
            let response = ui.monospace(name);
            ui.monospace(number(update.old, places));
            let sign = if update.step > 0.0 { "+" } else { "" };
            let colour = if update.step >= 0.0 { palette::POSITIVE } else { palette::NEGATIVE };
            ui.label(RichText::new(format!("{sign}{}", num(update.step))).monospace().color(colour));
            ui.label(RichText::new(number(update.new, places)).monospace().strong());
            ui.end_row();
            response.on_hover_text(update.formula.replace("; ", "\n"));
        };
        for (unit, neuron) in layer.neuron_names.iter().enumerate() {
            for (input, name) in layer.input_names.iter().enumerate() {
                row(ui, tr!(tr, "step-weight-row", from = name, to = neuron), &layer.weight_updates[unit][input]);
            }
            row(ui, tr!(tr, "step-bias-row", neuron = neuron), &layer.bias_updates[unit]);
        }
    });
}

/// After Apply: the step is taken; the point's loss before and after.
fn applied_view(ui: &mut egui::Ui, frame: &Frame, applied: &Explanation, requests: &mut Requests) {
    let (lab, tr) = (frame.lab, frame.tr);
    ui.heading(tr!(tr, "step-taken-heading"));
    ui.label(tr!(tr, "step-taken", step = applied.step, point = applied.point));
    let after = frame.step_through.current(lab).filter(|e| e.point == applied.point);
    match after {
        Some(after) => {
            let (before, now) = (applied.loss.value, after.loss.value);
            ui.monospace(tr!(tr, "step-taken-loss-line", before = num(before), after = num(now)));
            if now < before {
                ui.label(tr!(tr, "step-taken-loss-down"));
            } else {
                ui.label(tr!(tr, "step-taken-loss-up"));
            }
        }
        None if lab.step + 1 == applied.step => {
            ui.spinner();
        }
        None => {}
    }
    ui.horizontal(|ui| {
        if ui.button(tr!(tr, "step-next-step-on-point")).on_hover_text(tr!(tr, "step-next-tooltip")).clicked() {
            requests.step_through.push(StepThroughRequest::Next);
        }
        if ui.button(tr!(tr, "step-next-point-button")).on_hover_text(tr!(tr, "step-next-point-tooltip")).clicked() {
            requests.step_through_now(StepThroughRequest::Choose(PointChoice::Next));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_titles_count_layers_from_one_and_name_the_output() {
        let (english, _) = Localizer::built_in(&["en-US".into()]);
        assert_eq!(stage_title(&english, Stage::Backward(0), 3), "Backward: layer 1 of 3");
        assert_eq!(stage_title(&english, Stage::Forward(2), 3), "Forward: the output layer (3 of 3)");
        assert_eq!(
            stage_title(&english, Stage::Forward(7), 3),
            "Forward: the output layer (3 of 3)",
            "a layer the network lacks is its last"
        );
        let (chinese, _) = Localizer::built_in(&["zh-CN".into()]);
        assert!(stage_title(&chinese, Stage::Loss, 3).chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
    }
}
