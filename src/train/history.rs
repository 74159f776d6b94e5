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
    /// `None` for regression.
    pub train_acc: Option<f64>,
    pub test_acc: Option<f64>,
    /// Every weight layer, the output layer last.
    pub layers: Vec<LayerStats>,
}

/// The probe records of a run, oldest first.
///
/// With a limit (the app's long sessions), a full history drops every
/// other record but the first, halving its resolution instead of growing
/// without bound; the command line keeps every record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    records: Vec<ProbeRecord>,
    limit: Option<usize>,
}

impl History {
    pub fn with_limit(limit: usize) -> Self {
        Self { records: Vec::new(), limit: Some(limit.max(4)) }
    }

    pub fn set_limit(&mut self, limit: Option<usize>) {
        self.limit = limit.map(|l| l.max(4));
    }

    pub fn push(&mut self, record: ProbeRecord) {
        if let Some(limit) = self.limit
            && self.records.len() >= limit
        {
            let mut index = 0;
            self.records.retain(|_| {
                index += 1;
                index % 2 == 1
            });
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
}
