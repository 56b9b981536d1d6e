//! Parquet and Arrow IPC (feather) frames of bars, e.g. from pandas, polars or freqtrade.
//!
//! Columns are found by name, case-insensitively; other columns are ignored:
//! - open time: `ts`, `timestamp`, `date`, `datetime`, `time`, `open_time` or `opentime` —
//!   a datetime column (any unit, any time zone: Arrow datetimes are UTC instants), an
//!   integer column (seconds, ms, µs or ns, as [`parse_timestamp`]
//!   reads integers) or text ([`parse_timestamp`]);
//! - `open`, `high`, `low`, `close`, `volume`: numbers;
//! - quote volume, optional: `quote_volume`, `quote_asset_volume`, `quotevolume` or `qav`.
//!
//! A null or unreadable value is an error naming the file, the column and the row.

use std::fs::File;
use std::path::Path;

use polars::prelude::{Column, DataFrame, DataType, IpcReader, ParquetReader, SerReader, TimeUnit};

use super::ImportError;
use super::timestamp::{from_integer, parse_timestamp};
use crate::BarFrame;

const TIME_NAMES: [&str; 7] = [
    "ts",
    "timestamp",
    "date",
    "datetime",
    "time",
    "open_time",
    "opentime",
];
const QUOTE_NAMES: [&str; 4] = ["quote_volume", "quote_asset_volume", "quotevolume", "qav"];

/// Reads a Parquet file of bars.
pub fn read_parquet(path: &Path) -> Result<BarFrame, ImportError> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|source| ImportError::Io {
        file: name.clone(),
        source,
    })?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| layout(&name, format!("not a readable Parquet file ({e})")))?;
    frame_from(&df, &name)
}

/// Reads an Arrow IPC file (feather v2) of bars.
pub fn read_feather(path: &Path) -> Result<BarFrame, ImportError> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|source| ImportError::Io {
        file: name.clone(),
        source,
    })?;
    let df = IpcReader::new(file).finish().map_err(|e| {
        layout(
            &name,
            format!("not a readable Arrow IPC (feather) file ({e})"),
        )
    })?;
    frame_from(&df, &name)
}

fn layout(file: &str, problem: impl Into<String>) -> ImportError {
    ImportError::Layout {
        file: file.to_owned(),
        problem: problem.into(),
    }
}

fn find<'a>(df: &'a DataFrame, names: &[&str]) -> Option<&'a Column> {
    names.iter().find_map(|wanted| {
        df.columns()
            .iter()
            .find(|c| c.name().as_str().eq_ignore_ascii_case(wanted))
    })
}

/// Maps a frame's columns to bars.
pub(crate) fn frame_from(df: &DataFrame, file: &str) -> Result<BarFrame, ImportError> {
    let names: Vec<&str> = df.columns().iter().map(|c| c.name().as_str()).collect();
    let time = find(df, &TIME_NAMES).ok_or_else(|| {
        layout(
            file,
            format!(
                "no open-time column (looked for {}; the file has {})",
                TIME_NAMES.join(", "),
                names.join(", ")
            ),
        )
    })?;
    let ts = times(time, file)?;
    let number = |name: &str| -> Result<Vec<f64>, ImportError> {
        let column = find(df, &[name]).ok_or_else(|| {
            layout(
                file,
                format!("no {name} column (the file has {})", names.join(", ")),
            )
        })?;
        floats(column, file)
    };
    let frame = BarFrame {
        ts,
        open: number("open")?,
        high: number("high")?,
        low: number("low")?,
        close: number("close")?,
        volume: number("volume")?,
        // An all-null quote volume is an absent one (the store writes it so when a
        // dataset has none); some nulls are an error.
        quote_volume: find(df, &QUOTE_NAMES)
            .filter(|c| c.null_count() < c.len())
            .map(|c| floats(c, file))
            .transpose()?,
    };
    frame.validate().map_err(|e| layout(file, e.to_string()))?;
    Ok(frame)
}

fn null_error(column: &Column, file: &str) -> ImportError {
    let row = (0..column.len())
        .find(|&i| column.get(i).is_ok_and(|v| v.is_null()))
        .unwrap_or_default();
    ImportError::Row {
        file: file.to_owned(),
        line: row as u64 + 1,
        problem: format!("column {} is null in row {row}", column.name()),
    }
}

fn floats(column: &Column, file: &str) -> Result<Vec<f64>, ImportError> {
    if column.null_count() > 0 {
        return Err(null_error(column, file));
    }
    let numeric = column.dtype().is_primitive_numeric();
    if !numeric {
        return Err(layout(
            file,
            format!(
                "column {} holds {}, not numbers",
                column.name(),
                column.dtype()
            ),
        ));
    }
    let cast = column
        .cast(&DataType::Float64)
        .map_err(|e| layout(file, format!("column {}: {e}", column.name())))?;
    let ca = cast
        .f64()
        .map_err(|e| layout(file, format!("column {}: {e}", column.name())))?;
    Ok(ca.into_no_null_iter().collect())
}

fn times(column: &Column, file: &str) -> Result<Vec<i64>, ImportError> {
    if column.null_count() > 0 {
        return Err(null_error(column, file));
    }
    let bad = |row: usize, problem: String| ImportError::Row {
        file: file.to_owned(),
        line: row as u64 + 1,
        problem: format!("column {}, row {row}: {problem}", column.name()),
    };
    match column.dtype() {
        DataType::Datetime(unit, _) => {
            let per_ms: i64 = match unit {
                TimeUnit::Milliseconds => 1,
                TimeUnit::Microseconds => 1_000,
                TimeUnit::Nanoseconds => 1_000_000,
            };
            let physical = column
                .cast(&DataType::Int64)
                .map_err(|e| layout(file, format!("column {}: {e}", column.name())))?;
            let ca = physical
                .i64()
                .map_err(|e| layout(file, format!("column {}: {e}", column.name())))?;
            ca.into_no_null_iter()
                .enumerate()
                .map(|(row, v)| {
                    if v % per_ms == 0 {
                        Ok(v / per_ms)
                    } else {
                        Err(bad(row, format!("{v} is not a whole millisecond")))
                    }
                })
                .collect()
        }
        dtype if dtype.is_integer() => {
            let cast = column
                .cast(&DataType::Int64)
                .map_err(|e| layout(file, format!("column {}: {e}", column.name())))?;
            let ca = cast
                .i64()
                .map_err(|e| layout(file, format!("column {}: {e}", column.name())))?;
            ca.into_no_null_iter()
                .enumerate()
                .map(|(row, v)| {
                    from_integer(v)
                        .ok_or_else(|| bad(row, format!("timestamp {v} is out of range")))
                })
                .collect()
        }
        DataType::String => {
            let ca = column
                .str()
                .map_err(|e| layout(file, format!("column {}: {e}", column.name())))?;
            ca.iter()
                .enumerate()
                .map(|(row, text)| {
                    parse_timestamp(text.unwrap_or_default()).map_err(|p| bad(row, p))
                })
                .collect()
        }
        other => Err(layout(
            file,
            format!(
                "column {} holds {other}, not timestamps (datetime, integer or text)",
                column.name()
            ),
        )),
    }
}
