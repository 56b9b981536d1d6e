//! The server side: vela values to the bytes of one binary frame, as MEXC sends them. The
//! simulator (`vela sim`) uses these; [`super::decode_push`] reads them back to the same
//! values (tested below).
//!
//! - `f64` values are written with Rust's shortest round-trip formatting (plain decimals, no
//!   exponent), so they decode to the same bits (magnitudes below 1e38).
//! - [`Decimal`](rust_decimal::Decimal)s are written exactly, with their scale.
//! - Kline times are written in seconds (millisecond remainders are dropped), as MEXC does.
//! - Nothing is validated here: encode valid values (a crossed book encodes, and is refused
//!   by the decoder).

use prost::Message;
use prost::bytes::Bytes;
use vela_core::types::{BookTop, Side, Symbol, Timestamp};

use super::channel::{Channel, DepthLimit, Speed};
use super::messages::{
    Body, DepthItem, Opaque, PrivateAccountV3Api, PrivateDealsV3Api, PrivateOrdersV3Api,
    PublicAggreBookTickerV3Api, PublicAggreDealsV3Api, PublicAggreDealsV3ApiItem,
    PublicAggreDepthsV3Api, PublicBookTickerBatchV3Api, PublicBookTickerV3Api,
    PublicLimitDepthsV3Api, PublicSpotKlineV3Api, PushDataV3ApiWrapper,
};
use super::types::{
    BookTicker, Deal, DepthDiff, IgnoredBody, Kline, Level, LimitDepth, PrivateAccount,
    PrivateDeal, PrivateOrder, Push, PushBody,
};

/// The frame of any [`Push`]: the inverse of [`super::decode_push`] for valid values.
#[must_use]
pub fn encode_push(push: &Push) -> Vec<u8> {
    let event_type = event_type(&push.channel, push.symbol.as_ref());
    let body = match &push.body {
        PushBody::Deals(deals) => Some(Body::PublicAggreDeals(deals_body(deals, event_type))),
        PushBody::Kline(kline) => Some(Body::PublicSpotKline(kline_body(kline))),
        PushBody::DepthDiff(diff) => Some(Body::PublicAggreDepths(depth_body(diff, event_type))),
        PushBody::LimitDepth(depth) => {
            Some(Body::PublicLimitDepths(limit_depth_body(depth, event_type)))
        }
        PushBody::BookTicker(ticker) => Some(Body::PublicAggreBookTicker(book_ticker_body(ticker))),
        PushBody::BookTickerBatch(tickers) => {
            Some(Body::PublicBookTickerBatch(batch_body(tickers)))
        }
        PushBody::PrivateOrder(order) => Some(Body::PrivateOrders(Box::new(order_body(order)))),
        PushBody::PrivateDeal(deal) => Some(Body::PrivateDeals(deal_body(deal))),
        PushBody::PrivateAccount(account) => Some(Body::PrivateAccount(account_body(account))),
        PushBody::Ignored(kind) => ignored_body(*kind),
    };
    frame(
        push.channel.clone(),
        push.symbol.as_ref(),
        push.create_time,
        push.send_time,
        body,
    )
}

/// An `aggre.deals` push of `deals`, sent at `time`.
#[must_use]
pub fn deals_frame(symbol: &Symbol, speed: Speed, deals: &[Deal], time: Timestamp) -> Vec<u8> {
    let channel = Channel::Deals {
        symbol: symbol.clone(),
        speed,
    }
    .to_string();
    let event_type = event_type(&channel, Some(symbol));
    let body = Body::PublicAggreDeals(deals_body(deals, event_type));
    frame(channel, Some(symbol), Some(time), Some(time), Some(body))
}

/// A `kline` push of `kline`, sent at `time`.
#[must_use]
pub fn kline_frame(symbol: &Symbol, kline: &Kline, time: Timestamp) -> Vec<u8> {
    let channel = Channel::Kline {
        symbol: symbol.clone(),
        interval: kline.interval,
    }
    .to_string();
    let body = Body::PublicSpotKline(kline_body(kline));
    frame(channel, Some(symbol), Some(time), Some(time), Some(body))
}

/// An `aggre.depth` push of `diff`, sent at `time`.
#[must_use]
pub fn depth_frame(symbol: &Symbol, speed: Speed, diff: &DepthDiff, time: Timestamp) -> Vec<u8> {
    let channel = Channel::Depth {
        symbol: symbol.clone(),
        speed,
    }
    .to_string();
    let event_type = event_type(&channel, Some(symbol));
    let body = Body::PublicAggreDepths(depth_body(diff, event_type));
    frame(channel, Some(symbol), Some(time), Some(time), Some(body))
}

/// A `limit.depth` push of `depth`, sent at `time`.
#[must_use]
pub fn limit_depth_frame(
    symbol: &Symbol,
    limit: DepthLimit,
    depth: &LimitDepth,
    time: Timestamp,
) -> Vec<u8> {
    let channel = Channel::LimitDepth {
        symbol: symbol.clone(),
        limit,
    }
    .to_string();
    let event_type = event_type(&channel, Some(symbol));
    let body = Body::PublicLimitDepths(limit_depth_body(depth, event_type));
    frame(channel, Some(symbol), Some(time), Some(time), Some(body))
}

/// An `aggre.bookTicker` push of `ticker`, created and sent at the quote's time.
#[must_use]
pub fn book_ticker_frame(symbol: &Symbol, speed: Speed, ticker: &BookTicker) -> Vec<u8> {
    let channel = Channel::BookTicker {
        symbol: symbol.clone(),
        speed,
    }
    .to_string();
    let body = Body::PublicAggreBookTicker(book_ticker_body(ticker));
    let time = Some(ticker.top.ts);
    frame(channel, Some(symbol), time, time, Some(body))
}

/// A `private.orders` push of `order`, sent at `time`.
#[must_use]
pub fn private_order_frame(order: &PrivateOrder, time: Timestamp) -> Vec<u8> {
    let body = Body::PrivateOrders(Box::new(order_body(order)));
    let channel = Channel::PrivateOrders.to_string();
    frame(
        channel,
        Some(&order.symbol),
        Some(time),
        Some(time),
        Some(body),
    )
}

/// A `private.deals` push of `deal`, sent at `time`.
#[must_use]
pub fn private_deal_frame(deal: &PrivateDeal, time: Timestamp) -> Vec<u8> {
    let body = Body::PrivateDeals(deal_body(deal));
    let channel = Channel::PrivateDeals.to_string();
    frame(
        channel,
        Some(&deal.symbol),
        Some(time),
        Some(time),
        Some(body),
    )
}

/// A `private.account` push of `account` (no symbol, as MEXC sends it), sent at `time`.
#[must_use]
pub fn private_account_frame(account: &PrivateAccount, time: Timestamp) -> Vec<u8> {
    let body = Body::PrivateAccount(account_body(account));
    let channel = Channel::PrivateAccount.to_string();
    frame(channel, None, Some(time), Some(time), Some(body))
}

fn frame(
    channel: String,
    symbol: Option<&Symbol>,
    create_time: Option<Timestamp>,
    send_time: Option<Timestamp>,
    body: Option<Body>,
) -> Vec<u8> {
    PushDataV3ApiWrapper {
        channel: Bytes::from(channel),
        body,
        symbol: symbol.map(|s| Bytes::copy_from_slice(s.as_str().as_bytes())),
        symbol_id: None,
        create_time: create_time.map(Timestamp::millis),
        send_time: send_time.map(Timestamp::millis),
    }
    .encode_to_vec()
}

/// MEXC's `eventType`: the channel without its symbol (e.g.
/// `spot@public.aggre.deals.v3.api.pb@100ms`).
fn event_type(channel: &str, symbol: Option<&Symbol>) -> Bytes {
    let text = match symbol {
        Some(symbol) => channel.replace(&format!("@{symbol}"), ""),
        None => channel.to_owned(),
    };
    Bytes::from(text)
}

fn text(value: &dyn std::fmt::Display) -> Bytes {
    Bytes::from(value.to_string())
}

const fn side_wire(side: Side) -> i32 {
    match side {
        Side::Buy => 1,
        Side::Sell => 2,
    }
}

fn deals_body(deals: &[Deal], event_type: Bytes) -> PublicAggreDealsV3Api {
    PublicAggreDealsV3Api {
        deals: deals
            .iter()
            .map(|deal| PublicAggreDealsV3ApiItem {
                price: text(&deal.trade.price),
                quantity: text(&deal.trade.quantity),
                trade_type: side_wire(deal.trade.aggressor),
                time: deal.trade.ts.millis(),
                trade_id: deal.trade_id.clone().map(Bytes::from).unwrap_or_default(),
            })
            .collect(),
        event_type,
    }
}

fn kline_body(kline: &Kline) -> PublicSpotKlineV3Api {
    let bar = &kline.bar;
    PublicSpotKlineV3Api {
        interval: Bytes::from_static(kline.interval.name().as_bytes()),
        window_start: bar.ts.millis().div_euclid(1_000),
        opening_price: text(&bar.open),
        closing_price: text(&bar.close),
        highest_price: text(&bar.high),
        lowest_price: text(&bar.low),
        volume: text(&bar.volume),
        amount: text(&kline.quote_volume),
        window_end: kline.close_time.millis().div_euclid(1_000),
    }
}

fn items(levels: &[Level]) -> Vec<DepthItem> {
    levels
        .iter()
        .map(|level| DepthItem {
            price: text(&level.price),
            quantity: text(&level.quantity),
        })
        .collect()
}

fn depth_body(diff: &DepthDiff, event_type: Bytes) -> PublicAggreDepthsV3Api {
    PublicAggreDepthsV3Api {
        asks: items(&diff.asks),
        bids: items(&diff.bids),
        event_type,
        from_version: text(&diff.from_version),
        to_version: text(&diff.to_version),
        last_order_create_time: 0,
    }
}

fn limit_depth_body(depth: &LimitDepth, event_type: Bytes) -> PublicLimitDepthsV3Api {
    PublicLimitDepthsV3Api {
        asks: items(&depth.asks),
        bids: items(&depth.bids),
        event_type,
        version: text(&depth.version),
        last_order_create_time: 0,
    }
}

fn top_fields(top: &BookTop) -> [Bytes; 4] {
    [
        text(&top.bid_price),
        text(&top.bid_quantity),
        text(&top.ask_price),
        text(&top.ask_quantity),
    ]
}

fn book_ticker_body(ticker: &BookTicker) -> PublicAggreBookTickerV3Api {
    let [bid_price, bid_quantity, ask_price, ask_quantity] = top_fields(&ticker.top);
    PublicAggreBookTickerV3Api {
        bid_price,
        bid_quantity,
        ask_price,
        ask_quantity,
        version: ticker.version.map(|v| text(&v)).unwrap_or_default(),
        last_order_create_time: 0,
    }
}

fn batch_body(tickers: &[BookTicker]) -> PublicBookTickerBatchV3Api {
    PublicBookTickerBatchV3Api {
        items: tickers
            .iter()
            .map(|ticker| {
                let [bid_price, bid_quantity, ask_price, ask_quantity] = top_fields(&ticker.top);
                PublicBookTickerV3Api {
                    bid_price,
                    bid_quantity,
                    ask_price,
                    ask_quantity,
                }
            })
            .collect(),
        version: Bytes::new(),
        last_order_create_time: 0,
    }
}

fn order_body(order: &PrivateOrder) -> PrivateOrdersV3Api {
    PrivateOrdersV3Api {
        id: order.order_id.clone(),
        client_id: order.client_id.clone().unwrap_or_default(),
        price: order.price.map(|p| p.to_string()).unwrap_or_default(),
        quantity: order.quantity.to_string(),
        amount: order.amount.to_string(),
        avg_price: order.avg_price.to_string(),
        order_type: order.order_type.wire(),
        trade_type: side_wire(order.side),
        is_maker: order.is_maker,
        remain_amount: order.remain_amount.to_string(),
        remain_quantity: order.remain_quantity.to_string(),
        last_deal_quantity: order.last_deal_quantity.map(|q| q.to_string()),
        cumulative_quantity: order.cumulative_quantity.to_string(),
        cumulative_amount: order.cumulative_amount.to_string(),
        status: order.status.wire(),
        create_time: order.create_time.millis(),
        ..PrivateOrdersV3Api::default()
    }
}

fn deal_body(deal: &PrivateDeal) -> PrivateDealsV3Api {
    PrivateDealsV3Api {
        price: deal.price.to_string(),
        quantity: deal.quantity.to_string(),
        amount: deal.amount.to_string(),
        trade_type: side_wire(deal.side),
        is_maker: deal.is_maker,
        is_self_trade: deal.is_self_trade,
        trade_id: deal.trade_id.clone(),
        client_order_id: deal.client_order_id.clone().unwrap_or_default(),
        order_id: deal.order_id.clone(),
        fee_amount: deal.fee.to_string(),
        fee_currency: deal
            .fee_asset
            .as_ref()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default(),
        time: deal.time.millis(),
    }
}

fn account_body(account: &PrivateAccount) -> PrivateAccountV3Api {
    PrivateAccountV3Api {
        vcoin_name: account.asset.as_str().to_owned(),
        coin_id: String::new(),
        balance_amount: account.free.to_string(),
        balance_amount_change: account.free_change.to_string(),
        frozen_amount: account.locked.to_string(),
        frozen_amount_change: account.locked_change.to_string(),
        r#type: account.change_type.clone(),
        time: account.time.millis(),
    }
}

const fn ignored_body(kind: IgnoredBody) -> Option<Body> {
    match kind {
        IgnoredBody::PublicDeals => Some(Body::PublicDeals(Opaque {})),
        IgnoredBody::PublicIncreaseDepths => Some(Body::PublicIncreaseDepths(Opaque {})),
        IgnoredBody::PublicBookTicker => Some(Body::PublicBookTicker(Opaque {})),
        IgnoredBody::PublicMiniTicker => Some(Body::PublicMiniTicker(Opaque {})),
        IgnoredBody::PublicMiniTickers => Some(Body::PublicMiniTickers(Opaque {})),
        IgnoredBody::PublicIncreaseDepthsBatch => Some(Body::PublicIncreaseDepthsBatch(Opaque {})),
        IgnoredBody::Unknown => None,
    }
}
