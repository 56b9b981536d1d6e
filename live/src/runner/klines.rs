//! Completed bars from MEXC's kline pushes. A kline push carries the window so far and has
//! no "closed" flag (reference §5): a push with a later open time makes the previous
//! window final, and its last push is the bar.

use std::collections::BTreeMap;

use vela_core::types::{Bar, Symbol};

use crate::proto::Kline;

/// What one push told about a symbol's bars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KlineNews {
    /// The window in progress changed; nothing completed.
    Progress,
    /// The previous window is final: this is its bar. `missed` windows between it and the
    /// new one brought no push at all (a gap in the stream, or no trading).
    Completed {
        /// The completed bar.
        bar: Bar,
        /// Windows skipped after it.
        missed: i64,
    },
    /// A push for a window older than the one in progress (duplicate or out of order):
    /// ignored.
    Stale,
}

/// The window in progress per symbol (one interval).
#[derive(Debug, Clone, Default)]
pub struct KlineTracker {
    current: BTreeMap<Symbol, Bar>,
}

impl KlineTracker {
    /// An empty tracker.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one push of `symbol`'s kline.
    pub fn on_kline(&mut self, symbol: &Symbol, kline: &Kline) -> KlineNews {
        let interval = (kline.close_time.0 - kline.bar.ts.0).max(1);
        match self.current.get_mut(symbol) {
            None => {
                self.current.insert(symbol.clone(), kline.bar);
                KlineNews::Progress
            }
            Some(current) if kline.bar.ts == current.ts => {
                *current = kline.bar;
                KlineNews::Progress
            }
            Some(current) if kline.bar.ts < current.ts => KlineNews::Stale,
            Some(current) => {
                let bar = *current;
                let missed = ((kline.bar.ts.0 - bar.ts.0) / interval - 1).max(0);
                *current = kline.bar;
                KlineNews::Completed { bar, missed }
            }
        }
    }

    /// The window in progress of `symbol`, if any push came.
    #[must_use]
    pub fn in_progress(&self, symbol: &Symbol) -> Option<&Bar> {
        self.current.get(symbol)
    }
}

#[cfg(test)]
mod tests {
    use vela_core::types::Timestamp;

    use super::*;
    use crate::proto::KlineInterval;

    fn kline(minute: i64, close: f64) -> Kline {
        let ts = Timestamp(minute * 60_000);
        Kline {
            interval: KlineInterval::Min1,
            bar: Bar {
                ts,
                open: 10.0,
                high: close.max(10.0),
                low: close.min(10.0),
                close,
                volume: 1.0,
            },
            quote_volume: 10.0,
            close_time: Timestamp(ts.0 + 60_000),
        }
    }

    #[test]
    fn the_last_push_of_a_window_is_its_bar_once_the_next_window_opens() {
        let symbol = Symbol::new("BTCUSDT").expect("valid");
        let mut tracker = KlineTracker::new();
        assert_eq!(
            tracker.on_kline(&symbol, &kline(1, 10.5)),
            KlineNews::Progress
        );
        assert_eq!(
            tracker.on_kline(&symbol, &kline(1, 11.0)),
            KlineNews::Progress
        );
        assert_eq!(
            tracker.on_kline(&symbol, &kline(2, 9.0)),
            KlineNews::Completed {
                bar: kline(1, 11.0).bar,
                missed: 0
            }
        );
        assert_eq!(tracker.on_kline(&symbol, &kline(1, 12.0)), KlineNews::Stale);
        assert_eq!(
            tracker.on_kline(&symbol, &kline(5, 9.5)),
            KlineNews::Completed {
                bar: kline(2, 9.0).bar,
                missed: 2
            }
        );
    }
}
