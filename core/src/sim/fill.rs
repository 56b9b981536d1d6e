//! Fill models: the price an order trades at, whether a bar reaches a limit, and how much
//! of a bar's volume an order may take.

use rust_decimal::Decimal;

use super::config::{SimConfig, TouchRule};
use crate::money::rounding::to_f64;
use crate::types::{Bar, Instrument, Side};

/// A taker's price from a market price `base`: slippage against the trader
/// (`base × (1 + bps/10⁴)` for a buy, `base × (1 − bps/10⁴)` for a sell, in `f64`), then
/// rounded to the nearest tick. `None` when that is not a positive price.
pub(crate) fn taker_price(
    instrument: &Instrument,
    side: Side,
    base: f64,
    slippage_bps: f64,
) -> Option<Decimal> {
    let slipped = match side {
        Side::Buy => base * (1.0 + slippage_bps / 1e4),
        Side::Sell => base * (1.0 - slippage_bps / 1e4),
    };
    instrument
        .round_price(slipped)
        .ok()
        .filter(|p| *p > Decimal::ZERO)
}

/// Whether a limit order at `limit` can trade against the market price `price` on arrival.
pub(crate) fn marketable(side: Side, limit: Decimal, price: f64) -> bool {
    let limit = to_f64(limit);
    match side {
        Side::Buy => price <= limit,
        Side::Sell => price >= limit,
    }
}

/// A limit order's taker price on arrival: the slipped price, never worse than the limit.
pub(crate) fn capped_at_limit(side: Side, price: Decimal, limit: Decimal) -> Decimal {
    match side {
        Side::Buy => price.min(limit),
        Side::Sell => price.max(limit),
    }
}

/// Whether `bar` reaches a resting limit at `limit` under `rule`.
pub(crate) fn reached(rule: TouchRule, side: Side, limit: Decimal, bar: &Bar) -> bool {
    let limit = to_f64(limit);
    match (rule, side) {
        (TouchRule::Through, Side::Buy) => bar.low < limit,
        (TouchRule::Through, Side::Sell) => bar.high > limit,
        (TouchRule::Touch, Side::Buy) => bar.low <= limit,
        (TouchRule::Touch, Side::Sell) => bar.high >= limit,
    }
}

/// The most one order may fill on `bar` (`None`: no cap): `volume × cap` rounded down to
/// the quantity step.
pub(crate) fn volume_cap(
    config: &SimConfig,
    instrument: &Instrument,
    bar: &Bar,
) -> Option<Decimal> {
    let share = config.volume_cap?;
    Some(
        instrument
            .round_quantity(bar.volume * share)
            .unwrap_or(Decimal::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Timestamp;
    use crate::types::instrument::stubs::btcusdt;

    fn bar(low: f64, high: f64) -> Bar {
        Bar {
            ts: Timestamp(0),
            open: low,
            high,
            low,
            close: high,
            volume: 2.5,
        }
    }

    #[test]
    fn slippage_goes_against_the_trader_then_rounds_to_the_tick() {
        let i = btcusdt();
        assert_eq!(
            taker_price(&i, Side::Buy, 100.0, 10.0),
            Some(Decimal::new(10010, 2))
        );
        assert_eq!(
            taker_price(&i, Side::Sell, 100.0, 10.0),
            Some(Decimal::new(9990, 2))
        );
        // 100.004 × 1.0001 = 100.0140004 → 100.01.
        assert_eq!(
            taker_price(&i, Side::Buy, 100.004, 1.0),
            Some(Decimal::new(10001, 2))
        );
        assert_eq!(taker_price(&i, Side::Sell, 0.001, 0.0), None);
    }

    #[test]
    fn touching_a_limit_fills_only_under_the_touch_rule() {
        let at = Decimal::new(100, 0);
        let touching = bar(100.0, 101.0);
        assert!(!reached(TouchRule::Through, Side::Buy, at, &touching));
        assert!(reached(TouchRule::Touch, Side::Buy, at, &touching));
        assert!(reached(
            TouchRule::Through,
            Side::Buy,
            at,
            &bar(99.99, 101.0)
        ));
        let below = bar(99.0, 100.0);
        assert!(!reached(TouchRule::Through, Side::Sell, at, &below));
        assert!(reached(TouchRule::Touch, Side::Sell, at, &below));
    }

    #[test]
    fn the_cap_is_a_share_of_the_bar_volume_in_whole_steps() {
        let config = SimConfig {
            volume_cap: Some(0.1),
            ..SimConfig::default()
        };
        let i = btcusdt();
        assert_eq!(
            volume_cap(&config, &i, &bar(1.0, 2.0)),
            Some(Decimal::new(25, 2))
        );
        assert_eq!(volume_cap(&SimConfig::default(), &i, &bar(1.0, 2.0)), None);
        assert!(marketable(Side::Buy, Decimal::new(100, 0), 100.0));
        assert!(!marketable(Side::Sell, Decimal::new(100, 0), 99.99));
        assert_eq!(
            capped_at_limit(Side::Buy, Decimal::new(101, 0), Decimal::new(100, 0)),
            Decimal::new(100, 0)
        );
    }
}
