//! The settings panel: data, network and training. Every widget edits the
//! draft config; the session applies it (in place, or by rebuilding).

use bevy_egui::egui;

use super::{Frame, Requests};
use crate::config::{Config, ConvConfig, Limits, Padding};
use crate::data::{DatasetKind, Feature};
use crate::i18n::Localizer;
use crate::nn::{Activation, Init, Loss, OptimizerKind};
use crate::run::session::{Command, SessionView, Stop};
use crate::tr;

/// A choice among the config's named values (those names stay as the
/// config writes them); `id` keeps the box's state when the language of
/// its label changes.
fn combo<T: Copy + PartialEq>(ui: &mut egui::Ui, id: &str, label: String, value: &mut T, options: &[T], name: impl Fn(T) -> &'static str) {
    egui::ComboBox::new(id, label).selected_text(name(*value)).show_ui(ui, |ui| {
        for &option in options {
            ui.selectable_value(value, option, name(option));
        }
    });
}

/// A slider for a value that may be 0 and otherwise spans decades.
fn log_slider(ui: &mut egui::Ui, value: &mut f64, (low, high): (f64, f64), smallest: f64, label: String) -> egui::Response {
    ui.add(egui::Slider::new(value, low..=high).logarithmic(true).smallest_positive(smallest).text(label))
}

/// Where training stops by itself, as the settings panel edits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    Never,
    /// When the step count reaches `steps`.
    AtStep,
    /// When `epochs` passes over the training set are complete.
    AfterEpochs,
}

/// The "stop after" control's state. It keeps both numbers, so switching
/// between steps and epochs does not lose either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopSetting {
    pub kind: StopKind,
    pub steps: u64,
    pub epochs: u64,
}

impl Default for StopSetting {
    fn default() -> Self {
        Self { kind: StopKind::Never, steps: 1000, epochs: 10 }
    }
}

impl StopSetting {
    /// What the session is told.
    pub fn stop(&self) -> Stop {
        match self.kind {
            StopKind::Never => Stop::Never,
            StopKind::AtStep => Stop::AtStep(self.steps),
            StopKind::AfterEpochs => Stop::AfterEpochs(self.epochs),
        }
    }

    /// The setting showing `stop` (the session's), keeping this one's
    /// other number.
    pub fn showing(self, stop: Stop) -> Self {
        match stop {
            Stop::Never => Self { kind: StopKind::Never, ..self },
            Stop::AtStep(steps) => Self { kind: StopKind::AtStep, steps, ..self },
            Stop::AfterEpochs(epochs) => Self { kind: StopKind::AfterEpochs, epochs, ..self },
        }
    }

    /// The control; returns the command for the session when it changed.
    pub fn show(&mut self, ui: &mut egui::Ui, lab: &SessionView, tr: &Localizer) -> Option<Command> {
        let before = *self;
        let kind_name = |kind| match kind {
            StopKind::Never => tr!(tr, "controls-stop-never"),
            StopKind::AtStep => tr!(tr, "controls-stop-at-step"),
            StopKind::AfterEpochs => tr!(tr, "controls-stop-after-epoch"),
        };
        ui.horizontal(|ui| {
            ui.label(tr!(tr, "controls-stop"));
            egui::ComboBox::from_id_salt("stop-kind").width(84.0).selected_text(kind_name(self.kind)).show_ui(ui, |ui| {
                for kind in [StopKind::Never, StopKind::AtStep, StopKind::AfterEpochs] {
                    ui.selectable_value(&mut self.kind, kind, kind_name(kind));
                }
            });
            match self.kind {
                StopKind::Never => {}
                StopKind::AtStep => {
                    ui.add(egui::DragValue::new(&mut self.steps).range(1..=Limits::STEPS.1).speed(10.0));
                }
                StopKind::AfterEpochs => {
                    ui.add(egui::DragValue::new(&mut self.epochs).range(1..=1_000_000).speed(0.2));
                }
            }
        });
        let reached = match self.stop() {
            Stop::Never => None,
            Stop::AtStep(step) => (lab.step >= step).then(|| tr!(tr, "controls-stop-reached-step", step = lab.step)),
            Stop::AfterEpochs(epochs) => {
                (lab.epochs_completed >= epochs).then(|| tr!(tr, "controls-stop-reached-epochs", epochs = lab.epochs_completed))
            }
        };
        if let Some(reached) = reached {
            ui.small(reached);
        }
        (*self != before).then(|| Command::StopAt(self.stop()))
    }
}

#[derive(Default)]
pub struct Controls {
    stop: StopSetting,
    /// Stops sent that the session's snapshot does not show yet.
    stops_sent: Vec<Stop>,
}

impl Controls {
    pub fn show(&mut self, ui: &mut egui::Ui, frame: &Frame, config: &mut Config, requests: &mut Requests) {
        // The session may have been told elsewhere (`--stop-after`); while
        // it has not caught up with this control, the control is right.
        if self.stops_sent.last() == Some(&frame.lab.stop) {
            self.stops_sent.clear();
        }
        if self.stops_sent.is_empty() && self.stop.stop() != frame.lab.stop {
            self.stop = self.stop.showing(frame.lab.stop);
        }
        let tr = frame.tr;
        egui::CollapsingHeader::new(tr!(tr, "controls-section-run")).id_salt("controls-run").default_open(true).show(ui, |ui| {
            if let Some(command) = self.stop.show(ui, frame.lab, tr) {
                if let Command::StopAt(stop) = command {
                    self.stops_sent.push(stop);
                }
                requests.run(command);
            }
        });
        egui::CollapsingHeader::new(tr!(tr, "controls-section-data"))
            .id_salt("controls-data")
            .default_open(true)
            .show(ui, |ui| data_section(ui, config, tr));
        egui::CollapsingHeader::new(tr!(tr, "controls-section-network")).id_salt("controls-network").default_open(true).show(ui, |ui| {
            network_section(ui, config, tr);
            if ui.button(tr!(tr, "controls-edge-of-chaos")).on_hover_text(tr!(tr, "controls-edge-of-chaos-tooltip")).clicked() {
                requests.toggles.push(crate::app::windows::Toggle::EdgeOfChaos);
            }
        });
        egui::CollapsingHeader::new(tr!(tr, "controls-section-training"))
            .id_salt("controls-training")
            .default_open(true)
            .show(ui, |ui| training_section(ui, config, tr));
    }
}

fn data_section(ui: &mut egui::Ui, config: &mut Config, tr: &Localizer) {
    let data = &mut config.data;
    combo(ui, "dataset", tr!(tr, "controls-dataset"), &mut data.dataset, &DatasetKind::ALL, DatasetKind::name);
    let (points, pairs, images) = match data.dataset {
        DatasetKind::ModularAddition => (false, true, false),
        kind if kind.image_side().is_some() => (false, false, true),
        _ => (true, false, false),
    };
    if data.dataset == DatasetKind::Csv {
        let mut path = data.csv.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
        ui.horizontal(|ui| {
            ui.label(tr!(tr, "controls-csv-file"));
            if ui.text_edit_singleline(&mut path).lost_focus() || data.csv.is_none() {
                data.csv = (!path.trim().is_empty()).then(|| path.trim().into());
            }
        });
    } else {
        data.csv = None;
    }
    if data.dataset == DatasetKind::MultiSpiral {
        let (low, high) = Limits::CLASSES;
        ui.add(egui::Slider::new(&mut data.classes, low..=high).text(tr!(tr, "controls-classes")));
    }
    if pairs {
        let (low, high) = Limits::MODULUS;
        ui.add(egui::Slider::new(&mut data.modulus, low..=high).text(tr!(tr, "controls-modulus")));
    }
    if images {
        ui.checkbox(&mut data.augment, tr!(tr, "controls-augment"));
    } else {
        data.augment = false;
    }
    if points {
        let (low, high) = Limits::NOISE;
        ui.add(egui::Slider::new(&mut data.noise, low..=high).text(tr!(tr, "controls-noise")));
    }
    let (low, high) = Limits::TRAIN_FRACTION;
    ui.add(egui::Slider::new(&mut data.train_fraction, low..=high).text(tr!(tr, "controls-train-fraction")));
    if points {
        let (low, high) = Limits::SAMPLES;
        ui.add(egui::Slider::new(&mut data.samples, low..=high.min(20_000)).logarithmic(true).text(tr!(tr, "controls-samples")));
        ui.label(tr!(tr, "controls-input-features"));
        ui.horizontal_wrapped(|ui| {
            for feature in Feature::ALL {
                let mut on = data.features.contains(&feature);
                if ui.toggle_value(&mut on, feature.name()).changed() {
                    toggle_feature(&mut data.features, feature, on);
                }
            }
        });
    }
    if !images {
        config.network.conv.clear();
    }
}

/// Switches a feature on or off, keeping the features in their canonical
/// order and never leaving none.
pub fn toggle_feature(features: &mut Vec<Feature>, feature: Feature, on: bool) {
    if on && !features.contains(&feature) {
        features.push(feature);
        features.sort_by_key(|f| Feature::ALL.iter().position(|g| g == f));
    } else if !on && features.len() > 1 {
        features.retain(|&f| f != feature);
    }
}

fn network_section(ui: &mut egui::Ui, config: &mut Config, tr: &Localizer) {
    if config.data.dataset.image_side().is_some() {
        conv_section(ui, config, tr);
    }
    let network = &mut config.network;
    ui.horizontal(|ui| {
        ui.label(tr!(tr, "controls-hidden-layers", count = network.hidden.len()));
        if ui.small_button("−").clicked() && !network.hidden.is_empty() {
            network.hidden.pop();
            network.activations.truncate(network.hidden.len());
        }
        if ui.small_button("+").clicked() && network.hidden.len() < Limits::MAX_HIDDEN_LAYERS {
            let width = network.hidden.last().copied().unwrap_or(4);
            network.hidden.push(width);
            if !network.activations.is_empty() {
                network.activations.push(network.activation);
            }
        }
    });
    if !network.hidden.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.label(tr!(tr, "controls-widths"));
            let (low, high) = (1, Limits::MAX_WIDTH);
            for width in &mut network.hidden {
                ui.add(egui::DragValue::new(width).range(low..=high).speed(0.2));
            }
        });
    }
    let before = network.activation;
    combo(ui, "activation", tr!(tr, "controls-activation"), &mut network.activation, &Activation::ALL, Activation::name);
    if network.activation != before {
        // A new global activation replaces the per-layer choices.
        network.activations.clear();
    }
    if network.activation == Activation::LeakyRelu || network.activations.contains(&Activation::LeakyRelu) {
        let (low, high) = Limits::LEAKY_SLOPE;
        ui.add(egui::Slider::new(&mut network.leaky_slope, low..=high).text(tr!(tr, "controls-leaky-slope")));
    }
    combo(ui, "initialisation", tr!(tr, "controls-initialisation"), &mut network.init, &Init::ALL, Init::name);
    let gain = match network.init {
        Init::Zeros => tr!(tr, "controls-gain-zeros"),
        Init::Constant => tr!(tr, "controls-gain-constant"),
        Init::Uniform => tr!(tr, "controls-gain-uniform"),
        Init::Normal => tr!(tr, "controls-gain-normal"),
        _ => tr!(tr, "controls-gain-scale"),
    };
    ui.add(egui::Slider::new(&mut network.gain, 0.0..=10.0).text(gain));
    let (low, high) = Limits::BIAS_INIT;
    ui.add(egui::Slider::new(&mut network.bias_init, low.max(-2.0)..=high.min(2.0)).text(tr!(tr, "controls-bias-init")));
    ui.checkbox(&mut network.batch_norm, tr!(tr, "controls-batch-norm"));
    let (low, high) = Limits::DROPOUT;
    ui.add(egui::Slider::new(&mut network.dropout, low..=high).text(tr!(tr, "controls-dropout")));
}

/// Convolution layers (image data): filters, kernel, padding, pooling.
fn conv_section(ui: &mut egui::Ui, config: &mut Config, tr: &Localizer) {
    let conv = &mut config.network.conv;
    ui.horizontal(|ui| {
        ui.label(tr!(tr, "controls-conv-layers", count = conv.len()));
        if ui.small_button("−").clicked() {
            conv.pop();
        }
        if ui.small_button("+").clicked() && conv.len() < Limits::MAX_CONV_LAYERS {
            let filters = conv.last().map_or(8, |c| c.filters * 2).min(Limits::FILTERS.1);
            conv.push(ConvConfig { filters, ..ConvConfig::default() });
        }
    });
    let filters = format!(" {}", tr!(tr, "controls-conv-filters"));
    for (index, layer) in conv.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            ui.label(tr!(tr, "controls-conv-layer", number = index + 1));
            let (low, high) = Limits::FILTERS;
            ui.add(egui::DragValue::new(&mut layer.filters).range(low..=high).suffix(filters.as_str()));
            egui::ComboBox::from_id_salt(("kernel", index)).selected_text(format!("{0}x{0}", layer.kernel)).width(46.0).show_ui(ui, |ui| {
                ui.selectable_value(&mut layer.kernel, 3, "3x3");
                ui.selectable_value(&mut layer.kernel, 5, "5x5");
            });
            egui::ComboBox::from_id_salt(("padding", index)).selected_text(layer.padding.name()).width(52.0).show_ui(ui, |ui| {
                ui.selectable_value(&mut layer.padding, Padding::Same, "same");
                ui.selectable_value(&mut layer.padding, Padding::Valid, "valid");
            });
            ui.checkbox(&mut layer.pool, tr!(tr, "controls-conv-pool"));
        });
    }
}

fn training_section(ui: &mut egui::Ui, config: &mut Config, tr: &Localizer) {
    let training = &mut config.training;
    combo(ui, "loss", tr!(tr, "controls-loss"), &mut training.loss, &Loss::ALL, Loss::name);
    combo(ui, "optimiser", tr!(tr, "controls-optimiser"), &mut training.optimizer, &OptimizerKind::ALL, OptimizerKind::name);
    let (low, high) = Limits::LEARNING_RATE;
    log_slider(ui, &mut training.learning_rate, (low.max(1e-5), high), 1e-5, tr!(tr, "controls-learning-rate"));
    if training.optimizer == OptimizerKind::Momentum {
        let (low, high) = Limits::MOMENTUM;
        ui.add(egui::Slider::new(&mut training.momentum, low..=high).text(tr!(tr, "controls-momentum")));
        ui.checkbox(&mut training.nesterov, tr!(tr, "controls-nesterov"));
    } else {
        training.nesterov = false;
    }
    let (low, high) = Limits::BATCH_SIZE;
    ui.add(egui::Slider::new(&mut training.batch_size, low..=high.min(1024)).logarithmic(true).text(tr!(tr, "controls-batch-size")));
    log_slider(ui, &mut training.l1, Limits::PENALTY, 1e-6, tr!(tr, "controls-l1"));
    log_slider(ui, &mut training.l2, Limits::PENALTY, 1e-6, tr!(tr, "controls-l2"));
    if training.optimizer == OptimizerKind::Adam {
        ui.label(tr!(tr, "controls-weight-decay-adam"));
        training.weight_decay = 0.0;
    } else {
        log_slider(ui, &mut training.weight_decay, Limits::WEIGHT_DECAY, 1e-6, tr!(tr, "controls-weight-decay"));
    }
    log_slider(ui, &mut training.grad_clip, (0.0, 100.0), 1e-3, tr!(tr, "controls-gradient-clip"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigSource, load_config};

    /// Draws the data and network settings once, as a frame would.
    fn draw_settings(config: &mut Config) {
        let ctx = egui::Context::default();
        let (tr, _) = Localizer::built_in(&["en-US".to_string()]);
        let mut output = ctx.run_ui(egui::RawInput::default(), |ui| {
            data_section(ui, config, &tr);
            network_section(ui, config, &tr);
        });
        // No renderer here to take the font texture.
        output.textures_delta.clear();
    }

    #[test]
    fn image_data_sets_keep_their_convolutions_and_points_drop_them() {
        for preset in ["mnist-cnn", "digits-cnn"] {
            let mut config = load_config(&ConfigSource::Preset(preset.into()), &[]).unwrap();
            let before = config.network.conv.clone();
            assert!(!before.is_empty());
            draw_settings(&mut config);
            assert_eq!(config.network.conv, before, "{preset}: the settings panel changed the convolutions");
        }
        let mut config = load_config(&ConfigSource::Preset("mnist-cnn".into()), &[]).unwrap();
        config.data.dataset = DatasetKind::Circle;
        draw_settings(&mut config);
        assert!(config.network.conv.is_empty(), "points have no image to convolve");
    }
}
