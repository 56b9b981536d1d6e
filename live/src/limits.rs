//! The client-side request limiter (reference §4.1, fault-tests.md case 23).
//!
//! MEXC sends no usage headers, so the client counts. The sources disagree on the limits;
//! this limiter keeps under every reading at once:
//! - at most [`LimiterConfig::requests_per_sec`] requests per second in total (MEXC
//!   support: all requests ≤ 20/s; the reference advises ≤ about 15/s);
//! - at most [`LimiterConfig::orders_per_sec`] order placements and cancels per second
//!   (documented 12/s shared by order and cancel; advised ≤ about 10/s);
//! - at most [`LimiterConfig::weight_per_10s`] endpoint weight per 10 s in one shared pool
//!   (the Chinese docs' reading, the stricter one: 500 per 10 s shared by every endpoint).
//!
//! After a **429** nothing at all is sent until its `Retry-After` has passed (2 minutes
//! without one), and repeated 429s back off longer each time (doubling, up to 10 minutes)
//! because MEXC turns repeated breaches into an IP ban (418). After a **418** or **403**
//! nothing is sent until the ban's `Retry-After` (10 minutes without one).
//!
//! Times are milliseconds of a monotonic clock passed in by the caller, so the limiter is
//! a plain state machine and tested as one.

use vela_data::mexc::WeightLimiter;
use vela_data::mexc::limits::{DEFAULT_BAN_MS, DEFAULT_RETRY_MS};

/// Longest back-off after repeated 429s.
pub const MAX_RATE_LIMIT_BACKOFF_MS: i64 = 600_000;

/// A 429 within this long of the previous one counts as a repeat (the FAQ: access
/// recovers about 10 minutes after dropping under the limit).
pub const STRIKE_MEMORY_MS: i64 = 600_000;

/// The limits the client keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimiterConfig {
    /// Requests per second, every endpoint together.
    pub requests_per_sec: u32,
    /// Order placements and cancels per second.
    pub orders_per_sec: u32,
    /// Endpoint weight per 10 seconds, every endpoint together.
    pub weight_per_10s: u32,
}

impl Default for LimiterConfig {
    /// 15 requests/s, 10 orders and cancels/s, 500 weight per 10 s.
    fn default() -> Self {
        Self {
            requests_per_sec: 15,
            orders_per_sec: 10,
            weight_per_10s: 500,
        }
    }
}

/// What a request costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// The endpoint's weight (reference §1.1 and §1.4).
    pub weight: u32,
    /// Whether it places or cancels orders.
    pub order: bool,
}

/// The limiter's state.
#[derive(Debug, Clone)]
pub struct RequestLimiter {
    requests: WeightLimiter,
    orders: WeightLimiter,
    weight: WeightLimiter,
    blocked_until_ms: i64,
    strikes: u32,
    last_strike_ms: Option<i64>,
}

impl Default for RequestLimiter {
    fn default() -> Self {
        Self::new(LimiterConfig::default())
    }
}

impl RequestLimiter {
    /// A limiter keeping `config`.
    #[must_use]
    pub fn new(config: LimiterConfig) -> Self {
        Self {
            requests: WeightLimiter::new(config.requests_per_sec, 1_000),
            orders: WeightLimiter::new(config.orders_per_sec, 1_000),
            weight: WeightLimiter::new(config.weight_per_10s, 10_000),
            blocked_until_ms: i64::MIN,
            strikes: 0,
            last_strike_ms: None,
        }
    }

    /// Milliseconds to wait before sending a request costing `cost` at `now_ms`. At 0 the
    /// request is counted as sent now; otherwise nothing is counted and the caller asks
    /// again after the wait.
    pub fn delay(&mut self, now_ms: i64, cost: Cost) -> i64 {
        if now_ms < self.blocked_until_ms {
            return self.blocked_until_ms - now_ms;
        }
        let mut wait = self.requests.wait(now_ms, 1).max(self.weight.wait(now_ms, cost.weight));
        if cost.order {
            wait = wait.max(self.orders.wait(now_ms, 1));
        }
        if wait == 0 {
            self.requests.record(now_ms, 1);
            self.weight.record(now_ms, cost.weight);
            if cost.order {
                self.orders.record(now_ms, 1);
            }
        }
        wait
    }

    /// Until when (monotonic ms) nothing may be sent; `i64::MIN` when not blocked.
    #[must_use]
    pub fn blocked_until_ms(&self) -> i64 {
        self.blocked_until_ms
    }

    /// A 429 arrived at `now_ms` with `Retry-After` of `retry_after_ms` (if any): blocks
    /// everything and returns the wait. Repeats within [`STRIKE_MEMORY_MS`] double it.
    pub fn on_rate_limited(&mut self, now_ms: i64, retry_after_ms: Option<i64>) -> i64 {
        let repeat = self
            .last_strike_ms
            .is_some_and(|t| now_ms - t < STRIKE_MEMORY_MS);
        self.strikes = if repeat { self.strikes.saturating_add(1) } else { 0 };
        self.last_strike_ms = Some(now_ms);
        let base = retry_after_ms.filter(|&ms| ms > 0).unwrap_or(DEFAULT_RETRY_MS);
        let wait = base
            .saturating_mul(1_i64 << self.strikes.min(20))
            .min(MAX_RATE_LIMIT_BACKOFF_MS.max(base));
        self.block(now_ms, wait)
    }

    /// A 418 or 403 (IP ban, firewall) arrived: blocks everything for its `Retry-After`
    /// or [`DEFAULT_BAN_MS`].
    pub fn on_banned(&mut self, now_ms: i64, retry_after_ms: Option<i64>) -> i64 {
        let wait = retry_after_ms.filter(|&ms| ms > 0).unwrap_or(DEFAULT_BAN_MS);
        self.block(now_ms, wait)
    }

    fn block(&mut self, now_ms: i64, wait_ms: i64) -> i64 {
        self.blocked_until_ms = self.blocked_until_ms.max(now_ms.saturating_add(wait_ms));
        self.blocked_until_ms - now_ms
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const READ: Cost = Cost { weight: 1, order: false };
    const ORDER: Cost = Cost { weight: 1, order: true };

    #[test]
    fn a_429_blocks_everything_and_repeats_back_off_longer() {
        let mut limiter = RequestLimiter::default();
        assert_eq!(limiter.delay(0, READ), 0);
        assert_eq!(limiter.on_rate_limited(1_000, Some(2_000)), 2_000);
        assert_eq!(limiter.delay(1_500, READ), 1_500);
        assert_eq!(limiter.delay(3_000, READ), 0);
        assert_eq!(limiter.on_rate_limited(4_000, Some(2_000)), 4_000, "second strike doubles");
        assert_eq!(limiter.on_rate_limited(9_000, Some(2_000)), 8_000, "third doubles again");
        // Long after: strikes forgotten.
        assert_eq!(limiter.on_rate_limited(10_000_000, Some(2_000)), 2_000);
        assert_eq!(limiter.on_rate_limited(20_000_000, None), DEFAULT_RETRY_MS);
        assert_eq!(limiter.on_banned(30_000_000, None), DEFAULT_BAN_MS);
    }

    #[test]
    fn orders_have_their_own_budget() {
        let mut limiter = RequestLimiter::default();
        for _ in 0..10 {
            assert_eq!(limiter.delay(0, ORDER), 0);
        }
        assert!(limiter.delay(0, ORDER) > 0, "11th order in one second waits");
        assert_eq!(limiter.delay(0, READ), 0, "reads still go");
    }

    proptest! {
        /// Case 23: whatever the requests, no window ever holds more than the budget
        /// (checked against a plain reference count over every window).
        #[test]
        fn budgets_are_never_exceeded(
            requests in prop::collection::vec((0_i64..50, 1_u32..30, any::<bool>()), 1..400)
        ) {
            let config = LimiterConfig { requests_per_sec: 15, orders_per_sec: 10, weight_per_10s: 120 };
            let mut limiter = RequestLimiter::new(config);
            let mut now = 0;
            let mut sent: Vec<(i64, Cost)> = Vec::new();
            for (gap, weight, order) in requests {
                now += gap;
                let cost = Cost { weight, order };
                loop {
                    let wait = limiter.delay(now, cost);
                    if wait == 0 { break; }
                    prop_assert!(wait > 0);
                    now += wait;
                }
                sent.push((now, cost));
            }
            for &(start, _) in &sent {
                let in_window = |len: i64| sent.iter().filter(move |(t, _)| *t >= start && *t < start + len);
                prop_assert!(in_window(1_000).count() <= 15);
                prop_assert!(in_window(1_000).filter(|(_, c)| c.order).count() <= 10);
                prop_assert!(in_window(10_000).map(|(_, c)| c.weight).sum::<u32>() <= 120);
            }
        }
    }
}
