//! Donchian channel.

use super::error::{IndicatorError, check_lengths, check_period};
use super::window::{Window, nan_max, nan_min, sanitize};

/// One Donchian channel output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DonchianValue {
    /// Highest high of the window.
    pub upper: f64,
    /// `(upper + lower) / 2`.
    pub middle: f64,
    /// Lowest low of the window.
    pub lower: f64,
}

/// [`Donchian`] over slices: three vectors of the input's length, NaN during warm-up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DonchianSeries {
    /// Upper band.
    pub upper: Vec<f64>,
    /// Middle line.
    pub middle: Vec<f64>,
    /// Lower band.
    pub lower: Vec<f64>,
}

/// Donchian channel over the last `period` bars, **including** the latest one
/// (like TA-Lib's `MAX`/`MIN`); a breakout rule that compares a close with the
/// channel of the previous bars should use the value from the bar before.
///
/// Warm-up: `period - 1` inputs.
#[derive(Debug, Clone)]
pub struct Donchian {
    period: usize,
    highs: Window,
    lows: Window,
    value: Option<DonchianValue>,
}

impl Donchian {
    /// A new channel; `period` must be at least 1.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("Donchian", "period", period, 1)?;
        Ok(Self {
            period,
            highs: Window::new(period),
            lows: Window::new(period),
            value: None,
        })
    }

    /// Feeds one bar; returns the channel once `period` bars have been seen.
    pub fn update(&mut self, high: f64, low: f64) -> Option<DonchianValue> {
        self.highs.push(sanitize(high));
        self.lows.push(sanitize(low));
        if self.highs.is_full() {
            let upper = self.highs.iter().fold(f64::NEG_INFINITY, nan_max);
            let lower = self.lows.iter().fold(f64::INFINITY, nan_min);
            self.value = Some(DonchianValue {
                upper,
                middle: (upper + lower) / 2.0,
                lower,
            });
        }
        self.value
    }

    /// The latest output, `None` during warm-up.
    pub const fn value(&self) -> Option<DonchianValue> {
        self.value
    }

    /// Whether an output is available.
    pub const fn is_ready(&self) -> bool {
        self.value.is_some()
    }

    /// Forgets every input, as if newly constructed.
    pub fn reset(&mut self) {
        self.highs.clear();
        self.lows.clear();
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

/// [`Donchian`] over high and low slices of equal length.
pub fn donchian(
    high: &[f64],
    low: &[f64],
    period: usize,
) -> Result<DonchianSeries, IndicatorError> {
    check_lengths("Donchian", &[("high", high.len()), ("low", low.len())])?;
    let mut ind = Donchian::new(period)?;
    let mut out = DonchianSeries::default();
    for (&h, &l) in high.iter().zip(low) {
        let v = ind.update(h, l);
        out.upper.push(v.map_or(f64::NAN, |v| v.upper));
        out.middle.push(v.map_or(f64::NAN, |v| v.middle));
        out.lower.push(v.map_or(f64::NAN, |v| v.lower));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_inputs_are_rejected() {
        assert_eq!(
            Donchian::new(0).map(|_| ()).map_err(|e| e.to_string()),
            Err("Donchian period must be at least 1, got 0".to_owned())
        );
        assert!(donchian(&[1.0, 2.0], &[1.0], 1).is_err());
    }

    #[test]
    fn hand_computed_values() {
        let out = donchian(&[3.0, 5.0, 4.0], &[1.0, 2.0, 3.0], 2).expect("valid");
        assert!(out.upper[0].is_nan());
        assert_eq!(out.upper[1].to_bits(), 5.0_f64.to_bits());
        assert_eq!(out.lower[1].to_bits(), 1.0_f64.to_bits());
        assert_eq!(out.middle[1].to_bits(), 3.0_f64.to_bits());
        assert_eq!(out.upper[2].to_bits(), 5.0_f64.to_bits());
        assert_eq!(out.lower[2].to_bits(), 2.0_f64.to_bits());
    }

    #[test]
    fn nan_leaves_with_the_window() {
        let mut d = Donchian::new(2).expect("valid");
        assert_eq!(d.warmup_period(), 1);
        assert_eq!(d.update(f64::NAN, 1.0), None);
        assert!(d.update(2.0, 1.0).is_some_and(|v| v.upper.is_nan()));
        assert!(d.update(2.0, 1.0).is_some_and(|v| v.upper == 2.0));
        assert!(d.is_ready());
        d.reset();
        assert_eq!(d.value(), None);
    }
}
