//! Fills: one execution of (part of) an order.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::market::Side;
use super::order::ClientOrderId;
use super::symbol::{Asset, Symbol};
use super::time::Timestamp;

/// One execution reported by the exchange (or the simulated exchange).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    /// The order this fill belongs to.
    pub client_id: ClientOrderId,
    /// Exchange trade id: the de-duplication key.
    pub trade_id: String,
    /// Symbol traded.
    pub symbol: Symbol,
    /// Side of our order.
    pub side: Side,
    /// Execution price.
    pub price: Decimal,
    /// Base quantity executed (before any base-asset fee is taken).
    pub quantity: Decimal,
    /// Fee charged.
    pub fee: Decimal,
    /// Asset the fee was charged in (base, quote, or another such as MX).
    pub fee_asset: Asset,
    /// Whether we were the maker.
    pub is_maker: bool,
    /// Execution time.
    pub ts: Timestamp,
}

impl Fill {
    /// Quote value of the execution, before fees.
    #[must_use]
    pub fn notional(&self) -> Decimal {
        self.price * self.quantity
    }
}
