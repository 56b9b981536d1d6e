//! The REST client: one place that admits a request through the limiter, signs it, sends
//! it and turns the reply into a typed value or a [`MexcError`] with the right outcome.

use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use vela_data::Interval;
use vela_data::mexc::{Klines, parse_klines};

use super::model::{
    Account, AccountTrade, BatchItem, BookTicker, Depth, ExchangeInfo, ListenKeyReply, OrderAck,
    OrderInfo, PublicTrade, ServerTime, Ticker24h, TradeFee, TradeFeeRates, Wrapped,
};
use super::order::{NewOrder, OrderRef};
use crate::errors::{MexcError, RejectKind, UnknownCause, api_error, snippet};
use crate::limits::{Cost, LimiterConfig, RequestLimiter};
use crate::secret::Credentials;
use crate::signing::{DEFAULT_RECV_WINDOW_MS, MAX_RECV_WINDOW_MS, Query};

/// MEXC's REST base URL (reference §1).
pub const MEXC_BASE_URL: &str = "https://api.mexc.com";

/// Settings of a [`RestClient`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestConfig {
    /// Base URL, e.g. [`MEXC_BASE_URL`] or a simulator's `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// `recvWindow` of signed requests, ms (at most 60,000).
    pub recv_window_ms: u64,
    /// Limit on one request from sending to the end of the reply. A request that takes
    /// longer has an unknown outcome.
    pub timeout: Duration,
    /// The limiter's budgets.
    pub limits: LimiterConfig,
    /// Longest the client waits for the limiter before refusing a request as not sent.
    pub max_limiter_wait: Duration,
}

impl Default for RestConfig {
    fn default() -> Self {
        Self {
            base_url: MEXC_BASE_URL.to_owned(),
            recv_window_ms: DEFAULT_RECV_WINDOW_MS,
            timeout: Duration::from_secs(10),
            limits: LimiterConfig::default(),
            max_limiter_wait: Duration::from_secs(2),
        }
    }
}

/// Whether a request changes state on the exchange (then an unreadable reply means the
/// outcome is unknown) or only reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Read,
    Write,
}

/// One endpoint: method, path, name for errors, cost, whether signed.
#[derive(Debug, Clone, Copy)]
struct Endpoint {
    method: &'static str,
    path: &'static str,
    name: &'static str,
    cost: Cost,
    signed: bool,
    effect: Effect,
}

const fn public(path: &'static str, name: &'static str, weight: u32) -> Endpoint {
    Endpoint {
        method: "GET",
        path,
        name,
        cost: Cost {
            weight,
            order: false,
        },
        signed: false,
        effect: Effect::Read,
    }
}

const fn signed(
    method: &'static str,
    path: &'static str,
    name: &'static str,
    weight: u32,
    order: bool,
    effect: Effect,
) -> Endpoint {
    Endpoint {
        method,
        path,
        name,
        cost: Cost { weight, order },
        signed: true,
        effect,
    }
}

// Weights: reference §1.1 and §1.4 (batchOrders: ccxt's 10, the cautious reading).
const PING: Endpoint = public("/api/v3/ping", "GET /api/v3/ping", 1);
const TIME: Endpoint = public("/api/v3/time", "GET /api/v3/time", 1);
const EXCHANGE_INFO: Endpoint = public("/api/v3/exchangeInfo", "GET /api/v3/exchangeInfo", 10);
const DEPTH: Endpoint = public("/api/v3/depth", "GET /api/v3/depth", 1);
const TRADES: Endpoint = public("/api/v3/trades", "GET /api/v3/trades", 5);
const KLINES: Endpoint = public("/api/v3/klines", "GET /api/v3/klines", 1);
const TICKER_24H: Endpoint = public("/api/v3/ticker/24hr", "GET /api/v3/ticker/24hr", 1);
const BOOK_TICKER: Endpoint = public(
    "/api/v3/ticker/bookTicker",
    "GET /api/v3/ticker/bookTicker",
    1,
);
const PLACE: Endpoint = signed(
    "POST",
    "/api/v3/order",
    "POST /api/v3/order",
    1,
    true,
    Effect::Write,
);
const TEST_ORDER: Endpoint = signed(
    "POST",
    "/api/v3/order/test",
    "POST /api/v3/order/test",
    1,
    false,
    Effect::Read,
);
const BATCH: Endpoint = signed(
    "POST",
    "/api/v3/batchOrders",
    "POST /api/v3/batchOrders",
    10,
    true,
    Effect::Write,
);
const CANCEL: Endpoint = signed(
    "DELETE",
    "/api/v3/order",
    "DELETE /api/v3/order",
    1,
    true,
    Effect::Write,
);
const CANCEL_ALL: Endpoint = signed(
    "DELETE",
    "/api/v3/openOrders",
    "DELETE /api/v3/openOrders",
    1,
    true,
    Effect::Write,
);
const QUERY: Endpoint = signed(
    "GET",
    "/api/v3/order",
    "GET /api/v3/order",
    2,
    false,
    Effect::Read,
);
const OPEN_ORDERS: Endpoint = signed(
    "GET",
    "/api/v3/openOrders",
    "GET /api/v3/openOrders",
    3,
    false,
    Effect::Read,
);
const ALL_ORDERS: Endpoint = signed(
    "GET",
    "/api/v3/allOrders",
    "GET /api/v3/allOrders",
    10,
    false,
    Effect::Read,
);
const MY_TRADES: Endpoint = signed(
    "GET",
    "/api/v3/myTrades",
    "GET /api/v3/myTrades",
    10,
    false,
    Effect::Read,
);
const ACCOUNT: Endpoint = signed(
    "GET",
    "/api/v3/account",
    "GET /api/v3/account",
    10,
    false,
    Effect::Read,
);
const TRADE_FEE: Endpoint = signed(
    "GET",
    "/api/v3/tradeFee",
    "GET /api/v3/tradeFee",
    20,
    false,
    Effect::Read,
);
const LISTEN_CREATE: Endpoint = signed(
    "POST",
    "/api/v3/userDataStream",
    "POST /api/v3/userDataStream",
    1,
    false,
    Effect::Write,
);
const LISTEN_KEEP: Endpoint = signed(
    "PUT",
    "/api/v3/userDataStream",
    "PUT /api/v3/userDataStream",
    1,
    false,
    Effect::Write,
);
const LISTEN_CLOSE: Endpoint = signed(
    "DELETE",
    "/api/v3/userDataStream",
    "DELETE /api/v3/userDataStream",
    1,
    false,
    Effect::Write,
);

/// A MEXC Spot V3 REST client. Cheap to share behind an `Arc`; every method takes `&self`.
#[derive(Debug)]
pub struct RestClient {
    http: reqwest::Client,
    config: RestConfig,
    credentials: Option<Credentials>,
    offset_ms: AtomicI64,
    limiter: Mutex<RequestLimiter>,
    started: Instant,
}

impl RestClient {
    /// A client; `credentials` are needed for the signed endpoints only.
    pub fn new(config: RestConfig, credentials: Option<Credentials>) -> Result<Self, MexcError> {
        let refuse = |reason: String| MexcError::NotSent {
            endpoint: "client setup",
            reason,
        };
        if config.recv_window_ms == 0 || config.recv_window_ms > MAX_RECV_WINDOW_MS {
            return Err(refuse(format!(
                "recvWindow {} ms must be 1 to {MAX_RECV_WINDOW_MS}",
                config.recv_window_ms
            )));
        }
        let http = crate::http::client(Some(config.timeout))
            .map_err(|e| refuse(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            limiter: Mutex::new(RequestLimiter::new(config.limits)),
            config,
            credentials,
            offset_ms: AtomicI64::new(0),
            started: Instant::now(),
        })
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &RestConfig {
        &self.config
    }

    /// The estimated server clock minus the local clock, ms (from [`Self::sync_time`]).
    #[must_use]
    pub fn clock_offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// The server's time as this client estimates it, ms since the epoch.
    #[must_use]
    pub fn server_now_ms(&self) -> i64 {
        local_now_ms() + self.clock_offset_ms()
    }

    fn monotonic_ms(&self) -> i64 {
        i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    // ---- public endpoints -------------------------------------------------------------

    /// `GET /api/v3/ping`.
    pub async fn ping(&self) -> Result<(), MexcError> {
        self.call::<serde_json::Value>(&PING, Query::new())
            .await
            .map(|_| ())
    }

    /// `GET /api/v3/time`.
    pub async fn server_time(&self) -> Result<i64, MexcError> {
        Ok(self
            .call::<ServerTime>(&TIME, Query::new())
            .await?
            .server_time)
    }

    /// Measures the clock offset against `GET /api/v3/time` (the server time against the
    /// midpoint of the round trip) and keeps it for signed requests. Returns the offset.
    pub async fn sync_time(&self) -> Result<i64, MexcError> {
        let before = local_now_ms();
        let server = self.server_time().await?;
        let after = local_now_ms();
        let offset = server - (before + (after - before) / 2);
        self.offset_ms.store(offset, Ordering::Relaxed);
        Ok(offset)
    }

    /// `GET /api/v3/exchangeInfo` for `symbols` (all symbols when empty).
    pub async fn exchange_info(&self, symbols: &[&str]) -> Result<ExchangeInfo, MexcError> {
        let mut query = Query::new();
        match symbols {
            [] => {}
            [one] => {
                query.push("symbol", one);
            }
            many => {
                query.push("symbols", many.join(","));
            }
        }
        self.call(&EXCHANGE_INFO, query).await
    }

    /// `GET /api/v3/klines` for `[start_ms, end_ms]` (both sent: reference §1.3), at most
    /// 1000 bars; bars not yet finished at the server's time are kept apart.
    pub async fn klines(
        &self,
        symbol: &str,
        interval: Interval,
        start_ms: i64,
        end_ms: i64,
        limit: u16,
    ) -> Result<Klines, MexcError> {
        let mut query = Query::new();
        query
            .push("symbol", symbol)
            .push("interval", interval.name())
            .push("startTime", start_ms.to_string())
            .push("endTime", end_ms.to_string())
            .push("limit", limit.min(1000).to_string());
        let body = self.send(&KLINES, query).await?;
        parse_klines(&body, symbol, interval, self.server_now_ms()).map_err(|e| {
            MexcError::BadReply {
                endpoint: KLINES.name,
                detail: e.to_string(),
            }
        })
    }

    /// `GET /api/v3/depth`: a book snapshot of up to `limit` levels a side (max 5000).
    pub async fn depth(&self, symbol: &str, limit: u16) -> Result<Depth, MexcError> {
        let mut query = Query::new();
        query
            .push("symbol", symbol)
            .push("limit", limit.min(5000).to_string());
        self.call(&DEPTH, query).await
    }

    /// `GET /api/v3/trades`: the latest `limit` public trades (max 1000).
    pub async fn trades(&self, symbol: &str, limit: u16) -> Result<Vec<PublicTrade>, MexcError> {
        let mut query = Query::new();
        query
            .push("symbol", symbol)
            .push("limit", limit.min(1000).to_string());
        self.call(&TRADES, query).await
    }

    /// `GET /api/v3/ticker/bookTicker` for one symbol.
    pub async fn book_ticker(&self, symbol: &str) -> Result<BookTicker, MexcError> {
        self.call(&BOOK_TICKER, symbol_query(symbol)).await
    }

    /// `GET /api/v3/ticker/24hr` for one symbol.
    pub async fn ticker_24h(&self, symbol: &str) -> Result<Ticker24h, MexcError> {
        self.call(&TICKER_24H, symbol_query(symbol)).await
    }

    // ---- orders -----------------------------------------------------------------------

    /// `POST /api/v3/order`. The order is checked first (refused as not sent when MEXC
    /// would refuse it). On 700003 (timestamp outside recvWindow, a definite rejection) the
    /// clock is resynced and the order sent once more with the **same** client order id
    /// (fault-tests.md case 3). A timeout, 5xx or lost connection is
    /// [`MexcError::Unknown`]: query the client order id, never resend.
    pub async fn place_order(&self, order: &NewOrder) -> Result<OrderAck, MexcError> {
        self.checked_order(&PLACE, order)?;
        self.with_clock_retry(|| async { self.call(&PLACE, order.to_query()).await })
            .await
    }

    /// `POST /api/v3/order/test`: MEXC checks the order and places nothing.
    pub async fn test_order(&self, order: &NewOrder) -> Result<(), MexcError> {
        self.checked_order(&TEST_ORDER, order)?;
        self.call::<serde_json::Value>(&TEST_ORDER, order.to_query())
            .await
            .map(|_| ())
    }

    /// `POST /api/v3/batchOrders`: up to 20 orders of one symbol; each succeeds or fails
    /// on its own. An unknown outcome covers the whole batch.
    pub async fn batch_orders(&self, orders: &[NewOrder]) -> Result<Vec<BatchItem>, MexcError> {
        let refuse = |reason: String| MexcError::NotSent {
            endpoint: BATCH.name,
            reason,
        };
        if orders.is_empty() || orders.len() > 20 {
            return Err(refuse(format!(
                "{} orders: a batch holds 1 to 20",
                orders.len()
            )));
        }
        if orders.iter().any(|o| o.symbol != orders[0].symbol) {
            return Err(refuse("a batch holds orders of one symbol only".to_owned()));
        }
        for (i, order) in orders.iter().enumerate() {
            order
                .check()
                .map_err(|e| refuse(format!("order {i}: {e}")))?;
        }
        let json = serde_json::Value::Array(orders.iter().map(NewOrder::to_json).collect());
        let mut query = Query::new();
        query.push("batchOrders", json.to_string());
        self.call(&BATCH, query).await
    }

    /// `DELETE /api/v3/order`.
    pub async fn cancel_order(
        &self,
        symbol: &str,
        order: &OrderRef,
    ) -> Result<OrderInfo, MexcError> {
        let mut query = symbol_query(symbol);
        order.push(&mut query);
        self.call(&CANCEL, query).await
    }

    /// `DELETE /api/v3/openOrders`: cancels every open order of `symbol`.
    pub async fn cancel_open_orders(&self, symbol: &str) -> Result<Vec<OrderInfo>, MexcError> {
        self.call(&CANCEL_ALL, symbol_query(symbol)).await
    }

    /// `GET /api/v3/order` by MEXC's id or the client order id: how an unknown outcome is
    /// resolved. An order MEXC does not know is [`RejectKind::UnknownOrder`].
    pub async fn query_order(
        &self,
        symbol: &str,
        order: &OrderRef,
    ) -> Result<OrderInfo, MexcError> {
        let mut query = symbol_query(symbol);
        order.push(&mut query);
        self.call(&QUERY, query).await
    }

    /// `GET /api/v3/openOrders` of `symbol`.
    pub async fn open_orders(&self, symbol: &str) -> Result<Vec<OrderInfo>, MexcError> {
        self.call(&OPEN_ORDERS, symbol_query(symbol)).await
    }

    /// `GET /api/v3/allOrders` of `symbol` in `[start_ms, end_ms]` (MEXC: at most 7 days
    /// back), at most `limit` (max 1000).
    pub async fn all_orders(
        &self,
        symbol: &str,
        start_ms: Option<i64>,
        end_ms: Option<i64>,
        limit: u16,
    ) -> Result<Vec<OrderInfo>, MexcError> {
        let mut query = Query::new();
        query
            .push("symbol", symbol)
            .push_opt("startTime", start_ms.map(|t| t.to_string()))
            .push_opt("endTime", end_ms.map(|t| t.to_string()))
            .push("limit", limit.clamp(1, 1000).to_string());
        self.call(&ALL_ORDERS, query).await
    }

    /// `GET /api/v3/myTrades` of `symbol` (optionally one order's), in `[start_ms,
    /// end_ms]` (MEXC: the last month only), at most `limit` (max 100).
    pub async fn my_trades(
        &self,
        symbol: &str,
        order_id: Option<&str>,
        start_ms: Option<i64>,
        end_ms: Option<i64>,
        limit: u16,
    ) -> Result<Vec<AccountTrade>, MexcError> {
        let mut query = Query::new();
        query
            .push("symbol", symbol)
            .push_opt("orderId", order_id)
            .push_opt("startTime", start_ms.map(|t| t.to_string()))
            .push_opt("endTime", end_ms.map(|t| t.to_string()))
            .push("limit", limit.clamp(1, 100).to_string());
        self.call(&MY_TRADES, query).await
    }

    /// `GET /api/v3/account`: balances.
    pub async fn account(&self) -> Result<Account, MexcError> {
        self.call(&ACCOUNT, Query::new()).await
    }

    /// `GET /api/v3/tradeFee`: the account's own rates for `symbol`.
    pub async fn trade_fee(&self, symbol: &str) -> Result<TradeFee, MexcError> {
        let rates: Wrapped<TradeFeeRates> = self.call(&TRADE_FEE, symbol_query(symbol)).await?;
        Ok(TradeFee {
            maker: rates.data.maker_commission,
            taker: rates.data.taker_commission,
        })
    }

    // ---- user data stream -------------------------------------------------------------

    /// `POST /api/v3/userDataStream`: a new listenKey (valid 60 minutes).
    pub async fn create_listen_key(&self) -> Result<String, MexcError> {
        Ok(self
            .call::<ListenKeyReply>(&LISTEN_CREATE, Query::new())
            .await?
            .listen_key)
    }

    /// `PUT /api/v3/userDataStream`: another 60 minutes for `key`.
    pub async fn keep_alive_listen_key(&self, key: &str) -> Result<(), MexcError> {
        let mut query = Query::new();
        query.push("listenKey", key);
        self.call::<serde_json::Value>(&LISTEN_KEEP, query)
            .await
            .map(|_| ())
    }

    /// `DELETE /api/v3/userDataStream`: closes `key`.
    pub async fn close_listen_key(&self, key: &str) -> Result<(), MexcError> {
        let mut query = Query::new();
        query.push("listenKey", key);
        self.call::<serde_json::Value>(&LISTEN_CLOSE, query)
            .await
            .map(|_| ())
    }

    // ---- the machinery ----------------------------------------------------------------

    fn checked_order(&self, endpoint: &Endpoint, order: &NewOrder) -> Result<(), MexcError> {
        order.check().map_err(|reason| MexcError::NotSent {
            endpoint: endpoint.name,
            reason,
        })
    }

    async fn with_clock_retry<T, F, Fut>(&self, attempt: F) -> Result<T, MexcError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, MexcError>>,
    {
        match attempt().await {
            Err(e) if e.reject_kind() == Some(RejectKind::TimestampOutsideRecvWindow) => {
                tracing::warn!(error = %e, "timestamp outside recvWindow: resyncing the clock and sending again");
                self.sync_time().await?;
                attempt().await
            }
            other => other,
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint,
        query: Query,
    ) -> Result<T, MexcError> {
        let body = self.send(endpoint, query).await?;
        serde_json::from_str(&body).map_err(|e| {
            let detail = format!("{e} in {}", snippet(&body));
            match endpoint.effect {
                Effect::Write => MexcError::Unknown {
                    endpoint: endpoint.name,
                    cause: UnknownCause::UnreadableReply,
                    detail,
                },
                Effect::Read => MexcError::BadReply {
                    endpoint: endpoint.name,
                    detail,
                },
            }
        })
    }

    /// Waits for the limiter (or refuses as not sent when the wait is too long).
    async fn admit(&self, endpoint: &Endpoint) -> Result<(), MexcError> {
        let max_wait = i64::try_from(self.config.max_limiter_wait.as_millis()).unwrap_or(i64::MAX);
        loop {
            let wait = self
                .limiter
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .delay(self.monotonic_ms(), endpoint.cost);
            if wait == 0 {
                return Ok(());
            }
            if wait > max_wait {
                return Err(MexcError::NotSent {
                    endpoint: endpoint.name,
                    reason: format!("the request limiter holds requests for {wait} ms more"),
                });
            }
            tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(0))).await;
        }
    }

    /// Sends the request and returns the body of a success; every failure typed.
    async fn send(&self, endpoint: &Endpoint, mut query: Query) -> Result<String, MexcError> {
        let signed_query;
        let text = if endpoint.signed {
            let credentials = self.credentials.as_ref().ok_or(MexcError::NoCredentials {
                endpoint: endpoint.name,
            })?;
            self.admit(endpoint).await?;
            signed_query = std::mem::take(&mut query).signed(
                credentials.secret(),
                self.server_now_ms(),
                self.config.recv_window_ms,
            );
            signed_query.as_str()
        } else {
            self.admit(endpoint).await?;
            query.as_str()
        };
        let mut url = format!(
            "{}{}",
            self.config.base_url.trim_end_matches('/'),
            endpoint.path
        );
        if !text.is_empty() {
            url.push('?');
            url.push_str(text);
        }
        let method =
            Method::from_bytes(endpoint.method.as_bytes()).map_err(|e| MexcError::NotSent {
                endpoint: endpoint.name,
                reason: e.to_string(),
            })?;
        let mut request = self
            .http
            .request(method, url)
            .header(CONTENT_TYPE, "application/json");
        if let Some(credentials) = self.credentials.as_ref().filter(|_| endpoint.signed) {
            request = request.header("X-MEXC-APIKEY", credentials.api_key().expose());
        }
        let response = request.send().await.map_err(|e| transport(endpoint, &e))?;
        let status = response.status();
        let retry_after_ms = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<i64>().ok())
            .map(|secs| secs.saturating_mul(1_000));
        let body = response.text().await.map_err(|e| transport(endpoint, &e))?;
        self.classify(endpoint, status, retry_after_ms, body)
    }

    fn classify(
        &self,
        endpoint: &Endpoint,
        status: StatusCode,
        retry_after_ms: Option<i64>,
        body: String,
    ) -> Result<String, MexcError> {
        let code = status.as_u16();
        let now = self.monotonic_ms();
        let limiter = || self.limiter.lock().unwrap_or_else(PoisonError::into_inner);
        match code {
            200..=299 => match api_error(&body) {
                // A wrapped reply with an error code (reference §4.2).
                Some((code_value, msg)) => Err(rejected(endpoint, code, code_value, msg)),
                None => Ok(body),
            },
            429 => {
                let wait = limiter().on_rate_limited(now, retry_after_ms);
                Err(MexcError::RateLimited {
                    endpoint: endpoint.name,
                    status: code,
                    retry_after_ms: wait,
                    banned: false,
                })
            }
            403 | 418 => {
                let wait = limiter().on_banned(now, retry_after_ms);
                Err(MexcError::RateLimited {
                    endpoint: endpoint.name,
                    status: code,
                    retry_after_ms: wait,
                    banned: true,
                })
            }
            500..=599 => Err(MexcError::Unknown {
                endpoint: endpoint.name,
                cause: UnknownCause::ServerError(code),
                detail: snippet(&body),
            }),
            _ => match api_error(&body) {
                Some((code_value, msg)) => Err(rejected(endpoint, code, code_value, msg)),
                None => Err(MexcError::BadReply {
                    endpoint: endpoint.name,
                    detail: format!("HTTP {code}: {}", snippet(&body)),
                }),
            },
        }
    }
}

/// A query holding `symbol=…`, the start of most endpoints' parameters.
fn symbol_query(symbol: &str) -> Query {
    let mut query = Query::new();
    query.push("symbol", symbol);
    query
}

fn rejected(endpoint: &Endpoint, status: u16, code: i64, msg: String) -> MexcError {
    MexcError::Rejected {
        endpoint: endpoint.name,
        status,
        code,
        msg,
        kind: RejectKind::of(code),
    }
}

/// A transport failure: not sent when the connection could not be opened, otherwise the
/// outcome is unknown. The URL (which holds the signed query) is left out.
fn transport(endpoint: &Endpoint, error: &reqwest::Error) -> MexcError {
    // reqwest's message quotes the URL, whose query carries the signed parameters: keep
    // only the path.
    let mut detail = error.to_string();
    if let Some(url) = error.url() {
        detail = detail.replace(url.as_str(), url.path());
    }
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        detail.push_str(": ");
        detail.push_str(&inner.to_string());
        cause = inner.source();
    }
    if error.is_connect() {
        return MexcError::NotSent {
            endpoint: endpoint.name,
            reason: detail,
        };
    }
    MexcError::Unknown {
        endpoint: endpoint.name,
        cause: if error.is_timeout() {
            UnknownCause::Timeout
        } else {
            UnknownCause::ConnectionLost
        },
        detail,
    }
}

/// The local wall clock, ms since the epoch.
fn local_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
