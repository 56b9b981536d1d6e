//! The client against the simulator's WebSocket server on loopback (fault-tests cases 26,
//! 27, 29, 30, 31, 33).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use proptest::prelude::*;
use rust_decimal::Decimal;
use tokio::sync::mpsc::Receiver;
use tokio_tungstenite::tungstenite::Message;
use vela_core::types::{Side, Symbol};

use super::session::{Incoming, classify};
use super::*;
use crate::book::{DiffOutcome, OrderBook, Snapshot, StaleReason};
use crate::proto::{Channel, DepthDiff, KlineInterval, PushBody, Speed};
use crate::rest::{RestClient, RestConfig};
use crate::secret::Credentials;
use crate::sim::feed::{Audience, Published};
use crate::sim::outgoing::{OrderUpdate, Outgoing, SimDeal};
use crate::sim::stream::StreamConfig;
use crate::sim::stream::tests::{LoopbackSim, start};

fn sym(s: &str) -> Symbol {
    Symbol::new(s).expect("symbol")
}

fn deals_channel(s: &str) -> Channel {
    Channel::Deals {
        symbol: sym(s),
        speed: Speed::Ms100,
    }
}

/// Fast timers for loopback tests.
fn fast(sim: &LoopbackSim) -> WsConfig {
    WsConfig {
        url: sim.ws_url(),
        ping_interval: Duration::from_millis(100),
        pong_timeout: Duration::from_millis(500),
        ack_timeout: Duration::from_millis(500),
        stale_after: None,
        check_interval: Duration::from_millis(20),
        backoff: BackoffConfig {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(400),
            jitter_seed: None,
        },
        ..WsConfig::default()
    }
}

/// Events until one matches `wanted` (within 5 s); returns it and those before it.
async fn until(
    rx: &mut Receiver<StreamEvent>,
    wanted: impl Fn(&StreamEvent) -> bool,
) -> (StreamEvent, Vec<StreamEvent>) {
    let mut before = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no matching event within 5 s; saw {before:#?}"))
            .expect("stream alive");
        if wanted(&event) {
            return (event, before);
        }
        before.push(event);
    }
}

async fn subscribed(rx: &mut Receiver<StreamEvent>, n: usize) -> Vec<Channel> {
    let mut channels = Vec::new();
    while channels.len() < n {
        if let (StreamEvent::Subscribed { channel, .. }, _) =
            until(rx, |e| matches!(e, StreamEvent::Subscribed { .. })).await
        {
            channels.push(channel);
        }
    }
    channels
}

fn deal(trade_id: u64) -> Outgoing {
    deal_of("BTCUSDT", trade_id)
}

fn deal_of(symbol: &str, trade_id: u64) -> Outgoing {
    Outgoing::Deals {
        symbol: sym(symbol),
        deals: vec![SimDeal {
            price: 100.0,
            quantity: 1.0,
            taker_side: Side::Buy,
            time: 1_700_000_000_000,
            trade_id,
        }],
    }
}

/// The trade ids of a deals push.
fn trade_ids(event: &StreamEvent) -> Option<Vec<String>> {
    match event {
        StreamEvent::Data { push, .. } => match &push.body {
            PushBody::Deals(deals) => Some(
                deals
                    .iter()
                    .map(|d| d.trade_id.clone().unwrap_or_default())
                    .collect(),
            ),
            _ => None,
        },
        _ => None,
    }
}

#[tokio::test]
async fn subscriptions_are_acknowledged_and_data_delivered() {
    let sim = start(StreamConfig::default()).await;
    let (mut streams, mut rx) = MarketStreams::new(fast(&sim)).expect("config");
    let kline = Channel::Kline {
        symbol: sym("BTCUSDT"),
        interval: KlineInterval::Min1,
    };
    streams
        .subscribe_all([deals_channel("BTCUSDT"), kline.clone()])
        .expect("subscribed");
    assert_eq!(
        subscribed(&mut rx, 2).await,
        [deals_channel("BTCUSDT"), kline]
    );
    assert!(matches!(
        streams.subscribe(Channel::PrivateOrders),
        Err(WsError::PrivateChannel(_))
    ));
    sim.publisher.publish(&deal(1));
    let (event, _) = until(&mut rx, |e| trade_ids(e).is_some()).await;
    assert_eq!(trade_ids(&event), Some(vec!["1".to_owned()]));
    // Pings are answered: the connection stays up through several ping intervals.
    tokio::time::sleep(Duration::from_millis(600)).await;
    sim.publisher.publish(&deal(2));
    let (event, before) = until(&mut rx, |e| trade_ids(e).is_some()).await;
    assert_eq!(trade_ids(&event), Some(vec!["2".to_owned()]));
    assert!(
        !before
            .iter()
            .any(|e| matches!(e, StreamEvent::Disconnected { .. })),
        "{before:?}"
    );
    streams.shutdown().await;
}

#[tokio::test]
async fn a_refused_subscription_is_an_event_not_a_success() {
    let sim = start(StreamConfig::default()).await;
    sim.faults.update(|f| {
        f.refused_channels
            .push("spot@public.aggre.bookTicker".to_owned());
    });
    let (mut streams, mut rx) = MarketStreams::new(fast(&sim)).expect("config");
    let ticker = Channel::BookTicker {
        symbol: sym("BTCUSDT"),
        speed: Speed::Ms100,
    };
    streams.subscribe(ticker.clone()).expect("sent");
    streams.subscribe(deals_channel("BTCUSDT")).expect("sent");
    let (event, before) = until(&mut rx, |e| {
        matches!(e, StreamEvent::SubscriptionRefused { .. })
    })
    .await;
    match event {
        StreamEvent::SubscriptionRefused {
            channel, message, ..
        } => {
            assert_eq!(channel, ticker.to_string());
            assert!(message.contains("Blocked"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !before
            .iter()
            .any(|e| matches!(e, StreamEvent::Subscribed { channel, .. } if *channel == ticker)),
        "{before:?}"
    );
    assert_eq!(subscribed(&mut rx, 1).await, [deals_channel("BTCUSDT")]);
    streams.shutdown().await;
}

/// A WebSocket server that accepts and then says nothing at all.
async fn mute_server() -> String {
    async fn mute(ws: WebSocketUpgrade) -> Response {
        ws.on_upgrade(|mut socket: WebSocket| async move {
            while let Some(Ok(_)) = socket.recv().await {}
        })
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let app = axum::Router::new().route("/ws", get(mute));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("ws://{addr}/ws")
}

#[tokio::test]
async fn a_missing_ack_and_a_missing_pong_are_failures() {
    let sim = start(StreamConfig::default()).await;
    let config = WsConfig {
        url: mute_server().await,
        ..fast(&sim)
    };
    let (mut streams, mut rx) = MarketStreams::new(config).expect("config");
    streams.subscribe(deals_channel("BTCUSDT")).expect("sent");
    let (event, _) = until(&mut rx, |e| {
        matches!(e, StreamEvent::SubscriptionRefused { .. })
    })
    .await;
    assert!(
        matches!(&event, StreamEvent::SubscriptionRefused { message, .. } if message.contains("no acknowledgement")),
        "{event:?}"
    );
    let (event, _) = until(&mut rx, |e| matches!(e, StreamEvent::Disconnected { .. })).await;
    assert!(
        matches!(&event, StreamEvent::Disconnected { reason, .. } if reason.contains("PONG")),
        "{event:?}"
    );
    let (event, _) = until(&mut rx, |e| matches!(e, StreamEvent::Reconnecting { .. })).await;
    assert!(
        matches!(event, StreamEvent::Reconnecting { attempt: 1, .. }),
        "{event:?}"
    );
    streams.shutdown().await;
}

#[tokio::test]
async fn thirty_one_channels_take_two_connections() {
    let sim = start(StreamConfig::default()).await;
    let (mut streams, mut rx) = MarketStreams::new(fast(&sim)).expect("config");
    let channels: Vec<Channel> = (0..31)
        .map(|i| deals_channel(&format!("S{i}USDT")))
        .collect();
    streams.subscribe_all(channels.clone()).expect("sent");
    assert_eq!(streams.connection_count(), 2);
    assert_eq!(streams.channels()[0].len(), 30);
    let mut got = subscribed(&mut rx, 31).await;
    got.sort();
    let mut want = channels;
    want.sort();
    assert_eq!(got, want);
    streams.shutdown().await;
}

#[tokio::test]
async fn a_dropped_connection_reconnects_and_resubscribes_in_order() {
    let sim = start(StreamConfig::default()).await;
    let (mut streams, mut rx) = MarketStreams::new(fast(&sim)).expect("config");
    let channels = vec![
        deals_channel("AUSDT"),
        deals_channel("BUSDT"),
        deals_channel("CUSDT"),
    ];
    streams.subscribe_all(channels.clone()).expect("sent");
    assert_eq!(subscribed(&mut rx, 3).await, channels);
    sim.faults.drop_connections();
    let (event, _) = until(&mut rx, |e| matches!(e, StreamEvent::Reconnecting { .. })).await;
    assert_eq!(
        event,
        StreamEvent::Reconnecting {
            stream: StreamId::Market(0),
            attempt: 1,
            delay: Duration::from_millis(50),
        }
    );
    until(&mut rx, |e| matches!(e, StreamEvent::Connected { .. })).await;
    assert_eq!(subscribed(&mut rx, 3).await, channels);
    until(&mut rx, |e| matches!(e, StreamEvent::ResyncNeeded { .. })).await;
    sim.publisher.publish(&deal(9));
    // Deals of BTCUSDT are not subscribed; AUSDT's are.
    sim.publisher.publish(&deal_of("AUSDT", 10));
    let (event, _) = until(&mut rx, |e| matches!(e, StreamEvent::Data { .. })).await;
    assert!(
        matches!(&event, StreamEvent::Data { push, .. } if push.channel == channels[0].to_string()),
        "{event:?}"
    );
    streams.shutdown().await;
}

#[tokio::test]
async fn duplicates_and_reorders_are_delivered_as_sent() {
    let sim = start(StreamConfig::default()).await;
    let (mut streams, mut rx) = MarketStreams::new(fast(&sim)).expect("config");
    streams.subscribe(deals_channel("BTCUSDT")).expect("sent");
    subscribed(&mut rx, 1).await;
    sim.faults.update(|f| {
        f.reorders = 1;
        f.duplicates = 1;
    });
    for id in 1..=3 {
        sim.publisher.publish(&deal(id));
    }
    let mut ids = Vec::new();
    while ids.len() < 4 {
        let (event, _) = until(&mut rx, |e| trade_ids(e).is_some()).await;
        ids.extend(trade_ids(&event).unwrap_or_default());
    }
    // The first push held back behind the second, the second sent twice.
    assert_eq!(ids, ["2", "2", "1", "3"]);
    streams.shutdown().await;
}

async fn next_diff(rx: &mut Receiver<StreamEvent>) -> DepthDiff {
    loop {
        let (event, _) = until(rx, |e| matches!(e, StreamEvent::Data { .. })).await;
        if let StreamEvent::Data { push, .. } = event
            && let PushBody::DepthDiff(diff) = push.body
        {
            return diff;
        }
    }
}

#[tokio::test]
async fn a_dropped_depth_push_shows_as_a_gap_in_the_book() {
    let sim = start(StreamConfig::default()).await;
    let (mut streams, mut rx) = MarketStreams::new(fast(&sim)).expect("config");
    streams
        .subscribe(Channel::Depth {
            symbol: sym("BTCUSDT"),
            speed: Speed::Ms100,
        })
        .expect("sent");
    subscribed(&mut rx, 1).await;
    let depth = |v: u64, bid: i64| Outgoing::Depth {
        symbol: sym("BTCUSDT"),
        from_version: v,
        to_version: v,
        bids: vec![(Decimal::from(bid), Decimal::ONE)],
        asks: vec![(Decimal::from(200), Decimal::ONE)],
    };
    let mut book = OrderBook::new();
    book.apply_snapshot(&Snapshot {
        version: 0,
        bids: Vec::new(),
        asks: Vec::new(),
    })
    .expect("empty snapshot");
    let mut outcomes = Vec::new();
    sim.publisher.publish(&depth(1, 100));
    outcomes.push(book.apply_diff(next_diff(&mut rx).await));
    // Armed only once the first push is through, so the second is the one dropped.
    sim.faults.update(|f| f.depth_gaps = 1);
    sim.publisher.publish(&depth(2, 101));
    sim.publisher.publish(&depth(3, 102));
    outcomes.push(book.apply_diff(next_diff(&mut rx).await));
    assert_eq!(outcomes[0], DiffOutcome::Applied);
    assert_eq!(
        outcomes[1],
        DiffOutcome::WentStale(StaleReason::Gap {
            expected: 2,
            found: 3
        })
    );
    assert_eq!(book.gap_count(), 1);
    streams.shutdown().await;
}

#[tokio::test]
async fn books_are_snapshotted_and_rebuilt_after_a_gap() {
    let sim = start(StreamConfig::default()).await;
    let set_snapshot = |version: u64| {
        *sim.depth.depth.lock().expect("not poisoned") =
            format!(r#"{{"lastUpdateId":{version},"bids":[["100","1"]],"asks":[["200","1"]]}}"#);
    };
    set_snapshot(1);
    let rest = RestClient::new(
        RestConfig {
            base_url: sim.http_url(),
            ..RestConfig::default()
        },
        None,
    )
    .expect("client");
    let (mut streams, mut rx) =
        MarketStreams::with_books(fast(&sim), Arc::new(rest)).expect("config");
    streams
        .subscribe(Channel::Depth {
            symbol: sym("BTCUSDT"),
            speed: Speed::Ms100,
        })
        .expect("sent");
    subscribed(&mut rx, 1).await;
    let depth = |v: u64, bid: i64| Outgoing::Depth {
        symbol: sym("BTCUSDT"),
        from_version: v,
        to_version: v,
        bids: vec![(Decimal::from(bid), Decimal::ONE)],
        asks: vec![(Decimal::from(200), Decimal::ONE)],
    };
    sim.publisher.publish(&depth(1, 100));
    next_diff(&mut rx).await;
    assert!(streams.book(&sym("BTCUSDT")).is_some_and(|b| !b.is_live()));
    sim.publisher.publish(&depth(2, 101));
    let (event, _) = until(&mut rx, |e| matches!(e, StreamEvent::BookLive { .. })).await;
    assert!(
        matches!(event, StreamEvent::BookLive { version: 2, .. }),
        "{event:?}"
    );
    let book = streams.book(&sym("BTCUSDT")).expect("kept");
    assert_eq!(book.best_bid().map(|l| l.price), Some(Decimal::from(101)));
    sim.faults.update(|f| f.depth_gaps = 1);
    set_snapshot(4);
    sim.publisher.publish(&depth(3, 102));
    sim.publisher.publish(&depth(4, 103));
    let (event, _) = until(&mut rx, |e| matches!(e, StreamEvent::BookStale { .. })).await;
    assert!(
        matches!(&event, StreamEvent::BookStale { reason, .. } if reason.contains("Gap")),
        "{event:?}"
    );
    assert!(
        streams
            .book(&sym("BTCUSDT"))
            .is_some_and(|b| b.best_bid().is_none())
    );
    sim.publisher.publish(&depth(5, 104));
    let (event, _) = until(&mut rx, |e| matches!(e, StreamEvent::BookLive { .. })).await;
    assert!(
        matches!(event, StreamEvent::BookLive { version: 5, .. }),
        "{event:?}"
    );
    streams.shutdown().await;
}

#[tokio::test]
async fn a_silent_stream_fires_the_watchdog_and_resumes() {
    let sim = start(StreamConfig::default()).await;
    let config = WsConfig {
        stale_after: Some(Duration::from_millis(300)),
        ..fast(&sim)
    };
    let (mut streams, mut rx) = MarketStreams::new(config).expect("config");
    sim.faults.update(|f| f.silent = true);
    streams.subscribe(deals_channel("BTCUSDT")).expect("sent");
    subscribed(&mut rx, 1).await;
    for id in 1..=3 {
        sim.publisher.publish(&deal(id));
    }
    let (event, before) = until(&mut rx, |e| matches!(e, StreamEvent::Stale { .. })).await;
    assert!(before.iter().all(|e| trade_ids(e).is_none()), "{before:?}");
    assert!(
        matches!(&event, StreamEvent::Stale { channel, silent_for, .. }
            if *channel == deals_channel("BTCUSDT") && *silent_for >= Duration::from_millis(300)),
        "{event:?}"
    );
    let (event, _) = until(&mut rx, |e| matches!(e, StreamEvent::Disconnected { .. })).await;
    assert!(matches!(&event, StreamEvent::Disconnected { reason, .. } if reason.contains("stale")));
    subscribed(&mut rx, 1).await;
    sim.faults.update(|f| f.silent = false);
    sim.publisher.publish(&deal(4));
    let (event, _) = until(&mut rx, |e| matches!(e, StreamEvent::Resumed { .. })).await;
    assert!(matches!(event, StreamEvent::Resumed { .. }));
    let (event, _) = until(&mut rx, |e| trade_ids(e).is_some()).await;
    assert_eq!(trade_ids(&event), Some(vec!["4".to_owned()]));
    streams.shutdown().await;
}

#[tokio::test]
async fn undecodable_frames_are_counted_and_skipped() {
    let sim = start(StreamConfig::default()).await;
    let (mut streams, mut rx) = MarketStreams::new(fast(&sim)).expect("config");
    streams.subscribe(deals_channel("BTCUSDT")).expect("sent");
    subscribed(&mut rx, 1).await;
    sim.publisher.feed().publish(Published {
        channel: deals_channel("BTCUSDT").to_string(),
        audience: Audience::Public,
        frame: Arc::from(&[0xff_u8, 0xff, 0xff, 0x01][..]),
        depth_version: None,
    });
    sim.publisher.publish(&deal(5));
    let (event, _) = until(&mut rx, |e| matches!(e, StreamEvent::DecodeError { .. })).await;
    assert!(
        matches!(event, StreamEvent::DecodeError { total: 1, .. }),
        "{event:?}"
    );
    let (event, _) = until(&mut rx, |e| trade_ids(e).is_some()).await;
    assert_eq!(trade_ids(&event), Some(vec!["5".to_owned()]));
    assert_eq!(streams.decode_errors(), 1);
    streams.shutdown().await;
}

fn order_update(client_id: &str) -> Outgoing {
    Outgoing::Order {
        api_key: API_KEY.to_owned(),
        update: OrderUpdate {
            symbol: sym("BTCUSDT"),
            order_id: "C02__1".to_owned(),
            client_order_id: client_id.to_owned(),
            price: Decimal::from(10),
            quantity: Decimal::ONE,
            amount: Decimal::from(10),
            avg_price: Decimal::ZERO,
            order_type: 1,
            side: Side::Buy,
            is_maker: false,
            remain_quantity: Decimal::ONE,
            remain_amount: Decimal::from(10),
            last_deal_quantity: None,
            cumulative_quantity: Decimal::ZERO,
            cumulative_amount: Decimal::ZERO,
            status: 1,
            create_time: 1_700_000_000_000,
        },
    }
}

const API_KEY: &str = "mx0vglTESTKEY0001";

fn client_id(event: &StreamEvent) -> Option<String> {
    match event {
        StreamEvent::Data { push, .. } => match &push.body {
            PushBody::PrivateOrder(order) => order.client_id.clone(),
            _ => None,
        },
        _ => None,
    }
}

#[tokio::test]
async fn an_expired_listen_key_is_replaced_and_the_gap_reported() {
    let sim = start(StreamConfig::default()).await;
    let rest = RestClient::new(
        RestConfig {
            base_url: sim.http_url(),
            ..RestConfig::default()
        },
        Some(Credentials::new(API_KEY, "test-secret-0123456789").expect("credentials")),
    )
    .expect("client");
    let config = UserStreamConfig {
        ws: fast(&sim),
        keep_alive_every: Duration::from_millis(200),
    };
    let (user, mut rx) = UserStream::start(Arc::new(rest), config).expect("config");
    let channels = subscribed(&mut rx, 3).await;
    assert_eq!(
        channels,
        [
            Channel::PrivateOrders,
            Channel::PrivateDeals,
            Channel::PrivateAccount
        ]
    );
    // Kept alive past a few periods without a break.
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.publisher.publish(&order_update("first"));
    let (event, before) = until(&mut rx, |e| client_id(e).is_some()).await;
    assert_eq!(client_id(&event).as_deref(), Some("first"));
    assert!(
        !before.iter().any(|e| matches!(
            e,
            StreamEvent::Disconnected { .. } | StreamEvent::ListenKeyError { .. }
        )),
        "{before:?}"
    );
    sim.faults.expire_listen_keys();
    let (event, _) = until(&mut rx, |e| {
        matches!(e, StreamEvent::ListenKeyRenewed { .. })
    })
    .await;
    match event {
        StreamEvent::ListenKeyRenewed { key } => assert!(key.contains('…'), "masked: {key}"),
        other => panic!("{other:?}"),
    }
    subscribed(&mut rx, 3).await;
    until(&mut rx, |e| matches!(e, StreamEvent::ResyncNeeded { .. })).await;
    sim.publisher.publish(&order_update("second"));
    let (event, _) = until(&mut rx, |e| client_id(e).is_some()).await;
    assert_eq!(client_id(&event).as_deref(), Some("second"));
    user.shutdown().await;
}

#[tokio::test]
async fn wss_needs_usable_roots() {
    let config = WsConfig {
        url: "wss://127.0.0.1:1/ws".to_owned(),
        ca_file: Some("/surely/not/a/bundle.pem".into()),
        ..WsConfig::default()
    };
    assert!(matches!(MarketStreams::new(config), Err(WsError::Tls(_))));
}

proptest! {
    #[test]
    fn prop_arbitrary_frames_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let binary = classify(Message::Binary(bytes.clone().into()));
        prop_assert!(matches!(binary, Incoming::Push(_) | Incoming::Bad(_)));
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let text = classify(Message::text(text));
        prop_assert!(matches!(text, Incoming::Reply(_) | Incoming::Bad(_)));
    }

    #[test]
    fn prop_truncated_pushes_never_panic(cut in 0_usize..200) {
        let frames = crate::sim::publish::Publisher::new(
            crate::sim::feed::Feed::new(),
            Arc::new(|| 1_700_000_000_000),
        )
        .encode(&deal(7))
        .expect("encodes");
        let frame = &frames[0].frame;
        let cut = cut.min(frame.len());
        let incoming = classify(Message::Binary(frame[..cut].to_vec().into()));
        if cut == frame.len() {
            prop_assert!(matches!(incoming, Incoming::Push(_)));
        } else {
            prop_assert!(matches!(incoming, Incoming::Push(_) | Incoming::Bad(_)));
        }
    }
}
