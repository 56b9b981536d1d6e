//! The simulator's WebSocket server on loopback, spoken to with a plain WebSocket client;
//! also the loopback harness the client's tests ([`crate::ws`]) share.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use futures_util::{SinkExt, StreamExt};
use rust_decimal::Decimal;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use vela_core::types::{Side, Symbol};

use super::*;
use crate::proto::{PushBody, decode_push};
use crate::sim::faults::FaultSpec;
use crate::sim::outgoing::{BalanceUpdate, Outgoing, SimDeal};
use crate::sim::publish::{Publisher, system_clock};

/// A simulator WebSocket server on 127.0.0.1, plus a stand-in for the REST listenKey
/// routes (no signature check) until the simulator's REST side is merged.
pub(crate) struct LoopbackSim {
    pub(crate) addr: SocketAddr,
    pub(crate) publisher: Publisher,
    pub(crate) faults: Arc<Faults>,
    pub(crate) keys: Arc<ListenKeys>,
    /// The body `GET /api/v3/depth` answers.
    pub(crate) depth: Arc<Stand>,
}

/// The state of the stand-in REST routes.
pub(crate) struct Stand {
    shared: StreamShared,
    /// The body `GET /api/v3/depth` answers.
    pub(crate) depth: std::sync::Mutex<String>,
}

impl LoopbackSim {
    pub(crate) fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    pub(crate) fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Starts a server with `config` and no faults.
pub(crate) async fn start(config: StreamConfig) -> LoopbackSim {
    let feed = Feed::new();
    let faults = Arc::new(Faults::new(
        FaultSpec::parse::<&str>(&[]).expect("no faults"),
        7,
    ));
    let keys = Arc::new(ListenKeys::default());
    let shared = StreamShared {
        feed: feed.clone(),
        faults: Arc::clone(&faults),
        listen_keys: Arc::clone(&keys),
        config,
        clock: system_clock(),
    };
    let stand = Arc::new(Stand {
        shared: shared.clone(),
        depth: std::sync::Mutex::new(r#"{"lastUpdateId":0,"bids":[],"asks":[]}"#.to_owned()),
    });
    let app = router(shared).merge(
        Router::new()
            .route(
                "/api/v3/userDataStream",
                post(create_key).put(keep_key).delete(close_key),
            )
            .route("/api/v3/depth", get(depth))
            .with_state(Arc::clone(&stand)),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    LoopbackSim {
        addr,
        publisher: Publisher::new(feed, system_clock()),
        faults,
        keys,
        depth: stand,
    }
}

async fn depth(State(stand): State<Arc<Stand>>) -> Reply3 {
    let body = stand.depth.lock().expect("not poisoned").clone();
    json(StatusCode::OK, body)
}

type Reply3 = (StatusCode, [(header::HeaderName, &'static str); 1], String);

fn json(status: StatusCode, body: String) -> Reply3 {
    (status, [(header::CONTENT_TYPE, "application/json")], body)
}

fn api_key(headers: &HeaderMap) -> String {
    headers
        .get("X-MEXC-APIKEY")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn key_error(problem: KeyProblem) -> Reply3 {
    json(
        StatusCode::BAD_REQUEST,
        format!(r#"{{"code":730000,"msg":"listen key {problem:?}"}}"#),
    )
}

async fn create_key(State(stand): State<Arc<Stand>>, headers: HeaderMap) -> Reply3 {
    let shared = &stand.shared;
    let now = (shared.clock)();
    match shared.listen_keys.create(
        &api_key(&headers),
        now,
        shared.faults.listen_key_generation(),
    ) {
        Ok(key) => json(StatusCode::OK, format!(r#"{{"listenKey":"{key}"}}"#)),
        Err(problem) => key_error(problem),
    }
}

async fn keep_key(
    State(stand): State<Arc<Stand>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Reply3 {
    let shared = &stand.shared;
    let key = query.get("listenKey").cloned().unwrap_or_default();
    let now = (shared.clock)();
    match shared.listen_keys.keep_alive(
        &api_key(&headers),
        &key,
        now,
        shared.faults.listen_key_generation(),
    ) {
        Ok(()) => json(StatusCode::OK, "{}".to_owned()),
        Err(problem) => key_error(problem),
    }
}

async fn close_key(
    State(stand): State<Arc<Stand>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Reply3 {
    let key = query.get("listenKey").cloned().unwrap_or_default();
    match stand.shared.listen_keys.close(&api_key(&headers), &key) {
        Ok(()) => json(StatusCode::OK, "{}".to_owned()),
        Err(problem) => key_error(problem),
    }
}

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect(url: &str) -> Client {
    tokio_tungstenite::connect_async(url)
        .await
        .expect("connects")
        .0
}

async fn send(client: &mut Client, text: &str) {
    client.send(WsMessage::text(text)).await.expect("sent");
}

/// The next text or binary frame (or the close), within 3 s.
async fn next(client: &mut Client) -> WsMessage {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(3), client.next())
            .await
            .expect("a frame within 3 s");
        match frame {
            Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => {}
            Some(Ok(message)) => return message,
            Some(Err(_)) | None => return WsMessage::Close(None),
        }
    }
}

async fn next_text(client: &mut Client) -> String {
    match next(client).await {
        WsMessage::Text(text) => text.as_str().to_owned(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

fn subscribe(channels: &[&str]) -> String {
    Request::Subscribe(channels.iter().map(|c| (*c).to_owned()).collect()).to_text()
}

const DEALS: &str = "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT";

fn deals(trade_id: u64) -> Outgoing {
    Outgoing::Deals {
        symbol: Symbol::new("BTCUSDT").expect("symbol"),
        deals: vec![SimDeal {
            price: 100.0,
            quantity: 1.0,
            taker_side: Side::Buy,
            time: 1_700_000_000_000,
            trade_id,
        }],
    }
}

#[tokio::test]
async fn acks_pongs_and_refusals_as_mexc_sends_them() {
    let sim = start(StreamConfig::default()).await;
    sim.faults.update(|f| {
        f.refused_channels
            .push("spot@public.aggre.bookTicker".to_owned());
    });
    let mut client = connect(&sim.ws_url()).await;
    send(&mut client, &subscribe(&[DEALS])).await;
    assert_eq!(
        next_text(&mut client).await,
        format!(r#"{{"id":0,"code":0,"msg":"{DEALS}"}}"#)
    );
    send(&mut client, r#"{"method":"PING"}"#).await;
    assert_eq!(
        next_text(&mut client).await,
        r#"{"id":0,"code":0,"msg":"PONG"}"#
    );
    for refused in [
        "spot@public.miniTicker.v3.api.pb@BTCUSDT@24H",
        "spot@private.orders.v3.api.pb",
        "spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT",
    ] {
        send(&mut client, &subscribe(&[refused])).await;
        let text = next_text(&mut client).await;
        assert!(
            text.contains("Not Subscribed successfully!") && text.contains('\u{ff1a}'),
            "{text}"
        );
        let reply = Reply::parse(&text).expect("parses");
        assert!(reply.is_blocked(), "{reply:?}");
    }
}

#[tokio::test]
async fn the_31st_subscription_is_refused() {
    let sim = start(StreamConfig::default()).await;
    let mut client = connect(&sim.ws_url()).await;
    let names: Vec<String> = (0..30)
        .map(|i| format!("spot@public.kline.v3.api.pb@SYM{i}USDT@Min1"))
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    send(&mut client, &subscribe(&refs)).await;
    match Reply::parse(&next_text(&mut client).await).expect("parses") {
        Reply::Ack(channels) => assert_eq!(channels.len(), 30),
        other => panic!("expected an ack: {other:?}"),
    }
    // The same channel again is no new subscription.
    send(&mut client, &subscribe(&[refs[0]])).await;
    assert!(matches!(
        Reply::parse(&next_text(&mut client).await),
        Ok(Reply::Ack(_))
    ));
    send(&mut client, &subscribe(&[DEALS])).await;
    match Reply::parse(&next_text(&mut client).await).expect("parses") {
        Reply::Refused {
            channels, reason, ..
        } => {
            assert_eq!(channels, [DEALS]);
            assert_eq!(reason.as_deref(), Some("Too many subscriptions"));
        }
        other => panic!("expected a refusal: {other:?}"),
    }
}

#[tokio::test]
async fn pushes_go_to_subscribers_and_private_ones_to_their_account() {
    let sim = start(StreamConfig::default()).await;
    let key_a = sim.keys.create("A", system_clock()(), 0).expect("key");
    let mut public = connect(&sim.ws_url()).await;
    let mut user = connect(&format!("{}?listenKey={key_a}", sim.ws_url())).await;
    send(&mut public, &subscribe(&[DEALS])).await;
    next_text(&mut public).await;
    send(&mut user, &subscribe(&["spot@private.account.v3.api.pb"])).await;
    next_text(&mut user).await;
    let balance = |account: &str, free: i64| Outgoing::Balance {
        api_key: account.to_owned(),
        update: BalanceUpdate {
            asset: "USDT".to_owned(),
            free: Decimal::from(free),
            free_change: Decimal::ZERO,
            locked: Decimal::ZERO,
            locked_change: Decimal::ZERO,
            kind: "DEPOSIT",
            time: 1,
        },
    };
    sim.publisher.publish(&balance("B", 1));
    sim.publisher.publish(&balance("A", 2));
    sim.publisher.publish(&deals(5));
    match next(&mut user).await {
        WsMessage::Binary(bytes) => match decode_push(&bytes).expect("decodes").body {
            PushBody::PrivateAccount(account) => assert_eq!(account.free, Decimal::from(2)),
            other => panic!("expected A's balance: {other:?}"),
        },
        other => panic!("expected a push: {other:?}"),
    }
    match next(&mut public).await {
        WsMessage::Binary(bytes) => {
            let push = decode_push(&bytes).expect("decodes");
            assert_eq!(push.channel, DEALS);
        }
        other => panic!("expected a push: {other:?}"),
    }
}

#[tokio::test]
async fn bad_keys_and_idle_connections_are_closed() {
    let sim = start(StreamConfig {
        idle_unsubscribed: Duration::from_millis(200),
        idle_subscribed: Duration::from_millis(600),
        ..StreamConfig::default()
    })
    .await;
    let mut bad = connect(&format!("{}?listenKey=0123456789abcdef", sim.ws_url())).await;
    assert_eq!(next_text(&mut bad).await, "Invalid listen key");
    assert!(matches!(next(&mut bad).await, WsMessage::Close(_)));
    let mut idle = connect(&sim.ws_url()).await;
    assert!(matches!(next(&mut idle).await, WsMessage::Close(_)));
    // A subscribed connection that pings stays past both limits; one that is subscribed
    // but gets no data and sends no ping is closed after `idle_subscribed`.
    let mut busy = connect(&sim.ws_url()).await;
    send(&mut busy, &subscribe(&[DEALS])).await;
    next_text(&mut busy).await;
    let mut quiet = connect(&sim.ws_url()).await;
    send(&mut quiet, &subscribe(&[DEALS])).await;
    next_text(&mut quiet).await;
    let subscribed = std::time::Instant::now();
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        send(&mut busy, r#"{"method":"PING"}"#).await;
        assert_eq!(
            next_text(&mut busy).await,
            r#"{"id":0,"code":0,"msg":"PONG"}"#
        );
    }
    assert!(matches!(next(&mut quiet).await, WsMessage::Close(_)));
    assert!(subscribed.elapsed() >= Duration::from_millis(600));
}

#[tokio::test]
async fn expired_keys_close_the_user_stream() {
    let sim = start(StreamConfig::default()).await;
    let key = sim.keys.create("A", system_clock()(), 0).expect("key");
    let mut user = connect(&format!("{}?listenKey={key}", sim.ws_url())).await;
    send(&mut user, &subscribe(&["spot@private.orders.v3.api.pb"])).await;
    next_text(&mut user).await;
    sim.faults.expire_listen_keys();
    assert!(matches!(next(&mut user).await, WsMessage::Close(_)));
}
