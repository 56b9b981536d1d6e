//! Data checks: everything that can be wrong with a [`BarFrame`], reported row by row, and
//! repairs that happen only through an explicit, named policy.
//!
//! # Checks
//!
//! [`check`] reads a frame once (plus one sort of row indices when the rows are not in
//! time order) and reports, as [`Finding`]s naming the rows and timestamps:
//!
//! - **out-of-order rows**: a row that opens before the row above it;
//! - **duplicate timestamps**: rows sharing an open time (found in time order, so also
//!   when they are not adjacent);
//! - **gaps**: bars of the interval missing between two bars that follow each other in
//!   time, with how many are missing (calendar months counted as months);
//! - **misaligned rows**: an open time that is not the open time of an interval bar (e.g.
//!   `12:00:30` in a `1m` frame);
//! - **OHLC violations**: `high < low`, or open or close outside `[low, high]` (rows with
//!   a non-finite price are reported as bad values only);
//! - **bad values**: NaN, infinite or negative prices or volumes (`quote_volume` included
//!   when the frame has it);
//! - **zero-volume runs**: consecutive rows with volume exactly 0, at least
//!   [`CheckOptions::min_zero_volume_run`] long (default 1: every zero-volume bar is
//!   reported, a lone one as a run of 1).
//!
//! A frame whose columns differ in length gets one [`Finding::Columns`] and no other check.
//! A [`Finding`] displays without the dataset; [`Finding::named`] and [`Report::lines`]
//! prefix it, and a [`Report`] displays as its [`Summary`] followed by every finding.
//!
//! # Repairs
//!
//! [`repair`] changes a frame only as a [`Repair`] names, in this order:
//!
//! 1. `sort` — a stable sort by open time (rows sharing an open time keep their order);
//! 2. `drop_duplicates` — [`Duplicates::KeepFirst`] (`keep-first`) or
//!    [`Duplicates::KeepLast`] (`keep-last`) keeps one row per open time, first or last in
//!    the input's row order;
//! 3. `fill_gaps` — [`GapFill::Forward`] (`forward`) inserts each missing bar with open,
//!    high, low and close at the previous bar's close and zero volume (and zero quote
//!    volume when the frame has that column). Filled bars therefore show up as zero-volume
//!    runs in a later check: that is what they are.
//!
//! It refuses, with a [`RepairError`] naming the rows, to fill gaps in a frame that is
//! still out of order, still has duplicate timestamps, has misaligned rows, or whose bar
//! before a gap has no usable close. OHLC violations and bad values have no policy: they
//! are reported, never changed. Every change is listed in the [`RepairLog`].

mod finding;
mod repair;
mod report;
mod time;

pub use finding::{Finding, Named, Violation};
pub use repair::{
    DroppedRow, Duplicates, FilledGap, GapFill, MAX_FILLED_BARS, PolicyError, Repair, RepairError,
    RepairLog, repair,
};
pub use report::{Report, Summary};

use crate::{BarFrame, Interval};

/// Settings of [`check_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckOptions {
    /// Shortest run of zero-volume rows to report (0 counts as 1). Default 1.
    pub min_zero_volume_run: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            min_zero_volume_run: 1,
        }
    }
}

/// Checks a frame of `interval` bars with the default [`CheckOptions`]; `dataset` names it
/// in every message (e.g. `BTCUSDT 1m`).
#[must_use]
pub fn check(dataset: &str, frame: &BarFrame, interval: Interval) -> Report {
    check_with(dataset, frame, interval, CheckOptions::default())
}

/// Checks a frame of `interval` bars (see the [module docs](self)).
#[must_use]
pub fn check_with(
    dataset: &str,
    frame: &BarFrame,
    interval: Interval,
    options: CheckOptions,
) -> Report {
    let mut findings = Vec::new();
    if let Err(err) = frame.validate() {
        findings.push(Finding::Columns(err));
    } else {
        let sorted = out_of_order(&frame.ts, &mut findings);
        in_time_order(&frame.ts, interval, sorted, &mut findings);
        misaligned(&frame.ts, interval, &mut findings);
        values(frame, &mut findings);
        zero_volume_runs(frame, options.min_zero_volume_run.max(1), &mut findings);
    }
    Report {
        dataset: dataset.to_owned(),
        rows: frame.len(),
        findings,
    }
}

/// Reports rows opening before the row above them; returns whether there were none.
fn out_of_order(ts: &[i64], findings: &mut Vec<Finding>) -> bool {
    let before = findings.len();
    for (row, pair) in ts.windows(2).enumerate() {
        if pair[1] < pair[0] {
            findings.push(Finding::OutOfOrder {
                row: row + 1,
                ts: pair[1],
                previous_ts: pair[0],
            });
        }
    }
    findings.len() == before
}

/// The rows in time order (ties in row order): `0..n` when already sorted.
pub(crate) fn time_order(ts: &[i64], sorted: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..ts.len()).collect();
    if !sorted {
        order.sort_unstable_by_key(|&i| (ts[i], i));
    }
    order
}

/// Duplicates, then gaps, walking the rows in time order.
fn in_time_order(ts: &[i64], interval: Interval, sorted: bool, findings: &mut Vec<Finding>) {
    let order = time_order(ts, sorted);
    let mut gaps = Vec::new();
    let mut k = 0;
    while k < order.len() {
        let start = k;
        let open = ts[order[k]];
        while k + 1 < order.len() && ts[order[k + 1]] == open {
            k += 1;
        }
        if k > start {
            // Ties are in row order, so the rows come out ascending.
            let rows = order[start..=k].to_vec();
            findings.push(Finding::Duplicate { rows, ts: open });
        }
        if let Some(&next) = order.get(k + 1) {
            let missing = time::bars_between(interval, open, ts[next]);
            if missing > 0 {
                gaps.push(Finding::Gap {
                    after_row: order[k],
                    from_ts: open,
                    to_ts: ts[next],
                    missing,
                });
            }
        }
        k += 1;
    }
    findings.append(&mut gaps);
}

/// Rows whose open time is not an open time of the interval.
fn misaligned(ts: &[i64], interval: Interval, findings: &mut Vec<Finding>) {
    for (row, &t) in ts.iter().enumerate() {
        let bar_open = interval.bucket(t);
        if bar_open != t {
            findings.push(Finding::Misaligned {
                row,
                ts: t,
                bar_open,
            });
        }
    }
}

/// OHLC violations, then bad values, row by row.
fn values(frame: &BarFrame, findings: &mut Vec<Finding>) {
    let mut bad = Vec::new();
    for (row, &ts) in frame.ts.iter().enumerate() {
        let (open, high, low, close) = (
            frame.open[row],
            frame.high[row],
            frame.low[row],
            frame.close[row],
        );
        // Rows with a NaN or infinite price are reported as bad values only.
        if [open, high, low, close].iter().all(|v| v.is_finite()) {
            let mut violation = |what| findings.push(Finding::OhlcViolation { row, ts, what });
            if high < low {
                violation(Violation::HighBelowLow);
            } else {
                if open < low || open > high {
                    violation(Violation::OpenOutsideRange);
                }
                if close < low || close > high {
                    violation(Violation::CloseOutsideRange);
                }
            }
        }
        let quote = frame.quote_volume.as_ref().map(|q| q[row]);
        let columns = [
            ("open", Some(open)),
            ("high", Some(high)),
            ("low", Some(low)),
            ("close", Some(close)),
            ("volume", Some(frame.volume[row])),
            ("quote_volume", quote),
        ];
        for (column, value) in columns {
            if let Some(value) = value.filter(|v| !v.is_finite() || *v < 0.0) {
                bad.push(Finding::BadValue {
                    row,
                    ts,
                    column,
                    value,
                });
            }
        }
    }
    findings.append(&mut bad);
}

/// Runs of at least `min` consecutive rows with volume exactly 0.
fn zero_volume_runs(frame: &BarFrame, min: usize, findings: &mut Vec<Finding>) {
    let volume = &frame.volume;
    let mut row = 0;
    while row < volume.len() {
        if volume[row] == 0.0 {
            let first_row = row;
            while row + 1 < volume.len() && volume[row + 1] == 0.0 {
                row += 1;
            }
            let bars = row - first_row + 1;
            if bars >= min {
                findings.push(Finding::ZeroVolumeRun {
                    first_row,
                    last_row: row,
                    from_ts: frame.ts[first_row],
                    to_ts: frame.ts[row],
                    bars,
                });
            }
        }
        row += 1;
    }
}
