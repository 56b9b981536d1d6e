//! The network half of the MEXC kline downloader: HTTP with reqwest over tokio.
//!
//! [`fetch_klines`] walks `[since, until)` window by window, each step built from the pure
//! half of [`mexc`](super):
//!
//! 1. [`next_request`] plans the next window (≤ 1000 bars) after the last bar stored;
//! 2. the [`WeightLimiter`] (MEXC default) says how long to wait before sending;
//! 3. `GET {base_url}/api/v3/klines?{query}` is sent with a request timeout;
//! 4. [`classify`] reads the status, `Retry-After` and body: a retry or a ban waits and asks
//!    for the **same** window again, a fatal answer ends the fetch with an error;
//! 5. [`parse_klines`] checks the body; its finished rows go to the caller's sink as one
//!    [`BarFrame`] (with `quote_volume`), and planning resumes after the last of them.
//!
//! **What counts as what.**
//! - *Transport faults* — a timeout, a refused or reset connection, a body that ends early
//!   (mid-stream, or as JSON that stops before it is complete) — and 5xx answers are retried
//!   after a doubling backoff ([`RetryPolicy`]), up to [`RetryPolicy::max_attempts`] tries
//!   of one window; then the fetch fails with [`FetchError::GaveUp`] naming the last
//!   failure. A truncated body is a transport fault, not data: none of it is stored.
//! - 429 and 418/403 wait as long as MEXC's `Retry-After` says (or [`classify`]'s defaults)
//!   and count as tries of the window too.
//! - A MEXC error object (`-1121` invalid symbol, …), any other 4xx, a malformed body or a
//!   bad row ends the fetch at once with [`FetchError::Mexc`]: a retry would not fix it.
//! - **An empty answer** (`[]`) means MEXC has no bars in that window (no trading, or before
//!   the listing). The fetch moves past the window and records it in
//!   [`FetchSummary::empty`] (adjacent empty windows merged) so the caller can say "no bars
//!   between X and Y"; it never asks for the same empty window twice.
//! - Bars missing *inside* a non-empty answer are the data's own gaps: nothing is invented
//!   for them (the store's coverage records them). If the answer ends before its window
//!   does, the next request starts right after its last bar, so a trailing gap comes back as
//!   an empty window.
//!
//! **The end of the range.** `until` is clamped to the open time of the bar in progress
//! now ([`FetchSummary::until`]), so only finished bars are asked for. Should an answer
//! still hold a bar that is not finished (its `closeTime` is after now), the bars before it
//! are stored and the fetch stops there: the next fetch picks the bar up once it has closed.
//!
//! The wall clock (`SystemTime`) is read here for the limiter and for deciding which bars
//! are finished; the pure half never reads it.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::RETRY_AFTER;
use thiserror::Error;
use vela_core::types::Timestamp;

use super::klines::{KlineError, Klines, parse_klines};
use super::limits::{
    KLINES_WEIGHT, Outcome, SERVER_BACKOFF_BASE_MS, SERVER_BACKOFF_CAP_MS, WeightLimiter, classify,
};
use super::plan::{Window, next_request, query};
use crate::frame::BarFrame;
use crate::interval::Interval;

/// MEXC's REST base URL (reference §1).
pub const DEFAULT_BASE_URL: &str = "https://api.mexc.com";

/// How hard to try one window before giving up, and how long to wait between tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries of one window, the first included, before [`FetchError::GaveUp`]. Every
    /// failed try counts: 5xx, 429, 418/403, timeouts, transport faults, truncated bodies.
    pub max_attempts: u32,
    /// Limit on one request, from sending to the end of the body.
    pub request_timeout: Duration,
    /// First wait after a 5xx without `Retry-After` or a transport fault; doubled per try.
    pub backoff_base: Duration,
    /// Longest such wait.
    pub backoff_cap: Duration,
}

impl Default for RetryPolicy {
    /// 8 tries, a 30 s request timeout, and [`classify`]'s 5xx backoff (1 s doubling to at
    /// most 60 s).
    fn default() -> Self {
        Self {
            max_attempts: 8,
            request_timeout: Duration::from_secs(30),
            backoff_base: millis(SERVER_BACKOFF_BASE_MS),
            backoff_cap: millis(SERVER_BACKOFF_CAP_MS),
        }
    }
}

impl RetryPolicy {
    /// The wait after the failed try number `attempt` (0 for the first try) of a window:
    /// `min(backoff_base · 2^attempt, backoff_cap)`.
    #[must_use]
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1_u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.backoff_base
            .checked_mul(factor)
            .map_or(self.backoff_cap, |wait| wait.min(self.backoff_cap))
    }
}

/// What to download: the bars of `symbol` at `interval` opening in `[since, until)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    /// REST base URL, [`DEFAULT_BASE_URL`] unless testing (no trailing `/` needed).
    pub base_url: String,
    /// MEXC symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Bar interval.
    pub interval: Interval,
    /// First open time wanted, ms UTC (rounded up to the interval's grid).
    pub since: i64,
    /// End of the range, ms UTC, exclusive; clamped to the open time of the bar in progress.
    pub until: i64,
    /// Open time of the latest bar already stored: the fetch resumes after it.
    pub last_stored: Option<i64>,
    /// Retries and timeouts.
    pub retry: RetryPolicy,
    /// Stop (successfully, with [`FetchSummary::complete`] false) after this many windows
    /// have been fetched; `None` fetches the whole range.
    pub max_windows: Option<u32>,
}

impl FetchRequest {
    /// A request against [`DEFAULT_BASE_URL`] with nothing stored yet, the default
    /// [`RetryPolicy`] and no window limit.
    #[must_use]
    pub fn new(symbol: &str, interval: Interval, since: i64, until: i64) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            symbol: symbol.to_owned(),
            interval,
            since,
            until,
            last_stored: None,
            retry: RetryPolicy::default(),
            max_windows: None,
        }
    }
}

/// The symbol, interval and window an error or a progress report is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The symbol.
    pub symbol: String,
    /// The interval.
    pub interval: Interval,
    /// The window (for errors before any window is planned: the whole range).
    pub window: Window,
}

impl fmt::Display for Scope {
    /// `BTCUSDT 1m [2024-01-01T00:00:00Z, 2024-01-01T16:40:00Z)`: the window as a
    /// half-open range of open times.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} [{}, {})",
            self.symbol,
            self.interval,
            Timestamp(self.window.start_time),
            Timestamp(self.window.end_time.saturating_add(1))
        )
    }
}

/// Why one try of a window failed in a way worth retrying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A retryable HTTP status: 429, 418, 403 or 5xx.
    Http {
        /// The status code.
        status: u16,
    },
    /// No complete answer within [`RetryPolicy::request_timeout`].
    Timeout,
    /// The connection failed or broke off (the transport's account).
    Transport(String),
    /// The body ended before its JSON did.
    Truncated(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Http { status } => write!(f, "HTTP {status}"),
            Self::Timeout => f.write_str("timed out"),
            Self::Transport(detail) => write!(f, "transport error: {detail}"),
            Self::Truncated(detail) => write!(f, "truncated body: {detail}"),
        }
    }
}

/// A failed try that will be retried, as reported to the progress callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retrying {
    /// Tries of this window so far.
    pub attempts: u32,
    /// Why the last one failed.
    pub failure: Failure,
    /// How long the fetch waits before the next try.
    pub wait: Duration,
}

/// Where a fetch stands, reported after every window and before every retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchProgress {
    /// Bars handed to the sink so far in this fetch.
    pub stored: u64,
    /// Bar slots of the range done: those up to `last_stored` when the fetch started, plus
    /// every window fetched since (empty or not). Reaches `expected` at the end.
    pub covered: u64,
    /// Bar slots in the range (`since` to the effective `until`): the most bars there can be.
    pub expected: u64,
    /// The window being fetched, or the one just done.
    pub scope: Scope,
    /// Set while waiting to retry the window.
    pub retrying: Option<Retrying>,
}

/// What a finished fetch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchSummary {
    /// Bars handed to the sink.
    pub stored: u64,
    /// Open time of the first of them.
    pub first_ts: Option<i64>,
    /// Open time of the last of them.
    pub last_ts: Option<i64>,
    /// Requests sent, retries included.
    pub requests: u32,
    /// Of those, retries.
    pub retries: u32,
    /// Windows MEXC answered with no bars, adjacent ones merged, in order.
    pub empty: Vec<Window>,
    /// The effective end of the range: `until`, clamped to the open time of the bar in
    /// progress when the fetch started.
    pub until: i64,
    /// Whether the whole range was fetched (false when [`FetchRequest::max_windows`]
    /// stopped it, or an unfinished bar did).
    pub complete: bool,
}

/// Why a fetch failed. Every message names the symbol, the interval and the window. Bars
/// handed to the sink before the error stay with the caller: a new fetch with
/// `last_stored` set resumes after them.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FetchError<E> {
    /// MEXC's answer can not be used and a retry would not change it: a MEXC error object
    /// (e.g. `MEXC error -1121: Invalid symbol.`), another 4xx, a malformed body or a bad
    /// row.
    #[error("{scope}: {error}")]
    Mexc {
        /// Where.
        scope: Scope,
        /// What MEXC answered (boxed: it is large and rare).
        error: Box<KlineError>,
    },
    /// The window failed [`RetryPolicy::max_attempts`] times in a row.
    #[error("{scope}: gave up after {attempts} tries, the last one: {last}")]
    GaveUp {
        /// Where.
        scope: Scope,
        /// Tries made.
        attempts: u32,
        /// Why the last try failed.
        last: Failure,
    },
    /// The answer held a bar outside the window asked for: MEXC ignored the window (§1.3
    /// quirk), and storing the bar could duplicate or skip data.
    #[error("{scope}: the answer holds a bar opening at {} outside the window", Timestamp(*ts))]
    OutsideWindow {
        /// Where.
        scope: Scope,
        /// The bar's open time.
        ts: i64,
    },
    /// The sink refused a frame; the fetch stopped there.
    #[error("{scope}: storing the bars failed: {error}")]
    Sink {
        /// The window whose bars were refused.
        scope: Scope,
        /// The sink's error.
        error: E,
    },
    /// The HTTP client could not be built.
    #[error("{scope}: cannot build the HTTP client: {error}")]
    Client {
        /// The whole range.
        scope: Scope,
        /// reqwest's account.
        error: reqwest::Error,
    },
    /// The tokio runtime of [`fetch_klines_blocking`] could not be started.
    #[error("{scope}: cannot start the async runtime: {error}")]
    Runtime {
        /// The whole range.
        scope: Scope,
        /// The I/O error.
        error: std::io::Error,
    },
}

/// Downloads the finished bars of `req` (see the module docs), handing each window's bars
/// to `sink` as one frame in time order and reporting to `progress` after every window and
/// before every retry.
///
/// # Errors
/// [`FetchError`]: a fatal answer, a window that kept failing, a bar outside its window,
/// or the sink's own error. What reached the sink before is kept by the caller.
pub async fn fetch_klines<E>(
    req: &FetchRequest,
    mut sink: impl FnMut(BarFrame) -> Result<(), E>,
    mut progress: impl FnMut(&FetchProgress),
) -> Result<FetchSummary, FetchError<E>> {
    let interval = req.interval;
    let until = req.until.min(interval.bucket(now_ms()));
    let whole = Scope {
        symbol: req.symbol.clone(),
        interval,
        window: Window {
            start_time: req.since,
            end_time: req.until.saturating_sub(1),
        },
    };
    let client = client(&req.retry).map_err(|error| FetchError::Client {
        scope: whole.clone(),
        error,
    })?;
    let base = req.base_url.trim_end_matches('/');
    let first = next_request(interval, req.since, until, None).map(|w| w.start_time);
    let expected = first.map_or(0, |first| slots(interval, first, until));
    let covered_at = |next: Option<Window>| match (first, next) {
        (Some(first), Some(next)) => slots(interval, first, next.start_time),
        _ => expected,
    };

    let mut limiter = WeightLimiter::mexc();
    let mut last = req.last_stored;
    let mut summary = FetchSummary {
        stored: 0,
        first_ts: None,
        last_ts: None,
        requests: 0,
        retries: 0,
        empty: Vec::new(),
        until,
        complete: true,
    };
    let mut windows = 0_u32;
    while let Some(window) = next_request(interval, req.since, until, last) {
        if req.max_windows.is_some_and(|max| windows >= max) {
            summary.complete = false;
            break;
        }
        windows += 1;
        let scope = Scope {
            symbol: req.symbol.clone(),
            interval,
            window,
        };
        let url = format!(
            "{base}/api/v3/klines?{}",
            query(&req.symbol, interval, window)
        );
        let mut report = |retrying: Option<Retrying>, stored: u64, next: Option<Window>| {
            progress(&FetchProgress {
                stored,
                covered: covered_at(next),
                expected,
                scope: scope.clone(),
                retrying,
            });
        };
        let stored = summary.stored;
        report(None, stored, Some(window));
        let get = Get {
            client: &client,
            url: &url,
            scope: &scope,
            policy: &req.retry,
        };
        let klines = get
            .klines(&mut limiter, &mut summary, &mut |retrying| {
                report(Some(retrying), stored, Some(window));
            })
            .await?;
        if let Some(row) = klines
            .rows
            .iter()
            .chain(&klines.unfinished)
            .find(|row| row.ts < window.start_time || row.ts > window.end_time)
        {
            return Err(FetchError::OutsideWindow {
                scope: scope.clone(),
                ts: row.ts,
            });
        }
        let unfinished = !klines.unfinished.is_empty();
        if let (Some(head), Some(tail)) = (klines.rows.first(), klines.rows.last()) {
            let (head, tail) = (head.ts, tail.ts);
            let mut frame = BarFrame::empty(true);
            for row in &klines.rows {
                frame.push(*row);
            }
            let count = frame.len() as u64;
            sink(frame).map_err(|error| FetchError::Sink {
                scope: scope.clone(),
                error,
            })?;
            summary.stored += count;
            summary.first_ts.get_or_insert(head);
            summary.last_ts = Some(tail);
            last = Some(tail);
        } else if !unfinished {
            record_empty(&mut summary.empty, window);
            last = Some(interval.bucket(window.end_time));
        }
        if unfinished {
            summary.complete = false;
            report(None, summary.stored, None);
            break;
        }
        report(
            None,
            summary.stored,
            next_request(interval, req.since, until, last),
        );
    }
    Ok(summary)
}

/// [`fetch_klines`] on a single-threaded tokio runtime of its own, for callers that are not
/// async (the command line).
///
/// # Errors
/// As [`fetch_klines`], plus [`FetchError::Runtime`] when the runtime cannot start.
pub fn fetch_klines_blocking<E>(
    req: &FetchRequest,
    sink: impl FnMut(BarFrame) -> Result<(), E>,
    progress: impl FnMut(&FetchProgress),
) -> Result<FetchSummary, FetchError<E>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| FetchError::Runtime {
            scope: Scope {
                symbol: req.symbol.clone(),
                interval: req.interval,
                window: Window {
                    start_time: req.since,
                    end_time: req.until.saturating_sub(1),
                },
            },
            error,
        })?;
    runtime.block_on(fetch_klines(req, sink, progress))
}

/// One window's request, sent until it succeeds, fails for good or runs out of tries.
struct Get<'a> {
    client: &'a reqwest::Client,
    url: &'a str,
    scope: &'a Scope,
    policy: &'a RetryPolicy,
}

/// How one try ended.
enum Try {
    /// A checked body.
    Done(Klines),
    /// Worth another try after `wait`.
    Again(Failure, Duration),
    /// Not worth another try.
    Fatal(KlineError),
}

impl Get<'_> {
    async fn klines<E>(
        &self,
        limiter: &mut WeightLimiter,
        summary: &mut FetchSummary,
        on_retry: &mut dyn FnMut(Retrying),
    ) -> Result<Klines, FetchError<E>> {
        let mut attempt = 0_u32;
        loop {
            loop {
                let wait = limiter.delay(now_ms(), KLINES_WEIGHT);
                if wait <= 0 {
                    break;
                }
                tokio::time::sleep(millis(wait)).await;
            }
            summary.requests += 1;
            if attempt > 0 {
                summary.retries += 1;
            }
            let (failure, wait) = match self.try_once(attempt).await {
                Try::Done(klines) => return Ok(klines),
                Try::Fatal(error) => {
                    return Err(FetchError::Mexc {
                        scope: self.scope.clone(),
                        error: Box::new(error),
                    });
                }
                Try::Again(failure, wait) => (failure, wait),
            };
            attempt += 1;
            if attempt >= self.policy.max_attempts {
                return Err(FetchError::GaveUp {
                    scope: self.scope.clone(),
                    attempts: attempt,
                    last: failure,
                });
            }
            on_retry(Retrying {
                attempts: attempt,
                failure,
                wait,
            });
            tokio::time::sleep(wait).await;
        }
    }

    /// One try; `attempt` counts the earlier failed tries of the window.
    async fn try_once(&self, attempt: u32) -> Try {
        let backoff = self.policy.backoff(attempt);
        let response = match self.client.get(self.url).send().await {
            Ok(response) => response,
            Err(error) => return Try::Again(transport(&error), backoff),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = match response.text().await {
            Ok(body) => body,
            Err(error) => return Try::Again(transport(&error), backoff),
        };
        match classify(status, retry_after.as_deref(), &body, attempt) {
            Outcome::Ok => {
                let scope = self.scope;
                match parse_klines(&body, &scope.symbol, scope.interval, now_ms()) {
                    Ok(klines) => Try::Done(klines),
                    Err(KlineError::Truncated { detail, .. }) => {
                        Try::Again(Failure::Truncated(detail), backoff)
                    }
                    Err(error) => Try::Fatal(error),
                }
            }
            Outcome::Retry { after_ms } | Outcome::Banned { after_ms } => {
                // A 5xx without Retry-After backs off by the policy; otherwise MEXC's wait
                // (or classify's default for it) stands.
                let wait = if (500..=599).contains(&status) && retry_after.is_none() {
                    backoff
                } else {
                    millis(after_ms)
                };
                Try::Again(Failure::Http { status }, wait)
            }
            Outcome::Fatal(error) => Try::Fatal(error),
        }
    }
}

/// A reqwest client with the policy's timeout and rustls on the ring provider.
fn client(policy: &RetryPolicy) -> reqwest::Result<reqwest::Client> {
    // Err only means a provider is installed already, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(policy.request_timeout)
        .connect_timeout(policy.request_timeout)
        .user_agent(concat!("vela/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// A reqwest error as a [`Failure`], with its chain of causes.
fn transport(error: &reqwest::Error) -> Failure {
    if error.is_timeout() {
        return Failure::Timeout;
    }
    let mut detail = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        detail.push_str(": ");
        detail.push_str(&inner.to_string());
        cause = inner.source();
    }
    Failure::Transport(detail)
}

/// Appends `window` to the empty windows, merging it into the last one when they touch.
fn record_empty(empty: &mut Vec<Window>, window: Window) {
    match empty.last_mut() {
        Some(previous) if previous.end_time.saturating_add(1) == window.start_time => {
            previous.end_time = window.end_time;
        }
        _ => empty.push(window),
    }
}

/// Bar slots of `interval` opening in `[from, to)`, `from` on the grid.
fn slots(interval: Interval, from: i64, to: i64) -> u64 {
    if to <= from {
        return 0;
    }
    if let Some(len) = interval.millis() {
        let span = u64::try_from(to - from).unwrap_or(0);
        return span.div_ceil(u64::try_from(len).unwrap_or(1));
    }
    let mut count = 0;
    let mut open = from;
    while open < to {
        count += 1;
        open = interval.next(open);
    }
    count
}

/// Milliseconds as a duration; negative counts as zero.
fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

/// The wall clock, ms UTC.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_704_067_200_000;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let secs: Vec<u64> = (0..9).map(|a| policy.backoff(a).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(policy.backoff(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn slots_count_grid_points_including_calendar_months() {
        assert_eq!(slots(Interval::M1, T0, T0 + 3_500 * 60_000), 3_500);
        assert_eq!(slots(Interval::M1, T0, T0 + 90_000), 2);
        assert_eq!(slots(Interval::M1, T0, T0), 0);
        // 2024-01-01 to 2025-01-01: twelve months.
        assert_eq!(slots(Interval::Month1, T0, 1_735_689_600_000), 12);
    }

    #[test]
    fn adjacent_empty_windows_merge_and_others_do_not() {
        let w = |start_time, end_time| Window {
            start_time,
            end_time,
        };
        let mut empty = Vec::new();
        record_empty(&mut empty, w(0, 99));
        record_empty(&mut empty, w(100, 199));
        record_empty(&mut empty, w(300, 399));
        assert_eq!(empty, [w(0, 199), w(300, 399)]);
    }

    #[test]
    fn a_scope_shows_its_window_as_half_open_open_times() {
        let scope = Scope {
            symbol: "BTCUSDT".to_owned(),
            interval: Interval::H1,
            window: Window {
                start_time: T0,
                end_time: T0 + 3_600_000 - 1,
            },
        };
        assert_eq!(
            scope.to_string(),
            "BTCUSDT 60m [2024-01-01T00:00:00Z, 2024-01-01T01:00:00Z)"
        );
    }
}
