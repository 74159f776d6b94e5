//! Emergence, read off a run's history: when the training set was fitted
//! and when the test set followed (grokking's two moments), where the loss
//! sat on a plateau and where it dropped suddenly, and when each layer's
//! features settled.

use serde::Serialize;

use crate::train::{ProbeRecord, Trainer};

/// The accuracy at which a split counts as fitted.
pub const FIT_ACCURACY: f64 = 0.95;

/// The first probe steps at which train and test accuracy reached the
/// threshold. Grokking is a test moment far later than the train moment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FitMoments {
    pub threshold: f64,
    pub train_step: Option<u64>,
    pub test_step: Option<u64>,
}

pub fn fit_moments(records: &[ProbeRecord], threshold: f64) -> FitMoments {
    let first =
        |accuracy: fn(&ProbeRecord) -> Option<f64>| records.iter().find(|r| accuracy(r).is_some_and(|a| a >= threshold)).map(|r| r.step);
    FitMoments { threshold, train_step: first(|r| r.train_acc), test_step: first(|r| r.test_acc) }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseKind {
    /// The loss stays within 10% over at least five probes while the step
    /// count at least doubles (and for at least 5% of the run).
    Plateau,
    /// After a plateau, the loss halves (or more) within a stretch that is
    /// short next to the steps already taken (the step count grows by at
    /// most half).
    SuddenDrop,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LossPhase {
    pub kind: PhaseKind,
    pub start_step: u64,
    pub end_step: u64,
    /// The (smoothed) loss at the start and at the end.
    pub start_loss: f64,
    pub end_loss: f64,
}

/// A running median of five probes, so one noisy mini-batch neither makes
/// nor breaks a phase.
fn smoothed_log_loss(records: &[ProbeRecord], loss: fn(&ProbeRecord) -> f64) -> Vec<f64> {
    (0..records.len())
        .map(|i| {
            let window = &records[i.saturating_sub(2)..(i + 3).min(records.len())];
            let mut values: Vec<f64> = window.iter().map(loss).filter(|v| v.is_finite() && *v > 0.0).map(f64::log10).collect();
            values.sort_by(f64::total_cmp);
            values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
        })
        .collect()
}

/// Plateaus and sudden drops of a loss curve. Both are judged on a log scale
/// of steps: a plateau must last while training at least doubles its step
/// count, a drop must happen within a step count that grows by at most
/// half, so the same shape is found early or late in a run.
pub fn loss_phases(records: &[ProbeRecord], loss: fn(&ProbeRecord) -> f64) -> Vec<LossPhase> {
    let log_loss = smoothed_log_loss(records, loss);
    let step = |i: usize| records[i].step.max(1) as f64;
    let within_ten_percent = 1.1f64.log10();
    let halving = 2f64.log10();
    let mut phases: Vec<LossPhase> = Vec::new();
    let phase = |kind, from: usize, to: usize| LossPhase {
        kind,
        start_step: records[from].step,
        end_step: records[to].step,
        start_loss: 10f64.powf(log_loss[from]),
        end_loss: 10f64.powf(log_loss[to]),
    };
    let mut i = 0;
    while i < records.len() {
        if !log_loss[i].is_finite() {
            i += 1;
            continue;
        }
        // The longest stretch from i within the flat band.
        let (mut low, mut high, mut j) = (log_loss[i], log_loss[i], i);
        while j + 1 < records.len() && log_loss[j + 1].is_finite() {
            let (l, h) = (low.min(log_loss[j + 1]), high.max(log_loss[j + 1]));
            if h - l > within_ten_percent {
                break;
            }
            (low, high, j) = (l, h, j + 1);
        }
        let long = j >= i + 4 && step(j) >= 2.0 * step(i) && (records[j].step - records[i].step) as f64 >= 0.05 * step(records.len() - 1);
        if long && records[i].step > 0 {
            phases.push(phase(PhaseKind::Plateau, i, j));
            i = j;
            continue;
        }
        // A drop out of a plateau: the loss halves before the step count
        // grows by half.
        let after_plateau = phases.last().is_some_and(|p| p.kind == PhaseKind::Plateau);
        let drop_end = (i + 1..records.len()).take_while(|&k| step(k) <= 1.5 * step(i)).find(|&k| log_loss[i] - log_loss[k] >= halving);
        if let (Some(k), true) = (drop_end, after_plateau) {
            phases.push(phase(PhaseKind::SuddenDrop, i, k));
            i = k;
            continue;
        }
        i += 1;
    }
    phases
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerSettling {
    /// Counted from 1 at the first hidden layer.
    pub layer: usize,
    /// When 90% of the layer's neurons had settled, if they have.
    pub settled_step: Option<u64>,
    /// Per neuron: settled since this step, or `null` while still changing.
    pub neurons: Vec<Option<u64>>,
    /// Per neuron: the latest relative change of its output per 100 steps.
    pub change_per_100_steps: Vec<Option<f64>>,
}

/// Everything this module reads off a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmergenceReport {
    pub moments: FitMoments,
    pub phases: Vec<LossPhase>,
    pub layers: Vec<LayerSettling>,
}

pub fn emergence_report(trainer: &Trainer) -> EmergenceReport {
    let records = trainer.history().records();
    let settling = trainer.settling();
    let layers = (0..trainer.network().hidden_layers())
        .map(|layer| LayerSettling {
            layer: layer + 1,
            settled_step: settling.layer_settled_step(layer),
            neurons: (0..trainer.network().layers[layer].outputs).map(|unit| settling.settled_since(layer, unit)).collect(),
            change_per_100_steps: (0..trainer.network().layers[layer].outputs)
                .map(|unit| settling.rate(layer, unit).filter(|r| r.is_finite()))
                .collect(),
        })
        .collect();
    EmergenceReport { moments: fit_moments(records, FIT_ACCURACY), phases: loss_phases(records, |r| r.train_loss), layers }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(step: u64, loss: f64) -> ProbeRecord {
        ProbeRecord { step, train_loss: loss, test_loss: loss, train_acc: None, test_acc: None, layers: Vec::new() }
    }

    #[test]
    fn a_plateau_then_a_sudden_drop_are_found() {
        // Falls, sits at 0.7 from step 100 to 1000, drops to 0.05 by 1100.
        let mut records = Vec::new();
        for step in (0..=2000).step_by(20) {
            let loss = match step {
                0..=99 => 1.0 - step as f64 * 0.003,
                100..=1000 => 0.7,
                1001..=1100 => 0.7 - (step - 1000) as f64 * 0.0065,
                _ => 0.05,
            };
            records.push(record(step, loss));
        }
        let phases = loss_phases(&records, |r| r.train_loss);
        let plateau = phases.iter().find(|p| p.kind == PhaseKind::Plateau).expect("a plateau");
        assert!(plateau.start_step <= 160 && plateau.end_step >= 900, "{plateau:?}");
        let drop = phases.iter().find(|p| p.kind == PhaseKind::SuddenDrop).expect("a drop");
        assert!(drop.start_step >= 900 && drop.end_step <= 1200, "{drop:?}");
    }

    #[test]
    fn a_steady_decline_has_no_drop_and_moments_are_first_crossings() {
        let records: Vec<ProbeRecord> = (1..=100).map(|i| record(i * 10, 1.0 / (1.0 + i as f64 * 0.05))).collect();
        assert!(loss_phases(&records, |r| r.train_loss).iter().all(|p| p.kind != PhaseKind::SuddenDrop));
        let mut with_accuracy = records.clone();
        for (i, r) in with_accuracy.iter_mut().enumerate() {
            r.train_acc = Some(if i >= 10 { 1.0 } else { 0.5 });
            r.test_acc = Some(if i >= 60 { 0.97 } else { 0.1 });
        }
        let moments = fit_moments(&with_accuracy, 0.95);
        assert_eq!((moments.train_step, moments.test_step), (Some(110), Some(610)));
    }
}
