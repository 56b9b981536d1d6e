//! The simulator's pushes decode, with the client's decoder, to what was published.

use std::sync::Arc;

use rust_decimal::Decimal;
use vela_core::types::{Bar, Side, Symbol, Timestamp};

use super::*;
use crate::proto::{PushBody, decode_push};
use crate::sim::outgoing::SimDeal;

const NOW: i64 = 1_700_000_000_123;

fn publisher() -> Publisher {
    Publisher::new(Feed::new(), Arc::new(|| NOW))
}

fn sym() -> Symbol {
    Symbol::new("BTCUSDT").expect("symbol")
}

fn dec(text: &str) -> Decimal {
    text.parse().expect("decimal")
}

#[test]
fn klines_name_their_interval_and_keep_the_bar() {
    let bar = Bar {
        ts: Timestamp::from_millis(1_700_000_040_000),
        open: 10.0,
        high: 12.0,
        low: 9.5,
        close: 11.0,
        volume: 3.0,
    };
    let out = Outgoing::Kline {
        symbol: sym(),
        bar,
        interval_ms: 60_000,
    };
    let frames = publisher().encode(&out).expect("encodes");
    assert_eq!(frames.len(), 1);
    assert_eq!(
        frames[0].channel,
        "spot@public.kline.v3.api.pb@BTCUSDT@Min1"
    );
    assert_eq!(frames[0].audience, Audience::Public);
    let push = decode_push(&frames[0].frame).expect("decodes");
    assert_eq!(push.send_time, Some(Timestamp::from_millis(NOW)));
    match push.body {
        PushBody::Kline(kline) => {
            assert_eq!(kline.bar, bar);
            assert_eq!(kline.close_time, Timestamp::from_millis(1_700_000_100_000));
        }
        other => panic!("not a kline: {other:?}"),
    }
    let odd = Outgoing::Kline {
        symbol: sym(),
        bar,
        interval_ms: 7,
    };
    assert_eq!(publisher().encode(&odd), Err(PublishError::Interval(7)));
}

#[test]
fn deals_go_out_at_both_speeds() {
    let out = Outgoing::Deals {
        symbol: sym(),
        deals: vec![SimDeal {
            price: 10.5,
            quantity: 0.25,
            taker_side: Side::Sell,
            time: NOW - 5,
            trade_id: 42,
        }],
    };
    let frames = publisher().encode(&out).expect("encodes");
    let channels: Vec<&str> = frames.iter().map(|f| f.channel.as_str()).collect();
    assert_eq!(
        channels,
        [
            "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT",
            "spot@public.aggre.deals.v3.api.pb@10ms@BTCUSDT"
        ]
    );
    let push = decode_push(&frames[0].frame).expect("decodes");
    match push.body {
        PushBody::Deals(deals) => {
            assert_eq!(deals.len(), 1);
            assert_eq!(deals[0].trade.price, 10.5);
            assert_eq!(deals[0].trade.aggressor, Side::Sell);
            assert_eq!(deals[0].trade_id.as_deref(), Some("42"));
        }
        other => panic!("not deals: {other:?}"),
    }
}

#[test]
fn depth_carries_its_version_and_feeds_the_partial_depth_and_ticker() {
    let publisher = publisher();
    let first = Outgoing::Depth {
        symbol: sym(),
        from_version: 1,
        to_version: 1,
        bids: vec![(dec("9.9"), dec("1")), (dec("9.8"), dec("2"))],
        asks: vec![(dec("10.1"), dec("1.5"))],
    };
    publisher.encode(&first).expect("encodes");
    let second = Outgoing::Depth {
        symbol: sym(),
        from_version: 2,
        to_version: 3,
        bids: vec![(dec("9.9"), Decimal::ZERO)],
        asks: vec![(dec("10.2"), dec("4"))],
    };
    let frames = publisher.encode(&second).expect("encodes");
    assert_eq!(
        frames[0].channel,
        "spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT"
    );
    assert_eq!(
        frames[1].channel,
        "spot@public.aggre.depth.v3.api.pb@10ms@BTCUSDT"
    );
    assert_eq!(frames[0].depth_version, Some(3));
    match decode_push(&frames[0].frame).expect("decodes").body {
        PushBody::DepthDiff(diff) => {
            assert_eq!((diff.from_version, diff.to_version), (2, 3));
            assert_eq!(diff.bids[0].quantity, 0.0);
        }
        other => panic!("not a diff: {other:?}"),
    }
    let limit = frames
        .iter()
        .find(|f| f.channel == "spot@public.limit.depth.v3.api.pb@BTCUSDT@5")
        .expect("partial depth published");
    assert_eq!(limit.depth_version, None);
    match decode_push(&limit.frame).expect("decodes").body {
        PushBody::LimitDepth(depth) => {
            assert_eq!(depth.version, 3);
            let bids: Vec<Decimal> = depth.bids.iter().map(|l| l.price).collect();
            let asks: Vec<Decimal> = depth.asks.iter().map(|l| l.price).collect();
            assert_eq!(bids, [dec("9.8")]);
            assert_eq!(asks, [dec("10.1"), dec("10.2")]);
        }
        other => panic!("not a partial depth: {other:?}"),
    }
    let ticker = Outgoing::BookTicker {
        symbol: sym(),
        bid: (dec("9.8"), dec("2")),
        ask: (dec("10.1"), dec("1.5")),
    };
    let frames = publisher.encode(&ticker).expect("encodes");
    assert_eq!(
        frames[0].channel,
        "spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT"
    );
    match decode_push(&frames[0].frame).expect("decodes").body {
        PushBody::BookTicker(t) => {
            assert_eq!(t.version, Some(3));
            assert_eq!((t.top.bid_price, t.top.ask_price), (9.8, 10.1));
        }
        other => panic!("not a ticker: {other:?}"),
    }
}

#[test]
fn private_pushes_go_to_their_account_only() {
    let update = OrderUpdate {
        symbol: sym(),
        order_id: "C02__1".to_owned(),
        client_order_id: "bot1-7".to_owned(),
        price: dec("10"),
        quantity: dec("2"),
        amount: dec("20"),
        avg_price: Decimal::ZERO,
        order_type: 1,
        side: Side::Buy,
        is_maker: false,
        remain_quantity: dec("2"),
        remain_amount: dec("20"),
        last_deal_quantity: None,
        cumulative_quantity: Decimal::ZERO,
        cumulative_amount: Decimal::ZERO,
        status: 1,
        create_time: NOW,
    };
    let out = Outgoing::Order {
        api_key: "acct-A".to_owned(),
        update: update.clone(),
    };
    let frames = publisher().encode(&out).expect("encodes");
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].channel, "spot@private.orders.v3.api.pb");
    assert_eq!(frames[0].audience, Audience::Account("acct-A".to_owned()));
    match decode_push(&frames[0].frame).expect("decodes").body {
        PushBody::PrivateOrder(order) => {
            assert_eq!(order.client_id.as_deref(), Some("bot1-7"));
            assert_eq!(order.status, PushOrderStatus::New);
        }
        other => panic!("not an order: {other:?}"),
    }
    let bad = Outgoing::Order {
        api_key: "acct-A".to_owned(),
        update: OrderUpdate {
            status: 9,
            ..update
        },
    };
    assert_eq!(
        publisher().encode(&bad),
        Err(PublishError::Code {
            field: "status",
            value: 9
        })
    );
    let balance = Outgoing::Balance {
        api_key: "acct-A".to_owned(),
        update: BalanceUpdate {
            asset: "USDT".to_owned(),
            free: dec("80"),
            free_change: dec("-20"),
            locked: dec("20"),
            locked_change: dec("20"),
            kind: "ENTRUST_PLACE",
            time: NOW,
        },
    };
    let frames = publisher().encode(&balance).expect("encodes");
    assert_eq!(frames[0].channel, "spot@private.account.v3.api.pb");
    match decode_push(&frames[0].frame).expect("decodes").body {
        PushBody::PrivateAccount(account) => {
            assert_eq!(account.free, dec("80"));
            assert_eq!(account.change_type, "ENTRUST_PLACE");
        }
        other => panic!("not a balance: {other:?}"),
    }
}

#[test]
fn publish_reaches_feed_subscribers() {
    let publisher = publisher();
    let mut rx = publisher.feed().subscribe();
    let n = publisher.publish(&Outgoing::Deals {
        symbol: sym(),
        deals: Vec::new(),
    });
    assert_eq!(n, 2);
    let first = rx.try_recv().expect("published");
    assert!(first.channel.contains("@100ms@"));
}
