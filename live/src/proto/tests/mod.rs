//! Tests of the push layer: frames written byte by byte with the field numbers of reference
//! §5.4 and §6 (independent of [`super::messages`]) and the validation rules; the encoders'
//! round trip and decoding arbitrary, truncated and mutated bytes (fault-tests case 33) are
//! in [`roundtrip`].

use rust_decimal::Decimal;
use vela_core::types::{Bar, BookTop, Side, Symbol, Timestamp, Trade};

use super::channel::KlineInterval;
use super::decode::{DecodeError, MAX_PUSH_LEN, decode_push};
use super::types::{
    BookTicker, Deal, IgnoredBody, Level, PrivateOrder, Push, PushBody, PushOrderStatus,
    PushOrderType,
};

// ---- a protobuf writer independent of prost, to pin the field numbers ----

fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = u8::try_from(v & 0x7f).unwrap_or(0);
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn tag(out: &mut Vec<u8>, field: u64, wire: u64) {
    varint(out, (field << 3) | wire);
}

fn bytes_field(out: &mut Vec<u8>, field: u64, value: &[u8]) {
    tag(out, field, 2);
    varint(out, value.len() as u64);
    out.extend_from_slice(value);
}

fn str_field(out: &mut Vec<u8>, field: u64, value: &str) {
    bytes_field(out, field, value.as_bytes());
}

fn int_field(out: &mut Vec<u8>, field: u64, value: i64) {
    tag(out, field, 0);
    varint(out, u64::from_ne_bytes(value.to_ne_bytes()));
}

/// A wrapper with `body` in oneof field `case`.
fn wrapper(channel: &str, symbol: Option<&str>, case: u64, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    str_field(&mut out, 1, channel);
    if let Some(symbol) = symbol {
        str_field(&mut out, 3, symbol);
    }
    str_field(&mut out, 4, "1");
    int_field(&mut out, 5, 1_736_409_765_000);
    int_field(&mut out, 6, 1_736_409_765_002);
    bytes_field(&mut out, case, body);
    out
}

fn deal_item(price: &str, quantity: &str, trade_type: i64, time: i64, id: &str) -> Vec<u8> {
    let mut item = Vec::new();
    str_field(&mut item, 1, price);
    str_field(&mut item, 2, quantity);
    int_field(&mut item, 3, trade_type);
    int_field(&mut item, 4, time);
    str_field(&mut item, 5, id);
    int_field(&mut item, 6, 1); // isRpi / version: newer fields, skipped
    item
}

fn deals_wire(items: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    for item in items {
        bytes_field(&mut body, 1, item);
    }
    str_field(&mut body, 2, "spot@public.aggre.deals.v3.api.pb@100ms");
    wrapper(
        "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT",
        Some("BTCUSDT"),
        314,
        &body,
    )
}

fn depth_item(price: &str, quantity: &str) -> Vec<u8> {
    let mut item = Vec::new();
    str_field(&mut item, 1, price);
    str_field(&mut item, 2, quantity);
    item
}

fn depth_wire(from: &str, to: &str, bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (p, q) in asks {
        bytes_field(&mut body, 1, &depth_item(p, q));
    }
    for (p, q) in bids {
        bytes_field(&mut body, 2, &depth_item(p, q));
    }
    str_field(&mut body, 3, "spot@public.aggre.depth.v3.api.pb@100ms");
    str_field(&mut body, 4, from);
    str_field(&mut body, 5, to);
    int_field(&mut body, 6, 1_736_409_765_000);
    wrapper(
        "spot@public.aggre.depth.v3.api.pb@100ms@BTCUSDT",
        Some("BTCUSDT"),
        313,
        &body,
    )
}

fn ticker_wire(bid: &str, bid_qty: &str, ask: &str, ask_qty: &str) -> Vec<u8> {
    let mut body = Vec::new();
    str_field(&mut body, 1, bid);
    str_field(&mut body, 2, bid_qty);
    str_field(&mut body, 3, ask);
    str_field(&mut body, 4, ask_qty);
    str_field(&mut body, 5, "42");
    wrapper(
        "spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT",
        Some("BTCUSDT"),
        315,
        &body,
    )
}

fn kline_wire(interval: &str, start: i64, ohlc: [&str; 4], end: i64) -> Vec<u8> {
    let mut body = Vec::new();
    str_field(&mut body, 1, interval);
    int_field(&mut body, 2, start);
    str_field(&mut body, 3, ohlc[0]);
    str_field(&mut body, 4, ohlc[3]);
    str_field(&mut body, 5, ohlc[1]);
    str_field(&mut body, 6, ohlc[2]);
    str_field(&mut body, 7, "12.5");
    str_field(&mut body, 8, "1234567.25");
    int_field(&mut body, 9, end);
    wrapper(
        "spot@public.kline.v3.api.pb@BTCUSDT@Min1",
        Some("BTCUSDT"),
        308,
        &body,
    )
}

fn order_wire(order_type: i64, status: i64, price: &str) -> Vec<u8> {
    let mut body = Vec::new();
    str_field(&mut body, 1, "C02__542017287208493056");
    str_field(&mut body, 2, "bot1-000042");
    str_field(&mut body, 3, price);
    str_field(&mut body, 4, "0.5");
    str_field(&mut body, 5, "31000.5");
    str_field(&mut body, 6, "62001");
    int_field(&mut body, 7, order_type);
    int_field(&mut body, 8, 2);
    int_field(&mut body, 9, 1);
    str_field(&mut body, 10, "0");
    str_field(&mut body, 11, "0.2");
    str_field(&mut body, 12, "0.1");
    str_field(&mut body, 13, "0.3");
    str_field(&mut body, 14, "18600.3");
    int_field(&mut body, 15, status);
    int_field(&mut body, 16, 1_736_409_760_000);
    str_field(&mut body, 23, "a3a0f3a8");
    wrapper("spot@private.orders.v3.api.pb", Some("BTCUSDT"), 304, &body)
}

fn decoded(frame: &[u8]) -> Push {
    match decode_push(frame) {
        Ok(push) => push,
        Err(e) => panic!("decode failed: {e}"),
    }
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap_or_else(|_| unreachable!("valid test symbol"))
}

// ---- decoding MEXC's layout ----

#[test]
fn deals_as_mexc_sends_them() {
    let frame = deals_wire(&[
        deal_item("93220.00", "0.04438243", 2, 1_736_409_765_051, "8317"),
        deal_item("93220.01", "0.1", 1, 1_736_409_765_052, ""),
    ]);
    let push = decoded(&frame);
    assert_eq!(
        push.channel,
        "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT"
    );
    assert_eq!(push.symbol, Some(sym("BTCUSDT")));
    assert_eq!(push.create_time, Some(Timestamp(1_736_409_765_000)));
    assert_eq!(push.send_time, Some(Timestamp(1_736_409_765_002)));
    let expected = vec![
        Deal {
            trade: Trade {
                ts: Timestamp(1_736_409_765_051),
                price: 93_220.0,
                quantity: 0.044_382_43,
                aggressor: Side::Sell,
            },
            trade_id: Some("8317".to_owned()),
        },
        Deal {
            trade: Trade {
                ts: Timestamp(1_736_409_765_052),
                price: 93_220.01,
                quantity: 0.1,
                aggressor: Side::Buy,
            },
            trade_id: None,
        },
    ];
    assert_eq!(push.body, PushBody::Deals(expected));
}

#[test]
fn depth_versions_and_exact_prices() {
    let frame = depth_wire(
        "10000000001",
        "10000000003",
        &[("0.10", "5"), ("0.09", "0")],
        &[("0.11", "1.5")],
    );
    let PushBody::DepthDiff(diff) = decoded(&frame).body else {
        panic!("not a depth diff");
    };
    assert_eq!(
        (diff.from_version, diff.to_version),
        (10_000_000_001, 10_000_000_003)
    );
    assert_eq!(
        diff.bids,
        vec![
            Level::new(Decimal::new(1, 1), 5.0),
            Level::new(Decimal::new(9, 2), 0.0)
        ]
    );
    assert_eq!(diff.asks.first().map(Level::price_f64), Some(0.11));
    for (from, to) in [
        ("", "5"),
        ("5", "x"),
        ("-1", "5"),
        ("6", "5"),
        ("1", "99999999999999999999"),
    ] {
        assert!(
            decode_push(&depth_wire(from, to, &[], &[])).is_err(),
            "{from}..{to}"
        );
    }
}

#[test]
fn kline_seconds_become_milliseconds() {
    let frame = kline_wire(
        "Min1",
        1_736_409_720,
        ["93000.5", "93300", "92950", "93220"],
        1_736_409_780,
    );
    let PushBody::Kline(kline) = decoded(&frame).body else {
        panic!("not a kline");
    };
    assert_eq!(kline.interval, KlineInterval::Min1);
    assert_eq!(
        kline.bar,
        Bar {
            ts: Timestamp(1_736_409_720_000),
            open: 93_000.5,
            high: 93_300.0,
            low: 92_950.0,
            close: 93_220.0,
            volume: 12.5,
        }
    );
    assert_eq!(kline.quote_volume, 1_234_567.25);
    assert_eq!(kline.close_time, Timestamp(1_736_409_780_000));
    let ohlc = ["1", "2", "0.5", "1.5"];
    assert!(decode_push(&kline_wire("Min2", 60, ohlc, 120)).is_err());
    assert!(decode_push(&kline_wire("Min1", i64::MAX / 10, ohlc, i64::MAX / 10)).is_err());
    assert!(decode_push(&kline_wire("Min1", 120, ohlc, 60)).is_err());
    assert!(decode_push(&kline_wire("Min1", 60, ["1", "0.9", "0.5", "1.5"], 120)).is_err());
    assert!(decode_push(&kline_wire("Min1", 60, ["0", "2", "0", "1"], 120)).is_err());
}

#[test]
fn case_32_bad_market_numbers_are_refused() {
    let ok = deal_item("1.5", "2", 1, 1, "");
    assert!(decode_push(&deals_wire(&[ok])).is_ok());
    for (price, quantity) in [
        ("NaN", "1"),
        ("nan", "1"),
        ("inf", "1"),
        ("1e400", "1"),
        ("0", "1"),
        ("0.000", "1"),
        ("-1", "1"),
        ("", "1"),
        (" 1", "1"),
        ("1", "-2"),
        ("1", "0"),
        ("1", "NaN"),
        ("1", ""),
    ] {
        let frame = deals_wire(&[deal_item(price, quantity, 1, 1, "")]);
        let err = decode_push(&frame).err();
        assert!(
            matches!(&err, Some(DecodeError::Number { field, .. }) if field.contains("deals[0]")),
            "{price:?} x {quantity:?}: {err:?}"
        );
    }
    for (p, q) in [("0", "1"), ("-0.1", "1"), ("1", "-1"), ("NaN", "1")] {
        assert!(
            decode_push(&depth_wire("1", "1", &[(p, q)], &[])).is_err(),
            "{p} {q}"
        );
    }
}

#[test]
fn case_32_crossed_book_ticker_is_refused() {
    let push = decoded(&ticker_wire("93219.99", "1.2", "93220", "0.5"));
    let PushBody::BookTicker(ticker) = push.body else {
        panic!("not a ticker");
    };
    assert_eq!(
        ticker,
        BookTicker {
            top: BookTop {
                ts: Timestamp(1_736_409_765_000),
                bid_price: 93_219.99,
                bid_quantity: 1.2,
                ask_price: 93_220.0,
                ask_quantity: 0.5,
            },
            version: Some(42),
        }
    );
    for (bid, ask) in [("93220", "93220"), ("93221", "93220")] {
        let err = decode_push(&ticker_wire(bid, "1", ask, "1")).err();
        assert!(matches!(err, Some(DecodeError::Crossed { .. })), "{err:?}");
    }
    assert!(decode_push(&ticker_wire("1", "-1", "2", "1")).is_err());
    assert!(decode_push(&ticker_wire("0", "1", "2", "1")).is_err());
}

#[test]
fn case_33_unknown_enum_values_are_errors() {
    let frame = deals_wire(&[deal_item("1", "1", 3, 1, "")]);
    assert!(matches!(
        decode_push(&frame),
        Err(DecodeError::UnknownEnum { value: 3, .. })
    ));
    assert!(matches!(
        decode_push(&order_wire(7, 1, "62000")),
        Err(DecodeError::UnknownEnum {
            field: "privateOrders.orderType",
            value: 7
        })
    ));
    assert!(matches!(
        decode_push(&order_wire(1, 0, "62000")),
        Err(DecodeError::UnknownEnum {
            field: "privateOrders.status",
            value: 0
        })
    ));
}

#[test]
fn private_order_fields() {
    let push = decoded(&order_wire(1, 3, "62000.10"));
    let PushBody::PrivateOrder(order) = push.body else {
        panic!("not an order");
    };
    assert_eq!(order.symbol, sym("BTCUSDT"));
    assert_eq!(order.order_id, "C02__542017287208493056");
    assert_eq!(order.client_id.as_deref(), Some("bot1-000042"));
    assert_eq!(order.side, Side::Sell);
    assert_eq!(order.order_type, PushOrderType::Limit);
    assert_eq!(order.status, PushOrderStatus::PartiallyFilled);
    assert_eq!(order.price, Some(Decimal::new(6_200_010, 2)));
    assert_eq!(order.remain_quantity, Decimal::new(2, 1));
    assert_eq!(order.last_deal_quantity, Some(Decimal::new(1, 1)));
    assert_eq!(order.cumulative_amount, Decimal::new(186_003, 1));
    assert!(order.is_maker);
    assert_eq!(order.create_time, Timestamp(1_736_409_760_000));
    // Market orders may have no price; limit orders may not.
    let market = decoded(&order_wire(5, 2, ""));
    assert!(matches!(
        market.body,
        PushBody::PrivateOrder(PrivateOrder { price: None, .. })
    ));
    assert!(decode_push(&order_wire(1, 1, "")).is_err());
    assert!(decode_push(&order_wire(1, 1, "-5")).is_err());
    assert!(decode_push(&order_wire(1, 1, "1e")).is_err());
}

#[test]
fn unknown_and_retired_bodies_are_ignored() {
    let cases = [
        (301, IgnoredBody::PublicDeals),
        (302, IgnoredBody::PublicIncreaseDepths),
        (305, IgnoredBody::PublicBookTicker),
        (309, IgnoredBody::PublicMiniTicker),
        (310, IgnoredBody::PublicMiniTickers),
        (312, IgnoredBody::PublicIncreaseDepthsBatch),
        (316, IgnoredBody::Unknown),
        (400, IgnoredBody::Unknown),
    ];
    for (case, kind) in cases {
        let mut body = Vec::new();
        str_field(&mut body, 1, "anything");
        int_field(&mut body, 2, 7);
        let push = decoded(&wrapper("spot@x", Some("BTCUSDT"), case, &body));
        assert_eq!(push.body, PushBody::Ignored(kind), "case {case}");
    }
    // Ignored, but still checked for well-formedness.
    assert!(decode_push(&wrapper("spot@x", None, 309, &[0x0a, 0x05, b'a'])).is_err());
}

#[test]
fn wrapper_errors() {
    assert!(matches!(
        decode_push(&vec![0u8; MAX_PUSH_LEN + 1]),
        Err(DecodeError::TooLarge { .. })
    ));
    assert!(matches!(
        decode_push(&[]),
        Err(DecodeError::Missing { field: "channel" })
    ));
    let bad_symbol = wrapper("spot@x", Some("btc/usdt"), 309, &[]);
    assert!(matches!(
        decode_push(&bad_symbol),
        Err(DecodeError::Invalid { .. })
    ));
    let mut bad_utf8 = Vec::new();
    bytes_field(&mut bad_utf8, 1, &[0xff, 0xfe]);
    assert!(matches!(
        decode_push(&bad_utf8),
        Err(DecodeError::Invalid { .. })
    ));
    // A wrong wire type on a known field is malformed protobuf.
    let mut wrong = Vec::new();
    int_field(&mut wrong, 1, 5);
    assert!(matches!(decode_push(&wrong), Err(DecodeError::Protobuf(_))));
    // Private fills need the wrapper's symbol.
    let mut deal = Vec::new();
    str_field(&mut deal, 1, "1");
    str_field(&mut deal, 2, "1");
    int_field(&mut deal, 4, 1);
    str_field(&mut deal, 7, "t1");
    str_field(&mut deal, 9, "o1");
    assert!(
        decode_push(&wrapper(
            "spot@private.deals.v3.api.pb",
            Some("BTCUSDT"),
            306,
            &deal
        ))
        .is_ok()
    );
    assert!(matches!(
        decode_push(&wrapper("spot@private.deals.v3.api.pb", None, 306, &deal)),
        Err(DecodeError::Missing { field: "symbol" })
    ));
}

mod roundtrip;

#[test]
fn crossing_is_decided_exactly_when_the_f64_prices_are_equal() {
    use std::str::FromStr;
    let level = |price: &str| Level::new(Decimal::from_str(price).unwrap_or_default(), 1.0);
    // Two prices 1e-20 apart round to the same f64: the exact prices decide.
    let (low, high) = (
        level("1.00000000000000000001"),
        level("1.00000000000000000002"),
    );
    assert_eq!(low.price_f64().to_bits(), high.price_f64().to_bits());
    assert!(super::decode::crossed(&[low], &[high]).is_none());
    assert!(super::decode::crossed(&[high], &[low]).is_some());
    assert!(super::decode::crossed(&[low], &[low]).is_some());
    assert!(super::decode::crossed(&[level("2")], &[level("1"), level("3")]).is_some());
    assert!(super::decode::crossed(&[level("1"), level("0.5")], &[level("1.5")]).is_none());
    assert!(super::decode::crossed(&[], &[level("1")]).is_none());
}

#[test]
fn versions_are_digits_within_u64() {
    use super::decode::version;
    assert_eq!(version(b"17321554131", "v"), Ok(17_321_554_131));
    assert_eq!(version(b"0", "v"), Ok(0));
    assert_eq!(
        version(b"9999999999999999999", "v"),
        Ok(9_999_999_999_999_999_999)
    );
    assert_eq!(version(b"18446744073709551615", "v"), Ok(u64::MAX));
    assert!(matches!(
        version(b"", "v"),
        Err(DecodeError::Missing { field: "v" })
    ));
    for bad in [
        &b"18446744073709551616"[..],
        b"12a",
        b"-1",
        b"1.0",
        b" 1",
        b"123456789012345678/",
    ] {
        let err = version(bad, "v").expect_err("not a version");
        assert!(err.to_string().contains('v'), "{err}");
    }
}
