//! Time: milliseconds since the Unix epoch, UTC — MEXC's unit (DESIGN.md §3).
//!
//! The core never reads a clock. "Now" is always the timestamp of the event being handled.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Milliseconds in one minute.
pub const MINUTE_MS: i64 = 60_000;
/// Milliseconds in one hour.
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// Milliseconds in one day.
pub const DAY_MS: i64 = 24 * HOUR_MS;
/// Milliseconds in one week.
pub const WEEK_MS: i64 = 7 * DAY_MS;
/// 1970-01-01 was a Thursday; the first Monday 00:00 UTC after the epoch is 4 days later.
const FIRST_MONDAY_MS: i64 = 4 * DAY_MS;

/// A point in time: milliseconds since 1970-01-01T00:00:00Z.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The timestamp `ms` milliseconds since the epoch.
    #[must_use]
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    #[must_use]
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// This timestamp moved by `ms` milliseconds (saturating at the ends of `i64`).
    #[must_use]
    pub const fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// The start of the UTC day containing this timestamp.
    #[must_use]
    pub const fn day_start(self) -> Self {
        Self(self.0.div_euclid(DAY_MS) * DAY_MS)
    }

    /// The start (Monday 00:00 UTC) of the ISO week containing this timestamp.
    #[must_use]
    pub const fn week_start(self) -> Self {
        Self((self.0 - FIRST_MONDAY_MS).div_euclid(WEEK_MS) * WEEK_MS + FIRST_MONDAY_MS)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_and_week_starts() {
        // 2024-01-03T15:00:00Z is a Wednesday.
        let ts = Timestamp(1_704_294_000_000);
        assert_eq!(ts.day_start(), Timestamp(1_704_240_000_000)); // 2024-01-03T00:00Z
        assert_eq!(ts.week_start(), Timestamp(1_704_067_200_000)); // Monday 2024-01-01T00:00Z
        // A Monday midnight is its own week start; a Sunday belongs to the week before.
        assert_eq!(
            Timestamp(1_704_067_200_000).week_start(),
            Timestamp(1_704_067_200_000)
        );
        assert_eq!(
            Timestamp(1_704_067_199_999).week_start(),
            Timestamp(1_703_462_400_000)
        );
        // Before the epoch too.
        assert_eq!(Timestamp(-1).day_start(), Timestamp(-DAY_MS));
    }
}
