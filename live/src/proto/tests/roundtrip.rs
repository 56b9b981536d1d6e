//! The encoders read back by the decoder, and decoding arbitrary, truncated and mutated
//! bytes (fault-tests case 33).

use proptest::prelude::*;
use prost::bytes::Bytes;
use rust_decimal::Decimal;
use vela_core::types::{Asset, Bar, BookTop, Side, Timestamp, Trade};

use super::{decoded, sym};
use crate::proto::channel::{DepthLimit, KlineInterval, Speed};
use crate::proto::decode::{decode_push, decode_wrapper, price_order};
use crate::proto::encode::{
    book_ticker_frame, deals_frame, depth_frame, encode_push, kline_frame, limit_depth_frame,
    private_account_frame, private_deal_frame, private_order_frame,
};
use crate::proto::fast;
use crate::proto::types::{
    BookTicker, Deal, DepthDiff, IgnoredBody, Kline, Level, LimitDepth, PrivateAccount,
    PrivateDeal, PrivateOrder, Push, PushBody, PushOrderStatus, PushOrderType,
};

fn deals_sample() -> Vec<Deal> {
    vec![Deal {
        trade: Trade {
            ts: Timestamp(1_700_000_000_123),
            price: 27_123.45,
            quantity: 0.001_2,
            aggressor: Side::Buy,
        },
        trade_id: Some("99".to_owned()),
    }]
}

#[test]
fn typed_encoders_read_back() {
    let s = sym("ETHUSDT");
    let t = Timestamp(1_700_000_000_500);
    let push = decoded(&deals_frame(&s, Speed::Ms10, &deals_sample(), t));
    assert_eq!(
        push.channel,
        "spot@public.aggre.deals.v3.api.pb@10ms@ETHUSDT"
    );
    assert_eq!(push.body, PushBody::Deals(deals_sample()));

    let kline = Kline {
        interval: KlineInterval::Hour8,
        bar: Bar {
            ts: Timestamp(1_699_977_600_000),
            open: 1.0,
            high: 2.0,
            low: 0.5,
            close: 1.5,
            volume: 10.0,
        },
        quote_volume: 15.0,
        close_time: Timestamp(1_700_006_400_000),
    };
    let push = decoded(&kline_frame(&s, &kline, t));
    assert_eq!(push.channel, "spot@public.kline.v3.api.pb@ETHUSDT@Hour8");
    assert_eq!(push.body, PushBody::Kline(kline));

    let diff = DepthDiff {
        from_version: 5,
        to_version: 9,
        bids: vec![Level::new(Decimal::new(1999, 1), 0.0)],
        asks: vec![Level::new(Decimal::new(2001, 1), 3.25)],
    };
    let push = decoded(&depth_frame(&s, Speed::Ms100, &diff, t));
    assert_eq!(push.body, PushBody::DepthDiff(diff.clone()));

    let depth = LimitDepth {
        version: 9,
        bids: diff.bids.clone(),
        asks: diff.asks.clone(),
    };
    let push = decoded(&limit_depth_frame(&s, DepthLimit::L5, &depth, t));
    assert_eq!(push.channel, "spot@public.limit.depth.v3.api.pb@ETHUSDT@5");
    assert_eq!(push.body, PushBody::LimitDepth(depth));

    let ticker = BookTicker {
        top: BookTop {
            ts: t,
            bid_price: 199.9,
            bid_quantity: 1.0,
            ask_price: 200.1,
            ask_quantity: 2.0,
        },
        version: Some(9),
    };
    let push = decoded(&book_ticker_frame(&s, Speed::Ms100, &ticker));
    assert_eq!(push.body, PushBody::BookTicker(ticker));

    let account = PrivateAccount {
        asset: Asset::new("USDT").unwrap_or_else(|_| unreachable!()),
        free: Decimal::new(10_050, 2),
        free_change: Decimal::new(-500, 2),
        locked: Decimal::new(500, 2),
        locked_change: Decimal::new(500, 2),
        change_type: "ENTRUST_PLACE".to_owned(),
        time: t,
    };
    let push = decoded(&private_account_frame(&account, t));
    assert_eq!(push.symbol, None);
    assert_eq!(push.body, PushBody::PrivateAccount(account));

    let order = PrivateOrder {
        symbol: s.clone(),
        order_id: "C02__1".to_owned(),
        client_id: Some("bot1-7".to_owned()),
        side: Side::Buy,
        order_type: PushOrderType::PostOnly,
        status: PushOrderStatus::New,
        price: Some(Decimal::new(19_995, 2)),
        quantity: Decimal::new(5, 1),
        amount: Decimal::ZERO,
        avg_price: Decimal::ZERO,
        is_maker: true,
        remain_amount: Decimal::ZERO,
        remain_quantity: Decimal::new(5, 1),
        last_deal_quantity: None,
        cumulative_quantity: Decimal::ZERO,
        cumulative_amount: Decimal::ZERO,
        create_time: t,
    };
    let push = decoded(&private_order_frame(&order, t));
    assert_eq!(push.channel, "spot@private.orders.v3.api.pb");
    assert_eq!(push.body, PushBody::PrivateOrder(order));

    let deal = PrivateDeal {
        symbol: s,
        trade_id: "505979017439002624X1".to_owned(),
        order_id: "C02__1".to_owned(),
        client_order_id: Some("bot1-7".to_owned()),
        side: Side::Buy,
        price: Decimal::new(19_995, 2),
        quantity: Decimal::new(5, 1),
        amount: Decimal::new(99_975, 3),
        fee: Decimal::new(4, 2),
        fee_asset: Some(Asset::new("USDT").unwrap_or_else(|_| unreachable!())),
        is_maker: true,
        is_self_trade: false,
        time: t,
    };
    let push = decoded(&private_deal_frame(&deal, t));
    assert_eq!(push.body, PushBody::PrivateDeal(deal.clone()));
    let fill = deal.fill();
    assert!(
        fill.as_ref()
            .is_ok_and(|f| f.client_id.as_str() == "bot1-7" && f.fee == deal.fee),
        "{fill:?}"
    );
    let foreign = PrivateDeal {
        client_order_id: Some("web order id with spaces".to_owned()),
        ..deal
    };
    assert!(foreign.fill().is_err());
}

fn any_f64_price() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![1e-12f64..1e-3, 1e-3f64..1e3, 1e3f64..1e12]
}

fn any_decimal(positive: bool) -> impl Strategy<Value = Decimal> + Clone {
    (0i64..1_000_000_000_000, 0u32..=12).prop_map(move |(m, s)| {
        let m = if positive { m.max(1) } else { m };
        Decimal::new(m, s)
    })
}

fn any_side() -> impl Strategy<Value = Side> + Clone {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

fn any_id() -> impl Strategy<Value = Option<String>> + Clone {
    proptest::option::of("[A-Za-z0-9_-]{1,32}")
}

fn any_level() -> impl Strategy<Value = Level> + Clone {
    (any_decimal(true), 0f64..1e9).prop_map(|(p, q)| Level::new(p, q))
}

/// A valid body of every kind.
fn any_body() -> impl Strategy<Value = PushBody> {
    let deal = (
        any_f64_price(),
        any_f64_price(),
        any_side(),
        any::<i64>(),
        any_id(),
    )
        .prop_map(|(price, quantity, aggressor, ts, trade_id)| Deal {
            trade: Trade {
                ts: Timestamp(ts),
                price,
                quantity,
                aggressor,
            },
            trade_id,
        });
    let kline = (
        0usize..KlineInterval::ALL.len(),
        -1_000_000_000i64..10_000_000_000,
        any_f64_price(),
        any_f64_price(),
        any_f64_price(),
        any_f64_price(),
        0f64..1e12,
    )
        .prop_map(|(i, secs, a, b, c, d, volume)| {
            let mut p = [a, b, c, d];
            p.sort_by(f64::total_cmp);
            Kline {
                interval: KlineInterval::ALL
                    .get(i)
                    .copied()
                    .unwrap_or(KlineInterval::Min1),
                bar: Bar {
                    ts: Timestamp(secs * 1_000),
                    open: p[1],
                    high: p[3],
                    low: p[0],
                    close: p[2],
                    volume,
                },
                quote_volume: volume * p[2],
                close_time: Timestamp(secs * 1_000 + 60_000),
            }
        });
    let levels = proptest::collection::vec(any_level(), 0..25);
    let diff = (any::<u64>(), 0u64..100, levels.clone(), levels.clone()).prop_map(
        |(from, len, bids, asks)| DepthDiff {
            from_version: from.saturating_sub(len),
            to_version: from,
            bids,
            asks,
        },
    );
    // A partial depth must not cross: bids below 1, asks from 1 up.
    let below = (1i64..1_000_000, 0f64..1e6).prop_map(|(m, q)| Level::new(Decimal::new(m, 6), q));
    let above = (1i64..1_000_000, 0f64..1e6).prop_map(|(m, q)| Level::new(Decimal::new(m, 0), q));
    let limit = (
        any::<u64>(),
        proptest::collection::vec(below, 0..20),
        proptest::collection::vec(above, 0..20),
    )
        .prop_map(|(version, bids, asks)| LimitDepth {
            version,
            bids,
            asks,
        });
    let ticker = (
        any_f64_price(),
        0f64..1e9,
        0f64..1e9,
        1.0001f64..2.0,
        proptest::option::of(any::<u64>()),
    )
        .prop_map(|(bid, bq, aq, spread, version)| BookTicker {
            top: BookTop {
                ts: Timestamp(1_700_000_000_000),
                bid_price: bid,
                bid_quantity: bq,
                ask_price: bid * spread,
                ask_quantity: aq,
            },
            version,
        });
    let batch = proptest::collection::vec(ticker.clone(), 0..4).prop_map(|ts| {
        ts.into_iter()
            .map(|t| BookTicker { version: None, ..t })
            .collect::<Vec<_>>()
    });
    let order = (
        (any_id(), any_id(), any_side(), 0usize..6, 0usize..5),
        (
            any_decimal(true),
            any_decimal(false),
            any_decimal(false),
            any_decimal(false),
        ),
        (
            any_decimal(false),
            proptest::option::of(any_decimal(false)),
            any::<bool>(),
            any::<i64>(),
        ),
    )
        .prop_map(
            |((id, client, side, t, s), (price, qty, amount, avg), (rem, last, maker, ts))| {
                let types = [
                    PushOrderType::Limit,
                    PushOrderType::PostOnly,
                    PushOrderType::ImmediateOrCancel,
                    PushOrderType::FillOrKill,
                    PushOrderType::Market,
                    PushOrderType::StopLimit,
                ];
                let statuses = [
                    PushOrderStatus::New,
                    PushOrderStatus::Filled,
                    PushOrderStatus::PartiallyFilled,
                    PushOrderStatus::Canceled,
                    PushOrderStatus::PartiallyCanceled,
                ];
                let order_type = types.get(t).copied().unwrap_or(PushOrderType::Limit);
                PrivateOrder {
                    symbol: sym("BTCUSDT"),
                    order_id: id.unwrap_or_else(|| "1".to_owned()),
                    client_id: client,
                    side,
                    order_type,
                    status: statuses.get(s).copied().unwrap_or(PushOrderStatus::New),
                    price: (order_type != PushOrderType::Market).then_some(price),
                    quantity: qty,
                    amount,
                    avg_price: avg,
                    is_maker: maker,
                    remain_amount: rem,
                    remain_quantity: qty,
                    last_deal_quantity: last,
                    cumulative_quantity: amount,
                    cumulative_amount: avg,
                    create_time: Timestamp(ts),
                }
            },
        );
    let fill = (
        (any_id(), any_id(), any_side(), any::<bool>(), any::<bool>()),
        (
            any_decimal(true),
            any_decimal(true),
            any_decimal(false),
            any_decimal(false),
            any::<bool>(),
        ),
        proptest::option::of("[A-Z]{2,6}"),
    )
        .prop_map(
            |((trade, client, side, maker, own), (price, qty, amount, fee, rebate), asset)| {
                PrivateDeal {
                    symbol: sym("MXUSDT"),
                    trade_id: trade.unwrap_or_else(|| "t".to_owned()),
                    order_id: "o-1".to_owned(),
                    client_order_id: client,
                    side,
                    price,
                    quantity: qty,
                    amount,
                    fee: if rebate { -fee } else { fee },
                    fee_asset: asset.map(|a| Asset::new(a).unwrap_or_else(|_| unreachable!())),
                    is_maker: maker,
                    is_self_trade: own,
                    time: Timestamp(1),
                }
            },
        );
    let account = (
        "[A-Z]{2,8}",
        any_decimal(false),
        any_decimal(false),
        any_decimal(false),
        "[A-Z_]{0,20}",
    )
        .prop_map(|(asset, free, locked, change, kind)| PrivateAccount {
            asset: Asset::new(asset).unwrap_or_else(|_| unreachable!()),
            free,
            free_change: -change,
            locked,
            locked_change: change,
            change_type: kind,
            time: Timestamp(2),
        });
    let ignored = prop_oneof![
        Just(IgnoredBody::PublicDeals),
        Just(IgnoredBody::PublicIncreaseDepths),
        Just(IgnoredBody::PublicBookTicker),
        Just(IgnoredBody::PublicMiniTicker),
        Just(IgnoredBody::PublicMiniTickers),
        Just(IgnoredBody::PublicIncreaseDepthsBatch),
        Just(IgnoredBody::Unknown),
    ];
    prop_oneof![
        proptest::collection::vec(deal, 0..6).prop_map(PushBody::Deals),
        kline.prop_map(PushBody::Kline),
        diff.prop_map(PushBody::DepthDiff),
        limit.prop_map(PushBody::LimitDepth),
        ticker.prop_map(PushBody::BookTicker),
        batch.prop_map(PushBody::BookTickerBatch),
        order.prop_map(PushBody::PrivateOrder),
        fill.prop_map(PushBody::PrivateDeal),
        account.prop_map(PushBody::PrivateAccount),
        ignored.prop_map(PushBody::Ignored),
    ]
}

fn any_push() -> impl Strategy<Value = Push> {
    (any_body(), "[a-z@.A-Z0-9]{1,60}").prop_map(|(body, channel)| {
        let symbol = match &body {
            PushBody::PrivateAccount(_) => None,
            PushBody::PrivateDeal(d) => Some(d.symbol.clone()),
            _ => Some(sym("BTCUSDT")),
        };
        Push {
            channel,
            symbol,
            create_time: Some(Timestamp(1_700_000_000_000)),
            send_time: Some(Timestamp(1_700_000_000_007)),
            body,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn prop_encode_then_decode_is_identity(push in any_push()) {
        let frame = encode_push(&push);
        prop_assert_eq!(decode_push(&frame), Ok(push.clone()));
        // The same through `prost` alone (deals, depth and partial depth take the fast path above).
        prop_assert_eq!(decode_wrapper(Bytes::from(frame)), Ok(push));
    }

    /// The crossed-book check's comparison is `Decimal`'s order, same scale or not.
    #[test]
    fn prop_price_order_is_decimal_order(
        a in any::<i64>(), a_scale in 0_u32..=18,
        b in any::<i64>(), b_scale in 0_u32..=18,
        same_scale in any::<bool>(),
    ) {
        let b_scale = if same_scale { a_scale } else { b_scale };
        let (a, b) = (Decimal::new(a, a_scale), Decimal::new(b, b_scale));
        prop_assert_eq!(price_order(&a, &b), a.cmp(&b));
        prop_assert_eq!(price_order(&a, &a), std::cmp::Ordering::Equal);
    }

    #[test]
    fn prop_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_push(&bytes);
    }

    #[test]
    fn prop_truncated_frames_never_panic(push in any_push(), at in any::<prop::sample::Index>()) {
        let frame = encode_push(&push);
        let cut = at.index(frame.len());
        let result = decode_push(frame.get(..cut).unwrap_or_default());
        // Cutting inside the channel, the first field, always fails.
        if cut > 0 && cut < 2 + push.channel.len() {
            prop_assert!(result.is_err());
        }
    }

    #[test]
    fn prop_mutated_frames_never_panic(
        push in any_push(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut frame = encode_push(&push);
        for (at, byte) in edits {
            let i = at.index(frame.len());
            if let Some(b) = frame.get_mut(i) {
                *b = byte;
            }
        }
        let _ = decode_push(&frame);
    }

    /// The zero-copy path takes every valid deals, depth and partial depth push, and whatever it accepts
    /// (also out of damaged frames) `prost` decodes to the same push.
    #[test]
    fn prop_fast_path_agrees_with_prost(
        push in any_push(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let frame = encode_push(&push);
        let hot = matches!(
            push.body,
            PushBody::Deals(_) | PushBody::DepthDiff(_) | PushBody::LimitDepth(_)
        );
        prop_assert_eq!(fast::decode(&frame).is_some(), hot);
        let mut damaged = frame.clone();
        for (at, byte) in edits {
            let i = at.index(damaged.len());
            if let Some(b) = damaged.get_mut(i) {
                *b = byte;
            }
        }
        let truncated = frame.get(..cut.index(frame.len())).unwrap_or_default().to_vec();
        for bytes in [frame, damaged, truncated] {
            if let Some(fast) = fast::decode(&bytes) {
                prop_assert_eq!(decode_wrapper(Bytes::from(bytes)), Ok(fast));
            }
        }
    }

    #[test]
    fn prop_fast_path_agrees_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Some(fast) = fast::decode(&bytes) {
            prop_assert_eq!(decode_wrapper(Bytes::from(bytes)), Ok(fast));
        }
    }
}
