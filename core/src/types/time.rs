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

/// Days since 1970-01-01 of the civil (proleptic Gregorian) date `year-month-day`
/// (Howard Hinnant's algorithm; any year).
#[must_use]
pub const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day number since 1970-01-01.
#[must_use]
pub const fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

impl Timestamp {
    /// The time of day as `HH:MM:SS[.mmm]Z` (milliseconds only when there are some).
    #[must_use]
    pub fn time_of_day(self) -> TimeOfDay {
        TimeOfDay(self.0.rem_euclid(DAY_MS))
    }
}

/// A time of day, written `HH:MM:SS[.mmm]Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeOfDay(i64);

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        let (h, m, s, milli) = (
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1_000 % 60,
            ms % 1_000,
        );
        write!(f, "{h:02}:{m:02}:{s:02}")?;
        if milli != 0 {
            write!(f, ".{milli:03}")?;
        }
        f.write_str("Z")
    }
}

impl fmt::Display for Timestamp {
    /// ISO-8601 UTC, e.g. `2021-12-31T23:42:00Z` (`.250` when there are milliseconds).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d) = civil_from_days(self.0.div_euclid(DAY_MS));
        write!(f, "{y:04}-{mo:02}-{d:02}T{}", self.time_of_day())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_display_and_the_civil_calendar() {
        assert_eq!(
            Timestamp(1_640_994_120_000).to_string(),
            "2021-12-31T23:42:00Z"
        );
        assert_eq!(
            Timestamp(1_640_994_120_250).to_string(),
            "2021-12-31T23:42:00.250Z"
        );
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp(-1).to_string(), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            Timestamp(1_709_164_800_000).to_string(),
            "2024-02-29T00:00:00Z"
        );
        for days in [-800_000, -1, 0, 59, 19_782, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

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
