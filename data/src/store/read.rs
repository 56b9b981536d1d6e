//! Time-range reads: only the partitions that overlap the range are opened.

use polars::prelude::DataFrame;
use rayon::prelude::*;

use super::{DatasetId, Store, StoreError, partition};
use crate::resample::{Partial, resample};
use crate::{BarFrame, Interval};

/// Partitions decoded at once by a read (a year of monthly partitions).
const READ_BATCH: usize = 12;

/// A half-open range of open times `[start, end)`, ms UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    /// First open time included.
    pub start: i64,
    /// First open time excluded.
    pub end: i64,
}

impl TimeRange {
    /// Every bar.
    pub const ALL: Self = Self {
        start: i64::MIN,
        end: i64::MAX,
    };

    /// `[start, end)`, with `None` for an open end.
    #[must_use]
    pub fn new(start: Option<i64>, end: Option<i64>) -> Self {
        Self {
            start: start.unwrap_or(i64::MIN),
            end: end.unwrap_or(i64::MAX),
        }
    }
}

impl Store {
    /// The bars of `id` opening in `range`, as columns. Opens only the partitions whose
    /// period overlaps the range; an empty result is not an error (the dataset must exist).
    pub fn read(&self, id: &DatasetId, range: TimeRange) -> Result<BarFrame, StoreError> {
        let paths = self.partition_paths(id)?;
        if paths.is_empty() {
            return Err(self.no_dataset(id));
        }
        let wanted: Vec<_> = paths
            .into_iter()
            .filter(|(period, _)| period.overlaps(range.start, range.end))
            .collect();
        // Partitions are decoded in parallel a batch at a time (bounded memory), then
        // copied once, in order, into one frame sized from their row counts.
        let mut frame: Option<BarFrame> = None;
        for batch in wanted.chunks(READ_BATCH) {
            let decoded = batch
                .par_iter()
                .map(|(_, path)| partition::read_dataframe(path))
                .collect::<Result<Vec<_>, _>>()?;
            for (df, (_, path)) in decoded.iter().zip(batch) {
                let frame = match &mut frame {
                    Some(frame) => frame,
                    None => {
                        let with_quote = partition::has_quote_volume(df)
                            .map_err(|problem| StoreError::file(path, problem))?;
                        frame.insert(BarFrame::with_capacity(df.height(), with_quote))
                    }
                };
                let first = frame.len();
                frame.reserve(df.height());
                partition::append_dataframe(df, frame)
                    .map_err(|problem| StoreError::file(path, problem))?;
                let (before, after) = (
                    first.checked_sub(1).map(|i| frame.ts[i]),
                    frame.ts.get(first),
                );
                if before.zip(after).is_some_and(|(a, b)| a >= *b) {
                    return Err(StoreError::file(
                        path,
                        "bars overlap the previous partition's",
                    ));
                }
            }
        }
        let frame = frame.unwrap_or_else(|| BarFrame::with_capacity(0, false));
        if range == TimeRange::ALL {
            return Ok(frame);
        }
        Ok(frame.between(range.start, range.end))
    }

    /// The bars of several datasets over one range, in the order asked.
    pub fn read_many(
        &self,
        ids: &[DatasetId],
        range: TimeRange,
    ) -> Result<Vec<BarFrame>, StoreError> {
        ids.iter().map(|id| self.read(id, range)).collect()
    }

    /// The bars of `id` resampled on the fly to the coarser interval `to`, for bars whose
    /// open time lies in `range` (the range's start is moved back to the start of its `to`
    /// bar, so the first bar is whole). Incomplete bars are dropped unless
    /// `partial` says to keep them.
    pub fn read_resampled(
        &self,
        id: &DatasetId,
        to: Interval,
        range: TimeRange,
        partial: Partial,
    ) -> Result<BarFrame, StoreError> {
        let start = if range.start == i64::MIN {
            range.start
        } else {
            to.bucket(range.start)
        };
        let base = self.read(id, TimeRange { start, ..range })?;
        resample(&base, id.interval(), to, partial).map_err(|e| StoreError::Rejected {
            dataset: id.to_string(),
            problem: e.to_string(),
        })
    }

    /// The bars of `id` in `range` as a polars `DataFrame` with the store's schema
    /// (`quote_volume` all null when the dataset has none).
    pub fn read_dataframe(
        &self,
        id: &DatasetId,
        range: TimeRange,
    ) -> Result<DataFrame, StoreError> {
        let frame = self.read(id, range)?;
        partition::to_dataframe(&frame).map_err(|e| StoreError::file(id.dir(&self.root), e))
    }
}
