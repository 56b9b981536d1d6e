//! A test-only MEXC kline server: `GET /api/v3/klines` over real HTTP on 127.0.0.1, from
//! in-memory bar frames, with switchable faults. Shared by `data/tests/fetch.rs` and the
//! root crate's `tests/it/fetch.rs` (included there by `#[path]`).
//!
//! What it mimics (reference `shared/reference/mexc-api.md`):
//! - §1.3 rows `[openTime, "open", "high", "low", "close", "volume", closeTime,
//!   "quoteVolume"]`: times as JSON integers, prices and volumes as strings, `closeTime` =
//!   the next bar's open time (as in the docs' example). Numbers are written with Rust's
//!   shortest round-trip formatting, so they parse back to the very same `f64`.
//! - Bars with `startTime <= openTime <= endTime`, oldest first, at most `limit` of them
//!   (default 500, clamped to 1..=1000). With `endTime` alone: the latest `limit` bars opening
//!   at or before it. Without `endTime` the latest bars, `startTime` ignored (the §1.3
//!   quirk). A known symbol at an interval with no dataset, or a range with no bars, is `[]`.
//! - §4.2 errors: HTTP 400 `{"code":-1121,"msg":"Invalid symbol."}` for an unknown symbol,
//!   `"Invalid interval."` for an interval MEXC does not have (e.g. `1h`), and
//!   `{"code":33333,"msg":"Parameter error"}` for a missing symbol or interval or a
//!   non-numeric number.
//!
//! Faults, each armed for a number of requests and used up first come, first served, in
//! this order: [`Faults::stop_after`] (every request after the first `n` gets HTTP 400
//! `{"code":-1,...}`), [`Faults::hang`] (no answer for a while), [`Faults::rate_limit`]
//! (429 with `Retry-After`), [`Faults::server_error`] (a 5xx status), [`Faults::truncate`]
//! (a 200 whose JSON stops half way, with a matching `Content-Length`).
//!
//! The server runs on a thread of its own with its own runtime, so sync tests (which run the
//! `vela` binary) and `#[tokio::test]`s use it alike; dropping it stops it. Every request is
//! logged ([`KlineServer::hits`]) with the time it arrived, for assertions about retries
//! that do not depend on how fast the client is.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the server"
)]

use std::collections::HashMap;
use std::future::IntoFuture;
use std::net::TcpListener as StdListener;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::oneshot;
use vela_data::{BarFrame, Interval};

/// MEXC's maximum `limit` (§1.3).
const MAX_LIMIT: usize = 1_000;
/// MEXC's default `limit` (§1.3).
const DEFAULT_LIMIT: usize = 500;

/// Faults to inject. Counts are numbers of requests still to be hit by the fault.
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults {
    /// After this many requests have been answered, answer every later one with HTTP 400
    /// `{"code":-1,"msg":"test server stopped"}` (a fatal answer: an "interrupted" fetch).
    pub(crate) stop_after: Option<usize>,
    /// Requests to leave unanswered for `hang_for`.
    pub(crate) hang: u32,
    /// How long a hung request waits before being answered normally.
    pub(crate) hang_for: Duration,
    /// Requests to answer with 429 and `Retry-After: retry_after_secs`.
    pub(crate) rate_limit: u32,
    /// The `Retry-After` of a 429, in seconds.
    pub(crate) retry_after_secs: u32,
    /// Requests to answer with `server_status` (no `Retry-After`).
    pub(crate) server_error: u32,
    /// The 5xx status to send (503 unless set).
    pub(crate) server_status: u16,
    /// Requests to answer with a body cut in half.
    pub(crate) truncate: u32,
}

/// One request the server saw.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    /// When it arrived.
    pub(crate) at: Instant,
    /// Its query string.
    pub(crate) query: String,
    /// Its `startTime`, if numeric.
    pub(crate) start_time: Option<i64>,
    /// Its `endTime`, if numeric.
    pub(crate) end_time: Option<i64>,
    /// The status answered (0 for a request left hanging: logged when it arrived).
    pub(crate) status: u16,
    /// Rows in the answer (0 for errors and faults).
    pub(crate) rows: usize,
}

struct Shared {
    datasets: Vec<(String, Interval, BarFrame)>,
    faults: Mutex<Faults>,
    hits: Mutex<Vec<Hit>>,
}

/// A running test kline server; dropping it stops it.
#[derive(Debug)]
pub(crate) struct KlineServer {
    url: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl KlineServer {
    /// Serves one symbol at one interval.
    pub(crate) fn start(symbol: &str, interval: Interval, frame: BarFrame) -> Self {
        Self::start_many(vec![(symbol.to_owned(), interval, frame)])
    }

    /// Serves several `(symbol, interval, frame)` datasets; frames must be sorted by `ts`.
    pub(crate) fn start_many(datasets: Vec<(String, Interval, BarFrame)>) -> Self {
        let shared = Arc::new(Shared {
            datasets,
            faults: Mutex::new(Faults {
                server_status: 503,
                ..Faults::default()
            }),
            hits: Mutex::new(Vec::new()),
        });
        let listener = StdListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking socket");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let app = Router::new()
            .route("/api/v3/klines", get(klines))
            .with_state(Arc::clone(&shared));
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("server runtime");
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                tokio::select! {
                    served = axum::serve(listener, app).into_future() => served.expect("server runs"),
                    _ = stopped => {}
                }
            });
            // Dropping the runtime cancels requests still hanging.
        });
        Self {
            url,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The base URL, e.g. `http://127.0.0.1:40123` (no trailing `/`).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Changes the faults (e.g. `server.faults(|f| f.rate_limit = 1)`).
    pub(crate) fn faults(&self, change: impl FnOnce(&mut Faults)) {
        change(&mut lock(&self.shared.faults));
    }

    /// Every request so far, in arrival order.
    pub(crate) fn hits(&self) -> Vec<Hit> {
        lock(&self.shared.hits).clone()
    }

    /// Forgets the requests seen so far.
    pub(crate) fn clear_hits(&self) {
        lock(&self.shared.hits).clear();
    }
}

impl Drop for KlineServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The fault for the next request, used up.
#[derive(Clone, Copy)]
enum Fault {
    Stopped,
    Hang(Duration),
    RateLimit(u32),
    ServerError(u16),
    Truncate,
}

fn take_fault(faults: &mut Faults, answered: usize) -> Option<Fault> {
    if faults.stop_after.is_some_and(|n| answered >= n) {
        return Some(Fault::Stopped);
    }
    let counters: [(&mut u32, Fault); 4] = [
        (&mut faults.hang, Fault::Hang(faults.hang_for)),
        (
            &mut faults.rate_limit,
            Fault::RateLimit(faults.retry_after_secs),
        ),
        (
            &mut faults.server_error,
            Fault::ServerError(faults.server_status),
        ),
        (&mut faults.truncate, Fault::Truncate),
    ];
    for (count, fault) in counters {
        if *count > 0 {
            *count -= 1;
            return Some(fault);
        }
    }
    None
}

async fn klines(State(shared): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Response {
    let at = Instant::now();
    let raw = raw.unwrap_or_default();
    let params: HashMap<&str, &str> = raw
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .collect();
    let number = |key: &str| params.get(key).and_then(|v| v.parse::<i64>().ok());
    let (start_time, end_time) = (number("startTime"), number("endTime"));
    let fault = {
        let answered = lock(&shared.hits).len();
        take_fault(&mut lock(&shared.faults), answered)
    };
    let hit = |status, rows| Hit {
        at,
        query: raw.clone(),
        start_time,
        end_time,
        status,
        rows,
    };
    if let Some(Fault::Hang(wait)) = fault {
        // Logged now: the client may give up and close the connection first.
        lock(&shared.hits).push(hit(0, 0));
        tokio::time::sleep(wait).await;
    }
    let (response, status, rows) = match fault {
        Some(Fault::Stopped) => (
            error(StatusCode::BAD_REQUEST, -1, "test server stopped"),
            400,
            0,
        ),
        Some(Fault::RateLimit(secs)) => {
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                "{\"code\":429,\"msg\":\"Too Many Requests\"}",
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            (response, 429, 0)
        }
        Some(Fault::ServerError(status)) => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            (
                (code, "Service Unavailable").into_response(),
                code.as_u16(),
                0,
            )
        }
        other => match answer(&shared, &params) {
            Ok((body, rows)) => {
                let body = if matches!(other, Some(Fault::Truncate)) {
                    body[..body.len() / 2].to_owned()
                } else {
                    body
                };
                (json(StatusCode::OK, body), 200, rows)
            }
            Err(MexcError { code, msg }) => (error(StatusCode::BAD_REQUEST, code, msg), 400, 0),
        },
    };
    if !matches!(fault, Some(Fault::Hang(_))) {
        lock(&shared.hits).push(hit(status, rows));
    }
    response
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn error(status: StatusCode, code: i64, msg: &str) -> Response {
    json(
        status,
        serde_json::json!({ "code": code, "msg": msg }).to_string(),
    )
}

/// A MEXC error object, answered with HTTP 400 (§4.2).
struct MexcError {
    code: i64,
    msg: &'static str,
}

const PARAMETER_ERROR: MexcError = MexcError {
    code: 33_333,
    msg: "Parameter error",
};

/// The klines body for valid parameters, and its row count; or MEXC's error answer.
fn answer(shared: &Shared, params: &HashMap<&str, &str>) -> Result<(String, usize), MexcError> {
    let symbol = params.get("symbol").ok_or(PARAMETER_ERROR)?;
    let interval = params.get("interval").ok_or(PARAMETER_ERROR)?;
    let number = |key: &str| -> Result<Option<i64>, MexcError> {
        params
            .get(key)
            .map(|v| v.parse::<i64>().map_err(|_| PARAMETER_ERROR))
            .transpose()
    };
    let (start, end, limit) = (number("startTime")?, number("endTime")?, number("limit")?);
    if !shared.datasets.iter().any(|(s, _, _)| s == symbol) {
        return Err(MexcError {
            code: -1121,
            msg: "Invalid symbol.",
        });
    }
    let Ok(interval) = interval.parse::<Interval>() else {
        return Err(MexcError {
            code: -1121,
            msg: "Invalid interval.",
        });
    };
    let limit = limit.map_or(DEFAULT_LIMIT, |l| {
        usize::try_from(l).unwrap_or(1).clamp(1, MAX_LIMIT)
    });
    let Some((_, _, frame)) = shared
        .datasets
        .iter()
        .find(|(s, i, _)| s == symbol && *i == interval)
    else {
        return Ok(("[]".to_owned(), 0));
    };
    let ts = &frame.ts;
    let range = match (start, end) {
        (Some(start), Some(end)) => {
            let from = ts.partition_point(|&t| t < start);
            let to = ts.partition_point(|&t| t <= end);
            from..to.max(from).min(from + limit)
        }
        (_, end) => {
            let to = end.map_or(ts.len(), |end| ts.partition_point(|&t| t <= end));
            to.saturating_sub(limit)..to
        }
    };
    let rows: Vec<String> = range
        .clone()
        .filter_map(|i| frame.row(i))
        .map(|r| {
            let quote = r.quote_volume.unwrap_or(r.close * r.volume);
            format!(
                "[{},\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",{},\"{}\"]",
                r.ts,
                r.open,
                r.high,
                r.low,
                r.close,
                r.volume,
                interval.next(r.ts),
                quote
            )
        })
        .collect();
    Ok((format!("[{}]", rows.join(",")), range.len()))
}
