//! Exponential and linearly weighted moving averages (the simple one is in `sma`).

use super::error::{IndicatorError, check_period};
use super::window::{Window, run_series, sanitize};

/// Exponential moving average with TA-Lib's default seeding.
///
/// `alpha = 2 / (period + 1)`; the first output is the simple average of the
/// first `period` inputs, then `ema = (x - ema) * alpha + ema` (TA-Lib's
/// operation order). Warm-up: `period - 1` inputs.
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
    alpha: f64,
    seed_sum: f64,
    seen: usize,
    value: Option<f64>,
}

impl Ema {
    /// A new EMA; `period` must be at least 1.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("EMA", "period", period, 1)?;
        Ok(Self {
            period,
            alpha: 2.0 / (period as f64 + 1.0),
            seed_sum: 0.0,
            seen: 0,
            value: None,
        })
    }

    /// Feeds one input; returns the average once `period` inputs have been seen.
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let x = sanitize(x);
        match self.value {
            Some(prev) => self.value = Some((x - prev) * self.alpha + prev),
            None => {
                self.seed_sum += x;
                self.seen += 1;
                if self.seen == self.period {
                    self.value = Some(self.seed_sum / self.period as f64);
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
        self.seed_sum = 0.0;
        self.seen = 0;
        self.value = None;
    }

    /// Number of inputs for which [`update`](Self::update) returns `None`.
    pub const fn warmup_period(&self) -> usize {
        self.period - 1
    }

    /// The configured period.
    pub const fn period(&self) -> usize {
        self.period
    }
}

/// [`Ema`] over a slice: same length as `values`, NaN during warm-up.
pub fn ema(values: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut ind = Ema::new(period)?;
    Ok(run_series(values, |x| ind.update(x)))
}

/// Linearly weighted moving average: weights `1, 2, .., period`, oldest first.
///
/// Output = `sum(i * x_i) / (period * (period + 1) / 2)` over the last `period`
/// inputs, recomputed from the window each time. Warm-up: `period - 1` inputs.
#[derive(Debug, Clone)]
pub struct Wma {
    period: usize,
    divisor: f64,
    window: Window,
    value: Option<f64>,
}

impl Wma {
    /// A new WMA; `period` must be at least 1.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("WMA", "period", period, 1)?;
        let n = period as f64;
        Ok(Self {
            period,
            divisor: n * (n + 1.0) / 2.0,
            window: Window::new(period),
            value: None,
        })
    }

    /// Feeds one input; returns the average once `period` inputs have been seen.
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.window.push(sanitize(x));
        if self.window.is_full() {
            let (weighted, _) = self
                .window
                .iter()
                .fold((0.0, 1.0), |(acc, w), x| (acc + w * x, w + 1.0));
            self.value = Some(weighted / self.divisor);
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
    pub fn reset(&mut self) {
        self.window.clear();
        self.value = None;
    }

    /// Number of inputs for which [`update`](Self::update) returns `None`.
    pub const fn warmup_period(&self) -> usize {
        self.period - 1
    }

    /// The configured period.
    pub const fn period(&self) -> usize {
        self.period
    }
}

/// [`Wma`] over a slice: same length as `values`, NaN during warm-up.
pub fn wma(values: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut ind = Wma::new(period)?;
    Ok(run_series(values, |x| ind.update(x)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::{Sma, sma};

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn zero_period_is_rejected() {
        assert_eq!(
            Sma::new(0).map(|_| ()).map_err(|e| e.to_string()),
            Err("SMA period must be at least 1, got 0".to_owned())
        );
        assert!(Ema::new(0).is_err());
        assert!(Wma::new(0).is_err());
        assert!(sma(&[1.0], 0).is_err());
    }

    #[test]
    fn hand_computed_values() {
        let xs = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(
            bits(&sma(&xs, 2).expect("valid period")),
            bits(&[f64::NAN, 1.5, 2.5, 3.5])
        );
        // Weights 1,2,3 over (1,2,3) = 14/6; over (2,3,4) = 20/6.
        assert_eq!(
            bits(&wma(&xs, 3).expect("valid period")),
            bits(&[f64::NAN, f64::NAN, 14.0 / 6.0, 20.0 / 6.0])
        );
        // Seed = mean(1,2,3) = 2; alpha = 0.5; then (4 - 2) * 0.5 + 2 = 3.
        assert_eq!(
            bits(&ema(&xs, 3).expect("valid period")),
            bits(&[f64::NAN, f64::NAN, 2.0, 3.0])
        );
    }

    #[test]
    fn warmup_reset_and_nan_recovery() {
        let mut s = Sma::new(2).expect("valid period");
        assert_eq!(s.warmup_period(), 1);
        assert_eq!(s.update(f64::NAN), None);
        assert!(s.update(1.0).is_some_and(f64::is_nan));
        assert_eq!(s.update(3.0), Some(2.0));
        assert!(s.is_ready());
        s.reset();
        assert!(!s.is_ready());
        assert_eq!(s.value(), None);

        let mut e = Ema::new(2).expect("valid period");
        e.update(1.0);
        e.update(f64::INFINITY);
        assert!(e.update(1.0).is_some_and(f64::is_nan));
        e.reset();
        assert_eq!(e.update(1.0), None);
        assert_eq!(e.update(3.0), Some(2.0));
    }
}
