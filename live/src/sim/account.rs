//! One simulated account: balances (free and locked per asset), its orders as MEXC reports
//! them, its trades, and the simulated exchange that matches its orders.
//!
//! Funds are locked when an order is accepted — a buy locks its quote cost plus the taker
//! fee, a sell its base quantity — and released as it fills or ends, as MEXC does. A market
//! buy sized in base cannot know its price in advance: it locks the quantity at the last
//! close plus [`MARKET_BUY_BUFFER`] and releases what the fill did not use.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use vela_core::engine::OrderReport;
use vela_core::sim::SimExchange;
use vela_core::types::{Fill, Instrument, OrderAmount, OrderRequest, OrderType, Side, Symbol};

use super::outgoing::{BalanceUpdate, FillUpdate, OrderUpdate, Outgoing};
use crate::rest::model::WireOrderStatus;

/// Share added to the last close when locking funds for a market buy sized in base (10 %).
pub const MARKET_BUY_BUFFER: Decimal = Decimal::from_parts(11, 0, 0, false, 1);

/// Free and locked amounts of one asset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holding {
    /// Available.
    pub free: Decimal,
    /// Held by open orders.
    pub locked: Decimal,
}

/// An order as the simulator reports it over REST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    /// MEXC order id (`SIM-<n>`).
    pub order_id: String,
    /// Client order id.
    pub client_order_id: String,
    /// The request as placed.
    pub request: OrderRequest,
    /// Quantity filled.
    pub executed_qty: Decimal,
    /// Quote value filled.
    pub cumulative_quote: Decimal,
    /// Status.
    pub status: WireOrderStatus,
    /// Creation time (market clock), ms.
    pub time: i64,
    /// Last change (market clock), ms.
    pub update_time: i64,
    /// The asset locked for it and how much of it is still locked.
    pub lock: (String, Decimal),
    /// The instrument's base asset.
    pub base: String,
    /// The instrument's quote asset.
    pub quote: String,
}

/// One of the account's trades.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeRecord {
    /// The fill.
    pub fill: Fill,
    /// The order's MEXC id.
    pub order_id: String,
}

/// A simulated account.
#[derive(Debug, Clone)]
pub struct Account {
    api_key: String,
    secret: String,
    holdings: BTreeMap<String, Holding>,
    exchange: SimExchange,
    orders: BTreeMap<String, OrderRecord>,
    by_client_id: BTreeMap<String, String>,
    trades: Vec<TradeRecord>,
}

/// Why an order was refused: HTTP status, MEXC code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// MEXC code.
    pub code: i64,
    /// MEXC message.
    pub msg: String,
}

impl ApiError {
    /// A 400 with `code` and `msg`.
    #[must_use]
    pub fn bad_request(code: i64, msg: impl Into<String>) -> Self {
        Self {
            status: 400,
            code,
            msg: msg.into(),
        }
    }
}

impl Account {
    /// An account with `balances` (all free), matching through `exchange`.
    #[must_use]
    pub fn new(
        api_key: String,
        secret: String,
        balances: &[(String, Decimal)],
        exchange: SimExchange,
    ) -> Self {
        let holdings = balances
            .iter()
            .map(|(asset, free)| {
                (
                    asset.clone(),
                    Holding {
                        free: *free,
                        locked: Decimal::ZERO,
                    },
                )
            })
            .collect();
        Self {
            api_key,
            secret,
            holdings,
            exchange,
            orders: BTreeMap::new(),
            by_client_id: BTreeMap::new(),
            trades: Vec::new(),
        }
    }

    /// The API secret (to check signatures).
    #[must_use]
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// Balances by asset.
    #[must_use]
    pub fn holdings(&self) -> &BTreeMap<String, Holding> {
        &self.holdings
    }

    /// Orders by MEXC id.
    #[must_use]
    pub fn orders(&self) -> &BTreeMap<String, OrderRecord> {
        &self.orders
    }

    /// The order with this MEXC id or client order id.
    #[must_use]
    pub fn find(&self, order_id: Option<&str>, client_id: Option<&str>) -> Option<&OrderRecord> {
        match (order_id, client_id) {
            (Some(id), _) => self.orders.get(id),
            (None, Some(client)) => self
                .by_client_id
                .get(client)
                .and_then(|id| self.orders.get(id)),
            (None, None) => None,
        }
    }

    /// Trades, oldest first.
    #[must_use]
    pub fn trades(&self) -> &[TradeRecord] {
        &self.trades
    }

    /// Places `request` at market time `now_ms` (`last_close`: the symbol's last price,
    /// for locking a market buy sized in base). Returns the record, or MEXC's refusal.
    pub fn place(
        &mut self,
        request: OrderRequest,
        instrument: &Instrument,
        last_close: Option<f64>,
        now_ms: i64,
        out: &mut Vec<Outgoing>,
    ) -> Result<OrderRecord, ApiError> {
        let client = request.client_id.as_str().to_owned();
        if self.by_client_id.contains_key(&client) {
            // MEXC refuses a client order id it has seen (reference: unique ids).
            return Err(ApiError::bad_request(
                33333,
                format!("Parameter error: duplicate newClientOrderId {client}"),
            ));
        }
        let (asset, amount) = lock_for(&request, instrument, last_close)?;
        let holding = self.holdings.entry(asset.clone()).or_default();
        if holding.free < amount {
            return Err(ApiError::bad_request(
                30004,
                format!(
                    "Insufficient position: {amount} {asset} needed, {} free",
                    holding.free
                ),
            ));
        }
        let mut reports = Vec::new();
        self.exchange.on_command(
            &vela_core::engine::Command::Submit(request.clone()),
            request.ts,
            &mut reports,
        );
        let Some(first) = reports.first() else {
            return Err(ApiError {
                status: 500,
                code: -1,
                msg: "the simulated exchange gave no answer".to_owned(),
            });
        };
        let order_id = match first {
            OrderReport::Accepted { exchange_id, .. } => exchange_id
                .clone()
                .unwrap_or_else(|| format!("SIM-{client}")),
            OrderReport::Rejected { reason, .. } => return Err(reject_from_reason(reason)),
            other => {
                return Err(ApiError {
                    status: 500,
                    code: -1,
                    msg: format!("the simulated exchange answered {other:?}"),
                });
            }
        };
        let holding = self.holdings.entry(asset.clone()).or_default();
        holding.free -= amount;
        holding.locked += amount;
        let record = OrderRecord {
            order_id: order_id.clone(),
            client_order_id: client.clone(),
            request,
            executed_qty: Decimal::ZERO,
            cumulative_quote: Decimal::ZERO,
            status: WireOrderStatus::New,
            time: now_ms,
            update_time: now_ms,
            lock: (asset.clone(), amount),
            base: instrument.base.as_str().to_owned(),
            quote: instrument.quote.as_str().to_owned(),
        };
        self.by_client_id.insert(client, order_id.clone());
        self.orders.insert(order_id, record.clone());
        self.push_balance(
            &asset,
            Decimal::ZERO - amount,
            amount,
            "ENTRUST_PLACE",
            now_ms,
            out,
        );
        out.push(Outgoing::Order {
            api_key: self.api_key.clone(),
            update: order_update(&record, None, false),
        });
        self.apply(&reports[1..], out);
        Ok(self.orders.get(&record.order_id).cloned().unwrap_or(record))
    }

    /// Cancels the order named by `order_id` or `client_id` of `symbol`.
    pub fn cancel(
        &mut self,
        symbol: &Symbol,
        order_id: Option<&str>,
        client_id: Option<&str>,
        now_ms: i64,
        out: &mut Vec<Outgoing>,
    ) -> Result<OrderRecord, ApiError> {
        let record = self
            .find(order_id, client_id)
            .filter(|r| &r.request.symbol == symbol)
            .ok_or_else(|| ApiError::bad_request(-2011, "Unknown order sent."))?;
        if !record.status.is_open() {
            return Err(ApiError::bad_request(-2011, "Unknown order sent."));
        }
        let command = vela_core::engine::Command::Cancel {
            symbol: symbol.clone(),
            client_id: record.request.client_id.clone(),
        };
        let order_id = record.order_id.clone();
        let mut reports = Vec::new();
        self.exchange
            .on_command(&command, vela_core::types::Timestamp(now_ms), &mut reports);
        self.apply(&reports, out);
        self.orders
            .get(&order_id)
            .cloned()
            .ok_or_else(|| ApiError::bad_request(-2011, "Unknown order sent."))
    }

    /// Matches the open orders of `symbol` against a completed `bar`.
    pub fn on_bar(
        &mut self,
        symbol: &Symbol,
        bar: &vela_core::types::Bar,
        out: &mut Vec<Outgoing>,
    ) -> Result<(), String> {
        let mut reports = Vec::new();
        self.exchange
            .on_bar(symbol, bar, &mut reports)
            .map_err(|e| e.to_string())?;
        self.apply(&reports, out);
        Ok(())
    }

    /// Applies the exchange's reports to orders and balances.
    fn apply(&mut self, reports: &[OrderReport], out: &mut Vec<Outgoing>) {
        for report in reports {
            let Some(order_id) = self.by_client_id.get(report.client_id().as_str()).cloned() else {
                continue;
            };
            match report {
                OrderReport::Filled { fill, partial } => {
                    self.on_fill(&order_id, fill, *partial, out);
                }
                OrderReport::Canceled { ts, .. } | OrderReport::Expired { ts, .. } => {
                    self.end(&order_id, ts.millis(), "ENTRUST_CANCEL", out);
                }
                _ => {}
            }
        }
    }

    fn on_fill(&mut self, order_id: &str, fill: &Fill, partial: bool, out: &mut Vec<Outgoing>) {
        let Some(record) = self.orders.get_mut(order_id) else {
            return;
        };
        let notional = fill.notional();
        let now = fill.ts.millis();
        record.executed_qty += fill.quantity;
        record.cumulative_quote += notional;
        record.update_time = now;
        record.status = if partial {
            WireOrderStatus::PartiallyFilled
        } else {
            WireOrderStatus::Filled
        };
        let symbol = record.request.symbol.clone();
        let lock_asset = record.lock.0.clone();
        // What the fill consumes of the lock: the quote cost (plus a quote fee) of a buy,
        // the base quantity of a sell.
        let fee_in_lock = fill.fee_asset.as_str() == lock_asset;
        let used = match fill.side {
            Side::Buy => notional + if fee_in_lock { fill.fee } else { Decimal::ZERO },
            Side::Sell => fill.quantity + if fee_in_lock { fill.fee } else { Decimal::ZERO },
        };
        let from_lock = used.min(record.lock.1);
        record.lock.1 -= from_lock;
        let from_free = used - from_lock;
        let snapshot = record.clone();
        let (received_asset, received) = match fill.side {
            Side::Buy => (snapshot.base.clone(), fill.quantity),
            Side::Sell => (snapshot.quote.clone(), notional),
        };
        let received_net = if fill.fee_asset.as_str() == received_asset {
            received - fill.fee
        } else {
            received
        };
        if !fee_in_lock && fill.fee_asset.as_str() != received_asset && !fill.fee.is_zero() {
            let fee_holding = self
                .holdings
                .entry(fill.fee_asset.as_str().to_owned())
                .or_default();
            fee_holding.free -= fill.fee;
        }
        {
            let holding = self.holdings.entry(lock_asset.clone()).or_default();
            holding.locked -= from_lock;
            holding.free -= from_free;
        }
        self.push_balance(
            &lock_asset,
            Decimal::ZERO - from_free,
            Decimal::ZERO - from_lock,
            "ENTRUST",
            now,
            out,
        );
        self.holdings
            .entry(received_asset.clone())
            .or_default()
            .free += received_net;
        self.push_balance(
            &received_asset,
            received_net,
            Decimal::ZERO,
            "ENTRUST",
            now,
            out,
        );
        self.trades.push(TradeRecord {
            fill: fill.clone(),
            order_id: order_id.to_owned(),
        });
        out.push(Outgoing::Fill {
            api_key: self.api_key.clone(),
            fill: FillUpdate {
                symbol,
                price: fill.price,
                quantity: fill.quantity,
                amount: notional,
                side: fill.side,
                is_maker: fill.is_maker,
                trade_id: fill.trade_id.clone(),
                client_order_id: snapshot.client_order_id.clone(),
                order_id: order_id.to_owned(),
                fee_amount: fill.fee,
                fee_currency: fill.fee_asset.as_str().to_owned(),
                time: now,
            },
        });
        out.push(Outgoing::Order {
            api_key: self.api_key.clone(),
            update: order_update(&snapshot, Some(fill.quantity), fill.is_maker),
        });
        if !partial {
            self.release(order_id, now, "ENTRUST_UNFROZEN", out);
        }
    }

    /// An order ended without filling completely: canceled or expired.
    fn end(&mut self, order_id: &str, now: i64, kind: &'static str, out: &mut Vec<Outgoing>) {
        let Some(record) = self.orders.get_mut(order_id) else {
            return;
        };
        record.status = if record.executed_qty.is_zero() {
            WireOrderStatus::Canceled
        } else {
            WireOrderStatus::PartiallyCanceled
        };
        record.update_time = now;
        let snapshot = record.clone();
        out.push(Outgoing::Order {
            api_key: self.api_key.clone(),
            update: order_update(&snapshot, None, false),
        });
        self.release(order_id, now, kind, out);
    }

    /// Returns what is still locked for the order to the free balance.
    fn release(&mut self, order_id: &str, now: i64, kind: &'static str, out: &mut Vec<Outgoing>) {
        let Some(record) = self.orders.get_mut(order_id) else {
            return;
        };
        let (asset, left) = (record.lock.0.clone(), record.lock.1);
        record.lock.1 = Decimal::ZERO;
        if left.is_zero() {
            return;
        }
        let holding = self.holdings.entry(asset.clone()).or_default();
        holding.locked -= left;
        holding.free += left;
        self.push_balance(&asset, left, Decimal::ZERO - left, kind, now, out);
    }

    fn push_balance(
        &self,
        asset: &str,
        free_change: Decimal,
        locked_change: Decimal,
        kind: &'static str,
        now: i64,
        out: &mut Vec<Outgoing>,
    ) {
        let holding = self.holdings.get(asset).copied().unwrap_or_default();
        out.push(Outgoing::Balance {
            api_key: self.api_key.clone(),
            update: BalanceUpdate {
                asset: asset.to_owned(),
                free: holding.free,
                free_change,
                locked: holding.locked,
                locked_change,
                kind,
                time: now,
            },
        });
    }
}

/// What accepting `request` locks: `(asset, amount)`.
fn lock_for(
    request: &OrderRequest,
    instrument: &Instrument,
    last_close: Option<f64>,
) -> Result<(String, Decimal), ApiError> {
    let fee = Decimal::ONE + instrument.taker_fee.max(instrument.maker_fee);
    match (request.side, request.amount) {
        (Side::Sell, OrderAmount::Base(quantity)) => {
            Ok((instrument.base.as_str().to_owned(), quantity))
        }
        (Side::Sell, OrderAmount::Quote(_)) => Err(ApiError::bad_request(
            33333,
            "Parameter error: a SELL takes a quantity",
        )),
        (Side::Buy, OrderAmount::Quote(amount)) => {
            Ok((instrument.quote.as_str().to_owned(), amount * fee))
        }
        (Side::Buy, OrderAmount::Base(quantity)) => {
            let price = match (request.order_type, request.price) {
                (OrderType::Market, _) => {
                    let last = last_close
                        .and_then(Decimal::from_f64_retain)
                        .ok_or_else(|| ApiError::bad_request(30010, "No valid trade price"))?;
                    last * MARKET_BUY_BUFFER
                }
                (_, Some(price)) => price,
                (_, None) => {
                    return Err(ApiError::bad_request(
                        44444,
                        "Parameter error: price is null",
                    ));
                }
            };
            Ok((
                instrument.quote.as_str().to_owned(),
                (quantity * price * fee).round_dp(18),
            ))
        }
    }
}

/// MEXC's error from the simulated exchange's `<code> <rule>: <detail>` reason.
fn reject_from_reason(reason: &str) -> ApiError {
    let (code, rest) = reason.split_once(' ').unwrap_or(("-1", reason));
    ApiError::bad_request(code.parse().unwrap_or(-1), rest.to_owned())
}

/// The private order update for `record`.
#[must_use]
pub fn order_update(
    record: &OrderRecord,
    last_deal: Option<Decimal>,
    is_maker: bool,
) -> OrderUpdate {
    let request = &record.request;
    let (quantity, amount) = match request.amount {
        OrderAmount::Base(q) => (q, request.price.map_or(Decimal::ZERO, |p| p * q)),
        OrderAmount::Quote(a) => (Decimal::ZERO, a),
    };
    let avg_price = if record.executed_qty.is_zero() {
        Decimal::ZERO
    } else {
        (record.cumulative_quote / record.executed_qty).round_dp(18)
    };
    OrderUpdate {
        symbol: request.symbol.clone(),
        order_id: record.order_id.clone(),
        client_order_id: record.client_order_id.clone(),
        price: request.price.unwrap_or(Decimal::ZERO),
        quantity,
        amount,
        avg_price,
        order_type: match request.order_type {
            OrderType::Limit => 1,
            OrderType::LimitMaker => 2,
            OrderType::ImmediateOrCancel => 3,
            OrderType::FillOrKill => 4,
            OrderType::Market => 5,
        },
        side: request.side,
        is_maker,
        remain_quantity: (quantity - record.executed_qty).max(Decimal::ZERO),
        remain_amount: (amount - record.cumulative_quote).max(Decimal::ZERO),
        last_deal_quantity: last_deal,
        cumulative_quantity: record.executed_qty,
        cumulative_amount: record.cumulative_quote,
        status: match record.status {
            WireOrderStatus::New => 1,
            WireOrderStatus::Filled => 2,
            WireOrderStatus::PartiallyFilled => 3,
            WireOrderStatus::Canceled => 4,
            WireOrderStatus::PartiallyCanceled => 5,
        },
        create_time: record.time,
    }
}
