//! From what the exchange says about a bot's orders (user-stream pushes, REST answers) to
//! the reports its engine receives, in an order the engine's state machine accepts.
//!
//! MEXC tells about one fill twice and in no fixed order: the trade (`private.deals`, or
//! `myTrades`) and the order's new status with its cumulative quantity (`private.orders`,
//! or `GET order`). A fill is handed to the engine once the exchange's cumulative quantity
//! covers it, and it is the last one (`partial = false`) when the order is then filled. A
//! cancel is handed over only after every fill before it. An order the exchange ended
//! without being asked to is `Expired` (an IOC or FOK remainder, a market order with
//! nothing left to buy), as the backtester's simulated exchange reports it.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use vela_core::engine::OrderReport;
use vela_core::types::{ClientOrderId, Fill, Order, OrderStatus, Timestamp};

/// Where the exchange says an order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeState {
    /// Working (possibly partly filled).
    Open,
    /// Completely filled.
    Filled,
    /// Ended before filling completely (canceled, expired).
    Ended,
    /// No longer among the open orders; how it ended is not known yet.
    Closed,
}

/// The exchange's latest word on one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeView {
    /// Where it is.
    pub state: ExchangeState,
    /// Base quantity filled so far (`None` when not known, e.g. [`ExchangeState::Closed`]).
    pub cumulative: Option<Decimal>,
    /// MEXC's order id, when known.
    pub exchange_id: Option<String>,
}

/// Fills and statuses received for a bot's orders, not yet handed to its engine.
#[derive(Debug, Clone, Default)]
pub struct OrderFeed {
    fills: BTreeMap<ClientOrderId, Vec<Fill>>,
    views: BTreeMap<ClientOrderId, ExchangeView>,
    cancel_requested: BTreeSet<ClientOrderId>,
}

impl OrderFeed {
    /// An empty feed.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A fill was reported (kept until the exchange's cumulative quantity covers it; the
    /// same trade again is ignored).
    pub fn on_fill(&mut self, fill: Fill) {
        let fills = self.fills.entry(fill.client_id.clone()).or_default();
        if !fills.iter().any(|f| f.trade_id == fill.trade_id) {
            fills.push(fill);
        }
    }

    /// The exchange reported where an order is. A view never goes back: a terminal state
    /// stays, and a smaller cumulative quantity than known is ignored.
    pub fn on_view(&mut self, client_id: &ClientOrderId, view: ExchangeView) {
        match self.views.get_mut(client_id) {
            None => {
                self.views.insert(client_id.clone(), view);
            }
            Some(known) => {
                let terminal =
                    |s: ExchangeState| matches!(s, ExchangeState::Filled | ExchangeState::Ended);
                if terminal(known.state) && !terminal(view.state) {
                    return;
                }
                if let (Some(old), Some(new)) = (known.cumulative, view.cumulative)
                    && new < old
                {
                    return;
                }
                let exchange_id = view
                    .exchange_id
                    .clone()
                    .or_else(|| known.exchange_id.take());
                let cumulative = view.cumulative.or(known.cumulative);
                let state =
                    if known.state == ExchangeState::Closed && view.state == ExchangeState::Open {
                        ExchangeState::Closed
                    } else {
                        view.state
                    };
                *known = ExchangeView {
                    state,
                    cumulative,
                    exchange_id,
                };
            }
        }
    }

    /// The bot asked to cancel the order: an end reported afterwards is `Canceled`, not
    /// `Expired`.
    pub fn on_cancel_requested(&mut self, client_id: &ClientOrderId) {
        self.cancel_requested.insert(client_id.clone());
    }

    /// The exchange's view of an order, if any came.
    #[must_use]
    pub fn view(&self, client_id: &ClientOrderId) -> Option<&ExchangeView> {
        self.views.get(client_id)
    }

    /// The reports `order` (the engine's copy) is owed now, stamped by `stamp` (which gets
    /// the exchange's time of a fill, or `None`). The engine's order moves only when they
    /// are delivered, so call again after delivering them.
    pub fn ready(
        &self,
        order: &Order,
        stamp: impl Fn(Option<Timestamp>) -> Timestamp,
    ) -> Vec<OrderReport> {
        let mut out = Vec::new();
        if order.status.is_terminal() {
            return out;
        }
        let client_id = order.client_id();
        let Some(view) = self.views.get(client_id) else {
            return out;
        };
        if matches!(
            order.status,
            OrderStatus::Submitted | OrderStatus::Unknown | OrderStatus::PendingSend
        ) && view.state != ExchangeState::Closed
        {
            out.push(OrderReport::Accepted {
                client_id: client_id.clone(),
                exchange_id: view.exchange_id.clone(),
                ts: stamp(None),
            });
        }
        let Some(cumulative) = view.cumulative else {
            return out;
        };
        let mut filled = order.filled_quantity;
        if let Some(fills) = self.fills.get(client_id) {
            for fill in fills {
                if order.has_trade(&fill.trade_id) {
                    continue;
                }
                let after = filled + fill.quantity;
                if after > cumulative {
                    continue;
                }
                filled = after;
                let complete = view.state == ExchangeState::Filled && after == cumulative;
                let mut fill = fill.clone();
                fill.ts = stamp(Some(fill.ts));
                out.push(OrderReport::Filled {
                    fill,
                    partial: !complete,
                });
            }
        }
        if view.state == ExchangeState::Ended && filled == cumulative {
            let ts = stamp(None);
            out.push(if self.cancel_requested.contains(client_id) {
                OrderReport::Canceled {
                    client_id: client_id.clone(),
                    ts,
                }
            } else {
                OrderReport::Expired {
                    client_id: client_id.clone(),
                    ts,
                }
            });
        }
        out
    }

    /// Whether everything the exchange said about `order` has reached it: the engine's copy
    /// is terminal, or the exchange has it open with exactly the engine's filled quantity.
    #[must_use]
    pub fn settled(&self, order: &Order) -> bool {
        if order.status.is_terminal() {
            return true;
        }
        self.views.get(order.client_id()).is_some_and(|view| {
            view.state == ExchangeState::Open
                && view.cumulative == Some(order.filled_quantity)
                && !matches!(order.status, OrderStatus::Submitted | OrderStatus::Unknown)
        })
    }

    /// Forgets what is kept for orders the engine has closed.
    pub fn forget(&mut self, client_id: &ClientOrderId) {
        self.fills.remove(client_id);
        self.views.remove(client_id);
        self.cancel_requested.remove(client_id);
    }
}
