//! The triangle of pairs and the state machine of one arbitrage cycle.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::money::rounding::to_f64;
use crate::strategy::{Context, Intent, Pricing, Size};
use crate::types::{Asset, Fill, Side, Symbol, Timestamp};

/// Three pairs closing a cycle through the budget asset `q`: `a/q`, `b/a` and `b/q`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Triangle {
    aq: Symbol,
    ba: Symbol,
    bq: Symbol,
    a: Asset,
    b: Asset,
    q: Asset,
}

impl Triangle {
    /// The first triangle (in symbol order) among the bot's instruments.
    pub(super) fn find(ctx: &Context<'_>) -> Option<Self> {
        let q = ctx.wallet.asset();
        let pairs = ctx.instruments.values();
        for aq in pairs.clone().filter(|i| &i.quote == q) {
            for ba in pairs.clone().filter(|i| i.quote == aq.base && &i.base != q) {
                if let Some(bq) = pairs.clone().find(|i| i.base == ba.base && &i.quote == q) {
                    return Some(Self {
                        aq: aq.symbol.clone(),
                        ba: ba.symbol.clone(),
                        bq: bq.symbol.clone(),
                        a: aq.base.clone(),
                        b: ba.base.clone(),
                        q: q.clone(),
                    });
                }
            }
        }
        None
    }

    /// The three pairs: `a/q`, `b/a`, `b/q`.
    pub(super) fn symbols(&self) -> [&Symbol; 3] {
        [&self.aq, &self.ba, &self.bq]
    }

    /// The pair that sells `asset` for the budget asset.
    fn exit_pair(&self, asset: &Asset) -> Option<&Symbol> {
        if asset == &self.a {
            Some(&self.aq)
        } else if asset == &self.b {
            Some(&self.bq)
        } else {
            None
        }
    }
}

/// Which way round the cycle goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    /// `q → a → b → q`: buy `a/q`, buy `b/a`, sell `b/q`.
    Forward,
    /// `q → b → a → q`: buy `b/q`, sell `b/a`, sell `a/q`.
    Reverse,
}

/// One leg: the pair, the side, the asset it spends and the asset it delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Leg {
    symbol: Symbol,
    side: Side,
    spends: Asset,
    delivers: Asset,
}

/// One cycle in progress.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Cycle {
    legs: [Leg; 3],
    current: usize,
    sent_at: Timestamp,
    /// What the current leg has delivered so far, fees deducted.
    delivered: Decimal,
    /// Intermediate assets the cycle holds (delivered by a finished leg, not yet spent).
    holdings: BTreeMap<Asset, Decimal>,
    /// Pairs of the unwind orders, once the cycle is being unwound.
    unwinding: Option<Vec<Symbol>>,
}

impl Cycle {
    /// Starts a cycle: sends the first leg, spending `notional` of the budget asset.
    pub(super) fn start(
        ctx: &Context<'_>,
        t: &Triangle,
        direction: Direction,
        notional: f64,
        intents: &mut Vec<Intent>,
    ) -> Self {
        let leg = |symbol: &Symbol, side, spends: &Asset, delivers: &Asset| Leg {
            symbol: symbol.clone(),
            side,
            spends: spends.clone(),
            delivers: delivers.clone(),
        };
        let legs = match direction {
            Direction::Forward => [
                leg(&t.aq, Side::Buy, &t.q, &t.a),
                leg(&t.ba, Side::Buy, &t.a, &t.b),
                leg(&t.bq, Side::Sell, &t.b, &t.q),
            ],
            Direction::Reverse => [
                leg(&t.bq, Side::Buy, &t.q, &t.b),
                leg(&t.ba, Side::Sell, &t.b, &t.a),
                leg(&t.aq, Side::Sell, &t.a, &t.q),
            ],
        };
        intents.push(Intent::market_buy(&legs[0].symbol, Size::Quote(notional)));
        Self {
            legs,
            current: 0,
            sent_at: ctx.ts,
            delivered: Decimal::ZERO,
            holdings: BTreeMap::new(),
            unwinding: None,
        }
    }

    /// Adds what `fill` delivered when it belongs to the current leg, and takes what it
    /// spent off the cycle's holdings.
    pub(super) fn record_fill(&mut self, ctx: &Context<'_>, fill: &Fill) {
        let leg = &self.legs[self.current];
        if self.unwinding.is_some() || fill.symbol != leg.symbol || fill.side != leg.side {
            return;
        }
        let Some(instrument) = ctx.instrument(&fill.symbol) else {
            return;
        };
        let fee_in = |asset: &Asset| {
            if &fill.fee_asset == asset {
                fill.fee
            } else {
                Decimal::ZERO
            }
        };
        let (spent, delivered) = match fill.side {
            Side::Buy => (
                fill.notional() + fee_in(&instrument.quote),
                fill.quantity - fee_in(&instrument.base),
            ),
            Side::Sell => (
                fill.quantity + fee_in(&instrument.base),
                fill.notional() - fee_in(&instrument.quote),
            ),
        };
        self.delivered += delivered;
        if let Some(held) = self.holdings.get_mut(&leg.spends) {
            *held = (*held - spent).max(Decimal::ZERO);
        }
    }

    /// Moves the cycle on; returns whether it is over.
    pub(super) fn advance(
        &mut self,
        ctx: &Context<'_>,
        t: &Triangle,
        leg_timeout_ms: i64,
        intents: &mut Vec<Intent>,
    ) -> bool {
        if let Some(pairs) = &self.unwinding {
            return !pairs.iter().any(|s| ctx.has_open_orders(s));
        }
        let leg = self.legs[self.current].clone();
        if ctx.open_orders_on(&leg.symbol, leg.side).next().is_some() {
            if ctx.ts.millis() - self.sent_at.millis() > leg_timeout_ms {
                intents.push(Intent::CancelAll {
                    symbol: Some(leg.symbol.clone()),
                });
                self.keep_delivered(&leg);
                return self.unwind(t, intents);
            }
            return false;
        }
        if self.delivered.is_zero() {
            // The leg ended without delivering: denied, rejected, expired or canceled.
            return self.current == 0 || self.unwind(t, intents);
        }
        self.keep_delivered(&leg);
        if self.current == 2 {
            return true;
        }
        self.current += 1;
        self.sent_at = ctx.ts;
        let next = &self.legs[self.current];
        let spend = to_f64(
            self.holdings
                .get(&leg.delivers)
                .copied()
                .unwrap_or_default(),
        );
        let size = match next.side {
            Side::Buy => Size::Quote(spend),
            Side::Sell => Size::Base(spend),
        };
        intents.push(Intent::place(
            &next.symbol,
            next.side,
            Pricing::Market,
            size,
        ));
        false
    }

    /// Books what the finished (or abandoned) leg delivered as held by the cycle.
    fn keep_delivered(&mut self, leg: &Leg) {
        let delivered = std::mem::take(&mut self.delivered);
        if !delivered.is_zero() {
            *self.holdings.entry(leg.delivers.clone()).or_default() += delivered;
        }
    }

    /// Sells what the cycle holds of the intermediate assets back to the budget asset.
    /// Returns whether the cycle is over (nothing to unwind).
    fn unwind(&mut self, t: &Triangle, intents: &mut Vec<Intent>) -> bool {
        let mut pairs = Vec::new();
        for (asset, held) in &self.holdings {
            if let Some(pair) = t.exit_pair(asset)
                && *held > Decimal::ZERO
            {
                intents.push(Intent::market_sell(pair, Size::Base(to_f64(*held))));
                pairs.push(pair.clone());
            }
        }
        let over = pairs.is_empty();
        self.unwinding = Some(pairs);
        over
    }
}
