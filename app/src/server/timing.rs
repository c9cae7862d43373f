//! Step timings of bulk operations, logged once each finishes, so operators
//! (and the scale benchmark) see where a 100,000-row import spends its time.

use std::time::Instant;

pub struct Steps {
    what: &'static str,
    started: Instant,
    last: Instant,
    laps: Vec<(&'static str, u128)>,
}

impl Steps {
    pub fn start(what: &'static str) -> Self {
        let now = Instant::now();
        Self { what, started: now, last: now, laps: Vec::new() }
    }

    /// Ends the step called `name`.
    pub fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        self.laps.push((name, now.duration_since(self.last).as_millis()));
        self.last = now;
    }

    pub fn log(&self, rows: usize) {
        let laps: Vec<String> = self.laps.iter().map(|(name, ms)| format!("{name} {ms} ms")).collect();
        tracing::info!(rows, total_ms = self.started.elapsed().as_millis() as u64, steps = %laps.join(", "), "{} finished", self.what);
    }
}
