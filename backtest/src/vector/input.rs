//! Inputs of a run: validated bar columns ([`Market`], checked once and reused across a
//! sweep) and the orders column ([`Orders`]: entry/exit signals or a target exposure).

use rayon::prelude::*;
use vela_core::strategy::{BarColumns, Signals};

use super::error::VectorError;
use crate::stats::bar_interval_ms;

/// Bar columns that passed the simulator's checks, with their bar interval.
///
/// Checks: at least one bar; `open`, `high`, `low`, `close` have one value per bar, finite
/// and above 0; `low <= min(open, close)` and `high >= max(open, close)`; `ts` strictly
/// increasing. `volume` is not used and not checked.
#[derive(Debug, Clone, Copy)]
pub struct Market<'a> {
    bars: BarColumns<'a>,
    interval_ms: i64,
}

impl<'a> Market<'a> {
    /// Checks `bars` and derives the bar interval ([`bar_interval_ms`]: the smallest step
    /// between consecutive timestamps; gaps only make steps larger). A single bar has no
    /// step: use [`Market::with_interval`].
    pub fn new(bars: BarColumns<'a>) -> Result<Self, VectorError> {
        // The check's pass also finds the smallest step (`bar_interval_ms`); the bars were
        // checked to increase, so it is positive unless there is a single bar.
        let min_step = check_bars(&bars)?;
        debug_assert_eq!(min_step, bar_interval_ms(bars.ts));
        let interval_ms = min_step.ok_or(VectorError::Interval(
            "cannot be derived from a single bar: give it with Market::with_interval",
        ))?;
        Ok(Self { bars, interval_ms })
    }

    /// Checks `bars`, with a given bar interval in ms.
    pub fn with_interval(bars: BarColumns<'a>, interval_ms: i64) -> Result<Self, VectorError> {
        if interval_ms <= 0 {
            return Err(VectorError::Interval("must be above 0 ms"));
        }
        check_bars(&bars)?;
        Ok(Self { bars, interval_ms })
    }

    /// `bars` with their lengths and timestamps checked and the interval derived as
    /// [`Market::new`] does, the prices not yet: for a run that checks each piece of bars
    /// ([`Market::prices_ok`]) just before simulating it, while the piece is read anyway.
    /// Any broken rule found here gives [`Market::new`]'s error (the full check's).
    pub(crate) fn prices_unchecked(bars: BarColumns<'a>) -> Result<Self, VectorError> {
        let n = bars.ts.len();
        let lengths = [bars.open, bars.high, bars.low, bars.close]
            .iter()
            .all(|column| column.len() == n);
        let mut ordered = true;
        let mut min_step = i64::MAX;
        for w in bars.ts.windows(2) {
            ordered &= w[0] < w[1];
            min_step = min_step.min(w[1].wrapping_sub(w[0]));
        }
        if lengths && ordered && n > 1 && min_step > 0 {
            Ok(Self {
                bars,
                interval_ms: min_step,
            })
        } else {
            Self::new(bars)
        }
    }

    /// Whether the prices of bars `start..end` keep [`Market::new`]'s rules (for a market
    /// from [`Market::prices_unchecked`]).
    pub(crate) fn prices_ok(&self, start: usize, end: usize) -> bool {
        scan(&self.bars, start, end).valid
    }

    /// The bar columns.
    #[must_use]
    pub fn bars(&self) -> &BarColumns<'a> {
        &self.bars
    }

    /// The bar interval, ms.
    #[must_use]
    pub fn interval_ms(&self) -> i64 {
        self.interval_ms
    }

    /// Number of bars (at least 1).
    #[must_use]
    pub fn len(&self) -> usize {
        self.bars.len()
    }

    /// Always false: a market has at least one bar.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Checks `bars`; returns the smallest step between consecutive timestamps (`None` for a
/// single bar or a step that is not positive, as [`bar_interval_ms`]).
fn check_bars(bars: &BarColumns<'_>) -> Result<Option<i64>, VectorError> {
    let n = bars.ts.len();
    if n == 0 {
        return Err(VectorError::Empty);
    }
    for (column, values) in [
        ("open", bars.open),
        ("high", bars.high),
        ("low", bars.low),
        ("close", bars.close),
    ] {
        if values.len() != n {
            return Err(VectorError::Length {
                column,
                len: values.len(),
                bars: n,
            });
        }
    }
    let scan = if n >= 2 * CHECK_PIECE {
        // Long series: pieces on the rayon pool (the pass is limited by memory reads; an
        // `and` and a `min` combine the pieces in any order to the same result).
        (0..n.div_ceil(CHECK_PIECE))
            .into_par_iter()
            .map(|p| scan(bars, p * CHECK_PIECE, ((p + 1) * CHECK_PIECE).min(n)))
            .reduce(Scan::identity, Scan::merge)
    } else {
        scan(bars, 0, n)
    };
    if scan.valid {
        Ok(Some(scan.min_step).filter(|&step| n > 1 && step > 0))
    } else {
        find_bad_bar(bars).map(|()| bar_interval_ms(bars.ts))
    }
}

/// Bars per piece of the parallel check.
const CHECK_PIECE: usize = 1 << 16;

/// What one pass over some bars found.
#[derive(Debug, Clone, Copy)]
struct Scan {
    /// Every rule holds.
    valid: bool,
    /// The smallest step from a bar's timestamp to the next (`i64::MAX` without one).
    min_step: i64,
}

impl Scan {
    fn identity() -> Self {
        Self {
            valid: true,
            min_step: i64::MAX,
        }
    }

    fn merge(self, other: Self) -> Self {
        Self {
            valid: self.valid & other.valid,
            min_step: self.min_step.min(other.min_step),
        }
    }
}

/// Bars `start..end` in one branch-free pass: `0 < low <= open, close <= high < ∞` (any
/// NaN fails a comparison), and each timestamp after the previous bar's (bar `start`'s
/// against bar `start - 1`'s), with the smallest step.
fn scan(bars: &BarColumns<'_>, start: usize, end: usize) -> Scan {
    let mut ok = true;
    for (((&o, &h), &l), &c) in bars.open[start..end]
        .iter()
        .zip(&bars.high[start..end])
        .zip(&bars.low[start..end])
        .zip(&bars.close[start..end])
    {
        ok &= (l > 0.0) & (h < f64::INFINITY) & (l <= o) & (l <= c) & (o <= h) & (c <= h);
    }
    let mut ordered = true;
    let mut min_step = i64::MAX;
    for w in bars.ts[start.saturating_sub(1)..end].windows(2) {
        ordered &= w[0] < w[1];
        // Wrapping as `bar_interval_ms`'s subtraction does in release builds.
        min_step = min_step.min(w[1].wrapping_sub(w[0]));
    }
    Scan {
        valid: ok & ordered,
        min_step,
    }
}

/// Finds the first broken rule (only called when the fast check failed).
fn find_bad_bar(bars: &BarColumns<'_>) -> Result<(), VectorError> {
    let n = bars.ts.len();
    let columns = [
        ("open", bars.open),
        ("high", bars.high),
        ("low", bars.low),
        ("close", bars.close),
    ];
    for (column, values) in columns {
        if !values.iter().all(|v| v.is_finite() && *v > 0.0) {
            let (index, &value) = values
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v > 0.0))
                .unwrap_or((0, &f64::NAN));
            return Err(VectorError::Value {
                column,
                index,
                value,
                rule: "is not a finite price above 0",
            });
        }
    }
    for i in 0..n {
        let (open, high, low, close) = (bars.open[i], bars.high[i], bars.low[i], bars.close[i]);
        if low > open.min(close) {
            return Err(VectorError::Value {
                column: "low",
                index: i,
                value: low,
                rule: "is above the bar's open or close",
            });
        }
        if high < open.max(close) {
            return Err(VectorError::Value {
                column: "high",
                index: i,
                value: high,
                rule: "is below the bar's open or close",
            });
        }
    }
    if let Some(i) = (1..n).find(|&i| bars.ts[i] <= bars.ts[i - 1]) {
        return Err(VectorError::Unordered {
            index: i,
            value: bars.ts[i],
            previous: bars.ts[i - 1],
        });
    }
    Ok(())
}

/// What the strategy asks for, one value per bar, decided at that bar's close.
#[derive(Debug, Clone, Copy)]
pub enum Orders<'a> {
    /// Entry and exit signals: enter when flat on an entry, sell everything when long on
    /// an exit (an exit wins when long, an entry when flat, as
    /// [`Signals::walk`] does).
    Signals {
        /// Buy (with the configured sizing) when flat.
        entries: &'a [bool],
        /// Sell the whole position when long.
        exits: &'a [bool],
    },
    /// Target exposure in [0, 1]: the fraction of equity to hold in the position. Applied
    /// when it changes from the previous bar's value (initially 0).
    Exposure(&'a [f64]),
}

impl<'a> From<&'a Signals> for Orders<'a> {
    fn from(signals: &'a Signals) -> Self {
        Self::Signals {
            entries: &signals.entries,
            exits: &signals.exits,
        }
    }
}

impl Orders<'_> {
    /// Checks lengths against `bars` and exposure values against [0, 1].
    pub(crate) fn check(&self, bars: usize) -> Result<(), VectorError> {
        let same = |column: &'static str, len: usize| {
            if len == bars {
                Ok(())
            } else {
                Err(VectorError::Length { column, len, bars })
            }
        };
        match self {
            Self::Signals { entries, exits } => {
                same("entries", entries.len())?;
                same("exits", exits.len())
            }
            Self::Exposure(targets) => {
                same("exposure", targets.len())?;
                match targets
                    .iter()
                    .enumerate()
                    .find(|(_, v)| !(0.0..=1.0).contains(*v))
                {
                    Some((index, &value)) => Err(VectorError::Value {
                        column: "exposure",
                        index,
                        value,
                        rule: "is not a target exposure in [0, 1]",
                    }),
                    None => Ok(()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Cols {
        ts: Vec<i64>,
        o: Vec<f64>,
        h: Vec<f64>,
        l: Vec<f64>,
        c: Vec<f64>,
        v: Vec<f64>,
    }

    impl Cols {
        fn new() -> Self {
            Self {
                ts: vec![0, 60_000, 180_000],
                o: vec![10.0, 11.0, 12.0],
                h: vec![11.0, 12.0, 13.0],
                l: vec![9.0, 10.0, 11.0],
                c: vec![10.5, 11.5, 12.5],
                v: vec![1.0; 3],
            }
        }
        fn bars(&self) -> BarColumns<'_> {
            BarColumns {
                ts: &self.ts,
                open: &self.o,
                high: &self.h,
                low: &self.l,
                close: &self.c,
                volume: &self.v,
            }
        }
    }

    fn err(cols: &Cols) -> String {
        Market::new(cols.bars()).unwrap_err().to_string()
    }

    #[test]
    fn interval_is_the_smallest_step() {
        let cols = Cols::new();
        assert_eq!(Market::new(cols.bars()).unwrap().interval_ms(), 60_000);
        let one = Cols {
            ts: vec![5],
            o: vec![1.0],
            h: vec![1.0],
            l: vec![1.0],
            c: vec![1.0],
            v: vec![1.0],
        };
        assert!(err(&one).contains("single bar"));
        assert_eq!(
            Market::with_interval(one.bars(), 60_000)
                .unwrap()
                .interval_ms(),
            60_000
        );
        assert!(Market::with_interval(one.bars(), 0).is_err());
    }

    #[test]
    fn bad_bars_are_named() {
        let mut c = Cols::new();
        c.c[1] = f64::NAN;
        assert_eq!(
            err(&c),
            "column close at bar 1: NaN is not a finite price above 0"
        );
        let mut c = Cols::new();
        c.o.pop();
        assert_eq!(err(&c), "column open has 2 values but there are 3 bars");
        let mut c = Cols::new();
        c.l[2] = 12.6;
        assert!(err(&c).starts_with("column low at bar 2: 12.6 is above"));
        let mut c = Cols::new();
        c.h[0] = 10.4;
        assert!(err(&c).starts_with("column high at bar 0"));
        let mut c = Cols::new();
        c.ts[2] = 60_000;
        assert!(err(&c).starts_with("column ts at bar 2: 60000 is not after"));
        let mut c = Cols::new();
        c.o[0] = 0.0;
        assert!(err(&c).starts_with("column open at bar 0: 0"));
        let empty = Cols {
            ts: vec![],
            o: vec![],
            h: vec![],
            l: vec![],
            c: vec![],
            v: vec![],
        };
        assert_eq!(err(&empty), "bar columns are empty: nothing to simulate");
    }

    #[test]
    fn orders_are_checked() {
        let signals = Signals::none(2);
        assert_eq!(
            Orders::from(&signals).check(3).unwrap_err().to_string(),
            "column entries has 2 values but there are 3 bars"
        );
        let exposure = [0.0, 1.0, 1.5];
        assert_eq!(
            Orders::Exposure(&exposure)
                .check(3)
                .unwrap_err()
                .to_string(),
            "column exposure at bar 2: 1.5 is not a target exposure in [0, 1]"
        );
        let nan = [0.0, f64::NAN, 0.5];
        assert!(Orders::Exposure(&nan).check(3).is_err());
        assert!(Orders::Exposure(&[0.0, 1.0, 0.5]).check(3).is_ok());
    }
}
