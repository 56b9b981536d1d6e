//! Benchmarks of the deterministic core: engine throughput on a full order flow, and the
//! indicators' slice forms. Run with `cargo bench --bench core`; figures in BENCHMARKS.md.

#![allow(missing_docs, reason = "criterion macros generate undocumented items")]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;
use vela_core::indicators;
use vela_core::prelude::*;
use vela_core::testkit::{self, FeeAsset, InstantExchange};

/// A deterministic random walk of `n` one-minute bars (a linear congruential generator, so
/// the benchmark needs no randomness crate and always sees the same series).
fn bars(n: usize) -> Vec<Bar> {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut price = 30_000.0_f64;
    (0..n)
        .map(|i| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            #[allow(
                clippy::cast_precision_loss,
                reason = "a uniform draw from the top 53 bits"
            )]
            let u = (state >> 11) as f64 / (1_u64 << 53) as f64;
            let open = price;
            price *= 1.0 + (u - 0.5) * 0.004;
            let (high, low) = (open.max(price) * 1.0005, open.min(price) * 0.9995);
            #[allow(clippy::cast_possible_wrap, reason = "bench sizes are small")]
            let ts = Timestamp(i as i64 * 60_000);
            Bar {
                ts,
                open,
                high,
                low,
                close: price,
                volume: 5.0 + u,
            }
        })
        .collect()
}

fn engine() -> Engine {
    let mut params = Params::new();
    params.set("fast", 10_i64).set("slow", 30_i64);
    let mut config = BotConfig::new(
        BotId::new("bench").expect("literal"),
        vec![testkit::btcusdt()],
        Decimal::new(10_000, 0),
        StrategySpec::new("crossover", params),
    );
    config.risk.stop_loss = Some(vela_core::risk::Limit::Percent(0.02));
    config.risk.trailing_stop = Some(0.03);
    config.risk.daily_loss = Some(vela_core::risk::Limit::Percent(0.05));
    let mut engine = Engine::new(config, &Registry::builtin()).expect("valid config");
    engine
        .on_event(&Event::control(Timestamp(0), Control::Start))
        .expect("start");
    engine
}

fn engine_throughput(c: &mut Criterion) {
    let series = bars(100_000);
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(series.len() as u64));
    group.sample_size(10);
    group.bench_function("crossover_with_risk_100k_bars", |b| {
        b.iter(|| {
            let mut engine = engine();
            let mut exchange = InstantExchange::new(FeeAsset::Received);
            for bar in &series {
                black_box(exchange.bar(&mut engine, *bar).expect("valid bar"));
            }
            engine.sequence()
        });
    });
    group.finish();
}

fn indicator_slices(c: &mut Criterion) {
    let closes: Vec<f64> = bars(1_000_000).iter().map(|b| b.close).collect();
    let mut group = c.benchmark_group("indicators_1m_values");
    group.throughput(Throughput::Elements(closes.len() as u64));
    group.sample_size(10);
    group.bench_with_input(BenchmarkId::new("sma", 50), &closes, |b, v| {
        b.iter(|| indicators::sma(v, 50));
    });
    group.bench_with_input(BenchmarkId::new("ema", 50), &closes, |b, v| {
        b.iter(|| indicators::ema(v, 50));
    });
    group.bench_with_input(BenchmarkId::new("rsi", 14), &closes, |b, v| {
        b.iter(|| indicators::rsi(v, 14));
    });
    group.finish();
}

criterion_group!(benches, engine_throughput, indicator_slices);
criterion_main!(benches);
