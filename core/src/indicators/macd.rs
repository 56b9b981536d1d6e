//! Moving average convergence/divergence.

use super::error::{IndicatorError, check_period};
use super::moving_average::Ema;

/// One MACD output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MacdValue {
    /// MACD line: fast EMA minus slow EMA.
    pub macd: f64,
    /// Signal line: EMA of the MACD line.
    pub signal: f64,
    /// Histogram: MACD line minus signal line.
    pub histogram: f64,
}

/// [`Macd`] over a slice: three vectors of the input's length, NaN during warm-up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MacdSeries {
    /// MACD line.
    pub macd: Vec<f64>,
    /// Signal line.
    pub signal: Vec<f64>,
    /// Histogram.
    pub histogram: Vec<f64>,
}

/// MACD with TA-Lib's conventions (e.g. the classic 12/26/9).
///
/// All three EMAs are [`Ema`]s (seeded with a simple average). As in TA-Lib,
/// the fast EMA is aligned with the slow one: it ignores the first
/// `slow - fast` inputs, so both EMAs are first seeded on the same input (the
/// fast seed is the average of the `fast` inputs ending there). The signal EMA
/// is seeded with the average of the first `signal` MACD-line values, and
/// nothing is output before the signal is ready, so all three fields appear
/// together. Warm-up: `(slow - 1) + (signal - 1)` inputs (33 for 12/26/9).
#[derive(Debug, Clone)]
pub struct Macd {
    fast: Ema,
    slow: Ema,
    signal: Ema,
    skip: usize,
    skipped: usize,
    value: Option<MacdValue>,
}

impl Macd {
    /// A new MACD; every period must be at least 1 and `fast < slow`.
    pub fn new(fast: usize, slow: usize, signal: usize) -> Result<Self, IndicatorError> {
        check_period("MACD", "fast period", fast, 1)?;
        check_period("MACD", "slow period", slow, 1)?;
        check_period("MACD", "signal period", signal, 1)?;
        if fast >= slow {
            return Err(IndicatorError::FastNotBelowSlow {
                indicator: "MACD",
                fast,
                slow,
            });
        }
        Ok(Self {
            fast: Ema::new(fast)?,
            slow: Ema::new(slow)?,
            signal: Ema::new(signal)?,
            skip: slow - fast,
            skipped: 0,
            value: None,
        })
    }

    /// Feeds one close; returns the MACD once the signal line is ready.
    pub fn update(&mut self, close: f64) -> Option<MacdValue> {
        let slow = self.slow.update(close);
        let fast = if self.skipped < self.skip {
            self.skipped += 1;
            None
        } else {
            self.fast.update(close)
        };
        if let (Some(fast), Some(slow)) = (fast, slow) {
            let macd = fast - slow;
            if let Some(signal) = self.signal.update(macd) {
                self.value = Some(MacdValue {
                    macd,
                    signal,
                    histogram: macd - signal,
                });
            }
        }
        self.value
    }

    /// The latest output, `None` during warm-up.
    pub const fn value(&self) -> Option<MacdValue> {
        self.value
    }

    /// Whether an output is available.
    pub const fn is_ready(&self) -> bool {
        self.value.is_some()
    }

    /// Forgets every input, as if newly constructed.
    pub const fn reset(&mut self) {
        self.fast.reset();
        self.slow.reset();
        self.signal.reset();
        self.skipped = 0;
        self.value = None;
    }

    /// Number of inputs for which [`update`](Self::update) returns `None`.
    pub const fn warmup_period(&self) -> usize {
        self.slow
            .warmup_period()
            .saturating_add(self.signal.warmup_period())
    }
}

/// [`Macd`] over a slice of closes.
pub fn macd(
    closes: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
) -> Result<MacdSeries, IndicatorError> {
    let mut ind = Macd::new(fast, slow, signal)?;
    let mut out = MacdSeries::default();
    for &x in closes {
        let v = ind.update(x);
        out.macd.push(v.map_or(f64::NAN, |v| v.macd));
        out.signal.push(v.map_or(f64::NAN, |v| v.signal));
        out.histogram.push(v.map_or(f64::NAN, |v| v.histogram));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_parameters_are_rejected() {
        assert_eq!(
            Macd::new(26, 12, 9).map(|_| ()).map_err(|e| e.to_string()),
            Err(
                "MACD fast period must be less than slow period, got fast 26 and slow 12"
                    .to_owned()
            )
        );
        assert!(Macd::new(12, 12, 9).is_err());
        assert_eq!(
            Macd::new(12, 26, 0).map(|_| ()).map_err(|e| e.to_string()),
            Err("MACD signal period must be at least 1, got 0".to_owned())
        );
        assert!(Macd::new(0, 26, 9).is_err());
    }

    #[test]
    fn fast_ema_is_aligned_with_slow() {
        // fast 1 (alpha 1), slow 3, signal 1: the fast EMA sees only from the
        // 3rd input on; MACD = x - mean(seed) at input 3.
        let out = macd(&[1.0, 2.0, 6.0, 6.0], 1, 3, 1).expect("valid");
        assert!(out.macd[1].is_nan());
        assert_eq!(out.macd[2].to_bits(), 3.0_f64.to_bits());
        assert_eq!(out.signal[2].to_bits(), 3.0_f64.to_bits());
        assert_eq!(out.histogram[2].to_bits(), 0.0_f64.to_bits());
        let mut m = Macd::new(12, 26, 9).expect("valid");
        assert_eq!(m.warmup_period(), 33);
        m.update(1.0);
        m.reset();
        assert!(!m.is_ready());
        assert_eq!(m.value(), None);
    }
}
