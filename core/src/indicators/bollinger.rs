//! Bollinger bands.

use super::error::{IndicatorError, check_period};
use super::rolling_stats::mean_std;
use super::window::{Window, sanitize};

/// One set of Bollinger bands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BollingerValue {
    /// Simple moving average of the window.
    pub middle: f64,
    /// `middle + k * std`.
    pub upper: f64,
    /// `middle - k * std`.
    pub lower: f64,
}

/// [`Bollinger`] over a slice: three vectors of the input's length, NaN during warm-up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BollingerSeries {
    /// Middle band.
    pub middle: Vec<f64>,
    /// Upper band.
    pub upper: Vec<f64>,
    /// Lower band.
    pub lower: Vec<f64>,
}

/// Bollinger bands: SMA ± `k` population standard deviations.
///
/// Matches TA-Lib's `BBANDS` with a simple moving average and equal up/down
/// multipliers: the standard deviation is the population one (ddof = 0),
/// computed two-pass from the window (see [`RollingStd`](super::RollingStd)).
/// Warm-up: `period - 1` inputs.
#[derive(Debug, Clone)]
pub struct Bollinger {
    period: usize,
    k: f64,
    window: Window,
    value: Option<BollingerValue>,
}

impl Bollinger {
    /// New bands; `period` must be at least 2 and `k` finite and greater than 0.
    pub fn new(period: usize, k: f64) -> Result<Self, IndicatorError> {
        check_period("Bollinger", "period", period, 2)?;
        if !(k.is_finite() && k > 0.0) {
            return Err(IndicatorError::InvalidMultiplier {
                indicator: "Bollinger",
                parameter: "k",
                got: k,
            });
        }
        Ok(Self {
            period,
            k,
            window: Window::new(period),
            value: None,
        })
    }

    /// Feeds one close; returns the bands once `period` inputs have been seen.
    pub fn update(&mut self, close: f64) -> Option<BollingerValue> {
        self.window.push(sanitize(close));
        if self.window.is_full() {
            let (middle, std) = mean_std(&self.window, self.period);
            let width = self.k * std;
            self.value = Some(BollingerValue {
                middle,
                upper: middle + width,
                lower: middle - width,
            });
        }
        self.value
    }

    /// The latest output, `None` during warm-up.
    pub const fn value(&self) -> Option<BollingerValue> {
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

    /// The configured standard-deviation multiplier.
    pub const fn k(&self) -> f64 {
        self.k
    }
}

/// [`Bollinger`] over a slice of closes.
pub fn bollinger(closes: &[f64], period: usize, k: f64) -> Result<BollingerSeries, IndicatorError> {
    let mut ind = Bollinger::new(period, k)?;
    let mut out = BollingerSeries::default();
    for &x in closes {
        let v = ind.update(x);
        out.middle.push(v.map_or(f64::NAN, |v| v.middle));
        out.upper.push(v.map_or(f64::NAN, |v| v.upper));
        out.lower.push(v.map_or(f64::NAN, |v| v.lower));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_parameters_are_rejected() {
        assert_eq!(
            Bollinger::new(20, f64::NAN)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err("Bollinger k must be a finite number greater than 0, got NaN".to_owned())
        );
        assert!(Bollinger::new(20, 0.0).is_err());
        assert!(Bollinger::new(20, -2.0).is_err());
        assert_eq!(
            Bollinger::new(1, 2.0)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err("Bollinger period must be at least 2, got 1".to_owned())
        );
    }

    #[test]
    fn hand_computed_values() {
        // Window (2, 4): middle 3, std 1, k 2 -> bands 5 and 1.
        let out = bollinger(&[2.0, 4.0], 2, 2.0).expect("valid");
        assert!(out.middle[0].is_nan());
        assert_eq!(out.middle[1].to_bits(), 3.0_f64.to_bits());
        assert_eq!(out.upper[1].to_bits(), 5.0_f64.to_bits());
        assert_eq!(out.lower[1].to_bits(), 1.0_f64.to_bits());
        let mut b = Bollinger::new(2, 2.0).expect("valid");
        assert_eq!(b.warmup_period(), 1);
        assert_eq!(b.update(2.0), None);
        assert!(b.update(4.0).is_some());
        assert!(b.is_ready());
        b.reset();
        assert_eq!(b.value(), None);
    }
}
