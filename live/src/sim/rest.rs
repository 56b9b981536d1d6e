//! The simulator's REST half: MEXC's `/api/v3/...` paths on an axum router, with MEXC's
//! checks on signed requests (API key, `recvWindow`, timestamp, HMAC signature) and the
//! REST faults of [`Faults`](super::faults).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use vela_core::types::{
    ClientOrderId, OrderAmount, OrderRequest, OrderType, Side, Symbol, Timestamp,
};

use super::account::{ApiError, OrderRecord};
use super::faults::{Faults, RestFault};
use super::listen_keys::{KeyProblem, ListenKeys};
use super::outgoing::Outgoing;
use super::replies::{
    ack_json, book_ticker, depth, exchange_info, klines, order_json, orders_json, ticker, trades,
};
use super::state::SimState;
use crate::rest::order::plain;
use crate::signing::{MAX_RECV_WINDOW_MS, verify};

/// How long an order hit by an `order_timeouts` fault waits before answering (the
/// client gives up long before).
pub const HELD_REPLY: Duration = Duration::from_secs(3_600);

/// Receives what the handlers produce, to push to WebSocket clients.
pub type PushSink = Arc<dyn Fn(Vec<Outgoing>) + Send + Sync>;

/// What the REST handlers share.
pub struct RestShared {
    /// The simulator's state.
    pub state: Mutex<SimState>,
    /// Fault switches.
    pub faults: Arc<Faults>,
    /// listenKeys.
    pub listen_keys: Arc<ListenKeys>,
    /// Where pushes go.
    pub publish: PushSink,
    /// The wall clock, ms since the epoch.
    pub wall_clock: fn() -> i64,
}

impl std::fmt::Debug for RestShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestShared").finish_non_exhaustive()
    }
}

impl RestShared {
    /// Locks the state (a panic elsewhere leaves plain data behind: keep going).
    pub fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The REST router: every path under `/api/v3/`.
pub fn router(shared: Arc<RestShared>) -> Router {
    Router::new()
        .route("/api/v3/{*path}", axum::routing::any(handle))
        .with_state(shared)
}

pub(super) type Reply = Result<Value, ApiError>;

fn error_response(error: &ApiError) -> Response {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = json!({ "code": error.code, "msg": error.msg }).to_string();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn handle(
    State(shared): State<Arc<RestShared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let latency = shared.faults.latency_ms();
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    match shared.faults.take_rest_fault() {
        Some(RestFault::ServerError(status)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return (status, "injected server error").into_response();
        }
        Some(RestFault::RateLimited { retry_after_secs }) => {
            let body = json!({"code": 429, "msg": "Too many requests"}).to_string();
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, retry_after_secs.to_string())],
                body,
            )
                .into_response();
        }
        None => {}
    }
    let path = uri.path().trim_start_matches("/api/v3/").to_owned();
    let raw = uri.query().unwrap_or("").to_owned();
    let params = parse_query(&raw);
    let is_place = method == Method::POST && path == "order";
    let reply = route(&shared, &method, &path, &raw, &params, &headers);
    if is_place && reply.is_ok() && shared.faults.take_order_timeout() {
        // Carried out, never answered: the client cannot know the outcome.
        tokio::time::sleep(HELD_REPLY).await;
    }
    match reply {
        Ok(body) => (
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response(),
        Err(error) => error_response(&error),
    }
}

fn parse_query(raw: &str) -> BTreeMap<String, String> {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (decode(k), decode(v))
        })
        .collect()
}

fn route(
    shared: &RestShared,
    method: &Method,
    path: &str,
    raw: &str,
    params: &BTreeMap<String, String>,
    headers: &HeaderMap,
) -> Reply {
    let now = (shared.wall_clock)();
    match (method.as_str(), path) {
        ("GET", "ping") => Ok(json!({})),
        ("GET", "time") => Ok(json!({ "serverTime": now })),
        ("GET", "exchangeInfo") => exchange_info(&shared.lock(), params, now),
        ("GET", "depth") => depth(&shared.lock(), params),
        ("GET", "trades") => trades(&shared.lock(), params),
        ("GET", "klines") => klines(&shared.lock(), params),
        ("GET", "ticker/24hr") => ticker(&shared.lock(), params),
        ("GET", "ticker/bookTicker") => book_ticker(&shared.lock(), params),
        _ => {
            let api_key = authenticate(shared, raw, params, headers, now)?;
            signed(shared, method.as_str(), path, &api_key, params, now)
        }
    }
}

/// MEXC's checks on a signed request; returns the account's API key.
fn authenticate(
    shared: &RestShared,
    raw: &str,
    params: &BTreeMap<String, String>,
    headers: &HeaderMap,
    now: i64,
) -> Result<String, ApiError> {
    let api_key = headers
        .get("X-MEXC-APIKEY")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::bad_request(700001, "API key required"))?
        .to_owned();
    let secret = shared
        .lock()
        .account(&api_key)
        .map(|a| a.secret().to_owned())
        .ok_or_else(|| ApiError::bad_request(10072, "Api key info invalid"))?;
    let recv_window: u64 = match params.get("recvWindow") {
        Some(v) => v
            .parse()
            .map_err(|_| ApiError::bad_request(33333, "Parameter error: recvWindow"))?,
        None => 5_000,
    };
    if recv_window > MAX_RECV_WINDOW_MS {
        return Err(ApiError::bad_request(
            700005,
            "recvWindow must less than 60000",
        ));
    }
    let timestamp: i64 = params
        .get("timestamp")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                700003,
                "Timestamp for this request is outside of the recvWindow.",
            )
        })?;
    let window = i64::try_from(recv_window).unwrap_or(i64::MAX);
    if timestamp >= now + 1_000 || now - timestamp > window {
        return Err(ApiError::bad_request(
            700003,
            "Timestamp for this request is outside of the recvWindow.",
        ));
    }
    let (payload, signature) = raw
        .rsplit_once("&signature=")
        .ok_or_else(|| ApiError::bad_request(700002, "Signature for this request is not valid."))?;
    if !verify(secret.as_bytes(), payload.as_bytes(), signature) {
        return Err(ApiError::bad_request(
            700002,
            "Signature for this request is not valid.",
        ));
    }
    Ok(api_key)
}

pub(super) fn need<'a>(
    params: &'a BTreeMap<String, String>,
    key: &str,
) -> Result<&'a str, ApiError> {
    params
        .get(key)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::bad_request(44444, format!("Parameter error: {key} is null")))
}

pub(super) fn symbol_param(
    state: &SimState,
    params: &BTreeMap<String, String>,
) -> Result<Symbol, ApiError> {
    let symbol = Symbol::new(need(params, "symbol")?)
        .map_err(|_| ApiError::bad_request(-1121, "Invalid symbol."))?;
    if !state.instruments().contains_key(&symbol) {
        return Err(ApiError::bad_request(-1121, "Invalid symbol."));
    }
    Ok(symbol)
}

fn decimal_param(
    params: &BTreeMap<String, String>,
    key: &str,
) -> Result<Option<Decimal>, ApiError> {
    params
        .get(key)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<Decimal>().map_err(|_| {
                ApiError::bad_request(
                    10097,
                    format!("Parameter error: {key} `{v}` is not a number"),
                )
            })
        })
        .transpose()
}

pub(super) fn limit_param(
    params: &BTreeMap<String, String>,
    default: usize,
    max: usize,
) -> Result<usize, ApiError> {
    match params.get("limit") {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .map(|n| n.clamp(1, max))
            .map_err(|_| ApiError::bad_request(33333, format!("Parameter error: limit `{v}`"))),
    }
}

fn signed(
    shared: &RestShared,
    method: &str,
    path: &str,
    api_key: &str,
    params: &BTreeMap<String, String>,
    now: i64,
) -> Reply {
    let mut out = Vec::new();
    let reply = {
        let mut state = shared.lock();
        match (method, path) {
            ("POST", "order") => place(&mut state, api_key, params, &mut out).map(|r| ack_json(&r)),
            ("POST", "order/test") => order_request(&state, params).map(|_| json!({})),
            ("POST", "batchOrders") => batch(&mut state, api_key, params, &mut out),
            ("DELETE", "order") => {
                let symbol = symbol_param(&state, params)?;
                let (id, client) = order_ref(params)?;
                state
                    .cancel(api_key, &symbol, id, client, &mut out)
                    .map(|r| order_json(&r, client))
            }
            ("DELETE", "openOrders") => {
                let symbol = symbol_param(&state, params)?;
                state.cancel_all(api_key, &symbol, &mut out).map(|records| {
                    Value::Array(records.iter().map(|r| order_json(r, None)).collect())
                })
            }
            ("GET", "order") => {
                let symbol = symbol_param(&state, params)?;
                let (id, client) = order_ref(params)?;
                state
                    .account(api_key)
                    .and_then(|a| a.find(id, client))
                    .filter(|r| r.request.symbol == symbol)
                    .map(|r| order_json(r, None))
                    .ok_or_else(|| ApiError::bad_request(-2011, "Order does not exist."))
            }
            ("GET", "openOrders") => {
                let symbol = symbol_param(&state, params)?;
                Ok(orders_json(
                    &state,
                    api_key,
                    |r| r.request.symbol == symbol && r.status.is_open(),
                    usize::MAX,
                ))
            }
            ("GET", "allOrders") => {
                let symbol = symbol_param(&state, params)?;
                let limit = limit_param(params, 500, 1000)?;
                let (start, end) = time_range(params)?;
                Ok(orders_json(
                    &state,
                    api_key,
                    |r| r.request.symbol == symbol && r.time >= start && r.time <= end,
                    limit,
                ))
            }
            ("GET", "myTrades") => {
                let symbol = symbol_param(&state, params)?;
                let limit = limit_param(params, 100, 100)?;
                let (start, end) = time_range(params)?;
                let order_id = params.get("orderId");
                let trades: Vec<Value> = state
                    .account(api_key)
                    .map(super::account::Account::trades)
                    .unwrap_or_default()
                    .iter()
                    .filter(|t| {
                        t.fill.symbol == symbol
                            && t.fill.ts.millis() >= start
                            && t.fill.ts.millis() <= end
                    })
                    .filter(|t| order_id.is_none_or(|id| &t.order_id == id))
                    .take(limit)
                    .map(|t| {
                        json!({
                            "symbol": t.fill.symbol.as_str(),
                            "id": t.fill.trade_id,
                            "orderId": t.order_id,
                            "orderListId": -1,
                            "price": plain(t.fill.price),
                            "qty": plain(t.fill.quantity),
                            "quoteQty": plain(t.fill.notional()),
                            "commission": plain(t.fill.fee),
                            "commissionAsset": t.fill.fee_asset.as_str(),
                            "time": t.fill.ts.millis(),
                            "isBuyer": t.fill.side == Side::Buy,
                            "isMaker": t.fill.is_maker,
                            "isBestMatch": true,
                            "isSelfTrade": false,
                            "clientOrderId": t.fill.client_id.as_str(),
                        })
                    })
                    .collect();
                Ok(Value::Array(trades))
            }
            ("GET", "account") => {
                let holdings = state
                    .account(api_key)
                    .map(|a| a.holdings().clone())
                    .unwrap_or_default();
                let balances: Vec<Value> = holdings
                    .iter()
                    .map(|(asset, h)| json!({"asset": asset, "free": plain(h.free), "locked": plain(h.locked)}))
                    .collect();
                Ok(json!({
                    "canTrade": true, "canWithdraw": false, "canDeposit": false,
                    "updateTime": null, "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"],
                }))
            }
            ("GET", "tradeFee") => {
                let symbol = symbol_param(&state, params)?;
                let instrument = &state.instruments()[&symbol];
                Ok(json!({
                    "data": {"makerCommission": plain(instrument.maker_fee), "takerCommission": plain(instrument.taker_fee)},
                    "code": 0, "msg": "success", "timestamp": now,
                }))
            }
            ("POST", "userDataStream") => shared
                .listen_keys
                .create(api_key, now, shared.faults.listen_key_generation())
                .map(|key| json!({ "listenKey": key }))
                .map_err(key_error),
            ("PUT", "userDataStream") => {
                let key = need(params, "listenKey")?;
                shared
                    .listen_keys
                    .keep_alive(api_key, key, now, shared.faults.listen_key_generation())
                    .map(|()| json!({ "listenKey": key }))
                    .map_err(key_error)
            }
            ("DELETE", "userDataStream") => {
                let key = need(params, "listenKey")?;
                shared
                    .listen_keys
                    .close(api_key, key)
                    .map(|()| json!({ "listenKey": key }))
                    .map_err(key_error)
            }
            ("GET", "userDataStream") => Ok(json!({
                "listenKey": shared.listen_keys.list(api_key, now, shared.faults.listen_key_generation())
            })),
            _ => Err(ApiError {
                status: 404,
                code: -1,
                msg: format!("{method} /api/v3/{path} is not served by the simulator"),
            }),
        }
    };
    if !out.is_empty() {
        (shared.publish)(out);
    }
    reply
}

fn key_error(problem: KeyProblem) -> ApiError {
    match problem {
        KeyProblem::Unknown | KeyProblem::Expired => {
            ApiError::bad_request(730_706, "listenKey is invalid or expired")
        }
        KeyProblem::TooMany => {
            ApiError::bad_request(730_707, "too many listenKeys for this account")
        }
    }
}

pub(super) fn time_range(params: &BTreeMap<String, String>) -> Result<(i64, i64), ApiError> {
    let read = |key: &str, default: i64| match params.get(key) {
        None => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request(33333, format!("Parameter error: {key} `{v}`"))),
    };
    Ok((read("startTime", i64::MIN)?, read("endTime", i64::MAX)?))
}

fn order_ref(params: &BTreeMap<String, String>) -> Result<(Option<&str>, Option<&str>), ApiError> {
    let id = params
        .get("orderId")
        .map(String::as_str)
        .filter(|v| !v.is_empty());
    let client = params
        .get("origClientOrderId")
        .map(String::as_str)
        .filter(|v| !v.is_empty());
    if id.is_none() && client.is_none() {
        return Err(ApiError::bad_request(
            700004,
            "Mandatory parameter 'orderId' or 'origClientOrderId' was not sent",
        ));
    }
    Ok((id, client))
}

/// The request (without its client id and time, which [`SimState::place`] sets).
fn order_request(
    state: &SimState,
    params: &BTreeMap<String, String>,
) -> Result<(OrderRequest, Option<ClientOrderId>), ApiError> {
    let symbol = symbol_param(state, params)?;
    let side = match need(params, "side")? {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        other => {
            return Err(ApiError::bad_request(
                33333,
                format!("Parameter error: side `{other}`"),
            ));
        }
    };
    let order_type = match need(params, "type")? {
        "LIMIT" => OrderType::Limit,
        "MARKET" => OrderType::Market,
        "LIMIT_MAKER" => OrderType::LimitMaker,
        "IMMEDIATE_OR_CANCEL" => OrderType::ImmediateOrCancel,
        "FILL_OR_KILL" => OrderType::FillOrKill,
        other => {
            return Err(ApiError::bad_request(
                33333,
                format!("Parameter error: type `{other}`"),
            ));
        }
    };
    let quantity = decimal_param(params, "quantity")?;
    let quote = decimal_param(params, "quoteOrderQty")?;
    let amount = match (quantity, quote) {
        (Some(q), None) => OrderAmount::Base(q),
        (None, Some(a)) if order_type == OrderType::Market && side == Side::Buy => {
            OrderAmount::Quote(a)
        }
        (None, Some(_)) => {
            return Err(ApiError::bad_request(
                33333,
                "Parameter error: quoteOrderQty is for market buys",
            ));
        }
        (None, None) => {
            return Err(ApiError::bad_request(
                44444,
                "Parameter error: quantity is null",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                -1128,
                "Combination of optional parameters invalid.",
            ));
        }
    };
    let client_id = params
        .get("newClientOrderId")
        .filter(|v| !v.is_empty())
        .map(|v| {
            ClientOrderId::new(v.as_str()).map_err(|e| ApiError::bad_request(700008, e.to_string()))
        })
        .transpose()?;
    let placeholder =
        ClientOrderId::new("pending").map_err(|e| ApiError::bad_request(-1, e.to_string()))?;
    Ok((
        OrderRequest {
            client_id: placeholder,
            symbol,
            side,
            order_type,
            amount,
            price: decimal_param(params, "price")?,
            ts: Timestamp(0),
        },
        client_id,
    ))
}

fn place(
    state: &mut SimState,
    api_key: &str,
    params: &BTreeMap<String, String>,
    out: &mut Vec<Outgoing>,
) -> Result<OrderRecord, ApiError> {
    let (request, client_id) = order_request(state, params)?;
    state.place(api_key, request, client_id, out)
}

fn batch(
    state: &mut SimState,
    api_key: &str,
    params: &BTreeMap<String, String>,
    out: &mut Vec<Outgoing>,
) -> Reply {
    let text = need(params, "batchOrders")?;
    let orders: Vec<BTreeMap<String, Value>> = serde_json::from_str(text)
        .map_err(|e| ApiError::bad_request(33333, format!("Parameter error: batchOrders: {e}")))?;
    if orders.is_empty() || orders.len() > 20 {
        return Err(ApiError::bad_request(
            33333,
            "Parameter error: 1 to 20 orders per batch",
        ));
    }
    let mut replies = Vec::new();
    for order in orders {
        let one: BTreeMap<String, String> = order
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect();
        match place(state, api_key, &one, out) {
            Ok(record) => replies.push(json!({"symbol": record.request.symbol.as_str(), "orderId": record.order_id, "orderListId": -1})),
            Err(e) => replies.push(json!({"newClientOrderId": one.get("newClientOrderId"), "code": e.code, "msg": e.msg})),
        }
    }
    Ok(Value::Array(replies))
}
