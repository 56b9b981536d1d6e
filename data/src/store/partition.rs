//! One partition file: a period of one dataset's bars as Parquet, with a summary of its
//! contents in the file's key-value metadata so coverage can be read from footers alone.
//!
//! Writes are atomic: the bars go to a hidden temporary file in the partition's directory,
//! which is flushed to disk and then renamed over `bars.parquet`. A crash leaves either the
//! old file or the new one; readers look only at files named `bars.parquet`, so a leftover
//! temporary file is never read as data (the next write of that partition removes it).

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use polars::prelude::{
    Column, DataFrame, DataType, KeyValueMetadata, ParquetCompression, ParquetReader,
    ParquetWriter, SerReader, StatisticsOptions,
};
use serde_json::{Value, json};

use super::StoreError;
use super::hash::frame_hash;
use super::period::Period;
use crate::{BarFrame, Interval};

/// The file name of every partition.
pub(crate) const FILE_NAME: &str = "bars.parquet";

/// The metadata key holding a partition's summary.
const META_KEY: &str = "vela.partition";

/// What a partition holds, as recorded in its footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionMeta {
    /// The period it covers.
    pub period: Period,
    /// Bars.
    pub rows: usize,
    /// Open time of the first bar.
    pub first_ts: i64,
    /// Open time of the last bar.
    pub last_ts: i64,
    /// Gaps between consecutive bars inside the partition.
    pub gaps: u64,
    /// Bars missing in those gaps.
    pub missing_bars: u64,
    /// Whether the bars carry quote volume.
    pub has_quote_volume: bool,
    /// Content hash of the bars ([`frame_hash`]).
    pub hash: String,
}

impl PartitionMeta {
    /// Summarises a non-empty, sorted, unique frame of `interval` bars.
    #[must_use]
    pub fn of(period: Period, frame: &BarFrame, interval: Interval) -> Self {
        let (gaps, missing_bars) = frame.ts.windows(2).fold((0, 0), |(g, m), pair| {
            match missing_between(interval, pair[0], pair[1]) {
                0 => (g, m),
                n => (g + 1, m + n),
            }
        });
        Self {
            period,
            rows: frame.len(),
            first_ts: frame.ts.first().copied().unwrap_or_default(),
            last_ts: frame.ts.last().copied().unwrap_or_default(),
            gaps,
            missing_bars,
            has_quote_volume: frame.quote_volume.is_some(),
            hash: frame_hash(frame),
        }
    }

    fn to_json(&self) -> String {
        json!({
            "version": 1,
            "period": self.period.to_string(),
            "rows": self.rows,
            "first_ts": self.first_ts,
            "last_ts": self.last_ts,
            "gaps": self.gaps,
            "missing_bars": self.missing_bars,
            "has_quote_volume": self.has_quote_volume,
            "hash": self.hash,
        })
        .to_string()
    }

    fn from_json(text: &str, interval: Interval) -> Option<Self> {
        let v: Value = serde_json::from_str(text).ok()?;
        (v.get("version")?.as_u64()? == 1).then_some(())?;
        Some(Self {
            period: Period::parse(v.get("period")?.as_str()?, interval)?,
            rows: usize::try_from(v.get("rows")?.as_u64()?).ok()?,
            first_ts: v.get("first_ts")?.as_i64()?,
            last_ts: v.get("last_ts")?.as_i64()?,
            gaps: v.get("gaps")?.as_u64()?,
            missing_bars: v.get("missing_bars")?.as_u64()?,
            has_quote_volume: v.get("has_quote_volume")?.as_bool()?,
            hash: v.get("hash")?.as_str()?.to_owned(),
        })
    }
}

/// Bars of `interval` missing strictly between the bars opening at `a` and `b` (`a < b`).
#[must_use]
pub fn missing_between(interval: Interval, a: i64, b: i64) -> u64 {
    match interval.millis() {
        Some(ms) => u64::try_from((b - a) / ms - 1).unwrap_or(0),
        None => {
            let mut missing = 0;
            let mut t = interval.next(a);
            while t < b {
                missing += 1;
                t = interval.next(t);
            }
            missing
        }
    }
}

/// The path of a period's partition file in a dataset directory.
#[must_use]
pub(crate) fn path(dataset_dir: &Path, period: Period) -> PathBuf {
    dataset_dir.join(format!("period={period}")).join(FILE_NAME)
}

/// Writes a partition atomically (see the module docs).
pub(crate) fn write(path: &Path, frame: &BarFrame, meta: &PartitionMeta) -> Result<(), StoreError> {
    let dir = path
        .parent()
        .ok_or_else(|| StoreError::file(path, "a partition path needs a directory"))?;
    fs::create_dir_all(dir).map_err(|e| StoreError::io("cannot create", dir, e))?;
    let tmp = dir.join(format!(".{FILE_NAME}.{}.tmp", std::process::id()));
    let result = write_file(&tmp, frame, meta).and_then(|()| {
        fs::rename(&tmp, path).map_err(|e| StoreError::io("cannot rename into place", path, e))
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    // Make the rename itself durable.
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io("cannot sync", dir, e))
}

fn write_file(tmp: &Path, frame: &BarFrame, meta: &PartitionMeta) -> Result<(), StoreError> {
    let mut df = to_dataframe(frame).map_err(|e| StoreError::file(tmp, e))?;
    let mut file = File::create(tmp).map_err(|e| StoreError::io("cannot create", tmp, e))?;
    ParquetWriter::new(&mut file)
        .with_compression(ParquetCompression::Zstd(None))
        .with_statistics(StatisticsOptions::default())
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(vec![(
            META_KEY.to_owned(),
            meta.to_json(),
        )])))
        .finish(&mut df)
        .map_err(|e| StoreError::file(tmp, e))?;
    file.sync_all()
        .map_err(|e| StoreError::io("cannot sync", tmp, e))
}

/// A frame as a polars `DataFrame` with the store's schema (`quote_volume` all null when
/// the frame has none).
pub fn to_dataframe(frame: &BarFrame) -> polars::prelude::PolarsResult<DataFrame> {
    let n = frame.len();
    let quote = match &frame.quote_volume {
        Some(q) => Column::new("quote_volume".into(), q.clone()),
        None => Column::full_null("quote_volume".into(), n, &DataType::Float64),
    };
    DataFrame::new(
        n,
        vec![
            Column::new("ts".into(), frame.ts.clone()),
            Column::new("open".into(), frame.open.clone()),
            Column::new("high".into(), frame.high.clone()),
            Column::new("low".into(), frame.low.clone()),
            Column::new("close".into(), frame.close.clone()),
            Column::new("volume".into(), frame.volume.clone()),
            quote,
        ],
    )
}

/// Decodes a partition file into a `DataFrame` (the store's schema, not yet checked).
pub(crate) fn read_dataframe(path: &Path) -> Result<DataFrame, StoreError> {
    let file = File::open(path).map_err(|e| StoreError::io("cannot open", path, e))?;
    ParquetReader::new(file)
        .finish()
        .map_err(|e| StoreError::file(path, e))
}

/// Reads a partition's bars.
pub(crate) fn read(path: &Path) -> Result<BarFrame, StoreError> {
    let df = read_dataframe(path)?;
    from_dataframe(&df).map_err(|problem| StoreError::file(path, problem))
}

/// Reads a partition's summary from its footer, without reading its bars.
pub(crate) fn read_meta(path: &Path, interval: Interval) -> Result<PartitionMeta, StoreError> {
    let file = File::open(path).map_err(|e| StoreError::io("cannot open", path, e))?;
    let mut reader = ParquetReader::new(file);
    let metadata = reader
        .get_metadata()
        .map_err(|e| StoreError::file(path, e))?;
    metadata
        .key_value_metadata()
        .iter()
        .flatten()
        .find(|kv| kv.key == META_KEY)
        .and_then(|kv| kv.value.as_deref())
        .and_then(|text| PartitionMeta::from_json(text, interval))
        .ok_or_else(|| {
            StoreError::file(
                path,
                "no vela partition summary in the footer (not written by vela?)",
            )
        })
}

/// Converts a `DataFrame` with the store's schema back into a frame, refusing nulls in
/// every column but `quote_volume` (which must be all null or none).
pub fn from_dataframe(df: &DataFrame) -> Result<BarFrame, String> {
    let with_quote = has_quote_volume(df)?;
    let mut frame = BarFrame::with_capacity(df.height(), with_quote);
    append_dataframe(df, &mut frame)?;
    Ok(frame)
}

/// Whether `df`'s `quote_volume` column holds values: `false` when it is absent or all
/// null, an error when only some values are null.
pub(crate) fn has_quote_volume(df: &DataFrame) -> Result<bool, String> {
    match df.column("quote_volume") {
        Err(_) => Ok(false),
        Ok(column) => {
            let nulls = column.null_count();
            if nulls == column.len() {
                Ok(false)
            } else if nulls == 0 {
                Ok(true)
            } else {
                Err(format!(
                    "column quote_volume has {nulls} null values out of {}: it must be all present or all absent",
                    column.len()
                ))
            }
        }
    }
}

/// Appends `df`'s rows (the store's schema) to `frame`, copying each column once, straight
/// from its decoded chunks. `frame` must have a `quote_volume` column exactly when `df`
/// has values in one ([`has_quote_volume`]). Nothing is appended on an error.
pub(crate) fn append_dataframe(df: &DataFrame, frame: &mut BarFrame) -> Result<(), String> {
    if has_quote_volume(df)? != frame.quote_volume.is_some() {
        return Err(
            "quote_volume is present in some partitions of this dataset and not in others"
                .to_owned(),
        );
    }
    let ts = df
        .column("ts")
        .and_then(Column::i64)
        .map_err(|e| format!("column ts: {e}"))?;
    let floats = |name: &str| {
        df.column(name)
            .and_then(Column::f64)
            .map_err(|e| format!("column {name}: {e}"))
    };
    let (open, high, low, close, volume) = (
        floats("open")?,
        floats("high")?,
        floats("low")?,
        floats("close")?,
        floats("volume")?,
    );
    let quote = frame
        .quote_volume
        .is_some()
        .then(|| floats("quote_volume"))
        .transpose()?;
    for (name, nulls) in [
        ("ts", ts.null_count()),
        ("open", open.null_count()),
        ("high", high.null_count()),
        ("low", low.null_count()),
        ("close", close.null_count()),
        ("volume", volume.null_count()),
    ] {
        if nulls > 0 {
            return Err(format!("column {name}: {nulls} null values"));
        }
    }
    for chunk in ts.downcast_iter() {
        frame.ts.extend_from_slice(chunk.values());
    }
    for (column, into) in [
        (open, &mut frame.open),
        (high, &mut frame.high),
        (low, &mut frame.low),
        (close, &mut frame.close),
        (volume, &mut frame.volume),
    ] {
        for chunk in column.downcast_iter() {
            into.extend_from_slice(chunk.values());
        }
    }
    if let (Some(column), Some(into)) = (quote, frame.quote_volume.as_mut()) {
        for chunk in column.downcast_iter() {
            into.extend_from_slice(chunk.values());
        }
    }
    frame.validate().map_err(|e| e.to_string())
}
