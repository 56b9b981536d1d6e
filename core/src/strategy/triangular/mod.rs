//! Triangular arbitrage within one exchange.
//!
//! The bot trades three pairs that close a cycle through its budget asset `Q` — for a USDT
//! bot, `A/Q`, `B/A` and `B/Q` such as BTCUSDT, ETHBTC and ETHUSDT. The triangle is found
//! from the bot's instruments (the first one in symbol order when there are several); a bot
//! without one never trades.
//!
//! With last prices `p(A/Q)`, `p(B/A)`, `p(B/Q)` the two cycles turn one `Q` into
//! - forward `Q → A → B → Q`: `p(B/Q) / (p(A/Q) · p(B/A))`,
//! - reverse `Q → B → A → Q`: `p(B/A) · p(A/Q) / p(B/Q)`.
//!
//! A cycle fires when its rate beats `(1 + f₁)(1 + f₂)(1 + f₃)(1 + threshold)`, with `fᵢ`
//! the three pairs' taker fees, and only when the three prices are at most `max_skew_ms`
//! apart (bars of one minute share a timestamp). The legs are market orders sent one after
//! the other, each sized from what the previous leg really delivered (fees included), so
//! the bot needs no inventory besides its budget:
//! 1. buy the first asset with `notional` of `Q` (quote amount),
//! 2. trade all of it for the second asset,
//! 3. sell all of the second asset for `Q`.
//!
//! If a leg ends without delivering anything (denied by the risk gate, rejected, expired),
//! or is still not done `leg_timeout_ms` after it was sent, the cycle is unwound: whatever
//! the cycle holds of the intermediate assets is sold back to `Q` at the market. After a
//! cycle, no new one starts for `cooldown_ms`.
//!
//! Sequential market legs are exposed to price moves between legs; on venues where that
//! matters, IOC legs at the detected prices are the next step. There is no vectorised form:
//! the strategy needs three instruments and the fills of each leg.

mod cycle;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use super::params::{ParamError, ParamSpec, Params, StrategySchema};
use super::registry::StrategyEntry;
use super::{Context, Intent, Strategy};
use crate::money::rounding::to_f64;
use crate::types::{Bar, BookTop, Fill, Order, Symbol, Timestamp, Trade};
use cycle::{Cycle, Direction, Triangle};

const NAME: &str = "triangular";

/// The registry entry of triangular arbitrage.
#[must_use]
pub fn entry() -> StrategyEntry {
    StrategyEntry {
        schema: StrategySchema {
            name: NAME,
            description: "Triangular arbitrage on three pairs through the budget asset \
                          (e.g. BTCUSDT, ETHBTC, ETHUSDT): fires the three legs when a \
                          cycle's rate beats fees plus a threshold.",
            params: vec![
                ParamSpec::float(
                    "threshold",
                    0.001,
                    0.0,
                    0.5,
                    "Edge required beyond the three taker fees (0.001 = 0.1 %)",
                ),
                ParamSpec::float(
                    "notional",
                    100.0,
                    1.0,
                    1e9,
                    "Budget-asset amount spent on the first leg of a cycle",
                ),
                ParamSpec::int(
                    "max_skew_ms",
                    5_000,
                    0,
                    3_600_000,
                    "Largest age difference between the three prices used",
                ),
                ParamSpec::int(
                    "leg_timeout_ms",
                    30_000,
                    1,
                    86_400_000,
                    "Unwind a cycle whose current leg is not done after this long",
                ),
                ParamSpec::int(
                    "cooldown_ms",
                    60_000,
                    0,
                    86_400_000,
                    "Wait this long after a cycle before starting another",
                ),
            ],
        },
        check: |_| Ok(()),
        build: |params, _| Ok(Box::new(Triangular::new(params)?)),
        signals: None,
    }
}

/// Triangular arbitrage.
#[derive(Debug, Clone)]
pub struct Triangular {
    threshold: f64,
    notional: f64,
    max_skew_ms: i64,
    leg_timeout_ms: i64,
    cooldown_ms: i64,
    /// The triangle, once found among the bot's instruments.
    triangle: Option<Triangle>,
    /// When each symbol's last price was seen.
    seen: BTreeMap<Symbol, Timestamp>,
    /// The cycle in progress.
    cycle: Option<Cycle>,
    /// No new cycle before this time.
    quiet_until: Timestamp,
}

impl Triangular {
    /// Triangular arbitrage from resolved parameters.
    pub fn new(params: &Params) -> Result<Self, ParamError> {
        Ok(Self {
            threshold: params.float(NAME, "threshold")?,
            notional: params.float(NAME, "notional")?,
            max_skew_ms: params.int(NAME, "max_skew_ms")?,
            leg_timeout_ms: params.int(NAME, "leg_timeout_ms")?,
            cooldown_ms: params.int(NAME, "cooldown_ms")?,
            triangle: None,
            seen: BTreeMap::new(),
            cycle: None,
            quiet_until: Timestamp(i64::MIN),
        })
    }

    /// Records a price update of `symbol` and looks for work.
    fn on_price(&mut self, ctx: &Context<'_>, symbol: &Symbol, intents: &mut Vec<Intent>) {
        self.seen.insert(symbol.clone(), ctx.ts);
        if self.triangle.is_none() {
            self.triangle = Triangle::find(ctx);
        }
        self.step(ctx, intents);
    }

    /// Advances the cycle in progress, or starts one.
    fn step(&mut self, ctx: &Context<'_>, intents: &mut Vec<Intent>) {
        let Some(triangle) = self.triangle.clone() else {
            return;
        };
        if let Some(cycle) = &mut self.cycle {
            if cycle.advance(ctx, &triangle, self.leg_timeout_ms, intents) {
                self.cycle = None;
                self.quiet_until = ctx.ts.plus_millis(self.cooldown_ms);
            }
            return;
        }
        if ctx.ts < self.quiet_until || !self.fresh(&triangle) {
            return;
        }
        if let Some(direction) = self.opportunity(ctx, &triangle) {
            let cycle = Cycle::start(ctx, &triangle, direction, self.notional, intents);
            self.cycle = Some(cycle);
        }
    }

    /// Whether the three prices are at most `max_skew_ms` apart.
    fn fresh(&self, triangle: &Triangle) -> bool {
        let times: Vec<Timestamp> = triangle
            .symbols()
            .iter()
            .filter_map(|s| self.seen.get(*s).copied())
            .collect();
        match (times.iter().min(), times.iter().max()) {
            (Some(first), Some(last)) if times.len() == 3 => {
                last.millis() - first.millis() <= self.max_skew_ms
            }
            _ => false,
        }
    }

    /// The direction whose rate beats the fees and the threshold, if any.
    fn opportunity(&self, ctx: &Context<'_>, triangle: &Triangle) -> Option<Direction> {
        let [aq, ba, bq] = triangle.symbols();
        let (p_aq, p_ba, p_bq) = (
            ctx.last_price(aq)?,
            ctx.last_price(ba)?,
            ctx.last_price(bq)?,
        );
        let fees: f64 = triangle
            .symbols()
            .iter()
            .filter_map(|s| ctx.instrument(s))
            .map(|i| 1.0 + to_f64(i.taker_fee))
            .product();
        let hurdle = fees * (1.0 + self.threshold);
        let forward = p_bq / (p_aq * p_ba);
        let reverse = p_ba * p_aq / p_bq;
        if forward > hurdle && forward >= reverse {
            Some(Direction::Forward)
        } else if reverse > hurdle {
            Some(Direction::Reverse)
        } else {
            None
        }
    }
}

impl Strategy for Triangular {
    fn on_bar(
        &mut self,
        ctx: &Context<'_>,
        symbol: &Symbol,
        _bar: &Bar,
        intents: &mut Vec<Intent>,
    ) {
        self.on_price(ctx, symbol, intents);
    }

    fn on_trade(
        &mut self,
        ctx: &Context<'_>,
        symbol: &Symbol,
        _trade: &Trade,
        intents: &mut Vec<Intent>,
    ) {
        self.on_price(ctx, symbol, intents);
    }

    fn on_book(
        &mut self,
        ctx: &Context<'_>,
        symbol: &Symbol,
        _book: &BookTop,
        intents: &mut Vec<Intent>,
    ) {
        self.on_price(ctx, symbol, intents);
    }

    fn on_timer(&mut self, ctx: &Context<'_>, intents: &mut Vec<Intent>) {
        self.step(ctx, intents);
    }

    fn on_fill(&mut self, ctx: &Context<'_>, fill: &Fill, intents: &mut Vec<Intent>) {
        let Some(cycle) = &mut self.cycle else {
            return;
        };
        cycle.record_fill(ctx, fill);
        self.step(ctx, intents);
    }

    fn on_order(&mut self, ctx: &Context<'_>, _order: &Order, intents: &mut Vec<Intent>) {
        self.step(ctx, intents);
    }
}
