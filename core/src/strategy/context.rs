//! The read-only view a strategy gets of its bot.

use std::collections::{BTreeMap, VecDeque};

use rust_decimal::Decimal;

use crate::types::{Asset, ClientOrderId, Instrument, Order, Side, Symbol, Timestamp};
use crate::wallet::{Position, Wallet};

/// What a strategy may look at while it decides: time, wallet, positions, open orders,
/// instruments and the last known prices. It cannot change any of them.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// "Now": the timestamp of the event being handled.
    pub ts: Timestamp,
    /// Whether the bot may send orders now (it is running). While it is created, paused
    /// or stopped the strategy still sees market data — to warm up — but any order it asks
    /// for is denied; strategies that schedule work (execution windows, grids) wait for it.
    pub trading: bool,
    /// The bot's wallet.
    pub wallet: &'a Wallet,
    /// The bot's instruments, by symbol.
    pub instruments: &'a BTreeMap<Symbol, Instrument>,
    /// The bot's open orders, by client order id.
    pub open_orders: &'a BTreeMap<ClientOrderId, Order>,
    /// The bot's most recently ended orders, oldest first.
    pub closed_orders: &'a VecDeque<Order>,
    /// The last traded (or closing) price per symbol.
    pub last_prices: &'a BTreeMap<Symbol, f64>,
}

impl<'a> Context<'a> {
    /// The instrument of `symbol`.
    #[must_use]
    pub fn instrument(&self, symbol: &Symbol) -> Option<&'a Instrument> {
        self.instruments.get(symbol)
    }

    /// The position in `symbol`'s base asset, if one was ever opened. Positions are per
    /// asset: ETH bought on ETHUSDT or on ETHBTC is one position.
    #[must_use]
    pub fn position(&self, symbol: &Symbol) -> Option<&'a Position> {
        self.wallet.position(&self.instrument(symbol)?.base)
    }

    /// Quantity of `symbol`'s base asset held.
    #[must_use]
    pub fn held(&self, symbol: &Symbol) -> Decimal {
        self.instrument(symbol)
            .map_or(Decimal::ZERO, |i| self.wallet.held(&i.base))
    }

    /// Amount of `asset` held and not reserved for open buys (cash for the budget asset).
    #[must_use]
    pub fn available_of(&self, asset: &Asset) -> Decimal {
        self.wallet.available_of(asset)
    }

    /// Whether the bot holds at least the instrument's minimum quantity of `symbol`
    /// (dust below it cannot be sold and does not count as a position).
    #[must_use]
    pub fn is_long(&self, symbol: &Symbol) -> bool {
        let held = self.held(symbol);
        let min = self
            .instrument(symbol)
            .map_or(Decimal::ZERO, |i| i.min_quantity);
        held > Decimal::ZERO && held >= min
    }

    /// The last known price of `symbol`.
    #[must_use]
    pub fn last_price(&self, symbol: &Symbol) -> Option<f64> {
        self.last_prices.get(symbol).copied()
    }

    /// Open orders in `symbol` on `side`.
    pub fn open_orders_on(
        &self,
        symbol: &'a Symbol,
        side: Side,
    ) -> impl Iterator<Item = &'a Order> {
        self.open_orders
            .values()
            .filter(move |o| &o.request.symbol == symbol && o.request.side == side)
    }

    /// The order `client_id`, open or recently ended (e.g. to see who placed a fill's
    /// order: the strategy or the risk layer).
    #[must_use]
    pub fn order(&self, client_id: &ClientOrderId) -> Option<&'a Order> {
        self.open_orders.get(client_id).or_else(|| {
            self.closed_orders
                .iter()
                .rev()
                .find(|o| o.client_id() == client_id)
        })
    }

    /// Whether a sell order in `symbol` is open.
    #[must_use]
    pub fn is_selling(&self, symbol: &Symbol) -> bool {
        self.open_orders
            .values()
            .any(|o| &o.request.symbol == symbol && o.request.side == Side::Sell)
    }

    /// Whether any order in `symbol` is open.
    #[must_use]
    pub fn has_open_orders(&self, symbol: &Symbol) -> bool {
        self.open_orders
            .values()
            .any(|o| &o.request.symbol == symbol)
    }
}
