//! Resampling bars to a coarser interval, in one go ([`resample`]) or bar by bar as they
//! arrive ([`Resampler`]); the two give the same bars.
//!
//! A coarser bar collects the source bars whose open time falls in its bucket
//! (`to.bucket(ts)`, so weeks start on Monday 00:00 UTC and months on the 1st): open is the
//! first open, high the highest high, low the lowest low, close the last close, volume the
//! sum of volumes and quote volume the sum of quote volumes (present only when every source
//! bar of the bucket has one; a frame without the column gives a frame without it). The
//! coarser bar is stamped with the bucket's open time, even when its first source bar is
//! missing. Values are aggregated as they are: finiteness and OHLC consistency are the
//! checks' business, not this module's.
//!
//! # Which intervals
//!
//! `to` must be `from` itself or coarser, and a whole number of `from` bars must make one
//! `to` bar: for fixed intervals, `to.millis()` a multiple of `from.millis()`; for weeks
//! and calendar months, `from` must divide a day (`1m` … `1d`; so `1M` from `1W` is an
//! error). `1M` can only be resampled to itself.
//!
//! # Input
//!
//! Timestamps must be strictly increasing and each the open time of a `from` bar; the first
//! row that is not is an error (rows are counted from 0). Nothing is repaired silently.
//!
//! # Incomplete buckets
//!
//! A bucket is complete when it holds every `from` bar of its span (for months, the span
//! runs to `Interval::next`, so February holds fewer minutes than March). A bucket can be
//! incomplete at either end of the data or because source bars are missing inside it (a
//! gap). [`Partial::Drop`] (the default) drops every incomplete bucket, wherever it is;
//! [`Partial::Keep`] emits it, aggregated over the bars that are there — a gap inside a
//! bucket leaves no trace in the emitted bar beyond the missing bars' absence.

use thiserror::Error;

use crate::frame::{BarFrame, FrameError, Row};
use crate::interval::Interval;

/// What to do with a bucket that lacks some of its source bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Partial {
    /// Leave it out (the default).
    #[default]
    Drop,
    /// Emit it, aggregated over the source bars it has.
    Keep,
}

/// Why bars cannot be resampled.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ResampleError {
    /// The target interval is finer than the source's.
    #[error("cannot resample {from} bars to {to}: {to} is finer than {from}")]
    Finer {
        /// The source interval.
        from: Interval,
        /// The target interval.
        to: Interval,
    },
    /// The target interval is not made of whole source bars.
    #[error("cannot resample {from} bars to {to}: a {to} bar is not a whole number of {from} bars")]
    NotMultiple {
        /// The source interval.
        from: Interval,
        /// The target interval.
        to: Interval,
    },
    /// A row's timestamp is earlier than the previous row's.
    #[error(
        "row {row} (ts {ts}) comes before the row above it (ts {previous}): input must be sorted by ts"
    )]
    Unsorted {
        /// The row, counted from 0.
        row: usize,
        /// Its timestamp.
        ts: i64,
        /// The previous row's timestamp.
        previous: i64,
    },
    /// A row repeats the previous row's timestamp.
    #[error("row {row} repeats the ts of the row above it ({ts}): timestamps must be unique")]
    Duplicate {
        /// The row, counted from 0.
        row: usize,
        /// The timestamp.
        ts: i64,
    },
    /// A row's timestamp is not the open time of a source bar.
    #[error("row {row} (ts {ts}) is not the open time of a {from} bar")]
    Misaligned {
        /// The row, counted from 0.
        row: usize,
        /// Its timestamp.
        ts: i64,
        /// The source interval.
        from: Interval,
    },
    /// The frame's columns do not line up.
    #[error(transparent)]
    Frame(#[from] FrameError),
}

/// Checks that `to` bars are made of whole `from` bars.
fn check_intervals(from: Interval, to: Interval) -> Result<(), ResampleError> {
    if to < from {
        return Err(ResampleError::Finer { from, to });
    }
    if to == from {
        return Ok(());
    }
    let from_ms = from.millis().ok_or(ResampleError::Finer { from, to })?;
    let whole = match (to, to.millis()) {
        (Interval::W1 | Interval::Month1, _) | (_, None) => {
            Interval::D1.millis().is_some_and(|day| day % from_ms == 0)
        }
        (_, Some(to_ms)) => to_ms % from_ms == 0,
    };
    if whole {
        Ok(())
    } else {
        Err(ResampleError::NotMultiple { from, to })
    }
}

/// Source bars in a complete bucket opening at `bucket` (intervals already checked).
fn expected_bars(from: Interval, to: Interval, bucket: i64) -> usize {
    match from.millis() {
        Some(from_ms) if from != to => {
            usize::try_from((to.next(bucket) - bucket) / from_ms).unwrap_or(usize::MAX)
        }
        _ => 1,
    }
}

/// Checks one row's timestamp against the previous one's.
fn check_row(
    from: Interval,
    row: usize,
    ts: i64,
    previous: Option<i64>,
) -> Result<(), ResampleError> {
    match previous {
        Some(previous) if ts == previous => return Err(ResampleError::Duplicate { row, ts }),
        Some(previous) if ts < previous => {
            return Err(ResampleError::Unsorted { row, ts, previous });
        }
        _ => {}
    }
    if from.bucket(ts) == ts {
        Ok(())
    } else {
        Err(ResampleError::Misaligned { row, ts, from })
    }
}

/// Resamples a frame of `from` bars to `to` bars (see the module docs for the rules).
pub fn resample(
    frame: &BarFrame,
    from: Interval,
    to: Interval,
    partial: Partial,
) -> Result<BarFrame, ResampleError> {
    check_intervals(from, to)?;
    frame.validate()?;
    let ts = &frame.ts;
    for (row, &t) in ts.iter().enumerate() {
        check_row(from, row, t, row.checked_sub(1).map(|p| ts[p]))?;
    }

    let mut out = BarFrame::empty(frame.quote_volume.is_some());
    let mut start = 0;
    while start < ts.len() {
        let bucket = to.bucket(ts[start]);
        let end_ts = to.next(bucket);
        let end = start + ts[start..].partition_point(|&t| t < end_ts);
        if partial == Partial::Keep || end - start == expected_bars(from, to, bucket) {
            let range = start..end;
            let highest = frame.high[range.clone()].iter().copied();
            let lowest = frame.low[range.clone()].iter().copied();
            out.push(Row {
                ts: bucket,
                open: frame.open[start],
                high: highest.fold(f64::NEG_INFINITY, f64::max),
                low: lowest.fold(f64::INFINITY, f64::min),
                close: frame.close[end - 1],
                volume: frame.volume[range.clone()].iter().sum(),
                quote_volume: frame.quote_volume.as_ref().map(|q| q[range].iter().sum()),
            });
        }
        start = end;
    }
    Ok(out)
}

/// The bucket a [`Resampler`] is filling.
#[derive(Debug, Clone, Copy)]
struct Pending {
    bar: Row,
    end: i64,
    count: usize,
    expected: usize,
}

/// Resamples bars as they arrive: push `from` bars in order, get `to` bars back.
///
/// A coarser bar is emitted by the [`push`](Self::push) that completes it (its last
/// source bar), so a live feed sees it without waiting for the next bucket. A bucket with
/// missing bars is emitted (with [`Partial::Keep`]) or dropped (with [`Partial::Drop`])
/// when the first bar of a later bucket arrives, or at [`finish`](Self::finish). Fed the
/// rows of a frame, it yields exactly the rows [`resample`] gives.
#[derive(Debug, Clone)]
pub struct Resampler {
    from: Interval,
    to: Interval,
    partial: Partial,
    pending: Option<Pending>,
    last_ts: Option<i64>,
    rows: usize,
}

impl Resampler {
    /// A resampler from `from` bars to `to` bars.
    pub fn new(from: Interval, to: Interval, partial: Partial) -> Result<Self, ResampleError> {
        check_intervals(from, to)?;
        Ok(Self {
            from,
            to,
            partial,
            pending: None,
            last_ts: None,
            rows: 0,
        })
    }

    /// Takes the next source bar; returns the coarser bar it completes, or the incomplete
    /// one it closes (with [`Partial::Keep`]). A bar out of order or off the `from` grid is
    /// an error and leaves the resampler as it was.
    pub fn push(&mut self, row: Row) -> Result<Option<Row>, ResampleError> {
        check_row(self.from, self.rows, row.ts, self.last_ts)?;
        self.rows += 1;
        self.last_ts = Some(row.ts);

        let mut emitted = None;
        if let Some(pending) = self.pending.as_mut().filter(|p| row.ts < p.end) {
            let bar = &mut pending.bar;
            bar.high = bar.high.max(row.high);
            bar.low = bar.low.min(row.low);
            bar.close = row.close;
            bar.volume += row.volume;
            bar.quote_volume = bar.quote_volume.zip(row.quote_volume).map(|(a, b)| a + b);
            pending.count += 1;
        } else {
            // The bucket in hand (if any) ends incomplete: complete ones left already.
            emitted = self.pending.take().and_then(|p| self.incomplete(p));
            let bucket = self.to.bucket(row.ts);
            self.pending = Some(Pending {
                bar: Row { ts: bucket, ..row },
                end: self.to.next(bucket),
                count: 1,
                expected: expected_bars(self.from, self.to, bucket),
            });
        }
        if self.pending.is_some_and(|p| p.count == p.expected) {
            // A bucket of one bar opens and completes at once, but then the bucket
            // before it was complete and left already: `emitted` is still empty.
            emitted = self.pending.take().map(|p| p.bar);
        }
        Ok(emitted)
    }

    /// Ends the stream: returns the last bucket if it is incomplete and kept (complete
    /// buckets were returned by [`push`](Self::push)).
    pub fn finish(&mut self) -> Option<Row> {
        self.pending.take().and_then(|p| self.incomplete(p))
    }

    fn incomplete(&self, pending: Pending) -> Option<Row> {
        (self.partial == Partial::Keep).then_some(pending.bar)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_pairs() {
        use Interval::{D1, H1, H4, M1, M5, Month1, W1};
        for (from, to) in [(M1, M5), (H1, H4), (M5, Month1), (D1, W1), (D1, Month1)] {
            assert_eq!(check_intervals(from, to), Ok(()), "{from} -> {to}");
        }
        for i in Interval::ALL {
            assert_eq!(check_intervals(i, i), Ok(()));
        }
        assert!(matches!(
            check_intervals(W1, Month1),
            Err(ResampleError::NotMultiple { .. })
        ));
        assert!(matches!(
            check_intervals(Month1, W1),
            Err(ResampleError::Finer { .. })
        ));
        assert_eq!(expected_bars(M1, Month1, 1_706_745_600_000), 29 * 1_440);
        assert_eq!(expected_bars(Month1, Month1, 1_706_745_600_000), 1);
    }
}
