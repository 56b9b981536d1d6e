//! What a check finds: one [`Finding`] per problem, with the rows and timestamps involved.

use std::fmt;

use super::time::{Iso, IsoRange};
use crate::FrameError;

/// Which OHLC rule a row breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Violation {
    /// `high < low`: the bar's range is empty (open and close are then not checked).
    HighBelowLow,
    /// The open lies outside `[low, high]`.
    OpenOutsideRange,
    /// The close lies outside `[low, high]`.
    CloseOutsideRange,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::HighBelowLow => "high is below low",
            Self::OpenOutsideRange => "open is outside [low, high]",
            Self::CloseOutsideRange => "close is outside [low, high]",
        })
    }
}

/// One problem in a frame. Rows are indices into the frame as checked (0-based);
/// timestamps are open times in ms UTC.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// The columns do not line up; nothing else was checked.
    Columns(FrameError),
    /// A row opens earlier than the row before it.
    OutOfOrder {
        /// The row.
        row: usize,
        /// Its open time.
        ts: i64,
        /// The open time of the row before it.
        previous_ts: i64,
    },
    /// Several rows share one open time.
    Duplicate {
        /// The rows, ascending.
        rows: Vec<usize>,
        /// The shared open time.
        ts: i64,
    },
    /// Bars missing between two bars that follow each other in time.
    Gap {
        /// The row of the bar before the gap (with duplicates, the last of them).
        after_row: usize,
        /// The open time of the bar before the gap.
        from_ts: i64,
        /// The open time of the bar after the gap.
        to_ts: i64,
        /// How many bars of the interval are missing in between.
        missing: u64,
    },
    /// A row's open time is not an open time of the interval (not on its grid).
    Misaligned {
        /// The row.
        row: usize,
        /// Its open time.
        ts: i64,
        /// The open time of the interval's bar that contains `ts`.
        bar_open: i64,
    },
    /// A row breaks an OHLC rule.
    OhlcViolation {
        /// The row.
        row: usize,
        /// Its open time.
        ts: i64,
        /// The rule broken.
        what: Violation,
    },
    /// A value that is NaN, infinite or negative.
    BadValue {
        /// The row.
        row: usize,
        /// Its open time.
        ts: i64,
        /// The column (`open`, `high`, `low`, `close`, `volume` or `quote_volume`).
        column: &'static str,
        /// The value.
        value: f64,
    },
    /// Consecutive rows whose volume is exactly 0.
    ZeroVolumeRun {
        /// The first row of the run.
        first_row: usize,
        /// The last row of the run.
        last_row: usize,
        /// The open time of the first row.
        from_ts: i64,
        /// The open time of the last row.
        to_ts: i64,
        /// Rows in the run (`last_row - first_row + 1`).
        bars: usize,
    },
}

impl Finding {
    /// The finding as a line that names the dataset, e.g.
    /// `BTCUSDT 1m: gap of 3 bars after row 41 (2021-12-31T23:42:00Z → 23:46:00Z)`.
    #[must_use]
    pub fn named<'a>(&'a self, dataset: &'a str) -> Named<'a> {
        Named {
            dataset,
            finding: self,
        }
    }
}

fn plural(n: impl Into<u64>) -> &'static str {
    if n.into() == 1 { "" } else { "s" }
}

fn usize_plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl fmt::Display for Finding {
    /// The finding without the dataset's name (see [`Finding::named`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Columns(err) => write!(f, "columns do not line up ({err})"),
            Self::OutOfOrder {
                row,
                ts,
                previous_ts,
            } => write!(
                f,
                "row {row} ({}) opens before the row above it ({})",
                Iso(*ts),
                Iso(*previous_ts)
            ),
            Self::Duplicate { rows, ts } => {
                let list: Vec<String> = rows.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "rows {} share the open time {}",
                    list.join(", "),
                    Iso(*ts)
                )
            }
            Self::Gap {
                after_row,
                from_ts,
                to_ts,
                missing,
            } => write!(
                f,
                "gap of {missing} bar{} after row {after_row} ({})",
                plural(*missing),
                IsoRange(*from_ts, *to_ts)
            ),
            Self::Misaligned { row, ts, bar_open } => write!(
                f,
                "row {row} opens at {}, which is not a bar open time (its bar opens at {})",
                Iso(*ts),
                Iso(*bar_open)
            ),
            Self::OhlcViolation { row, ts, what } => {
                write!(f, "row {row} ({}): {what}", Iso(*ts))
            }
            Self::BadValue {
                row,
                ts,
                column,
                value,
            } => write!(f, "row {row} ({}): {column} is {value}", Iso(*ts)),
            Self::ZeroVolumeRun {
                first_row,
                last_row,
                from_ts,
                to_ts,
                bars,
            } => {
                if first_row == last_row {
                    write!(f, "zero volume in row {first_row} ({})", Iso(*from_ts))
                } else {
                    write!(
                        f,
                        "zero volume in rows {first_row}–{last_row} ({bars} bar{}, {})",
                        usize_plural(*bars),
                        IsoRange(*from_ts, *to_ts)
                    )
                }
            }
        }
    }
}

/// A finding together with the name of its dataset; displays as `DATASET: finding`.
#[derive(Debug, Clone, Copy)]
pub struct Named<'a> {
    /// The dataset's name.
    pub dataset: &'a str,
    /// The finding.
    pub finding: &'a Finding,
}

impl fmt::Display for Named<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.dataset, self.finding)
    }
}
