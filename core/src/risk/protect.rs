//! Protections that act on their own: stop loss, trailing stop and take-profit targets.
//!
//! Evaluated on every bar (with its low and high) and trade (its price). Order within one
//! update, pessimistic like the backtester's default: stops are checked first against the
//! levels known before this update; only then does the high raise the trailing level and
//! reach take-profit targets. One protective exit is working at a time.
//!
//! Levels are market-data analytics, so they are `f64` (DESIGN.md §3) — the same numbers
//! the vectorised backtester computes. Each level is rounded to the instrument's price grid
//! before it is compared, so a +10 % target on a cost of 100 triggers at a high of exactly
//! 110 rather than at 110.00000000000001.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::config::{Limit, RiskConfig};
use crate::money::rounding::to_f64;
use crate::strategy::Size;
use crate::types::ClientOrderId;

/// Why the risk layer sent an exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    /// The stop loss was reached.
    StopLoss,
    /// The trailing stop was reached.
    TrailingStop,
    /// Take-profit target number `n` (from 0) was reached.
    TakeProfit(usize),
}

/// Protection state of one position.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Protection {
    /// Highest price seen since entry (for the trailing stop).
    high_water: Option<f64>,
    /// Largest quantity held since entry (take-profit fractions refer to it).
    peak_quantity: Decimal,
    /// Take-profit targets already taken.
    targets_hit: usize,
    /// The protective exit currently working.
    pub exit_order: Option<ClientOrderId>,
}

/// An exit the risk layer wants.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExitWanted {
    /// Why.
    pub reason: ExitReason,
    /// How much.
    pub size: Size,
}

/// `value` rounded to `precision` decimals (half away from zero), in `f64`.
#[must_use]
pub fn to_price_grid(value: f64, precision: u32) -> f64 {
    let scale = 10_f64.powi(i32::try_from(precision).unwrap_or(i32::MAX));
    (value * scale).round() / scale
}

impl Protection {
    /// Records a buy fill: the position now holds `held`, bought at `price`.
    pub fn on_entry(&mut self, price: Decimal, held: Decimal) {
        if self.high_water.is_none() {
            self.high_water = Some(to_f64(price));
        }
        self.peak_quantity = self.peak_quantity.max(held);
    }

    /// The stop level below which everything is sold, if a stop is configured.
    #[must_use]
    pub fn stop_level(
        &self,
        config: &RiskConfig,
        average_cost: f64,
        precision: u32,
    ) -> Option<(f64, ExitReason)> {
        let fixed = config.stop_loss.map(|limit| match limit {
            Limit::Percent(p) => average_cost * (1.0 - p),
            Limit::Absolute(a) => average_cost - to_f64(a),
        });
        let trailing = config
            .trailing_stop
            .zip(self.high_water)
            .map(|(t, high)| high * (1.0 - t));
        let (level, reason) = match (fixed, trailing) {
            (Some(f), Some(t)) if t > f => (t, ExitReason::TrailingStop),
            (Some(f), _) => (f, ExitReason::StopLoss),
            (None, Some(t)) => (t, ExitReason::TrailingStop),
            (None, None) => return None,
        };
        Some((to_price_grid(level, precision), reason))
    }

    /// Evaluates a price update (`low`..`high`) for a position with `average_cost`, on an
    /// instrument with `precision` price decimals. Returns the exit to send, if any; the
    /// caller records its order in `exit_order`.
    pub fn evaluate(
        &mut self,
        config: &RiskConfig,
        average_cost: Decimal,
        precision: u32,
        low: f64,
        high: f64,
    ) -> Option<ExitWanted> {
        self.evaluate_at(config, to_f64(average_cost), precision, low, high)
    }

    /// [`Protection::evaluate`] with the average cost already converted to `f64`
    /// (`to_f64(average_cost)`), for callers that keep it between updates.
    pub fn evaluate_at(
        &mut self,
        config: &RiskConfig,
        cost: f64,
        precision: u32,
        low: f64,
        high: f64,
    ) -> Option<ExitWanted> {
        if self.exit_order.is_some() {
            self.raise_high_water(high);
            return None;
        }
        if let Some((level, reason)) = self.stop_level(config, cost, precision)
            && low <= level
        {
            return Some(ExitWanted {
                reason,
                size: Size::PositionShare(1.0),
            });
        }
        self.raise_high_water(high);
        let target = config.take_profit.get(self.targets_hit)?;
        if high < to_price_grid(cost * (1.0 + target.gain), precision) {
            return None;
        }
        let index = self.targets_hit;
        self.targets_hit += 1;
        let taken: f64 = config.take_profit[..=index]
            .iter()
            .map(|t| t.fraction)
            .sum();
        let last = index + 1 == config.take_profit.len() && taken >= 1.0 - 1e-9;
        let size = if last {
            Size::PositionShare(1.0)
        } else {
            Size::Base(to_f64(self.peak_quantity) * target.fraction)
        };
        Some(ExitWanted {
            reason: ExitReason::TakeProfit(index),
            size,
        })
    }

    fn raise_high_water(&mut self, high: f64) {
        if high.is_finite() {
            self.high_water = Some(self.high_water.map_or(high, |w| w.max(high)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::config::TakeProfitTarget;

    fn config() -> RiskConfig {
        RiskConfig {
            stop_loss: Some(Limit::Percent(0.05)),
            trailing_stop: Some(0.10),
            take_profit: vec![
                TakeProfitTarget {
                    gain: 0.10,
                    fraction: 0.5,
                },
                TakeProfitTarget {
                    gain: 0.20,
                    fraction: 0.5,
                },
            ],
            ..RiskConfig::default()
        }
    }

    #[test]
    fn stop_loss_fires_at_its_level_and_not_above() {
        let mut p = Protection::default();
        p.on_entry(Decimal::from(100), Decimal::ONE);
        assert_eq!(
            p.evaluate(&config(), Decimal::from(100), 2, 95.01, 101.0),
            None
        );
        let exit = p
            .evaluate(&config(), Decimal::from(100), 2, 95.0, 101.0)
            .unwrap();
        assert_eq!(exit.reason, ExitReason::StopLoss);
        assert_eq!(exit.size, Size::PositionShare(1.0));
    }

    #[test]
    fn absolute_stop_is_a_price_distance() {
        let cfg = RiskConfig {
            stop_loss: Some(Limit::Absolute(Decimal::from(3))),
            ..RiskConfig::default()
        };
        let mut p = Protection::default();
        p.on_entry(Decimal::from(100), Decimal::ONE);
        assert_eq!(p.evaluate(&cfg, Decimal::from(100), 2, 97.5, 100.0), None);
        assert!(
            p.evaluate(&cfg, Decimal::from(100), 2, 97.0, 100.0)
                .is_some()
        );
    }

    #[test]
    fn trailing_stop_follows_the_high_and_takes_over_from_the_stop() {
        let cfg = RiskConfig {
            trailing_stop: Some(0.10),
            stop_loss: Some(Limit::Percent(0.2)),
            ..RiskConfig::default()
        };
        let mut p = Protection::default();
        p.on_entry(Decimal::from(100), Decimal::ONE);
        // The high of this update only counts after the stop check.
        assert_eq!(p.evaluate(&cfg, Decimal::from(100), 2, 91.0, 150.0), None);
        assert_eq!(
            p.stop_level(&cfg, 100.0, 2),
            Some((135.0, ExitReason::TrailingStop))
        );
        assert_eq!(p.evaluate(&cfg, Decimal::from(100), 2, 135.01, 140.0), None);
        assert_eq!(
            p.evaluate(&cfg, Decimal::from(100), 2, 135.0, 140.0)
                .map(|e| e.reason),
            Some(ExitReason::TrailingStop)
        );
    }

    #[test]
    fn take_profit_targets_sell_in_parts_then_all() {
        let mut p = Protection::default();
        p.on_entry(Decimal::from(100), Decimal::from(2));
        assert_eq!(
            p.evaluate(&config(), Decimal::from(100), 2, 99.0, 109.99),
            None
        );
        let first = p
            .evaluate(&config(), Decimal::from(100), 2, 99.0, 110.0)
            .unwrap();
        assert_eq!(
            (first.reason, first.size),
            (ExitReason::TakeProfit(0), Size::Base(1.0))
        );
        p.exit_order = Some(ClientOrderId::new("b-1").unwrap());
        assert_eq!(
            p.evaluate(&config(), Decimal::from(100), 2, 120.0, 125.0),
            None,
            "one exit at a time"
        );
        p.exit_order = None;
        let second = p
            .evaluate(&config(), Decimal::from(100), 2, 120.0, 125.0)
            .unwrap();
        assert_eq!(
            (second.reason, second.size),
            (ExitReason::TakeProfit(1), Size::PositionShare(1.0))
        );
        assert_eq!(
            p.evaluate(&config(), Decimal::from(100), 2, 120.0, 200.0),
            None,
            "no targets left"
        );
    }
}
