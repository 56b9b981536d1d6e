//! Benchmarks of the deterministic core: engine throughput on a full order flow, and the
//! indicators' slice forms. Run with `cargo bench --bench core`; figures in BENCHMARKS.md.

#![allow(missing_docs, reason = "criterion macros generate undocumented items")]

use std::hint::black_box;

#[path = "common/mod.rs"]
mod common;

use common::bars;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;
use vela_core::indicators;
use vela_core::prelude::*;
use vela_core::testkit::{self, FeeAsset, InstantExchange};

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
