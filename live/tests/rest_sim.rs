//! The REST adapter against the simulator on loopback: every endpoint, MEXC's checks, and
//! the submission fault cases of fault-tests.md (1, 2, 3, 4, 7, 34) at this layer.

mod support;

use std::time::Duration;

use rust_decimal::Decimal;
use support::{Harness, KEY, SECRET, START, client, start};
use vela_data::Interval;
use vela_live::errors::{MexcError, RejectKind, UnknownCause};
use vela_live::rest::model::{BatchItem, WireOrderStatus, WireOrderType, WireSide};
use vela_live::rest::{NewOrder, OrderRef, RestClient, RestConfig};
use vela_live::sim::outgoing::Outgoing;
use vela_live::sim::server::ServerConfig;

fn limit_buy(price: Decimal, client_id: &str) -> NewOrder {
    NewOrder {
        symbol: "BTCUSDT".to_owned(),
        side: WireSide::Buy,
        order_type: WireOrderType::Limit,
        quantity: Some(Decimal::ONE),
        quote_order_qty: None,
        price: Some(price),
        client_order_id: Some(client_id.to_owned()),
    }
}

fn market_buy(amount: Decimal, client_id: &str) -> NewOrder {
    NewOrder {
        order_type: WireOrderType::Market,
        quantity: None,
        quote_order_qty: Some(amount),
        price: None,
        ..limit_buy(Decimal::ONE, client_id)
    }
}

async fn harness() -> (Harness, RestClient) {
    let harness = start(ServerConfig::default()).await;
    let client = client(&harness, SECRET, Duration::from_secs(2));
    (harness, client)
}

fn assert_no_secret(text: &str) {
    assert!(
        !text.contains(SECRET) && !text.contains("CANARY"),
        "secret leaked: {text}"
    );
}

#[tokio::test]
async fn public_endpoints_serve_the_replay_without_look_ahead() {
    let (harness, client) = harness().await;
    client.ping().await.expect("ping");
    let offset = client.sync_time().await.expect("time");
    assert!(offset.abs() < 1_000, "same machine: offset {offset} ms");
    let info = client
        .exchange_info(&["BTCUSDT"])
        .await
        .expect("exchangeInfo");
    let instrument = info.symbols[0].instrument().expect("instrument");
    assert_eq!(instrument, vela_core::types::instrument::stubs::btcusdt());
    assert!(matches!(
        client.exchange_info(&["NOPEUSDT"]).await,
        Err(MexcError::Rejected {
            code: -1121,
            kind: RejectKind::InvalidSymbol,
            ..
        })
    ));

    assert_eq!(
        harness.server.step(3),
        3,
        "opens bar 0, completes 0 and 1, opens 2"
    );
    let klines = client
        .klines("BTCUSDT", Interval::M1, START, START + 3_600_000, 1000)
        .await
        .expect("klines");
    assert_eq!(
        klines.rows.len(),
        2,
        "two completed bars; bar 2 is in progress"
    );
    assert_eq!(klines.rows[1].close, support::bars(3)[1].close);
    assert!(
        klines.unfinished.is_empty(),
        "the simulator serves completed bars only"
    );
    let depth = client.depth("BTCUSDT", 5).await.expect("depth");
    assert_eq!(depth.bids.len(), 5);
    assert!(depth.bids[0].0 < depth.asks[0].0, "not crossed");
    assert_eq!(depth.last_update_id, 3, "one depth update per opened bar");
    let ticker = client.book_ticker("BTCUSDT").await.expect("book ticker");
    assert_eq!(ticker.bid_price, depth.bids[0].0);
    let trades = client.trades("BTCUSDT", 6).await.expect("trades");
    assert_eq!(trades.len(), 6);
    let day = client.ticker_24h("BTCUSDT").await.expect("24h");
    assert_eq!(day.symbol, "BTCUSDT");
    let wrong = client
        .klines("BTCUSDT", Interval::H1, START, START + 1, 10)
        .await;
    assert!(
        matches!(
            wrong,
            Err(MexcError::BadReply { .. } | MexcError::Rejected { .. })
        ),
        "{wrong:?}"
    );
    harness.server.shutdown().await;
}

#[tokio::test]
async fn an_order_placed_during_a_bar_fills_at_that_bars_open() {
    let (harness, client) = harness().await;
    harness.server.step(2); // bar 1 in progress
    let ack = client
        .place_order(&market_buy(Decimal::from(1_000), "bot1-1"))
        .await
        .expect("placed");
    assert_eq!(ack.symbol, "BTCUSDT");
    let order = client
        .query_order("BTCUSDT", &OrderRef::ClientId("bot1-1".to_owned()))
        .await
        .expect("query");
    assert_eq!(
        order.status,
        WireOrderStatus::New,
        "not matched before the bar completes"
    );
    harness.server.step(1);
    let order = client
        .query_order("BTCUSDT", &OrderRef::OrderId(ack.order_id.clone()))
        .await
        .expect("query");
    assert_eq!(order.status, WireOrderStatus::Filled);
    let open_of_bar_1 = Decimal::from(101);
    let trades = client
        .my_trades("BTCUSDT", None, None, None, 100)
        .await
        .expect("trades");
    assert_eq!(trades.len(), 1);
    assert_eq!(
        trades[0].price, open_of_bar_1,
        "next-open fill: the open of the bar in progress"
    );
    assert_eq!(
        trades[0].time,
        START + 60_000,
        "stamped with that bar's time"
    );
    assert_eq!(trades[0].client_order_id.as_deref(), Some("bot1-1"));
    let account = client.account().await.expect("account");
    let usdt = account
        .balances
        .iter()
        .find(|b| b.asset == "USDT")
        .expect("usdt");
    let btc = account
        .balances
        .iter()
        .find(|b| b.asset == "BTC")
        .expect("btc");
    assert_eq!(usdt.locked, Decimal::ZERO, "lock released after the fill");
    assert_eq!(btc.free, Decimal::ONE + trades[0].qty);
    assert_eq!(
        usdt.free,
        Decimal::from(10_000) - trades[0].price * trades[0].qty - trades[0].commission
    );
    let published = harness.published.lock().expect("sink").clone();
    let fill_at = published
        .iter()
        .position(|o| matches!(o, Outgoing::Fill { fill, .. } if fill.client_order_id == "bot1-1"))
        .expect("the fill was pushed");
    // The fill (at the bar's open) goes out before the bar's completed kline, the order
    // in which the backtester's event tier gives them to the engine.
    let kline_at = published
        .iter()
        .position(|o| matches!(o, Outgoing::Kline { bar, .. } if bar.ts.millis() == START + 60_000 && bar.volume > 0.0))
        .expect("bar 1's completed kline");
    assert!(fill_at < kline_at, "fill at {fill_at}, kline at {kline_at}");
    harness.server.shutdown().await;
}

#[tokio::test]
async fn resting_orders_can_be_listed_canceled_and_batched() {
    let (harness, client) = harness().await;
    harness.server.step(1);
    client
        .place_order(&limit_buy(Decimal::from(50), "rest-1"))
        .await
        .expect("rests far below");
    client
        .place_order(&limit_buy(Decimal::from(51), "rest-2"))
        .await
        .expect("rests");
    let open = client.open_orders("BTCUSDT").await.expect("open orders");
    assert_eq!(open.len(), 2);
    let account = client.account().await.expect("account");
    let usdt = account
        .balances
        .iter()
        .find(|b| b.asset == "USDT")
        .expect("usdt");
    assert!(
        usdt.locked >= Decimal::from(101),
        "both orders' cost locked: {}",
        usdt.locked
    );
    let canceled = client
        .cancel_order("BTCUSDT", &OrderRef::ClientId("rest-1".to_owned()))
        .await
        .expect("cancel");
    assert_eq!(canceled.status, WireOrderStatus::Canceled);
    let again = client
        .cancel_order("BTCUSDT", &OrderRef::ClientId("rest-1".to_owned()))
        .await;
    assert_eq!(
        again.as_ref().err().and_then(MexcError::reject_kind),
        Some(RejectKind::UnknownOrder),
        "{again:?}"
    );
    let batch = client
        .batch_orders(&[
            limit_buy(Decimal::from(52), "batch-1"),
            limit_buy(Decimal::from(1_000_000), "batch-2"),
        ])
        .await
        .expect("batch");
    assert!(matches!(&batch[0], BatchItem::Placed { .. }), "{batch:?}");
    assert!(
        matches!(&batch[1], BatchItem::Failed { code: 30004, .. }),
        "the second cannot be paid: {batch:?}"
    );
    let all = client
        .cancel_open_orders("BTCUSDT")
        .await
        .expect("cancel all");
    assert_eq!(all.len(), 2, "rest-2 and batch-1");
    let history = client
        .all_orders("BTCUSDT", None, None, 100)
        .await
        .expect("all orders");
    assert_eq!(history.len(), 3);
    let account = client.account().await.expect("account");
    let usdt = account
        .balances
        .iter()
        .find(|b| b.asset == "USDT")
        .expect("usdt");
    assert_eq!(
        (usdt.free, usdt.locked),
        (Decimal::from(10_000), Decimal::ZERO),
        "every lock released"
    );
    client
        .test_order(&limit_buy(Decimal::from(50), "test-1"))
        .await
        .expect("test order");
    assert!(
        client
            .open_orders("BTCUSDT")
            .await
            .expect("open")
            .is_empty(),
        "a test order places nothing"
    );
    let fee = client.trade_fee("BTCUSDT").await.expect("fee");
    assert_eq!(fee.taker, Decimal::new(5, 4));
    harness.server.shutdown().await;
}

#[tokio::test]
async fn mexc_refusals_are_typed_with_their_codes() {
    let (harness, client) = harness().await;
    let closed = client
        .place_order(&limit_buy(Decimal::from(50), "early"))
        .await;
    assert_eq!(
        closed.err().and_then(|e| e.code()),
        Some(30010),
        "no price before the replay starts"
    );
    harness.server.step(1);
    let too_big = client
        .place_order(&limit_buy(Decimal::from(20_000), "big"))
        .await;
    assert_eq!(
        too_big.as_ref().err().and_then(MexcError::reject_kind),
        Some(RejectKind::InsufficientBalance),
        "{too_big:?}"
    );
    let tiny = NewOrder {
        quantity: Some(Decimal::new(1, 6)),
        ..limit_buy(Decimal::from(50), "tiny")
    };
    let tiny = client.place_order(&tiny).await;
    assert_eq!(
        tiny.as_ref().err().and_then(MexcError::reject_kind),
        Some(RejectKind::InvalidAmount),
        "below min notional: {tiny:?}"
    );
    let precise = NewOrder {
        price: Some(Decimal::new(50_001, 3)),
        ..limit_buy(Decimal::from(50), "precise")
    };
    let precise = client.place_order(&precise).await;
    assert_eq!(
        precise.as_ref().err().and_then(MexcError::code),
        Some(10096),
        "{precise:?}"
    );
    let unknown = NewOrder {
        symbol: "ETHBTC".to_owned(),
        ..limit_buy(Decimal::from(50), "sym")
    };
    let unknown = client.place_order(&unknown).await;
    assert_eq!(
        unknown.as_ref().err().and_then(MexcError::reject_kind),
        Some(RejectKind::InvalidSymbol)
    );
    client
        .place_order(&limit_buy(Decimal::from(50), "dup"))
        .await
        .expect("first");
    let duplicate = client
        .place_order(&limit_buy(Decimal::from(50), "dup"))
        .await;
    assert!(duplicate.is_err(), "case 4: a client order id is used once");
    assert_eq!(
        client.open_orders("BTCUSDT").await.expect("open").len(),
        1,
        "one order exists"
    );

    let wrong_secret = support::client(&harness, "another-secret-entirely", Duration::from_secs(2));
    let bad = wrong_secret.account().await;
    assert_eq!(
        bad.as_ref().err().and_then(MexcError::reject_kind),
        Some(RejectKind::InvalidSignature)
    );
    let unsigned = RestClient::new(
        RestConfig {
            base_url: harness.server.rest_url(),
            ..RestConfig::default()
        },
        None,
    )
    .expect("client");
    assert!(matches!(
        unsigned.account().await,
        Err(MexcError::NoCredentials { .. })
    ));
    harness.server.shutdown().await;
}

#[tokio::test]
async fn a_refused_order_never_leaves_the_process() {
    // Case 7/34: bad orders are refused before any network I/O. An armed 503 that is
    // still there afterwards proves no request reached the server.
    let (harness, client) = harness().await;
    harness.server.step(1);
    harness.server.faults().update(|f| f.server_errors = 1);
    let long_id = limit_buy(Decimal::from(50), &"x".repeat(33));
    let refused = client.place_order(&long_id).await;
    assert!(
        matches!(&refused, Err(MexcError::NotSent { reason, .. }) if reason.contains("newClientOrderId")),
        "{refused:?}"
    );
    let no_price = NewOrder {
        price: None,
        ..limit_buy(Decimal::from(50), "np")
    };
    assert!(matches!(
        client.place_order(&no_price).await,
        Err(MexcError::NotSent { .. })
    ));
    let ping = client.ping().await;
    assert!(
        matches!(
            ping,
            Err(MexcError::Unknown {
                cause: UnknownCause::ServerError(503),
                ..
            })
        ),
        "the armed fault was still there: {ping:?}"
    );
    harness.server.shutdown().await;
}

#[tokio::test]
async fn server_errors_and_timeouts_are_unknown_and_resolved_by_query() {
    let (harness, client) = harness().await;
    harness.server.step(1);
    // Case 1, 5xx: the request was not processed; the outcome is unknown to the client.
    harness.server.faults().update(|f| f.server_errors = 1);
    let lost = client
        .place_order(&limit_buy(Decimal::from(50), "u-1"))
        .await;
    assert!(matches!(&lost, Err(e) if e.is_unknown()), "{lost:?}");
    let query = client
        .query_order("BTCUSDT", &OrderRef::ClientId("u-1".to_owned()))
        .await;
    assert_eq!(
        query.err().and_then(|e| e.reject_kind()),
        Some(RejectKind::UnknownOrder),
        "resolved: never placed"
    );
    // Case 1, timeout after acceptance: placed, never answered.
    let short = support::client(&harness, SECRET, Duration::from_millis(500));
    harness.server.faults().update(|f| f.order_timeouts = 1);
    let timed_out = short
        .place_order(&limit_buy(Decimal::from(50), "u-2"))
        .await;
    assert!(
        matches!(
            &timed_out,
            Err(MexcError::Unknown {
                cause: UnknownCause::Timeout,
                ..
            })
        ),
        "{timed_out:?}"
    );
    assert_no_secret(&format!(
        "{timed_out:?} {}",
        timed_out
            .as_ref()
            .err()
            .map(ToString::to_string)
            .unwrap_or_default()
    ));
    let found = client
        .query_order("BTCUSDT", &OrderRef::ClientId("u-2".to_owned()))
        .await
        .expect("the query resolves it");
    assert_eq!(found.status, WireOrderStatus::New);
    assert_eq!(
        client.open_orders("BTCUSDT").await.expect("open").len(),
        1,
        "exactly one venue order"
    );
    harness.server.shutdown().await;
}

#[tokio::test]
async fn a_429_stops_every_request_until_retry_after() {
    // Case 2 and 23: refused, and nothing is sent until Retry-After has passed: a short
    // wait is waited out, a long one refuses at once (not sent).
    let (harness, client) = harness().await;
    harness.server.faults().update(|f| {
        f.rate_limits = 1;
        f.retry_after_secs = 3;
    });
    let limited = client.ping().await;
    assert!(
        matches!(
            limited,
            Err(MexcError::RateLimited {
                status: 429,
                banned: false,
                ..
            })
        ),
        "{limited:?}"
    );
    harness.server.faults().update(|f| f.server_errors = 1);
    let held = client.ping().await;
    assert!(
        matches!(held, Err(MexcError::NotSent { .. })),
        "held back locally: {held:?}"
    );
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let started = std::time::Instant::now();
    let after = client.ping().await;
    assert!(
        started.elapsed() >= Duration::from_millis(1_300),
        "waited out the rest of Retry-After"
    );
    assert!(
        matches!(after, Err(MexcError::Unknown { .. })),
        "the armed 503 shows the request went out only now: {after:?}"
    );
    client.ping().await.expect("and then it works");
    harness.server.shutdown().await;
}

#[tokio::test]
async fn a_stale_timestamp_is_resynced_and_resent_with_the_same_client_id() {
    // Case 3: 700003 is a definite rejection; the client resyncs its clock and sends the
    // same client order id once more; never two orders.
    let (harness, _) = harness().await;
    harness.server.step(1);
    let client = RestClient::new(
        RestConfig {
            base_url: harness.server.rest_url(),
            recv_window_ms: 300,
            timeout: Duration::from_secs(5),
            ..RestConfig::default()
        },
        Some(vela_live::secret::Credentials::new(KEY, SECRET).expect("valid")),
    )
    .expect("client");
    // 400 ms on the way: the first try is stale; the resync measures +200 ms and the
    // second try (same id) fits the window.
    harness.server.faults().update(|f| f.latency_ms = 400);
    let ack = client
        .place_order(&limit_buy(Decimal::from(50), "ts-1"))
        .await
        .expect("placed on the second try");
    assert!(
        client.clock_offset_ms() > 100,
        "resynced: {}",
        client.clock_offset_ms()
    );
    // 700 ms: still stale after the resync; a definite rejection, nothing placed.
    harness.server.faults().update(|f| f.latency_ms = 700);
    let stale = client
        .place_order(&limit_buy(Decimal::from(50), "ts-2"))
        .await;
    assert_eq!(
        stale.as_ref().err().and_then(MexcError::reject_kind),
        Some(RejectKind::TimestampOutsideRecvWindow),
        "{stale:?}"
    );
    harness.server.faults().update(|f| f.latency_ms = 0);
    assert!(
        client
            .query_order("BTCUSDT", &OrderRef::ClientId("ts-2".to_owned()))
            .await
            .is_err(),
        "nothing placed"
    );
    client
        .place_order(&limit_buy(Decimal::from(50), "ts-2"))
        .await
        .expect("the same id goes through");
    let open = client.open_orders("BTCUSDT").await.expect("open");
    assert_eq!(open.len(), 2, "one order per client id");
    assert!(open.iter().any(|o| o.order_id == ack.order_id));
    harness.server.shutdown().await;
}

#[tokio::test]
async fn listen_keys_are_created_kept_alive_and_closed() {
    let (harness, client) = harness().await;
    let key = client.create_listen_key().await.expect("created");
    client
        .keep_alive_listen_key(&key)
        .await
        .expect("kept alive");
    harness.server.faults().expire_listen_keys();
    let expired = client.keep_alive_listen_key(&key).await;
    assert!(
        matches!(expired, Err(MexcError::Rejected { .. })),
        "{expired:?}"
    );
    let fresh = client.create_listen_key().await.expect("a new one");
    assert_ne!(fresh, key);
    client.close_listen_key(&fresh).await.expect("closed");
    assert!(client.keep_alive_listen_key(&fresh).await.is_err());
    harness.server.shutdown().await;
}

#[tokio::test]
async fn a_closed_port_is_not_sent_and_debug_shows_no_secret() {
    let client = RestClient::new(
        RestConfig {
            base_url: "http://127.0.0.1:9".to_owned(),
            timeout: Duration::from_secs(1),
            ..RestConfig::default()
        },
        Some(vela_live::secret::Credentials::new(KEY, SECRET).expect("valid")),
    )
    .expect("client");
    let refused = client.account().await;
    assert!(
        matches!(&refused, Err(MexcError::NotSent { .. })),
        "{refused:?}"
    );
    assert_no_secret(&format!(
        "{client:?} {refused:?} {}",
        refused
            .as_ref()
            .err()
            .map(ToString::to_string)
            .unwrap_or_default()
    ));
}
