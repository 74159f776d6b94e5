//! When each hidden neuron's feature settles: how fast its output on the
//! probe batch still changes, and since which step it has been still.

use serde::{Deserialize, Serialize};

/// A neuron is settled while its output on the probe batch changes by less
/// than this fraction per 100 steps.
pub const SETTLED_RATE: f64 = 0.02;

/// Changes are measured over windows of at least this many steps (and at
/// least a fifth of the steps so far), so mini-batch jitter between two
/// close probes does not count as change.
pub const MIN_WINDOW: u64 = 100;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Settling {
    /// Each hidden layer's activations on the probe batch at the start of
    /// the current window.
    reference: Vec<Vec<f64>>,
    reference_step: Option<u64>,
    /// Per hidden layer and unit: the end of the last window over which the
    /// unit still changed faster than [`SETTLED_RATE`].
    last_change: Vec<Vec<u64>>,
    /// Per hidden layer and unit: the relative change per 100 steps over
    /// the last complete window (infinite before the first one ends).
    rate: Vec<Vec<f64>>,
}

impl Settling {
    /// Takes a probe: `layers` holds each hidden layer's activations
    /// (`rows x width`, row-major) and width.
    pub fn observe(&mut self, step: u64, rows: usize, layers: &[(&[f64], usize)]) {
        let same_shape = self.reference.len() == layers.len()
            && self
                .reference
                .iter()
                .zip(layers)
                .all(|(reference, (current, width))| reference.len() == rows * width && current.len() >= rows * width);
        let Some(reference_step) = self.reference_step.filter(|_| same_shape) else {
            self.last_change = layers.iter().map(|(_, width)| vec![step; *width]).collect();
            self.rate = layers.iter().map(|(_, width)| vec![f64::INFINITY; *width]).collect();
            self.restart(step, rows, layers);
            return;
        };
        let elapsed = step.saturating_sub(reference_step);
        if elapsed < MIN_WINDOW.max(reference_step / 5) {
            return;
        }
        for (index, (current, width)) in layers.iter().enumerate() {
            let reference = &self.reference[index];
            for unit in 0..*width {
                let (mut change, mut size, mut reference_size) = (0.0, 0.0f64, 0.0f64);
                for row in 0..rows {
                    let (now, before) = (current[row * width + unit], reference[row * width + unit]);
                    change += (now - before) * (now - before);
                    size += now * now;
                    reference_size += before * before;
                }
                let scale = size.max(reference_size).sqrt().max(1e-12);
                let rate = change.sqrt() / scale * 100.0 / elapsed as f64;
                self.rate[index][unit] = rate;
                // NaN counts as change: a non-finite unit is not settled.
                if rate.partial_cmp(&SETTLED_RATE) != Some(std::cmp::Ordering::Less) {
                    self.last_change[index][unit] = step;
                }
            }
        }
        self.restart(step, rows, layers);
    }

    fn restart(&mut self, step: u64, rows: usize, layers: &[(&[f64], usize)]) {
        self.reference = layers.iter().map(|(current, width)| current[..rows * width].to_vec()).collect();
        self.reference_step = Some(step);
    }

    /// The step since which the unit has been settled, or `None` while it
    /// still changes (or before the first window ends).
    pub fn settled_since(&self, layer: usize, unit: usize) -> Option<u64> {
        let rate = *self.rate.get(layer)?.get(unit)?;
        (rate < SETTLED_RATE).then(|| self.last_change[layer][unit])
    }

    /// The latest change rate of a unit (relative change per 100 steps).
    pub fn rate(&self, layer: usize, unit: usize) -> Option<f64> {
        self.rate.get(layer)?.get(unit).copied()
    }

    /// When a layer's features settled: the step by which 90% of its units
    /// had last changed, if at least 90% of them are settled now.
    pub fn layer_settled_step(&self, layer: usize) -> Option<u64> {
        let units = self.rate.get(layer)?.len();
        let mut settled: Vec<u64> = (0..units).filter_map(|unit| self.settled_since(layer, unit)).collect();
        if units == 0 || (settled.len() as f64) < 0.9 * units as f64 {
            return None;
        }
        settled.sort_unstable();
        let index = ((0.9 * units as f64).ceil() as usize).clamp(1, settled.len()) - 1;
        Some(settled[index])
    }

    /// Whether this record can belong to hidden layers of these widths
    /// probed on `rows` rows (a saved file could say otherwise).
    pub fn fits(&self, widths: &[usize], rows: usize) -> bool {
        let per_layer = |v: &Vec<Vec<u64>>| v.is_empty() || (v.len() == widths.len() && v.iter().zip(widths).all(|(u, &w)| u.len() == w));
        let rates = self.rate.is_empty() || (self.rate.len() == widths.len() && self.rate.iter().zip(widths).all(|(u, &w)| u.len() == w));
        let reference = self.reference.is_empty()
            || (self.reference.len() == widths.len() && self.reference.iter().zip(widths).all(|(r, &w)| r.len() == rows * w));
        per_layer(&self.last_change) && rates && reference && self.last_change.len() == self.rate.len()
    }

    pub fn layers(&self) -> usize {
        self.rate.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_still_unit_settles_and_a_moving_one_does_not() {
        let mut settling = Settling::default();
        let rows = 4;
        // Unit 0 keeps moving; unit 1 stops moving after step 200. The
        // probes at 50 and 250 fall inside windows and change nothing.
        let probes = [
            (0, (1.0, 1.0)),
            (50, (9.0, 9.0)),
            (100, (2.0, 2.0)),
            (200, (3.0, 3.0)),
            (250, (7.0, 3.0)),
            (300, (4.0, 3.0)),
            (400, (5.0, 3.0)),
        ];
        for (step, (moving, still)) in probes {
            let acts: Vec<f64> = (0..rows).flat_map(|_| [moving, still]).collect();
            settling.observe(step, rows, &[(&acts, 2)]);
            if step == 0 {
                assert_eq!(settling.settled_since(0, 1), None, "one probe says nothing");
            }
        }
        assert_eq!(settling.settled_since(0, 0), None);
        assert_eq!(settling.settled_since(0, 1), Some(200));
        assert_eq!(settling.layer_settled_step(0), None, "only half the layer settled");
        assert!(settling.rate(0, 0).unwrap() > SETTLED_RATE);
    }
}
