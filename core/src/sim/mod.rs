//! The simulated exchange: a pure, deterministic matching engine for orders against bars,
//! with MEXC's fees, precision and minimums (DESIGN.md §2). The backtester's event tier,
//! paper trading and `vela sim` share this one implementation.
//!
//! It is sans-IO and has no clock: the driver hands it bars ([`SimExchange::on_bar`]) and
//! the engine's commands ([`SimExchange::on_command`]) and gets [`OrderReport`]s back, to
//! deliver to the engine. Times come from the bars and the commands' events.
//!
//! # The driver's part
//!
//! For each bar time, per symbol: `on_bar` first (it fills the orders already working
//! against the new bar, stamped with the bar's time), then the reports go to the engine,
//! then the bar itself; every command the engine returns goes to `on_command` (with the
//! time of the event that caused it) and its reports back to the engine. The exchange
//! answers a `Submit` with `Accepted` or `Rejected`; the driver sends the engine
//! `Submitted` before those, as it would when handing an order to MEXC.
//!
//! # Rules
//!
//! **Arrival.** An accepted order reaches the book at its *arrival price*: with
//! [`FillTiming::NextOpen`] (the default) the open of the symbol's next bar, with
//! [`FillTiming::ThisClose`] the close of the bar being handled (an order submitted before
//! the symbol's first bar waits for that bar's close). On arrival:
//! - a market order takes at the arrival price, slipped against the trader
//!   (`× (1 ± bps/10⁴)`) and rounded to the tick; a quote-amount order buys the whole
//!   quantity steps its amount pays for (`floor_step(amount / price)`);
//! - a limit order that is marketable at the arrival price (buy: price ≤ limit; sell:
//!   price ≥ limit) takes the same way, never at a price worse than its limit; a post-only
//!   (`LimitMaker`) order that would take expires instead; IOC and FOK orders expire
//!   (FOK: unless the whole quantity fills at once);
//! - any other limit order rests on the book at its price.
//!
//! All of these are taker fills (taker fee).
//!
//! **Limit touched.** A resting limit order fills at its own price, as maker (maker fee,
//! no slippage), on a bar that trades *through* it: `low < limit` for a buy, `high > limit`
//! for a sell. A bar that only reaches the price (`low == limit`) does not fill it by
//! default, since the orders queued ahead at that price may have taken all the volume
//! traded there; [`TouchRule::Touch`] fills on touch. A bar that gaps past the limit also
//! fills at the limit (the price went through it), never at the better open. With
//! `NextOpen`, an order resting from its arrival at a bar's open is matched against the
//! rest of that bar; with `ThisClose`, from the next bar on.
//!
//! **Order within a bar.** `NextOpen`: first the orders taking at the open (in arrival
//! order), then the resting orders the bar reaches. `ThisClose`: resting orders first, then
//! the orders taking at the close.
//!
//! **Volume cap.** With [`SimConfig::volume_cap`] a share `c`, one order fills at most
//! `floor_step(c × bar volume)` on one bar, counting every fill it had on that bar. The rest
//! keeps working: a resting order stays at its price; a market order (or a marketable
//! limit's taker part, which then rests at its limit) takes again at the next bar's arrival
//! price (open or close). A quote-amount order whose remaining amount no longer buys one
//! quantity step ends as `Expired`. Each fill but the last is reported `partial`.
//!
//! **Fees and checks.** See [`rules`]: fees maker/taker on the notional in quote (or
//! base on buys with [`FeeAsset::Received`]); orders breaking precision, minimums or
//! parameters are `Rejected` with MEXC's code and the rule's name.
//!
//! **Ids.** Exchange order ids are `SIM-<n>` and trade ids `SIMT-<n>`, counted from 1 per
//! exchange in the order they happen, so the same run gives the same ids.
//!
//! **Cancel.** `Cancel` and `CancelAll` remove working orders (pending ones included, which
//! then never trade) and report `Canceled`; a cancel of an order the exchange does not hold
//! (already filled or never known; MEXC's -2011) has no report and is counted in
//! [`SimExchange::unknown_cancels`].
//!
//! The exchange does not track the account's balances: the engine's wallet reserves funds
//! before it submits, so a backtest never sends an order it cannot pay for.

pub mod book;
pub mod config;
mod fill;
pub mod rules;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use rust_decimal::Decimal;

pub use book::{SimOrder, Stage};
pub use config::{FeeAsset, FillTiming, SimConfig, SimError, TouchRule};
pub use rules::Reject;

use crate::engine::{Command, OrderReport};
use crate::types::{Bar, ClientOrderId, Fill, Instrument, OrderType, Symbol, Timestamp};
use book::Book;

/// The simulated exchange. See the [module docs](self) for its rules.
#[derive(Debug, Clone)]
pub struct SimExchange {
    config: SimConfig,
    instruments: BTreeMap<Symbol, Instrument>,
    book: Book,
    bars: BTreeMap<Symbol, Bar>,
    orders: u64,
    trades: u64,
    unknown_cancels: u64,
}

impl SimExchange {
    /// An exchange listing `instruments`, filling as `config` says.
    pub fn new(
        config: SimConfig,
        instruments: impl IntoIterator<Item = Instrument>,
    ) -> Result<Self, SimError> {
        config.validate()?;
        let mut listed = BTreeMap::new();
        for instrument in instruments {
            instrument.validate()?;
            let symbol = instrument.symbol.clone();
            if listed.insert(symbol.clone(), instrument).is_some() {
                return Err(SimError::DuplicateInstrument(symbol));
            }
        }
        Ok(Self {
            config,
            instruments: listed,
            book: Book::default(),
            bars: BTreeMap::new(),
            orders: 0,
            trades: 0,
            unknown_cancels: 0,
        })
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The instrument listed as `symbol`.
    #[must_use]
    pub fn instrument(&self, symbol: &Symbol) -> Option<&Instrument> {
        self.instruments.get(symbol)
    }

    /// The working orders, in arrival order.
    pub fn open_orders(&self) -> impl Iterator<Item = &SimOrder> {
        self.book.iter()
    }

    /// The working order `client_id`, if it is open.
    #[must_use]
    pub fn order(&self, client_id: &ClientOrderId) -> Option<&SimOrder> {
        self.book.get(client_id)
    }

    /// The last bar seen of `symbol`.
    #[must_use]
    pub fn last_bar(&self, symbol: &Symbol) -> Option<&Bar> {
        self.bars.get(symbol)
    }

    /// Orders accepted so far.
    #[must_use]
    pub fn orders_accepted(&self) -> u64 {
        self.orders
    }

    /// Fills made so far.
    #[must_use]
    pub fn fills(&self) -> u64 {
        self.trades
    }

    /// Cancels of orders the exchange did not hold (no report was sent for them).
    #[must_use]
    pub fn unknown_cancels(&self) -> u64 {
        self.unknown_cancels
    }

    /// A new bar of `symbol`: fills the working orders it reaches (reports stamped with the
    /// bar's time, appended to `out`). Bars of one symbol must come in time order.
    pub fn on_bar(
        &mut self,
        symbol: &Symbol,
        bar: &Bar,
        out: &mut Vec<OrderReport>,
    ) -> Result<(), SimError> {
        // One search per bar: a symbol with a last bar is listed.
        let last = self.bars.get_mut(symbol);
        if last.is_none() && !self.instruments.contains_key(symbol) {
            return Err(SimError::UnknownSymbol(symbol.clone()));
        }
        bar.validate().map_err(|error| SimError::InvalidBar {
            symbol: symbol.clone(),
            error,
        })?;
        match last {
            Some(last) if last.ts >= bar.ts => {
                return Err(SimError::OutOfOrder {
                    symbol: symbol.clone(),
                    last: last.ts,
                    got: bar.ts,
                });
            }
            Some(last) => *last = *bar,
            None => {
                self.bars.insert(symbol.clone(), *bar);
            }
        }
        if self.book.len() == 0 {
            return Ok(());
        }
        match self.config.timing {
            FillTiming::NextOpen => {
                self.take_or_arrive(symbol, bar, bar.open, out);
                self.match_resting(symbol, bar, out);
            }
            FillTiming::ThisClose => {
                self.match_resting(symbol, bar, out);
                self.take_or_arrive(symbol, bar, bar.close, out);
            }
        }
        Ok(())
    }

    /// Carries out one of the engine's commands; `ts` is the time of the event that caused
    /// it. Commands other than `Submit`, `Cancel` and `CancelAll` are not for the exchange.
    pub fn on_command(&mut self, command: &Command, ts: Timestamp, out: &mut Vec<OrderReport>) {
        match command {
            Command::Submit(request) => {
                let client_id = request.client_id.clone();
                let checked = if self.book.get(&client_id).is_some() {
                    Err(Reject {
                        code: 33333,
                        rule: "duplicate_client_id",
                        detail: format!("an open order already has client id {client_id}"),
                    })
                } else {
                    let last = self.bars.get(&request.symbol).map(|b| b.close);
                    rules::check_order(self.instruments.get(&request.symbol), request, last)
                };
                if let Err(reject) = checked {
                    out.push(OrderReport::Rejected {
                        client_id,
                        reason: reject.reason(),
                        ts,
                    });
                    return;
                }
                self.orders += 1;
                let order = SimOrder::new(self.orders, request.clone());
                out.push(OrderReport::Accepted {
                    client_id,
                    exchange_id: Some(order.exchange_id.clone()),
                    ts,
                });
                self.book.push(order);
                if self.config.timing == FillTiming::ThisClose
                    && let Some(bar) = self.bars.get(&request.symbol).copied()
                {
                    self.arrive(self.book.len() - 1, &bar, bar.close, ts, out);
                }
            }
            Command::Cancel { client_id, .. } => match self.book.position(client_id) {
                Some(index) => {
                    self.book.remove(index);
                    out.push(OrderReport::Canceled {
                        client_id: client_id.clone(),
                        ts,
                    });
                }
                None => self.unknown_cancels += 1,
            },
            Command::CancelAll { symbol } => {
                for client_id in self.book.ids(symbol, None) {
                    if let Some(index) = self.book.position(&client_id) {
                        self.book.remove(index);
                        out.push(OrderReport::Canceled { client_id, ts });
                    }
                }
            }
            _ => {}
        }
    }

    /// Orders of `symbol` taking at `price` (left over by the cap) or arriving there.
    fn take_or_arrive(
        &mut self,
        symbol: &Symbol,
        bar: &Bar,
        price: f64,
        out: &mut Vec<OrderReport>,
    ) {
        let ids: Vec<ClientOrderId> = self
            .book
            .iter()
            .filter(|o| o.symbol() == symbol && o.stage != Stage::Resting)
            .map(|o| o.client_id().clone())
            .collect();
        for id in ids {
            let Some(index) = self.book.position(&id) else {
                continue;
            };
            if self.book.at_mut(index).map(|o| o.stage) == Some(Stage::Taking) {
                self.take(index, bar, price, bar.ts, out);
            } else {
                self.arrive(index, bar, price, bar.ts, out);
            }
        }
    }

    /// Resting orders of `symbol` that `bar` reaches fill at their price, as maker.
    fn match_resting(&mut self, symbol: &Symbol, bar: &Bar, out: &mut Vec<OrderReport>) {
        for id in self.book.ids(symbol, Some(Stage::Resting)) {
            let Some(index) = self.book.position(&id) else {
                continue;
            };
            let Some(order) = self.book.at_mut(index) else {
                continue;
            };
            let Some(limit) = order.request.price else {
                continue;
            };
            if fill::reached(self.config.touch, order.request.side, limit, bar) {
                self.execute(index, bar, limit, true, bar.ts, out);
            }
        }
    }

    /// The order at `index` reaches the book at `price`.
    fn arrive(
        &mut self,
        index: usize,
        bar: &Bar,
        price: f64,
        ts: Timestamp,
        out: &mut Vec<OrderReport>,
    ) {
        let Some(order) = self.book.at_mut(index) else {
            return;
        };
        let order_type = order.request.order_type;
        let side = order.request.side;
        let Some(limit) = order.request.price else {
            order.stage = Stage::Taking;
            self.take(index, bar, price, ts, out);
            return;
        };
        if !fill::marketable(side, limit, price) {
            if order_type.can_rest() {
                order.stage = Stage::Resting;
            } else {
                self.expire(index, ts, out);
            }
            return;
        }
        if order_type == OrderType::LimitMaker {
            self.expire(index, ts, out);
            return;
        }
        if order_type == OrderType::FillOrKill && !self.fills_whole(index, bar, price) {
            self.expire(index, ts, out);
            return;
        }
        let open = self.take(index, bar, price, ts, out);
        if !open {
            return;
        }
        if order_type == OrderType::Limit {
            if let Some(order) = self.book.at_mut(index) {
                order.stage = Stage::Resting;
            }
        } else {
            self.expire(index, ts, out);
        }
    }

    /// Whether the order at `index` can fill its whole quantity at `price` on `bar`.
    fn fills_whole(&self, index: usize, bar: &Bar, price: f64) -> bool {
        let Some(order) = self.book.at(index) else {
            return false;
        };
        let Some(instrument) = self.instruments.get(order.symbol()) else {
            return false;
        };
        let Some(cap) = fill::volume_cap(&self.config, instrument, bar) else {
            return true;
        };
        let p = fill::taker_price(
            instrument,
            order.request.side,
            price,
            self.config.slippage_bps,
        );
        p.is_some_and(|p| order.wanted(p, instrument.quantity_precision) <= cap)
    }

    /// A taker fill of the order at `index` at the market price `price` (slipped, rounded,
    /// capped at its limit). Returns whether the order is still open.
    fn take(
        &mut self,
        index: usize,
        bar: &Bar,
        price: f64,
        ts: Timestamp,
        out: &mut Vec<OrderReport>,
    ) -> bool {
        let Some(order) = self.book.at_mut(index) else {
            return false;
        };
        let Some(instrument) = self.instruments.get(order.symbol()) else {
            return true;
        };
        let side = order.request.side;
        let Some(mut fill_price) =
            fill::taker_price(instrument, side, price, self.config.slippage_bps)
        else {
            return true;
        };
        if let Some(limit) = order.request.price {
            fill_price = fill::capped_at_limit(side, fill_price, limit);
        }
        self.execute(index, bar, fill_price, false, ts, out)
    }

    /// Fills the order at `index` at `price` as much as it wants and the cap allows.
    /// Returns whether the order is still open.
    fn execute(
        &mut self,
        index: usize,
        bar: &Bar,
        price: Decimal,
        maker: bool,
        ts: Timestamp,
        out: &mut Vec<OrderReport>,
    ) -> bool {
        let Some(order) = self.book.at_mut(index) else {
            return false;
        };
        let Some(instrument) = self.instruments.get(order.symbol()) else {
            return true;
        };
        let wanted = order.wanted(price, instrument.quantity_precision);
        if wanted <= Decimal::ZERO {
            // A quote amount too small for one more quantity step at this price.
            self.expire(index, ts, out);
            return false;
        }
        let quantity = match fill::volume_cap(&self.config, instrument, bar) {
            Some(cap) => order.cap_left(bar.ts, cap).min(wanted),
            None => wanted,
        };
        if quantity <= Decimal::ZERO {
            return true;
        }
        let complete = quantity == wanted;
        let side = order.request.side;
        let (fee, fee_asset) = rules::fee(
            instrument,
            self.config.fee_asset,
            side,
            price,
            quantity,
            maker,
        );
        order.record(bar.ts, price, quantity);
        self.trades += 1;
        let fill = Fill {
            client_id: order.request.client_id.clone(),
            trade_id: book::numbered_id("SIMT-", self.trades),
            symbol: order.request.symbol.clone(),
            side,
            price,
            quantity,
            fee,
            fee_asset,
            is_maker: maker,
            ts,
        };
        out.push(OrderReport::Filled {
            fill,
            partial: !complete,
        });
        if complete {
            self.book.remove(index);
        }
        !complete
    }

    fn expire(&mut self, index: usize, ts: Timestamp, out: &mut Vec<OrderReport>) {
        if index < self.book.len() {
            let order = self.book.remove(index);
            out.push(OrderReport::Expired {
                client_id: order.request.client_id,
                ts,
            });
        }
    }
}
