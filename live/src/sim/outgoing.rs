//! What the simulator tells its WebSocket clients, as typed values: the market replay's
//! klines, deals, depth and book ticker, and each account's order, fill and balance
//! updates. [`super::publish`] encodes them as MEXC's protobuf pushes onto the
//! [`Feed`](super::feed::Feed).

use rust_decimal::Decimal;
use vela_core::types::{Bar, Side, Symbol};

/// One public trade synthesised from a replayed bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimDeal {
    /// Price.
    pub price: f64,
    /// Base quantity.
    pub quantity: f64,
    /// The taker's side.
    pub taker_side: Side,
    /// Time, ms.
    pub time: i64,
    /// Trade id, increasing per symbol.
    pub trade_id: u64,
}

/// One price level `(price, quantity)`; quantity 0 removes the level.
pub type SimLevel = (Decimal, Decimal);

/// A private order update (MEXC `PrivateOrdersV3Api`, reference §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderUpdate {
    /// Symbol.
    pub symbol: Symbol,
    /// MEXC order id.
    pub order_id: String,
    /// Client order id.
    pub client_order_id: String,
    /// Limit price (zero for market orders).
    pub price: Decimal,
    /// Quantity ordered (zero for market buys by amount).
    pub quantity: Decimal,
    /// Quote amount ordered (market buys by amount), else price × quantity.
    pub amount: Decimal,
    /// Average fill price so far (zero before any fill).
    pub avg_price: Decimal,
    /// MEXC order type code: 1 `LIMIT`, 2 `POST_ONLY`, 3 `IOC`, 4 `FOK`, 5 `MARKET`.
    pub order_type: i32,
    /// Side.
    pub side: Side,
    /// Whether the last fill was as maker.
    pub is_maker: bool,
    /// Quantity left.
    pub remain_quantity: Decimal,
    /// Quote amount left.
    pub remain_amount: Decimal,
    /// Quantity of the last fill (if this update is for a fill).
    pub last_deal_quantity: Option<Decimal>,
    /// Quantity filled so far.
    pub cumulative_quantity: Decimal,
    /// Quote value filled so far.
    pub cumulative_amount: Decimal,
    /// MEXC status code: 1 new, 2 filled, 3 partially filled, 4 cancelled, 5 partially
    /// cancelled.
    pub status: i32,
    /// Order creation time, ms.
    pub create_time: i64,
}

/// A private fill (MEXC `PrivateDealsV3Api`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillUpdate {
    /// Symbol.
    pub symbol: Symbol,
    /// Price.
    pub price: Decimal,
    /// Base quantity.
    pub quantity: Decimal,
    /// Quote value.
    pub amount: Decimal,
    /// Our side.
    pub side: Side,
    /// Whether we were the maker.
    pub is_maker: bool,
    /// Trade id (the de-duplication key).
    pub trade_id: String,
    /// Client order id.
    pub client_order_id: String,
    /// MEXC order id.
    pub order_id: String,
    /// Fee.
    pub fee_amount: Decimal,
    /// Fee asset.
    pub fee_currency: String,
    /// Time, ms.
    pub time: i64,
}

/// A private balance change (MEXC `PrivateAccountV3Api`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceUpdate {
    /// Asset.
    pub asset: String,
    /// Free balance after the change (absolute).
    pub free: Decimal,
    /// Change of the free balance.
    pub free_change: Decimal,
    /// Locked balance after the change (absolute).
    pub locked: Decimal,
    /// Change of the locked balance.
    pub locked_change: Decimal,
    /// MEXC's change type, e.g. `ENTRUST_PLACE`, `ENTRUST`, `ENTRUST_CANCEL`.
    pub kind: &'static str,
    /// Time, ms.
    pub time: i64,
}

/// One thing to push.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// A kline of `symbol`: the bar so far (`bar.ts` is its open time, ms).
    Kline {
        /// Symbol.
        symbol: Symbol,
        /// The bar's values so far.
        bar: Bar,
        /// The bar's length, ms (1 minute: `Min1`).
        interval_ms: i64,
    },
    /// Public trades of `symbol`.
    Deals {
        /// Symbol.
        symbol: Symbol,
        /// The trades, in time order.
        deals: Vec<SimDeal>,
    },
    /// An incremental depth update of `symbol` covering versions `from_version..=to_version`.
    Depth {
        /// Symbol.
        symbol: Symbol,
        /// First version covered.
        from_version: u64,
        /// Last version covered.
        to_version: u64,
        /// Changed bids.
        bids: Vec<SimLevel>,
        /// Changed asks.
        asks: Vec<SimLevel>,
    },
    /// The best bid and ask of `symbol`.
    BookTicker {
        /// Symbol.
        symbol: Symbol,
        /// Best bid `(price, quantity)`.
        bid: SimLevel,
        /// Best ask `(price, quantity)`.
        ask: SimLevel,
    },
    /// An order update for the account `api_key`.
    Order {
        /// The account.
        api_key: String,
        /// The update.
        update: OrderUpdate,
    },
    /// A fill for the account `api_key`.
    Fill {
        /// The account.
        api_key: String,
        /// The fill.
        fill: FillUpdate,
    },
    /// A balance change for the account `api_key`.
    Balance {
        /// The account.
        api_key: String,
        /// The change.
        update: BalanceUpdate,
    },
}
