//! What a probe measures: per-layer statistics of activations, weights and
//! gradients, and fixed-bin histograms, on a fixed probe batch.

use serde::{Deserialize, Serialize};

use crate::nn::{Network, Workspace};

/// A histogram with fixed bin edges, so histograms of different steps can
/// be compared bin by bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub scale: HistogramScale,
    /// Lower edge of the first bin (of log10 |v| for `Log10Magnitude`).
    pub low: f64,
    /// Upper edge of the last bin.
    pub high: f64,
    pub counts: Vec<u32>,
    /// Values below `low` (for the log scale: non-zero magnitudes below it).
    pub below: u32,
    pub above: u32,
    /// Exact zeros (counted apart on the log scale, in a bin on the linear).
    pub zeros: u32,
    /// Non-finite values, never binned.
    pub non_finite: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HistogramScale {
    Linear,
    /// Bins of log10 |v|: gradients span many orders of magnitude.
    Log10Magnitude,
}

impl Histogram {
    pub fn new(scale: HistogramScale, low: f64, high: f64, bins: usize) -> Self {
        Self { scale, low, high, counts: vec![0; bins], below: 0, above: 0, zeros: 0, non_finite: 0 }
    }

    pub fn weights() -> Self {
        Self::new(HistogramScale::Linear, -2.0, 2.0, 40)
    }
    pub fn pre_activations() -> Self {
        Self::new(HistogramScale::Linear, -6.0, 6.0, 48)
    }
    pub fn activations() -> Self {
        Self::new(HistogramScale::Linear, -3.0, 3.0, 48)
    }
    pub fn gradients() -> Self {
        Self::new(HistogramScale::Log10Magnitude, -12.0, 2.0, 56)
    }

    pub fn bin_width(&self) -> f64 {
        (self.high - self.low) / self.counts.len() as f64
    }

    /// Centre of bin `index`, in the histogram's own coordinate.
    pub fn bin_centre(&self, index: usize) -> f64 {
        self.low + (index as f64 + 0.5) * self.bin_width()
    }

    pub fn total(&self) -> u32 {
        self.counts.iter().sum::<u32>()
            + self.below
            + self.above
            + self.non_finite
            + if self.scale == HistogramScale::Log10Magnitude { self.zeros } else { 0 }
    }

    pub fn add(&mut self, value: f64) {
        if !value.is_finite() {
            self.non_finite += 1;
            return;
        }
        if value == 0.0 {
            self.zeros += 1;
            if self.scale == HistogramScale::Log10Magnitude {
                return;
            }
        }
        let x = match self.scale {
            HistogramScale::Linear => value,
            HistogramScale::Log10Magnitude => crate::maths::log10(value.abs()),
        };
        if x < self.low {
            self.below += 1;
        } else if x >= self.high {
            self.above += 1;
        } else {
            let last = self.counts.len() - 1;
            let bin = ((x - self.low) / self.bin_width()) as usize;
            self.counts[bin.min(last)] += 1;
        }
    }

    pub fn extend<'a>(&mut self, values: impl IntoIterator<Item = &'a f64>) {
        values.into_iter().for_each(|&v| self.add(v));
    }
}

/// The scalar statistics of one layer at one probe: a row of the history.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct LayerStats {
    /// L2 norm of the loss gradient with respect to the layer's weights.
    pub grad_norm: f64,
    /// L2 norm of the layer's weights.
    pub weight_norm: f64,
    /// |update| / |weights| of the last update before the probe (0 at step 0).
    pub update_ratio: f64,
    /// Mean and standard deviation of the layer's activations over the probe
    /// batch and its units.
    pub act_mean: f64,
    pub act_std: f64,
    /// Fraction of relu units that output zero on the whole probe batch
    /// (0 for other activations, which never output exactly zero).
    pub dead_frac: f64,
    /// Fraction of (unit, point) outputs within 1% of a saturating
    /// activation's bounds (sigmoid, tanh; else 0).
    pub sat_frac: f64,
}

/// What one layer looks like in detail at the latest probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerDetail {
    pub weights: Histogram,
    pub pre_activations: Histogram,
    pub activations: Histogram,
    pub gradients: Histogram,
    pub unit_mean: Vec<f64>,
    pub unit_std: Vec<f64>,
    pub unit_dead: Vec<bool>,
    /// Fraction of probe points on which each unit is saturated.
    pub unit_saturation: Vec<f64>,
    /// Norm of the weight gradient of each row of weights: each unit of a
    /// dense layer, each filter of a convolution (none for pooling).
    pub unit_grad_norm: Vec<f64>,
    /// Each unit's activation over the probe batch (dense layers only: a
    /// convolution's outputs are maps, not units).
    pub unit_activations: Vec<Histogram>,
}

use crate::nn::norms::{l2_distance, l2_norm as norm};

/// The square root of a variance computed as E[x^2] - E[x]^2, which can
/// round a little below zero; a NaN stays NaN (`f64::max` would hide it).
fn std_from_variance(variance: f64) -> f64 {
    if variance < 0.0 { 0.0 } else { variance.sqrt() }
}

/// Measures every layer from a probe-mode forward and backward pass already
/// run in `ws`, with the loss gradient in `grads` and, if an update was
/// just made, the parameters before it in `previous_params`.
pub fn measure_layers(
    network: &Network,
    ws: &Workspace,
    grads: &[f64],
    previous_params: Option<&[f64]>,
) -> (Vec<LayerStats>, Vec<LayerDetail>) {
    let rows = ws.rows();
    let mut stats = Vec::with_capacity(network.layers.len());
    let mut details = Vec::with_capacity(network.layers.len());
    for (index, layer) in network.layers.iter().enumerate() {
        let width = layer.outputs;
        let n = rows * width;
        let weights = &network.params[layer.weights.clone()];
        let weight_grads = &grads[layer.weights.clone()];
        let update_ratio = match previous_params {
            Some(previous) => {
                let before = &previous[layer.weights.clone()];
                let change = l2_distance(weights, before);
                let size = norm(weights);
                if size > 0.0 { change / size } else { 0.0 }
            }
            None => 0.0,
        };
        let pre = &ws.layers[index].pre_activation[..n];
        let act = &ws.activation(index)[..n];

        let mut unit_mean = vec![0.0; width];
        let mut unit_square = vec![0.0; width];
        let mut unit_alive = vec![false; width];
        let mut unit_saturated = vec![0usize; width];
        for (z_row, a_row) in pre.chunks_exact(width).zip(act.chunks_exact(width)) {
            for j in 0..width {
                unit_mean[j] += a_row[j];
                unit_square[j] += a_row[j] * a_row[j];
                unit_alive[j] |= z_row[j] > 0.0;
                unit_saturated[j] += usize::from(layer.activation.is_saturated(a_row[j]));
            }
        }
        let count = rows.max(1) as f64;
        let total_mean = unit_mean.iter().sum::<f64>() / (count * width as f64);
        let total_square = unit_square.iter().sum::<f64>() / (count * width as f64);
        let unit_std: Vec<f64> =
            unit_mean.iter().zip(&unit_square).map(|(s, q)| std_from_variance(q / count - (s / count) * (s / count))).collect();
        unit_mean.iter_mut().for_each(|m| *m /= count);
        let unit_dead: Vec<bool> = unit_alive.iter().map(|&alive| layer.activation.can_die() && !alive).collect();
        let dead = unit_dead.iter().filter(|&&d| d).count();
        let saturated: usize = unit_saturated.iter().sum();

        stats.push(LayerStats {
            grad_norm: norm(weight_grads),
            weight_norm: norm(weights),
            update_ratio,
            act_mean: total_mean,
            act_std: std_from_variance(total_square - total_mean * total_mean),
            dead_frac: dead as f64 / width as f64,
            sat_frac: saturated as f64 / (count * width as f64),
        });

        let mut detail = LayerDetail {
            weights: Histogram::weights(),
            pre_activations: Histogram::pre_activations(),
            activations: Histogram::activations(),
            gradients: Histogram::gradients(),
            unit_mean,
            unit_std,
            unit_dead,
            unit_saturation: unit_saturated.iter().map(|&s| s as f64 / count).collect(),
            unit_grad_norm: match weight_grads.len().checked_div(layer.weight_rows()) {
                Some(per_row) if per_row > 0 => weight_grads.chunks_exact(per_row).map(norm).collect(),
                _ => Vec::new(),
            },
            unit_activations: Vec::new(),
        };
        if layer.kind == crate::nn::LayerKind::Dense {
            detail.unit_activations = (0..width)
                .map(|unit| {
                    let mut histogram = Histogram::activations();
                    histogram.extend(act.iter().skip(unit).step_by(width));
                    histogram
                })
                .collect();
        }
        detail.weights.extend(weights);
        detail.pre_activations.extend(pre);
        detail.activations.extend(act);
        detail.gradients.extend(weight_grads);
        details.push(detail);
    }
    (stats, details)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_bins_are_fixed_and_count_everything() {
        let mut h = Histogram::new(HistogramScale::Linear, -1.0, 1.0, 4);
        h.extend(&[-2.0, -1.0, -0.6, 0.0, 0.49, 0.5, 0.99, 1.0, f64::NAN]);
        assert_eq!(h.counts, vec![2, 0, 2, 2]);
        assert_eq!((h.below, h.above, h.non_finite, h.zeros), (1, 1, 1, 1));
        assert_eq!(h.total(), 9);
        let mut g = Histogram::gradients();
        g.extend(&[0.0, 1e-3, -1e-3, 1e-20, 1e5]);
        assert_eq!((g.zeros, g.below, g.above), (1, 1, 1));
        assert_eq!(g.counts.iter().sum::<u32>(), 2);
        assert_eq!(g.total(), 5);
    }
}
