//! Parsing and checking a MEXC klines body (`GET /api/v3/klines`, reference §1.3).
//!
//! A body is either a JSON array of 8-element rows
//! `[openTime, open, high, low, close, volume, closeTime, quoteVolume]` (times as integers,
//! prices and volumes mostly as strings, sometimes as numbers) or a MEXC error object
//! `{"code":n,"msg":"…"}` (§4.2). [`parse_klines`] accepts a body whole or not at all: any
//! bad row fails the whole body, so a caller never stores part of a response.
//!
//! **Unfinished bars.** The latest bar of a response is usually still open. A bar is
//! *finished* at `now` when its end — the later of its `closeTime` and the interval's next
//! open time ([`Interval::next`]) — is at or before `now`. The first unfinished row and every
//! row after it go to [`Klines::unfinished`], never to [`Klines::rows`]; a downloader stores
//! only `rows`, and the next fetch (which resumes after the last stored bar) picks the bar
//! up again once it has closed.

use serde_json::Value;
use thiserror::Error;

use crate::frame::Row;
use crate::interval::Interval;

/// Number of items in a MEXC kline row (§1.3).
pub const ROW_ARITY: usize = 8;

/// Why a klines body was refused.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum KlineError {
    /// MEXC answered with an error object `{"code":n,"msg":"…"}` (§4.2), e.g. `-1121`
    /// "Invalid symbol." / "Invalid interval.", or `10007` "symbol not support api".
    #[error("MEXC error {code}: {msg}")]
    Api {
        /// MEXC's error code.
        code: i64,
        /// MEXC's message.
        msg: String,
    },
    /// The body ended before the JSON did (e.g. cut mid-array): nothing of it is used.
    #[error("{symbol} {interval}: truncated klines body ({detail})")]
    Truncated {
        /// The symbol asked for.
        symbol: String,
        /// The interval asked for.
        interval: Interval,
        /// The JSON parser's account.
        detail: String,
    },
    /// The body is not JSON, or is JSON of the wrong shape (neither an array of rows nor a
    /// MEXC error object): nothing of it is used.
    #[error("{symbol} {interval}: malformed klines body ({detail})")]
    Malformed {
        /// The symbol asked for.
        symbol: String,
        /// The interval asked for.
        interval: Interval,
        /// What was wrong.
        detail: String,
    },
    /// One row is bad; the whole body is refused.
    #[error("{symbol} {interval}: row {index}: {problem}")]
    Row {
        /// The symbol asked for.
        symbol: String,
        /// The interval asked for.
        interval: Interval,
        /// Index of the row in the body, from 0.
        index: usize,
        /// What was wrong with it.
        problem: RowProblem,
    },
    /// An HTTP status that is neither success nor retryable, without a MEXC error body
    /// (see [`classify`](super::limits::classify)).
    #[error("HTTP {status}: {body}")]
    Http {
        /// The status code.
        status: u16,
        /// The start of the body (at most 200 characters).
        body: String,
    },
}

/// What is wrong with one kline row.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RowProblem {
    /// The row is not an array.
    #[error("not an array")]
    NotArray,
    /// The row does not have 8 items.
    #[error("has {0} items, expected 8")]
    Arity(usize),
    /// An item is neither a number nor a string holding one (times must be integers).
    #[error("{column} is not a number: {value}")]
    NotNumeric {
        /// The column's name.
        column: &'static str,
        /// The item as JSON.
        value: String,
    },
    /// An item is a number but not a finite one (`"NaN"`, `"inf"`).
    #[error("{column} is not finite")]
    NotFinite {
        /// The column's name.
        column: &'static str,
    },
    /// The open time is not the open time of a bar of the interval.
    #[error("open time {open_time} is not on the interval's grid (bar opens at {bucket})")]
    Misaligned {
        /// The row's open time.
        open_time: i64,
        /// The open time of the bar containing it.
        bucket: i64,
    },
    /// The open time is not after the previous row's.
    #[error("open time {open_time} is not after the previous row's {previous}")]
    OutOfOrder {
        /// The row's open time.
        open_time: i64,
        /// The previous row's open time.
        previous: i64,
    },
}

/// A checked klines body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Klines {
    /// Finished bars, strictly increasing by open time: the ones to store.
    pub rows: Vec<Row>,
    /// Bars not yet finished at `now` (normally at most the one latest bar): never stored.
    pub unfinished: Vec<Row>,
}

const COLUMNS: [&str; ROW_ARITY] = [
    "openTime",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "closeTime",
    "quoteVolume",
];

/// Parses and checks a klines body for `symbol` at `interval`, splitting off the bars not
/// yet finished at `now_ms` (see the module docs).
///
/// Every row must have 8 items; open and close times must be integers (JSON numbers or
/// strings of digits); prices and volumes must be finite numbers (JSON numbers or numeric
/// strings); open times must sit on the interval's grid ([`Interval::bucket`]) and strictly
/// increase. `quoteVolume` becomes [`Row::quote_volume`]; `closeTime` is used only to decide
/// whether a bar is finished.
///
/// # Errors
/// [`KlineError::Api`] for a MEXC error object, [`KlineError::Truncated`] when the JSON
/// ends early, [`KlineError::Malformed`] for other invalid JSON or a wrong shape, and
/// [`KlineError::Row`] naming the first bad row. No error returns part of the body.
pub fn parse_klines(
    body: &str,
    symbol: &str,
    interval: Interval,
    now_ms: i64,
) -> Result<Klines, KlineError> {
    let value: Value = serde_json::from_str(body).map_err(|e| {
        let detail = e.to_string();
        if e.is_eof() {
            KlineError::Truncated {
                symbol: symbol.to_owned(),
                interval,
                detail,
            }
        } else {
            KlineError::Malformed {
                symbol: symbol.to_owned(),
                interval,
                detail,
            }
        }
    })?;
    let items = match value {
        Value::Array(items) => items,
        other => {
            return Err(api_error(&other).unwrap_or_else(|| KlineError::Malformed {
                symbol: symbol.to_owned(),
                interval,
                detail: format!(
                    "expected an array of rows, got {}",
                    snippet(&other.to_string())
                ),
            }));
        }
    };
    let mut out = Klines::default();
    let mut previous: Option<i64> = None;
    for (index, item) in items.iter().enumerate() {
        let row_error = |problem| KlineError::Row {
            symbol: symbol.to_owned(),
            interval,
            index,
            problem,
        };
        let (row, close_time) = parse_row(item).map_err(row_error)?;
        let bucket = interval.bucket(row.ts);
        if bucket != row.ts {
            return Err(row_error(RowProblem::Misaligned {
                open_time: row.ts,
                bucket,
            }));
        }
        if let Some(previous) = previous
            && row.ts <= previous
        {
            return Err(row_error(RowProblem::OutOfOrder {
                open_time: row.ts,
                previous,
            }));
        }
        previous = Some(row.ts);
        let end = close_time.max(interval.next(row.ts));
        if out.unfinished.is_empty() && end <= now_ms {
            out.rows.push(row);
        } else {
            out.unfinished.push(row);
        }
    }
    Ok(out)
}

/// The MEXC error in a JSON value, if it is an object with an integer `code` (§4.2).
/// A missing `msg` becomes an empty message.
pub(crate) fn api_error(value: &Value) -> Option<KlineError> {
    let object = value.as_object()?;
    let code = object.get("code")?.as_i64()?;
    let msg = object
        .get("msg")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Some(KlineError::Api { code, msg })
}

/// At most 200 characters of `text`.
pub(crate) fn snippet(text: &str) -> String {
    text.chars().take(200).collect()
}

fn parse_row(item: &Value) -> Result<(Row, i64), RowProblem> {
    let cells = item.as_array().ok_or(RowProblem::NotArray)?;
    if cells.len() != ROW_ARITY {
        return Err(RowProblem::Arity(cells.len()));
    }
    let mut numbers = [0.0_f64; ROW_ARITY];
    for (i, cell) in cells.iter().enumerate() {
        if i == 0 || i == 6 {
            continue;
        }
        numbers[i] = float(cell, COLUMNS[i])?;
    }
    let open_time = integer(&cells[0], COLUMNS[0])?;
    let close_time = integer(&cells[6], COLUMNS[6])?;
    let row = Row {
        ts: open_time,
        open: numbers[1],
        high: numbers[2],
        low: numbers[3],
        close: numbers[4],
        volume: numbers[5],
        quote_volume: Some(numbers[7]),
    };
    Ok((row, close_time))
}

fn not_numeric(column: &'static str, cell: &Value) -> RowProblem {
    RowProblem::NotNumeric {
        column,
        value: snippet(&cell.to_string()),
    }
}

fn integer(cell: &Value, column: &'static str) -> Result<i64, RowProblem> {
    let parsed = match cell {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| not_numeric(column, cell))
}

fn float(cell: &Value, column: &'static str) -> Result<f64, RowProblem> {
    let parsed = match cell {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let x = parsed.ok_or_else(|| not_numeric(column, cell))?;
    if x.is_finite() {
        Ok(x)
    } else {
        Err(RowProblem::NotFinite { column })
    }
}
