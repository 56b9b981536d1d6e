//! On-balance volume.

use super::error::{IndicatorError, check_lengths};
use super::window::sanitize;

/// On-balance volume, as TA-Lib computes it.
///
/// Starts at the first bar's volume (TA-Lib's convention; some texts start at
/// 0 — the difference is a constant offset). Then each bar adds its volume if
/// the close rose, subtracts it if the close fell and leaves the total
/// unchanged if the close is equal. Ready from the first input (warm-up 0).
/// OBV has no parameter, so [`Obv::new`] cannot fail.
#[derive(Debug, Clone, Default)]
pub struct Obv {
    prev_close: Option<f64>,
    value: Option<f64>,
}

impl Obv {
    /// A new OBV.
    pub const fn new() -> Self {
        Self {
            prev_close: None,
            value: None,
        }
    }

    /// Feeds one bar's close and volume; returns the running total.
    pub fn update(&mut self, close: f64, volume: f64) -> Option<f64> {
        let (close, volume) = (sanitize(close), sanitize(volume));
        let next = match (self.value, self.prev_close) {
            _ if close.is_nan() || volume.is_nan() => f64::NAN,
            (Some(obv), Some(prev)) if close > prev => obv + volume,
            (Some(obv), Some(prev)) if close < prev => obv - volume,
            (Some(obv), _) => obv,
            (None, _) => volume,
        };
        self.prev_close = Some(close);
        self.value = Some(next);
        self.value
    }

    /// The latest output, `None` before the first input.
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
        self.value = None;
    }

    /// Number of inputs for which [`update`](Self::update) returns `None` (0).
    pub const fn warmup_period(&self) -> usize {
        0
    }
}

/// [`Obv`] over close and volume slices of equal length.
pub fn obv(close: &[f64], volume: &[f64]) -> Result<Vec<f64>, IndicatorError> {
    check_lengths("OBV", &[("close", close.len()), ("volume", volume.len())])?;
    let mut ind = Obv::new();
    Ok(close
        .iter()
        .zip(volume)
        .map(|(&c, &v)| ind.update(c, v).unwrap_or(f64::NAN))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatched_lengths_are_rejected() {
        assert_eq!(
            obv(&[1.0, 2.0], &[1.0]).map_err(|e| e.to_string()),
            Err(
                "OBV inputs must have equal lengths, but volume has 1 values and close has 2"
                    .to_owned()
            )
        );
    }

    #[test]
    fn hand_computed_values() {
        let out = obv(&[10.0, 11.0, 11.0, 9.0], &[5.0, 2.0, 7.0, 3.0]).expect("equal lengths");
        let expected: [f64; 4] = [5.0, 7.0, 7.0, 4.0];
        assert_eq!(
            out.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            expected.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn nan_poisons_until_reset() {
        let mut o = Obv::default();
        assert_eq!(o.warmup_period(), 0);
        assert_eq!(o.update(1.0, 2.0), Some(2.0));
        assert!(o.update(f64::NAN, 2.0).is_some_and(f64::is_nan));
        assert!(o.update(3.0, 2.0).is_some_and(f64::is_nan));
        assert!(o.is_ready());
        o.reset();
        assert_eq!(o.value(), None);
        assert!(o.update(1.0, f64::INFINITY).is_some_and(f64::is_nan));
    }
}
