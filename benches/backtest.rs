//! Benchmarks of both backtester tiers on 1,000,000 one-minute bars.
//!
//! - `vector_1m_bars`: the SMA 10/30 crossover's whole pipeline (signals from the registry,
//!   bar checks, then the simulation; into fresh output buffers, into reused ones, and
//!   statistics only) and the simulation alone: into fresh buffers, into reused buffers,
//!   statistics only (a sweep's case), and with stops.
//! - `event_1m_bars`: the event tier, `vela_backtest::event::run`: every bar through the
//!   simulated exchange and the real engine (SMA 10/30 crossover, 2 % stop loss, 3 %
//!   trailing stop, 5 % daily loss limit), the trade list and the equity curve.
//!
//! Run with `cargo bench --bench backtest`; figures in BENCHMARKS.md.

#![allow(missing_docs, reason = "criterion macros generate undocumented items")]

use std::hint::black_box;

#[path = "common/mod.rs"]
mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;
use vela_backtest::event::{self, EventConfig, History};
use vela_backtest::vector::{Market, Orders, Record, Simulator, Stops, VectorConfig, VectorRun};
use vela_core::engine::{BotConfig, BotId};
use vela_core::risk::Limit;
use vela_core::strategy::{BarSeries, Params, Registry, StrategySpec};
use vela_core::testkit;
use vela_core::types::Bar;

const BARS: usize = 1_000_000;

/// The benchmarks' seeded series (`benches/common`) as columns.
fn series(n: usize) -> BarSeries {
    BarSeries::from_bars(&common::bars(n))
}

fn crossover() -> StrategySpec {
    let mut params = Params::new();
    params.set("fast", 10_i64).set("slow", 30_i64);
    StrategySpec::new("crossover", params)
}

fn vectorised(c: &mut Criterion) {
    let bars = series(BARS);
    let registry = Registry::builtin();
    let spec = crossover();
    let signals = registry
        .signals(&spec, &bars.columns())
        .expect("valid spec")
        .expect("crossover has a vectorised form");
    let market = Market::new(bars.columns()).expect("valid bars");
    let config = VectorConfig::new(testkit::btcusdt(), 10_000.0);
    let sim = Simulator::new(config.clone()).expect("valid config");
    let lean = Simulator::new(VectorConfig {
        record: Record {
            equity: false,
            trades: false,
        },
        ..config.clone()
    })
    .expect("valid config");
    let stops = Simulator::new(VectorConfig {
        stops: Stops {
            stop_loss: Some(0.02),
            take_profit: Some(0.04),
            trailing_stop: Some(0.03),
            ..Stops::default()
        },
        ..config
    })
    .expect("valid config");

    let mut group = c.benchmark_group("vector_1m_bars");
    group.throughput(Throughput::Elements(BARS as u64));
    group.sample_size(20);
    group.bench_function("sma_crossover_pipeline", |b| {
        b.iter(|| {
            let signals = registry
                .signals(&spec, &bars.columns())
                .expect("valid spec")
                .expect("vectorised form");
            let market = Market::new(bars.columns()).expect("valid bars");
            sim.run(&market, Orders::from(&signals)).expect("runs")
        });
    });
    let mut reused = VectorRun::default();
    group.bench_function("sma_crossover_pipeline_reusing_buffers", |b| {
        b.iter(|| {
            let signals = registry
                .signals(&spec, &bars.columns())
                .expect("valid spec")
                .expect("vectorised form");
            let market = Market::new(bars.columns()).expect("valid bars");
            sim.run_into(&market, Orders::from(&signals), &mut reused)
                .expect("runs");
            reused.result.stats.trades
        });
    });
    group.bench_function("sma_crossover_pipeline_stats_only", |b| {
        b.iter(|| {
            let signals = registry
                .signals(&spec, &bars.columns())
                .expect("valid spec")
                .expect("vectorised form");
            let market = Market::new(bars.columns()).expect("valid bars");
            lean.run(&market, Orders::from(&signals)).expect("runs")
        });
    });
    group.bench_function("signals", |b| {
        b.iter(|| {
            registry
                .signals(&spec, black_box(&bars.columns()))
                .expect("valid spec")
                .expect("vectorised form")
        });
    });
    group.bench_function("simulate", |b| {
        b.iter(|| {
            sim.run(black_box(&market), Orders::from(&signals))
                .expect("runs")
        });
    });
    let mut out = VectorRun::default();
    group.bench_function("simulate_reusing_buffers", |b| {
        b.iter(|| {
            sim.run_into(black_box(&market), Orders::from(&signals), &mut out)
                .expect("runs");
            out.result.stats.trades
        });
    });
    group.bench_function("simulate_streaming_stats_only", |b| {
        b.iter(|| {
            lean.run(black_box(&market), Orders::from(&signals))
                .expect("runs")
        });
    });
    group.bench_function("simulate_with_stops", |b| {
        b.iter(|| {
            stops
                .run(black_box(&market), Orders::from(&signals))
                .expect("runs")
        });
    });
    group.bench_function("check_bars", |b| {
        b.iter(|| Market::new(black_box(bars.columns())).expect("valid bars"));
    });
    group.finish();
}

/// The event tier's bot: the crossover with the core benchmark's risk settings.
fn event_bot() -> BotConfig {
    let mut config = BotConfig::new(
        BotId::new("bench").expect("literal"),
        vec![testkit::btcusdt()],
        Decimal::new(10_000, 0),
        crossover(),
    );
    config.risk.stop_loss = Some(Limit::Percent(0.02));
    config.risk.trailing_stop = Some(0.03);
    config.risk.daily_loss = Some(Limit::Percent(0.05));
    config
}

fn event_replay(c: &mut Criterion) {
    let columns = series(BARS);
    let bars: Vec<Bar> = (0..BARS)
        .map(|i| columns.columns().bar(i).expect("in range"))
        .collect();
    let registry = Registry::builtin();
    let config = EventConfig::new(event_bot());
    let history = History::single(testkit::btcusdt().symbol, &bars).expect("valid bars");
    let mut group = c.benchmark_group("event_1m_bars");
    group.throughput(Throughput::Elements(BARS as u64));
    group.sample_size(10);
    group.bench_function("sma_crossover_with_risk", |b| {
        b.iter(|| event::run(&registry, &config, black_box(&history)).expect("runs"));
    });
    group.finish();
}

criterion_group!(benches, vectorised, event_replay);
criterion_main!(benches);
