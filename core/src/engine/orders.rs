//! Order reports: status changes, fills, reservations, round trips and the breaker.

use rust_decimal::Decimal;

use super::{
    AlertCode, AlertLevel, BotState, Command, Engine, EngineError, OrderReport,
    RECENT_CLOSED_ORDERS, StateReason,
};
use crate::risk::{BreakerAction, BreakerState};
use crate::strategy::Context;
use crate::types::{ClientOrderId, Fill, Order, OrderOrigin, OrderStatus, Side, Timestamp};

/// The status a report moves its order to (fills are handled on their own).
fn target_status(report: &OrderReport) -> Option<OrderStatus> {
    match report {
        OrderReport::Submitted { .. } => Some(OrderStatus::Submitted),
        OrderReport::Unknown { .. } => Some(OrderStatus::Unknown),
        OrderReport::Accepted { .. } => Some(OrderStatus::Accepted),
        OrderReport::Rejected { .. } => Some(OrderStatus::Rejected),
        OrderReport::Canceled { .. } => Some(OrderStatus::Canceled),
        OrderReport::Expired { .. } => Some(OrderStatus::Expired),
        OrderReport::Filled { .. } => None,
    }
}

impl Engine {
    fn find_closed(&self, client_id: &ClientOrderId) -> Option<&Order> {
        self.closed.iter().find(|o| o.client_id() == client_id)
    }

    /// Whether the report repeats something already applied (a duplicate fill, or the same
    /// status again): such reports are ignored.
    fn is_duplicate(&self, report: &OrderReport) -> bool {
        let id = report.client_id();
        let order = self.orders.get(id).or_else(|| self.find_closed(id));
        match (order, report) {
            (Some(order), OrderReport::Filled { fill, .. }) => order.has_trade(&fill.trade_id),
            (Some(order), _) => target_status(report) == Some(order.status),
            (None, _) => false,
        }
    }

    /// Refuses reports that cannot apply, before anything changes.
    pub(super) fn check_report(&self, report: &OrderReport) -> Result<(), EngineError> {
        if self.is_duplicate(report) {
            return Ok(());
        }
        let id = report.client_id();
        let Some(order) = self.orders.get(id) else {
            return Err(EngineError::UnknownOrder(id.clone()));
        };
        match report {
            OrderReport::Filled { fill, partial } => {
                let instrument = self
                    .instruments
                    .get(&fill.symbol)
                    .ok_or_else(|| EngineError::UnknownSymbol(fill.symbol.clone()))?;
                let quote_value = self.quote_value(instrument);
                order.check_fill(fill, !partial)?;
                self.wallet
                    .check_fill(fill, instrument, self.release_for(fill), quote_value)?;
            }
            _ => {
                if let Some(to) = target_status(report)
                    && !order.status.can_become(to)
                {
                    return Err(crate::types::OrderError::IllegalTransition {
                        client_id: id.clone(),
                        from: order.status,
                        to,
                    }
                    .into());
                }
            }
        }
        Ok(())
    }

    /// Reserved capital a buy fill releases: its cost, up to what its order still holds.
    fn release_for(&self, fill: &Fill) -> Decimal {
        if fill.side != Side::Buy {
            return Decimal::ZERO;
        }
        let quote_fee = self
            .instruments
            .get(&fill.symbol)
            .filter(|i| i.quote == fill.fee_asset)
            .map_or(Decimal::ZERO, |_| fill.fee);
        let held = self
            .reservations
            .get(&fill.client_id)
            .copied()
            .unwrap_or_default();
        (fill.notional() + quote_fee).min(held)
    }

    pub(super) fn on_report(&mut self, report: &OrderReport) -> Result<(), EngineError> {
        if self.is_duplicate(report) {
            return Ok(());
        }
        let ts = report.ts();
        match report {
            OrderReport::Filled { fill, partial } => self.on_fill(fill, *partial)?,
            _ => {
                let id = report.client_id();
                let Some(order) = self.orders.get_mut(id) else {
                    return Err(EngineError::UnknownOrder(id.clone()));
                };
                if let Some(to) = target_status(report) {
                    order.transition(to, ts)?;
                }
                if let OrderReport::Accepted {
                    exchange_id: Some(exchange_id),
                    ..
                } = report
                {
                    order.exchange_id = Some(exchange_id.clone());
                }
                match report {
                    OrderReport::Rejected { reason, .. } => {
                        let message = format!("order {id} rejected: {reason}");
                        self.alert(ts, AlertLevel::Warning, AlertCode::OrderRejected, message);
                    }
                    OrderReport::Unknown { reason, .. } => {
                        let message = format!(
                            "order {id} outcome unknown ({reason}); resolve by querying it"
                        );
                        self.alert(
                            ts,
                            AlertLevel::Warning,
                            AlertCode::OrderOutcomeUnknown,
                            message,
                        );
                    }
                    _ => {}
                }
                let id = id.clone();
                self.after_order_change(ts, &id)?;
            }
        }
        Ok(())
    }

    fn on_fill(&mut self, fill: &Fill, partial: bool) -> Result<(), EngineError> {
        let ts = fill.ts;
        let symbol = fill.symbol.clone();
        let instrument = self
            .instruments
            .get(&symbol)
            .ok_or_else(|| EngineError::UnknownSymbol(symbol.clone()))?
            .clone();
        let release = self.release_for(fill);
        let order = self
            .orders
            .get_mut(&fill.client_id)
            .ok_or_else(|| EngineError::UnknownOrder(fill.client_id.clone()))?;
        order.apply_fill(fill, !partial)?;
        let quote_value = self.quote_value(&instrument);
        // `check_report` checked this fill with the same release and quote value just
        // before (nothing in between changes the wallet, the orders or the prices).
        let effect = self
            .wallet
            .apply_checked_fill(fill, &instrument, release, quote_value)?;
        self.marks
            .rebuild(&self.wallet, &self.instruments, self.protects);
        if let Some(r) = self.reservations.get_mut(&fill.client_id) {
            *r -= release;
        }
        if effect.overdrawn {
            let message = format!(
                "fill {} took the bot's capital below zero ({})",
                fill.trade_id,
                self.wallet.cash()
            );
            self.alert(
                ts,
                AlertLevel::Critical,
                AlertCode::WalletOverdrawn,
                message,
            );
        }
        // The asset this fill disposed of: the base sold, or the non-budget asset paid with.
        let disposed = match fill.side {
            Side::Sell => Some(&instrument.base),
            Side::Buy => Some(&instrument.quote).filter(|q| *q != self.wallet.asset()),
        };
        // The protections' state is read by the protections only (none configured: none
        // kept; the risk settings never change after the engine is built).
        if self.protects && fill.side == Side::Buy && &instrument.quote == self.wallet.asset() {
            let held = self.wallet.held(&instrument.base);
            self.protections
                .entry(symbol.clone())
                .or_default()
                .on_entry(fill.price, held);
        }
        if let (Some(asset), Some(realized)) = (disposed, effect.realized_pnl) {
            *self.trip_pnl.entry(asset.clone()).or_default() += realized;
            if !self.asset_is_long(asset) {
                // Taken, leaving the default zero the next trip starts from (the entry is
                // kept: no map node freed and made again per round trip).
                let pnl = self
                    .trip_pnl
                    .get_mut(asset)
                    .map(std::mem::take)
                    .unwrap_or_default();
                self.protections
                    .retain(|s, _| self.instruments.get(s).is_none_or(|i| &i.base != asset));
                self.on_round_trip(ts, pnl);
            }
        }
        self.after_order_change(ts, &fill.client_id)?;
        self.run_strategy(ts, |strategy, ctx, intents| {
            strategy.on_fill(ctx, fill, intents);
        });
        Ok(())
    }

    /// Book-keeping after an order changed: ended orders release their reservation, leave
    /// the open set and free the protective-exit slot; the strategy hears of status changes.
    fn after_order_change(&mut self, ts: Timestamp, id: &ClientOrderId) -> Result<(), EngineError> {
        let Some(order) = self.orders.get(id) else {
            return Ok(());
        };
        let terminal = order.status.is_terminal();
        let filled_now = matches!(
            order.status,
            OrderStatus::PartiallyFilled | OrderStatus::Filled
        );
        if terminal {
            if let Some(rest) = self.reservations.remove(id) {
                let quote = self
                    .instruments
                    .get(&order.request.symbol)
                    .map(|i| i.quote.clone());
                if let Some(quote) = quote {
                    self.wallet.release(&quote, rest)?;
                }
            }
            for protection in self.protections.values_mut() {
                if protection.exit_order.as_ref() == Some(id) {
                    protection.exit_order = None;
                }
            }
            if let Some(order) = self.orders.remove(id) {
                if self.closed.len() == RECENT_CLOSED_ORDERS {
                    self.closed.pop_front();
                }
                self.closed.push_back(order);
            }
        }
        if !filled_now {
            self.run_strategy_on_order(ts, id);
        }
        Ok(())
    }

    /// The strategy hears of a status change of order `id` (open, else the order that
    /// ended last): `run_strategy` without a copy of the order.
    fn run_strategy_on_order(&mut self, ts: Timestamp, id: &ClientOrderId) {
        let mut intents = std::mem::take(&mut self.intents);
        intents.clear();
        let Some(order) = self.orders.get(id).or_else(|| self.closed.back()) else {
            self.intents = intents;
            return;
        };
        let ctx = Context {
            ts,
            trading: self.state.is_trading(),
            wallet: &self.wallet,
            instruments: &self.instruments,
            open_orders: &self.orders,
            closed_orders: &self.closed,
            last_prices: &self.last_prices,
        };
        self.strategy.on_order(&ctx, order, &mut intents);
        for intent in intents.drain(..) {
            self.process_intent(ts, intent, OrderOrigin::Strategy);
        }
        self.intents = intents;
    }

    /// A position went flat: record the trade and run the consecutive-loss breaker.
    fn on_round_trip(&mut self, ts: Timestamp, pnl: Decimal) {
        self.stats.record(pnl);
        if pnl > Decimal::ZERO {
            self.breaker.on_win();
        }
        let Some(breaker) = self.config.risk.breaker.clone() else {
            return;
        };
        if pnl >= Decimal::ZERO
            || !BreakerState::should_trip(&breaker, self.stats.consecutive_losses)
        {
            return;
        }
        let from = self.candidates[self.active].name.clone();
        let losses = self.stats.consecutive_losses;
        match self
            .breaker
            .trip(&breaker, self.active, self.candidates.len())
        {
            BreakerAction::Rotate(next) => match self.registry.build(&self.candidates[next]) {
                Ok(strategy) => {
                    self.strategy = strategy;
                    self.active = next;
                    self.stats.consecutive_losses = 0;
                    let to = self.candidates[next].name.clone();
                    let message = format!("{losses} losses in a row with {from}: rotated to {to}");
                    self.out.push(Command::Rotated {
                        ts,
                        from: from.clone(),
                        to: to.clone(),
                        reason: message.clone(),
                    });
                    self.alert(ts, AlertLevel::Warning, AlertCode::StrategyRotated, message);
                }
                Err(e) => self.breaker_pause(
                    ts,
                    format!("rotation to {} failed: {e}", self.candidates[next].name),
                ),
            },
            BreakerAction::Pause => {
                let message = format!(
                    "{losses} losses in a row with {from} and no rotation left ({} done)",
                    self.breaker.rotations()
                );
                self.breaker_pause(ts, message);
            }
        }
    }

    fn breaker_pause(&mut self, ts: Timestamp, message: String) {
        if self.state == BotState::Running {
            self.set_state(ts, BotState::Paused, StateReason::LossBreaker);
        }
        self.alert(ts, AlertLevel::Critical, AlertCode::BreakerPaused, message);
    }
}
