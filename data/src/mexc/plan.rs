//! Planning kline requests: which window to ask for next, and its exact query string.
//!
//! Rules (reference §1.3):
//! - A request covers at most [`MAX_BARS`] = 1000 bars (MEXC's maximum `limit`).
//! - `startTime` is always sent together with `endTime`: MEXC was observed to ignore a lone
//!   `startTime` and return the latest bars.
//! - Bars wanted are those whose open time `t` satisfies `since <= t < until` (open times on
//!   the interval's grid, so the first is the first grid point at or after `since`).
//! - A window runs from the open time of its first bar (`start_time`) to the last
//!   millisecond of its last bar (`end_time`, inclusive). Planning resumes from the store
//!   (the bar after `last_stored`), not from what the previous response held, so it is
//!   right whether MEXC bounds `endTime` by open or close time: a bar a response left out
//!   is asked for again.
//! - Calendar months step with [`Interval::next`].

use crate::interval::Interval;

/// MEXC's maximum `limit` for klines (§1.3).
pub const MAX_BARS: usize = 1000;

/// One klines request's time range, in ms UTC, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Open time of the first bar asked for (`startTime`).
    pub start_time: i64,
    /// Last millisecond of the last bar asked for (`endTime`).
    pub end_time: i64,
}

/// The next window to fetch for bars opening in `[since, until)`, resuming after
/// `last_stored` (the open time of the latest bar already stored) when there is one, or
/// `None` when there is nothing left to fetch. Pure: the same inputs give the same window.
#[must_use]
pub fn next_request(
    interval: Interval,
    since: i64,
    until: i64,
    last_stored: Option<i64>,
) -> Option<Window> {
    let first = first_open_at_or_after(interval, since);
    let start = match last_stored {
        Some(last) => first.max(interval.next(interval.bucket(last))),
        None => first,
    };
    if start >= until {
        return None;
    }
    let mut last_open = start;
    for _ in 1..MAX_BARS {
        let next = interval.next(last_open);
        if next >= until {
            break;
        }
        last_open = next;
    }
    Some(Window {
        start_time: start,
        end_time: interval.next(last_open) - 1,
    })
}

/// The query string for one klines request, e.g.
/// `symbol=BTCUSDT&interval=60m&startTime=1704067200000&endTime=1707667199999&limit=1000`.
/// MEXC symbols are upper-case letters and digits, so nothing needs escaping.
#[must_use]
pub fn query(symbol: &str, interval: Interval, window: Window) -> String {
    format!(
        "symbol={symbol}&interval={}&startTime={}&endTime={}&limit={MAX_BARS}",
        interval.name(),
        window.start_time,
        window.end_time
    )
}

fn first_open_at_or_after(interval: Interval, ts: i64) -> i64 {
    let bucket = interval.bucket(ts);
    if bucket == ts {
        ts
    } else {
        interval.next(bucket)
    }
}
