//! MEXC's REST replies as typed values (reference §1–§3, §6), parsed leniently where MEXC is
//! inconsistent (see the private `rest::num`) and strictly where a wrong value would cost money.
//! Unknown fields are ignored: MEXC keeps adding them.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use vela_core::types::{Asset, Instrument, Side, Symbol};

use super::num;

/// `GET /api/v3/time`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerTime {
    /// The server's clock, ms since the epoch.
    pub server_time: i64,
}

/// `GET /api/v3/exchangeInfo`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeInfo {
    /// The server's clock when it answered.
    #[serde(default)]
    pub server_time: Option<i64>,
    /// The symbols asked for (all when none were named).
    pub symbols: Vec<SymbolInfo>,
}

/// One symbol of `exchangeInfo` (reference §1.2).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SymbolInfo {
    /// E.g. `BTCUSDT`.
    pub symbol: String,
    /// `"1"` online, `"2"` paused, `"3"` offline (older docs: `"ENABLED"`).
    pub status: String,
    /// E.g. `BTC`.
    pub base_asset: String,
    /// E.g. `USDT`.
    pub quote_asset: String,
    /// Decimals allowed in a quantity.
    pub base_asset_precision: u32,
    /// Decimals allowed in a price.
    pub quote_precision: Option<u32>,
    /// Decimals allowed in a price (the same value under its other name).
    pub quote_asset_precision: Option<u32>,
    /// Despite the name, the minimum order value in quote.
    #[serde(deserialize_with = "num::decimal")]
    pub quote_amount_precision: Decimal,
    /// Despite the name, the minimum quantity (`0`: none).
    #[serde(deserialize_with = "num::decimal")]
    pub base_size_precision: Decimal,
    /// Minimum value of a market order.
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub quote_amount_precision_market: Option<Decimal>,
    /// Maximum order value.
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub max_quote_amount: Option<Decimal>,
    /// Default maker fee rate (not necessarily the account's own; see `tradeFee`).
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub maker_commission: Option<Decimal>,
    /// Default taker fee rate.
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub taker_commission: Option<Decimal>,
    /// Whether **API** spot trading is allowed.
    #[serde(default)]
    pub is_spot_trading_allowed: bool,
    /// Order types allowed, e.g. `["LIMIT","MARKET","LIMIT_MAKER"]`.
    #[serde(default)]
    pub order_types: Vec<String>,
    /// 1 all, 2 buy only, 3 sell only, 4 closed.
    #[serde(default, deserialize_with = "num::opt_int")]
    pub trade_side_type: Option<i64>,
}

/// Why a symbol of `exchangeInfo` could not become an [`Instrument`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("exchangeInfo symbol {symbol}: {problem}")]
pub struct InstrumentError {
    /// The symbol.
    pub symbol: String,
    /// What was wrong.
    pub problem: String,
}

impl SymbolInfo {
    /// Whether the symbol is online (`status` `"1"`, or the docs' older `"ENABLED"`).
    #[must_use]
    pub fn is_online(&self) -> bool {
        matches!(self.status.trim(), "1" | "ENABLED")
    }

    /// Whether orders may be sent for it through the API: online, API trading allowed,
    /// and not closed to both sides (reference §1.2: filter on both fields).
    #[must_use]
    pub fn is_api_tradable(&self) -> bool {
        self.is_online() && self.is_spot_trading_allowed && self.trade_side_type != Some(4)
    }

    /// The symbol as a vela instrument. The fees are the symbol's defaults; use the
    /// account's `tradeFee` for its own rates.
    pub fn instrument(&self) -> Result<Instrument, InstrumentError> {
        let bad = |problem: String| InstrumentError {
            symbol: self.symbol.clone(),
            problem,
        };
        let price_precision = self
            .quote_precision
            .or(self.quote_asset_precision)
            .ok_or_else(|| bad("no quotePrecision or quoteAssetPrecision".to_owned()))?;
        let instrument = Instrument {
            symbol: Symbol::new(self.symbol.as_str()).map_err(|e| bad(e.to_string()))?,
            base: Asset::new(self.base_asset.as_str()).map_err(|e| bad(e.to_string()))?,
            quote: Asset::new(self.quote_asset.as_str()).map_err(|e| bad(e.to_string()))?,
            price_precision,
            quantity_precision: self.base_asset_precision,
            min_quantity: self.base_size_precision,
            min_notional: self.quote_amount_precision,
            maker_fee: self.maker_commission.unwrap_or(Decimal::ZERO),
            taker_fee: self.taker_commission.unwrap_or(Decimal::new(5, 4)),
            api_trading_allowed: self.is_api_tradable(),
        };
        instrument.validate().map_err(|e| bad(e.to_string()))?;
        Ok(instrument)
    }
}

/// A price level `[price, quantity]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Level(
    #[serde(deserialize_with = "num::decimal")] pub Decimal,
    #[serde(deserialize_with = "num::decimal")] pub Decimal,
);

/// `GET /api/v3/depth`: a snapshot of the book.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Depth {
    /// The snapshot's version (to line up with the diff stream, reference §5.5).
    pub last_update_id: u64,
    /// Bids, best first.
    pub bids: Vec<Level>,
    /// Asks, best first.
    pub asks: Vec<Level>,
}

/// One trade of `GET /api/v3/trades`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicTrade {
    /// Price.
    #[serde(deserialize_with = "num::decimal")]
    pub price: Decimal,
    /// Base quantity.
    #[serde(deserialize_with = "num::decimal")]
    pub qty: Decimal,
    /// Quote value.
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub quote_qty: Option<Decimal>,
    /// Time, ms.
    pub time: i64,
    /// Whether the buyer was the maker (the taker sold).
    pub is_buyer_maker: bool,
}

/// `GET /api/v3/ticker/bookTicker`: best bid and ask.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookTicker {
    /// Symbol.
    pub symbol: String,
    /// Best bid.
    #[serde(deserialize_with = "num::decimal")]
    pub bid_price: Decimal,
    /// Quantity at the best bid.
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub bid_qty: Option<Decimal>,
    /// Best ask.
    #[serde(deserialize_with = "num::decimal")]
    pub ask_price: Decimal,
    /// Quantity at the best ask.
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub ask_qty: Option<Decimal>,
}

/// `GET /api/v3/ticker/24hr` for one symbol. MEXC leaves some fields `null` or `""`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticker24h {
    /// Symbol.
    pub symbol: String,
    /// Last price.
    #[serde(deserialize_with = "num::decimal")]
    pub last_price: Decimal,
    /// Change over 24 h as a fraction (MEXC's "percent" is a fraction: 0.004 = 0.4 %).
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub price_change_percent: Option<Decimal>,
    /// Open 24 h ago.
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub open_price: Option<Decimal>,
    /// High over 24 h.
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub high_price: Option<Decimal>,
    /// Low over 24 h.
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub low_price: Option<Decimal>,
    /// Base volume over 24 h.
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub volume: Option<Decimal>,
    /// Quote volume over 24 h.
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub quote_volume: Option<Decimal>,
    /// Best bid.
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub bid_price: Option<Decimal>,
    /// Best ask.
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub ask_price: Option<Decimal>,
    /// Window start, ms.
    #[serde(default)]
    pub open_time: Option<i64>,
    /// Window end, ms.
    #[serde(default)]
    pub close_time: Option<i64>,
}

/// MEXC's order types on the wire (reference §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WireOrderType {
    /// `LIMIT`.
    Limit,
    /// `MARKET`.
    Market,
    /// `LIMIT_MAKER` (post-only).
    LimitMaker,
    /// `IMMEDIATE_OR_CANCEL`.
    ImmediateOrCancel,
    /// `FILL_OR_KILL`.
    FillOrKill,
}

impl WireOrderType {
    /// The wire spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Limit => "LIMIT",
            Self::Market => "MARKET",
            Self::LimitMaker => "LIMIT_MAKER",
            Self::ImmediateOrCancel => "IMMEDIATE_OR_CANCEL",
            Self::FillOrKill => "FILL_OR_KILL",
        }
    }
}

impl From<vela_core::types::OrderType> for WireOrderType {
    fn from(t: vela_core::types::OrderType) -> Self {
        use vela_core::types::OrderType as T;
        match t {
            T::Market => Self::Market,
            T::Limit => Self::Limit,
            T::LimitMaker => Self::LimitMaker,
            T::ImmediateOrCancel => Self::ImmediateOrCancel,
            T::FillOrKill => Self::FillOrKill,
        }
    }
}

impl From<WireOrderType> for vela_core::types::OrderType {
    fn from(t: WireOrderType) -> Self {
        match t {
            WireOrderType::Market => Self::Market,
            WireOrderType::Limit => Self::Limit,
            WireOrderType::LimitMaker => Self::LimitMaker,
            WireOrderType::ImmediateOrCancel => Self::ImmediateOrCancel,
            WireOrderType::FillOrKill => Self::FillOrKill,
        }
    }
}

/// `BUY` / `SELL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WireSide {
    /// `BUY`.
    Buy,
    /// `SELL`.
    Sell,
}

impl WireSide {
    /// The wire spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Buy => "BUY",
            Self::Sell => "SELL",
        }
    }
}

impl From<Side> for WireSide {
    fn from(side: Side) -> Self {
        match side {
            Side::Buy => Self::Buy,
            Side::Sell => Self::Sell,
        }
    }
}

impl From<WireSide> for Side {
    fn from(side: WireSide) -> Self {
        match side {
            WireSide::Buy => Self::Buy,
            WireSide::Sell => Self::Sell,
        }
    }
}

/// MEXC's order statuses (reference §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WireOrderStatus {
    /// On the book, nothing filled.
    New,
    /// Partly filled, still working.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// Canceled with nothing filled.
    Canceled,
    /// Canceled after a partial fill.
    PartiallyCanceled,
}

impl WireOrderStatus {
    /// Whether the order can still trade.
    #[must_use]
    pub const fn is_open(self) -> bool {
        matches!(self, Self::New | Self::PartiallyFilled)
    }
}

/// `POST /api/v3/order`'s thin acknowledgement: no status, no fills (reference §3).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderAck {
    /// Symbol.
    pub symbol: String,
    /// MEXC's order id (a string; never parsed as a number).
    #[serde(deserialize_with = "num::id")]
    pub order_id: String,
    /// Limit price (absent or empty for market orders).
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub price: Option<Decimal>,
    /// Quantity ordered.
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub orig_qty: Option<Decimal>,
    /// Type.
    #[serde(rename = "type")]
    pub order_type: WireOrderType,
    /// Side.
    pub side: WireSide,
    /// When MEXC took it, ms.
    pub transact_time: i64,
}

/// An order as `GET order`, `openOrders`, `allOrders` and the cancels return it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderInfo {
    /// Symbol.
    pub symbol: String,
    /// MEXC's order id.
    #[serde(deserialize_with = "num::id")]
    pub order_id: String,
    /// The client order id (MEXC may send `null`).
    #[serde(default, deserialize_with = "num::opt_id")]
    pub client_order_id: Option<String>,
    /// On cancel replies: the client order id of the order canceled.
    #[serde(default, deserialize_with = "num::opt_id")]
    pub orig_client_order_id: Option<String>,
    /// Limit price.
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub price: Option<Decimal>,
    /// Quantity ordered.
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub orig_qty: Option<Decimal>,
    /// Quantity filled so far.
    #[serde(deserialize_with = "num::decimal")]
    pub executed_qty: Decimal,
    /// Quote value filled so far (MEXC's spelling).
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub cummulative_quote_qty: Option<Decimal>,
    /// Status.
    pub status: WireOrderStatus,
    /// Type.
    #[serde(rename = "type")]
    pub order_type: WireOrderType,
    /// Side.
    pub side: WireSide,
    /// Creation time, ms.
    #[serde(default)]
    pub time: Option<i64>,
    /// Last update, ms.
    #[serde(default)]
    pub update_time: Option<i64>,
    /// Quote amount ordered (market buys by amount).
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub orig_quote_order_qty: Option<Decimal>,
}

/// One element of `POST /api/v3/batchOrders`' reply: each order succeeds or fails on its
/// own (reference §3).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum BatchItem {
    /// Refused, with MEXC's code and message.
    Failed {
        /// The client order id sent.
        #[serde(rename = "newClientOrderId", default, deserialize_with = "num::opt_id")]
        client_order_id: Option<String>,
        /// MEXC's code.
        code: i64,
        /// MEXC's message.
        msg: String,
    },
    /// Placed.
    Placed {
        /// Symbol.
        symbol: String,
        /// MEXC's order id.
        #[serde(rename = "orderId", deserialize_with = "num::id")]
        order_id: String,
    },
}

/// One of the account's trades (`GET /api/v3/myTrades`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountTrade {
    /// Symbol.
    pub symbol: String,
    /// Trade id: the fill's de-duplication key.
    #[serde(deserialize_with = "num::id")]
    pub id: String,
    /// The order's id.
    #[serde(deserialize_with = "num::id")]
    pub order_id: String,
    /// The order's client id, when MEXC gives it.
    #[serde(default, deserialize_with = "num::opt_id")]
    pub client_order_id: Option<String>,
    /// Price.
    #[serde(deserialize_with = "num::decimal")]
    pub price: Decimal,
    /// Base quantity.
    #[serde(deserialize_with = "num::decimal")]
    pub qty: Decimal,
    /// Quote value.
    #[serde(default, deserialize_with = "num::opt_decimal")]
    pub quote_qty: Option<Decimal>,
    /// Fee.
    #[serde(deserialize_with = "num::decimal")]
    pub commission: Decimal,
    /// Asset of the fee.
    pub commission_asset: String,
    /// Time, ms.
    pub time: i64,
    /// Whether we bought.
    pub is_buyer: bool,
    /// Whether we were the maker.
    pub is_maker: bool,
}

/// One asset's balance.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Balance {
    /// Asset.
    pub asset: String,
    /// Available.
    #[serde(deserialize_with = "num::decimal")]
    pub free: Decimal,
    /// Held by open orders.
    #[serde(deserialize_with = "num::decimal")]
    pub locked: Decimal,
}

/// `GET /api/v3/account`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Whether the account may trade.
    pub can_trade: bool,
    /// Balances.
    pub balances: Vec<Balance>,
    /// Last update, ms (MEXC often sends `null`).
    #[serde(default)]
    pub update_time: Option<i64>,
}

/// `GET /api/v3/tradeFee`: the account's own rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradeFee {
    /// Maker rate.
    pub maker: Decimal,
    /// Taker rate.
    pub taker: Decimal,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TradeFeeRates {
    #[serde(deserialize_with = "num::decimal")]
    pub(crate) maker_commission: Decimal,
    #[serde(deserialize_with = "num::decimal")]
    pub(crate) taker_commission: Decimal,
}

#[derive(Deserialize)]
pub(crate) struct Wrapped<T> {
    pub(crate) data: T,
}

/// `POST /api/v3/userDataStream`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListenKeyReply {
    pub(crate) listen_key: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!("{}/tests/fixtures/mexc/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn recorded_exchange_info_becomes_an_instrument() {
        let info: ExchangeInfo =
            serde_json::from_str(&fixture("exchange_info.json")).expect("parses");
        let symbol = &info.symbols[0];
        assert!(symbol.is_api_tradable());
        let instrument = symbol.instrument().expect("valid");
        assert_eq!(instrument.symbol.as_str(), "BROCKUSDT");
        assert_eq!(instrument.price_precision, 5);
        assert_eq!(instrument.quantity_precision, 2);
        assert_eq!(instrument.min_quantity, Decimal::ZERO);
        assert_eq!(instrument.min_notional, Decimal::ONE);
        assert_eq!(instrument.taker_fee, Decimal::new(5, 4));
        assert!(instrument.api_trading_allowed);
    }

    #[test]
    fn a_symbol_closed_to_the_api_is_not_tradable() {
        let body = fixture("exchange_info.json").replace(
            "\"isSpotTradingAllowed\":true",
            "\"isSpotTradingAllowed\":false",
        );
        let info: ExchangeInfo = serde_json::from_str(&body).expect("parses");
        assert!(!info.symbols[0].is_api_tradable());
        assert!(
            !info.symbols[0]
                .instrument()
                .expect("valid")
                .api_trading_allowed
        );
        let body = fixture("exchange_info.json").replace("\"status\":\"1\"", "\"status\":\"2\"");
        let info: ExchangeInfo = serde_json::from_str(&body).expect("parses");
        assert!(!info.symbols[0].is_api_tradable(), "paused");
    }

    #[test]
    fn recorded_orders_trades_and_balances_parse() {
        let order: OrderInfo = serde_json::from_str(&fixture("order.json")).expect("order");
        assert_eq!(order.order_id, "1");
        assert_eq!(order.client_order_id.as_deref(), Some("myOrder1"));
        assert_eq!(order.status, WireOrderStatus::New);
        let canceled: Vec<OrderInfo> =
            serde_json::from_str(&fixture("cancel_open_orders.json")).expect("cancel");
        assert_eq!(canceled.len(), 2);
        assert_eq!(
            canceled[1].orig_client_order_id.as_deref(),
            Some("A3EF2HCwxgZPFMrfwbgrhv")
        );
        let ack: OrderAck = serde_json::from_str(&fixture("place_order.json")).expect("ack");
        assert_eq!(ack.order_id, "06a480e69e604477bfb48dddd5f0b750");
        let trades: Vec<AccountTrade> =
            serde_json::from_str(&fixture("my_trades.json")).expect("trades");
        assert_eq!(trades[0].id, "fad2af9e942049b6adbda1a271f990c6");
        assert_eq!(trades[0].client_order_id, None);
        assert_eq!(trades[0].commission, Decimal::new(101, 1));
        let account: Account = serde_json::from_str(&fixture("account.json")).expect("account");
        assert_eq!(account.balances[0].locked, Decimal::from(33));
        let fee: Wrapped<TradeFeeRates> =
            serde_json::from_str(&fixture("trade_fee.json")).expect("fee");
        assert_eq!(fee.data.taker_commission, Decimal::new(3, 3));
    }

    #[test]
    fn recorded_market_replies_parse() {
        let depth: Depth = serde_json::from_str(&fixture("depth.json")).expect("depth");
        assert_eq!(depth.last_update_id, 1_112_416);
        assert_eq!(
            depth.bids[0],
            Level(Decimal::from(15), Decimal::from(49_999))
        );
        let trades: Vec<PublicTrade> =
            serde_json::from_str(&fixture("trades.json")).expect("trades");
        assert!(trades[1].is_buyer_maker);
        let tickers: Vec<BookTicker> =
            serde_json::from_str(&fixture("book_ticker.json")).expect("book");
        assert_eq!(tickers[0].ask_qty, Some(Decimal::new(21548, 2)));
        let ticker: Ticker24h = serde_json::from_str(&fixture("ticker_24hr.json")).expect("ticker");
        assert_eq!(ticker.quote_volume, None);
        assert_eq!(ticker.last_price, Decimal::new(4_626_371, 2));
    }

    #[test]
    fn bad_numbers_are_named() {
        let err =
            serde_json::from_str::<Depth>(r#"{"lastUpdateId":1,"bids":[["1.x","2"]],"asks":[]}"#)
                .expect_err("bad price");
        assert!(
            err.to_string().contains("`1.x` is not a decimal number"),
            "{err}"
        );
    }
}
