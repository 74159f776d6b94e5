//! A labelled set's confusion matrix and the mean output of chosen layers'
//! units per class, gathered a slice of rows at a time: an app can spread a
//! large test set (MNIST's 2,000 digits through a CNN take most of a second)
//! over many frames instead of freezing one, and gets the same numbers as
//! one pass over the whole set.

use std::sync::Arc;

use crate::data::Split;
use crate::nn::{Inference, InputRows, Loss, Network};

/// Rows `first..first + rows` of a set of input rows.
struct RowRange<'a, T: ?Sized> {
    inputs: &'a T,
    first: usize,
    rows: usize,
    width: usize,
}

impl<T: InputRows + ?Sized> InputRows for RowRange<'_, T> {
    fn value_count(&self) -> usize {
        self.rows * self.width
    }

    fn copy_rows(&self, width: usize, first: usize, out: &mut [f64]) {
        self.inputs.copy_rows(width, self.first + first, out);
    }
}

/// The tally of one network (kept, so every slice is judged by the same
/// weights while training moves on) over one split, in row order.
#[derive(Debug, Clone)]
pub struct ClassTally {
    network: Arc<Network>,
    loss: Loss,
    layers: Vec<usize>,
    classes: usize,
    next: usize,
    confusion: Vec<Vec<u32>>,
    /// Per layer in `layers`: `[unit][class]` sums of the unit's output.
    sums: Vec<Vec<Vec<f64>>>,
    counts: Vec<usize>,
    /// Whether every output so far was finite (a confusion matrix of
    /// non-finite outputs is not shown).
    finite: bool,
}

impl ClassTally {
    /// A tally of `classes` classes that also sums the outputs of the units
    /// of `layers` (layer indices of `network`; others are ignored).
    pub fn new(network: Arc<Network>, loss: Loss, layers: &[usize], classes: usize) -> Self {
        let layers: Vec<usize> = layers.iter().copied().filter(|&k| k < network.layers.len()).collect();
        let sums = layers.iter().map(|&k| vec![vec![0.0; classes]; network.layers[k].outputs]).collect();
        Self {
            loss,
            layers,
            classes,
            next: 0,
            confusion: vec![vec![0; classes]; classes],
            sums,
            counts: vec![0; classes],
            finite: true,
            network,
        }
    }

    pub fn network(&self) -> &Arc<Network> {
        &self.network
    }

    /// Adds up to `rows` more rows of `split` (at least one); returns
    /// whether the whole split is now in.
    pub fn advance(&mut self, inference: &mut Inference, split: &Split, rows: usize) -> bool {
        let total = split.labels.len();
        let first = self.next;
        let rows = rows.max(1).min(total.saturating_sub(first));
        if rows == 0 {
            return true;
        }
        let width = self.network.inputs();
        let outputs = self.network.outputs();
        let range = RowRange { inputs: &split.inputs, first, rows, width };
        let labels = &split.labels[first..first + rows];
        let Self { network, loss, layers, classes, confusion, sums, counts, finite, .. } = self;
        inference.run_chunks(network, &range, |start, ws| {
            let chunk = ws.rows();
            for (row, &label) in labels[start..start + chunk].iter().enumerate() {
                let class = label as usize;
                if class >= *classes {
                    continue;
                }
                counts[class] += 1;
                match loss.predicted_class(&ws.logits()[row * outputs..(row + 1) * outputs]) {
                    Some(guess) if guess < *classes => confusion[class][guess] += 1,
                    _ => *finite = false,
                }
                for (&layer, layer_sums) in layers.iter().zip(sums.iter_mut()) {
                    let units = network.layers[layer].outputs;
                    for (unit, &value) in ws.activation(layer)[row * units..(row + 1) * units].iter().enumerate() {
                        layer_sums[unit][class] += value;
                    }
                }
            }
        });
        self.next = first + rows;
        self.is_complete(split)
    }

    pub fn is_complete(&self, split: &Split) -> bool {
        self.next >= split.labels.len()
    }

    /// `[true][predicted]` counts over the rows so far; none if an output
    /// was not finite.
    pub fn confusion(&self) -> Option<Vec<Vec<u32>>> {
        self.finite.then(|| self.confusion.clone())
    }

    /// For each layer asked for: `[unit][class]` mean output over the rows
    /// so far (0 for a class with no rows).
    pub fn class_means(&self) -> Vec<(usize, Vec<Vec<f64>>)> {
        self.layers
            .iter()
            .zip(&self.sums)
            .map(|(&layer, sums)| {
                let means = sums
                    .iter()
                    .map(|unit| unit.iter().zip(&self.counts).map(|(&sum, &count)| sum / count.max(1) as f64).collect())
                    .collect();
                (layer, means)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigSource, load_config};
    use crate::data::Dataset;
    use crate::nn::LayerKind;
    use crate::report::confusion_matrix;

    #[test]
    fn slices_add_up_to_one_pass_over_the_set() {
        let config = load_config(&ConfigSource::Preset("digits-cnn".into()), &[]).unwrap();
        let data = Dataset::build(&config.data, config.training.loss, config.seed).unwrap();
        let mut trainer = crate::train::Trainer::new(config).unwrap();
        trainer.run(30);
        let network = Arc::new(trainer.network().clone());
        let dense: Vec<usize> = (0..network.hidden_layers()).filter(|&k| network.layers[k].kind == LayerKind::Dense).collect();
        let classes = data.task.classes().unwrap();
        let mut inference = Inference::default();
        let mut tally = ClassTally::new(Arc::clone(&network), data.loss, &dense, classes);
        let mut slices = 0;
        while !tally.advance(&mut inference, &data.test, 37) {
            slices += 1;
        }
        assert!(slices > 3, "the test set came in {slices} slices");
        assert_eq!(tally.confusion(), confusion_matrix(&network, &data, &data.test));
        let whole: Vec<(usize, Vec<Vec<f64>>)> = dense
            .iter()
            .map(|&k| (k, Inference::default().class_means(&network, k, &data.test.inputs, &data.test.labels, classes)))
            .collect();
        let sliced = tally.class_means();
        assert_eq!(sliced.len(), whole.len());
        for ((layer, a), (_, b)) in sliced.iter().zip(&whole) {
            for (unit_a, unit_b) in a.iter().zip(b) {
                for (x, y) in unit_a.iter().zip(unit_b) {
                    assert!((x - y).abs() <= 1e-12 * (1.0 + y.abs()), "layer {layer}: {x} against {y}");
                }
            }
        }
        // Done is done: more calls add nothing.
        assert!(tally.advance(&mut inference, &data.test, 37));
        assert_eq!(tally.confusion(), confusion_matrix(&network, &data, &data.test));
    }

    #[test]
    fn a_non_finite_output_hides_the_confusion_matrix() {
        let config = load_config(&ConfigSource::Preset("digits-mlp".into()), &[]).unwrap();
        let data = Dataset::build(&config.data, config.training.loss, config.seed).unwrap();
        let trainer = crate::train::Trainer::new(config).unwrap();
        let mut network = trainer.network().clone();
        network.params.iter_mut().for_each(|p| *p = f64::NAN);
        let mut tally = ClassTally::new(Arc::new(network), data.loss, &[], data.task.classes().unwrap());
        while !tally.advance(&mut Inference::default(), &data.test, 100) {}
        assert_eq!(tally.confusion(), None);
    }
}
