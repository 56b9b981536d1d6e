//! Partition periods: a month of bars for intervals under an hour, a year otherwise.
//!
//! A month of 1m bars is at most 44,640 rows (about 1.5 MB of Parquet); a year of hourly
//! bars is 8,784. Each partition is one file, so a time-range read opens only the files of
//! the periods it overlaps.

use std::fmt;

use vela_core::types::time::{civil_from_days, days_from_civil};

use crate::Interval;

const DAY_MS: i64 = 86_400_000;

/// One partition's span of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    /// A calendar month (UTC): year and month 1–12.
    Month(i64, i64),
    /// A calendar year (UTC).
    Year(i64),
}

/// Whether datasets of `interval` are partitioned by month (else by year).
#[must_use]
pub(crate) fn monthly(interval: Interval) -> bool {
    interval.millis().is_some_and(|ms| ms < 3_600_000)
}

impl Period {
    /// The period holding the bar that opens at `ts`.
    #[must_use]
    pub fn of(interval: Interval, ts: i64) -> Self {
        let (y, m, _) = civil_from_days(ts.div_euclid(DAY_MS));
        if monthly(interval) {
            Self::Month(y, m)
        } else {
            Self::Year(y)
        }
    }

    /// First millisecond of the period.
    #[must_use]
    pub fn start(self) -> i64 {
        match self {
            Self::Month(y, m) => days_from_civil(y, m, 1) * DAY_MS,
            Self::Year(y) => days_from_civil(y, 1, 1) * DAY_MS,
        }
    }

    /// First millisecond after the period.
    #[must_use]
    pub fn end(self) -> i64 {
        match self {
            Self::Month(y, 12) => days_from_civil(y + 1, 1, 1) * DAY_MS,
            Self::Month(y, m) => days_from_civil(y, m + 1, 1) * DAY_MS,
            Self::Year(y) => days_from_civil(y + 1, 1, 1) * DAY_MS,
        }
    }

    /// Whether the period shares a millisecond with `[start, end)`.
    #[must_use]
    pub fn overlaps(self, start: i64, end: i64) -> bool {
        self.start() < end && start < self.end()
    }

    /// Parses a directory name's period (`2024-01` or `2024`) for `interval`'s datasets.
    #[must_use]
    pub fn parse(text: &str, interval: Interval) -> Option<Self> {
        let period = match text.split_once('-') {
            Some((y, m)) if m.len() == 2 => {
                let month: i64 = m.parse().ok()?;
                (1..=12)
                    .contains(&month)
                    .then_some(Self::Month(parse_year(y)?, month))?
            }
            Some(_) => return None,
            None => Self::Year(parse_year(text)?),
        };
        (matches!(period, Self::Month(..)) == monthly(interval)).then_some(period)
    }
}

fn parse_year(text: &str) -> Option<i64> {
    (text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

impl fmt::Display for Period {
    /// `2024-01` or `2024`, as in partition directory names.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Month(y, m) => write!(f, "{y:04}-{m:02}"),
            Self::Year(y) => write!(f, "{y:04}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JAN_2024: i64 = 1_704_067_200_000;

    #[test]
    fn minute_bars_are_monthly_hourly_bars_yearly() {
        let p = Period::of(Interval::M1, JAN_2024 + 5 * DAY_MS);
        assert_eq!(p, Period::Month(2024, 1));
        assert_eq!(p.start(), JAN_2024);
        assert_eq!(p.end(), JAN_2024 + 31 * DAY_MS);
        assert_eq!(p.to_string(), "2024-01");
        let y = Period::of(Interval::H1, JAN_2024 - 1);
        assert_eq!(y, Period::Year(2023));
        assert_eq!(y.end(), JAN_2024);
        assert_eq!(Period::Month(2023, 12).end(), JAN_2024);
    }

    #[test]
    fn parse_accepts_only_the_intervals_own_kind() {
        assert_eq!(
            Period::parse("2024-01", Interval::M5),
            Some(Period::Month(2024, 1))
        );
        assert_eq!(
            Period::parse("2024", Interval::D1),
            Some(Period::Year(2024))
        );
        assert_eq!(Period::parse("2024", Interval::M1), None);
        assert_eq!(Period::parse("2024-13", Interval::M1), None);
        assert_eq!(Period::parse("2024-1", Interval::M1), None);
        assert_eq!(Period::parse("24-01", Interval::M1), None);
        assert_eq!(Period::parse(".tmp", Interval::M1), None);
    }

    #[test]
    fn overlap_is_half_open() {
        let p = Period::Month(2024, 1);
        assert!(p.overlaps(JAN_2024 - 1, JAN_2024 + 1));
        assert!(!p.overlaps(JAN_2024 - 10, JAN_2024));
        assert!(!p.overlaps(p.end(), p.end() + 1));
    }
}
