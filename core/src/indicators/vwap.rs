//! Rolling volume-weighted average price.

use super::error::{IndicatorError, check_lengths, check_period};
use super::window::{Window, sanitize};

/// Rolling VWAP over the last `period` bars.
///
/// Uses the **typical price** `(high + low + close) / 3` of each bar:
/// `vwap = sum(typical * volume) / sum(volume)` over the window, both sums
/// recomputed from the window each time (oldest first). If the window's total
/// volume is 0 the output is NaN (there is no volume to weight by).
/// Warm-up: `period - 1` inputs.
#[derive(Debug, Clone)]
pub struct Vwap {
    period: usize,
    price_volume: Window,
    volume: Window,
    value: Option<f64>,
}

impl Vwap {
    /// A new rolling VWAP; `period` must be at least 1.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("VWAP", "period", period, 1)?;
        Ok(Self {
            period,
            price_volume: Window::new(period),
            volume: Window::new(period),
            value: None,
        })
    }

    /// Feeds one bar; returns the VWAP once `period` bars have been seen.
    pub fn update(&mut self, high: f64, low: f64, close: f64, volume: f64) -> Option<f64> {
        let typical = (sanitize(high) + sanitize(low) + sanitize(close)) / 3.0;
        let volume = sanitize(volume);
        self.price_volume.push(typical * volume);
        self.volume.push(volume);
        if self.volume.is_full() {
            let total_volume = self.volume.sum();
            self.value = Some(if total_volume == 0.0 {
                f64::NAN
            } else {
                self.price_volume.sum() / total_volume
            });
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
        self.price_volume.clear();
        self.volume.clear();
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

/// [`Vwap`] over bar slices of equal length: same length, NaN during warm-up.
pub fn vwap(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
    period: usize,
) -> Result<Vec<f64>, IndicatorError> {
    check_lengths(
        "VWAP",
        &[
            ("high", high.len()),
            ("low", low.len()),
            ("close", close.len()),
            ("volume", volume.len()),
        ],
    )?;
    let mut ind = Vwap::new(period)?;
    Ok(high
        .iter()
        .zip(low)
        .zip(close)
        .zip(volume)
        .map(|(((&h, &l), &c), &v)| ind.update(h, l, c, v).unwrap_or(f64::NAN))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_inputs_are_rejected() {
        assert_eq!(
            Vwap::new(0).map(|_| ()).map_err(|e| e.to_string()),
            Err("VWAP period must be at least 1, got 0".to_owned())
        );
        assert!(vwap(&[1.0], &[1.0], &[1.0], &[], 1).is_err());
    }

    #[test]
    fn hand_computed_values() {
        // Typical prices 2 and 5 with volumes 1 and 3: (2 + 15) / 4.
        let out = vwap(&[3.0, 6.0], &[1.0, 4.0], &[2.0, 5.0], &[1.0, 3.0], 2).expect("valid");
        assert!(out[0].is_nan());
        assert_eq!(out[1].to_bits(), (17.0_f64 / 4.0).to_bits());
        assert!(vwap(&[1.0], &[1.0], &[1.0], &[0.0], 1).expect("valid")[0].is_nan());
    }

    #[test]
    fn nan_leaves_with_the_window_and_reset() {
        let mut v = Vwap::new(1).expect("valid");
        assert_eq!(v.warmup_period(), 0);
        assert!(v.update(1.0, 1.0, f64::NAN, 1.0).is_some_and(f64::is_nan));
        assert_eq!(v.update(2.0, 2.0, 2.0, 1.0), Some(2.0));
        assert!(v.is_ready());
        v.reset();
        assert_eq!(v.value(), None);
    }
}
