//! The sliding-window order-rate cap.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::config::OrderRate;
use crate::types::Timestamp;

/// Submission times inside the current window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateWindow {
    sent: VecDeque<Timestamp>,
}

impl RateWindow {
    /// Whether one more order at `ts` stays within `rate` (a window is `(ts - window, ts]`).
    pub fn allows(&mut self, rate: OrderRate, ts: Timestamp) -> bool {
        let start = ts.millis().saturating_sub(rate.window_ms);
        while self.sent.front().is_some_and(|t| t.millis() <= start) {
            self.sent.pop_front();
        }
        self.sent.len() < rate.max_orders as usize
    }

    /// Records a submission at `ts`.
    pub fn record(&mut self, ts: Timestamp) {
        self.sent.push_back(ts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_slides() {
        let rate = OrderRate {
            max_orders: 2,
            window_ms: 1000,
        };
        let mut w = RateWindow::default();
        for t in [0, 500] {
            assert!(w.allows(rate, Timestamp(t)));
            w.record(Timestamp(t));
        }
        assert!(!w.allows(rate, Timestamp(999)));
        assert!(w.allows(rate, Timestamp(1000)));
    }
}
