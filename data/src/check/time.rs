//! Timestamps in messages (ISO-8601 UTC) and the interval's grid of open times, counted in
//! bars.

use std::fmt;

use vela_core::types::Timestamp;
use vela_core::types::time::civil_from_days;

use crate::Interval;

const DAY: i64 = 86_400_000;

/// A timestamp (ms UTC) written as ISO-8601, e.g. `2021-12-31T23:42:00Z`; milliseconds are
/// written only when there are some (`2021-12-31T23:42:00.250Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Iso(pub(crate) i64);

impl fmt::Display for Iso {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Timestamp(self.0))
    }
}

/// Two timestamps as `from → to`; `to` is written as a time of day alone when both fall
/// on the same UTC day (`2021-12-31T23:42:00Z → 23:46:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IsoRange(pub(crate) i64, pub(crate) i64);

impl fmt::Display for IsoRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} → ", Iso(self.0))?;
        if self.0.div_euclid(DAY) == self.1.div_euclid(DAY) {
            write!(f, "{}", Timestamp(self.1).time_of_day())
        } else {
            write!(f, "{}", Iso(self.1))
        }
    }
}

/// The number of the interval's bar (bucket) containing `ts`, counted from a fixed origin:
/// consecutive bars have consecutive numbers, for calendar months too.
pub(crate) fn bar_number(interval: Interval, ts: i64) -> i64 {
    match interval.millis() {
        // Fixed lengths: whole bars since the bar that contains the epoch (weekly bars open
        // on Mondays, so that one is not at 0).
        Some(len) => (interval.bucket(ts) - interval.bucket(0)).div_euclid(len),
        None => {
            let (y, m, _) = civil_from_days(ts.div_euclid(DAY));
            y * 12 + m - 1
        }
    }
}

/// How many of the interval's bars lie strictly between the bar containing `from` and the
/// bar containing `to` (0 when they are the same or adjacent bars, or `to` is earlier).
pub(crate) fn bars_between(interval: Interval, from: i64, to: i64) -> u64 {
    let gap = bar_number(interval, to) - bar_number(interval, from) - 1;
    u64::try_from(gap).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_times_and_ranges() {
        assert_eq!(Iso(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Iso(1_640_994_120_000).to_string(), "2021-12-31T23:42:00Z");
        assert_eq!(
            Iso(1_709_214_432_250).to_string(),
            "2024-02-29T13:47:12.250Z"
        );
        assert_eq!(Iso(-1).to_string(), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            IsoRange(1_640_994_120_000, 1_640_994_360_000).to_string(),
            "2021-12-31T23:42:00Z → 23:46:00Z"
        );
        assert_eq!(
            IsoRange(1_640_994_120_000, 1_640_995_200_000).to_string(),
            "2021-12-31T23:42:00Z → 2022-01-01T00:00:00Z"
        );
    }

    #[test]
    fn bar_numbers_follow_next_for_every_interval() {
        // Step through a year around a leap day from an arbitrary start in each interval.
        for interval in Interval::ALL {
            let mut open = interval.bucket(1_704_294_000_000); // 2024-01-03T15:00Z
            let first = bar_number(interval, open);
            for k in 1..=60 {
                let next = interval.next(open);
                assert_eq!(
                    bar_number(interval, next),
                    first + k,
                    "{interval} at {next}"
                );
                // Any time inside a bar has the bar's number.
                assert_eq!(bar_number(interval, next - 1), first + k - 1, "{interval}");
                assert_eq!(bars_between(interval, open, next), 0);
                open = next;
            }
            let start = interval.bucket(1_704_294_000_000);
            assert_eq!(bars_between(interval, start, open), 59, "{interval}");
            assert_eq!(bars_between(interval, open, start), 0, "{interval}");
        }
    }
}
