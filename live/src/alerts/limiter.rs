//! Storm control: at most `burst` notices per topic in any `window`; the rest are counted
//! and the next notice that goes out says how many were held back. Driven by the notices'
//! own timestamps, so the same notices give the same deliveries.

use std::collections::{BTreeMap, VecDeque};

/// The decision for one notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send it; `suppressed` notices of its topic were held back since the last one sent.
    Send {
        /// How many were held back before this one.
        suppressed: u64,
    },
    /// Hold it back (counted).
    Suppress,
}

/// Per-topic sliding-window limiter.
#[derive(Debug, Clone)]
pub struct StormLimiter {
    burst: usize,
    window_ms: i64,
    topics: BTreeMap<String, Topic>,
}

#[derive(Debug, Clone, Default)]
struct Topic {
    sent: VecDeque<i64>,
    suppressed: u64,
}

impl StormLimiter {
    /// At most `burst` (at least 1) notices per topic in any `window_ms` milliseconds.
    #[must_use]
    pub fn new(burst: usize, window_ms: i64) -> Self {
        Self {
            burst: burst.max(1),
            window_ms: window_ms.max(0),
            topics: BTreeMap::new(),
        }
    }

    /// Decides for a notice of `topic` at `ts_ms` (times should not go backwards; one that
    /// does is judged against the later ones, never let through early).
    pub fn check(&mut self, topic: &str, ts_ms: i64) -> Verdict {
        let state = self.topics.entry(topic.to_owned()).or_default();
        while state
            .sent
            .front()
            .is_some_and(|&t| ts_ms.saturating_sub(t) >= self.window_ms)
        {
            state.sent.pop_front();
        }
        if state.sent.len() >= self.burst {
            state.suppressed += 1;
            return Verdict::Suppress;
        }
        let latest = state.sent.back().copied().unwrap_or(i64::MIN);
        state.sent.push_back(ts_ms.max(latest));
        Verdict::Send {
            suppressed: std::mem::take(&mut state.suppressed),
        }
    }
}
