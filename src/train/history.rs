//! The scalar history of a run: one record per probe.

use serde::{Deserialize, Serialize};

use super::LayerStats;

/// One probe: losses, accuracies and per-layer statistics at a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeRecord {
    /// Updates applied before the probe (0: the untrained network).
    pub step: u64,
    pub train_loss: f64,
    pub test_loss: f64,
    /// `None` for regression; NaN when an output was not finite.
    pub train_acc: Option<f64>,
    pub test_acc: Option<f64>,
    /// Every weight layer, the output layer last.
    pub layers: Vec<LayerStats>,
}

/// The probes at which an accuracy beat every earlier one: the first step
/// at which any threshold was reached can be read from these exactly, even
/// after the history itself has been thinned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccuracyRecords {
    /// (step, accuracy), accuracy strictly increasing.
    best: Vec<(u64, f64)>,
}

impl AccuracyRecords {
    fn observe(&mut self, step: u64, accuracy: Option<f64>) {
        let Some(accuracy) = accuracy.filter(|a| a.is_finite()) else { return };
        if self.best.last().is_none_or(|&(_, best)| accuracy > best) {
            self.best.push((step, accuracy));
        }
    }

    /// The first probe step at which the accuracy was at least `threshold`.
    pub fn first_reaching(&self, threshold: f64) -> Option<u64> {
        self.best.iter().find(|&&(_, accuracy)| accuracy >= threshold).map(|&(step, _)| step)
    }
}

/// The probe records of a run, oldest first.
///
/// With a limit, a full history drops every other record but the first,
/// halving its resolution instead of growing without bound; the first
/// steps at which accuracies were reached stay exact. A writer that needs
/// every record (the command line's metrics.csv) takes them as they come
/// with [`History::take_unwritten`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    records: Vec<ProbeRecord>,
    limit: Option<usize>,
    train_accuracy: AccuracyRecords,
    test_accuracy: AccuracyRecords,
    /// Records not yet taken by a writer; only kept while streaming.
    #[serde(skip)]
    unwritten: Option<Vec<ProbeRecord>>,
}

impl History {
    pub fn with_limit(limit: usize) -> Self {
        Self { limit: Some(limit.max(4)), ..Self::default() }
    }

    pub fn set_limit(&mut self, limit: Option<usize>) {
        self.limit = limit.map(|l| l.max(4));
        self.thin();
    }

    /// Keeps every record pushed from now on until
    /// [`History::take_unwritten`] takes it, whatever the limit.
    pub fn stream(&mut self) {
        self.unwritten.get_or_insert_with(Vec::new);
    }

    /// The records pushed since the last call (with [`History::stream`]).
    pub fn take_unwritten(&mut self) -> Vec<ProbeRecord> {
        self.unwritten.as_mut().map(std::mem::take).unwrap_or_default()
    }

    fn thin(&mut self) {
        while let Some(limit) = self.limit
            && self.records.len() >= limit
        {
            let mut index = 0;
            self.records.retain(|_| {
                index += 1;
                index % 2 == 1
            });
        }
    }

    pub fn push(&mut self, record: ProbeRecord) {
        self.thin();
        self.train_accuracy.observe(record.step, record.train_acc);
        self.test_accuracy.observe(record.step, record.test_acc);
        if let Some(unwritten) = &mut self.unwritten {
            unwritten.push(record.clone());
        }
        self.records.push(record);
    }

    pub fn records(&self) -> &[ProbeRecord] {
        &self.records
    }

    pub fn latest(&self) -> Option<&ProbeRecord> {
        self.records.last()
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The first probe steps at which training and test accuracy reached
    /// `threshold`, exact however thinned the records are.
    pub fn first_reaching(&self, threshold: f64) -> (Option<u64>, Option<u64>) {
        (self.train_accuracy.first_reaching(threshold), self.test_accuracy.first_reaching(threshold))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(step: u64) -> ProbeRecord {
        ProbeRecord { step, train_loss: 0.0, test_loss: 0.0, train_acc: None, test_acc: None, layers: Vec::new() }
    }

    #[test]
    fn a_limited_history_thins_but_keeps_the_first_and_latest() {
        let mut history = History::with_limit(8);
        for step in 0..100 {
            history.push(record(step));
            assert!(history.len() <= 8);
        }
        assert_eq!(history.records()[0].step, 0);
        assert_eq!(history.latest().unwrap().step, 99);
        let steps: Vec<u64> = history.records().iter().map(|r| r.step).collect();
        assert!(steps.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn first_crossings_stay_exact_and_a_writer_sees_every_record() {
        let mut history = History::with_limit(8);
        history.stream();
        let mut written = 0;
        for step in 0..1000 {
            let accuracy = (step as f64 / 1000.0).min(0.999);
            history.push(ProbeRecord { train_acc: Some(accuracy), test_acc: Some(accuracy / 2.0), ..record(step) });
            if step % 7 == 0 {
                written += history.take_unwritten().len();
            }
        }
        written += history.take_unwritten().len();
        assert_eq!(written, 1000);
        assert_eq!(history.first_reaching(0.95), (Some(950), None));
        assert_eq!(history.first_reaching(0.3), (Some(300), Some(600)));
        // NaN (a broken network) is never a record.
        history.push(ProbeRecord { train_acc: Some(f64::NAN), ..record(1000) });
        assert_eq!(history.first_reaching(0.999), (Some(999), None));
    }
}
