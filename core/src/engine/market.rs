//! Market data and timers: marks, protections, loss limits, then the strategy.

use super::marks::Marks;
use super::{AlertCode, AlertLevel, BotState, Engine, EngineError, Signal, StateReason};
use crate::error::ValidationError;
use crate::risk::{ExitReason, LimitKind};
use crate::strategy::{Intent, OrderIntent, Pricing};
use crate::types::{MarketData, OrderOrigin, Side, Symbol, Timestamp};

fn positive_price(what: &str, ts: Timestamp, value: f64) -> Result<(), EngineError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(EngineError::InvalidMarketData(ValidationError::new(
            format!("{what} at {ts}"),
            value,
            "must be a finite positive price",
        )))
    }
}

impl Engine {
    /// Refuses market data the engine cannot use, before anything changes.
    pub(super) fn check_market(&self, data: &MarketData) -> Result<(), EngineError> {
        if !self.instruments.contains_key(data.symbol()) {
            return Err(EngineError::UnknownSymbol(data.symbol().clone()));
        }
        match data {
            MarketData::Bar { bar, .. } => {
                bar.validate().map_err(EngineError::InvalidMarketData)?;
                positive_price("bar low", bar.ts, bar.low)
            }
            MarketData::Trade { trade, .. } => positive_price("trade price", trade.ts, trade.price),
            MarketData::BookTop { book, .. } => {
                positive_price("bid", book.ts, book.bid_price)?;
                positive_price("ask", book.ts, book.ask_price)
            }
        }
    }

    pub(super) fn on_market(&mut self, data: &MarketData) {
        let ts = data.ts();
        let symbol = data.symbol();
        let (low, high, mark) = match data {
            MarketData::Bar { bar, .. } => (bar.low, bar.high, bar.close),
            MarketData::Trade { trade, .. } => (trade.price, trade.price, trade.price),
            MarketData::BookTop { book, .. } => (book.bid_price, book.bid_price, book.mid()),
        };
        match self.last_prices.get_mut(symbol) {
            Some(last) => *last = mark,
            None => {
                self.last_prices.insert(symbol.clone(), mark);
            }
        }
        if self.state.is_trading() && !matches!(data, MarketData::BookTop { .. }) {
            self.protect(ts, symbol, low, high);
        }
        self.check_limits(ts);
        if !self.state.sees_market() {
            return;
        }
        self.run_strategy(ts, |strategy, ctx, intents| match data {
            MarketData::Bar { bar, .. } => strategy.on_bar(ctx, symbol, bar, intents),
            MarketData::Trade { trade, .. } => strategy.on_trade(ctx, symbol, trade, intents),
            MarketData::BookTop { book, .. } => strategy.on_book(ctx, symbol, book, intents),
        });
    }

    /// Refuses signals the engine cannot use, before anything changes.
    pub(super) fn check_signal(&self, signal: &Signal) -> Result<(), EngineError> {
        let invalid = |rule: String| EngineError::InvalidSignal {
            source_name: signal.source.clone(),
            ts: signal.ts,
            rule,
        };
        if !self.instruments.contains_key(&signal.symbol) {
            return Err(invalid(format!(
                "{} is not one of the bot's instruments",
                signal.symbol
            )));
        }
        if !(signal.value.is_finite() && (-1.0..=1.0).contains(&signal.value)) {
            return Err(invalid(format!("value {} is not in [-1, 1]", signal.value)));
        }
        Ok(())
    }

    pub(super) fn on_signal(&mut self, signal: &Signal) {
        self.check_limits(signal.ts);
        if self.state.sees_market() {
            self.run_strategy(signal.ts, |strategy, ctx, intents| {
                strategy.on_signal(ctx, signal, intents);
            });
        }
    }

    pub(super) fn on_timer(&mut self, ts: Timestamp) {
        self.check_limits(ts);
        if self.state.sees_market() {
            self.run_strategy(ts, |strategy, ctx, intents| strategy.on_timer(ctx, intents));
        }
    }

    /// Stops, trailing stops and take-profit targets of the position in `symbol`.
    fn protect(&mut self, ts: Timestamp, symbol: &Symbol, low: f64, high: f64) {
        // Nothing to protect (no position was bought since the last went flat), or no
        // protection configured: no exit can come of it, and the state it would update
        // (the trailing high) is read by the trailing stop only. The risk settings never
        // change after the engine is built.
        if self.protections.is_empty() || !self.protects {
            return;
        }
        // Stops compare the position's cost (in the budget asset) with this pair's prices,
        // so they apply to pairs quoted in the budget asset only.
        let Some(instrument) = self.instruments.get(symbol) else {
            return;
        };
        if &instrument.quote != self.wallet.asset() {
            return;
        }
        let precision = instrument.price_precision;
        debug_assert_eq!(
            self.marks,
            Marks::of(&self.wallet, &self.instruments, self.protects),
            "marks out of date"
        );
        let Some((average_cost, cost)) = self.marks.average_cost(&instrument.base) else {
            return;
        };
        let Some(protection) = self.protections.get_mut(symbol) else {
            return;
        };
        let Some(exit) = protection.evaluate_at(&self.config.risk, cost, precision, low, high)
        else {
            return;
        };
        let (code, what) = match exit.reason {
            ExitReason::StopLoss => (AlertCode::StopLoss, "stop loss".to_owned()),
            ExitReason::TrailingStop => (AlertCode::TrailingStop, "trailing stop".to_owned()),
            ExitReason::TakeProfit(n) => (
                AlertCode::TakeProfit,
                format!("take-profit target {}", n + 1),
            ),
        };
        self.alert(
            ts,
            AlertLevel::Info,
            code,
            format!("{what} reached on {symbol} (average cost {average_cost})"),
        );
        let intent = OrderIntent {
            symbol: symbol.clone(),
            side: Side::Sell,
            pricing: Pricing::Market,
            size: exit.size,
        };
        let order = self.process_intent(ts, Intent::Place(intent), OrderOrigin::Risk);
        if let Some(protection) = self.protections.get_mut(symbol) {
            protection.exit_order = order;
        }
    }

    /// Drawdown, daily and weekly loss limits at the current equity.
    #[inline(always)]
    fn check_limits(&mut self, ts: Timestamp) {
        // Most bots set no loss limit: one flag, decided when the engine was built (the
        // risk settings never change after), instead of a call per market event.
        if self.limited {
            self.check_limits_now(ts);
        }
    }

    /// [`Engine::check_limits`] for a bot with at least one loss limit.
    fn check_limits_now(&mut self, ts: Timestamp) {
        let equity = self.equity_f64();
        let Some(breach) = self.limits.observe(&self.config.risk, ts, equity) else {
            return;
        };
        if self.state != BotState::Running {
            return;
        }
        let (reason, code) = match (breach.kind, breach.until) {
            (LimitKind::Drawdown, _) | (_, None) => {
                (StateReason::DrawdownLimit, AlertCode::DrawdownLimit)
            }
            (LimitKind::DailyLoss, Some(until)) => (
                StateReason::DailyLossLimit(until),
                AlertCode::DailyLossLimit,
            ),
            (LimitKind::WeeklyLoss, Some(until)) => (
                StateReason::WeeklyLossLimit(until),
                AlertCode::WeeklyLossLimit,
            ),
        };
        self.set_state(ts, BotState::Paused, reason);
        let resume = breach.until.map_or_else(
            || "resume by hand".to_owned(),
            |u| format!("resumes at {u}"),
        );
        self.alert(
            ts,
            AlertLevel::Critical,
            code,
            format!("{}; paused, {resume}", breach.detail),
        );
    }
}
