//! Why an intent was denied. Every denial is recorded as a command, never dropped.

use serde::{Deserialize, Serialize};

use crate::strategy::Intent;
use crate::types::Timestamp;

/// The reason code of a denied intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyReason {
    /// The bot is not running (created, paused, stopped or killed).
    NotRunning,
    /// The symbol is not one of the bot's instruments.
    UnknownSymbol,
    /// The exchange does not allow API trading of the symbol.
    TradingNotAllowed,
    /// The size or price is not a usable number, or a share is outside (0, 1].
    InvalidSize,
    /// No price is known yet to size or check the order.
    NoMarketPrice,
    /// More than the free capital.
    InsufficientFunds,
    /// More than the position holds (after open sells).
    InsufficientPosition,
    /// Below the instrument's minimum quantity after rounding.
    BelowMinQuantity,
    /// Below the instrument's minimum order value.
    BelowMinNotional,
    /// The position would exceed `max_position_notional`.
    PositionCap,
    /// Total exposure would exceed `max_exposure`.
    ExposureCap,
    /// Too many orders in the rate window.
    OrderRate,
    /// The limit price is too far from the last price.
    PriceBand,
    /// Kelly sizing found no edge (a zero or negative fraction).
    NoEdge,
    /// A quote-amount order that only market buys support.
    UnsupportedOrder,
    /// Cancel of an order that is not open.
    UnknownOrder,
    /// The bot's client order ids are used up (its sequence no longer fits 32 characters).
    IdsExhausted,
}

/// A denied intent with its reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Denial {
    /// When.
    pub ts: Timestamp,
    /// What was asked.
    pub intent: Intent,
    /// Why it was refused.
    pub reason: DenyReason,
    /// Numbers behind the reason, for people.
    pub detail: String,
}
