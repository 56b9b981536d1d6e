//! The wire layout of MEXC's pushes: `prost` messages written by hand with the field numbers
//! of `mexcdevelop/websocket-proto` (reference §5.4 and §6). No `protoc`, no build script.
//!
//! Text fields of the wrapper and of the public (high-rate) bodies are [`Bytes`]: on the wire
//! `bytes` and `string` are the same length-delimited field, and decoding a [`Bytes`] frame then
//! slices the frame instead of allocating a `String` per field. UTF-8 is checked by
//! [`super::decode`] wherever the text is kept (channel, symbol, ids); numbers are read as ASCII.
//! The private bodies are rare and keep `String`.
//!
//! Fields MEXC added later than a given body (e.g. `isRpi` on deals) and oneof cases above 315
//! are not declared: `prost` skips unknown fields, as reference §8.8 asks.

use prost::bytes::Bytes;

/// One binary WebSocket frame: the channel, optional routing fields and one body.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PushDataV3ApiWrapper {
    /// The channel the push belongs to, e.g. `spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT`.
    #[prost(bytes = "bytes", tag = "1")]
    pub channel: Bytes,
    /// The body; `None` when absent or of a case newer than this layout.
    #[prost(
        oneof = "Body",
        tags = "301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 313, 314, 315"
    )]
    pub body: Option<Body>,
    /// The symbol (absent on account pushes).
    #[prost(bytes = "bytes", optional, tag = "3")]
    pub symbol: Option<Bytes>,
    /// MEXC's numeric symbol id.
    #[prost(bytes = "bytes", optional, tag = "4")]
    pub symbol_id: Option<Bytes>,
    /// When the message was generated, ms.
    #[prost(int64, optional, tag = "5")]
    pub create_time: Option<i64>,
    /// When the message was sent, ms.
    #[prost(int64, optional, tag = "6")]
    pub send_time: Option<i64>,
}

/// The wrapper's `oneof body`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Body {
    /// 301, the retired non-aggregated deals stream.
    #[prost(message, tag = "301")]
    PublicDeals(Opaque),
    /// 302, the retired non-aggregated depth stream.
    #[prost(message, tag = "302")]
    PublicIncreaseDepths(Opaque),
    /// 303, partial depth (`limit.depth`).
    #[prost(message, tag = "303")]
    PublicLimitDepths(PublicLimitDepthsV3Api),
    /// 304, the account's order updates.
    #[prost(message, boxed, tag = "304")]
    PrivateOrders(Box<PrivateOrdersV3Api>),
    /// 305, the retired non-aggregated book ticker.
    #[prost(message, tag = "305")]
    PublicBookTicker(Opaque),
    /// 306, the account's fills.
    #[prost(message, tag = "306")]
    PrivateDeals(PrivateDealsV3Api),
    /// 307, the account's balance changes.
    #[prost(message, tag = "307")]
    PrivateAccount(PrivateAccountV3Api),
    /// 308, klines.
    #[prost(message, tag = "308")]
    PublicSpotKline(PublicSpotKlineV3Api),
    /// 309, one symbol's mini ticker (not used by vela).
    #[prost(message, tag = "309")]
    PublicMiniTicker(Opaque),
    /// 310, all symbols' mini tickers (not used by vela).
    #[prost(message, tag = "310")]
    PublicMiniTickers(Opaque),
    /// 311, book tickers in batches.
    #[prost(message, tag = "311")]
    PublicBookTickerBatch(PublicBookTickerBatchV3Api),
    /// 312, depth diffs in batches (undocumented; not used by vela).
    #[prost(message, tag = "312")]
    PublicIncreaseDepthsBatch(Opaque),
    /// 313, aggregated depth diffs.
    #[prost(message, tag = "313")]
    PublicAggreDepths(PublicAggreDepthsV3Api),
    /// 314, aggregated deals.
    #[prost(message, tag = "314")]
    PublicAggreDeals(PublicAggreDealsV3Api),
    /// 315, aggregated book ticker.
    #[prost(message, tag = "315")]
    PublicAggreBookTicker(PublicAggreBookTickerV3Api),
}

/// A body vela does not read: every field is skipped, but the bytes must still be well-formed
/// protobuf.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Opaque {}

/// 314: public trades, aggregated over the channel's period.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PublicAggreDealsV3Api {
    /// The trades.
    #[prost(message, repeated, tag = "1")]
    pub deals: Vec<PublicAggreDealsV3ApiItem>,
    /// Event type, e.g. `spot@public.aggre.deals.v3.api.pb@100ms`.
    #[prost(bytes = "bytes", tag = "2")]
    pub event_type: Bytes,
}

/// One public trade.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PublicAggreDealsV3ApiItem {
    /// Price, decimal text.
    #[prost(bytes = "bytes", tag = "1")]
    pub price: Bytes,
    /// Base quantity, decimal text.
    #[prost(bytes = "bytes", tag = "2")]
    pub quantity: Bytes,
    /// Taker side: 1 buy, 2 sell.
    #[prost(int32, tag = "3")]
    pub trade_type: i32,
    /// Trade time, ms.
    #[prost(int64, tag = "4")]
    pub time: i64,
    /// Exchange trade id (added 2026-06; empty before).
    #[prost(bytes = "bytes", tag = "5")]
    pub trade_id: Bytes,
}

/// 308: the current kline of one interval, pushed about every second.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PublicSpotKlineV3Api {
    /// Interval name, `Min1` … `Month1`.
    #[prost(bytes = "bytes", tag = "1")]
    pub interval: Bytes,
    /// Open time in **seconds**.
    #[prost(int64, tag = "2")]
    pub window_start: i64,
    /// Open price.
    #[prost(bytes = "bytes", tag = "3")]
    pub opening_price: Bytes,
    /// Close (last) price.
    #[prost(bytes = "bytes", tag = "4")]
    pub closing_price: Bytes,
    /// High price.
    #[prost(bytes = "bytes", tag = "5")]
    pub highest_price: Bytes,
    /// Low price.
    #[prost(bytes = "bytes", tag = "6")]
    pub lowest_price: Bytes,
    /// Base volume.
    #[prost(bytes = "bytes", tag = "7")]
    pub volume: Bytes,
    /// Quote volume.
    #[prost(bytes = "bytes", tag = "8")]
    pub amount: Bytes,
    /// Close time in **seconds**.
    #[prost(int64, tag = "9")]
    pub window_end: i64,
}

/// One price level of a depth body.
#[derive(Clone, PartialEq, prost::Message)]
pub struct DepthItem {
    /// Price, decimal text.
    #[prost(bytes = "bytes", tag = "1")]
    pub price: Bytes,
    /// Quantity, decimal text (absolute; 0 removes the level in a diff).
    #[prost(bytes = "bytes", tag = "2")]
    pub quantity: Bytes,
}

/// 313: changed levels between two book versions.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PublicAggreDepthsV3Api {
    /// Changed ask levels.
    #[prost(message, repeated, tag = "1")]
    pub asks: Vec<DepthItem>,
    /// Changed bid levels.
    #[prost(message, repeated, tag = "2")]
    pub bids: Vec<DepthItem>,
    /// Event type.
    #[prost(bytes = "bytes", tag = "3")]
    pub event_type: Bytes,
    /// First book version covered, decimal text.
    #[prost(bytes = "bytes", tag = "4")]
    pub from_version: Bytes,
    /// Last book version covered, decimal text.
    #[prost(bytes = "bytes", tag = "5")]
    pub to_version: Bytes,
    /// Creation time of the newest order in the update, ms (added 2026-06).
    #[prost(int64, tag = "6")]
    pub last_order_create_time: i64,
}

/// 303: the best 5, 10 or 20 levels.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PublicLimitDepthsV3Api {
    /// Ask levels, best first.
    #[prost(message, repeated, tag = "1")]
    pub asks: Vec<DepthItem>,
    /// Bid levels, best first.
    #[prost(message, repeated, tag = "2")]
    pub bids: Vec<DepthItem>,
    /// Event type.
    #[prost(bytes = "bytes", tag = "3")]
    pub event_type: Bytes,
    /// Book version, decimal text.
    #[prost(bytes = "bytes", tag = "4")]
    pub version: Bytes,
    /// Creation time of the newest order, ms (added 2026-06).
    #[prost(int64, tag = "5")]
    pub last_order_create_time: i64,
}

/// 315: best bid and ask.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PublicAggreBookTickerV3Api {
    /// Best bid price.
    #[prost(bytes = "bytes", tag = "1")]
    pub bid_price: Bytes,
    /// Quantity at the best bid.
    #[prost(bytes = "bytes", tag = "2")]
    pub bid_quantity: Bytes,
    /// Best ask price.
    #[prost(bytes = "bytes", tag = "3")]
    pub ask_price: Bytes,
    /// Quantity at the best ask.
    #[prost(bytes = "bytes", tag = "4")]
    pub ask_quantity: Bytes,
    /// Book version, decimal text (added 2026-06; empty before).
    #[prost(bytes = "bytes", tag = "5")]
    pub version: Bytes,
    /// Creation time of the newest order, ms (added 2026-06).
    #[prost(int64, tag = "6")]
    pub last_order_create_time: i64,
}

/// One book ticker of a batch.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PublicBookTickerV3Api {
    /// Best bid price.
    #[prost(bytes = "bytes", tag = "1")]
    pub bid_price: Bytes,
    /// Quantity at the best bid.
    #[prost(bytes = "bytes", tag = "2")]
    pub bid_quantity: Bytes,
    /// Best ask price.
    #[prost(bytes = "bytes", tag = "3")]
    pub ask_price: Bytes,
    /// Quantity at the best ask.
    #[prost(bytes = "bytes", tag = "4")]
    pub ask_quantity: Bytes,
}

/// 311: book tickers in batches.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PublicBookTickerBatchV3Api {
    /// The tickers, oldest first.
    #[prost(message, repeated, tag = "1")]
    pub items: Vec<PublicBookTickerV3Api>,
    /// Book version of the last item, decimal text.
    #[prost(bytes = "bytes", tag = "2")]
    pub version: Bytes,
    /// Creation time of the newest order, ms.
    #[prost(int64, tag = "3")]
    pub last_order_create_time: i64,
}

/// 304: one order of the account changed (reference §6). The symbol is the wrapper's.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PrivateOrdersV3Api {
    /// Exchange order id.
    #[prost(string, tag = "1")]
    pub id: String,
    /// Client order id.
    #[prost(string, tag = "2")]
    pub client_id: String,
    /// Limit price.
    #[prost(string, tag = "3")]
    pub price: String,
    /// Ordered base quantity.
    #[prost(string, tag = "4")]
    pub quantity: String,
    /// Ordered quote amount.
    #[prost(string, tag = "5")]
    pub amount: String,
    /// Average fill price.
    #[prost(string, tag = "6")]
    pub avg_price: String,
    /// 1 `LIMIT`, 2 `POST_ONLY`, 3 `IOC`, 4 `FOK`, 5 `MARKET`, 100 TP/SL.
    #[prost(int32, tag = "7")]
    pub order_type: i32,
    /// 1 buy, 2 sell.
    #[prost(int32, tag = "8")]
    pub trade_type: i32,
    /// Whether the order is (was) a maker.
    #[prost(bool, tag = "9")]
    pub is_maker: bool,
    /// Quote amount not yet filled.
    #[prost(string, tag = "10")]
    pub remain_amount: String,
    /// Base quantity not yet filled.
    #[prost(string, tag = "11")]
    pub remain_quantity: String,
    /// Quantity of the last fill.
    #[prost(string, optional, tag = "12")]
    pub last_deal_quantity: Option<String>,
    /// Filled base quantity so far.
    #[prost(string, tag = "13")]
    pub cumulative_quantity: String,
    /// Filled quote amount so far.
    #[prost(string, tag = "14")]
    pub cumulative_amount: String,
    /// 1 new, 2 filled, 3 partially filled, 4 cancelled, 5 partially cancelled.
    #[prost(int32, tag = "15")]
    pub status: i32,
    /// Order creation time, ms.
    #[prost(int64, tag = "16")]
    pub create_time: i64,
    /// Market name.
    #[prost(string, optional, tag = "17")]
    pub market: Option<String>,
    /// Trigger type of a TP/SL order.
    #[prost(int32, optional, tag = "18")]
    pub trigger_type: Option<i32>,
    /// Trigger price of a TP/SL order.
    #[prost(string, optional, tag = "19")]
    pub trigger_price: Option<String>,
    /// Internal state.
    #[prost(int32, optional, tag = "20")]
    pub state: Option<i32>,
    /// OCO id.
    #[prost(string, optional, tag = "21")]
    pub oco_id: Option<String>,
    /// Route factor.
    #[prost(string, optional, tag = "22")]
    pub route_factor: Option<String>,
    /// Symbol id.
    #[prost(string, optional, tag = "23")]
    pub symbol_id: Option<String>,
    /// Market id.
    #[prost(string, optional, tag = "24")]
    pub market_id: Option<String>,
    /// Market currency id.
    #[prost(string, optional, tag = "25")]
    pub market_currency_id: Option<String>,
    /// Currency id.
    #[prost(string, optional, tag = "26")]
    pub currency_id: Option<String>,
}

/// 306: one fill of the account (reference §6). The symbol is the wrapper's.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PrivateDealsV3Api {
    /// Fill price.
    #[prost(string, tag = "1")]
    pub price: String,
    /// Filled base quantity.
    #[prost(string, tag = "2")]
    pub quantity: String,
    /// Filled quote amount.
    #[prost(string, tag = "3")]
    pub amount: String,
    /// 1 buy, 2 sell.
    #[prost(int32, tag = "4")]
    pub trade_type: i32,
    /// Whether the fill was as maker.
    #[prost(bool, tag = "5")]
    pub is_maker: bool,
    /// Whether both sides were the account's.
    #[prost(bool, tag = "6")]
    pub is_self_trade: bool,
    /// Exchange trade id.
    #[prost(string, tag = "7")]
    pub trade_id: String,
    /// Client order id.
    #[prost(string, tag = "8")]
    pub client_order_id: String,
    /// Exchange order id.
    #[prost(string, tag = "9")]
    pub order_id: String,
    /// Fee charged.
    #[prost(string, tag = "10")]
    pub fee_amount: String,
    /// Asset of the fee.
    #[prost(string, tag = "11")]
    pub fee_currency: String,
    /// Fill time, ms.
    #[prost(int64, tag = "12")]
    pub time: i64,
}

/// 307: one asset's balance changed (reference §6).
#[derive(Clone, PartialEq, prost::Message)]
pub struct PrivateAccountV3Api {
    /// Asset name.
    #[prost(string, tag = "1")]
    pub vcoin_name: String,
    /// MEXC's asset id.
    #[prost(string, tag = "2")]
    pub coin_id: String,
    /// Free balance after the change (absolute).
    #[prost(string, tag = "3")]
    pub balance_amount: String,
    /// Change of the free balance.
    #[prost(string, tag = "4")]
    pub balance_amount_change: String,
    /// Locked balance after the change (absolute).
    #[prost(string, tag = "5")]
    pub frozen_amount: String,
    /// Change of the locked balance.
    #[prost(string, tag = "6")]
    pub frozen_amount_change: String,
    /// Reason, e.g. `ENTRUST`, `ENTRUST_PLACE`, `DEPOSIT`.
    #[prost(string, tag = "7")]
    pub r#type: String,
    /// Change time, ms.
    #[prost(int64, tag = "8")]
    pub time: i64,
}
