//! Bar frames: the columns of one symbol's bars at one interval.

use thiserror::Error;
use vela_core::strategy::{BarColumns, BarSeries};
use vela_core::types::{Bar, Timestamp};

/// Columns that do not line up.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("bar column {column} has {len} rows, ts has {expected}")]
pub struct FrameError {
    /// The column.
    pub column: &'static str,
    /// Its length.
    pub len: usize,
    /// The length of `ts`.
    pub expected: usize,
}

/// One row of a frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    /// Open time, ms UTC.
    pub ts: i64,
    /// Open.
    pub open: f64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Close.
    pub close: f64,
    /// Base volume.
    pub volume: f64,
    /// Quote volume, when the source has it.
    pub quote_volume: Option<f64>,
}

/// Bars of one symbol at one interval, as columns: the store's schema
/// (`ts, open, high, low, close, volume, quote_volume`). `quote_volume` is present for the
/// whole frame or absent (sources without it are not guessed at).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BarFrame {
    /// Open times, ms UTC.
    pub ts: Vec<i64>,
    /// Opens.
    pub open: Vec<f64>,
    /// Highs.
    pub high: Vec<f64>,
    /// Lows.
    pub low: Vec<f64>,
    /// Closes.
    pub close: Vec<f64>,
    /// Base volumes.
    pub volume: Vec<f64>,
    /// Quote volumes, when the source has them.
    pub quote_volume: Option<Vec<f64>>,
}

impl BarFrame {
    /// An empty frame, with or without a quote-volume column.
    #[must_use]
    pub fn empty(with_quote_volume: bool) -> Self {
        Self {
            quote_volume: with_quote_volume.then(Vec::new),
            ..Self::default()
        }
    }

    /// An empty frame with room for `rows` rows.
    #[must_use]
    pub fn with_capacity(rows: usize, with_quote_volume: bool) -> Self {
        Self {
            ts: Vec::with_capacity(rows),
            open: Vec::with_capacity(rows),
            high: Vec::with_capacity(rows),
            low: Vec::with_capacity(rows),
            close: Vec::with_capacity(rows),
            volume: Vec::with_capacity(rows),
            quote_volume: with_quote_volume.then(|| Vec::with_capacity(rows)),
        }
    }

    /// Checks that every column has as many rows as `ts`.
    pub fn validate(&self) -> Result<(), FrameError> {
        let expected = self.ts.len();
        let mut columns = vec![
            ("open", self.open.len()),
            ("high", self.high.len()),
            ("low", self.low.len()),
            ("close", self.close.len()),
            ("volume", self.volume.len()),
        ];
        if let Some(q) = &self.quote_volume {
            columns.push(("quote_volume", q.len()));
        }
        match columns.into_iter().find(|(_, len)| *len != expected) {
            Some((column, len)) => Err(FrameError {
                column,
                len,
                expected,
            }),
            None => Ok(()),
        }
    }

    /// Makes room for `additional` more rows in every column.
    pub fn reserve(&mut self, additional: usize) {
        for column in [
            &mut self.open,
            &mut self.high,
            &mut self.low,
            &mut self.close,
            &mut self.volume,
        ] {
            column.reserve(additional);
        }
        self.ts.reserve(additional);
        if let Some(q) = &mut self.quote_volume {
            q.reserve(additional);
        }
    }

    /// Rows `range` as a new frame.
    ///
    /// # Panics
    /// When `range` is out of bounds (callers pass ranges they computed from `ts`).
    #[must_use]
    pub fn slice(&self, range: std::ops::Range<usize>) -> Self {
        Self {
            ts: self.ts[range.clone()].to_vec(),
            open: self.open[range.clone()].to_vec(),
            high: self.high[range.clone()].to_vec(),
            low: self.low[range.clone()].to_vec(),
            close: self.close[range.clone()].to_vec(),
            volume: self.volume[range.clone()].to_vec(),
            quote_volume: self.quote_volume.as_ref().map(|q| q[range].to_vec()),
        }
    }

    /// The rows whose open time lies in `[start, end)`, for a frame sorted by `ts`.
    #[must_use]
    pub fn between(&self, start: i64, end: i64) -> Self {
        let from = self.ts.partition_point(|&t| t < start);
        let to = from + self.ts[from..].partition_point(|&t| t < end);
        self.slice(from..to)
    }

    /// Appends another frame's rows (both with or both without quote volume; a frame that
    /// has the column takes `NaN` for rows from one that lacks it).
    pub fn append(&mut self, other: &Self) {
        let n = other.len();
        self.ts.extend_from_slice(&other.ts);
        self.open.extend_from_slice(&other.open);
        self.high.extend_from_slice(&other.high);
        self.low.extend_from_slice(&other.low);
        self.close.extend_from_slice(&other.close);
        self.volume.extend_from_slice(&other.volume);
        if let Some(q) = &mut self.quote_volume {
            match &other.quote_volume {
                Some(o) => q.extend_from_slice(o),
                None => q.extend(std::iter::repeat_n(f64::NAN, n)),
            }
        }
    }

    /// Number of rows.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// Whether there are no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Row `i`.
    #[must_use]
    pub fn row(&self, i: usize) -> Option<Row> {
        Some(Row {
            ts: *self.ts.get(i)?,
            open: *self.open.get(i)?,
            high: *self.high.get(i)?,
            low: *self.low.get(i)?,
            close: *self.close.get(i)?,
            volume: *self.volume.get(i)?,
            quote_volume: match &self.quote_volume {
                Some(q) => Some(*q.get(i)?),
                None => None,
            },
        })
    }

    /// Appends a row. A quote volume is kept only when the frame has that column (and a
    /// frame that has it takes `NaN` for a row without one, which the checks report).
    pub fn push(&mut self, row: Row) {
        self.ts.push(row.ts);
        self.open.push(row.open);
        self.high.push(row.high);
        self.low.push(row.low);
        self.close.push(row.close);
        self.volume.push(row.volume);
        if let Some(q) = &mut self.quote_volume {
            q.push(row.quote_volume.unwrap_or(f64::NAN));
        }
    }

    /// The rows, in order.
    pub fn rows(&self) -> impl Iterator<Item = Row> + '_ {
        (0..self.len()).filter_map(|i| self.row(i))
    }

    /// The frame as the core's bars.
    #[must_use]
    pub fn bars(&self) -> Vec<Bar> {
        self.rows()
            .map(|r| Bar {
                ts: Timestamp(r.ts),
                open: r.open,
                high: r.high,
                low: r.low,
                close: r.close,
                volume: r.volume,
            })
            .collect()
    }

    /// A borrowed view as the core's bar columns (for vectorised signals).
    #[must_use]
    pub fn columns(&self) -> BarColumns<'_> {
        BarColumns {
            ts: &self.ts,
            open: &self.open,
            high: &self.high,
            low: &self.low,
            close: &self.close,
            volume: &self.volume,
        }
    }

    /// A frame from the core's bars (no quote volume).
    #[must_use]
    pub fn from_bars(bars: &[Bar]) -> Self {
        let series = BarSeries::from_bars(bars);
        Self {
            ts: series.ts,
            open: series.open,
            high: series.high,
            low: series.low,
            close: series.close,
            volume: series.volume,
            quote_volume: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ts: i64, q: Option<f64>) -> Row {
        Row {
            ts,
            open: 1.0,
            high: 2.0,
            low: 0.5,
            close: 1.5,
            volume: 10.0,
            quote_volume: q,
        }
    }

    #[test]
    fn rows_round_trip_and_columns_must_line_up() {
        let mut frame = BarFrame::empty(true);
        frame.push(row(0, Some(15.0)));
        frame.push(row(60_000, None));
        assert_eq!(frame.validate(), Ok(()));
        assert_eq!(frame.row(0), Some(row(0, Some(15.0))));
        assert!(
            frame
                .row(1)
                .and_then(|r| r.quote_volume)
                .is_some_and(f64::is_nan)
        );
        assert_eq!(frame.bars().len(), 2);
        frame.close.pop();
        let err = frame.validate().unwrap_err();
        assert_eq!(err.to_string(), "bar column close has 1 rows, ts has 2");
        let plain = BarFrame::from_bars(&BarFrame::empty(false).bars());
        assert!(plain.is_empty() && plain.quote_volume.is_none());
    }
}
