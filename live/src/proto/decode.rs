//! One binary frame to a validated [`Push`]: [`decode_push`].
//!
//! Refused with a [`DecodeError`], never a panic (fault-tests cases 32 and 33):
//! - frames larger than [`MAX_PUSH_LEN`], before any decoding;
//! - malformed or truncated protobuf, wrong wire types;
//! - numbers that are not plain decimal text (`NaN`, `inf`, blanks, empty where required);
//! - prices that are zero, negative or beyond `f64`; negative quantities (and non-positive
//!   trade and fill quantities);
//! - a crossed or locked book (book ticker, partial depth: best bid ≥ best ask);
//! - unknown `tradeType`, order `status` and `orderType` numbers, unknown kline intervals;
//! - depth versions that are not unsigned integers, or `fromVersion > toVersion`;
//! - kline times (MEXC sends **seconds**) whose millisecond value overflows, or an end before
//!   the start; bars that break `low ≤ open, close ≤ high`;
//! - text that is not UTF-8, symbols and assets that are not MEXC spellings.
//!
//! Well-formed bodies vela does not use, and oneof cases newer than [`super::messages`],
//! decode to [`PushBody::Ignored`] (reference §8.8).

use prost::Message;
use prost::bytes::Bytes;
use rust_decimal::Decimal;
use thiserror::Error;
use vela_core::types::{Asset, Bar, BookTop, Side, Symbol, Timestamp, Trade};

use super::channel::KlineInterval;
use super::fast;
use super::messages::{
    Body, DepthItem, PrivateAccountV3Api, PrivateDealsV3Api, PrivateOrdersV3Api,
    PublicAggreBookTickerV3Api, PublicAggreDealsV3Api, PublicAggreDepthsV3Api,
    PublicBookTickerBatchV3Api, PublicLimitDepthsV3Api, PublicSpotKlineV3Api, PushDataV3ApiWrapper,
};
use super::num::{self, Scanned};
use super::types::{
    BookTicker, Deal, DepthDiff, IgnoredBody, Kline, Level, LimitDepth, PrivateAccount,
    PrivateDeal, PrivateOrder, Push, PushBody, PushOrderStatus, PushOrderType,
};

/// Largest frame accepted: 1 MiB. MEXC's pushes are a few hundred bytes (a 20-level partial
/// depth is under 1 KiB); anything near this is a fault, refused before decoding.
pub const MAX_PUSH_LEN: usize = 1 << 20;

/// Longest offending text quoted in an error.
const QUOTE_LEN: usize = 64;

/// Why a frame was refused.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The frame is larger than [`MAX_PUSH_LEN`].
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// The frame's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not a well-formed `PushDataV3ApiWrapper` (truncated, wrong wire type, ...).
    #[error("malformed protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
    /// A numeric field whose text is not an acceptable number.
    #[error("{field} {text:?}: {problem}")]
    Number {
        /// Which field, e.g. `publicAggreDeals.deals[2].price`.
        field: String,
        /// The text (cut to 64 bytes).
        text: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A required field is absent or empty.
    #[error("{field} is missing")]
    Missing {
        /// Which field.
        field: &'static str,
    },
    /// An enumeration number MEXC does not document.
    #[error("{field}: unknown value {value}")]
    UnknownEnum {
        /// Which field.
        field: &'static str,
        /// The number.
        value: i32,
    },
    /// A value that breaks another rule.
    #[error("{field}: {reason}")]
    Invalid {
        /// Which field or body.
        field: String,
        /// The rule broken.
        reason: String,
    },
    /// Best bid at or above best ask.
    #[error("crossed book: best bid {bid} >= best ask {ask}")]
    Crossed {
        /// Best bid price.
        bid: f64,
        /// Best ask price.
        ask: f64,
    },
}

/// Decodes one binary WebSocket frame. Deals and depth diffs take a zero-copy path
/// (`proto::fast`); other frames are copied once into a shared buffer and decoded by
/// `prost` (see [`decode_push_bytes`] to skip the copy).
pub fn decode_push(frame: &[u8]) -> Result<Push, DecodeError> {
    check_len(frame.len())?;
    if let Some(push) = fast::decode(frame) {
        return Ok(push);
    }
    decode_wrapper(Bytes::copy_from_slice(frame))
}

/// Decodes one binary WebSocket frame held in [`Bytes`] (as tungstenite delivers it): for
/// the frames `prost` decodes, text fields are slices of the frame, not copies.
pub fn decode_push_bytes(frame: Bytes) -> Result<Push, DecodeError> {
    check_len(frame.len())?;
    if let Some(push) = fast::decode(&frame) {
        return Ok(push);
    }
    decode_wrapper(frame)
}

/// The reference path: `prost` decodes the wrapper, then [`convert`] validates it.
pub(super) fn decode_wrapper(frame: Bytes) -> Result<Push, DecodeError> {
    check_len(frame.len())?;
    convert(PushDataV3ApiWrapper::decode(frame)?)
}

/// A depth level from text (e.g. a REST depth snapshot's `[price, quantity]`), validated as
/// in a depth push: positive price, non-negative quantity.
pub fn parse_level(price: &str, quantity: &str) -> Result<Level, DecodeError> {
    level_from(price.as_bytes(), quantity.as_bytes(), || "level".to_owned())
}

fn check_len(len: usize) -> Result<(), DecodeError> {
    if len > MAX_PUSH_LEN {
        return Err(DecodeError::TooLarge {
            len,
            max: MAX_PUSH_LEN,
        });
    }
    Ok(())
}

fn convert(wrapper: PushDataV3ApiWrapper) -> Result<Push, DecodeError> {
    let channel = text(&wrapper.channel, "channel")?;
    if channel.is_empty() {
        return Err(DecodeError::Missing { field: "channel" });
    }
    let symbol = match wrapper.symbol.as_deref() {
        None | Some(b"") => None,
        Some(raw) => Some(
            Symbol::new(utf8(raw, "symbol")?).map_err(|e| DecodeError::Invalid {
                field: "symbol".to_owned(),
                reason: e.to_string(),
            })?,
        ),
    };
    let create_time = wrapper.create_time.map(Timestamp);
    let send_time = wrapper.send_time.map(Timestamp);
    let body = match wrapper.body {
        None => PushBody::Ignored(IgnoredBody::Unknown),
        Some(body) => convert_body(body, symbol.as_ref(), create_time.or(send_time))?,
    };
    Ok(Push {
        channel,
        symbol,
        create_time,
        send_time,
        body,
    })
}

fn convert_body(
    body: Body,
    symbol: Option<&Symbol>,
    time: Option<Timestamp>,
) -> Result<PushBody, DecodeError> {
    Ok(match body {
        Body::PublicAggreDeals(b) => PushBody::Deals(deals(&b)?),
        Body::PublicSpotKline(b) => PushBody::Kline(kline(&b)?),
        Body::PublicAggreDepths(b) => PushBody::DepthDiff(depth_diff(&b)?),
        Body::PublicLimitDepths(b) => PushBody::LimitDepth(limit_depth(&b)?),
        Body::PublicAggreBookTicker(b) => PushBody::BookTicker(book_ticker(&b, time)?),
        Body::PublicBookTickerBatch(b) => PushBody::BookTickerBatch(book_ticker_batch(&b, time)?),
        Body::PrivateOrders(b) => PushBody::PrivateOrder(private_order(*b, symbol)?),
        Body::PrivateDeals(b) => PushBody::PrivateDeal(private_deal(b, symbol)?),
        Body::PrivateAccount(b) => PushBody::PrivateAccount(private_account(b)?),
        Body::PublicDeals(_) => PushBody::Ignored(IgnoredBody::PublicDeals),
        Body::PublicIncreaseDepths(_) => PushBody::Ignored(IgnoredBody::PublicIncreaseDepths),
        Body::PublicBookTicker(_) => PushBody::Ignored(IgnoredBody::PublicBookTicker),
        Body::PublicMiniTicker(_) => PushBody::Ignored(IgnoredBody::PublicMiniTicker),
        Body::PublicMiniTickers(_) => PushBody::Ignored(IgnoredBody::PublicMiniTickers),
        Body::PublicIncreaseDepthsBatch(_) => {
            PushBody::Ignored(IgnoredBody::PublicIncreaseDepthsBatch)
        }
    })
}

// ---- public bodies (f64) ----

fn deals(body: &PublicAggreDealsV3Api) -> Result<Vec<Deal>, DecodeError> {
    let mut deals = Vec::with_capacity(body.deals.len());
    for (i, item) in body.deals.iter().enumerate() {
        let price = price(&item.price, || format!("publicAggreDeals.deals[{i}].price"))?;
        let quantity = positive(&item.quantity, || {
            format!("publicAggreDeals.deals[{i}].quantity")
        })?;
        let aggressor = side(item.trade_type, "publicAggreDeals.deals.tradeType")?;
        let trade_id = if item.trade_id.is_empty() {
            None
        } else {
            Some(text(&item.trade_id, "publicAggreDeals.deals.tradeId")?)
        };
        deals.push(Deal {
            trade: Trade {
                ts: Timestamp(item.time),
                price,
                quantity,
                aggressor,
            },
            trade_id,
        });
    }
    Ok(deals)
}

fn kline(body: &PublicSpotKlineV3Api) -> Result<Kline, DecodeError> {
    let interval =
        KlineInterval::from_name(&body.interval).ok_or_else(|| DecodeError::Invalid {
            field: "publicSpotKline.interval".to_owned(),
            reason: format!("unknown interval {:?}", quote(&body.interval)),
        })?;
    let open_ms = seconds_to_ms(body.window_start, "publicSpotKline.windowStart")?;
    let close_ms = seconds_to_ms(body.window_end, "publicSpotKline.windowEnd")?;
    if close_ms < open_ms {
        return Err(DecodeError::Invalid {
            field: "publicSpotKline.windowEnd".to_owned(),
            reason: format!("{close_ms} ms is before the window start {open_ms} ms"),
        });
    }
    let bar = Bar {
        ts: Timestamp(open_ms),
        open: price(&body.opening_price, || {
            "publicSpotKline.openingPrice".to_owned()
        })?,
        high: price(&body.highest_price, || {
            "publicSpotKline.highestPrice".to_owned()
        })?,
        low: price(&body.lowest_price, || {
            "publicSpotKline.lowestPrice".to_owned()
        })?,
        close: price(&body.closing_price, || {
            "publicSpotKline.closingPrice".to_owned()
        })?,
        volume: quantity(&body.volume, || "publicSpotKline.volume".to_owned())?,
    };
    bar.validate().map_err(|e| DecodeError::Invalid {
        field: "publicSpotKline".to_owned(),
        reason: e.to_string(),
    })?;
    Ok(Kline {
        interval,
        bar,
        quote_volume: quantity(&body.amount, || "publicSpotKline.amount".to_owned())?,
        close_time: Timestamp(close_ms),
    })
}

fn depth_diff(body: &PublicAggreDepthsV3Api) -> Result<DepthDiff, DecodeError> {
    let from_version = version(&body.from_version, "publicAggreDepths.fromVersion")?;
    let to_version = version(&body.to_version, "publicAggreDepths.toVersion")?;
    if from_version > to_version {
        return Err(DecodeError::Invalid {
            field: "publicAggreDepths".to_owned(),
            reason: format!("fromVersion {from_version} > toVersion {to_version}"),
        });
    }
    Ok(DepthDiff {
        from_version,
        to_version,
        bids: levels(&body.bids, "publicAggreDepths.bids")?,
        asks: levels(&body.asks, "publicAggreDepths.asks")?,
    })
}

fn limit_depth(body: &PublicLimitDepthsV3Api) -> Result<LimitDepth, DecodeError> {
    let depth = LimitDepth {
        version: version(&body.version, "publicLimitDepths.version")?,
        bids: levels(&body.bids, "publicLimitDepths.bids")?,
        asks: levels(&body.asks, "publicLimitDepths.asks")?,
    };
    if let Some((bid, ask)) = crossed(&depth.bids, &depth.asks) {
        return Err(DecodeError::Crossed {
            bid: bid.price_f64(),
            ask: ask.price_f64(),
        });
    }
    Ok(depth)
}

/// The best bid and ask of a whole book when they cross (the bid at or above the ask),
/// compared on the exact prices.
pub(super) fn crossed<'a>(bids: &'a [Level], asks: &'a [Level]) -> Option<(&'a Level, &'a Level)> {
    let best_bid = bids.iter().max_by(|a, b| price_order(&a.price, &b.price))?;
    let best_ask = asks.iter().min_by(|a, b| price_order(&a.price, &b.price))?;
    price_order(&best_bid.price, &best_ask.price)
        .is_ge()
        .then_some((best_bid, best_ask))
}

/// `Decimal`'s order, with the usual case (the prices of one book share a scale) as one
/// comparison of the mantissas instead of the library's general comparison.
#[inline]
pub(super) fn price_order(a: &Decimal, b: &Decimal) -> std::cmp::Ordering {
    if a.scale() == b.scale() {
        a.mantissa().cmp(&b.mantissa())
    } else {
        a.cmp(b)
    }
}

fn book_ticker(
    body: &PublicAggreBookTickerV3Api,
    time: Option<Timestamp>,
) -> Result<BookTicker, DecodeError> {
    let version = if body.version.is_empty() {
        None
    } else {
        Some(version(&body.version, "publicAggreBookTicker.version")?)
    };
    let top = book_top(
        [
            &body.bid_price,
            &body.bid_quantity,
            &body.ask_price,
            &body.ask_quantity,
        ],
        time,
        "publicAggreBookTicker",
    )?;
    Ok(BookTicker { top, version })
}

fn book_ticker_batch(
    body: &PublicBookTickerBatchV3Api,
    time: Option<Timestamp>,
) -> Result<Vec<BookTicker>, DecodeError> {
    body.items
        .iter()
        .map(|item| {
            let top = book_top(
                [
                    &item.bid_price,
                    &item.bid_quantity,
                    &item.ask_price,
                    &item.ask_quantity,
                ],
                time,
                "publicBookTickerBatch.items",
            )?;
            Ok(BookTicker { top, version: None })
        })
        .collect()
}

/// Validated best bid and ask from `[bid price, bid quantity, ask price, ask quantity]`.
fn book_top(
    fields: [&Bytes; 4],
    time: Option<Timestamp>,
    body: &'static str,
) -> Result<BookTop, DecodeError> {
    let [bid_price, bid_quantity, ask_price, ask_quantity] = fields;
    let ts = time.ok_or(DecodeError::Missing {
        field: "createTime",
    })?;
    let top = BookTop {
        ts,
        bid_price: price(bid_price, || format!("{body}.bidPrice"))?,
        bid_quantity: quantity(bid_quantity, || format!("{body}.bidQuantity"))?,
        ask_price: price(ask_price, || format!("{body}.askPrice"))?,
        ask_quantity: quantity(ask_quantity, || format!("{body}.askQuantity"))?,
    };
    if top.bid_price >= top.ask_price {
        return Err(DecodeError::Crossed {
            bid: top.bid_price,
            ask: top.ask_price,
        });
    }
    Ok(top)
}

fn levels(items: &[DepthItem], side: &'static str) -> Result<Vec<Level>, DecodeError> {
    let mut levels = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        levels.push(level_from(&item.price, &item.quantity, || {
            format!("{side}[{i}]")
        })?);
    }
    Ok(levels)
}

pub(super) fn level_from(
    price_text: &[u8],
    quantity_text: &[u8],
    field: impl Fn() -> String,
) -> Result<Level, DecodeError> {
    let scanned = scan(price_text, || format!("{}.price", field()))?;
    // Checked as a price (positive, a finite `f64`), kept as the exact decimal.
    positive_f64(scanned, price_text, || format!("{}.price", field()))?;
    let price = scanned
        .to_decimal()
        .map_err(|e| number_error(|| format!("{}.price", field()), price_text, &e))?;
    let quantity = quantity(quantity_text, || format!("{}.quantity", field()))?;
    Ok(Level { price, quantity })
}

// ---- private bodies (Decimal) ----

fn private_order(
    body: PrivateOrdersV3Api,
    symbol: Option<&Symbol>,
) -> Result<PrivateOrder, DecodeError> {
    let symbol = symbol
        .cloned()
        .ok_or(DecodeError::Missing { field: "symbol" })?;
    if body.id.is_empty() {
        return Err(DecodeError::Missing {
            field: "privateOrders.id",
        });
    }
    let order_type = PushOrderType::from_wire(body.order_type).ok_or(DecodeError::UnknownEnum {
        field: "privateOrders.orderType",
        value: body.order_type,
    })?;
    let status = PushOrderStatus::from_wire(body.status).ok_or(DecodeError::UnknownEnum {
        field: "privateOrders.status",
        value: body.status,
    })?;
    let price = non_negative_or_zero(&body.price, "privateOrders.price")?;
    let price = if price.is_zero() {
        if order_type != PushOrderType::Market {
            return Err(DecodeError::Invalid {
                field: "privateOrders.price".to_owned(),
                reason: format!("{order_type:?} order without a positive price"),
            });
        }
        None
    } else {
        Some(price)
    };
    let last_deal_quantity = match body.last_deal_quantity.as_deref() {
        None | Some("") => None,
        Some(t) => Some(non_negative(t, "privateOrders.lastDealQuantity")?),
    };
    Ok(PrivateOrder {
        symbol,
        side: side(body.trade_type, "privateOrders.tradeType")?,
        order_type,
        status,
        price,
        quantity: non_negative_or_zero(&body.quantity, "privateOrders.quantity")?,
        amount: non_negative_or_zero(&body.amount, "privateOrders.amount")?,
        avg_price: non_negative_or_zero(&body.avg_price, "privateOrders.avgPrice")?,
        is_maker: body.is_maker,
        remain_amount: non_negative_or_zero(&body.remain_amount, "privateOrders.remainAmount")?,
        remain_quantity: non_negative_or_zero(
            &body.remain_quantity,
            "privateOrders.remainQuantity",
        )?,
        last_deal_quantity,
        cumulative_quantity: non_negative_or_zero(
            &body.cumulative_quantity,
            "privateOrders.cumulativeQuantity",
        )?,
        cumulative_amount: non_negative_or_zero(
            &body.cumulative_amount,
            "privateOrders.cumulativeAmount",
        )?,
        create_time: Timestamp(body.create_time),
        order_id: body.id,
        client_id: non_empty(body.client_id),
    })
}

fn private_deal(
    body: PrivateDealsV3Api,
    symbol: Option<&Symbol>,
) -> Result<PrivateDeal, DecodeError> {
    let symbol = symbol
        .cloned()
        .ok_or(DecodeError::Missing { field: "symbol" })?;
    if body.trade_id.is_empty() {
        return Err(DecodeError::Missing {
            field: "privateDeals.tradeId",
        });
    }
    if body.order_id.is_empty() {
        return Err(DecodeError::Missing {
            field: "privateDeals.orderId",
        });
    }
    let price = positive_decimal(&body.price, "privateDeals.price")?;
    let quantity = positive_decimal(&body.quantity, "privateDeals.quantity")?;
    let fee_asset = if body.fee_currency.is_empty() {
        None
    } else {
        Some(asset(&body.fee_currency, "privateDeals.feeCurrency")?)
    };
    Ok(PrivateDeal {
        symbol,
        side: side(body.trade_type, "privateDeals.tradeType")?,
        price,
        quantity,
        amount: non_negative_or_zero(&body.amount, "privateDeals.amount")?,
        fee: any_or_zero(&body.fee_amount, "privateDeals.feeAmount")?,
        fee_asset,
        is_maker: body.is_maker,
        is_self_trade: body.is_self_trade,
        time: Timestamp(body.time),
        trade_id: body.trade_id,
        order_id: body.order_id,
        client_order_id: non_empty(body.client_order_id),
    })
}

fn private_account(body: PrivateAccountV3Api) -> Result<PrivateAccount, DecodeError> {
    Ok(PrivateAccount {
        asset: asset(&body.vcoin_name, "privateAccount.vcoinName")?,
        free: non_negative(&body.balance_amount, "privateAccount.balanceAmount")?,
        free_change: any_or_zero(
            &body.balance_amount_change,
            "privateAccount.balanceAmountChange",
        )?,
        locked: non_negative(&body.frozen_amount, "privateAccount.frozenAmount")?,
        locked_change: any_or_zero(
            &body.frozen_amount_change,
            "privateAccount.frozenAmountChange",
        )?,
        change_type: body.r#type,
        time: Timestamp(body.time),
    })
}

// ---- field helpers ----

fn quote(raw: &[u8]) -> String {
    let cut = raw.get(..QUOTE_LEN).unwrap_or(raw);
    String::from_utf8_lossy(cut).into_owned()
}

fn number_error(
    field: impl Fn() -> String,
    raw: &[u8],
    problem: &dyn std::fmt::Display,
) -> DecodeError {
    DecodeError::Number {
        field: field(),
        text: quote(raw),
        problem: problem.to_string(),
    }
}

pub(super) fn text(raw: &[u8], field: &'static str) -> Result<String, DecodeError> {
    utf8(raw, field).map(str::to_owned)
}

/// The field's text, borrowed.
pub(super) fn utf8<'a>(raw: &'a [u8], field: &'static str) -> Result<&'a str, DecodeError> {
    std::str::from_utf8(raw).map_err(|_| DecodeError::Invalid {
        field: field.to_owned(),
        reason: "not UTF-8".to_owned(),
    })
}

fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

fn asset(raw: &str, field: &'static str) -> Result<Asset, DecodeError> {
    if raw.is_empty() {
        return Err(DecodeError::Missing { field });
    }
    Asset::new(raw).map_err(|e| DecodeError::Invalid {
        field: field.to_owned(),
        reason: e.to_string(),
    })
}

pub(super) const fn side(value: i32, field: &'static str) -> Result<Side, DecodeError> {
    match value {
        1 => Ok(Side::Buy),
        2 => Ok(Side::Sell),
        _ => Err(DecodeError::UnknownEnum { field, value }),
    }
}

fn seconds_to_ms(seconds: i64, field: &'static str) -> Result<i64, DecodeError> {
    seconds
        .checked_mul(1_000)
        .ok_or_else(|| DecodeError::Invalid {
            field: field.to_owned(),
            reason: format!("{seconds} s overflows milliseconds"),
        })
}

/// A book version: unsigned decimal digits.
pub(super) fn version(raw: &[u8], field: &'static str) -> Result<u64, DecodeError> {
    if raw.is_empty() {
        return Err(DecodeError::Missing { field });
    }
    let not_a_version = || number_error(|| field.to_owned(), raw, &"not a version number");
    // Up to 19 digits cannot overflow: one multiply-add per digit, no overflow checks.
    if raw.len() <= 19 {
        let mut value: u64 = 0;
        for &b in raw {
            let digit = b.wrapping_sub(b'0');
            if digit >= 10 {
                return Err(not_a_version());
            }
            value = value * 10 + u64::from(digit);
        }
        return Ok(value);
    }
    let mut value: u64 = 0;
    for &b in raw {
        let digit = match b {
            b'0'..=b'9' => u64::from(b - b'0'),
            _ => return Err(not_a_version()),
        };
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(digit))
            .ok_or_else(|| number_error(|| field.to_owned(), raw, &"version beyond u64"))?;
    }
    Ok(value)
}

fn scan(raw: &[u8], field: impl Fn() -> String) -> Result<Scanned, DecodeError> {
    num::scan(raw).map_err(|e| number_error(field, raw, &e))
}

/// A positive, finite price.
pub(super) fn price(raw: &[u8], field: impl Fn() -> String) -> Result<f64, DecodeError> {
    let scanned = scan(raw, &field)?;
    positive_f64(scanned, raw, field)
}

fn positive_f64(
    scanned: Scanned,
    raw: &[u8],
    field: impl Fn() -> String,
) -> Result<f64, DecodeError> {
    if scanned.is_negative() || scanned.is_zero() {
        return Err(number_error(field, raw, &"must be positive"));
    }
    finite(scanned.to_f64(raw), raw, field)
}

/// A positive, finite quantity (trades).
pub(super) fn positive(raw: &[u8], field: impl Fn() -> String) -> Result<f64, DecodeError> {
    price(raw, field)
}

/// A non-negative, finite quantity.
fn quantity(raw: &[u8], field: impl Fn() -> String) -> Result<f64, DecodeError> {
    let scanned = scan(raw, &field)?;
    if scanned.is_negative() {
        return Err(number_error(field, raw, &"must not be negative"));
    }
    finite(scanned.to_f64(raw), raw, field)
}

fn finite(value: f64, raw: &[u8], field: impl Fn() -> String) -> Result<f64, DecodeError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(number_error(field, raw, &"beyond the f64 range"))
    }
}

fn decimal(raw: &str, field: &'static str) -> Result<Decimal, DecodeError> {
    let bytes = raw.as_bytes();
    num::scan(bytes)
        .and_then(Scanned::to_decimal)
        .map_err(|e| number_error(|| field.to_owned(), bytes, &e))
}

fn non_negative(raw: &str, field: &'static str) -> Result<Decimal, DecodeError> {
    let value = decimal(raw, field)?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(number_error(
            || field.to_owned(),
            raw.as_bytes(),
            &"must not be negative",
        ));
    }
    Ok(value)
}

fn positive_decimal(raw: &str, field: &'static str) -> Result<Decimal, DecodeError> {
    let value = non_negative(raw, field)?;
    if value.is_zero() {
        return Err(number_error(
            || field.to_owned(),
            raw.as_bytes(),
            &"must be positive",
        ));
    }
    Ok(value)
}

/// Non-negative; empty text (a field MEXC left unset) is zero.
fn non_negative_or_zero(raw: &str, field: &'static str) -> Result<Decimal, DecodeError> {
    if raw.is_empty() {
        Ok(Decimal::ZERO)
    } else {
        non_negative(raw, field)
    }
}

/// Any sign; empty text is zero.
fn any_or_zero(raw: &str, field: &'static str) -> Result<Decimal, DecodeError> {
    if raw.is_empty() {
        Ok(Decimal::ZERO)
    } else {
        decimal(raw, field)
    }
}
