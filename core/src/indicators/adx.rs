//! Average directional index with +DI and −DI (Wilder).

use super::atr::true_range;
use super::error::{IndicatorError, check_lengths, check_period};
use super::window::sanitize;

/// One ADX output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdxValue {
    /// Average directional index, 0..=100.
    pub adx: f64,
    /// Plus directional indicator (+DI), 0..=100.
    pub plus_di: f64,
    /// Minus directional indicator (−DI), 0..=100.
    pub minus_di: f64,
}

/// [`Adx`] over bar slices: three vectors of the input's length, NaN during warm-up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdxSeries {
    /// ADX.
    pub adx: Vec<f64>,
    /// +DI.
    pub plus_di: Vec<f64>,
    /// −DI.
    pub minus_di: Vec<f64>,
}

/// +DM and −DM of one bar from the up move `high - prev_high` and the down
/// move `prev_low - low` (TA-Lib's rule; NaN if either move is NaN).
fn directional_movement(up: f64, down: f64) -> (f64, f64) {
    if up.is_nan() || down.is_nan() {
        (f64::NAN, f64::NAN)
    } else if down > 0.0 && up < down {
        (0.0, down)
    } else if up > 0.0 && up > down {
        (up, 0.0)
    } else {
        (0.0, 0.0)
    }
}

/// Average directional index (Wilder) with +DI and −DI, as TA-Lib computes it.
///
/// From the second bar on, each bar gives +DM, −DM and the true range. TA-Lib's
/// seeding, followed exactly: the first `period - 1` of each are summed, then
/// every later bar applies Wilder's smoothing `s = s - s / period + x` to the
/// sums. `+DI = 100 * +DM_s / TR_s`, `−DI = 100 * −DM_s / TR_s` and
/// `DX = 100 * |+DI - −DI| / (+DI + −DI)`. The first ADX is the mean of the first
/// `period` DX values; then `adx = (adx * (period - 1) + dx) / period`.
/// Warm-up: `2 * period - 1` inputs (27 for period 14); +DI/−DI are reported
/// alongside the ADX only.
///
/// When the smoothed true range is 0 both DIs are 0; when it or the DI sum is 0
/// the DX is undefined and the ADX is carried over unchanged (TA-Lib does the
/// same, though it treats values below 1e-8 as 0 where this uses exact 0).
#[derive(Debug, Clone)]
pub struct Adx {
    period: usize,
    prev: Option<(f64, f64, f64)>,
    summed: usize,
    dx_count: usize,
    plus_dm: f64,
    minus_dm: f64,
    tr: f64,
    plus_di: f64,
    minus_di: f64,
    dx_sum: f64,
    adx: f64,
    value: Option<AdxValue>,
}

impl Adx {
    /// A new ADX; `period` must be at least 1.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("ADX", "period", period, 1)?;
        Ok(Self {
            period,
            prev: None,
            summed: 0,
            dx_count: 0,
            plus_dm: 0.0,
            minus_dm: 0.0,
            tr: 0.0,
            plus_di: 0.0,
            minus_di: 0.0,
            dx_sum: 0.0,
            adx: 0.0,
            value: None,
        })
    }

    /// Feeds one bar; returns the ADX and DIs once `2 * period` bars have been seen.
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<AdxValue> {
        let (high, low, close) = (sanitize(high), sanitize(low), sanitize(close));
        // A bar with any NaN field is NaN throughout, so it poisons at once.
        let bar = if high.is_nan() || low.is_nan() || close.is_nan() {
            (f64::NAN, f64::NAN, f64::NAN)
        } else {
            (high, low, close)
        };
        let (prev_high, prev_low, prev_close) = self.prev.replace(bar)?;
        let (high, low, _) = bar;
        let (plus_dm, minus_dm) = directional_movement(high - prev_high, prev_low - low);
        let tr = true_range(high, low, prev_close);
        if self.summed + 1 < self.period {
            self.summed += 1;
            self.plus_dm += plus_dm;
            self.minus_dm += minus_dm;
            self.tr += tr;
            return None;
        }
        let p = self.period as f64;
        self.plus_dm = self.plus_dm - self.plus_dm / p + plus_dm;
        self.minus_dm = self.minus_dm - self.minus_dm / p + minus_dm;
        self.tr = self.tr - self.tr / p + tr;
        let dx = self.directional_index();
        if self.value.is_none() {
            self.dx_count += 1;
            if let Some(dx) = dx {
                self.dx_sum += dx;
            }
            if self.dx_count < self.period {
                return None;
            }
            self.adx = self.dx_sum / p;
        } else if let Some(dx) = dx {
            self.adx = (self.adx * (p - 1.0) + dx) / p;
        }
        self.value = Some(AdxValue {
            adx: self.adx,
            plus_di: self.plus_di,
            minus_di: self.minus_di,
        });
        self.value
    }

    /// Updates the DIs from the smoothed sums; returns the DX if it is defined.
    fn directional_index(&mut self) -> Option<f64> {
        if self.tr == 0.0 {
            self.plus_di = 0.0;
            self.minus_di = 0.0;
            return None;
        }
        self.minus_di = 100.0 * (self.minus_dm / self.tr);
        self.plus_di = 100.0 * (self.plus_dm / self.tr);
        let sum = self.minus_di + self.plus_di;
        if sum == 0.0 {
            return None;
        }
        Some(100.0 * ((self.minus_di - self.plus_di).abs() / sum))
    }

    /// The latest output, `None` during warm-up.
    pub const fn value(&self) -> Option<AdxValue> {
        self.value
    }

    /// Whether an output is available.
    pub const fn is_ready(&self) -> bool {
        self.value.is_some()
    }

    /// Forgets every input, as if newly constructed.
    pub const fn reset(&mut self) {
        self.prev = None;
        self.summed = 0;
        self.dx_count = 0;
        self.plus_dm = 0.0;
        self.minus_dm = 0.0;
        self.tr = 0.0;
        self.plus_di = 0.0;
        self.minus_di = 0.0;
        self.dx_sum = 0.0;
        self.adx = 0.0;
        self.value = None;
    }

    /// Number of inputs for which [`update`](Self::update) returns `None`.
    pub const fn warmup_period(&self) -> usize {
        self.period.saturating_mul(2) - 1
    }

    /// The configured period.
    pub const fn period(&self) -> usize {
        self.period
    }
}

/// [`Adx`] over bar slices of equal length.
pub fn adx(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
) -> Result<AdxSeries, IndicatorError> {
    check_lengths(
        "ADX",
        &[
            ("high", high.len()),
            ("low", low.len()),
            ("close", close.len()),
        ],
    )?;
    let mut ind = Adx::new(period)?;
    let mut out = AdxSeries::default();
    for ((&h, &l), &c) in high.iter().zip(low).zip(close) {
        let v = ind.update(h, l, c);
        out.adx.push(v.map_or(f64::NAN, |v| v.adx));
        out.plus_di.push(v.map_or(f64::NAN, |v| v.plus_di));
        out.minus_di.push(v.map_or(f64::NAN, |v| v.minus_di));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_inputs_are_rejected() {
        assert_eq!(
            Adx::new(0).map(|_| ()).map_err(|e| e.to_string()),
            Err("ADX period must be at least 1, got 0".to_owned())
        );
        assert!(adx(&[1.0], &[1.0, 2.0], &[1.0], 1).is_err());
    }

    #[test]
    fn directional_movement_rule() {
        assert_eq!(directional_movement(2.0, 1.0), (2.0, 0.0));
        assert_eq!(directional_movement(1.0, 2.0), (0.0, 2.0));
        assert_eq!(directional_movement(1.0, 1.0), (0.0, 0.0));
        assert_eq!(directional_movement(-1.0, -2.0), (0.0, 0.0));
        assert!(directional_movement(f64::NAN, 1.0).0.is_nan());
    }

    #[test]
    fn steady_uptrend_has_adx_100() {
        // Every bar moves up by 1 with range 1: +DI = 100, -DI = 0, DX = 100.
        let high: Vec<f64> = (0..10).map(|i| f64::from(i) + 1.0).collect();
        let low: Vec<f64> = (0..10).map(f64::from).collect();
        let close = high.clone();
        let out = adx(&high, &low, &close, 2).expect("valid");
        assert!(out.adx[2].is_nan());
        assert_eq!(out.adx[3].to_bits(), 100.0_f64.to_bits());
        assert_eq!(out.plus_di[9].to_bits(), 100.0_f64.to_bits());
        assert_eq!(out.minus_di[9].to_bits(), 0.0_f64.to_bits());
    }

    #[test]
    fn flat_market_carries_adx_and_nan_poisons() {
        let mut a = Adx::new(1).expect("valid");
        assert_eq!(a.warmup_period(), 1);
        assert_eq!(a.update(2.0, 1.0, 2.0), None);
        let first = a.update(3.0, 2.0, 3.0);
        assert_eq!(first.map(|v| v.adx), Some(100.0));
        // A flat bar at the previous close: TR 0, so the ADX is carried over.
        let flat = a.update(3.0, 3.0, 3.0);
        assert_eq!(flat.map(|v| (v.adx, v.plus_di)), Some((100.0, 0.0)));
        assert!(a.update(f64::NAN, 3.0, 3.0).is_some_and(|v| v.adx.is_nan()));
        assert!(a.update(4.0, 3.0, 4.0).is_some_and(|v| v.adx.is_nan()));
        a.reset();
        assert!(!a.is_ready());
        assert_eq!(a.value(), None);
    }
}
