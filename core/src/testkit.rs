//! Test helpers: a scripted strategy and a tiny instant-fill exchange, so engine tests can
//! drive full order round trips. Compiled only for tests and with the `stubs` feature.
//!
//! This is not the simulated exchange of the backtester (that one has fill models, partial
//! fills by volume and MEXC rules): it fills market orders at the price it is given, fills
//! limit orders when a later bar trades through them, and answers cancels.

use rust_decimal::Decimal;
use std::collections::BTreeMap;

use rust_decimal::RoundingStrategy;
use rust_decimal::prelude::FromPrimitive;

use crate::engine::{BotConfig, BotId, Command, Control, Engine, EngineError, Event, OrderReport};
use crate::money::rounding::to_f64;
use crate::strategy::{BarSeries, StrategySpec};
use crate::strategy::{
    Context, Intent, ParamError, ParamSpec, Params, Pricing, Registry, Size, Strategy,
    StrategyEntry, StrategySchema,
};
use crate::types::{
    Asset, Bar, ClientOrderId, Fill, MarketData, OrderAmount, OrderRequest, Side, Symbol, Timestamp,
};

pub use crate::types::instrument::stubs::btcusdt;

/// The BTCUSDT symbol.
#[must_use]
pub fn symbol() -> Symbol {
    btcusdt().symbol
}

/// The BTC asset.
#[must_use]
pub fn btc() -> Asset {
    btcusdt().base
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
        build: |params, _| Ok(Box::new(Scripted::new(params)?)),
        signals: None,
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

/// An exchange that fills at once, for any of the engine's instruments. Market orders fill
/// at the last price fed for their symbol (a bar's close or a trade's price); limit orders
/// fill at their price when marketable, otherwise rest until a bar trades through them.
#[derive(Debug)]
pub struct InstantExchange {
    btcusdt: Symbol,
    fee_asset: FeeAsset,
    trades: u64,
    resting: Vec<OrderRequest>,
    last: BTreeMap<Symbol, f64>,
    /// Every event this exchange fed to the engine, in order.
    pub fed: Vec<Event>,
}

impl InstantExchange {
    /// An exchange charging fees as `fee_asset` says.
    #[must_use]
    pub fn new(fee_asset: FeeAsset) -> Self {
        Self {
            btcusdt: symbol(),
            fee_asset,
            trades: 0,
            resting: Vec::new(),
            last: BTreeMap::new(),
            fed: Vec::new(),
        }
    }

    /// Feeds `event` to the engine, then answers every command (recursively); market
    /// orders of a symbol without a last price fill at `price`. Returns all commands the
    /// engine produced.
    pub fn feed(
        &mut self,
        engine: &mut Engine,
        event: &Event,
        price: f64,
    ) -> Result<Vec<Command>, EngineError> {
        if let Event::Market(data) = event {
            let mark = match data {
                MarketData::Bar { bar, .. } => bar.close,
                MarketData::Trade { trade, .. } => trade.price,
                MarketData::BookTop { book, .. } => book.mid(),
            };
            self.last.insert(data.symbol().clone(), mark);
        }
        self.fed.push(event.clone());
        let mut all: Vec<Command> = engine.on_event(event)?.to_vec();
        let mut i = 0;
        while i < all.len() {
            let replies = self.answer(engine, &all[i], price, event.ts());
            for reply in replies {
                self.fed.push(reply.clone());
                all.extend(engine.on_event(&reply)?.iter().cloned());
            }
            i += 1;
        }
        Ok(all)
    }

    /// Feeds a BTCUSDT bar (see [`InstantExchange::market_bar`]).
    pub fn bar(&mut self, engine: &mut Engine, bar: Bar) -> Result<Vec<Command>, EngineError> {
        let btcusdt = self.btcusdt.clone();
        self.market_bar(engine, &btcusdt, bar)
    }

    /// Feeds a bar of `symbol`: first fills the resting limit orders of that symbol it
    /// trades through, then the bar itself.
    pub fn market_bar(
        &mut self,
        engine: &mut Engine,
        symbol: &Symbol,
        bar: Bar,
    ) -> Result<Vec<Command>, EngineError> {
        let mut all = Vec::new();
        let crossed: Vec<OrderRequest> = self
            .resting
            .iter()
            .filter(|o| {
                let p = o.price.map_or(f64::NAN, to_f64);
                &o.symbol == symbol
                    && ((o.side == Side::Buy && bar.low <= p)
                        || (o.side == Side::Sell && bar.high >= p))
            })
            .cloned()
            .collect();
        self.resting.retain(|o| !crossed.contains(o));
        for order in crossed {
            if let Some(fill) =
                self.fill_for(engine, &order, order.price.unwrap_or_default(), bar.ts)
            {
                all.extend(self.feed(engine, &Event::fill(fill, false), bar.close)?);
            }
        }
        all.extend(self.feed(engine, &Event::bar(symbol.clone(), bar), bar.close)?);
        Ok(all)
    }

    fn answer(
        &mut self,
        engine: &Engine,
        command: &Command,
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
                let last = self.last.get(&order.symbol).copied().unwrap_or(price);
                let marketable = order.price.is_none_or(|p| {
                    let p = to_f64(p);
                    (order.side == Side::Buy && last <= p)
                        || (order.side == Side::Sell && last >= p)
                });
                if marketable {
                    let fill_price = order
                        .price
                        .unwrap_or_else(|| Decimal::from_f64(last).unwrap_or_default());
                    if let Some(fill) = self.fill_for(engine, order, fill_price, ts) {
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
        engine: &Engine,
        order: &OrderRequest,
        price: Decimal,
        ts: Timestamp,
    ) -> Option<Fill> {
        let instrument = engine
            .config()
            .instruments
            .iter()
            .find(|i| i.symbol == order.symbol)?;
        let quantity = match order.amount {
            OrderAmount::Base(q) => q,
            OrderAmount::Quote(a) => (a / price)
                .round_dp_with_strategy(instrument.quantity_precision, RoundingStrategy::ToZero),
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

/// One input of a test run.
#[derive(Debug, Clone, PartialEq)]
pub enum Feed {
    /// A bar of a symbol (resting orders it trades through fill first).
    Bar(Symbol, Bar),
    /// Any other event (signals, timers, controls).
    Event(Event),
}

impl Feed {
    /// A BTCUSDT bar.
    #[must_use]
    pub fn btc(bar: Bar) -> Self {
        Self::Bar(symbol(), bar)
    }
}

/// A started bot `bot` trading BTCUSDT with `budget` USDT and `strategy`.
#[must_use]
pub fn bot(strategy: StrategySpec, budget: i64) -> BotConfig {
    let id = BotId::new("t").unwrap_or_else(|e| unreachable!("literal: {e}"));
    BotConfig::new(id, vec![btcusdt()], Decimal::from(budget), strategy)
}

/// Runs `feed` through a fresh engine for `config` (started at time 0) with an
/// [`InstantExchange`] charging fees in the received asset; returns the commands of each
/// input in turn.
pub fn run_feed(
    registry: &Registry,
    config: BotConfig,
    feed: &[Feed],
) -> Result<Vec<Vec<Command>>, EngineError> {
    let mut engine = Engine::new(config, registry)?;
    let start = feed.first().map_or(Timestamp(0), |f| match f {
        Feed::Bar(_, bar) => bar.ts,
        Feed::Event(event) => event.ts(),
    });
    engine.on_event(&Event::control(start, Control::Start))?;
    let mut exchange = InstantExchange::new(FeeAsset::Received);
    feed.iter()
        .map(|input| match input {
            Feed::Bar(symbol, bar) => exchange.market_bar(&mut engine, symbol, *bar),
            Feed::Event(event) => exchange.feed(&mut engine, event, f64::NAN),
        })
        .collect()
}

/// [`run_feed`] over BTCUSDT bars.
pub fn run_bars(
    registry: &Registry,
    config: BotConfig,
    bars: &[Bar],
) -> Result<Vec<Vec<Command>>, EngineError> {
    let feed: Vec<Feed> = bars.iter().map(|b| Feed::btc(*b)).collect();
    run_feed(registry, config, &feed)
}

/// Runs BTCUSDT `bars` through a bot with 1000 USDT and `spec` (fees in the received
/// asset); returns `(bar, is_buy)` and the amount of every order, and the final cash plus
/// the reserved profit.
#[must_use]
pub fn trades_and_money(
    spec: StrategySpec,
    bars: &[Bar],
) -> (Vec<(usize, bool)>, Vec<OrderAmount>, Decimal) {
    let registry = Registry::builtin();
    let Ok(mut engine) = Engine::new(bot(spec, 1_000), &registry) else {
        panic!("invalid test bot");
    };
    let start = bars.first().map_or(Timestamp(0), |b| b.ts);
    if let Err(e) = engine.on_event(&Event::control(start, Control::Start)) {
        panic!("start: {e}");
    }
    let mut exchange = InstantExchange::new(FeeAsset::Received);
    let out: Vec<Vec<Command>> = bars
        .iter()
        .map(|b| {
            exchange
                .bar(&mut engine, *b)
                .unwrap_or_else(|e| panic!("bar {b:?}: {e}"))
        })
        .collect();
    let orders = submits(&out);
    (
        orders
            .iter()
            .map(|(i, o)| (*i, o.side == Side::Buy))
            .collect(),
        orders.into_iter().map(|(_, o)| o.amount).collect(),
        engine.wallet().cash() + engine.wallet().profit_reserve(),
    )
}

/// `(input index, order)` of every submitted order.
#[must_use]
pub fn submits(out: &[Vec<Command>]) -> Vec<(usize, OrderRequest)> {
    out.iter()
        .enumerate()
        .flat_map(|(i, commands)| {
            commands.iter().filter_map(move |c| match c {
                Command::Submit(order) => Some((i, order.clone())),
                _ => None,
            })
        })
        .collect()
}

/// Asserts that the strategy does not look ahead: for every cut, running only
/// `feed[..cut]` gives exactly the commands the full run gave for those inputs.
pub fn assert_no_lookahead(registry: &Registry, config: &BotConfig, feed: &[Feed], cuts: &[usize]) {
    let full = run_feed(registry, config.clone(), feed).unwrap_or_else(|e| panic!("full run: {e}"));
    for &cut in cuts {
        let cut = cut.min(feed.len());
        let part = run_feed(registry, config.clone(), &feed[..cut])
            .unwrap_or_else(|e| panic!("run to {cut}: {e}"));
        assert_eq!(
            part,
            full[..cut],
            "decisions before input {cut} changed when the data after it was removed"
        );
    }
}

/// `count` cut points in `1..len`, from a seeded generator (the same cuts every run).
#[must_use]
pub fn cuts(len: usize, count: usize, seed: u64) -> Vec<usize> {
    let mut state = seed | 1;
    (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            1 + usize::try_from(state >> 33).unwrap_or(0) % len.max(2).saturating_sub(1)
        })
        .collect()
}

/// Asserts that the strategy's vectorised form makes the same trades as the engine:
/// the registry's entry/exit columns, walked long-only, give the bars where the engine
/// submitted its buys and sells (with orders filling at once at the bar's close). Returns
/// the number of trades compared, so tests can insist the series produced some.
pub fn assert_signal_parity(registry: &Registry, spec: &StrategySpec, bars: &[Bar]) -> usize {
    let series = BarSeries::from_bars(bars);
    let signals = registry
        .signals(spec, &series.columns())
        .unwrap_or_else(|e| panic!("signals: {e}"))
        .unwrap_or_else(|| panic!("{} has no vectorised form", spec.name));
    let walked = signals.walk();
    let out = run_bars(registry, bot(spec.clone(), 100_000), bars)
        .unwrap_or_else(|e| panic!("engine: {e}"));
    let engine: Vec<(usize, bool)> = submits(&out)
        .into_iter()
        .map(|(i, o)| (i, o.side == Side::Buy))
        .collect();
    assert_eq!(
        engine, walked,
        "the engine and the vectorised form trade on different bars"
    );
    walked.len()
}

/// `n` one-minute bars whose closes follow a sine wave around `mid` with `amplitude` and a
/// `period` in bars (open = previous close, high/low the extremes, volume 10).
#[must_use]
pub fn sine_bars(n: usize, mid: f64, amplitude: f64, period: f64) -> Vec<Bar> {
    let closes: Vec<f64> = (0..n)
        .map(|i| {
            #[allow(clippy::cast_precision_loss, reason = "test series are short")]
            let x = i as f64;
            mid + amplitude * (std::f64::consts::TAU * x / period).sin()
        })
        .collect();
    bars_from_closes(&closes, 10.0)
}

/// A seeded random walk of `n` one-minute bars from `start` (steps within ±`step` share).
#[must_use]
pub fn random_walk(n: usize, start: f64, step: f64, seed: u64) -> Vec<Bar> {
    let mut state = seed | 1;
    let mut price = start;
    let mut volumes = Vec::with_capacity(n);
    let closes: Vec<f64> = (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            #[allow(clippy::cast_precision_loss, reason = "a uniform draw from 53 bits")]
            let u = (state >> 11) as f64 / (1_u64 << 53) as f64;
            price = (price * (1.0 + (2.0 * u - 1.0) * step) * 100.0).round() / 100.0;
            volumes.push(5.0 + 10.0 * u);
            price
        })
        .collect();
    let mut bars = bars_from_closes(&closes, 10.0);
    for (bar, volume) in bars.iter_mut().zip(volumes) {
        bar.volume = volume;
    }
    bars
}

/// One-minute bars from closes: open = previous close, high/low = their extremes.
#[must_use]
pub fn bars_from_closes(closes: &[f64], volume: f64) -> Vec<Bar> {
    let mut previous = closes.first().copied().unwrap_or_default();
    closes
        .iter()
        .enumerate()
        .map(|(i, &close)| {
            let open = previous;
            previous = close;
            let minute = i64::try_from(i).unwrap_or(i64::MAX);
            bar(
                minute,
                open,
                open.max(close),
                open.min(close),
                close,
                volume,
            )
        })
        .collect()
}

/// The first `n` real one-minute BTC bars of `shared/data/real/nautilus_trader`
/// (LGPL-3.0 test input, read from beside the repository, never shipped), or `None` with a
/// message on stderr when that folder is absent.
#[must_use]
pub fn real_btc_1m(n: usize) -> Option<Vec<Bar>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/real/nautilus_trader/btc-perp-20211231-20220201_1m.csv");
    let Ok(text) = std::fs::read_to_string(&path) else {
        #[allow(clippy::print_stderr, reason = "a skipped real-data test says so")]
        {
            eprintln!("SKIPPED: real data not found at {}", path.display());
        }
        return None;
    };
    let bars = text
        .lines()
        .skip(1)
        .take(n)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let num = |i: usize| {
                f.get(i)
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(f64::NAN)
            };
            let ts = f.first().and_then(|v| parse_minute_ts(v)).unwrap_or(0);
            Bar {
                ts: Timestamp(ts),
                open: num(1),
                high: num(2),
                low: num(3),
                close: num(4),
                volume: num(5),
            }
        })
        .collect();
    Some(bars)
}

/// `2021-12-31 23:01:00+00:00`-style timestamps as ms (UTC), without a date crate.
fn parse_minute_ts(text: &str) -> Option<i64> {
    let digits: Vec<i64> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .take(6)
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [y, m, d, hh, mm, ss] = digits[..] else {
        return None;
    };
    let days = crate::types::time::days_from_civil(y, m, d);
    Some(((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000)
}

/// A client order id literal.
#[must_use]
pub fn cid(value: &str) -> ClientOrderId {
    match ClientOrderId::new(value) {
        Ok(id) => id,
        Err(e) => unreachable!("test id {value}: {e}"),
    }
}
