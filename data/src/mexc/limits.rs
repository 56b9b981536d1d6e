//! Client-side request weight and the reading of HTTP responses.
//!
//! MEXC sends no usage headers (reference §4.1), so weight is counted here:
//! [`WeightLimiter`] is a sliding-window counter over times the caller passes in. The
//! sources disagree on the limits (§4.1: 500 weight per 10 s per endpoint or shared; MEXC
//! support: all requests ≤ 20/s; advice: ≤ about 15 req/s), so [`WeightLimiter::mexc`]
//! takes the cautious reading of 10 weight per second. A kline request weighs
//! [`KLINES_WEIGHT`] = 1 (§1.1).
//!
//! [`classify`] turns a response's status, `Retry-After` header and body into an
//! [`Outcome`]; its rules are listed on the function.

use std::collections::VecDeque;

use serde_json::Value;

use super::klines::{KlineError, api_error, snippet};

/// Weight of one `GET /api/v3/klines` request (§1.1).
pub const KLINES_WEIGHT: u32 = 1;

/// Wait after a 429 without a usable `Retry-After`: 2 minutes (§4.1 advises backing off
/// for minutes after a 429).
pub const DEFAULT_RETRY_MS: i64 = 120_000;

/// Wait after a 418 or 403 without a usable `Retry-After`: 10 minutes (§4.1: bans last
/// 2 minutes to 3 days; access recovers about 10 minutes after dropping under the limit).
pub const DEFAULT_BAN_MS: i64 = 600_000;

/// First 5xx backoff, doubled per attempt.
pub const SERVER_BACKOFF_BASE_MS: i64 = 1_000;

/// Cap on the 5xx backoff.
pub const SERVER_BACKOFF_CAP_MS: i64 = 60_000;

/// A sliding-window weight limiter: at most `capacity` weight in any `window_ms` span.
/// A request recorded at `t` counts during `[t, t + window_ms)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightLimiter {
    capacity: u32,
    window_ms: i64,
    sent: VecDeque<(i64, u32)>,
}

impl WeightLimiter {
    /// A limiter allowing `capacity` weight per `window_ms` milliseconds.
    #[must_use]
    pub const fn new(capacity: u32, window_ms: i64) -> Self {
        Self {
            capacity,
            window_ms,
            sent: VecDeque::new(),
        }
    }

    /// The cautious MEXC default: 10 weight per 1000 ms (under §4.1's "≤ 20/s" from MEXC
    /// support and its ≤ 15 req/s advice, and far under 500 per 10 s).
    #[must_use]
    pub const fn mexc() -> Self {
        Self::new(10, 1_000)
    }

    /// Milliseconds to wait before sending a request of `weight` at `now_ms`. When the
    /// answer is 0 the request is recorded as sent at `now_ms`; otherwise nothing is
    /// recorded and the caller asks again after waiting. A request heavier than the whole
    /// capacity is let through alone, once nothing else is in the window. `now_ms` should
    /// not go backwards.
    pub fn delay(&mut self, now_ms: i64, weight: u32) -> i64 {
        let wait = self.wait(now_ms, weight);
        if wait == 0 {
            self.record(now_ms, weight);
        }
        wait
    }

    /// Milliseconds to wait before a request of `weight` at `now_ms` fits, without
    /// recording anything (forgets requests that left the window). For a caller checking
    /// several limiters before recording the request in all of them with [`Self::record`].
    pub fn wait(&mut self, now_ms: i64, weight: u32) -> i64 {
        while self
            .sent
            .front()
            .is_some_and(|&(t, _)| t + self.window_ms <= now_ms)
        {
            self.sent.pop_front();
        }
        let mut used: u64 = self.sent.iter().map(|&(_, w)| u64::from(w)).sum();
        let fits = |used: u64| used == 0 || used + u64::from(weight) <= u64::from(self.capacity);
        if fits(used) {
            return 0;
        }
        for &(t, w) in &self.sent {
            used -= u64::from(w);
            if fits(used) {
                return t + self.window_ms - now_ms;
            }
        }
        // Unreachable: once every entry has expired `used` is 0, which fits.
        self.window_ms
    }

    /// Records a request of `weight` sent at `now_ms`.
    pub fn record(&mut self, now_ms: i64, weight: u32) {
        self.sent.push_back((now_ms, weight));
    }

    /// The most weight allowed in one window.
    #[must_use]
    pub const fn capacity(&self) -> u32 {
        self.capacity
    }

    /// The window's length in milliseconds.
    #[must_use]
    pub const fn window_ms(&self) -> i64 {
        self.window_ms
    }

    /// Weight counted in the window ending at `now_ms`.
    #[must_use]
    pub fn used(&self, now_ms: i64) -> u32 {
        self.sent
            .iter()
            .filter(|&&(t, _)| t + self.window_ms > now_ms)
            .map(|&(_, w)| w)
            .sum()
    }
}

/// What to do with a response.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Success: parse the body (with [`parse_klines`](super::klines::parse_klines)).
    Ok,
    /// Try the same request again after `after_ms`.
    Retry {
        /// Milliseconds to wait.
        after_ms: i64,
    },
    /// The IP is banned or blocked: send nothing at all for `after_ms`.
    Banned {
        /// Milliseconds to wait.
        after_ms: i64,
    },
    /// Do not retry.
    Fatal(KlineError),
}

/// Reads a response. `attempt` counts the earlier failed tries of this request (0 on the
/// first try) and sets the 5xx backoff.
///
/// Rules:
/// - **2xx** → [`Outcome::Ok`]; the body is checked by `parse_klines`, which also turns an
///   error object in a 200 body into [`KlineError::Api`].
/// - **429** (rate limit, §4.1) → [`Outcome::Retry`] after `Retry-After` seconds, or
///   [`DEFAULT_RETRY_MS`] when the header is missing or not a whole number of seconds.
/// - **418** (IP ban, §4.1) → [`Outcome::Banned`] after `Retry-After` seconds, or
///   [`DEFAULT_BAN_MS`].
/// - **403** (WAF block, §4.1) → [`Outcome::Banned`] likewise: hammering a block helps
///   nothing.
/// - **5xx** (outcome unknown, §4.2; harmless to repeat for a read) → [`Outcome::Retry`]
///   after `Retry-After` when given, otherwise
///   `min(SERVER_BACKOFF_BASE_MS · 2^attempt, SERVER_BACKOFF_CAP_MS)`.
/// - **Other 4xx** → [`Outcome::Fatal`]: [`KlineError::Api`] when the body is a MEXC error
///   object (§4.2: `-1121` invalid symbol or interval, `10007` symbol not API-enabled, …,
///   none of which a retry fixes), else [`KlineError::Http`].
/// - **Anything else** (1xx, 3xx) → [`Outcome::Fatal`] with [`KlineError::Http`].
#[must_use]
pub fn classify(status: u16, retry_after: Option<&str>, body: &str, attempt: u32) -> Outcome {
    let header_ms = retry_after
        .and_then(|s| s.trim().parse::<u32>().ok())
        .map(|secs| i64::from(secs) * 1_000);
    match status {
        200..=299 => Outcome::Ok,
        429 => Outcome::Retry {
            after_ms: header_ms.unwrap_or(DEFAULT_RETRY_MS),
        },
        403 | 418 => Outcome::Banned {
            after_ms: header_ms.unwrap_or(DEFAULT_BAN_MS),
        },
        500..=599 => Outcome::Retry {
            after_ms: header_ms.unwrap_or_else(|| server_backoff(attempt)),
        },
        _ => {
            let api = serde_json::from_str::<Value>(body)
                .ok()
                .and_then(|v| api_error(&v));
            Outcome::Fatal(match api {
                Some(err) if (400..=499).contains(&status) => err,
                _ => KlineError::Http {
                    status,
                    body: snippet(body),
                },
            })
        }
    }
}

fn server_backoff(attempt: u32) -> i64 {
    if attempt >= 16 {
        return SERVER_BACKOFF_CAP_MS;
    }
    (SERVER_BACKOFF_BASE_MS << attempt).min(SERVER_BACKOFF_CAP_MS)
}
