//! How often to redo something costly while training runs (a probe, the
//! homogeneity measures, the pictures): at most every `interval`, and less
//! often when it takes long, so it never eats more than a fixed share of
//! the time.

use web_time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Cadence {
    interval: Duration,
    /// The work may take at most 1 / `share` of the time.
    share: u32,
    last: Option<Instant>,
    cost: Duration,
}

impl Cadence {
    pub const fn new(interval: Duration, share: u32) -> Self {
        Self { interval, share, last: None, cost: Duration::ZERO }
    }

    /// Whether the work is due now.
    pub fn due(&self, now: Instant) -> bool {
        self.last.is_none_or(|last| now.duration_since(last) >= self.interval.max(self.cost * self.share))
    }

    /// Records that the work started at `started` and just finished.
    pub fn done(&mut self, started: Instant) {
        let now = Instant::now();
        self.cost = now.duration_since(started);
        self.last = Some(now);
    }

    /// Makes the work due at once (after a rebuild, say).
    pub fn reset(&mut self) {
        self.last = None;
    }

    pub fn cost(&self) -> Duration {
        self.cost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costly_work_is_spaced_out() {
        let mut cadence = Cadence::new(Duration::from_millis(100), 5);
        let start = Instant::now();
        assert!(cadence.due(start));
        cadence.last = Some(start);
        cadence.cost = Duration::from_millis(50);
        assert!(!cadence.due(start + Duration::from_millis(200)), "50 ms of work at most a fifth of the time: every 250 ms");
        assert!(cadence.due(start + Duration::from_millis(250)));
        cadence.cost = Duration::ZERO;
        assert!(cadence.due(start + Duration::from_millis(100)));
        cadence.reset();
        assert!(cadence.due(start));
    }
}
