//! CSV bar files: Binance's kline layout and plain headed files.

use std::io::Read;

use ::csv::{ReaderBuilder, StringRecord};

use super::ImportError;
use super::timestamp::parse_timestamp;
use crate::frame::{BarFrame, Row};

/// The layouts read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvLayout {
    /// Binance klines: 12 columns, no header — open time, open, high, low, close, volume,
    /// close time, quote volume, trades, taker buy base, taker buy quote, ignore.
    Binance,
    /// A header naming `ts` (or `timestamp`, `time`, `date`, `datetime`, `open_time`),
    /// `open`, `high`, `low`, `close`, `volume` and optionally `quote_volume` (or
    /// `quote_asset_volume`), in any order and case; other columns are ignored.
    Plain,
}

const BINANCE_COLUMNS: usize = 12;
const TS_NAMES: [&str; 6] = ["ts", "timestamp", "time", "date", "datetime", "open_time"];
const QUOTE_NAMES: [&str; 2] = ["quote_volume", "quote_asset_volume"];

/// Column positions of a plain file.
struct Columns {
    ts: usize,
    ohlcv: [usize; 5],
    quote_volume: Option<usize>,
}

impl Columns {
    fn from_header(header: &StringRecord, file: &str) -> Result<Self, ImportError> {
        let names: Vec<String> = header
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        let find = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
        let mut missing = Vec::new();
        let ts = find(&TS_NAMES);
        if ts.is_none() {
            missing.push("ts");
        }
        let mut ohlcv = [0; 5];
        for (slot, name) in ohlcv
            .iter_mut()
            .zip(["open", "high", "low", "close", "volume"])
        {
            match find(&[name]) {
                Some(i) => *slot = i,
                None => missing.push(name),
            }
        }
        match ts {
            Some(ts) if missing.is_empty() => Ok(Self {
                ts,
                ohlcv,
                quote_volume: find(&QUOTE_NAMES),
            }),
            _ => Err(ImportError::Layout {
                file: file.to_owned(),
                problem: format!(
                    "not Binance klines (12 columns, no header) and the header [{}] lacks {}",
                    names.join(", "),
                    missing.join(", ")
                ),
            }),
        }
    }

    fn binance() -> Self {
        Self {
            ts: 0,
            ohlcv: [1, 2, 3, 4, 5],
            quote_volume: Some(7),
        }
    }
}

/// Reads a CSV bar file; `file` names it in errors. Returns the frame (rows in file
/// order, nothing dropped or merged) and the layout found.
pub fn read_csv(input: impl Read, file: &str) -> Result<(BarFrame, CsvLayout), ImportError> {
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    // One record buffer for the whole file.
    let mut record = StringRecord::new();
    let read = |reader: &mut ::csv::Reader<_>, record: &mut StringRecord| {
        reader.read_record(record).map_err(|e| csv_error(file, &e))
    };
    if !read(&mut reader, &mut record)? {
        return Err(ImportError::Layout {
            file: file.to_owned(),
            problem: "the file is empty".to_owned(),
        });
    }
    let binance = record.len() == BINANCE_COLUMNS
        && record
            .get(0)
            .is_some_and(|v| v.trim().parse::<i64>().is_ok());
    let (layout, columns) = if binance {
        (CsvLayout::Binance, Columns::binance())
    } else {
        (CsvLayout::Plain, Columns::from_header(&record, file)?)
    };
    let mut frame = BarFrame::empty(columns.quote_volume.is_some());
    let width = record.len();
    if binance {
        frame.push(parse_row(&record, &columns, file, 1, width)?);
    }
    while read(&mut reader, &mut record)? {
        let line = record.position().map_or(0, ::csv::Position::line);
        frame.push(parse_row(&record, &columns, file, line, width)?);
    }
    Ok((frame, layout))
}

fn parse_row(
    record: &StringRecord,
    columns: &Columns,
    file: &str,
    line: u64,
    width: usize,
) -> Result<Row, ImportError> {
    let row_error = |problem: String| ImportError::Row {
        file: file.to_owned(),
        line,
        problem,
    };
    if record.len() != width {
        return Err(row_error(format!(
            "expected {width} fields, found {}",
            record.len()
        )));
    }
    let field = |i: usize| record.get(i).unwrap_or_default();
    let ts = parse_timestamp(field(columns.ts))
        .map_err(|e| row_error(format!("column {}: {e}", columns.ts + 1)))?;
    let number = |i: usize, name: &str| {
        let text = field(i).trim();
        text.parse::<f64>().map_err(|_| {
            row_error(format!(
                "column {} ({name}): {text:?} is not a number",
                i + 1
            ))
        })
    };
    let [o, h, l, c, v] = columns.ohlcv;
    Ok(Row {
        ts,
        open: number(o, "open")?,
        high: number(h, "high")?,
        low: number(l, "low")?,
        close: number(c, "close")?,
        volume: number(v, "volume")?,
        quote_volume: columns
            .quote_volume
            .map(|q| number(q, "quote_volume"))
            .transpose()?,
    })
}

fn csv_error(file: &str, e: &::csv::Error) -> ImportError {
    let line = e.position().map_or(0, ::csv::Position::line);
    ImportError::Row {
        file: file.to_owned(),
        line,
        problem: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binance_klines_keep_the_quote_volume() {
        let text = "1637971200000,0.00002853,0.00002854,0.00002851,0.00002854,36304.2,1637971259999,1.03547608,79,19523.0,0.55694227,0\n\
                    1637971260000,0.00002854,0.00002860,0.00002854,0.00002859,89196.6,1637971319999,2.54751330,98,59004.2,1.68545512,0\n";
        let (frame, layout) = read_csv(text.as_bytes(), "ada.csv").unwrap();
        assert_eq!(layout, CsvLayout::Binance);
        assert_eq!(frame.ts, vec![1_637_971_200_000, 1_637_971_260_000]);
        assert_eq!(frame.close, vec![0.000_028_54, 0.000_028_59]);
        assert_eq!(frame.quote_volume, Some(vec![1.035_476_08, 2.547_513_3]));
    }

    #[test]
    fn plain_headers_in_any_order_and_case_with_iso_or_seconds() {
        let text = "Volume,Close,Low,High,Open,Timestamp,extra\n10,1.5,0.5,2,1,2021-12-31 23:01:00,x\n11,1.6,0.6,2.1,1.1,1640991720,y\n";
        let (frame, layout) = read_csv(text.as_bytes(), "plain.csv").unwrap();
        assert_eq!(layout, CsvLayout::Plain);
        assert_eq!(frame.ts, vec![1_640_991_660_000, 1_640_991_720_000]);
        assert_eq!(
            (
                frame.open[1],
                frame.high[1],
                frame.low[1],
                frame.close[1],
                frame.volume[1]
            ),
            (1.1, 2.1, 0.6, 1.6, 11.0)
        );
        assert_eq!(frame.quote_volume, None);
    }

    #[test]
    fn errors_name_the_file_line_and_column() {
        let cases = [
            ("", "data.csv: the file is empty"),
            (
                "a,b,c\n1,2,3\n",
                "data.csv: not Binance klines (12 columns, no header) and the header [a, b, c] lacks ts, open, high, low, close, volume",
            ),
            (
                "ts,open,high,low,close,volume\n1640991660000,1,2,0.5,x,10\n",
                "data.csv, line 2: column 5 (close): \"x\" is not a number",
            ),
            (
                "ts,open,high,low,close,volume\nsoon,1,2,0.5,1,10\n",
                "data.csv, line 2: column 1: timestamp \"soon\" is neither",
            ),
            (
                "ts,open,high,low,close,volume\n1640991660000,1,2,0.5,1\n",
                "data.csv, line 2: expected 6 fields, found 5",
            ),
        ];
        for (text, expected) in cases {
            let err = read_csv(text.as_bytes(), "data.csv")
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(expected), "{err}\n  expected: {expected}");
        }
    }
}
