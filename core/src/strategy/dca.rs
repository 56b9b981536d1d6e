//! DCA accumulator, long-only spot: buy a fixed quote amount at regular intervals, more on
//! drawdowns, and sell everything once the position is in profit.
//!
//! Rules, per symbol, on each bar close (times are bar timestamps):
//! - **Take profit.** While long (at least the instrument's minimum quantity held), when the
//!   close is at or above the position's average cost (fees included) × (1 + `take_profit`),
//!   sell everything at the market. That ends the cycle; no buy is made on that bar.
//! - **Schedule.** A buy is due on the first bar, then on the first bar at least
//!   `interval_minutes` after the previous due bar. A due buy that cannot be made (the
//!   cycle's `max_buys` buys are done, or the available capital is below its amount) is
//!   skipped: no order is sent and the next one is due an interval later. A buy due on a
//!   take-profit bar is made on the next bar instead.
//! - **Amount.** `quote_amount` of quote at the market, or `quote_amount × scale_factor`
//!   when the close is at or below the average cost × (1 − `scale_drawdown`). The scaling is
//!   one step, not compounded: any drawdown beyond the threshold gets the same
//!   `scale_factor`.
//! - **Cycles.** A cycle runs from its first buy until the position is flat again (after
//!   the take-profit sale, or any other sale that empties it, such as a risk-layer stop).
//!   At most `max_buys` buy orders fill per cycle.
//! - Nothing is sent while one of the bot's orders in the symbol is still open.
//!
//! **Parameters:** `quote_amount`, `interval_minutes`, `scale_drawdown`, `scale_factor`,
//! `take_profit`, `max_buys`. No cross-parameter rules.
//!
//! **No vectorised form** (`signals: None`): the strategy adds to its position many times
//! with sizes that depend on its own average cost, which an all-in/all-out entry/exit column
//! cannot express.

use std::collections::BTreeMap;

use super::params::{ParamError, ParamSpec, Params, StrategySchema};
use super::registry::StrategyEntry;
use super::{Context, Intent, Size, Strategy};
use crate::money::rounding::to_f64;
use crate::types::{Bar, ClientOrderId, Fill, Side, Symbol, Timestamp};
use crate::wallet::Position;

const NAME: &str = "dca";

/// The registry entry of the DCA strategy.
#[must_use]
pub fn entry() -> StrategyEntry {
    StrategyEntry {
        schema: StrategySchema {
            name: NAME,
            description: "DCA accumulator (long-only): buy a fixed quote amount every interval, \
                          scaled up on drawdowns; sell everything at a take-profit above the \
                          average cost and start a new cycle.",
            params: vec![
                ParamSpec::float(
                    "quote_amount",
                    100.0,
                    0.01,
                    1e12,
                    "Quote amount of each regular buy",
                ),
                ParamSpec::int(
                    "interval_minutes",
                    60,
                    1,
                    525_600,
                    "Minutes between buys (bar timestamps)",
                ),
                ParamSpec::float(
                    "scale_drawdown",
                    0.05,
                    0.001,
                    0.99,
                    "Share below the average cost from which buys are scaled up",
                ),
                ParamSpec::float(
                    "scale_factor",
                    1.5,
                    1.0,
                    100.0,
                    "Multiplier of the buy amount in a drawdown (one step, not compounded)",
                ),
                ParamSpec::float(
                    "take_profit",
                    0.03,
                    0.001,
                    100.0,
                    "Share above the average cost at which everything is sold",
                ),
                ParamSpec::int("max_buys", 20, 1, 100_000, "Most buys in one cycle"),
            ],
        },
        check: |_| Ok(()),
        build: |params, _| Ok(Box::new(Dca::new(params)?)),
        signals: None,
    }
}

/// Per-symbol state.
#[derive(Debug, Clone, Default)]
struct Cycle {
    /// The last bar a buy was due.
    last_due: Option<Timestamp>,
    /// Buy orders filled in this cycle.
    buys: u64,
    /// The last buy order counted (a partly filled order counts once).
    counted: Option<ClientOrderId>,
}

/// The DCA strategy.
#[derive(Debug, Clone)]
pub struct Dca {
    quote_amount: f64,
    interval_ms: i64,
    scale_drawdown: f64,
    scale_factor: f64,
    take_profit: f64,
    max_buys: u64,
    cycles: BTreeMap<Symbol, Cycle>,
}

impl Dca {
    /// A DCA accumulator from resolved parameters.
    pub fn new(params: &Params) -> Result<Self, ParamError> {
        let interval = params.int(NAME, "interval_minutes")?;
        if interval < 1 {
            return Err(ParamError::new(
                NAME,
                "interval_minutes",
                interval,
                "must be at least 1",
            ));
        }
        let max_buys = params.usize(NAME, "max_buys")?;
        Ok(Self {
            quote_amount: params.float(NAME, "quote_amount")?,
            interval_ms: interval.saturating_mul(60_000),
            scale_drawdown: params.float(NAME, "scale_drawdown")?,
            scale_factor: params.float(NAME, "scale_factor")?,
            take_profit: params.float(NAME, "take_profit")?,
            max_buys: u64::try_from(max_buys).unwrap_or(u64::MAX),
            cycles: BTreeMap::new(),
        })
    }
}

impl Strategy for Dca {
    fn on_bar(&mut self, ctx: &Context<'_>, symbol: &Symbol, bar: &Bar, intents: &mut Vec<Intent>) {
        let cycle = self.cycles.entry(symbol.clone()).or_default();
        if ctx.has_open_orders(symbol) {
            return;
        }
        let average = ctx
            .position(symbol)
            .and_then(Position::average_cost)
            .map(to_f64)
            .filter(|_| ctx.is_long(symbol));
        if let Some(average) = average
            && bar.close >= average * (1.0 + self.take_profit)
        {
            intents.push(Intent::market_sell(symbol, Size::PositionShare(1.0)));
            return;
        }
        let due = cycle
            .last_due
            .is_none_or(|last| bar.ts.0 >= last.0.saturating_add(self.interval_ms));
        if !due {
            return;
        }
        cycle.last_due = Some(bar.ts);
        if cycle.buys >= self.max_buys {
            return;
        }
        let drawdown = average.is_some_and(|a| bar.close <= a * (1.0 - self.scale_drawdown));
        let amount = if drawdown {
            self.quote_amount * self.scale_factor
        } else {
            self.quote_amount
        };
        if to_f64(ctx.wallet.available()) < amount {
            return;
        }
        intents.push(Intent::market_buy(symbol, Size::Quote(amount)));
    }

    fn on_fill(&mut self, ctx: &Context<'_>, fill: &Fill, _intents: &mut Vec<Intent>) {
        let cycle = self.cycles.entry(fill.symbol.clone()).or_default();
        match fill.side {
            Side::Buy => {
                if cycle.counted.as_ref() != Some(&fill.client_id) {
                    cycle.counted = Some(fill.client_id.clone());
                    cycle.buys += 1;
                }
            }
            Side::Sell => {
                if !ctx.is_long(&fill.symbol) {
                    cycle.buys = 0;
                    cycle.counted = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::engine::Command;
    use crate::strategy::{ParamValue, Registry, StrategySpec};
    use crate::testkit::{self, Feed};
    use crate::types::{OrderAmount, OrderRequest};

    fn spec(pairs: &[(&str, ParamValue)]) -> StrategySpec {
        let mut params = Params::new();
        for (name, value) in pairs {
            params.set(name, value.clone());
        }
        StrategySpec::new(NAME, params)
    }

    fn run(spec: StrategySpec, bars: &[Bar], budget: i64) -> Vec<Vec<Command>> {
        testkit::run_bars(&Registry::builtin(), testkit::bot(spec, budget), bars).unwrap()
    }

    /// `(bar, side, amount)` of every order sent.
    fn orders(out: &[Vec<Command>]) -> Vec<(usize, Side, OrderAmount)> {
        testkit::submits(out)
            .into_iter()
            .map(|(i, o): (usize, OrderRequest)| (i, o.side, o.amount))
            .collect()
    }

    fn quote(cents: i64) -> OrderAmount {
        OrderAmount::Quote(Decimal::new(cents, 2))
    }

    fn flat_bars(minutes: &[i64], closes: &[f64]) -> Vec<Bar> {
        minutes
            .iter()
            .zip(closes)
            .map(|(&m, &c)| testkit::flat(m, c, 10.0))
            .collect()
    }

    fn denials(out: &[Vec<Command>]) -> usize {
        out.iter()
            .flatten()
            .filter(|c| matches!(c, Command::Denied(_)))
            .count()
    }

    #[test]
    fn defaults_resolve_and_build() {
        let registry = Registry::builtin();
        let resolved = registry.resolve(&spec(&[])).unwrap();
        assert_eq!(resolved.float(NAME, "quote_amount"), Ok(100.0));
        assert_eq!(resolved.int(NAME, "interval_minutes"), Ok(60));
        assert_eq!(resolved.float(NAME, "scale_drawdown"), Ok(0.05));
        assert_eq!(resolved.float(NAME, "scale_factor"), Ok(1.5));
        assert_eq!(resolved.float(NAME, "take_profit"), Ok(0.03));
        assert_eq!(resolved.int(NAME, "max_buys"), Ok(20));
        assert!(registry.get(NAME).unwrap().signals.is_none());
        assert!(Dca::new(&resolved).is_ok());
    }

    #[test]
    fn buys_on_the_schedule_of_bar_timestamps() {
        // 100 USDT at the market becomes 100 / 1.0005 = 99.95 (room for the taker fee).
        let s = spec(&[("interval_minutes", 3_i64.into())]);
        let bars = flat_bars(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], &[100.0; 10]);
        let out = run(s.clone(), &bars, 10_000);
        let expected: Vec<_> = [0, 3, 6, 9]
            .into_iter()
            .map(|i| (i, Side::Buy, quote(9_995)))
            .collect();
        assert_eq!(orders(&out), expected);
        // Missing minutes: due at 0, then the first bar at or after 3 (minute 4), then at or
        // after 7 (minute 7), then at or after 10 (minute 12).
        let bars = flat_bars(&[0, 1, 2, 4, 5, 7, 8, 12], &[100.0; 8]);
        let bought: Vec<usize> = orders(&run(s, &bars, 10_000))
            .into_iter()
            .map(|(i, _, _)| i)
            .collect();
        assert_eq!(bought, vec![0, 3, 5, 7]);
    }

    #[test]
    fn drawdowns_scale_the_amount_by_one_step() {
        // Average cost after the first buy: 99.95 USDT for 0.9995 BTC less a 0.05 % base fee
        // = 100.050025...; the 5 % threshold is 95.0475...
        let s = spec(&[("interval_minutes", 1_i64.into())]);
        let bars = flat_bars(&[0, 1, 2], &[100.0, 94.0, 95.5]);
        // 94 is 6 % down: 150 / 1.0005 = 149.92. After it the average is 96.36 and 95.5 is
        // within 5 % of it: back to 99.95.
        assert_eq!(
            orders(&run(s.clone(), &bars, 10_000)),
            vec![
                (0, Side::Buy, quote(9_995)),
                (1, Side::Buy, quote(14_992)),
                (2, Side::Buy, quote(9_995)),
            ]
        );
        // 30 % down still multiplies by 1.5 once: no compounding per step.
        let bars = flat_bars(&[0, 1], &[100.0, 70.0]);
        assert_eq!(
            orders(&run(s, &bars, 10_000))[1],
            (1, Side::Buy, quote(14_992))
        );
        // Just above the threshold: not scaled.
        let s = spec(&[("interval_minutes", 1_i64.into())]);
        let bars = flat_bars(&[0, 1], &[100.0, 95.05]);
        assert_eq!(
            orders(&run(s, &bars, 10_000))[1],
            (1, Side::Buy, quote(9_995))
        );
    }

    #[test]
    fn take_profit_sells_everything_and_starts_a_new_cycle() {
        // Average cost 100.050025..., target × 1.03 = 103.0515...: 103.05 is below it.
        let s = spec(&[("interval_minutes", 2_i64.into())]);
        let bars = flat_bars(
            &[0, 1, 2, 3, 4, 5],
            &[100.0, 103.05, 103.06, 103.06, 103.06, 103.06],
        );
        let out = run(s, &bars, 10_000);
        assert_eq!(
            orders(&out),
            vec![
                (0, Side::Buy, quote(9_995)),
                // The whole position: 0.9995 BTC less the base fee, rounded down.
                (2, Side::Sell, OrderAmount::Base(Decimal::new(999_000, 6))),
                // Due on the take-profit bar, so bought on the next one: a new cycle.
                (3, Side::Buy, quote(9_995)),
                (5, Side::Buy, quote(9_995)),
            ]
        );
    }

    #[test]
    fn max_buys_caps_a_cycle_until_the_take_profit() {
        let s = spec(&[
            ("interval_minutes", 1_i64.into()),
            ("max_buys", 2_i64.into()),
        ]);
        let bars = flat_bars(
            &[0, 1, 2, 3, 4, 5, 6],
            &[100.0, 100.0, 100.0, 100.0, 104.0, 104.0, 104.0],
        );
        let out = run(s, &bars, 10_000);
        let sides: Vec<(usize, Side)> = orders(&out).into_iter().map(|(i, s, _)| (i, s)).collect();
        assert_eq!(
            sides,
            vec![
                (0, Side::Buy),
                (1, Side::Buy),
                (4, Side::Sell),
                (5, Side::Buy),
                (6, Side::Buy),
            ]
        );
    }

    #[test]
    fn buys_the_capital_cannot_cover_are_skipped_without_denials() {
        let s = spec(&[("interval_minutes", 1_i64.into())]);
        let bars = flat_bars(&[0, 1, 2, 3], &[100.0; 4]);
        let out = run(s, &bars, 250);
        let bought: Vec<usize> = orders(&out).into_iter().map(|(i, _, _)| i).collect();
        assert_eq!(bought, vec![0, 1]);
        assert_eq!(denials(&out), 0);
    }

    #[test]
    fn decisions_do_not_look_ahead() {
        let registry = Registry::builtin();
        let feed: Vec<Feed> = testkit::random_walk(600, 100.0, 0.004, 5)
            .into_iter()
            .map(Feed::btc)
            .collect();
        let s = spec(&[
            ("interval_minutes", 5_i64.into()),
            ("quote_amount", 50.0.into()),
            ("take_profit", 0.01.into()),
        ]);
        let config = testkit::bot(s, 10_000);
        let out = testkit::run_feed(&registry, config.clone(), &feed).unwrap();
        let sent = orders(&out);
        let sells = sent
            .iter()
            .filter(|(_, side, _)| *side == Side::Sell)
            .count();
        assert!(
            sent.len() > 40 && sells >= 3,
            "{} orders, {sells} sells",
            sent.len()
        );
        testkit::assert_no_lookahead(&registry, &config, &feed, &testkit::cuts(feed.len(), 8, 17));
    }

    #[test]
    fn bad_parameters_name_the_parameter_and_the_rule() {
        let cases: [(&str, ParamValue, &str); 7] = [
            (
                "quote_amount",
                0.0.into(),
                "parameter `quote_amount` = 0 must be at least 0.01",
            ),
            (
                "interval_minutes",
                0_i64.into(),
                "parameter `interval_minutes` = 0 must be at least 1",
            ),
            (
                "scale_drawdown",
                1.5.into(),
                "parameter `scale_drawdown` = 1.5 must be at most 0.99",
            ),
            (
                "scale_factor",
                0.5.into(),
                "parameter `scale_factor` = 0.5 must be at least 1",
            ),
            (
                "take_profit",
                0.0.into(),
                "parameter `take_profit` = 0 must be at least 0.001",
            ),
            (
                "max_buys",
                0_i64.into(),
                "parameter `max_buys` = 0 must be at least 1",
            ),
            (
                "interval",
                5_i64.into(),
                "parameter `interval` = 5 is not a parameter of this strategy",
            ),
        ];
        for (name, value, expected) in cases {
            let err = Registry::builtin()
                .build(&spec(&[(name, value)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err} does not contain {expected}");
            assert!(err.starts_with("strategy dca: "), "{err}");
        }
    }
}
