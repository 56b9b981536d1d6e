//! The simulator's JSON replies: orders as MEXC reports them and the public market
//! endpoints (exchangeInfo, depth, trades, klines, tickers), built from the state.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use vela_core::types::{OrderAmount, OrderType, Side};

use super::account::{ApiError, OrderRecord};
use super::rest::{Reply, limit_param, need, symbol_param, time_range};
use super::state::SimState;
use super::synth::deals;
use crate::rest::order::plain;

fn type_name(t: OrderType) -> &'static str {
    crate::rest::model::WireOrderType::from(t).as_str()
}

fn status_name(record: &OrderRecord) -> Value {
    serde_json::to_value(record.status).unwrap_or(Value::Null)
}

pub(super) fn ack_json(record: &OrderRecord) -> Value {
    let r = &record.request;
    json!({
        "symbol": r.symbol.as_str(),
        "orderId": record.order_id,
        "orderListId": -1,
        "price": r.price.map(plain).unwrap_or_default(),
        "origQty": match r.amount { OrderAmount::Base(q) => plain(q), OrderAmount::Quote(_) => String::new() },
        "type": type_name(r.order_type),
        "side": if r.side == Side::Buy { "BUY" } else { "SELL" },
        "transactTime": record.time,
    })
}

pub(super) fn order_json(record: &OrderRecord, orig_client: Option<&str>) -> Value {
    let r = &record.request;
    let (qty, quote) = match r.amount {
        OrderAmount::Base(q) => (plain(q), "0".to_owned()),
        OrderAmount::Quote(a) => ("0".to_owned(), plain(a)),
    };
    json!({
        "symbol": r.symbol.as_str(),
        "orderId": record.order_id,
        "orderListId": -1,
        "clientOrderId": record.client_order_id,
        "origClientOrderId": orig_client.unwrap_or(&record.client_order_id),
        "price": r.price.map_or_else(|| "0".to_owned(), plain),
        "origQty": qty,
        "executedQty": plain(record.executed_qty),
        "cummulativeQuoteQty": plain(record.cumulative_quote),
        "status": status_name(record),
        "timeInForce": null,
        "type": type_name(r.order_type),
        "side": if r.side == Side::Buy { "BUY" } else { "SELL" },
        "stopPrice": null,
        "time": record.time,
        "updateTime": record.update_time,
        "isWorking": record.status.is_open(),
        "origQuoteOrderQty": quote,
    })
}

pub(super) fn orders_json(
    state: &SimState,
    api_key: &str,
    keep: impl Fn(&OrderRecord) -> bool,
    limit: usize,
) -> Value {
    let Some(account) = state.account(api_key) else {
        return Value::Array(Vec::new());
    };
    let mut records: Vec<&OrderRecord> = account.orders().values().filter(|r| keep(r)).collect();
    records.sort_by(|a, b| (a.time, &a.order_id).cmp(&(b.time, &b.order_id)));
    let skip = records.len().saturating_sub(limit);
    Value::Array(
        records[skip..]
            .iter()
            .map(|r| order_json(r, None))
            .collect(),
    )
}

pub(super) fn exchange_info(
    state: &SimState,
    params: &BTreeMap<String, String>,
    now: i64,
) -> Reply {
    let wanted: Option<Vec<String>> = params.get("symbol").map(|s| vec![s.clone()]).or_else(|| {
        params
            .get("symbols")
            .map(|s| s.split(',').map(str::to_owned).collect())
    });
    let mut symbols = Vec::new();
    for instrument in state.instruments().values() {
        if wanted
            .as_ref()
            .is_some_and(|w| !w.iter().any(|s| s == instrument.symbol.as_str()))
        {
            continue;
        }
        symbols.push(json!({
            "symbol": instrument.symbol.as_str(),
            "status": "1",
            "baseAsset": instrument.base.as_str(),
            "baseAssetPrecision": instrument.quantity_precision,
            "quoteAsset": instrument.quote.as_str(),
            "quotePrecision": instrument.price_precision,
            "quoteAssetPrecision": instrument.price_precision,
            "baseCommissionPrecision": instrument.quantity_precision,
            "quoteCommissionPrecision": instrument.price_precision,
            "orderTypes": ["LIMIT", "MARKET", "LIMIT_MAKER"],
            "isSpotTradingAllowed": instrument.api_trading_allowed,
            "isMarginTradingAllowed": false,
            "quoteAmountPrecision": plain(instrument.min_notional),
            "baseSizePrecision": plain(instrument.min_quantity),
            "permissions": ["SPOT"],
            "filters": [],
            "maxQuoteAmount": "2000000",
            "makerCommission": plain(instrument.maker_fee),
            "takerCommission": plain(instrument.taker_fee),
            "quoteAmountPrecisionMarket": plain(instrument.min_notional),
            "maxQuoteAmountMarket": "100000",
            "tradeSideType": 1,
        }));
    }
    if wanted.is_some() && symbols.is_empty() {
        return Err(ApiError::bad_request(-1121, "Invalid symbol."));
    }
    Ok(
        json!({"timezone": "CST", "serverTime": now, "rateLimits": [], "exchangeFilters": [], "symbols": symbols}),
    )
}

fn levels(levels: &[(Decimal, Decimal)], limit: usize) -> Value {
    Value::Array(
        levels
            .iter()
            .take(limit)
            .map(|(p, q)| json!([plain(*p), plain(*q)]))
            .collect(),
    )
}

pub(super) fn depth(state: &SimState, params: &BTreeMap<String, String>) -> Reply {
    let symbol = symbol_param(state, params)?;
    let limit = limit_param(params, 100, 5000)?;
    let market = state
        .market(&symbol)
        .ok_or_else(|| ApiError::bad_request(-1121, "Invalid symbol."))?;
    let (bids, asks) = market.book();
    Ok(
        json!({"lastUpdateId": market.version(), "bids": levels(bids, limit), "asks": levels(asks, limit)}),
    )
}

pub(super) fn trades(state: &SimState, params: &BTreeMap<String, String>) -> Reply {
    let symbol = symbol_param(state, params)?;
    let limit = limit_param(params, 500, 1000)?;
    let bars = state.completed_bars(&symbol);
    let mut all = Vec::new();
    let from = bars.len().saturating_sub(limit.div_ceil(4));
    for (i, bar) in bars.iter().enumerate().skip(from) {
        all.extend(deals(bar, i, state.interval_ms()));
    }
    let skip = all.len().saturating_sub(limit);
    Ok(Value::Array(
        all[skip..]
            .iter()
            .rev()
            .map(|d| {
                json!({
                    "id": null, "price": d.price.to_string(), "qty": d.quantity.to_string(),
                    "quoteQty": (d.price * d.quantity).to_string(), "time": d.time,
                    "isBuyerMaker": d.taker_side == Side::Sell, "isBestMatch": true,
                })
            })
            .collect(),
    ))
}

fn kline_row(bar: &vela_core::types::Bar, interval_ms: i64) -> Value {
    json!([
        bar.ts.millis(),
        bar.open.to_string(),
        bar.high.to_string(),
        bar.low.to_string(),
        bar.close.to_string(),
        bar.volume.to_string(),
        bar.ts.millis() + interval_ms,
        (bar.volume * bar.close).to_string(),
    ])
}

/// Completed bars only. MEXC also returns the bar in progress, which a client tells apart
/// by comparing its end with the server's clock; the replay's bars are in the past of the
/// wall clock, so the simulator leaves the bar in progress out instead (its WebSocket
/// klines carry it).
pub(super) fn klines(state: &SimState, params: &BTreeMap<String, String>) -> Reply {
    let symbol = symbol_param(state, params)?;
    let interval = need(params, "interval")?;
    let served = interval_name(state.interval_ms());
    if Some(interval) != served {
        return Err(ApiError::bad_request(
            -1121,
            format!(
                "Invalid interval. (the simulator replays {})",
                served.unwrap_or("its own interval")
            ),
        ));
    }
    let limit = limit_param(params, 500, 1000)?;
    let (start, end) = time_range(params)?;
    let mut rows: Vec<Value> = state
        .completed_bars(&symbol)
        .iter()
        .filter(|b| b.ts.millis() >= start && b.ts.millis() <= end)
        .take(limit)
        .map(|b| kline_row(b, state.interval_ms()))
        .collect();
    rows.truncate(limit);
    Ok(Value::Array(rows))
}

/// MEXC's REST name of an interval of `ms` milliseconds.
#[must_use]
pub(super) fn interval_name(ms: i64) -> Option<&'static str> {
    vela_data::Interval::ALL
        .iter()
        .find(|i| i.millis() == Some(ms))
        .map(|i| i.name())
}

pub(super) fn ticker(state: &SimState, params: &BTreeMap<String, String>) -> Reply {
    let symbol = symbol_param(state, params)?;
    let bars = state.completed_bars(&symbol);
    let day = 86_400_000 / state.interval_ms().max(1);
    let window = &bars[bars
        .len()
        .saturating_sub(usize::try_from(day).unwrap_or(usize::MAX))..];
    let last = state.last_price(&symbol).unwrap_or(0.0);
    let open = window.first().map_or(last, |b| b.open);
    let high = window.iter().map(|b| b.high).fold(last, f64::max);
    let low = window.iter().map(|b| b.low).fold(last, f64::min);
    let volume: f64 = window.iter().map(|b| b.volume).sum();
    let (bid, ask) = state
        .market(&symbol)
        .map(|m| {
            (
                m.book().0.first().map(|l| plain(l.0)),
                m.book().1.first().map(|l| plain(l.0)),
            )
        })
        .unwrap_or_default();
    Ok(json!({
        "symbol": symbol.as_str(), "priceChange": (last - open).to_string(),
        "priceChangePercent": if open > 0.0 { ((last - open) / open).to_string() } else { "0".to_owned() },
        "lastPrice": last.to_string(), "bidPrice": bid, "askPrice": ask, "openPrice": open.to_string(),
        "highPrice": high.to_string(), "lowPrice": low.to_string(), "volume": volume.to_string(),
        "quoteVolume": null, "openTime": window.first().map(|b| b.ts.millis()),
        "closeTime": state.market_time(), "count": null,
    }))
}

pub(super) fn book_ticker(state: &SimState, params: &BTreeMap<String, String>) -> Reply {
    let symbol = symbol_param(state, params)?;
    let market = state
        .market(&symbol)
        .ok_or_else(|| ApiError::bad_request(-1121, "Invalid symbol."))?;
    let (bids, asks) = market.book();
    let (Some(bid), Some(ask)) = (bids.first(), asks.first()) else {
        return Err(ApiError::bad_request(
            30010,
            "No valid trade price: the replay has not started",
        ));
    };
    Ok(json!({
        "symbol": symbol.as_str(), "bidPrice": plain(bid.0), "bidQty": plain(bid.1),
        "askPrice": plain(ask.0), "askQty": plain(ask.1),
    }))
}
