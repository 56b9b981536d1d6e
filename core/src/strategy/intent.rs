//! Intents: what a strategy would like to do. They become orders only after the risk gate.

use serde::{Deserialize, Serialize};

use crate::types::{ClientOrderId, OrderType, Side, Symbol};

/// How big an order should be. The risk gate turns it into a rounded quantity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Size {
    /// An amount of the quote asset (e.g. 100 USDT).
    Quote(f64),
    /// A quantity of the base asset (e.g. 0.01 BTC).
    Base(f64),
    /// A share in `(0, 1]` of the capital available to the bot (buys).
    WalletShare(f64),
    /// A share in `(0, 1]` of the base quantity held and not already offered (sells).
    PositionShare(f64),
    /// Let the risk layer's sizing rule decide (fixed fraction or Kelly).
    RiskSized,
}

/// How an order should be priced.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "price")]
pub enum Pricing {
    /// At the market.
    Market,
    /// A resting limit order at this price.
    Limit(f64),
    /// A post-only limit order at this price.
    LimitMaker(f64),
    /// Immediate-or-cancel at this limit price.
    ImmediateOrCancel(f64),
    /// Fill-or-kill at this limit price.
    FillOrKill(f64),
}

impl Pricing {
    /// The order type and the limit price, if any.
    #[must_use]
    pub fn order_type(self) -> (OrderType, Option<f64>) {
        match self {
            Self::Market => (OrderType::Market, None),
            Self::Limit(p) => (OrderType::Limit, Some(p)),
            Self::LimitMaker(p) => (OrderType::LimitMaker, Some(p)),
            Self::ImmediateOrCancel(p) => (OrderType::ImmediateOrCancel, Some(p)),
            Self::FillOrKill(p) => (OrderType::FillOrKill, Some(p)),
        }
    }
}

/// A wish to place one order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderIntent {
    /// Symbol to trade.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Market or limit, and the price.
    pub pricing: Pricing,
    /// How much.
    pub size: Size,
}

/// What a strategy (or the risk layer) asks the engine to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "intent")]
pub enum Intent {
    /// Place an order.
    Place(OrderIntent),
    /// Cancel one of the bot's open orders.
    Cancel {
        /// The order to cancel.
        client_id: ClientOrderId,
    },
    /// Record that the strategy now trades as `to` (a strategy that runs others, such as
    /// auto mode, switching between them). The engine records it as a rotation.
    Switch {
        /// The strategy trading until now.
        from: String,
        /// The strategy now trading.
        to: String,
        /// Why (e.g. the regime detected).
        reason: String,
    },
    /// Cancel all of the bot's open orders, in one symbol or in all.
    CancelAll {
        /// Only this symbol, or every symbol when `None`.
        symbol: Option<Symbol>,
    },
}

impl Intent {
    /// A market buy.
    #[must_use]
    pub fn market_buy(symbol: &Symbol, size: Size) -> Self {
        Self::place(symbol, Side::Buy, Pricing::Market, size)
    }

    /// A market sell.
    #[must_use]
    pub fn market_sell(symbol: &Symbol, size: Size) -> Self {
        Self::place(symbol, Side::Sell, Pricing::Market, size)
    }

    /// A resting limit order.
    #[must_use]
    pub fn limit(symbol: &Symbol, side: Side, price: f64, size: Size) -> Self {
        Self::place(symbol, side, Pricing::Limit(price), size)
    }

    /// Any order.
    #[must_use]
    pub fn place(symbol: &Symbol, side: Side, pricing: Pricing, size: Size) -> Self {
        Self::Place(OrderIntent {
            symbol: symbol.clone(),
            side,
            pricing,
            size,
        })
    }
}
