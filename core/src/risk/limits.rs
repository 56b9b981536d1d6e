//! Loss limits over time: drawdown from the equity peak, and daily and weekly losses.
//!
//! The equity series is analytics (the ledger itself stays in decimals), so the limits
//! compare `f64` values: a limit is reached when the loss is at least the limit.

use serde::{Deserialize, Serialize};

use super::config::{Limit, RiskConfig};
use crate::money::rounding::to_f64;
use crate::types::Timestamp;
use crate::types::time::{DAY_MS, WEEK_MS};

/// Which limit was broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// The drawdown limit: stays paused until resumed by hand.
    Drawdown,
    /// The daily loss limit: paused until the next UTC day.
    DailyLoss,
    /// The weekly loss limit: paused until the next ISO week (Monday 00:00 UTC).
    WeeklyLoss,
}

/// A broken limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    /// Which limit.
    pub kind: LimitKind,
    /// When trading may resume by itself (`None`: only by hand).
    pub until: Option<Timestamp>,
    /// The numbers.
    pub detail: String,
}

/// Equity reference points for the limits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LossLimits {
    peak: Option<f64>,
    day: Option<(Timestamp, f64)>,
    week: Option<(Timestamp, f64)>,
}

/// Whether `ts` falls in the period of `length` ms starting at `start`.
fn within(start: Timestamp, length: i64, ts: Timestamp) -> bool {
    ts.0.checked_sub(start.0)
        .is_some_and(|elapsed| (0..length).contains(&elapsed))
}

fn exceeded(limit: Limit, reference: f64, loss: f64) -> bool {
    match limit {
        Limit::Percent(p) => loss >= reference * p,
        Limit::Absolute(a) => loss >= to_f64(a),
    }
}

impl LossLimits {
    /// Moves every reference (the peak, the day's and the week's starting equity) by
    /// `amount`: money paid in or taken out is neither a gain nor a loss.
    pub fn shift(&mut self, amount: f64) {
        if let Some(peak) = &mut self.peak {
            *peak += amount;
        }
        for (_, reference) in self.day.iter_mut().chain(self.week.iter_mut()) {
            *reference += amount;
        }
    }

    /// Forgets the peak (after a manual resume following a drawdown pause).
    pub fn reset_peak(&mut self, equity: f64) {
        self.peak = Some(equity);
    }

    /// Updates the reference points with `equity` at `ts` and reports the first limit
    /// broken (drawdown, then weekly, then daily).
    pub fn observe(&mut self, config: &RiskConfig, ts: Timestamp, equity: f64) -> Option<Breach> {
        let peak = self.peak.map_or(equity, |p| p.max(equity));
        self.peak = Some(peak);
        // A new period starts when `ts` leaves the current one (`ts.day_start()` differs
        // from its start exactly then), so the divisions run once per period.
        if self.day.is_none_or(|(start, _)| !within(start, DAY_MS, ts)) {
            self.day = Some((ts.day_start(), equity));
        }
        if self
            .week
            .is_none_or(|(start, _)| !within(start, WEEK_MS, ts))
        {
            self.week = Some((ts.week_start(), equity));
        }
        if let Some(limit) = config.max_drawdown
            && exceeded(limit, peak, peak - equity)
        {
            return Some(Breach {
                kind: LimitKind::Drawdown,
                until: None,
                detail: format!("equity {equity} is {} below its peak {peak}", peak - equity),
            });
        }
        let periods = [
            (
                config.weekly_loss,
                self.week,
                WEEK_MS,
                LimitKind::WeeklyLoss,
                "week",
            ),
            (
                config.daily_loss,
                self.day,
                DAY_MS,
                LimitKind::DailyLoss,
                "day",
            ),
        ];
        for (limit, period, length, kind, name) in periods {
            if let (Some(limit), Some((start, reference))) = (limit, period)
                && exceeded(limit, reference, reference - equity)
            {
                return Some(Breach {
                    kind,
                    until: Some(start.plus_millis(length)),
                    detail: format!("lost {} this {name} (from {reference})", reference - equity),
                });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(v: i32) -> f64 {
        f64::from(v)
    }

    #[test]
    fn drawdown_from_peak() {
        let cfg = RiskConfig {
            max_drawdown: Some(Limit::Percent(0.1)),
            ..RiskConfig::default()
        };
        let mut l = LossLimits::default();
        assert_eq!(l.observe(&cfg, Timestamp(0), d(1000)), None);
        assert_eq!(l.observe(&cfg, Timestamp(1), d(1200)), None);
        assert_eq!(l.observe(&cfg, Timestamp(2), d(1081)), None);
        let breach = l.observe(&cfg, Timestamp(3), d(1080)).unwrap();
        assert_eq!((breach.kind, breach.until), (LimitKind::Drawdown, None));
        l.reset_peak(d(1080));
        assert_eq!(l.observe(&cfg, Timestamp(4), d(1080)), None);
    }

    #[test]
    fn daily_limit_pauses_until_the_next_day_and_resets_there() {
        let cfg = RiskConfig {
            daily_loss: Some(Limit::Absolute(rust_decimal::Decimal::from(50))),
            ..RiskConfig::default()
        };
        let mut l = LossLimits::default();
        let noon = Timestamp(DAY_MS * 10 + DAY_MS / 2);
        assert_eq!(l.observe(&cfg, noon, d(1000)), None);
        let breach = l.observe(&cfg, noon.plus_millis(1), d(950)).unwrap();
        assert_eq!(
            (breach.kind, breach.until),
            (LimitKind::DailyLoss, Some(Timestamp(DAY_MS * 11)))
        );
        // The next day starts from the equity then.
        assert_eq!(l.observe(&cfg, Timestamp(DAY_MS * 11), d(950)), None);
        assert_eq!(l.observe(&cfg, Timestamp(DAY_MS * 11 + 5), d(901)), None);
    }

    #[test]
    fn periods_change_exactly_where_their_starts_do() {
        // Against the plain rule (a new reference whenever day_start / week_start changes),
        // over times that cross days and weeks, go back within one, and jump far.
        let cfg = RiskConfig::default();
        let mut l = LossLimits::default();
        let mut day = None;
        let mut week = None;
        let mut t = -3 * WEEK_MS - 7;
        for step in 0..5_000_i64 {
            t += (step * 7_919_993) % (DAY_MS / 3) - DAY_MS / 40;
            if step % 997 == 0 {
                t += 5 * WEEK_MS;
            }
            let ts = Timestamp(t);
            let equity = d(i32::try_from(step).unwrap());
            l.observe(&cfg, ts, equity);
            if day.is_none_or(|(s, _)| s != ts.day_start()) {
                day = Some((ts.day_start(), equity));
            }
            if week.is_none_or(|(s, _)| s != ts.week_start()) {
                week = Some((ts.week_start(), equity));
            }
            assert_eq!((l.day, l.week), (day, week), "at {t}");
        }
    }

    #[test]
    fn weekly_limit_in_percent() {
        let cfg = RiskConfig {
            weekly_loss: Some(Limit::Percent(0.05)),
            ..RiskConfig::default()
        };
        let mut l = LossLimits::default();
        let monday = Timestamp(0).plus_millis(4 * DAY_MS); // 1970-01-05, a Monday
        assert_eq!(l.observe(&cfg, monday, d(1000)), None);
        assert_eq!(
            l.observe(&cfg, monday.plus_millis(3 * DAY_MS), d(951)),
            None
        );
        let breach = l
            .observe(&cfg, monday.plus_millis(3 * DAY_MS), d(950))
            .unwrap();
        assert_eq!(breach.until, Some(monday.plus_millis(WEEK_MS)));
    }
}
