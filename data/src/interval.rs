//! Bar intervals, spelled as MEXC spells them (`1m`, `5m`, `15m`, `30m`, `60m`, `4h`, `1d`,
//! `1W`, `1M`).

use std::fmt;
use std::str::FromStr;

use thiserror::Error;
use vela_core::types::time::{civil_from_days, days_from_civil};

/// A bar interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Interval {
    /// One minute.
    M1,
    /// Five minutes.
    M5,
    /// Fifteen minutes.
    M15,
    /// Thirty minutes.
    M30,
    /// One hour (MEXC: `60m`, not `1h`).
    H1,
    /// Four hours.
    H4,
    /// One day.
    D1,
    /// One week (Monday 00:00 UTC).
    W1,
    /// One calendar month.
    Month1,
}

/// An interval name that is not one of MEXC's.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown interval {0:?} (use one of 1m, 5m, 15m, 30m, 60m, 4h, 1d, 1W, 1M)")]
pub struct IntervalError(pub String);

const MINUTE: i64 = 60_000;

impl Interval {
    /// Every interval, shortest first.
    pub const ALL: [Self; 9] = [
        Self::M1,
        Self::M5,
        Self::M15,
        Self::M30,
        Self::H1,
        Self::H4,
        Self::D1,
        Self::W1,
        Self::Month1,
    ];

    /// MEXC's name for the interval.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::M1 => "1m",
            Self::M5 => "5m",
            Self::M15 => "15m",
            Self::M30 => "30m",
            Self::H1 => "60m",
            Self::H4 => "4h",
            Self::D1 => "1d",
            Self::W1 => "1W",
            Self::Month1 => "1M",
        }
    }

    /// Length in milliseconds; `None` for calendar months, whose length varies.
    #[must_use]
    pub const fn millis(self) -> Option<i64> {
        match self {
            Self::M1 => Some(MINUTE),
            Self::M5 => Some(5 * MINUTE),
            Self::M15 => Some(15 * MINUTE),
            Self::M30 => Some(30 * MINUTE),
            Self::H1 => Some(60 * MINUTE),
            Self::H4 => Some(240 * MINUTE),
            Self::D1 => Some(1_440 * MINUTE),
            Self::W1 => Some(10_080 * MINUTE),
            Self::Month1 => None,
        }
    }

    /// The open time of the bar containing `ts`.
    #[must_use]
    pub fn bucket(self, ts: i64) -> i64 {
        match self {
            Self::W1 => vela_core::types::Timestamp(ts).week_start().millis(),
            Self::Month1 => month_start(ts),
            _ => {
                let len = self.millis().unwrap_or(MINUTE);
                ts.div_euclid(len) * len
            }
        }
    }

    /// The open time of the bar after the one opening at `open`.
    #[must_use]
    pub fn next(self, open: i64) -> i64 {
        match self.millis() {
            Some(len) => open + len,
            None => {
                let (y, m) = year_month(open);
                let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                days_from_civil(y, m, 1) * 1_440 * MINUTE
            }
        }
    }
}

impl Interval {
    /// The interval of bars opening at `ts` (in any order): the most common positive step
    /// between consecutive sorted open times, when it is one of MEXC's intervals (steps of
    /// 28 to 31 days read as calendar months). `None` for fewer than two distinct times or
    /// an unknown step.
    #[must_use]
    pub fn infer(ts: &[i64]) -> Option<Self> {
        let mut sorted = ts.to_vec();
        sorted.sort_unstable();
        let mut steps: Vec<i64> = sorted
            .windows(2)
            .map(|w| w[1] - w[0])
            .filter(|&d| d > 0)
            .collect();
        steps.sort_unstable();
        let mut best: Option<(i64, usize)> = None;
        let mut i = 0;
        while i < steps.len() {
            let run = steps[i..].partition_point(|&d| d == steps[i]);
            if best.is_none_or(|(_, n)| run > n) {
                best = Some((steps[i], run));
            }
            i += run;
        }
        let (step, _) = best?;
        const DAY: i64 = 1_440 * MINUTE;
        if (28 * DAY..=31 * DAY).contains(&step) {
            return Some(Self::Month1);
        }
        Self::ALL.into_iter().find(|i| i.millis() == Some(step))
    }
}

impl FromStr for Interval {
    type Err = IntervalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|i| i.name() == s)
            .ok_or_else(|| IntervalError(s.to_owned()))
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Year and month of a timestamp (UTC).
fn year_month(ts: i64) -> (i64, i64) {
    let (y, m, _) = civil_from_days(ts.div_euclid(1_440 * MINUTE));
    (y, m)
}

fn month_start(ts: i64) -> i64 {
    let (y, m) = year_month(ts);
    days_from_civil(y, m, 1) * 1_440 * MINUTE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_the_common_step() {
        let minutes: Vec<i64> = [0, 1, 2, 5, 6, 6, 7].iter().map(|m| m * MINUTE).collect();
        assert_eq!(Interval::infer(&minutes), Some(Interval::M1));
        let hours: Vec<i64> = (0..5).rev().map(|h| h * 60 * MINUTE).collect();
        assert_eq!(Interval::infer(&hours), Some(Interval::H1));
        let months = [
            days_from_civil(2024, 1, 1) * 1_440 * MINUTE,
            days_from_civil(2024, 2, 1) * 1_440 * MINUTE,
            days_from_civil(2024, 3, 1) * 1_440 * MINUTE,
        ];
        assert_eq!(Interval::infer(&months), Some(Interval::Month1));
        assert_eq!(Interval::infer(&[0, 7 * MINUTE]), None);
        assert_eq!(Interval::infer(&[5]), None);
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_errors() {
        for interval in Interval::ALL {
            assert_eq!(interval.name().parse::<Interval>(), Ok(interval));
        }
        let err = "1h".parse::<Interval>().unwrap_err().to_string();
        assert!(
            err.contains("unknown interval \"1h\"") && err.contains("60m"),
            "{err}"
        );
    }

    #[test]
    fn buckets_and_next_open_times() {
        // 2024-02-29T13:47:12Z.
        let ts = 1_709_214_432_000;
        assert_eq!(Interval::M1.bucket(ts), 1_709_214_420_000);
        assert_eq!(Interval::H1.bucket(ts), 1_709_211_600_000);
        assert_eq!(Interval::D1.bucket(ts), 1_709_164_800_000);
        // Monday 2024-02-26 and the first of the month.
        assert_eq!(Interval::W1.bucket(ts), 1_708_905_600_000);
        assert_eq!(Interval::Month1.bucket(ts), 1_706_745_600_000);
        // Feb 2024 has 29 days: the next month opens on 2024-03-01.
        assert_eq!(Interval::Month1.next(1_706_745_600_000), 1_709_251_200_000);
        // December rolls into January.
        assert_eq!(Interval::Month1.next(1_701_388_800_000), 1_704_067_200_000);
        assert_eq!(Interval::M5.next(0), 300_000);
    }
}
