//! The engine: one bot's deterministic state machine.
//!
//! `Engine::on_event` takes one [`Event`] and returns the [`Command`]s it caused. The engine
//! never reads a clock — "now" is the event's timestamp — and the same events always give
//! the same commands. Backtester and live runner differ only in how they deliver events
//! and carry out commands.
//!
//! Handling order for market data: marks update; protections (stops, take profit) act;
//! loss limits are checked; then the strategy sees the data and its intents pass the risk
//! gate. Errors (time going backwards, reports for unknown orders, impossible fills) leave
//! the engine unchanged.

mod control;
mod market;
mod marks;
mod orders;
mod settings;

pub mod command;
pub mod config;
pub mod event;
pub mod lifecycle;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};

use rust_decimal::Decimal;
use thiserror::Error;

pub use command::{Alert, AlertCode, AlertLevel, Command, StateChange};
pub use config::{BotConfig, BotConfigError, BotId};
pub use event::{Control, Event, OrderReport, Signal};
pub use lifecycle::{BotState, StateReason};
pub use settings::{RunningTime, SettingsUpdate};

use marks::Marks;

use crate::error::ValidationError;
use crate::risk::gate::{self, GateView};
use crate::risk::{
    BreakerState, Denial, DenyReason, LossLimits, Protection, RateWindow, TradeStats,
};
use crate::strategy::{
    Context, Intent, OrderIntent, Registry, RegistryError, Strategy, StrategySpec,
};
use crate::types::{
    Asset, ClientOrderId, Instrument, Order, OrderError, OrderOrigin, OrderRequest, Symbol,
    Timestamp,
};
use crate::wallet::valuation::budget_pair;
use crate::wallet::{Position, Wallet, WalletError, value_of};

/// Terminal orders kept to recognise late duplicate reports.
const RECENT_CLOSED_ORDERS: usize = 256;

/// Why the engine refused an event or a configuration. The engine is unchanged after it.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EngineError {
    /// The configuration is invalid.
    #[error("invalid bot configuration: {0}")]
    Config(#[from] ValidationError),
    /// The strategy or its parameters are invalid.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// Events must not go back in time.
    #[error("event at {got} is older than the last event at {last}")]
    TimeWentBackwards {
        /// Last event's time.
        last: Timestamp,
        /// This event's time.
        got: Timestamp,
    },
    /// Market data or a fill for a symbol the bot does not trade.
    #[error("symbol {0} is not one of the bot's instruments")]
    UnknownSymbol(Symbol),
    /// A signal outside `[-1, 1]` or for a symbol the bot does not trade.
    #[error("invalid signal from {source_name} at {ts}: {rule}")]
    InvalidSignal {
        /// Who sent it.
        source_name: String,
        /// When.
        ts: Timestamp,
        /// What is wrong.
        rule: String,
    },
    /// Market data that breaks its own rules.
    #[error("invalid market data: {0}")]
    InvalidMarketData(ValidationError),
    /// A report about an order the bot does not know.
    #[error("report for unknown order {0}")]
    UnknownOrder(ClientOrderId),
    /// A report the order's state machine refuses.
    #[error(transparent)]
    Order(#[from] OrderError),
    /// A fill the wallet refuses.
    #[error(transparent)]
    Wallet(#[from] WalletError),
    /// An instruction that does not apply in the current state.
    #[error("{control} is not allowed while the bot is {state:?}")]
    ControlNotAllowed {
        /// The instruction.
        control: &'static str,
        /// The bot's state.
        state: BotState,
    },
    /// The order sequence no longer fits a client order id.
    #[error("client order ids of bot {0} are exhausted")]
    ClientIdsExhausted(BotId),
}

/// One bot: strategy, risk layer, wallet, orders and lifecycle.
#[derive(Debug)]
pub struct Engine {
    config: BotConfig,
    registry: Registry,
    /// The configured strategy followed by the breaker's rotation.
    candidates: Vec<StrategySpec>,
    active: usize,
    strategy: Box<dyn Strategy>,
    state: BotState,
    pause_reason: Option<StateReason>,
    started: Option<Timestamp>,
    instruments: BTreeMap<Symbol, Instrument>,
    wallet: Wallet,
    /// The wallet's numbers for the per-event checks, rebuilt after every fill.
    marks: Marks,
    orders: BTreeMap<ClientOrderId, Order>,
    closed: VecDeque<Order>,
    reservations: BTreeMap<ClientOrderId, Decimal>,
    last_prices: BTreeMap<Symbol, f64>,
    sequence: u64,
    last_ts: Option<Timestamp>,
    protections: BTreeMap<Symbol, Protection>,
    /// Whether any protection (stop loss, trailing stop, take profit) is configured.
    protects: bool,
    /// Whether any loss limit (drawdown, daily, weekly) is configured.
    limited: bool,
    trip_pnl: BTreeMap<Asset, Decimal>,
    stats: TradeStats,
    limits: LossLimits,
    breaker: BreakerState,
    rate: RateWindow,
    out: Vec<Command>,
    intents: Vec<Intent>,
}

impl Engine {
    /// A bot in `Created` state. Validates the configuration and builds the strategy (and
    /// every rotation candidate once, so a bad one fails now rather than mid-run).
    pub fn new(config: BotConfig, registry: &Registry) -> Result<Self, EngineError> {
        config.validate()?;
        let mut candidates = vec![config.strategy.clone()];
        if let Some(breaker) = &config.risk.breaker {
            candidates.extend(breaker.rotation.iter().cloned());
        }
        for spec in &candidates[1..] {
            registry.build(spec)?;
        }
        let strategy = registry.build(&candidates[0])?;
        let instruments: BTreeMap<Symbol, Instrument> = config
            .instruments
            .iter()
            .map(|i| (i.symbol.clone(), i.clone()))
            .collect();
        let asset = config.instruments[0].quote.clone();
        let wallet = Wallet::new(asset, config.budget, config.compound)?;
        let protects = config.risk.stop_loss.is_some()
            || config.risk.trailing_stop.is_some()
            || !config.risk.take_profit.is_empty();
        let risk = &config.risk;
        let limited =
            risk.max_drawdown.is_some() || risk.daily_loss.is_some() || risk.weekly_loss.is_some();
        let marks = Marks::of(&wallet, &instruments, protects);
        Ok(Self {
            registry: registry.clone(),
            candidates,
            active: 0,
            strategy,
            state: BotState::Created,
            pause_reason: None,
            started: None,
            instruments,
            wallet,
            marks,
            orders: BTreeMap::new(),
            closed: VecDeque::new(),
            reservations: BTreeMap::new(),
            last_prices: BTreeMap::new(),
            sequence: 0,
            last_ts: None,
            protections: BTreeMap::new(),
            protects,
            limited,
            trip_pnl: BTreeMap::new(),
            stats: TradeStats::default(),
            limits: LossLimits::default(),
            breaker: BreakerState::default(),
            rate: RateWindow::default(),
            out: Vec::new(),
            intents: Vec::new(),
            config,
        })
    }

    /// Handles one event and returns the commands it caused.
    pub fn on_event(&mut self, event: &Event) -> Result<&[Command], EngineError> {
        self.out.clear();
        let ts = event.ts();
        if let Some(last) = self.last_ts
            && ts < last
        {
            return Err(EngineError::TimeWentBackwards { last, got: ts });
        }
        match event {
            Event::Market(data) => self.check_market(data)?,
            Event::Order(report) => self.check_report(report)?,
            Event::Signal(signal) => self.check_signal(signal)?,
            Event::Timer { .. } | Event::Control { .. } => {}
        }
        if let Event::Control { control, .. } = event {
            self.check_control(ts, control)?;
        }
        self.last_ts = Some(ts);
        self.on_clock(ts);
        match event {
            Event::Market(data) => self.on_market(data),
            Event::Order(report) => self.on_report(report)?,
            Event::Signal(signal) => self.on_signal(signal),
            Event::Timer { ts } => self.on_timer(*ts),
            Event::Control { ts, control } => self.on_control(*ts, control)?,
        }
        Ok(&self.out)
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &BotConfig {
        &self.config
    }

    /// The lifecycle state.
    #[must_use]
    pub fn state(&self) -> BotState {
        self.state
    }

    /// Why the bot is paused or stopped, if it is.
    #[must_use]
    pub fn pause_reason(&self) -> Option<StateReason> {
        self.pause_reason
    }

    /// The wallet.
    #[must_use]
    pub fn wallet(&self) -> &Wallet {
        &self.wallet
    }

    /// Open orders by client order id.
    #[must_use]
    pub fn open_orders(&self) -> &BTreeMap<ClientOrderId, Order> {
        &self.orders
    }

    /// The strategy trading now (the configured one, or a rotation).
    #[must_use]
    pub fn active_strategy(&self) -> &StrategySpec {
        &self.candidates[self.active]
    }

    /// Results of closed round trips.
    #[must_use]
    pub fn trade_stats(&self) -> &TradeStats {
        &self.stats
    }

    /// The last client order sequence number used.
    #[must_use]
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// Equity at the last known prices.
    #[must_use]
    pub fn equity(&self) -> Decimal {
        // With nothing held (no quantity, no open lot) every position adds an exact zero
        // (`0 × price` and an empty cost basis are `Decimal::ZERO`, and `x + 0` is `x`), so
        // the sum is the capital as it stands — without a decimal conversion per price.
        if self
            .wallet
            .positions()
            .values()
            .all(|p| p.is_flat() && p.lots().is_empty())
        {
            let capital = self.wallet.cash() + self.wallet.profit_reserve();
            debug_assert_eq!(
                capital.serialize(),
                self.wallet.equity(|asset| self.value_of(asset)).serialize(),
                "flat equity differs from the sum (value or scale)"
            );
            return capital;
        }
        self.wallet.equity(|asset| self.value_of(asset))
    }

    /// Equity at the last prices as `f64`, for the loss limits and equity curves
    /// (analytics, DESIGN.md §3): the same sum as [`Engine::equity`] without converting
    /// each price to a decimal (and with the wallet's own decimals converted once per
    /// fill); it agrees with the decimal equity to `f64` rounding.
    #[must_use]
    pub fn equity_f64(&self) -> f64 {
        debug_assert_eq!(
            self.marks,
            Marks::of(&self.wallet, &self.instruments, self.protects),
            "marks out of date"
        );
        self.marks.equity(&self.last_prices)
    }

    /// The capital (cash and profit reserve, in the budget asset) as `f64`: the very
    /// number `to_f64(cash + profit_reserve)` gives, converted once per fill.
    #[must_use]
    pub fn capital_f64(&self) -> f64 {
        debug_assert_eq!(
            self.marks,
            Marks::of(&self.wallet, &self.instruments, self.protects),
            "marks out of date"
        );
        self.marks.capital()
    }

    /// What one unit of `asset` is worth in the budget asset at the last prices.
    fn value_of(&self, asset: &Asset) -> Option<Decimal> {
        value_of(
            asset,
            self.wallet.asset(),
            &self.instruments,
            &self.last_prices,
        )
    }

    /// The value used to book a fill on `instrument`: its quote asset in the budget asset,
    /// from the last price, else the average cost of what is held of it; zero (which the
    /// wallet refuses) when neither is known.
    fn quote_value(&self, instrument: &Instrument) -> Decimal {
        self.value_of(&instrument.quote)
            .or_else(|| {
                self.wallet
                    .position(&instrument.quote)
                    .and_then(Position::average_cost)
            })
            .unwrap_or_default()
    }

    /// Whether the bot holds at least the minimum quantity of `asset` (the minimum of its
    /// pair against the budget asset; dust below it does not count as a position).
    fn asset_is_long(&self, asset: &Asset) -> bool {
        let held = self.wallet.held(asset);
        let min = budget_pair(asset, self.wallet.asset(), &self.instruments)
            .map_or(Decimal::ZERO, |i| i.min_quantity);
        held > Decimal::ZERO && held >= min
    }

    /// Runs the strategy callback `call` with a fresh context and processes its intents.
    fn run_strategy(
        &mut self,
        ts: Timestamp,
        call: impl FnOnce(&mut dyn Strategy, &Context<'_>, &mut Vec<Intent>),
    ) {
        let mut intents = std::mem::take(&mut self.intents);
        intents.clear();
        let ctx = Context {
            ts,
            trading: self.state.is_trading(),
            wallet: &self.wallet,
            instruments: &self.instruments,
            open_orders: &self.orders,
            closed_orders: &self.closed,
            last_prices: &self.last_prices,
        };
        call(self.strategy.as_mut(), &ctx, &mut intents);
        if !intents.is_empty() {
            for intent in intents.drain(..) {
                self.process_intent(ts, intent, OrderOrigin::Strategy);
            }
        }
        self.intents = intents;
    }

    /// Turns one intent into commands (or a denial).
    fn process_intent(
        &mut self,
        ts: Timestamp,
        intent: Intent,
        origin: OrderOrigin,
    ) -> Option<ClientOrderId> {
        match intent {
            Intent::Place(order) => self.place(ts, order, origin),
            Intent::Cancel { client_id } => {
                match self.orders.get(&client_id) {
                    Some(order) => self.out.push(Command::Cancel {
                        symbol: order.request.symbol.clone(),
                        client_id,
                    }),
                    None => self.deny(
                        ts,
                        Intent::Cancel { client_id },
                        DenyReason::UnknownOrder,
                        "no such open order",
                    ),
                }
                None
            }
            Intent::Switch { from, to, reason } => {
                self.out.push(Command::Rotated {
                    ts,
                    from,
                    to,
                    reason,
                });
                None
            }
            Intent::CancelAll { symbol } => {
                for s in self.symbols_with_open_orders() {
                    if symbol.as_ref().is_none_or(|only| only == &s) {
                        self.out.push(Command::CancelAll { symbol: s });
                    }
                }
                None
            }
        }
    }

    fn place(
        &mut self,
        ts: Timestamp,
        intent: OrderIntent,
        origin: OrderOrigin,
    ) -> Option<ClientOrderId> {
        if !self.state.is_trading() {
            let detail = format!("bot is {:?}", self.state);
            self.deny(ts, Intent::Place(intent), DenyReason::NotRunning, detail);
            return None;
        }
        let view = GateView {
            ts,
            wallet: &self.wallet,
            instruments: &self.instruments,
            last_prices: &self.last_prices,
            open_orders: &self.orders,
            reservations: &self.reservations,
        };
        let approved = match gate::approve(
            &self.config.risk,
            &self.stats,
            &mut self.rate,
            &view,
            &intent,
            // The risk layer's own exits are not held back by the order-rate cap.
            origin == OrderOrigin::Risk,
        ) {
            Ok(approved) => approved,
            Err((reason, detail)) => {
                self.deny(ts, Intent::Place(intent), reason, detail);
                return None;
            }
        };
        let client_id = match self.next_client_id() {
            Ok(id) => id,
            Err(detail) => {
                self.deny(ts, Intent::Place(intent), DenyReason::IdsExhausted, detail);
                return None;
            }
        };
        let quote = self
            .instruments
            .get(&approved.symbol)
            .map(|i| i.quote.clone());
        let reserved = match quote {
            Some(quote) => self.wallet.reserve(&quote, approved.reserve),
            None => Ok(()),
        };
        if let Err(e) = reserved {
            self.deny(
                ts,
                Intent::Place(intent),
                DenyReason::InsufficientFunds,
                e.to_string(),
            );
            return None;
        }
        if approved.reserve > Decimal::ZERO {
            self.reservations
                .insert(client_id.clone(), approved.reserve);
        }
        self.sequence += 1;
        self.rate.record(ts);
        let request = OrderRequest {
            client_id: client_id.clone(),
            symbol: approved.symbol,
            side: approved.side,
            order_type: approved.order_type,
            amount: approved.amount,
            price: approved.price,
            ts,
        };
        self.orders.insert(
            client_id.clone(),
            Order {
                origin,
                ..Order::new(request.clone())
            },
        );
        self.out.push(Command::Submit(request));
        Some(client_id)
    }

    /// The id the next order will get (the sequence advances only when it is used).
    fn next_client_id(&self) -> Result<ClientOrderId, String> {
        ClientOrderId::sequenced(self.config.bot_id.as_str(), self.sequence + 1)
            .ok_or_else(|| EngineError::ClientIdsExhausted(self.config.bot_id.clone()).to_string())
    }

    fn deny(
        &mut self,
        ts: Timestamp,
        intent: Intent,
        reason: DenyReason,
        detail: impl Into<String>,
    ) {
        self.out.push(Command::Denied(Denial {
            ts,
            intent,
            reason,
            detail: detail.into(),
        }));
    }

    fn alert(
        &mut self,
        ts: Timestamp,
        level: AlertLevel,
        code: AlertCode,
        message: impl Into<String>,
    ) {
        self.out.push(Command::Alert(Alert {
            ts,
            level,
            code,
            message: message.into(),
        }));
    }

    fn symbols_with_open_orders(&self) -> Vec<Symbol> {
        let mut symbols: Vec<Symbol> = self
            .orders
            .values()
            .map(|o| o.request.symbol.clone())
            .collect();
        symbols.sort();
        symbols.dedup();
        symbols
    }
}
