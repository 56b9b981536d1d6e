//! The WebSocket client against the whole simulator on loopback (REST half, replay,
//! matching, WebSocket half): market data and a local book from replayed bars, the user
//! data stream from real orders, and recovery from dropped connections and expired
//! listenKeys (fault-tests cases 26, 27, 30, 31).

use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::sync::mpsc::Receiver;
use vela_core::sim::SimConfig;
use vela_core::types::instrument::stubs;
use vela_core::types::{Bar, Symbol, Timestamp};
use vela_live::proto::{Channel, KlineInterval, PushBody, Speed};
use vela_live::rest::model::{WireOrderType, WireSide};
use vela_live::rest::{NewOrder, RestClient, RestConfig};
use vela_live::secret::Credentials;
use vela_live::sim::feed::Feed;
use vela_live::sim::publish::Publisher;
use vela_live::sim::server::{ServerConfig, SimServer, wall_clock_ms};
use vela_live::sim::state::{AccountSetup, SimSetup};
use vela_live::sim::stream::{StreamConfig, StreamShared, router};
use vela_live::ws::{
    BackoffConfig, MarketStreams, StreamEvent, UserStream, UserStreamConfig, WsConfig,
};

const KEY: &str = "mx0vglWSTESTKEY00001";
const SECRET: &str = "CANARY-ws-5ecret-never-shown-7a8b";
const START: i64 = 1_700_000_000_000;

fn bars(n: i64) -> Vec<Bar> {
    (0..n)
        .map(|i| {
            let base = 100.0 + f64::from(u8::try_from(i % 10).expect("small"));
            Bar {
                ts: Timestamp(START + 60_000 * i),
                open: base,
                high: base + 1.5,
                low: base - 1.5,
                close: base + 0.5,
                volume: 10.0,
            }
        })
        .collect()
}

/// The simulator with its WebSocket half wired as `vela sim` wires it.
async fn simulator() -> SimServer {
    let instrument = stubs::btcusdt();
    let setup = SimSetup {
        series: vec![(instrument.symbol.clone(), bars(100))],
        instruments: vec![instrument],
        interval_ms: 60_000,
        fill: SimConfig::default(),
        accounts: vec![AccountSetup {
            api_key: KEY.to_owned(),
            secret: SECRET.to_owned(),
            balances: vec![("USDT".to_owned(), Decimal::from(10_000))],
        }],
    };
    let feed = Feed::new();
    let publisher = Arc::new(Publisher::new(feed.clone(), Arc::new(wall_clock_ms)));
    SimServer::start(
        setup,
        ServerConfig::default(),
        publisher.sink(),
        move |faults, listen_keys| {
            router(StreamShared {
                feed,
                faults,
                listen_keys,
                config: StreamConfig::default(),
                clock: Arc::new(wall_clock_ms),
            })
        },
    )
    .await
    .expect("simulator starts")
}

fn ws_config(server: &SimServer) -> WsConfig {
    WsConfig {
        url: server.ws_url(),
        ping_interval: Duration::from_millis(200),
        pong_timeout: Duration::from_secs(1),
        ack_timeout: Duration::from_secs(1),
        stale_after: None,
        check_interval: Duration::from_millis(20),
        backoff: BackoffConfig {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(500),
            jitter_seed: Some(1),
        },
        ..WsConfig::default()
    }
}

fn rest(server: &SimServer, credentials: bool) -> Arc<RestClient> {
    let config = RestConfig {
        base_url: server.rest_url(),
        ..RestConfig::default()
    };
    let credentials = credentials.then(|| Credentials::new(KEY, SECRET).expect("valid"));
    Arc::new(RestClient::new(config, credentials).expect("client"))
}

/// Events until one matches (within `secs`); `None` on timeout.
async fn until(
    rx: &mut Receiver<StreamEvent>,
    secs: u64,
    wanted: impl Fn(&StreamEvent) -> bool,
) -> Option<StreamEvent> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let event = tokio::time::timeout_at(deadline, rx.recv()).await.ok()??;
        assert!(!format!("{event:?}").contains(SECRET), "secret in an event");
        if wanted(&event) {
            return Some(event);
        }
    }
}

async fn subscribed(rx: &mut Receiver<StreamEvent>, n: usize) {
    for _ in 0..n {
        until(rx, 5, |e| matches!(e, StreamEvent::Subscribed { .. }))
            .await
            .expect("subscribed");
    }
}

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").expect("symbol")
}

#[tokio::test]
async fn replayed_bars_arrive_as_klines_deals_and_a_live_book() {
    let server = simulator().await;
    let (mut streams, mut rx) =
        MarketStreams::with_books(ws_config(&server), rest(&server, false)).expect("config");
    streams
        .subscribe_all([
            Channel::Kline {
                symbol: btc(),
                interval: KlineInterval::Min1,
            },
            Channel::Deals {
                symbol: btc(),
                speed: Speed::Ms100,
            },
            Channel::Depth {
                symbol: btc(),
                speed: Speed::Ms100,
            },
        ])
        .expect("subscribed");
    subscribed(&mut rx, 3).await;
    server.step(1);
    let kline = until(
        &mut rx,
        5,
        |e| matches!(e, StreamEvent::Data { push, .. } if matches!(push.body, PushBody::Kline(_))),
    )
    .await
    .expect("a kline");
    if let StreamEvent::Data { push, .. } = kline
        && let PushBody::Kline(kline) = push.body
    {
        assert_eq!(kline.bar.ts, Timestamp(START));
        assert_eq!(kline.bar.open, 100.0);
    }
    // The book goes live once a diff follows its snapshot.
    let mut live = None;
    for _ in 0..10 {
        server.step(1);
        live = until(&mut rx, 1, |e| matches!(e, StreamEvent::BookLive { .. })).await;
        if live.is_some() {
            break;
        }
    }
    assert!(live.is_some(), "the book never went live");
    let book = streams.book(&btc()).expect("kept");
    let (bid, ask) = (book.best_bid().expect("bid"), book.best_ask().expect("ask"));
    assert!(bid.price < ask.price);
    // A dropped connection: reconnect, resubscribe, a new snapshot, live again.
    server.faults().drop_connections();
    until(&mut rx, 5, |e| {
        matches!(e, StreamEvent::Reconnecting { .. })
    })
    .await
    .expect("reconnecting");
    subscribed(&mut rx, 3).await;
    let mut live = None;
    for _ in 0..10 {
        server.step(1);
        live = until(&mut rx, 1, |e| matches!(e, StreamEvent::BookLive { .. })).await;
        if live.is_some() {
            break;
        }
    }
    assert!(
        live.is_some(),
        "the book was not rebuilt after the reconnect"
    );
    streams.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn orders_reach_the_user_stream_across_a_listen_key_expiry() {
    let server = simulator().await;
    server.step(2);
    let client = rest(&server, true);
    let config = UserStreamConfig {
        ws: ws_config(&server),
        keep_alive_every: Duration::from_millis(300),
    };
    let (user, mut rx) = UserStream::start(Arc::clone(&client), config).expect("config");
    subscribed(&mut rx, 3).await;
    let order = |id: &str| NewOrder {
        symbol: "BTCUSDT".to_owned(),
        side: WireSide::Buy,
        order_type: WireOrderType::Limit,
        quantity: Some(Decimal::ONE),
        quote_order_qty: None,
        price: Some(Decimal::from(50)),
        client_order_id: Some(id.to_owned()),
    };
    let is_order = |id: &'static str| {
        move |e: &StreamEvent| {
            matches!(e, StreamEvent::Data { push, .. }
                if matches!(&push.body, PushBody::PrivateOrder(o) if o.client_id.as_deref() == Some(id)))
        }
    };
    client.place_order(&order("ws-1")).await.expect("placed");
    until(&mut rx, 5, is_order("ws-1"))
        .await
        .expect("order pushed");
    server.faults().expire_listen_keys();
    until(&mut rx, 5, |e| {
        matches!(e, StreamEvent::ListenKeyRenewed { .. })
    })
    .await
    .expect("a new key");
    until(&mut rx, 5, |e| {
        matches!(e, StreamEvent::ResyncNeeded { .. })
    })
    .await
    .expect("resync asked for");
    client.place_order(&order("ws-2")).await.expect("placed");
    until(&mut rx, 5, is_order("ws-2"))
        .await
        .expect("order pushed on the new key");
    user.shutdown().await;
    server.shutdown().await;
}
