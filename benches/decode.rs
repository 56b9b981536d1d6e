//! Decoding MEXC protobuf pushes (issue 7): realistic deals pushes (1 and 5 trades), depth
//! diffs of 8 and 20 levels and a 20-a-side partial depth, from `&[u8]` (one copy of the frame) and
//! from `Bytes` (no copy). Target: at least 1 million messages per second per core. Run with
//! `cargo bench --bench decode`; figures in BENCHMARKS.md.

#![allow(missing_docs, reason = "criterion macros generate undocumented items")]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use prost::bytes::Bytes;
use rust_decimal::Decimal;
use vela_core::types::{Side, Symbol, Timestamp, Trade};
use vela_live::proto::encode::{deals_frame, depth_frame, limit_depth_frame};
use vela_live::proto::{Deal, DepthDiff, DepthLimit, Level, LimitDepth, Speed};
use vela_live::proto::{decode_push, decode_push_bytes};

const T0: i64 = 1_736_409_765_000;

fn symbol() -> Symbol {
    Symbol::new("BTCUSDT").expect("literal symbol")
}

fn deals(n: i64) -> Vec<u8> {
    let deals: Vec<Deal> = (0..n)
        .map(|i| Deal {
            trade: Trade {
                ts: Timestamp(T0 + i),
                price: (9_322_001 + i) as f64 / 100.0,
                quantity: 0.044_382_43,
                aggressor: if i % 2 == 0 { Side::Buy } else { Side::Sell },
            },
            trade_id: Some(format!("{}", 540_213_123_456_789 + i)),
        })
        .collect();
    deals_frame(&symbol(), Speed::Ms100, &deals, Timestamp(T0 + 100))
}

/// `n` levels a side around 93220, in cents, with 8-decimal quantities.
fn levels(n: i64, start_cents: i64, step: i64) -> Vec<Level> {
    (0..n)
        .map(|i| {
            let quantity = 0.123_456_78 * (i + 1) as f64;
            Level::new(Decimal::new(start_cents + step * i, 2), quantity)
        })
        .collect()
}

fn depth_diff(per_side: i64) -> Vec<u8> {
    let diff = DepthDiff {
        from_version: 17_321_554_102,
        to_version: 17_321_554_131,
        bids: levels(per_side, 9_321_999, -1),
        asks: levels(per_side, 9_322_001, 1),
    };
    depth_frame(&symbol(), Speed::Ms100, &diff, Timestamp(T0))
}

fn limit_depth() -> Vec<u8> {
    let depth = LimitDepth {
        version: 17_321_554_131,
        bids: levels(20, 9_321_999, -1),
        asks: levels(20, 9_322_001, 1),
    };
    limit_depth_frame(&symbol(), DepthLimit::L20, &depth, Timestamp(T0))
}

fn decode(c: &mut Criterion) {
    let frames = [
        ("deals_1", deals(1)),
        ("deals_5", deals(5)),
        ("depth_diff_8_levels", depth_diff(4)),
        ("depth_diff_20_levels", depth_diff(10)),
        ("limit_depth_20x2_levels", limit_depth()),
    ];
    let mut group = c.benchmark_group("decode_push");
    group.throughput(Throughput::Elements(1));
    for (name, frame) in &frames {
        assert!(decode_push(frame).is_ok(), "{name} decodes");
        group.bench_function(format!("{name}/slice ({} B)", frame.len()), |b| {
            b.iter(|| decode_push(black_box(frame)));
        });
        let shared = Bytes::from(frame.clone());
        group.bench_function(format!("{name}/bytes ({} B)", frame.len()), |b| {
            b.iter(|| decode_push_bytes(black_box(shared.clone())));
        });
    }
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
