//! What a push decodes to: vela values, validated (see [`super::decode`] for the rules).
//!
//! Market data is `f64`; orders, fills and balances are [`Decimal`] (DESIGN.md §3). Depth
//! levels carry their exact decimal price as well, the order book's key.

use rust_decimal::Decimal;
use vela_core::types::{
    Asset, Bar, BookTop, ClientOrderId, Fill, OrderStatus, OrderType, Side, Symbol, Timestamp,
    Trade,
};

use super::channel::KlineInterval;
use super::decode::DecodeError;
use super::num;

/// One decoded binary frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Push {
    /// The channel exactly as sent (the subscription it answers), e.g.
    /// `spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT`; parse it with
    /// [`super::Channel`]'s `FromStr` when the typed form is wanted.
    pub channel: String,
    /// The wrapper's symbol; `None` when absent (account pushes).
    pub symbol: Option<Symbol>,
    /// When MEXC generated the message (wrapper `createTime`).
    pub create_time: Option<Timestamp>,
    /// When MEXC sent the message (wrapper `sendTime`).
    pub send_time: Option<Timestamp>,
    /// The content.
    pub body: PushBody,
}

/// The content of a push.
#[derive(Debug, Clone, PartialEq)]
pub enum PushBody {
    /// Public trades (`aggre.deals`), oldest first as sent.
    Deals(Vec<Deal>),
    /// The current kline of one interval (`kline`). There is no "closed" flag: a kline with
    /// a new open time means the previous one is final.
    Kline(Kline),
    /// A depth diff (`aggre.depth`): the input of [`crate::book::OrderBook`].
    DepthDiff(DepthDiff),
    /// The best levels (`limit.depth`), a complete top-of-book snapshot.
    LimitDepth(LimitDepth),
    /// Best bid and ask (`aggre.bookTicker`).
    BookTicker(BookTicker),
    /// Best bids and asks in a batch (`bookTicker.batch`), oldest first.
    BookTickerBatch(Vec<BookTicker>),
    /// One of the account's orders changed (`private.orders`).
    PrivateOrder(PrivateOrder),
    /// One of the account's fills (`private.deals`).
    PrivateDeal(PrivateDeal),
    /// One of the account's balances changed (`private.account`).
    PrivateAccount(PrivateAccount),
    /// A well-formed body vela does not use (reference §8.8: ignore, do not fail).
    Ignored(IgnoredBody),
}

/// Which body was ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IgnoredBody {
    /// 301, retired non-aggregated deals.
    PublicDeals,
    /// 302, retired non-aggregated depth.
    PublicIncreaseDepths,
    /// 305, retired non-aggregated book ticker.
    PublicBookTicker,
    /// 309, one symbol's mini ticker.
    PublicMiniTicker,
    /// 310, all symbols' mini tickers.
    PublicMiniTickers,
    /// 312, depth diffs in batches.
    PublicIncreaseDepthsBatch,
    /// No body, or a oneof case newer than this decoder.
    Unknown,
}

/// One public trade.
#[derive(Debug, Clone, PartialEq)]
pub struct Deal {
    /// Time, price, quantity and taker side.
    pub trade: Trade,
    /// Exchange trade id; `None` on streams older than 2026-06 (empty on the wire).
    pub trade_id: Option<String>,
}

/// The current kline of one interval, times converted from MEXC's seconds to ms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kline {
    /// The interval.
    pub interval: KlineInterval,
    /// Open time (ms), open, high, low, close and base volume so far.
    pub bar: Bar,
    /// Quote volume so far.
    pub quote_volume: f64,
    /// The window's end (ms), as sent.
    pub close_time: Timestamp,
}

/// One price level of a depth message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    /// The exact price (`0.10` and `0.1` are equal): the order book's key.
    pub price: Decimal,
    /// Base quantity at the price; in a diff, absolute, and 0 removes the level.
    pub quantity: f64,
}

impl Level {
    /// A level at an exact price.
    #[must_use]
    pub const fn new(price: Decimal, quantity: f64) -> Self {
        Self { price, quantity }
    }

    /// The price as `f64`: the correctly rounded value of the exact price (and so of the
    /// text it was sent as). Computed when asked: a book needs it for its best levels only,
    /// so a push of many levels does not pay a division for each.
    #[must_use]
    pub fn price_f64(&self) -> f64 {
        num::decimal_to_f64(self.price)
    }
}

/// Changed levels between two book versions (reference §5.5).
#[derive(Debug, Clone, PartialEq)]
pub struct DepthDiff {
    /// First version covered (`fromVersion`).
    pub from_version: u64,
    /// Last version covered (`toVersion`), at least `from_version`.
    pub to_version: u64,
    /// Changed bid levels, as sent.
    pub bids: Vec<Level>,
    /// Changed ask levels, as sent.
    pub asks: Vec<Level>,
}

/// The best levels of the book at one version.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitDepth {
    /// Book version.
    pub version: u64,
    /// Bids, best first as sent.
    pub bids: Vec<Level>,
    /// Asks, best first as sent.
    pub asks: Vec<Level>,
}

/// Best bid and ask.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BookTicker {
    /// The quote, stamped with the wrapper's `createTime` (else `sendTime`).
    pub top: BookTop,
    /// Book version; `None` when not sent (before 2026-06, and in batches).
    pub version: Option<u64>,
}

/// MEXC's order types as pushed on `private.orders` (reference §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PushOrderType {
    /// 1: LIMIT.
    Limit,
    /// 2: `POST_ONLY` (vela's `LimitMaker`).
    PostOnly,
    /// 3: IOC.
    ImmediateOrCancel,
    /// 4: FOK.
    FillOrKill,
    /// 5: MARKET.
    Market,
    /// 100: take-profit / stop-loss (placed outside vela).
    StopLimit,
}

impl PushOrderType {
    /// The type from its wire number.
    #[must_use]
    pub const fn from_wire(value: i32) -> Option<Self> {
        match value {
            1 => Some(Self::Limit),
            2 => Some(Self::PostOnly),
            3 => Some(Self::ImmediateOrCancel),
            4 => Some(Self::FillOrKill),
            5 => Some(Self::Market),
            100 => Some(Self::StopLimit),
            _ => None,
        }
    }

    /// The wire number.
    #[must_use]
    pub const fn wire(self) -> i32 {
        match self {
            Self::Limit => 1,
            Self::PostOnly => 2,
            Self::ImmediateOrCancel => 3,
            Self::FillOrKill => 4,
            Self::Market => 5,
            Self::StopLimit => 100,
        }
    }

    /// vela's order type; `None` for TP/SL orders, which vela does not place.
    #[must_use]
    pub const fn order_type(self) -> Option<OrderType> {
        match self {
            Self::Limit => Some(OrderType::Limit),
            Self::PostOnly => Some(OrderType::LimitMaker),
            Self::ImmediateOrCancel => Some(OrderType::ImmediateOrCancel),
            Self::FillOrKill => Some(OrderType::FillOrKill),
            Self::Market => Some(OrderType::Market),
            Self::StopLimit => None,
        }
    }

    /// The push type of one of vela's order types.
    #[must_use]
    pub const fn from_order_type(order_type: OrderType) -> Self {
        match order_type {
            OrderType::Limit => Self::Limit,
            OrderType::LimitMaker => Self::PostOnly,
            OrderType::ImmediateOrCancel => Self::ImmediateOrCancel,
            OrderType::FillOrKill => Self::FillOrKill,
            OrderType::Market => Self::Market,
        }
    }
}

/// MEXC's order statuses as pushed on `private.orders` (reference §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PushOrderStatus {
    /// 1: working, nothing filled.
    New,
    /// 2: completely filled.
    Filled,
    /// 3: partly filled, the rest working.
    PartiallyFilled,
    /// 4: cancelled with nothing filled.
    Canceled,
    /// 5: cancelled after partial fills.
    PartiallyCanceled,
}

impl PushOrderStatus {
    /// The status from its wire number.
    #[must_use]
    pub const fn from_wire(value: i32) -> Option<Self> {
        match value {
            1 => Some(Self::New),
            2 => Some(Self::Filled),
            3 => Some(Self::PartiallyFilled),
            4 => Some(Self::Canceled),
            5 => Some(Self::PartiallyCanceled),
            _ => None,
        }
    }

    /// The wire number.
    #[must_use]
    pub const fn wire(self) -> i32 {
        match self {
            Self::New => 1,
            Self::Filled => 2,
            Self::PartiallyFilled => 3,
            Self::Canceled => 4,
            Self::PartiallyCanceled => 5,
        }
    }

    /// vela's order status (both cancellations are `Canceled`).
    #[must_use]
    pub const fn status(self) -> OrderStatus {
        match self {
            Self::New => OrderStatus::Accepted,
            Self::Filled => OrderStatus::Filled,
            Self::PartiallyFilled => OrderStatus::PartiallyFilled,
            Self::Canceled | Self::PartiallyCanceled => OrderStatus::Canceled,
        }
    }
}

/// One of the account's orders changed. Quantities are non-negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateOrder {
    /// The symbol (from the wrapper).
    pub symbol: Symbol,
    /// Exchange order id (text; never parse it as a number, reference §3).
    pub order_id: String,
    /// Client order id as sent; `None` when empty. Orders placed outside vela may carry ids
    /// that are not valid [`ClientOrderId`]s.
    pub client_id: Option<String>,
    /// Buy or sell.
    pub side: Side,
    /// Order type.
    pub order_type: PushOrderType,
    /// Status after the change.
    pub status: PushOrderStatus,
    /// Limit price; `None` when sent as empty or zero on a market order.
    pub price: Option<Decimal>,
    /// Ordered base quantity (zero for a market buy by quote amount).
    pub quantity: Decimal,
    /// Ordered quote amount.
    pub amount: Decimal,
    /// Average fill price (zero before any fill).
    pub avg_price: Decimal,
    /// Whether the order is (was) a maker.
    pub is_maker: bool,
    /// Quote amount not yet filled.
    pub remain_amount: Decimal,
    /// Base quantity not yet filled.
    pub remain_quantity: Decimal,
    /// Quantity of the fill that caused this update, when sent.
    pub last_deal_quantity: Option<Decimal>,
    /// Filled base quantity so far.
    pub cumulative_quantity: Decimal,
    /// Filled quote amount so far.
    pub cumulative_amount: Decimal,
    /// Order creation time.
    pub create_time: Timestamp,
}

/// One of the account's fills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateDeal {
    /// The symbol (from the wrapper).
    pub symbol: Symbol,
    /// Exchange trade id: the de-duplication key (never empty).
    pub trade_id: String,
    /// Exchange order id.
    pub order_id: String,
    /// Client order id as sent; `None` when empty.
    pub client_order_id: Option<String>,
    /// Side of the account's order.
    pub side: Side,
    /// Fill price (positive).
    pub price: Decimal,
    /// Filled base quantity (positive).
    pub quantity: Decimal,
    /// Filled quote amount.
    pub amount: Decimal,
    /// Fee charged (negative for a rebate).
    pub fee: Decimal,
    /// Asset of the fee; `None` when sent empty.
    pub fee_asset: Option<Asset>,
    /// Whether the fill was as maker.
    pub is_maker: bool,
    /// Whether both sides were the account's.
    pub is_self_trade: bool,
    /// Fill time.
    pub time: Timestamp,
}

impl PrivateDeal {
    /// The fill as vela-core's [`Fill`]; fails when the client order id is missing or not a
    /// vela id, or the fee asset is missing.
    pub fn fill(&self) -> Result<Fill, DecodeError> {
        let client_id = self
            .client_order_id
            .as_deref()
            .ok_or(DecodeError::Missing {
                field: "privateDeals.clientOrderId",
            })
            .and_then(|id| {
                ClientOrderId::new(id).map_err(|e| DecodeError::Invalid {
                    field: "privateDeals.clientOrderId".to_owned(),
                    reason: e.to_string(),
                })
            })?;
        let fee_asset = self.fee_asset.clone().ok_or(DecodeError::Missing {
            field: "privateDeals.feeCurrency",
        })?;
        Ok(Fill {
            client_id,
            trade_id: self.trade_id.clone(),
            symbol: self.symbol.clone(),
            side: self.side,
            price: self.price,
            quantity: self.quantity,
            fee: self.fee,
            fee_asset,
            is_maker: self.is_maker,
            ts: self.time,
        })
    }
}

/// One of the account's balances changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateAccount {
    /// The asset.
    pub asset: Asset,
    /// Free balance after the change (absolute, non-negative).
    pub free: Decimal,
    /// Change of the free balance.
    pub free_change: Decimal,
    /// Locked balance after the change (absolute, non-negative).
    pub locked: Decimal,
    /// Change of the locked balance.
    pub locked_change: Decimal,
    /// MEXC's reason as sent, e.g. `ENTRUST`, `ENTRUST_PLACE`, `DEPOSIT` (kept as text:
    /// MEXC adds reasons, e.g. `CONTRACT_TRANSFER`).
    pub change_type: String,
    /// Change time.
    pub time: Timestamp,
}
