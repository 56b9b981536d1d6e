//! Relative strength index with Wilder smoothing.

use super::error::{IndicatorError, check_period};
use super::window::{run_series, sanitize};

/// Relative strength index (Wilder), as TA-Lib computes it.
///
/// The first `period` changes are averaged plainly to seed the average gain and
/// loss; after that each average is smoothed as
/// `avg = (avg * (period - 1) + new) / period`. Output =
/// `100 * avg_gain / (avg_gain + avg_loss)`. The first input only provides the
/// reference price, so the warm-up is `period` inputs (TA-Lib's lookback).
///
/// Convention difference: when both averages are exactly 0 (a perfectly flat
/// market) the output is 50 (neutral); TA-Lib outputs 0 there.
#[derive(Debug, Clone)]
pub struct Rsi {
    period: usize,
    prev: Option<f64>,
    changes: usize,
    avg_gain: f64,
    avg_loss: f64,
    value: Option<f64>,
}

impl Rsi {
    /// A new RSI; `period` must be at least 1.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("RSI", "period", period, 1)?;
        Ok(Self {
            period,
            prev: None,
            changes: 0,
            avg_gain: 0.0,
            avg_loss: 0.0,
            value: None,
        })
    }

    /// Feeds one close; returns the RSI once `period` changes have been seen.
    pub fn update(&mut self, close: f64) -> Option<f64> {
        let close = sanitize(close);
        let prev = self.prev.replace(close)?;
        let change = close - prev;
        let p = self.period as f64;
        if self.changes < self.period {
            // Seeding: plain sums of the first `period` changes.
            self.add_change(change);
            self.changes += 1;
            if self.changes < self.period {
                return None;
            }
        } else {
            self.avg_gain *= p - 1.0;
            self.avg_loss *= p - 1.0;
            self.add_change(change);
        }
        self.avg_gain /= p;
        self.avg_loss /= p;
        let total = self.avg_gain + self.avg_loss;
        self.value = Some(if total == 0.0 {
            50.0
        } else {
            100.0 * (self.avg_gain / total)
        });
        self.value
    }

    /// Adds a change to the gain or loss accumulator; NaN lands in the gains.
    fn add_change(&mut self, change: f64) {
        if change < 0.0 {
            self.avg_loss -= change;
        } else {
            self.avg_gain += change;
        }
    }

    /// The latest output, `None` during warm-up.
    pub const fn value(&self) -> Option<f64> {
        self.value
    }

    /// Whether an output is available.
    pub const fn is_ready(&self) -> bool {
        self.value.is_some()
    }

    /// Forgets every input, as if newly constructed.
    pub const fn reset(&mut self) {
        self.prev = None;
        self.changes = 0;
        self.avg_gain = 0.0;
        self.avg_loss = 0.0;
        self.value = None;
    }

    /// Number of inputs for which [`update`](Self::update) returns `None`.
    pub const fn warmup_period(&self) -> usize {
        self.period
    }

    /// The configured period.
    pub const fn period(&self) -> usize {
        self.period
    }
}

/// [`Rsi`] over a slice of closes: same length, NaN during warm-up.
pub fn rsi(closes: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut ind = Rsi::new(period)?;
    Ok(run_series(closes, |x| ind.update(x)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_period_is_rejected() {
        assert_eq!(
            Rsi::new(0).map(|_| ()).map_err(|e| e.to_string()),
            Err("RSI period must be at least 1, got 0".to_owned())
        );
    }

    #[test]
    fn hand_computed_values() {
        // Changes +1, -1: avg gain 0.5, avg loss 0.5 -> 50.
        // Next change +2: gain (0.5 + 2) / 2 = 1.25, loss 0.25 -> 100 * 1.25 / 1.5.
        let out = rsi(&[10.0, 11.0, 10.0, 12.0], 2).expect("valid period");
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(out[2].to_bits(), 50.0_f64.to_bits());
        assert_eq!(out[3].to_bits(), (100.0 * (1.25 / 1.5_f64)).to_bits());
        // Only gains -> 100; flat -> 50.
        assert_eq!(rsi(&[1.0, 2.0, 3.0], 2).expect("valid")[2], 100.0);
        assert_eq!(rsi(&[1.0, 1.0, 1.0], 2).expect("valid")[2], 50.0);
    }

    #[test]
    fn nan_poisons_until_reset() {
        let mut r = Rsi::new(2).expect("valid period");
        assert_eq!(r.warmup_period(), 2);
        for x in [1.0, 2.0, 3.0] {
            r.update(x);
        }
        assert!(r.is_ready());
        r.update(f64::NAN);
        assert!(r.update(4.0).is_some_and(f64::is_nan));
        r.reset();
        assert_eq!(r.update(1.0), None);
        assert_eq!(r.value(), None);
    }
}
