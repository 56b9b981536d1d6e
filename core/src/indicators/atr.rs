//! Average true range with Wilder smoothing.

use super::error::{IndicatorError, check_lengths, check_period};
use super::window::{nan_max, sanitize};

/// True range: the largest of `high - low`, `|high - prev_close|` and
/// `|low - prev_close|` (NaN if any input is NaN).
pub(crate) fn true_range(high: f64, low: f64, prev_close: f64) -> f64 {
    let range = high - low;
    let up = (high - prev_close).abs();
    let down = (low - prev_close).abs();
    nan_max(nan_max(range, up), down)
}

/// Average true range (Wilder), as TA-Lib computes it.
///
/// The first bar only provides the previous close (TA-Lib does not use its
/// `high - low`), so true ranges start with the second bar. The first output is
/// the simple average of the first `period` true ranges; after that
/// `atr = (atr * (period - 1) + tr) / period`. Warm-up: `period` inputs.
#[derive(Debug, Clone)]
pub struct Atr {
    period: usize,
    prev_close: Option<f64>,
    seen: usize,
    acc: f64,
    value: Option<f64>,
}

impl Atr {
    /// A new ATR; `period` must be at least 1.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("ATR", "period", period, 1)?;
        Ok(Self {
            period,
            prev_close: None,
            seen: 0,
            acc: 0.0,
            value: None,
        })
    }

    /// Feeds one bar; returns the ATR once `period` true ranges have been seen.
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let (high, low, close) = (sanitize(high), sanitize(low), sanitize(close));
        // Any NaN field makes this bar's true range NaN (and the next one's, via
        // the stored close), even the close that TA-Lib only uses a bar later.
        let bad = high.is_nan() || low.is_nan() || close.is_nan();
        let prev_close = self
            .prev_close
            .replace(if bad { f64::NAN } else { close })?;
        let tr = if bad {
            f64::NAN
        } else {
            true_range(high, low, prev_close)
        };
        let p = self.period as f64;
        match self.value {
            Some(prev) => self.value = Some((prev * (p - 1.0) + tr) / p),
            None => {
                self.acc += tr;
                self.seen += 1;
                if self.seen == self.period {
                    self.value = Some(self.acc / p);
                }
            }
        }
        self.value
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
        self.prev_close = None;
        self.seen = 0;
        self.acc = 0.0;
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

/// [`Atr`] over bar slices of equal length: same length, NaN during warm-up.
pub fn atr(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
) -> Result<Vec<f64>, IndicatorError> {
    check_lengths(
        "ATR",
        &[
            ("high", high.len()),
            ("low", low.len()),
            ("close", close.len()),
        ],
    )?;
    let mut ind = Atr::new(period)?;
    Ok(high
        .iter()
        .zip(low)
        .zip(close)
        .map(|((&h, &l), &c)| ind.update(h, l, c).unwrap_or(f64::NAN))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_inputs_are_rejected() {
        assert_eq!(
            Atr::new(0).map(|_| ()).map_err(|e| e.to_string()),
            Err("ATR period must be at least 1, got 0".to_owned())
        );
        assert!(atr(&[1.0], &[1.0], &[], 1).is_err());
    }

    #[test]
    fn hand_computed_values() {
        // TRs from bar 2: max(2, |12-10|, |10-10|) = 2; bar 3: max(1, |14-11|, 2) = 3.
        let high = [10.0, 12.0, 14.0, 12.0];
        let low = [9.0, 10.0, 13.0, 12.0];
        let close = [10.0, 11.0, 13.0, 12.0];
        let out = atr(&high, &low, &close, 2).expect("valid");
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(out[2].to_bits(), 2.5_f64.to_bits());
        // Bar 4 TR = max(0, 1, 1) = 1; (2.5 * 1 + 1) / 2 = 1.75.
        assert_eq!(out[3].to_bits(), 1.75_f64.to_bits());
        assert!(true_range(f64::NAN, 1.0, 1.0).is_nan());
    }

    #[test]
    fn warmup_nan_and_reset() {
        let mut a = Atr::new(1).expect("valid");
        assert_eq!(a.warmup_period(), 1);
        assert_eq!(a.update(2.0, 1.0, 1.5), None);
        assert_eq!(a.update(2.0, 1.0, 1.5), Some(1.0));
        assert!(a.is_ready());
        assert!(a.update(f64::NAN, 1.0, 1.5).is_some_and(f64::is_nan));
        assert!(a.update(2.0, 1.0, 1.5).is_some_and(f64::is_nan));
        a.reset();
        // A NaN close poisons at once, and so does a NaN on the very first bar.
        a.update(2.0, 1.0, 1.5);
        assert!(a.update(2.0, 1.0, f64::NAN).is_some_and(f64::is_nan));
        a.reset();
        a.update(f64::NAN, 1.0, 1.5);
        assert!(a.update(2.0, 1.0, 1.5).is_some_and(f64::is_nan));
        a.reset();
        assert_eq!(a.value(), None);
        assert!(!a.is_ready());
    }
}
