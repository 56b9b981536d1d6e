//! The runner's REST and WebSocket API (axum), described by `openapi.json` (served at
//! `/api/v1/openapi.json`).
//!
//! Bound to `127.0.0.1` by default. Every route that changes something needs
//! `Authorization: Bearer <token>`; when bound beyond loopback every route does. Without a
//! configured token, changes are refused. Bodies and answers are JSON, except a bot file
//! (TOML, as `vela live add` takes it) and the tax export (CSV).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use vela_core::engine::{BotId, Control, SettingsUpdate};
use vela_core::types::Fill;

use super::bot::{BotStatus, RunnerEvent};
use super::config::ApiConfig;
use super::spec::BotSpec;
use super::{Runner, RunnerError};
use crate::reports::{pnl, tax};
use crate::secret::ApiToken;

/// The `OpenAPI` description of every route below.
pub const OPENAPI: &str = include_str!("openapi.json");

struct Context {
    runner: Runner,
    token: Option<ApiToken>,
    open_reads: bool,
}

/// A running API server.
#[derive(Debug)]
pub struct ApiServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl ApiServer {
    /// Serves `runner` as `config` says.
    ///
    /// # Errors
    /// The token cannot be read, or the address cannot be bound.
    pub async fn start(runner: Runner, config: &ApiConfig) -> Result<Self, RunnerError> {
        let token = config.token()?;
        let loopback = config.bind.ip().is_loopback();
        if !loopback && token.is_none() {
            return Err(RunnerError::Config(format!(
                "api.bind = {}: beyond loopback the API needs a token (api.token_env or api.token_file)",
                config.bind
            )));
        }
        let context = Arc::new(Context {
            runner,
            token,
            open_reads: loopback,
        });
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|e| RunnerError::Io(format!("api.bind = {}: {e}", config.bind)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| RunnerError::Io(format!("api.bind = {}: {e}", config.bind)))?;
        let (stop, mut stopped) = watch::channel(false);
        let app = router(context);
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %e, "the API server stopped");
            }
        });
        Ok(Self { addr, stop, task })
    }

    /// The address it listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops serving (open `WebSocket` connections are closed) and waits for it.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

fn router(context: Arc<Context>) -> Router {
    Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/bots", get(list_bots).post(add_bot))
        .route("/api/v1/bots/{id}", get(bot))
        .route("/api/v1/bots/{id}/orders", get(orders))
        .route("/api/v1/bots/{id}/fills", get(fills))
        .route("/api/v1/bots/{id}/pnl", get(pnl))
        .route("/api/v1/bots/{id}/positions", get(positions))
        .route("/api/v1/bots/{id}/params", post(update_params))
        .route("/api/v1/bots/{id}/settings", post(update_settings))
        .route("/api/v1/bots/{id}/{action}", post(lifecycle))
        .route("/api/v1/kill", post(kill_all))
        .route("/api/v1/stats", get(stats))
        .route("/api/v1/unknown-orders", get(unknown_orders))
        .route("/api/v1/reports/tax.csv", get(tax_csv))
        .route("/api/v1/reports/pnl.csv", get(pnl_csv_route))
        .route("/api/v1/ws", get(events))
        .with_state(context)
}

fn reply(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_string(body) {
        Ok(text) => (status, [(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(e) => failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("encoding the answer: {e}"),
        ),
    }
}

fn failure(status: StatusCode, message: &str) -> Response {
    let body = json!({ "error": message }).to_string();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn runner_failure(error: &RunnerError) -> Response {
    let status = match error {
        RunnerError::BotSpec(_) | RunnerError::Config(_) => StatusCode::BAD_REQUEST,
        RunnerError::Bot { reason, .. } if reason.contains("no such bot") => StatusCode::NOT_FOUND,
        RunnerError::Bot { .. }
        | RunnerError::Unsettled { .. }
        | RunnerError::Journal(crate::journal::JournalError::Bot { .. }) => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    failure(status, &error.to_string())
}

/// Checks the bearer token when the route changes something, or when reads are not open.
fn authorize(context: &Context, headers: &HeaderMap, changes: bool) -> Result<(), Box<Response>> {
    if !changes && context.open_reads {
        return Ok(());
    }
    let Some(token) = &context.token else {
        return Err(Box::new(failure(
            StatusCode::FORBIDDEN,
            "no API token is configured (api.token_env or api.token_file in vela.toml): changes are refused",
        )));
    };
    let offered = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match offered {
        Some(offered) if token.matches(offered) => Ok(()),
        _ => Err(Box::new(failure(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token (Authorization: Bearer <token>)",
        ))),
    }
}

fn bot_id(text: &str) -> Result<BotId, Box<Response>> {
    BotId::new(text).map_err(|e| Box::new(failure(StatusCode::BAD_REQUEST, &e.to_string())))
}

/// [`authorize`], then the bot id of the route.
fn bot_request(
    context: &Context,
    headers: &HeaderMap,
    changes: bool,
    id: &str,
) -> Result<BotId, Box<Response>> {
    authorize(context, headers, changes)?;
    bot_id(id)
}

async fn health(State(c): State<Arc<Context>>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&c, &headers, false) {
        return *r;
    }
    let bots = c.runner.bot_ids();
    let blocked = bots
        .iter()
        .filter(|id| c.runner.status(id).is_some_and(|s| s.blocked.is_some()))
        .count();
    reply(
        StatusCode::OK,
        &json!({ "status": if blocked == 0 { "ok" } else { "degraded" }, "bots": bots.len(), "blocked": blocked }),
    )
}

async fn openapi() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
        .into_response()
}

#[derive(Serialize)]
struct BotView {
    id: String,
    strategy: String,
    symbols: Vec<String>,
    status: BotStatus,
}

fn view(runner: &Runner, id: &BotId) -> Option<BotView> {
    let status = runner.status(id)?;
    let spec = runner.spec(id)?;
    Some(BotView {
        id: id.to_string(),
        strategy: spec.bot.strategy.name.clone(),
        symbols: spec
            .bot
            .instruments
            .iter()
            .map(|i| i.symbol.to_string())
            .collect(),
        status,
    })
}

async fn list_bots(State(c): State<Arc<Context>>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&c, &headers, false) {
        return *r;
    }
    let bots: Vec<BotView> = c
        .runner
        .bot_ids()
        .iter()
        .filter_map(|id| view(&c.runner, id))
        .collect();
    reply(StatusCode::OK, &bots)
}

#[derive(Deserialize)]
struct AddQuery {
    #[serde(default = "yes")]
    start: bool,
}

const fn yes() -> bool {
    true
}

async fn add_bot(
    State(c): State<Arc<Context>>,
    headers: HeaderMap,
    Query(query): Query<AddQuery>,
    body: String,
) -> Response {
    if let Err(r) = authorize(&c, &headers, true) {
        return *r;
    }
    let spec = match BotSpec::from_toml_str(&body, &vela_core::strategy::Registry::builtin()) {
        Ok(spec) => spec,
        Err(e) => return runner_failure(&e),
    };
    match c.runner.add_bot(spec, query.start).await {
        Ok(status) => reply(StatusCode::CREATED, &status),
        Err(e) => runner_failure(&e),
    }
}

async fn bot(
    State(c): State<Arc<Context>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let id = match bot_request(&c, &headers, false, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    match (view(&c.runner, &id), c.runner.spec(&id)) {
        (Some(view), Some(spec)) => reply(
            StatusCode::OK,
            &json!({ "bot": view, "config": spec.to_toml_string().unwrap_or_default() }),
        ),
        _ => failure(StatusCode::NOT_FOUND, &format!("no bot {id} is running")),
    }
}

macro_rules! journal_read {
    ($name:ident, $method:ident) => {
        async fn $name(
            State(c): State<Arc<Context>>,
            headers: HeaderMap,
            Path(id): Path<String>,
        ) -> Response {
            let id = match bot_request(&c, &headers, false, &id) {
                Ok(id) => id,
                Err(r) => return *r,
            };
            match c.runner.journal().call(move |j| j.$method(&id)).await {
                Ok(rows) => reply(StatusCode::OK, &rows),
                Err(e) => runner_failure(&e),
            }
        }
    };
}

journal_read!(orders, orders);
journal_read!(fills, fills);
journal_read!(pnl, pnl);

async fn positions(
    State(c): State<Arc<Context>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let id = match bot_request(&c, &headers, false, &id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    match c.runner.status(&id) {
        Some(status) => reply(StatusCode::OK, &status.holdings),
        None => failure(StatusCode::NOT_FOUND, &format!("no bot {id} is running")),
    }
}

#[derive(Deserialize)]
struct LifecycleQuery {
    cancel_resting: Option<bool>,
}

async fn lifecycle(
    State(c): State<Arc<Context>>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    Query(query): Query<LifecycleQuery>,
) -> Response {
    let control = match action.as_str() {
        "start" => Ok(Control::Start),
        "pause" => Ok(Control::Pause),
        "resume" => Ok(Control::Resume),
        "kill" => Ok(Control::Kill { global: false }),
        "stop" => match query.cancel_resting {
            Some(cancel_resting) => Ok(Control::Stop { cancel_resting }),
            None => Err(Box::new(failure(
                StatusCode::BAD_REQUEST,
                "stop: say whether to cancel the resting orders (?cancel_resting=true or false)",
            ))),
        },
        other => Err(Box::new(failure(
            StatusCode::NOT_FOUND,
            &format!("unknown action {other:?} (start, pause, resume, stop, kill)"),
        ))),
    };
    instruct(&c, &headers, &id, control).await
}

async fn update_params(
    State(c): State<Arc<Context>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let control = from_body(&body, "parameters (JSON object)", Control::UpdateParams);
    instruct(&c, &headers, &id, control).await
}

async fn update_settings(
    State(c): State<Arc<Context>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let control = from_body(
        &body,
        "settings (JSON object of budget, risk, running_time; running_time \"until_stopped\" \
         or {\"millis\": N})",
        |update: SettingsUpdate| Control::UpdateSettings(Box::new(update)),
    );
    instruct(&c, &headers, &id, control).await
}

/// The instruction `control` makes of a JSON body, or a 400 naming what the body should
/// be (`what`) and what is wrong with it.
fn from_body<T: serde::de::DeserializeOwned>(
    body: &str,
    what: &str,
    control: impl FnOnce(T) -> Control,
) -> Result<Control, Box<Response>> {
    serde_json::from_str(body)
        .map(control)
        .map_err(|e| Box::new(failure(StatusCode::BAD_REQUEST, &format!("{what}: {e}"))))
}

/// Gives bot `id` an instruction read from a request (or answers why it could not be
/// read), once the request is authorised.
async fn instruct(
    c: &Context,
    headers: &HeaderMap,
    id: &str,
    control: Result<Control, Box<Response>>,
) -> Response {
    let id = match bot_request(c, headers, true, id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let control = match control {
        Ok(control) => control,
        Err(refusal) => return *refusal,
    };
    match c.runner.control(&id, control).await {
        Ok(state) => reply(
            StatusCode::OK,
            &json!({ "bot": id.to_string(), "state": state }),
        ),
        Err(e) => runner_failure(&e),
    }
}

async fn kill_all(State(c): State<Arc<Context>>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&c, &headers, true) {
        return *r;
    }
    let outcomes: Vec<serde_json::Value> = c
        .runner
        .kill_all()
        .await
        .into_iter()
        .map(|(id, outcome)| match outcome {
            Ok(state) => json!({ "bot": id.to_string(), "state": state }),
            Err(e) => json!({ "bot": id.to_string(), "error": e.to_string() }),
        })
        .collect();
    reply(StatusCode::OK, &outcomes)
}

async fn stats(State(c): State<Arc<Context>>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&c, &headers, false) {
        return *r;
    }
    let mut rows = Vec::new();
    for id in c.runner.bot_ids() {
        let Some(status) = c.runner.status(&id) else {
            continue;
        };
        let bot = id.clone();
        let fills = c.runner.journal().call(move |j| j.fills(&bot)).await;
        let (count, fees) = fills.map_or((0, rust_decimal::Decimal::ZERO), |fills| {
            (fills.len(), fills.iter().map(|f| f.fee).sum())
        });
        rows.push(json!({
            "bot": id.to_string(),
            "state": status.state,
            "mode": status.mode,
            "equity": status.equity,
            "realized": status.realized,
            "fills": count,
            "fees": fees,
        }));
    }
    reply(StatusCode::OK, &rows)
}

async fn unknown_orders(State(c): State<Arc<Context>>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&c, &headers, false) {
        return *r;
    }
    reply(StatusCode::OK, &c.runner.unknown_orders())
}

#[derive(Deserialize)]
struct TaxQuery {
    bot: String,
}

async fn tax_csv(
    State(c): State<Arc<Context>>,
    headers: HeaderMap,
    Query(query): Query<TaxQuery>,
) -> Response {
    let id = match bot_request(&c, &headers, false, &query.bot) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let Some(spec) = c.runner.spec(&id) else {
        return failure(StatusCode::NOT_FOUND, &format!("no bot {id} is running"));
    };
    let fills = match c.runner.journal().call(move |j| j.fills(&id)).await {
        Ok(fills) => fills,
        Err(e) => return runner_failure(&e),
    };
    let report = match tax::fifo(&fills, &spec.bot.instruments) {
        Ok(report) => report,
        Err(e) => return failure(StatusCode::CONFLICT, &e.to_string()),
    };
    let mut csv = Vec::new();
    if let Err(e) = tax::write_csv(&report, &mut csv) {
        return failure(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
    }
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/csv")], csv).into_response()
}

/// The P&L report of `bots` (each with its fills) as CSV.
///
/// # Errors
/// A bot's fills cannot be matched into lots.
pub fn pnl_csv(bots: &[(BotSpec, Vec<Fill>)], period: pnl::Period) -> Result<Vec<u8>, String> {
    let inputs: Vec<pnl::BotFills<'_>> = bots
        .iter()
        .map(|(spec, fills)| pnl::BotFills {
            bot: spec.bot.bot_id.as_str(),
            strategy: &spec.bot.strategy.name,
            instruments: &spec.bot.instruments,
            fills,
        })
        .collect();
    let report = pnl::pnl_report(&inputs, period).map_err(|e| e.to_string())?;
    let mut csv = Vec::new();
    pnl::write_csv(&report, &mut csv).map_err(|e| e.to_string())?;
    Ok(csv)
}

#[derive(Deserialize)]
struct PnlQuery {
    #[serde(default = "month")]
    period: String,
}

fn month() -> String {
    "month".to_owned()
}

async fn pnl_csv_route(
    State(c): State<Arc<Context>>,
    headers: HeaderMap,
    Query(query): Query<PnlQuery>,
) -> Response {
    if let Err(r) = authorize(&c, &headers, false) {
        return *r;
    }
    let period: pnl::Period = match query.period.parse() {
        Ok(period) => period,
        Err(e) => return failure(StatusCode::BAD_REQUEST, &format!("period: {e}")),
    };
    let mut bots = Vec::new();
    for id in c.runner.bot_ids() {
        let Some(spec) = c.runner.spec(&id) else {
            continue;
        };
        let bot = id.clone();
        match c.runner.journal().call(move |j| j.fills(&bot)).await {
            Ok(fills) => bots.push((spec, fills)),
            Err(e) => return runner_failure(&e),
        }
    }
    let csv = match pnl_csv(&bots, period) {
        Ok(csv) => csv,
        Err(e) => return failure(StatusCode::CONFLICT, &e),
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/csv")], csv).into_response()
}

async fn events(
    State(c): State<Arc<Context>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Err(r) = authorize(&c, &headers, false) {
        return *r;
    }
    let events = c.runner.events();
    upgrade.on_upgrade(move |socket| push_events(socket, events))
}

/// Pushes every runner event as a JSON text frame until the client goes or falls behind.
async fn push_events(mut socket: WebSocket, mut events: broadcast::Receiver<RunnerEvent>) {
    loop {
        let text = match events.recv().await {
            Ok(event) => serde_json::to_string(&event).unwrap_or_default(),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                json!({ "type": "lagged", "missed": missed }).to_string()
            }
            Err(broadcast::error::RecvError::Closed) => break,
        };
        if socket.send(Message::Text(text.into())).await.is_err() {
            break;
        }
    }
}
