//! Emergence, read off a run's history: when the training set was fitted
//! and when the test set followed (grokking's two moments), where the loss
//! sat on a plateau and where it dropped suddenly, and when each layer's
//! features settled.

use serde::Serialize;

use crate::maths;
use crate::train::{History, ProbeRecord, Trainer};

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

/// The fit moments of a history: exact even when its records have been
/// thinned (the history keeps every record-breaking accuracy).
pub fn fit_moments(history: &History, threshold: f64) -> FitMoments {
    let (train_step, test_step) = history.first_reaching(threshold);
    FitMoments { threshold, train_step, test_step }
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
            let mut values: Vec<f64> = window.iter().map(loss).filter(|v| v.is_finite() && *v > 0.0).map(maths::log10).collect();
            values.sort_by(f64::total_cmp);
            values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
        })
        .collect()
}

/// For each index i, the last index j >= i such that every value of
/// `values[i..=j]` is finite and they span at most `band`; i - 1 (wrapping
/// to usize::MAX at 0) where `values[i]` itself is not finite. Two pointers
/// and monotone queues of the window's minimum and maximum: linear time.
fn flat_reach(values: &[f64], band: f64) -> Vec<usize> {
    use std::collections::VecDeque;
    let n = values.len();
    let mut reach = vec![0; n];
    let (mut lows, mut highs): (VecDeque<usize>, VecDeque<usize>) = (VecDeque::new(), VecDeque::new());
    let mut end = 0; // one past the window's last index
    for i in 0..n {
        while lows.front().is_some_and(|&k| k < i) {
            lows.pop_front();
        }
        while highs.front().is_some_and(|&k| k < i) {
            highs.pop_front();
        }
        if !values[i].is_finite() {
            reach[i] = i.wrapping_sub(1);
            end = end.max(i + 1);
            lows.clear();
            highs.clear();
            continue;
        }
        end = end.max(i);
        while end < n && values[end].is_finite() {
            let v = values[end];
            let low = lows.front().map_or(v, |&k| values[k]).min(v);
            let high = highs.front().map_or(v, |&k| values[k]).max(v);
            if high - low > band {
                break;
            }
            while lows.back().is_some_and(|&k| values[k] >= v) {
                lows.pop_back();
            }
            lows.push_back(end);
            while highs.back().is_some_and(|&k| values[k] <= v) {
                highs.pop_back();
            }
            highs.push_back(end);
            end += 1;
        }
        reach[i] = end - 1;
    }
    reach
}

/// Plateaus and sudden drops of a loss curve. Both are judged on a log scale
/// of steps: a plateau must last while training at least doubles its step
/// count, a drop must happen within a step count that grows by at most
/// half and must start where its plateau ends, so the same shape is found
/// early or late in a run. Linear in the number of records (a drop search
/// runs only after a plateau, and plateaus at least double the step count,
/// so there are few of them).
pub fn loss_phases(records: &[ProbeRecord], loss: fn(&ProbeRecord) -> f64) -> Vec<LossPhase> {
    let log_loss = smoothed_log_loss(records, loss);
    let n = records.len();
    let step = |i: usize| records[i].step.max(1) as f64;
    let within_ten_percent = maths::log10(1.1);
    let halving = maths::log10(2.0);
    let reach = flat_reach(&log_loss, within_ten_percent);
    let mut phases: Vec<LossPhase> = Vec::new();
    let phase = |kind, from: usize, to: usize| LossPhase {
        kind,
        start_step: records[from].step,
        end_step: records[to].step,
        start_loss: maths::powf(10.0, log_loss[from]),
        end_loss: maths::powf(10.0, log_loss[to]),
    };
    let drop_from = |start: usize| {
        (start + 1..n)
            .take_while(|&k| step(k) <= 1.5 * step(start))
            .find(|&k| log_loss[k].is_finite() && log_loss[start] - log_loss[k] >= halving)
    };
    let mut i = 0;
    while i < n {
        if !log_loss[i].is_finite() {
            i += 1;
            continue;
        }
        let j = reach[i];
        let long = j >= i + 4 && step(j) >= 2.0 * step(i) && (records[j].step - records[i].step) as f64 >= 0.05 * step(n - 1);
        if !(long && records[i].step > 0) {
            i += 1;
            continue;
        }
        phases.push(phase(PhaseKind::Plateau, i, j));
        // A drop out of it starts at its last probe (or, as the smoothing
        // can lag, one of the next two), never later.
        let drop = (j..(j + 3).min(n)).filter(|&start| log_loss[start].is_finite()).find_map(|start| drop_from(start).map(|k| (start, k)));
        match drop {
            Some((start, end)) => {
                phases.push(phase(PhaseKind::SuddenDrop, start, end));
                i = end;
            }
            None => i = j + 1,
        }
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
    /// Modular addition: each first-layer neuron's dominant frequency and
    /// the share of its incoming weights' power there, at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequencies: Option<Vec<super::fourier::NeuronFrequency>>,
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
    let frequencies = match trainer.data().plane {
        crate::data::InputPlane::Pairs { modulus } => super::fourier::neuron_frequencies(trainer.network(), modulus),
        _ => None,
    };
    EmergenceReport {
        moments: fit_moments(trainer.history(), FIT_ACCURACY),
        phases: loss_phases(records, |r| r.train_loss),
        layers,
        frequencies,
    }
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
        let mut history = History::default();
        for (i, mut r) in records.into_iter().enumerate() {
            r.train_acc = Some(if i >= 10 { 1.0 } else { 0.5 });
            r.test_acc = Some(if i >= 60 { 0.97 } else { 0.1 });
            history.push(r);
        }
        let moments = fit_moments(&history, 0.95);
        assert_eq!((moments.train_step, moments.test_step), (Some(110), Some(610)));
    }

    /// A drop thousands of steps after the plateau ended is not the drop
    /// out of that plateau.
    #[test]
    fn a_late_drop_does_not_follow_an_earlier_plateau() {
        let mut records = Vec::new();
        for step in (0..=20_000).step_by(20) {
            let loss = match step {
                0..=99 => 1.0 - step as f64 * 0.003,
                100..=1000 => 0.7,
                // a slow decline, then a fall at 15,000 from no plateau
                1001..=14_999 => 0.7 - (step - 1000) as f64 * 0.00002,
                15_000..=15_400 => 0.42 - (step - 15_000) as f64 * 0.0009,
                _ => 0.06,
            };
            records.push(record(step, loss));
        }
        let phases = loss_phases(&records, |r| r.train_loss);
        for drop in phases.iter().filter(|p| p.kind == PhaseKind::SuddenDrop) {
            let plateau =
                phases.iter().rev().find(|p| p.kind == PhaseKind::Plateau && p.end_step <= drop.start_step).expect("a plateau before it");
            assert!(drop.start_step <= plateau.end_step + 100, "drop {drop:?} long after plateau {plateau:?}");
        }
    }

    /// 200,000 probes: the scan stays linear (it took 40 s when quadratic).
    #[test]
    fn the_phase_scan_is_linear() {
        let records: Vec<ProbeRecord> = (0..200_000u64).map(|s| record(s, 1.0 / (1.0 + (s as f64).sqrt()))).collect();
        let started = std::time::Instant::now();
        let phases = loss_phases(&records, |r| r.train_loss);
        // Not a timing assertion (machines are noisy): a quadratic scan
        // would not finish in any test's lifetime; this just shows it ran.
        assert!(phases.len() < 1000, "{} phases in {:?}", phases.len(), started.elapsed());
    }

    #[test]
    fn flat_reach_matches_brute_force() {
        let values = [0.0, 0.05, 0.02, 0.3, f64::NAN, 0.1, 0.12, 0.5, 0.45, 0.47];
        let reach = flat_reach(&values, 0.1);
        for i in 0..values.len() {
            if !values[i].is_finite() {
                continue;
            }
            let mut j = i;
            while j + 1 < values.len() && values[j + 1].is_finite() {
                let window = &values[i..=j + 1];
                let (lo, hi) = window.iter().fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
                if hi - lo > 0.1 {
                    break;
                }
                j += 1;
            }
            assert_eq!(reach[i], j, "at {i}");
        }
    }
}
