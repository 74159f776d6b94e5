//! The "Step through" window: one training step on one training point,
//! stage by stage (forward layer by layer, the loss, backward layer by
//! layer, the update), every number and formula read off the session's
//! explanation. The network view marks the point and the stage's layer.

use bevy_egui::egui::{self, Color32, RichText};

use super::{Frame, Requests};
use crate::app::palette;
use crate::app::step_through::StepThroughRequest;
use crate::explain::text::{num, number, places_for_change, weighted_sum};
use crate::explain::{Explanation, LayerStep, Stage};
use crate::nn::{Loss, TaskKind};
use crate::run::session::{Command, PointChoice};

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
    egui::Window::new("Step through one training step")
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
        ui.colored_label(Color32::from_rgb(230, 90, 60), RichText::new("This network cannot be stepped through.").strong());
        ui.label(reason);
        ui.add_space(4.0);
        ui.label(
            "Step through reads dense networks of up to 4 hidden layers of up to 8 neurons, without batch normalisation or \
             dropout: small enough to read every number. The playground preset is one.",
        );
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
            ui.label(format!("Training is running. Pause it to see the next step on point {}.", state.point(lab)));
            if ui.button("⏸ Pause").clicked() {
                requests.run(Command::Pause);
            }
        } else if let Some(failure) = &state.failure {
            ui.colored_label(Color32::from_rgb(230, 90, 60), failure);
        } else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Working out the step…");
            });
        }
        return;
    };
    let layers = explanation.layers.len();
    let stage = state.stage_for(lab);
    point_summary(ui, frame, explanation);
    navigation(ui, stage, layers, requests);
    ui.separator();
    ui.heading(stage.title(layers));
    match stage {
        Stage::Forward(layer) => forward(ui, frame, explanation, layer),
        Stage::Loss => loss(ui, explanation),
        Stage::Backward(layer) => backward(ui, explanation, layer),
        Stage::Update => update(ui, explanation),
    }
}

/// The point's number, "next point", and how to pick one in the picture.
fn point_chooser(ui: &mut egui::Ui, frame: &Frame, requests: &mut Requests) {
    let (lab, state) = (frame.lab, frame.step_through);
    let points = lab.data.train.len();
    ui.horizontal_wrapped(|ui| {
        ui.label("Training point");
        let mut point = state.point(lab);
        let response = ui.add(egui::DragValue::new(&mut point).range(0..=points.saturating_sub(1)).speed(0.3));
        if response.changed() {
            requests.step_through_now(StepThroughRequest::Choose(PointChoice::Index(point)));
        }
        let next = state.choice == PointChoice::Next;
        if ui.selectable_label(next, "next point").on_hover_text("The point the next training step starts its batch with").clicked()
            && !next
        {
            requests.step_through_now(StepThroughRequest::Choose(PointChoice::Next));
        }
        ui.small("or click a point in the output picture");
    });
}

/// Where the point is, what it is, and what the step is.
fn point_summary(ui: &mut egui::Ui, frame: &Frame, e: &Explanation) {
    let [x, y] = e.position;
    let label = match frame.lab.data.task {
        TaskKind::Classification { .. } => format!("class {}", e.label),
        TaskKind::Regression => format!("value {}", num(e.label)),
    };
    ui.label(RichText::new(format!("Step {} on point {} at ({}, {}), {label}", e.step, e.point, num(x), num(y))).strong());
    let inputs: Vec<String> = e.input_names.iter().zip(&e.inputs).map(|(name, &value)| format!("{name} = {}", num(value))).collect();
    ui.monospace(format!("inputs  {}", inputs.join(", ")));
    let target = if e.target.len() == 1 { num(e.target[0]) } else { crate::explain::text::numbers(&e.target) };
    ui.monospace(format!("target  t = {target}"));
    if e.batch_size > 1 {
        ui.small(format!(
            "A batch of one: this point's gradient alone. Training takes batches of {} and averages their gradients.",
            e.batch_size
        ));
    }
}

/// Previous, next, apply, and every stage to jump to.
fn navigation(ui: &mut egui::Ui, stage: Stage, layers: usize, requests: &mut Requests) {
    ui.horizontal(|ui| {
        let sequence = Stage::sequence(layers);
        let first = stage == sequence[0];
        let last = stage == Stage::Update;
        if ui.add_enabled(!first, egui::Button::new("◀ Previous")).on_hover_text("Left arrow key").clicked() {
            requests.step_through.push(StepThroughRequest::Previous);
        }
        if ui.add_enabled(!last, egui::Button::new("Next ▶")).on_hover_text("Right arrow key").clicked() {
            requests.step_through.push(StepThroughRequest::Next);
        }
        let apply = egui::Button::new(RichText::new("Apply the step").strong());
        let apply = if last { apply.fill(Color32::from_rgb(30, 110, 60)) } else { apply };
        if ui.add(apply).on_hover_text("Enter: take this step for real; the pictures redraw with the new weights").clicked() {
            requests.step_through.push(StepThroughRequest::Apply);
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 3.0;
        for candidate in Stage::sequence(layers) {
            let short = match candidate {
                Stage::Forward(layer) => format!("▶{}", layer + 1),
                Stage::Loss => "loss".into(),
                Stage::Backward(layer) => format!("◀{}", layer + 1),
                Stage::Update => "update".into(),
            };
            if ui.selectable_label(candidate == stage, RichText::new(short).small()).on_hover_text(candidate.title(layers)).clicked() {
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
    if output {
        let link = match frame.lab.data.loss {
            Loss::Mse => "its sum z is the network's output y",
            Loss::Bce => "the loss turns its sum z into a probability with the sigmoid",
            Loss::Ce => "the loss turns the sums z into class probabilities with the softmax",
        };
        ui.label(format!("The output layer adds up its inputs times its weights, plus its bias; {link}."));
    } else {
        ui.label(format!(
            "Each neuron adds up its inputs times its weights, plus its bias (z), then applies {} (a): a is what the next layer reads.",
            layer.activation.name()
        ));
    }
    let inputs: Vec<String> = layer.input_names.iter().zip(&layer.inputs).map(|(name, &v)| format!("{name} = {}", num(v))).collect();
    ui.monospace(format!("reads  {}", inputs.join(", ")));
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
    ui.small("The point is ringed on every neuron's picture; hover a neuron for its formula.");
}

fn loss(ui: &mut egui::Ui, e: &Explanation) {
    let loss = &e.loss;
    let what = match loss.loss {
        Loss::Mse => "Squared error: half the squared distance between the output y and the target t.",
        Loss::Bce => "Binary cross-entropy: minus the log of the probability given to the point's class.",
        Loss::Ce => "Cross-entropy: minus the log of the probability given to the point's class.",
    };
    ui.label(what);
    for part in loss.formula.split("; ") {
        ui.add(egui::Label::new(RichText::new(part).monospace()).wrap());
    }
    if loss.penalty > 0.0 {
        ui.monospace(format!("penalty on the weights (L1, L2) = {}", num(loss.penalty)));
    }
    ui.add_space(6.0);
    ui.label(format!("Its gradient, where the backward pass starts: {}.", loss.gradient_formula));
    let output = &e.layers[e.layers.len() - 1];
    for (unit, name) in output.neuron_names.iter().enumerate() {
        neuron_row(ui, name, &[output.neurons[unit].backward.clone()], None);
    }
}

fn backward(ui: &mut egui::Ui, e: &Explanation, index: usize) {
    let layer = &e.layers[index];
    if index + 1 == e.layers.len() {
        ui.label("Each output's delta (dL/dz) is the loss's gradient.");
    } else {
        ui.label(
            "Each neuron's delta (dL/dz) gathers the deltas of the layer above, each times the weight to it, then \
             multiplies by the slope f'(z) of its activation.",
        );
    }
    ui.add_space(4.0);
    for (unit, name) in layer.neuron_names.iter().enumerate() {
        let lines: Vec<String> = layer.neurons[unit].backward.split("; ").map(str::to_string).collect();
        neuron_row(ui, name, &lines, None);
    }
    ui.add_space(4.0);
    ui.strong("Gradients: dL/dw = delta × input, dL/db = delta");
    ui.small("On the diagram this layer's lines are coloured by them: blue positive, orange negative, thicker is larger.");
    let largest = layer.weight_gradients.iter().flatten().chain(&layer.bias_gradients).fold(0.0f64, |m, g| m.max(g.abs()));
    egui::ScrollArea::horizontal().id_salt(("gradients", index)).show(ui, |ui| {
        egui::Grid::new(("gradient-grid", index)).striped(true).spacing([10.0, 2.0]).show(ui, |ui| {
            ui.label("");
            for name in &layer.input_names {
                ui.monospace(name);
            }
            ui.monospace("bias");
            ui.end_row();
            for (unit, name) in layer.neuron_names.iter().enumerate() {
                ui.monospace(RichText::new(name).strong());
                for (input, &gradient) in layer.weight_gradients[unit].iter().enumerate() {
                    let why = format!("{} × {} = {}", num(layer.deltas[unit]), num(layer.inputs[input]), num(gradient));
                    coloured_number(ui, gradient, largest)
                        .on_hover_text(format!("dL/dw from {} to {name} = delta × input = {why}", layer.input_names[input]));
                }
                coloured_number(ui, layer.bias_gradients[unit], largest).on_hover_text(format!("dL/db of {name} = delta"));
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

fn update(ui: &mut egui::Ui, e: &Explanation) {
    let optimizer = &e.optimizer;
    ui.label(format!(
        "The optimiser ({}, learning rate {}) turns each gradient into a step:",
        optimizer.optimizer.name(),
        num(optimizer.learning_rate)
    ));
    for part in optimizer.rule.split("; ") {
        ui.add(egui::Label::new(RichText::new(part).monospace()).wrap());
    }
    if let Some(clipping) = &optimizer.clipping {
        ui.small(format!(
            "Clipping: the gradient's norm {} against the limit {}: every gradient times {}.",
            num(clipping.norm),
            num(clipping.limit),
            num(clipping.factor)
        ));
    }
    ui.small("Hover a row for its arithmetic. On the diagram every line is coloured by its step.");
    for (index, layer) in e.layers.iter().enumerate() {
        egui::CollapsingHeader::new(RichText::new(format!("Layer {}", layer.layer)).strong())
            .id_salt(("update-layer", index))
            .default_open(true)
            .show(ui, |ui| update_grid(ui, layer, index));
    }
    ui.add_space(4.0);
    ui.label("Apply takes this step for real: the weights become the new values and the pictures redraw.");
}

fn update_grid(ui: &mut egui::Ui, layer: &LayerStep, index: usize) {
    egui::Grid::new(("update-grid", index)).striped(true).spacing([12.0, 1.0]).show(ui, |ui| {
        for heading in ["", "old", "step", "new"] {
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
                row(ui, format!("{name} to {neuron}"), &layer.weight_updates[unit][input]);
            }
            row(ui, format!("bias {neuron}"), &layer.bias_updates[unit]);
        }
    });
}

/// After Apply: the step is taken; the point's loss before and after.
fn applied_view(ui: &mut egui::Ui, frame: &Frame, applied: &Explanation, requests: &mut Requests) {
    let lab = frame.lab;
    ui.heading("Step taken");
    ui.label(format!(
        "Step {} on point {} is taken: every weight and bias moved by the step shown, and the pictures show the new network.",
        applied.step, applied.point
    ));
    let after = frame.step_through.current(lab).filter(|e| e.point == applied.point);
    match after {
        Some(after) => {
            let (before, now) = (applied.loss.value, after.loss.value);
            ui.monospace(format!("loss on this point  before {}  after {}", num(before), num(now)));
            if now < before {
                ui.label("The loss on this point went down: the step moved the weights down the slope of its loss.");
            } else {
                ui.label(
                    "The loss on this point went up: the step overshot (too large a learning rate for this point), or the \
                     optimiser's momentum carried it on.",
                );
            }
        }
        None if lab.step + 1 == applied.step => {
            ui.spinner();
        }
        None => {}
    }
    ui.horizontal(|ui| {
        if ui.button("Next step on this point ▶").on_hover_text("Right arrow key").clicked() {
            requests.step_through.push(StepThroughRequest::Next);
        }
        if ui.button("Next point").on_hover_text("The point the next training step starts its batch with").clicked() {
            requests.step_through_now(StepThroughRequest::Choose(PointChoice::Next));
        }
    });
}
