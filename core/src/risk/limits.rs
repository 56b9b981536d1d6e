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

fn exceeded(limit: Limit, reference: f64, loss: f64) -> bool {
    match limit {
        Limit::Percent(p) => loss >= reference * p,
        Limit::Absolute(a) => loss >= to_f64(a),
    }
}

impl LossLimits {
    /// Forgets the peak (after a manual resume following a drawdown pause).
    pub fn reset_peak(&mut self, equity: f64) {
        self.peak = Some(equity);
    }

    /// Updates the reference points with `equity` at `ts` and reports the first limit
    /// broken (drawdown, then weekly, then daily).
    pub fn observe(&mut self, config: &RiskConfig, ts: Timestamp, equity: f64) -> Option<Breach> {
        let peak = self.peak.map_or(equity, |p| p.max(equity));
        self.peak = Some(peak);
        let day = ts.day_start();
        if self.day.is_none_or(|(start, _)| start != day) {
            self.day = Some((day, equity));
        }
        let week = ts.week_start();
        if self.week.is_none_or(|(start, _)| start != week) {
            self.week = Some((week, equity));
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
