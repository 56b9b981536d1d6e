//! Trade statistics and the sizing rules (fixed fraction, Kelly).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::config::Sizing;
use crate::money::rounding::to_f64;

/// Results of the bot's closed round trips (flat → long → flat).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeStats {
    /// Winning trades.
    pub wins: u32,
    /// Losing trades (P&L below zero).
    pub losses: u32,
    /// Sum of winning P&L.
    pub win_sum: Decimal,
    /// Sum of losing P&L, as a positive number.
    pub loss_sum: Decimal,
    /// Losing trades in a row, up to now.
    pub consecutive_losses: u32,
}

impl TradeStats {
    /// Records one closed trade. A trade at exactly zero counts as neither a win nor a loss
    /// and does not break a losing streak.
    pub fn record(&mut self, pnl: Decimal) {
        if pnl > Decimal::ZERO {
            self.wins += 1;
            self.win_sum += pnl;
            self.consecutive_losses = 0;
        } else if pnl < Decimal::ZERO {
            self.losses += 1;
            self.loss_sum -= pnl;
            self.consecutive_losses += 1;
        }
    }

    /// Closed trades that won or lost.
    #[must_use]
    pub fn trades(&self) -> u32 {
        self.wins + self.losses
    }

    /// The raw Kelly fraction `W - (1 - W) / R`; `None` without both wins and losses.
    #[must_use]
    pub fn kelly(&self) -> Option<f64> {
        if self.wins == 0 || self.losses == 0 {
            return None;
        }
        let n = f64::from(self.trades());
        let win_rate = f64::from(self.wins) / n;
        let avg_win = to_f64(self.win_sum) / f64::from(self.wins);
        let avg_loss = to_f64(self.loss_sum) / f64::from(self.losses);
        if avg_loss <= 0.0 {
            return None;
        }
        Some(win_rate - (1.0 - win_rate) / (avg_win / avg_loss))
    }
}

impl Sizing {
    /// The share of equity to commit to one entry; `Err(kelly)` when Kelly finds no edge.
    pub fn fraction(&self, stats: &TradeStats) -> Result<f64, f64> {
        match *self {
            Self::FixedFraction { fraction } => Ok(fraction),
            Self::Kelly {
                multiplier,
                max_fraction,
                min_trades,
                fallback,
            } => {
                if stats.trades() < min_trades {
                    return Ok(fallback);
                }
                match stats.kelly() {
                    // All wins: the edge is as large as Kelly allows.
                    None if stats.losses == 0 && stats.wins > 0 => Ok(max_fraction),
                    // All losses: W = 0, so K = -1/R with R = 0: no edge at all.
                    None if stats.wins == 0 && stats.losses > 0 => Err(f64::NEG_INFINITY),
                    None => Ok(fallback),
                    Some(k) if k <= 0.0 => Err(k),
                    Some(k) => Ok((k * multiplier).min(max_fraction)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(wins: &[i64], losses: &[i64]) -> TradeStats {
        let mut s = TradeStats::default();
        for w in wins {
            s.record(Decimal::from(*w));
        }
        for l in losses {
            s.record(Decimal::from(-*l));
        }
        s
    }

    #[test]
    fn kelly_matches_the_formula() {
        // W = 0.6, R = 2 → K = 0.6 - 0.4/2 = 0.4.
        let s = stats(&[20, 20, 20], &[10, 10]);
        assert!((s.kelly().unwrap() - 0.4).abs() < 1e-12);
        let half = Sizing::Kelly {
            multiplier: 0.5,
            max_fraction: 1.0,
            min_trades: 5,
            fallback: 0.1,
        };
        assert!((half.fraction(&s).unwrap() - 0.2).abs() < 1e-12);
        let capped = Sizing::Kelly {
            multiplier: 1.0,
            max_fraction: 0.25,
            min_trades: 5,
            fallback: 0.1,
        };
        assert_eq!(capped.fraction(&s), Ok(0.25));
        let early = Sizing::Kelly {
            multiplier: 1.0,
            max_fraction: 0.25,
            min_trades: 6,
            fallback: 0.1,
        };
        assert_eq!(early.fraction(&s), Ok(0.1));
    }

    #[test]
    fn no_edge_is_reported() {
        // W = 0.25, R = 1 → K = -0.5.
        let s = stats(&[10], &[10, 10, 10]);
        let kelly = Sizing::Kelly {
            multiplier: 1.0,
            max_fraction: 1.0,
            min_trades: 1,
            fallback: 0.1,
        };
        assert!(kelly.fraction(&s).is_err());
        assert!(kelly.fraction(&stats(&[], &[1])).is_err(), "all losses");
        assert_eq!(
            kelly.fraction(&stats(&[1], &[])),
            Ok(1.0),
            "all wins: the cap"
        );
        assert_eq!(
            Sizing::FixedFraction { fraction: 0.3 }.fraction(&s),
            Ok(0.3)
        );
    }

    #[test]
    fn losing_streaks_count_and_reset() {
        let mut s = stats(&[], &[1, 1]);
        assert_eq!(s.consecutive_losses, 2);
        s.record(Decimal::ZERO);
        assert_eq!(s.consecutive_losses, 2);
        s.record(Decimal::ONE);
        assert_eq!(s.consecutive_losses, 0);
    }
}
