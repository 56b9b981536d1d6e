//! Bar-level protective exits of a long position: stop loss, take profit, trailing stop.
//!
//! Levels follow the core risk layer (`vela_core::risk::protect`): the stop loss is
//! `entry · (1 − stop_loss)`, the take profit `entry · (1 + take_profit)`, the trailing
//! stop `high_water · (1 − trailing_stop)` where the high water is the entry price raised
//! by the highs of the bars **before** the current one (since the entry); each level is
//! rounded to the price grid before it is compared. With both stops set, the higher level
//! is the working stop (reported as the trailing stop when it is strictly higher).
//!
//! On each bar where the position was already held when the bar began (or, with next-open
//! entries, from the entry bar on: the entry is the bar's open), in this order:
//! 1. the open at or below the stop: sold at the open (a gap through the stop);
//! 2. the open at or above the take profit: sold at the open;
//! 3. the low at or below the stop and the high at or above the take profit: the stop with
//!    [`IntrabarOrder::Pessimistic`], the take profit with [`IntrabarOrder::Optimistic`];
//! 4. the low at or below the stop: sold at the stop level;
//! 5. the high at or above the take profit: sold at the take-profit level;
//! 6. otherwise the bar's high raises the high water for the next bar.

use vela_core::risk::protect::to_price_grid;

use super::config::{IntrabarOrder, Stops};
use crate::result::ExitReason;

/// A protective exit wanted on a bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StopHit {
    /// The price before slippage and tick rounding.
    pub(crate) price: f64,
    /// Which exit.
    pub(crate) reason: ExitReason,
}

/// Stop levels of the open position.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StopState {
    stop_loss: Option<f64>,
    take_profit: Option<f64>,
    trailing: Option<f64>,
    pessimistic: bool,
    precision: u32,
    fixed_level: f64,
    trailing_level: f64,
    take_level: f64,
    high_water: f64,
}

impl StopState {
    /// Stops from the configuration, for an instrument with `precision` price decimals.
    pub(crate) fn new(stops: &Stops, precision: u32) -> Self {
        Self {
            stop_loss: stops.stop_loss,
            take_profit: stops.take_profit,
            trailing: stops.trailing_stop,
            pessimistic: stops.intrabar == IntrabarOrder::Pessimistic,
            precision,
            fixed_level: f64::NEG_INFINITY,
            trailing_level: f64::NEG_INFINITY,
            take_level: f64::INFINITY,
            high_water: 0.0,
        }
    }

    /// Whether any stop is configured.
    pub(crate) fn active(&self) -> bool {
        self.stop_loss.is_some() || self.take_profit.is_some() || self.trailing.is_some()
    }

    /// Arms the levels for a position entered at `entry` (the fill price).
    pub(crate) fn arm(&mut self, entry: f64) {
        self.high_water = entry;
        self.fixed_level = self.stop_loss.map_or(f64::NEG_INFINITY, |p| {
            to_price_grid(entry * (1.0 - p), self.precision)
        });
        self.take_level = self.take_profit.map_or(f64::INFINITY, |g| {
            to_price_grid(entry * (1.0 + g), self.precision)
        });
        self.trailing_level = self.trailing_at(entry);
    }

    fn trailing_at(&self, high_water: f64) -> f64 {
        self.trailing.map_or(f64::NEG_INFINITY, |t| {
            to_price_grid(high_water * (1.0 - t), self.precision)
        })
    }

    /// Checks one bar; without a hit, raises the high water with the bar's high.
    #[inline]
    pub(crate) fn check(&mut self, open: f64, high: f64, low: f64) -> Option<StopHit> {
        let (stop, stop_reason) = if self.trailing_level > self.fixed_level {
            (self.trailing_level, ExitReason::TrailingStop)
        } else {
            (self.fixed_level, ExitReason::StopLoss)
        };
        let take = self.take_level;
        let stop_hit = StopHit {
            price: stop,
            reason: stop_reason,
        };
        let take_hit = StopHit {
            price: take,
            reason: ExitReason::TakeProfit,
        };
        let hit = if open <= stop {
            Some(StopHit {
                price: open,
                ..stop_hit
            })
        } else if open >= take {
            Some(StopHit {
                price: open,
                ..take_hit
            })
        } else {
            match (low <= stop, high >= take) {
                (true, true) => Some(if self.pessimistic { stop_hit } else { take_hit }),
                (true, false) => Some(stop_hit),
                (false, true) => Some(take_hit),
                (false, false) => None,
            }
        };
        if hit.is_none() {
            self.raise(high);
        }
        hit
    }

    /// Raises the high water with `high` (a bar on which the stops held, or were not yet
    /// checked because the position was entered at its close: then nothing is raised).
    #[inline]
    pub(crate) fn raise(&mut self, high: f64) {
        if high > self.high_water {
            self.high_water = high;
            if self.trailing.is_some() {
                self.trailing_level = self.trailing_at(high);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(
        sl: Option<f64>,
        tp: Option<f64>,
        ts: Option<f64>,
        intrabar: IntrabarOrder,
    ) -> StopState {
        let mut s = StopState::new(
            &Stops {
                stop_loss: sl,
                take_profit: tp,
                trailing_stop: ts,
                intrabar,
                ..Stops::default()
            },
            2,
        );
        s.arm(100.0);
        s
    }

    #[test]
    fn each_rule_in_order() {
        let p = IntrabarOrder::Pessimistic;
        let hit = |s: &mut StopState, o, h, l| s.check(o, h, l).map(|x| (x.price, x.reason));
        // Gap through the stop: at the open.
        let mut s = state(Some(0.05), Some(0.1), None, p);
        assert_eq!(
            hit(&mut s, 94.0, 96.0, 93.0),
            Some((94.0, ExitReason::StopLoss))
        );
        // Gap above the take profit: at the open.
        assert_eq!(
            hit(&mut s, 111.0, 112.0, 109.0),
            Some((111.0, ExitReason::TakeProfit))
        );
        // Both touched: the stop (pessimistic) or the take profit (optimistic).
        assert_eq!(
            hit(&mut s, 100.0, 110.0, 95.0),
            Some((95.0, ExitReason::StopLoss))
        );
        let mut o = state(Some(0.05), Some(0.1), None, IntrabarOrder::Optimistic);
        assert_eq!(
            hit(&mut o, 100.0, 110.0, 95.0),
            Some((110.0, ExitReason::TakeProfit))
        );
        // One touched: at its level.
        assert_eq!(
            hit(&mut s, 100.0, 101.0, 95.0),
            Some((95.0, ExitReason::StopLoss))
        );
        assert_eq!(
            hit(&mut s, 100.0, 110.0, 96.0),
            Some((110.0, ExitReason::TakeProfit))
        );
        // Neither: no exit, 95.01 is above the stop.
        assert_eq!(hit(&mut s, 100.0, 109.99, 95.01), None);
    }

    #[test]
    fn trailing_uses_highs_of_earlier_bars_only() {
        let mut s = state(None, None, Some(0.1), IntrabarOrder::Pessimistic);
        // Level 90 from the entry. This bar's high of 120 does not protect this bar.
        assert_eq!(s.check(100.0, 120.0, 91.0), None);
        // Now the level is 108: a low of 107 hits it.
        let hit = s.check(115.0, 116.0, 107.0).unwrap();
        assert_eq!((hit.price, hit.reason), (108.0, ExitReason::TrailingStop));
    }

    #[test]
    fn the_higher_stop_works_and_levels_sit_on_the_grid() {
        let mut s = state(Some(0.05), None, Some(0.1), IntrabarOrder::Pessimistic);
        // Fixed 95 is above trailing 90.
        assert_eq!(
            s.check(100.0, 100.0, 95.0).unwrap().reason,
            ExitReason::StopLoss
        );
        let mut s = state(Some(0.05), None, Some(0.1), IntrabarOrder::Pessimistic);
        s.raise(110.0);
        // Trailing 99 is above fixed 95.
        let hit = s.check(100.0, 100.0, 98.0).unwrap();
        assert_eq!((hit.price, hit.reason), (99.0, ExitReason::TrailingStop));
        let mut s = StopState::new(
            &Stops {
                stop_loss: Some(0.033),
                ..Stops::default()
            },
            2,
        );
        s.arm(123.45);
        // 123.45 · 0.967 = 119.37615 → 119.38.
        assert_eq!(s.check(120.0, 121.0, 119.38).unwrap().price, 119.38);
    }
}
