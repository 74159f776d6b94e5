//! One training step explained: the numbers shown are the engine's own.
//! Applying the updates shown is the trainer's next step for a batch of
//! one; every forward value, loss, delta and gradient agrees with the
//! formulas written out here and with finite differences, for every
//! activation and loss; networks the mode cannot show are refused, saying
//! why.

use emergence_lab::config::{Config, ConfigSource, load_config};
use emergence_lab::explain::{self, ExplainError, Explanation, text};
use emergence_lab::nn::{Activation, Loss, Mode, Network, Workspace};
use emergence_lab::train::Trainer;

fn preset(name: &str, overrides: &[&str]) -> Config {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    load_config(&ConfigSource::Preset(name.to_string()), &overrides).unwrap_or_else(|e| panic!("{overrides:?}: {e}"))
}

fn trained(config: Config, steps: u64) -> Trainer {
    let mut trainer = Trainer::new(config).expect("generated data builds");
    assert_eq!(trainer.run(steps), steps, "diverged: {:?}", trainer.diverged());
    trainer
}

/// Every parameter's new value as the explanation shows it, in the
/// network's layout (each layer's weights, then its bias).
fn shown_new_parameters(explanation: &Explanation) -> Vec<f64> {
    explanation.layers.iter().flat_map(|l| l.weight_updates.iter().flatten().chain(&l.bias_updates)).map(|u| u.new).collect()
}

fn shown_old_parameters(explanation: &Explanation) -> Vec<f64> {
    explanation.layers.iter().flat_map(|l| l.weight_updates.iter().flatten().chain(&l.bias_updates)).map(|u| u.old).collect()
}

/// The settings of each optimiser, penalty and clipping, as `--set`s.
const TRAINING_CASES: &[&[&str]] = &[
    &["training.optimizer=sgd"],
    &["training.optimizer=momentum", "training.momentum=0.9"],
    &["training.optimizer=momentum", "training.nesterov=true"],
    &["training.optimizer=rmsprop", "training.learning_rate=0.01"],
    &["training.optimizer=adam", "training.learning_rate=0.01"],
    &["training.optimizer=adamw", "training.learning_rate=0.01", "training.weight_decay=0.5"],
    &["training.optimizer=sgd", "training.l1=0.01", "training.l2=0.02"],
    &["training.optimizer=adam", "training.l2=0.01", "training.grad_clip=0.05"],
    &["training.optimizer=momentum", "training.loss=bce", "network.activation=relu"],
    &["training.optimizer=adamw", "data.dataset=multi-spiral", "training.loss=ce", "network.hidden=[5, 3]", "network.activation=gelu"],
];

#[test]
fn applying_the_updates_shown_is_the_trainers_next_step_for_a_batch_of_one() {
    for case in TRAINING_CASES {
        let config = preset("playground", &[case, &["training.batch_size=1"][..]].concat());
        // Some steps first, so velocities and moments are under way.
        let mut trainer = trained(config, 9);
        let before = trainer.network().params.clone();
        let point = trainer.next_point();
        let explanation = explain::step(&trainer, point).unwrap_or_else(|e| panic!("{case:?}: {e}"));
        assert_eq!(explanation.step, 10);
        assert_eq!(shown_old_parameters(&explanation), before, "{case:?}");

        trainer.step();
        assert_eq!(trainer.step_count(), explanation.step);
        assert_eq!(shown_new_parameters(&explanation), trainer.network().params, "{case:?}: the shown updates are the real step's");
        let optimizer = trainer.optimizer();
        let (mut first, mut second) = (Vec::new(), Vec::new());
        for layer in &explanation.layers {
            for update in layer.weight_updates.iter().flatten().chain(&layer.bias_updates) {
                assert!((update.old + update.step - update.new).abs() <= 1e-15 * update.new.abs().max(1.0), "{case:?}: {update:?}");
                first.extend(update.first_moment.map(|m| m.after));
                second.extend(update.second_moment.map(|m| m.after));
            }
        }
        assert_eq!(first, optimizer.first_moments(), "{case:?}: velocity or first moment");
        assert_eq!(second, optimizer.second_moments(), "{case:?}: mean square or second moment");
        if case.contains(&"training.grad_clip=0.05") {
            let clipping = explanation.optimizer.clipping.expect("clipping is on");
            assert!(clipping.factor < 1.0 && clipping.norm > 0.05, "the case should clip: {clipping:?}");
        }
    }
}

#[test]
fn the_shown_arithmetic_gives_the_new_values() {
    // The update formulas, redone from the numbers the explanation gives:
    // what a student checking a worksheet would do.
    for case in TRAINING_CASES {
        let config = preset("playground", case);
        let trainer = trained(config, 6);
        let explanation = explain::step(&trainer, 11).unwrap();
        let settings = &explanation.optimizer;
        let lr = settings.learning_rate;
        for (index, layer) in explanation.layers.iter().enumerate() {
            let updates = layer.weight_updates.iter().flatten().map(|u| (u, true)).chain(layer.bias_updates.iter().map(|u| (u, false)));
            for (u, is_weight) in updates {
                let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + b.abs());
                let g = (u.gradient + u.penalty_gradient) * settings.clipping.map_or(1.0, |c| c.factor);
                assert!(close(u.used_gradient, g), "{case:?} layer {}: {u:?}", index + 1);
                let w = if is_weight { u.old * (1.0 - lr * settings.weight_decay) } else { u.old };
                let expected = match (u.first_moment, u.second_moment) {
                    (None, None) => w - lr * g,
                    (Some(v), None) => {
                        let mu = settings.momentum.unwrap();
                        assert!(close(v.after, mu * v.before + g));
                        if settings.nesterov == Some(true) { w - lr * (g + mu * v.after) } else { w - lr * v.after }
                    }
                    (None, Some(s)) => {
                        assert!(close(s.after, 0.9 * s.before + 0.1 * g * g));
                        w - lr * g / (s.after.sqrt() + 1e-8)
                    }
                    (Some(m), Some(v)) => {
                        assert!(close(m.after, 0.9 * m.before + 0.1 * g) && close(v.after, 0.999 * v.before + 0.001 * g * g));
                        let t = settings.update_number as i32;
                        let (m_hat, v_hat) = (m.after / (1.0 - 0.9f64.powi(t)), v.after / (1.0 - 0.999f64.powi(t)));
                        w - lr * m_hat / (v_hat.sqrt() + 1e-8)
                    }
                };
                assert!(close(u.new, expected), "{case:?} layer {}: {} against {expected}: {}", index + 1, u.new, u.formula);
            }
        }
    }
}

#[test]
fn a_step_on_a_point_is_the_step_computed_aside_and_keeps_the_batch_order() {
    let mut trainer = trained(preset("playground", &["training.optimizer=momentum"]), 3);
    let next = trainer.next_point();
    let computed = trainer.point_step(17).unwrap();
    let samples = trainer.samples_seen();
    trainer.step_on_point(17).unwrap();
    assert_eq!(trainer.network(), &computed.network_after);
    assert_eq!(trainer.optimizer(), &computed.optimizer_after);
    assert_eq!((trainer.step_count(), trainer.samples_seen()), (4, samples + 1));
    assert_eq!(trainer.next_point(), next, "the epoch's batch order is where it was");
    let len = trainer.data().train.len();
    assert_eq!(
        trainer.step_on_point(len).unwrap_err().to_string(),
        format!("point {len} is not in the training set, which has {len} points (0 to {})", len - 1)
    );
}

#[test]
fn the_next_point_is_the_one_each_step_takes_across_epochs() {
    // Five training points, batches of one: two and a half epochs.
    let config = preset("playground", &["data.samples=10", "training.batch_size=1"]);
    let mut trainer = trained(config, 0);
    assert_eq!(trainer.data().train.len(), 5);
    for step in 1..=12 {
        let mut aside = trainer.clone();
        aside.step_on_point(trainer.next_point()).unwrap();
        trainer.step();
        assert_eq!(aside.network(), trainer.network(), "step {step}");
        assert_eq!(trainer.epochs_completed(), step / 5, "step {step}");
    }
}

/// The activations written out with the standard library.
fn reference_activation(activation: Activation, z: f64, slope: f64) -> f64 {
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    match activation {
        Activation::Linear => z,
        Activation::Sigmoid => sigmoid(z),
        Activation::Tanh => z.tanh(),
        Activation::Relu => z.max(0.0),
        Activation::LeakyRelu => {
            if z > 0.0 {
                z
            } else {
                slope * z
            }
        }
        Activation::Elu => {
            if z > 0.0 {
                z
            } else {
                z.exp_m1()
            }
        }
        Activation::Gelu => 0.5 * z * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (z + 0.044715 * z.powi(3))).tanh()),
        Activation::Silu => z * sigmoid(z),
        Activation::Softplus => z.exp().ln_1p(),
        Activation::Sin => z.sin(),
    }
}

/// The loss of one output row, and its gradient, written out.
fn reference_loss(loss: Loss, outputs: &[f64], target: &[f64]) -> (f64, Vec<f64>) {
    match loss {
        Loss::Mse => (
            0.5 * outputs.iter().zip(target).map(|(y, t)| (y - t) * (y - t)).sum::<f64>(),
            outputs.iter().zip(target).map(|(y, t)| y - t).collect(),
        ),
        Loss::Bce => {
            let p = 1.0 / (1.0 + (-outputs[0]).exp());
            let t = target[0];
            (-(t * p.ln() + (1.0 - t) * (1.0 - p).ln()), vec![p - t])
        }
        Loss::Ce => {
            let total: f64 = outputs.iter().map(|z| z.exp()).sum();
            let p: Vec<f64> = outputs.iter().map(|z| z.exp() / total).collect();
            let class = target.iter().position(|&t| t == 1.0).unwrap();
            (-p[class].ln(), p.iter().zip(target).map(|(p, t)| p - t).collect())
        }
    }
}

/// The point's loss for a network, by the engine's forward pass.
fn loss_at(network: &Network, loss: Loss, inputs: &[f64], target: &[f64]) -> f64 {
    let mut ws = Workspace::new(network, 1);
    ws.load_input(inputs);
    network.forward(&mut ws, Mode::Eval);
    loss.sum(ws.logits(), target, 1, target.len())
}

#[test]
fn every_stage_is_the_engines_number_for_every_activation_and_loss() {
    let tasks: [(&str, &[&str]); 4] = [
        ("mse", &["training.loss=mse"]),
        ("bce", &["training.loss=bce"]),
        ("ce", &["training.loss=ce", "data.dataset=multi-spiral", "data.classes=3"]),
        ("regression", &["training.loss=mse", "data.dataset=plane"]),
    ];
    for activation in Activation::ALL {
        for (task, overrides) in tasks {
            let name = format!("{} on {task}", activation.name());
            let base = [
                format!("network.activation={}", activation.name()),
                "network.hidden=[3, 2]".into(),
                "network.bias_init=0.1".into(),
                "network.leaky_slope=0.1".into(),
                "data.features=[\"x\", \"y\", \"x^2\"]".into(),
                "training.learning_rate=0.1".into(),
            ];
            let overrides: Vec<&str> = base.iter().map(String::as_str).chain(overrides.iter().copied()).collect();
            let config = preset("playground", &overrides);
            let loss_kind = config.training.loss;
            let trainer = trained(config, 5);
            let e = explain::step(&trainer, 7).unwrap_or_else(|error| panic!("{name}: {error}"));
            let slope = trainer.network().leaky_slope;
            let tight = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + b.abs());
            let near = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + b.abs());

            assert_eq!(e.layers[0].inputs, e.inputs);
            for (index, layer) in e.layers.iter().enumerate() {
                let last = index + 1 == e.layers.len();
                if index > 0 {
                    assert_eq!(layer.inputs, e.layers[index - 1].activations, "{name}: a layer reads the one below");
                }
                for j in 0..layer.bias.len() {
                    let z = layer.weights[j].iter().zip(&layer.inputs).map(|(w, x)| w * x).sum::<f64>() + layer.bias[j];
                    assert!(tight(layer.pre_activations[j], z), "{name}: layer {} z", index + 1);
                    let f = if last { Activation::Linear } else { activation };
                    let a = reference_activation(f, layer.pre_activations[j], slope);
                    assert!(near(layer.activations[j], a), "{name}: layer {} a = {} against {a}", index + 1, layer.activations[j]);
                    // Backward: delta = f'(z) dL/da, dL/da from the layer above.
                    if let Some(above) = e.layers.get(index + 1) {
                        let grad_a: f64 = above.deltas.iter().enumerate().map(|(k, d)| above.weights[k][j] * d).sum();
                        assert!(tight(layer.output_gradients[j], grad_a), "{name}: layer {} dL/da", index + 1);
                        assert!(tight(layer.deltas[j], layer.slopes[j] * grad_a), "{name}: layer {} delta", index + 1);
                    }
                    assert_eq!(layer.bias_gradients[j], layer.deltas[j]);
                    for (i, &x) in layer.inputs.iter().enumerate() {
                        assert!(tight(layer.weight_gradients[j][i], layer.deltas[j] * x), "{name}: dL/dw = delta x input");
                    }
                }
            }
            let output = e.layers.last().unwrap();
            let (value, gradient) = reference_loss(loss_kind, &output.pre_activations, &e.target);
            assert!(near(e.loss.value, value), "{name}: loss {} against {value}", e.loss.value);
            for (k, g) in gradient.iter().enumerate() {
                assert!(near(output.deltas[k], *g) && near(e.loss.gradient[k], *g), "{name}: output delta {k}");
            }

            // Every gradient against finite differences of the point's loss.
            let network = trainer.network();
            let gradients: Vec<f64> =
                e.layers.iter().flat_map(|l| l.weight_gradients.iter().flatten().chain(&l.bias_gradients)).copied().collect();
            let kinked = matches!(activation, Activation::Relu | Activation::LeakyRelu | Activation::Elu)
                && e.layers.iter().any(|l| l.pre_activations.iter().any(|z| z.abs() < 1e-4));
            if kinked {
                continue;
            }
            let h = 1e-6;
            for (index, &analytic) in gradients.iter().enumerate() {
                let mut moved = network.clone();
                moved.params[index] += h;
                let plus = loss_at(&moved, loss_kind, &e.inputs, &e.target);
                moved.params[index] -= 2.0 * h;
                let minus = loss_at(&moved, loss_kind, &e.inputs, &e.target);
                let numeric = (plus - minus) / (2.0 * h);
                assert!(
                    (numeric - analytic).abs() <= 1e-7 + 1e-5 * analytic.abs(),
                    "{name}: parameter {index}: {analytic} against {numeric}"
                );
            }
        }
    }
}

#[test]
fn the_formulas_carry_the_numbers() {
    let trainer = trained(preset("playground", &[]), 10);
    let e = explain::step(&trainer, 0).unwrap();
    let names = trainer.data().input_names();
    let first = &e.layers[0];
    let formula = text::neuron_formula(trainer.network(), &names, 0, 0);
    assert!(formula.starts_with("tanh(") && formula.contains(" * x + ") && formula.contains(" * y + "), "{formula}");
    assert_eq!(first.neurons[0].formula, format!("{formula} = {}", text::num(first.activations[0])));
    assert_eq!(
        first.neurons[0].forward,
        format!(
            "tanh({} * {} + {} * {} + {}) = tanh({}) = {}",
            text::num(first.weights[0][0]),
            text::num(first.inputs[0]),
            text::num(first.weights[0][1]),
            text::num(first.inputs[1]),
            text::num(first.bias[0]),
            text::num(first.pre_activations[0]),
            text::num(first.activations[0])
        )
    );
    let output = e.layers.last().unwrap();
    assert_eq!(
        e.loss.formula,
        format!(
            "L = 1/2 (y - t)^2 = 1/2 ({} - {})^2 = {}",
            text::num(output.pre_activations[0]),
            text::num(e.target[0]),
            text::num(e.loss.value)
        )
    );
    assert!(output.neurons[0].backward.starts_with("delta = dL/dz = y - t = "), "{}", output.neurons[0].backward);
    let update = e.weight_update(0, 0, 1).unwrap();
    assert!(update.formula.starts_with(&format!(
        "dL/dw = delta * input = {} * {} = ",
        text::num(first.deltas[0]),
        text::num(first.inputs[1])
    )));
    assert!(update.formula.contains(" - 0.030 * "), "{}", update.formula);
    assert!(first.neurons[1].backward.contains("sum over h2.1, h2.2"), "{}", first.neurons[1].backward);
    // Round trip: the JSON document reads back as the same explanation
    // (serde_json's reading may be off by an ulp, Python's is exact).
    let json = serde_json::to_string(&e).unwrap();
    let read: Explanation = serde_json::from_str(&json).unwrap();
    same_json(&serde_json::to_value(&read).unwrap(), &serde_json::to_value(&e).unwrap(), "explanation");
}

fn same_json(a: &serde_json::Value, b: &serde_json::Value, path: &str) {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= 4.0 * f64::EPSILON * y.abs(), "{path}: {x} against {y}");
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            x.iter().zip(y).enumerate().for_each(|(i, (x, y))| same_json(x, y, &format!("{path}[{i}]")));
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>(), "{path}");
            x.iter().for_each(|(key, value)| same_json(value, &y[key], &format!("{path}.{key}")));
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

#[test]
fn networks_the_mode_cannot_show_are_refused_saying_why() {
    let refused = |name: &str, overrides: &[&str]| explain::step(&trained(preset(name, overrides), 0), 0).unwrap_err();
    assert!(matches!(refused("playground", &["network.batch_norm=true"]), ExplainError::BatchNorm));
    assert!(refused("playground", &["network.batch_norm=true"]).to_string().contains("batch normalisation"));
    assert!(matches!(refused("playground", &["network.dropout=0.2"]), ExplainError::Dropout { .. }));
    assert_eq!(refused("playground", &["network.hidden=[4, 9]"]), ExplainError::TooWide { index: 1, width: 9 });
    assert_eq!(refused("playground", &["network.hidden=[2, 2, 2, 2, 2]"]), ExplainError::TooDeep { layers: 5 });
    assert!(matches!(refused("digits-mlp", &["network.hidden=[8]"]), ExplainError::TooManyInputs { inputs: 64, .. }));
    assert_eq!(refused("digits-cnn", &[]), ExplainError::Convolution);
    let largest = trained(
        preset(
            "playground",
            &[
                "network.hidden=[8, 8, 8, 8]",
                "data.features=[\"x\", \"y\", \"x^2\", \"y^2\", \"xy\", \"sin-x\", \"sin-y\", \"cos-x\", \"cos-y\"]",
            ],
        ),
        0,
    );
    assert!(explain::step(&largest, 0).is_ok(), "the largest readable network is explained");

    let trainer = trained(preset("playground", &[]), 0);
    let len = trainer.data().train.len();
    let message = explain::step(&trainer, len).unwrap_err().to_string();
    assert!(message.contains(&format!("point {len}")) && message.contains(&format!("{len} points")), "{message}");

    let mut diverging = Trainer::new(preset(
        "playground",
        &["network.activation=linear", "network.hidden=[8, 8, 8]", "network.gain=3.0", "training.learning_rate=5.0"],
    ))
    .unwrap();
    diverging.run(200);
    assert!(diverging.diverged().is_some(), "the case should diverge");
    assert!(matches!(explain::step(&diverging, 0), Err(ExplainError::Diverged(_))));
}
