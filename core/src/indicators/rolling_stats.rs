//! Rolling population standard deviation and z-score.

use super::error::{IndicatorError, check_period};
use super::window::{Window, run_series, sanitize};

/// Mean and population standard deviation (ddof = 0) of a full window.
///
/// Two passes over the window (mean first, then the squared deviations), which
/// avoids the cancellation of the `E[x²] - E[x]²` formula on large prices.
pub(crate) fn mean_std(window: &Window, period: usize) -> (f64, f64) {
    let n = period as f64;
    let mean = window.sum() / n;
    let sq = window.iter().fold(0.0, |acc, x| {
        let d = x - mean;
        acc + d * d
    });
    (mean, (sq / n).sqrt())
}

/// Rolling standard deviation of the last `period` inputs.
///
/// Population standard deviation (divides by `period`, ddof = 0), like TA-Lib's
/// `STDDEV` with a deviation multiplier of 1 and pandas' `std(ddof=0)`.
/// Recomputed from the window each time (two-pass). Warm-up: `period - 1`.
#[derive(Debug, Clone)]
pub struct RollingStd {
    period: usize,
    window: Window,
    value: Option<f64>,
}

impl RollingStd {
    /// A new rolling standard deviation; `period` must be at least 2.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("rolling std", "period", period, 2)?;
        Ok(Self {
            period,
            window: Window::new(period),
            value: None,
        })
    }

    /// Feeds one input; returns the deviation once `period` inputs have been seen.
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.window.push(sanitize(x));
        if self.window.is_full() {
            self.value = Some(mean_std(&self.window, self.period).1);
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

/// [`RollingStd`] over a slice: same length as `values`, NaN during warm-up.
pub fn rolling_std(values: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut ind = RollingStd::new(period)?;
    Ok(run_series(values, |x| ind.update(x)))
}

/// Rolling z-score: `(x - mean) / std` of the latest input against the last
/// `period` inputs (which include it).
///
/// Mean and population standard deviation as in [`RollingStd`]. When the
/// window is constant (std exactly 0) the z-score is 0. Warm-up: `period - 1`.
#[derive(Debug, Clone)]
pub struct ZScore {
    period: usize,
    window: Window,
    value: Option<f64>,
}

impl ZScore {
    /// A new rolling z-score; `period` must be at least 2.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("z-score", "period", period, 2)?;
        Ok(Self {
            period,
            window: Window::new(period),
            value: None,
        })
    }

    /// Feeds one input; returns its z-score once `period` inputs have been seen.
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let x = sanitize(x);
        self.window.push(x);
        if self.window.is_full() {
            let (mean, std) = mean_std(&self.window, self.period);
            self.value = Some(if std == 0.0 { 0.0 } else { (x - mean) / std });
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

/// [`ZScore`] over a slice: same length as `values`, NaN during warm-up.
pub fn zscore(values: &[f64], period: usize) -> Result<Vec<f64>, IndicatorError> {
    let mut ind = ZScore::new(period)?;
    Ok(run_series(values, |x| ind.update(x)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_periods_are_rejected() {
        assert_eq!(
            RollingStd::new(1).map(|_| ()).map_err(|e| e.to_string()),
            Err("rolling std period must be at least 2, got 1".to_owned())
        );
        assert_eq!(
            ZScore::new(0).map(|_| ()).map_err(|e| e.to_string()),
            Err("z-score period must be at least 2, got 0".to_owned())
        );
    }

    #[test]
    fn hand_computed_values() {
        // Window (2, 4): mean 3, population std 1; z of 4 is 1.
        let xs = [2.0, 4.0, 4.0];
        let sd = rolling_std(&xs, 2).expect("valid");
        assert!(sd[0].is_nan());
        assert_eq!(sd[1].to_bits(), 1.0_f64.to_bits());
        assert_eq!(sd[2].to_bits(), 0.0_f64.to_bits());
        let z = zscore(&xs, 2).expect("valid");
        assert_eq!(z[1].to_bits(), 1.0_f64.to_bits());
        assert_eq!(z[2].to_bits(), 0.0_f64.to_bits());
    }

    #[test]
    fn nan_leaves_with_the_window() {
        let mut z = ZScore::new(2).expect("valid");
        assert_eq!(z.warmup_period(), 1);
        z.update(1.0);
        assert!(z.update(f64::NAN).is_some_and(f64::is_nan));
        assert!(z.update(1.0).is_some_and(f64::is_nan));
        assert_eq!(z.update(3.0), Some(1.0));
        z.reset();
        assert!(!z.is_ready());
        let mut s = RollingStd::new(2).expect("valid");
        s.update(1.0);
        s.update(3.0);
        assert_eq!(s.value(), Some(1.0));
        s.reset();
        assert_eq!(s.value(), None);
    }
}
