//! A live bot's venue: its orders sent over signed REST, what the exchange says about them
//! turned into engine reports, and the **settle** step before each bar time.
//!
//! Settling: before a bar time reaches the engine, every order the engine still has
//! working is compared with the exchange. One `openOrders` request per symbol tells which
//! orders are still open and how much of each has filled; an order that is not open any
//! more, or has filled more than the engine knows, waits for its user-stream reports (up to
//! `settle_wait`), and is then asked for directly (`GET order` by client order id, and
//! `myTrades` for its fills). An order whose send had an unknown outcome is resolved the
//! same way, never by sending it again. An order that still cannot be settled stops the
//! bot: it would otherwise decide on a bar without fills that happened in it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use vela_core::engine::{Command, Event, OrderReport};
use vela_core::types::{Asset, ClientOrderId, Fill, Order, OrderStatus, Side, Symbol, Timestamp};

use super::RunnerError;
use super::bot::{Bot, BotInput, OpenOrder, SharedRest, Venue};
use super::feed::{ExchangeState, ExchangeView, OrderFeed};
use crate::errors::RejectKind;
use crate::proto::{PrivateDeal, PrivateOrder, PushOrderStatus};
use crate::rest::model::{AccountTrade, OrderInfo, WireOrderStatus};
use crate::rest::{NewOrder, OrderRef};

/// The exchange side of a live bot.
#[derive(Debug)]
pub struct LiveVenue {
    rest: SharedRest,
    feed: OrderFeed,
    settle_wait: Duration,
    recv_window: Duration,
}

impl LiveVenue {
    /// A venue sending through `rest`, waiting up to `settle_wait` for the user stream
    /// before asking the exchange directly.
    #[must_use]
    pub fn new(rest: SharedRest, settle_wait: Duration) -> Self {
        let recv_window = Duration::from_millis(rest.config().recv_window_ms);
        Self {
            rest,
            feed: OrderFeed::new(),
            settle_wait,
            recv_window,
        }
    }

    /// The REST client it sends through.
    pub(super) fn rest(&self) -> &SharedRest {
        &self.rest
    }

    /// Takes a user-stream push about one of the bot's orders.
    pub fn on_order(&mut self, update: &PrivateOrder) {
        let Some(client_id) = update
            .client_id
            .as_deref()
            .and_then(|id| ClientOrderId::new(id).ok())
        else {
            return;
        };
        let state = match update.status {
            PushOrderStatus::New | PushOrderStatus::PartiallyFilled => ExchangeState::Open,
            PushOrderStatus::Filled => ExchangeState::Filled,
            PushOrderStatus::Canceled | PushOrderStatus::PartiallyCanceled => ExchangeState::Ended,
        };
        self.feed.on_view(
            &client_id,
            ExchangeView {
                state,
                cumulative: Some(update.cumulative_quantity),
                exchange_id: Some(update.order_id.clone()),
            },
        );
    }

    /// Takes a user-stream fill of one of the bot's orders.
    pub fn on_deal(&mut self, deal: &PrivateDeal) {
        match deal.fill() {
            Ok(fill) => self.feed.on_fill(fill),
            Err(e) => tracing::warn!(trade = %deal.trade_id, error = %e, "fill not usable"),
        }
    }

    /// Carries out `command` (caused by an event at `ts`); the reports it brings join
    /// `queue`. `already_known`: the journal had the order already, so it is not sent.
    pub(super) async fn execute(
        &mut self,
        command: &Command,
        ts: Timestamp,
        already_known: bool,
        open: &[OpenOrder],
        queue: &mut VecDeque<Event>,
    ) {
        match command {
            Command::Submit(request) => {
                let client_id = request.client_id.clone();
                if already_known {
                    queue.push_back(Event::Order(OrderReport::Unknown {
                        client_id,
                        reason: "the journal already holds this client order id: resolved by \
                                 querying the exchange, never sent twice"
                            .to_owned(),
                        ts,
                    }));
                    return;
                }
                queue.push_back(Event::Order(OrderReport::Submitted {
                    client_id: client_id.clone(),
                    ts,
                }));
                let order = NewOrder::from_request(request);
                if let Err(reason) = order.check() {
                    queue.push_back(Event::Order(OrderReport::Rejected {
                        client_id,
                        reason,
                        ts,
                    }));
                    return;
                }
                let report = match self.rest.place_order(&order).await {
                    Ok(ack) => {
                        self.feed.on_view(
                            &client_id,
                            ExchangeView {
                                state: ExchangeState::Open,
                                cumulative: None,
                                exchange_id: Some(ack.order_id.clone()),
                            },
                        );
                        OrderReport::Accepted {
                            client_id,
                            exchange_id: Some(ack.order_id),
                            ts,
                        }
                    }
                    Err(e) if e.is_unknown() => OrderReport::Unknown {
                        client_id,
                        reason: e.to_string(),
                        ts,
                    },
                    Err(e) => OrderReport::Rejected {
                        client_id,
                        reason: e.to_string(),
                        ts,
                    },
                };
                queue.push_back(Event::Order(report));
            }
            Command::Cancel { symbol, client_id } => {
                self.cancel(symbol, client_id, ts, open, queue).await;
            }
            Command::CancelAll { symbol } => {
                // Only this bot's orders: other bots may trade the same pair.
                for order in open.iter().filter(|o| &o.symbol == symbol) {
                    self.cancel(symbol, &order.client_id, ts, open, queue).await;
                }
            }
            _ => {}
        }
    }

    async fn cancel(
        &mut self,
        symbol: &Symbol,
        client_id: &ClientOrderId,
        ts: Timestamp,
        open: &[OpenOrder],
        queue: &mut VecDeque<Event>,
    ) {
        self.feed.on_cancel_requested(client_id);
        let reference = OrderRef::ClientId(client_id.as_str().to_owned());
        match self.rest.cancel_order(symbol.as_str(), &reference).await {
            Ok(info) => {
                let view = view_of(&info);
                let ended = view.state == ExchangeState::Ended;
                let nothing_new = open
                    .iter()
                    .find(|o| &o.client_id == client_id)
                    .is_some_and(|o| Some(o.filled) == view.cumulative);
                self.feed.on_view(client_id, view);
                if ended && nothing_new {
                    queue.push_back(Event::Order(OrderReport::Canceled {
                        client_id: client_id.clone(),
                        ts,
                    }));
                }
            }
            // Filled or ended already: the settle step brings what happened.
            Err(e) if e.reject_kind() == Some(RejectKind::UnknownOrder) => {}
            Err(e) => {
                tracing::warn!(order = %client_id, error = %e, "cancel failed; the next settle resolves the order");
            }
        }
    }
}

impl Bot {
    /// Settles the bot's working orders with the exchange before bar time `ts` (see the
    /// module documentation). Returns the number of events the engine handled.
    ///
    /// # Errors
    /// The exchange could not be asked, an order stays unexplained, or the engine or the
    /// journal failed.
    pub(super) async fn settle(&mut self, ts: Timestamp) -> Result<usize, RunnerError> {
        let working = self.working_orders();
        if working.is_empty() {
            return Ok(0);
        }
        let Venue::Live(venue) = &mut self.venue else {
            return Ok(0);
        };
        let bot = self.id.to_string();
        let symbols: BTreeSet<Symbol> = working.iter().map(|o| o.request.symbol.clone()).collect();
        for symbol in &symbols {
            let open = venue.rest.open_orders(symbol.as_str()).await.map_err(|e| {
                unsettled(&bot, format!("asking for the open orders of {symbol}: {e}"))
            })?;
            let open: BTreeMap<&str, &OrderInfo> = open
                .iter()
                .filter_map(|info| info.client_order_id.as_deref().map(|id| (id, info)))
                .collect();
            for order in working.iter().filter(|o| &o.request.symbol == symbol) {
                let view = match open.get(order.client_id().as_str()) {
                    Some(info) => view_of(info),
                    None => ExchangeView {
                        state: ExchangeState::Closed,
                        cumulative: None,
                        exchange_id: None,
                    },
                };
                venue.feed.on_view(order.client_id(), view);
            }
        }
        let deadline = tokio::time::Instant::now() + venue.settle_wait;
        let mut handled = 0;
        loop {
            handled += self.deliver_ready(ts).await?;
            if self.unsettled().is_empty() {
                return Ok(handled);
            }
            match tokio::time::timeout_at(deadline, self.inbox.recv()).await {
                Ok(Some(input)) => self.take(input),
                Ok(None) | Err(_) => break,
            }
        }
        for order in self.unsettled() {
            self.ask_exchange(&order).await?;
        }
        handled += self.deliver_ready(ts).await?;
        let left = self.unsettled();
        if let Some(order) = left.first() {
            return Err(unsettled(
                &bot,
                format!(
                    "order {} ({:?} here) does not agree with the exchange after asking it directly",
                    order.client_id(),
                    order.status
                ),
            ));
        }
        Ok(handled)
    }

    /// An input that arrived while settling: order news go to the feed, the rest waits.
    pub(super) fn take(&mut self, input: BotInput) {
        match (&mut self.venue, input) {
            (Venue::Live(venue), BotInput::Order(update)) => venue.on_order(&update),
            (Venue::Live(venue), BotInput::Deal(deal)) => venue.on_deal(&deal),
            (_, other) => self.backlog.push_back(other),
        }
    }

    fn working_orders(&self) -> Vec<Order> {
        self.engine
            .open_orders()
            .values()
            .filter(|o| o.status.is_open())
            .cloned()
            .collect()
    }

    fn unsettled(&self) -> Vec<Order> {
        let Venue::Live(venue) = &self.venue else {
            return Vec::new();
        };
        self.working_orders()
            .into_iter()
            .filter(|o| !venue.feed.settled(o))
            .collect()
    }

    /// Hands over every report the feed owes the engine, stamped `ts` (or the engine's
    /// clock if later), until none is left.
    async fn deliver_ready(&mut self, ts: Timestamp) -> Result<usize, RunnerError> {
        let mut handled = 0;
        // Each round hands over at least one report; an order has finitely many.
        for _ in 0..10_000 {
            let stamp = ts.max(self.clock);
            let reports: Vec<OrderReport> = match &self.venue {
                Venue::Live(venue) => self
                    .working_orders()
                    .iter()
                    .flat_map(|o| venue.feed.ready(o, |_| stamp))
                    .collect(),
                Venue::Paper(_) => Vec::new(),
            };
            let Some(report) = reports.into_iter().next() else {
                break;
            };
            handled += self.deliver(Event::Order(report)).await?;
        }
        let closed: Vec<ClientOrderId> = self
            .engine
            .open_orders()
            .values()
            .filter(|o| o.status.is_terminal())
            .map(|o| o.client_id().clone())
            .collect();
        if let Venue::Live(venue) = &mut self.venue {
            for id in closed {
                venue.feed.forget(&id);
            }
        }
        Ok(handled)
    }

    /// Asks the exchange about one order directly: its status by client order id, and its
    /// trades when it filled more than the engine knows.
    async fn ask_exchange(&mut self, order: &Order) -> Result<(), RunnerError> {
        let bot = self.id.to_string();
        let Venue::Live(venue) = &mut self.venue else {
            return Ok(());
        };
        let symbol = order.request.symbol.as_str();
        let reference = OrderRef::ClientId(order.client_id().as_str().to_owned());
        match venue.rest.query_order(symbol, &reference).await {
            Ok(info) => {
                let view = view_of(&info);
                if view.cumulative > Some(order.filled_quantity) {
                    let trades = venue
                        .rest
                        .my_trades(symbol, Some(&info.order_id), None, None, 100)
                        .await
                        .map_err(|e| {
                            unsettled(
                                &bot,
                                format!(
                                    "asking for the trades of order {}: {e}",
                                    order.client_id()
                                ),
                            )
                        })?;
                    for trade in &trades {
                        venue.feed.on_fill(fill_of(trade, order)?);
                    }
                }
                venue.feed.on_view(order.client_id(), view);
                Ok(())
            }
            Err(e)
                if e.reject_kind() == Some(RejectKind::UnknownOrder)
                    && matches!(order.status, OrderStatus::Submitted | OrderStatus::Unknown) =>
            {
                // Not known to the exchange. A send still on its way could arrive within
                // recvWindow, so look once more after it (fault-tests case 5) before
                // closing the order as never sent; it is never sent again.
                tokio::time::sleep(venue.recv_window).await;
                match venue.rest.query_order(symbol, &reference).await {
                    Ok(info) => {
                        venue.feed.on_view(order.client_id(), view_of(&info));
                        return Ok(());
                    }
                    Err(again) if again.reject_kind() == Some(RejectKind::UnknownOrder) => {}
                    Err(again) => {
                        return Err(unsettled(
                            &bot,
                            format!("asking for order {}: {again}", order.client_id()),
                        ));
                    }
                }
                let report = OrderReport::Rejected {
                    client_id: order.client_id().clone(),
                    reason: format!(
                        "never reached the exchange (not found by its client order id): {e}"
                    ),
                    ts: self.clock,
                };
                self.deliver(Event::Order(report)).await.map(|_| ())
            }
            Err(e) => Err(unsettled(
                &bot,
                format!("asking for order {}: {e}", order.client_id()),
            )),
        }
    }
}

fn unsettled(bot: &str, reason: String) -> RunnerError {
    RunnerError::Unsettled {
        bot: bot.to_owned(),
        reason,
    }
}

/// What a REST answer says about an order.
fn view_of(info: &OrderInfo) -> ExchangeView {
    let state = match info.status {
        WireOrderStatus::New | WireOrderStatus::PartiallyFilled => ExchangeState::Open,
        WireOrderStatus::Filled => ExchangeState::Filled,
        WireOrderStatus::Canceled | WireOrderStatus::PartiallyCanceled => ExchangeState::Ended,
    };
    ExchangeView {
        state,
        cumulative: Some(info.executed_qty),
        exchange_id: Some(info.order_id.clone()),
    }
}

/// One of `order`'s trades as a fill.
fn fill_of(trade: &AccountTrade, order: &Order) -> Result<Fill, RunnerError> {
    let fee_asset =
        Asset::new(trade.commission_asset.clone()).map_err(|e| RunnerError::Unsettled {
            bot: String::new(),
            reason: format!("trade {}: commission asset: {e}", trade.id),
        })?;
    Ok(Fill {
        client_id: order.client_id().clone(),
        trade_id: trade.id.clone(),
        symbol: order.request.symbol.clone(),
        side: if trade.is_buyer {
            Side::Buy
        } else {
            Side::Sell
        },
        price: trade.price,
        quantity: trade.qty,
        fee: trade.commission,
        fee_asset,
        is_maker: trade.is_maker,
        ts: Timestamp(trade.time),
    })
}
