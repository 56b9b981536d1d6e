//! The MEXC kline downloader: a pure half (no network, no clock, no I/O) and the network
//! half built on it.
//!
//! - [`klines`] parses and checks a `GET /api/v3/klines` body, and keeps unfinished bars
//!   out of the result so a fetch never stores one.
//! - [`plan`] chooses the next request window (≤ 1000 bars, resuming after the last
//!   stored bar) and spells its query string.
//! - [`limits`] counts request weight on the client side and classifies HTTP responses
//!   into proceed / retry / banned / fatal.
//! - [`fetch`] is the network half: it drives the three above over HTTP (reqwest, tokio)
//!   and hands the finished bars to a sink.
//!
//! Facts come from `shared/reference/mexc-api.md`; each rule cites its section (§1.3
//! klines, §4.1 limits, §4.2 errors). The network half calls these with the times and
//! bodies it observes.

pub mod fetch;
pub mod klines;
pub mod limits;
pub mod plan;

pub use fetch::{
    DEFAULT_BASE_URL, Failure, FetchError, FetchProgress, FetchRequest, FetchSummary, RetryPolicy,
    Retrying, Scope, fetch_klines, fetch_klines_blocking,
};
pub use klines::{KlineError, Klines, RowProblem, parse_klines};
pub use limits::{Outcome, WeightLimiter, classify};
pub use plan::{Window, next_request, query};
