//! Repairs by explicit, named policy: sort, drop duplicates, fill gaps.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use super::finding::Finding;
use super::time::{self, Iso};
use crate::frame::Row;
use crate::{BarFrame, FrameError, Interval};

/// The most bars one repair may insert: more means the timestamps are not what they seem
/// (e.g. seconds or nanoseconds read as milliseconds), and filling would exhaust memory.
pub const MAX_FILLED_BARS: u64 = 100_000_000;

/// How to fill gaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GapFill {
    /// `forward`: each missing bar gets open = high = low = close = the close of the bar
    /// before the gap, volume 0 and quote volume 0.
    Forward,
}

impl GapFill {
    /// The policies' names, as [`FromStr`] accepts them.
    pub const NAMES: &'static [&'static str] = &["forward"];

    /// The policy's name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Forward => "forward",
        }
    }
}

/// Which row to keep when several share an open time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Duplicates {
    /// `keep-first`: the first in the input's row order.
    KeepFirst,
    /// `keep-last`: the last in the input's row order.
    KeepLast,
}

impl Duplicates {
    /// The policies' names, as [`FromStr`] accepts them.
    pub const NAMES: &'static [&'static str] = &["keep-first", "keep-last"];

    /// The policy's name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::KeepFirst => "keep-first",
            Self::KeepLast => "keep-last",
        }
    }
}

/// A policy name that is not one of the valid ones.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown {policy} policy {given:?} (valid: {})", .valid.join(", "))]
pub struct PolicyError {
    /// The kind of policy (`fill-gaps` or `drop-duplicates`).
    pub policy: &'static str,
    /// The name given.
    pub given: String,
    /// The valid names.
    pub valid: &'static [&'static str],
}

impl FromStr for GapFill {
    type Err = PolicyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "forward" => Ok(Self::Forward),
            _ => Err(PolicyError {
                policy: "fill-gaps",
                given: s.to_owned(),
                valid: Self::NAMES,
            }),
        }
    }
}

impl FromStr for Duplicates {
    type Err = PolicyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "keep-first" => Ok(Self::KeepFirst),
            "keep-last" => Ok(Self::KeepLast),
            _ => Err(PolicyError {
                policy: "drop-duplicates",
                given: s.to_owned(),
                valid: Self::NAMES,
            }),
        }
    }
}

impl fmt::Display for GapFill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Duplicates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The repairs to apply; the default applies none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Repair {
    /// Sort rows by open time (stable), first.
    pub sort: bool,
    /// Keep one row per open time, second.
    pub drop_duplicates: Option<Duplicates>,
    /// Insert missing bars, last.
    pub fill_gaps: Option<GapFill>,
}

/// A row dropped as a duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DroppedRow {
    /// The dropped row (input row).
    pub row: usize,
    /// Its open time.
    pub ts: i64,
    /// The input row kept for that open time.
    pub kept_row: usize,
}

/// Bars inserted into one gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilledGap {
    /// The input row of the bar before the gap.
    pub after_row: usize,
    /// The output row of the first inserted bar.
    pub first_row: usize,
    /// The open time of the first inserted bar.
    pub from_ts: i64,
    /// The open time of the last inserted bar.
    pub to_ts: i64,
    /// Bars inserted.
    pub bars: usize,
}

/// Everything a [`repair`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairLog {
    /// Rows in.
    pub input_rows: usize,
    /// Rows out.
    pub output_rows: usize,
    /// Rows the sort moved to another position.
    pub moved: usize,
    /// Rows dropped as duplicates, in time order.
    pub dropped: Vec<DroppedRow>,
    /// Gaps filled, in time order.
    pub filled: Vec<FilledGap>,
}

impl RepairLog {
    /// Whether nothing changed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.moved == 0 && self.dropped.is_empty() && self.filled.is_empty()
    }

    /// Bars inserted into all gaps.
    #[must_use]
    pub fn filled_bars(&self) -> usize {
        self.filled.iter().map(|g| g.bars).sum()
    }

    /// Whether output row `row` is a bar this repair inserted.
    #[must_use]
    pub fn inserted(&self, row: usize) -> bool {
        self.filled
            .iter()
            .any(|g| (g.first_row..g.first_row + g.bars).contains(&row))
    }

    /// Whether `finding` (on the repaired frame) is only the repair's own doing: a run of
    /// zero-volume bars that are all bars it inserted.
    #[must_use]
    pub fn explains(&self, finding: &Finding) -> bool {
        match finding {
            Finding::ZeroVolumeRun {
                first_row,
                last_row,
                ..
            } => (*first_row..=*last_row).all(|row| self.inserted(row)),
            _ => false,
        }
    }
}

impl fmt::Display for RepairLog {
    /// E.g. `sort moved 2 rows; dropped 1 duplicate rows; filled 3 gaps with 5 bars (10 → 14 rows)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.moved > 0 {
            parts.push(format!("sort moved {} rows", self.moved));
        }
        if !self.dropped.is_empty() {
            parts.push(format!("dropped {} duplicate rows", self.dropped.len()));
        }
        if !self.filled.is_empty() {
            parts.push(format!(
                "filled {} gaps with {} bars",
                self.filled.len(),
                self.filled_bars()
            ));
        }
        if parts.is_empty() {
            parts.push("no changes".to_owned());
        }
        write!(
            f,
            "{} ({} → {} rows)",
            parts.join("; "),
            self.input_rows,
            self.output_rows
        )
    }
}

/// `Iso` of a field, which thiserror's format arguments get by reference.
fn iso(ts: &i64) -> Iso {
    Iso(*ts)
}

/// Why a repair was refused. Rows are input rows; nothing was changed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RepairError {
    /// The columns do not line up.
    #[error("cannot repair: {0}")]
    Frame(#[from] FrameError),
    /// Gap filling was asked for, but the rows are not in time order.
    #[error(
        "cannot fill gaps: row {row} ({}) opens before the row above it ({}); add the sort policy",
        iso(.ts),
        iso(.previous_ts)
    )]
    Unsorted {
        /// The row.
        row: usize,
        /// Its open time.
        ts: i64,
        /// The open time of the row above it.
        previous_ts: i64,
    },
    /// Gap filling was asked for, but rows still share an open time.
    #[error(
        "cannot fill gaps: rows {first_row} and {row} share the open time {}; add a drop-duplicates policy (keep-first or keep-last)",
        iso(.ts)
    )]
    Duplicate {
        /// The earlier row.
        first_row: usize,
        /// The later row.
        row: usize,
        /// The shared open time.
        ts: i64,
    },
    /// Gap filling was asked for, but a row is not on the interval's grid.
    #[error(
        "cannot fill gaps: row {row} opens at {}, which is not a bar open time (its bar opens at {})",
        iso(.ts),
        iso(.bar_open)
    )]
    Misaligned {
        /// The row.
        row: usize,
        /// Its open time.
        ts: i64,
        /// The open time of the interval's bar containing `ts`.
        bar_open: i64,
    },
    /// The bar before a gap has no usable close to fill forward.
    #[error("cannot fill the gap after row {row} ({}): its close is {close}", iso(.ts))]
    BadClose {
        /// The row before the gap.
        row: usize,
        /// Its open time.
        ts: i64,
        /// Its close (NaN, infinite or negative).
        close: f64,
    },
    /// The gaps hold more bars than [`MAX_FILLED_BARS`].
    #[error("cannot fill gaps: {bars} missing bars, more than {MAX_FILLED_BARS}")]
    TooManyBars {
        /// Bars missing in all gaps.
        bars: u64,
    },
}

/// Applies the policies `policy` names, and only those, in the order sort → duplicates →
/// gaps (see the [module docs](super)); returns the new frame and what changed. Refuses,
/// changing nothing, when gaps are to be filled but the frame (after the earlier steps)
/// is out of order, has duplicate or misaligned open times, or has a bar before a gap
/// without a usable close.
pub fn repair(
    frame: &BarFrame,
    interval: Interval,
    policy: &Repair,
) -> Result<(BarFrame, RepairLog), RepairError> {
    frame.validate()?;
    let ts = &frame.ts;
    let sorted = ts.windows(2).all(|w| w[0] <= w[1]);
    let mut log = RepairLog {
        input_rows: frame.len(),
        ..RepairLog::default()
    };

    // 1. Sort (stable: ties keep their row order).
    let mut order = super::time_order(ts, sorted || !policy.sort);
    log.moved = order.iter().enumerate().filter(|&(k, &i)| k != i).count();

    // 2. Duplicates, found in time order; rows of a group are in row order.
    if let Some(keep) = policy.drop_duplicates {
        let by_time = (!sorted && !policy.sort).then(|| super::time_order(ts, false));
        let walk = by_time.as_deref().unwrap_or(&order);
        let mut drop = vec![false; ts.len()];
        for group in walk.chunk_by(|a, b| ts[*a] == ts[*b]) {
            if let [first, .., last] = group {
                let kept_row = match keep {
                    Duplicates::KeepFirst => *first,
                    Duplicates::KeepLast => *last,
                };
                for &row in group.iter().filter(|&&row| row != kept_row) {
                    drop[row] = true;
                    log.dropped.push(DroppedRow {
                        row,
                        ts: ts[row],
                        kept_row,
                    });
                }
            }
        }
        order.retain(|&i| !drop[i]);
    }

    // 3. Gaps.
    let fill = match policy.fill_gaps {
        Some(GapFill::Forward) => {
            refuse_unsafe_fill(frame, interval, &order)?;
            true
        }
        None => false,
    };
    let out = build(frame, interval, &order, fill, &mut log);
    log.output_rows = out.len();
    Ok((out, log))
}

/// The checks that make forward filling safe, on the rows that remain, in their order.
fn refuse_unsafe_fill(
    frame: &BarFrame,
    interval: Interval,
    order: &[usize],
) -> Result<(), RepairError> {
    let ts = &frame.ts;
    for pair in order.windows(2) {
        let (above, row) = (pair[0], pair[1]);
        if ts[row] < ts[above] {
            return Err(RepairError::Unsorted {
                row,
                ts: ts[row],
                previous_ts: ts[above],
            });
        }
        if ts[row] == ts[above] {
            return Err(RepairError::Duplicate {
                first_row: above,
                row,
                ts: ts[row],
            });
        }
    }
    for &row in order {
        let bar_open = interval.bucket(ts[row]);
        if bar_open != ts[row] {
            return Err(RepairError::Misaligned {
                row,
                ts: ts[row],
                bar_open,
            });
        }
    }
    let mut bars = 0_u64;
    for pair in order.windows(2) {
        let (before, after) = (pair[0], pair[1]);
        let missing = time::bars_between(interval, ts[before], ts[after]);
        if missing > 0 {
            let close = frame.close[before];
            if !close.is_finite() || close < 0.0 {
                return Err(RepairError::BadClose {
                    row: before,
                    ts: ts[before],
                    close,
                });
            }
            bars = bars.saturating_add(missing);
        }
    }
    if bars > MAX_FILLED_BARS {
        return Err(RepairError::TooManyBars { bars });
    }
    Ok(())
}

/// The output frame: the rows of `order`, with the missing bars inserted when `fill`.
fn build(
    frame: &BarFrame,
    interval: Interval,
    order: &[usize],
    fill: bool,
    log: &mut RepairLog,
) -> BarFrame {
    let rows = order.len();
    let mut out = BarFrame {
        ts: Vec::with_capacity(rows),
        open: Vec::with_capacity(rows),
        high: Vec::with_capacity(rows),
        low: Vec::with_capacity(rows),
        close: Vec::with_capacity(rows),
        volume: Vec::with_capacity(rows),
        quote_volume: frame
            .quote_volume
            .is_some()
            .then(|| Vec::with_capacity(rows)),
    };
    for (k, &row) in order.iter().enumerate() {
        if let Some(bar) = frame.row(row) {
            out.push(bar);
        }
        let Some(&next) = order.get(k + 1).filter(|_| fill) else {
            continue;
        };
        let close = frame.close[row];
        let first_row = out.len();
        let from_ts = interval.next(frame.ts[row]);
        let (mut open, mut last) = (from_ts, from_ts);
        while open < frame.ts[next] {
            out.push(Row {
                ts: open,
                open: close,
                high: close,
                low: close,
                close,
                volume: 0.0,
                quote_volume: Some(0.0),
            });
            last = open;
            open = interval.next(open);
        }
        if out.len() > first_row {
            log.filled.push(FilledGap {
                after_row: row,
                first_row,
                from_ts,
                to_ts: last,
                bars: out.len() - first_row,
            });
        }
    }
    out
}
