//! Test helpers: a scripted strategy and a tiny instant-fill exchange, so engine tests can
//! drive full order round trips. Compiled only for tests and with the `stubs` feature.
//!
//! This is not the simulated exchange of the backtester (that one has fill models, partial
//! fills by volume and MEXC rules): it fills market orders at the price it is given, fills
//! limit orders when a later bar trades through them, and answers cancels.

use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

use crate::engine::{Command, Engine, EngineError, Event, OrderReport};
use crate::strategy::{
    Context, Intent, ParamError, ParamSpec, Params, Pricing, Registry, Size, Strategy,
    StrategyEntry, StrategySchema,
};
use crate::types::{
    Asset, Bar, ClientOrderId, Fill, Instrument, OrderAmount, OrderRequest, Side, Symbol, Timestamp,
};

pub use crate::types::instrument::stubs::btcusdt;

/// The BTCUSDT symbol.
#[must_use]
pub fn symbol() -> Symbol {
    btcusdt().symbol
}

/// A bar at minute `minute` with the given prices; `volume` carries the scripted action.
#[must_use]
pub fn bar(minute: i64, open: f64, high: f64, low: f64, close: f64, volume: f64) -> Bar {
    Bar {
        ts: Timestamp(minute * 60_000),
        open,
        high,
        low,
        close,
        volume,
    }
}

/// A flat bar at `price` carrying the scripted action `action`.
#[must_use]
pub fn flat(minute: i64, price: f64, action: f64) -> Bar {
    bar(minute, price, price, price, price, action)
}

/// Bar volume codes understood by [`Scripted`].
pub mod action {
    /// Do nothing.
    pub const NONE: f64 = 0.0;
    /// Buy with the configured size and pricing.
    pub const BUY: f64 = 1.0;
    /// Sell everything at the market.
    pub const SELL_ALL: f64 = 2.0;
    /// Cancel all open orders.
    pub const CANCEL_ALL: f64 = 3.0;
    /// Offer everything with a limit sell above the close.
    pub const LIMIT_SELL_ALL: f64 = 4.0;
}

const SCRIPTED: &str = "scripted";

/// A strategy that does what each bar's volume says (see [`action`]).
#[derive(Debug, Clone)]
pub struct Scripted {
    size_kind: String,
    size: f64,
    offset: f64,
}

impl Scripted {
    fn new(params: &Params) -> Result<Self, ParamError> {
        Ok(Self {
            size_kind: params.text(SCRIPTED, "size_kind")?.to_owned(),
            size: params.float(SCRIPTED, "size")?,
            offset: params.float(SCRIPTED, "offset")?,
        })
    }
}

impl Strategy for Scripted {
    fn on_bar(
        &mut self,
        _ctx: &Context<'_>,
        symbol: &Symbol,
        bar: &Bar,
        intents: &mut Vec<Intent>,
    ) {
        let size = match self.size_kind.as_str() {
            "quote" => Size::Quote(self.size),
            "base" => Size::Base(self.size),
            "risk" => Size::RiskSized,
            _ => Size::WalletShare(self.size),
        };
        let below = if self.offset > 0.0 {
            Pricing::Limit(bar.close * (1.0 - self.offset))
        } else {
            Pricing::Market
        };
        let code = bar.volume.to_bits();
        let intent = if code == action::BUY.to_bits() {
            Intent::place(symbol, Side::Buy, below, size)
        } else if code == action::SELL_ALL.to_bits() {
            Intent::market_sell(symbol, Size::PositionShare(1.0))
        } else if code == action::CANCEL_ALL.to_bits() {
            Intent::CancelAll {
                symbol: Some(symbol.clone()),
            }
        } else if code == action::LIMIT_SELL_ALL.to_bits() {
            Intent::limit(
                symbol,
                Side::Sell,
                bar.close * (1.0 + self.offset.max(0.01)),
                Size::PositionShare(1.0),
            )
        } else {
            return;
        };
        intents.push(intent);
    }
}

/// The registry entry of [`Scripted`].
#[must_use]
pub fn scripted_entry() -> StrategyEntry {
    StrategyEntry {
        schema: StrategySchema {
            name: SCRIPTED,
            description: "Test strategy: acts on codes carried in bar volume",
            params: vec![
                ParamSpec::choice(
                    "size_kind",
                    "wallet",
                    &["quote", "base", "wallet", "risk"],
                    "Buy size kind",
                ),
                ParamSpec::float("size", 1.0, 0.0, 1e12, "Buy size"),
                ParamSpec::float(
                    "offset",
                    0.0,
                    0.0,
                    0.5,
                    "Limit offset from the close (0: market)",
                ),
            ],
        },
        check: |_| Ok(()),
        build: |params| Ok(Box::new(Scripted::new(params)?)),
    }
}

/// A second scripted strategy under another name, for rotation tests.
#[must_use]
pub fn scripted_entry_named(name: &'static str) -> StrategyEntry {
    let mut entry = scripted_entry();
    entry.schema.name = name;
    entry
}

/// The built-in strategies plus `scripted`, `scripted_b` and `scripted_c`.
#[must_use]
pub fn registry() -> Registry {
    let mut registry = Registry::builtin();
    for entry in [
        scripted_entry(),
        scripted_entry_named("scripted_b"),
        scripted_entry_named("scripted_c"),
    ] {
        if registry.register(entry).is_err() {
            unreachable!("test strategy names are distinct");
        }
    }
    registry
}

/// Where fees are charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeeAsset {
    /// In the asset received (MEXC's way: base on buys, quote on sells).
    Received,
    /// Always in quote.
    Quote,
}

/// An exchange that fills at once.
#[derive(Debug)]
pub struct InstantExchange {
    instrument: Instrument,
    fee_asset: FeeAsset,
    trades: u64,
    resting: Vec<OrderRequest>,
    /// Every event this exchange fed to the engine, in order.
    pub fed: Vec<Event>,
}

impl InstantExchange {
    /// An exchange charging fees as `fee_asset` says.
    #[must_use]
    pub fn new(fee_asset: FeeAsset) -> Self {
        Self {
            instrument: btcusdt(),
            fee_asset,
            trades: 0,
            resting: Vec::new(),
            fed: Vec::new(),
        }
    }

    /// Feeds `event` to the engine, then answers every command (recursively) at `price`.
    /// Returns all commands the engine produced.
    pub fn feed(
        &mut self,
        engine: &mut Engine,
        event: &Event,
        price: f64,
    ) -> Result<Vec<Command>, EngineError> {
        self.fed.push(event.clone());
        let mut all: Vec<Command> = engine.on_event(event)?.to_vec();
        let mut i = 0;
        while i < all.len() {
            let replies = self.answer(
                &all[i],
                engine.config().instruments[0].quantity_precision,
                price,
                event.ts(),
            );
            for reply in replies {
                self.fed.push(reply.clone());
                all.extend(engine.on_event(&reply)?.iter().cloned());
            }
            i += 1;
        }
        Ok(all)
    }

    /// Feeds a bar: first fills resting limit orders it trades through, then the bar itself.
    pub fn bar(&mut self, engine: &mut Engine, bar: Bar) -> Result<Vec<Command>, EngineError> {
        let mut all = Vec::new();
        let crossed: Vec<OrderRequest> = self
            .resting
            .iter()
            .filter(|o| {
                let p = o
                    .price
                    .and_then(|p| rust_decimal::prelude::ToPrimitive::to_f64(&p))
                    .unwrap_or(f64::NAN);
                (o.side == Side::Buy && bar.low <= p) || (o.side == Side::Sell && bar.high >= p)
            })
            .cloned()
            .collect();
        self.resting.retain(|o| !crossed.contains(o));
        for order in crossed {
            let fill = self.fill_for(
                &order,
                order.price.unwrap_or_default(),
                engine.config().instruments[0].quantity_precision,
                bar.ts,
            );
            if let Some(fill) = fill {
                let event = Event::fill(fill, false);
                all.extend(self.feed(engine, &event, bar.close)?);
            }
        }
        let event = Event::bar(self.instrument.symbol.clone(), bar);
        all.extend(self.feed(engine, &event, bar.close)?);
        Ok(all)
    }

    fn answer(
        &mut self,
        command: &Command,
        precision: u32,
        price: f64,
        ts: Timestamp,
    ) -> Vec<Event> {
        match command {
            Command::Submit(order) => {
                let id = order.client_id.clone();
                let mut replies = vec![
                    Event::Order(OrderReport::Submitted {
                        client_id: id.clone(),
                        ts,
                    }),
                    Event::Order(OrderReport::Accepted {
                        client_id: id,
                        exchange_id: None,
                        ts,
                    }),
                ];
                let marketable = order.price.is_none_or(|p| {
                    let p = rust_decimal::prelude::ToPrimitive::to_f64(&p).unwrap_or(f64::NAN);
                    (order.side == Side::Buy && price <= p)
                        || (order.side == Side::Sell && price >= p)
                });
                if marketable {
                    let fill_price = order
                        .price
                        .unwrap_or_else(|| Decimal::from_f64(price).unwrap_or_default());
                    if let Some(fill) = self.fill_for(order, fill_price, precision, ts) {
                        replies.push(Event::fill(fill, false));
                    }
                } else {
                    self.resting.push(order.clone());
                }
                replies
            }
            Command::Cancel { client_id, .. } => self.cancel(|o| &o.client_id == client_id, ts),
            Command::CancelAll { symbol } => self.cancel(|o| &o.symbol == symbol, ts),
            _ => Vec::new(),
        }
    }

    fn cancel(&mut self, matches: impl Fn(&OrderRequest) -> bool, ts: Timestamp) -> Vec<Event> {
        let (gone, kept): (Vec<_>, Vec<_>) = self.resting.drain(..).partition(|o| matches(o));
        self.resting = kept;
        gone.into_iter()
            .map(|o| {
                Event::Order(OrderReport::Canceled {
                    client_id: o.client_id,
                    ts,
                })
            })
            .collect()
    }

    fn fill_for(
        &mut self,
        order: &OrderRequest,
        price: Decimal,
        precision: u32,
        ts: Timestamp,
    ) -> Option<Fill> {
        let instrument = &self.instrument;
        let quantity = match order.amount {
            OrderAmount::Base(q) => q,
            OrderAmount::Quote(a) => (a / price)
                .round_dp_with_strategy(precision, rust_decimal::RoundingStrategy::ToZero),
        };
        if quantity <= Decimal::ZERO {
            return None;
        }
        self.trades += 1;
        let (fee, fee_asset): (Decimal, Asset) = match (self.fee_asset, order.side) {
            (FeeAsset::Received, Side::Buy) => {
                (quantity * instrument.taker_fee, instrument.base.clone())
            }
            _ => (
                (price * quantity * instrument.taker_fee).round_dp(8),
                instrument.quote.clone(),
            ),
        };
        Some(Fill {
            client_id: order.client_id.clone(),
            trade_id: format!("T{}", self.trades),
            symbol: order.symbol.clone(),
            side: order.side,
            price,
            quantity,
            fee,
            fee_asset,
            is_maker: order.price.is_some(),
            ts,
        })
    }
}

/// A client order id literal.
#[must_use]
pub fn cid(value: &str) -> ClientOrderId {
    match ClientOrderId::new(value) {
        Ok(id) => id,
        Err(e) => unreachable!("test id {value}: {e}"),
    }
}
