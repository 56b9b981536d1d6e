//! Prints every number of a set of vectorised runs and sweeps (statistics, trades and
//! curves as hashes of their exact bits, every sweep row) so that two builds can be
//! compared byte for byte: speed work must not change a result. Not a benchmark.
//!
//! ```text
//! cargo build --profile bench --example golden_dump   # in each tree, copy the binary
//! golden_dump [BARS] > before.txt; golden_dump [BARS] > after.txt; cmp before.txt after.txt
//! golden_dump 300000 event    # the event tier's part only
//! ```
//!
//! Datasets: `BARS` (default 300,000) seeded synthetic bars, a 50,000-bar random walk and,
//! when present, 50,000 real BTC bars. Runs: 3 crossovers × 8 configurations (fees, fill
//! timing, slippage, sizing, stops) with signals and with an exposure column, and SMA and
//! EMA sweeps per configuration. The event tier (`event_dump`): every registered strategy
//! with its defaults, the crossover in the parity configuration, with the risk layer
//! (stops, take profit, loss limits, the breaker's rotation), filling at this close with
//! slippage, and with a volume cap, touch fills and fees in the received asset; triangular
//! arbitrage on three aligned symbols — every fill, count, trade, the curve's bits, the
//! final equity and wallet.
#![allow(
    missing_docs,
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a tool"
)]

use std::hash::{Hash, Hasher};

use std::borrow::Cow;

use rust_decimal::Decimal;
use vela_backtest::event::{
    self, EventConfig, EventRun, FeeAsset, FillTiming as EventTiming, History, SimConfig,
    TouchRule, parity,
};
use vela_backtest::sweep::{self, Dataset, Grid, GridSpec, Plan};
use vela_backtest::vector::{
    FillTiming, IntrabarOrder, Market, Orders, Simulator, Sizing, Stops, TakeProfitFill,
    VectorConfig,
};
use vela_core::engine::{BotConfig, BotId};
use vela_core::risk::{Limit, LossBreaker, TakeProfitTarget};
use vela_core::strategy::{BarColumns, BarSeries, Params, Registry, StrategySpec};
use vela_core::testkit;
use vela_core::types::Bar;
use vela_core::types::instrument::stubs::{ethbtc, ethusdt};
use vela_data::{GeneratorSpec, generate};

fn h<T: Hash>(x: T) -> u64 {
    let mut s = std::collections::hash_map::DefaultHasher::new();
    x.hash(&mut s);
    s.finish()
}

fn bits(v: &[f64]) -> u64 {
    h(v.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
}

fn configs() -> Vec<(&'static str, VectorConfig)> {
    let base = VectorConfig::new(testkit::btcusdt(), 10_000.0);
    let mut out = vec![("default", base.clone())];
    out.push((
        "cash1e9",
        VectorConfig {
            initial_cash: 1e9,
            ..base.clone()
        },
    ));
    out.push((
        "this_close",
        VectorConfig {
            fill: FillTiming::ThisClose,
            ..base.clone()
        },
    ));
    out.push((
        "slip",
        VectorConfig {
            slippage_bps: 5.0,
            ..base.clone()
        },
    ));
    out.push((
        "fixed",
        VectorConfig {
            sizing: Sizing::FixedQuote(3_000.0),
            ..base.clone()
        },
    ));
    out.push((
        "fraction",
        VectorConfig {
            sizing: Sizing::FractionOfEquity(0.6),
            ..base.clone()
        },
    ));
    let stops = Stops {
        stop_loss: Some(0.02),
        take_profit: Some(0.04),
        trailing_stop: Some(0.03),
        ..Stops::default()
    };
    out.push((
        "stops",
        VectorConfig {
            stops,
            ..base.clone()
        },
    ));
    out.push((
        "stops_opt_limit_close",
        VectorConfig {
            stops: Stops {
                intrabar: IntrabarOrder::Optimistic,
                take_profit_fill: TakeProfitFill::Limit,
                ..stops
            },
            fill: FillTiming::ThisClose,
            ..base.clone()
        },
    ));
    out
}

fn spec(fast: i64, slow: i64, ma: &str) -> StrategySpec {
    let mut p = Params::new();
    p.set("fast", fast).set("slow", slow).set("ma", ma);
    StrategySpec::new("crossover", p)
}

fn dump(name: &str, bars: &BarColumns<'_>, registry: &Registry) {
    let market = Market::new(*bars).unwrap();
    for (fast, slow, ma) in [(10, 30, "sma"), (3, 7, "ema"), (50, 200, "sma")] {
        let signals = registry
            .signals(&spec(fast, slow, ma), bars)
            .unwrap()
            .unwrap();
        // An exposure column from the same averages: 0, 0.5 or 1.
        let targets: Vec<f64> = signals
            .entries
            .iter()
            .zip(&signals.exits)
            .scan(0.0, |t, (&e, &x)| {
                if e {
                    *t = if *t == 0.0 { 0.5 } else { 1.0 };
                } else if x {
                    *t = if *t == 1.0 { 0.25 } else { 0.0 };
                }
                Some(*t)
            })
            .collect();
        for (cname, config) in configs() {
            let sim = Simulator::new(config.clone()).unwrap();
            // The fused run is printed (its bits are compared across builds) and must
            // equal the signal columns' run.
            let run = sim
                .run_strategy(registry, &spec(fast, slow, ma), bars)
                .unwrap()
                .unwrap();
            assert_eq!(run, sim.run(&market, Orders::from(&signals)).unwrap());
            let r = &run.result;
            println!(
                "{name} {fast}/{slow}{ma} {cname} signals: {:?} trades={} th={} eq={} ex={} ts={} refused={:?} cash={:?} q={:?}",
                r.stats,
                r.trades.len(),
                h(format!("{:?}", r.trades)),
                bits(&r.equity.equity),
                bits(&r.equity.exposure),
                h(&r.equity.ts),
                run.refused,
                run.final_cash,
                run.final_quantity
            );
            if !config.stops.any() && config.sizing == Sizing::AllIn {
                let run = sim.run(&market, Orders::Exposure(&targets)).unwrap();
                let r = &run.result;
                println!(
                    "{name} {fast}/{slow}{ma} {cname} exposure: {:?} trades={} th={} eq={} ex={} refused={:?} cash={:?} q={:?}",
                    r.stats,
                    r.trades.len(),
                    h(format!("{:?}", r.trades)),
                    bits(&r.equity.equity),
                    bits(&r.equity.exposure),
                    run.refused,
                    run.final_cash,
                    run.final_quantity
                );
            }
        }
    }
    for (cname, config) in configs() {
        for ma in ["sma", "ema"] {
            let mut g = GridSpec::default();
            g.push_text("fast=5:100:5").unwrap();
            g.push_text("slow=10:200:10").unwrap();
            g.push_text(&format!("ma={ma}")).unwrap();
            g.constraints.push("fast < slow".to_owned());
            let schema = &registry.get("crossover").unwrap().schema;
            let plan = Plan::new(registry, Grid::new(schema, &g).unwrap()).unwrap();
            let data = [Dataset {
                name: name.to_owned(),
                bars: *bars,
                content_hash: String::new(),
            }];
            let res = sweep::run(registry, &plan, &data, &config, &|_| {}).unwrap();
            for row in &res.rows {
                println!(
                    "sweep {name} {cname} {ma} {}: {row:?}",
                    plan.describe(row.combination)
                );
            }
        }
    }
}

fn print_event(name: &str, what: &str, run: &EventRun) {
    let r = &run.result;
    println!(
        "event {name} {what}: fills={} fh={} counts={:?} trades={} th={} eq={} ex={} ts={} final={} wallet={} open={} unknown={}",
        run.fills.len(),
        h(format!("{:?}", run.fills)),
        run.counts,
        r.trades.len(),
        h(format!("{:?}", r.trades)),
        bits(&r.equity.equity),
        bits(&r.equity.exposure),
        h(&r.equity.ts),
        run.final_equity,
        h(format!("{:?}", run.wallet)),
        run.open_orders,
        run.unknown_cancels,
    );
}

fn bot(spec: StrategySpec, budget: i64) -> BotConfig {
    BotConfig::new(
        BotId::new("gold").unwrap(),
        vec![testkit::btcusdt()],
        Decimal::from(budget),
        spec,
    )
}

fn strategy(name: &str) -> StrategySpec {
    StrategySpec::new(name, Params::new())
}

/// Event-tier runs over `bars` (one symbol, BTCUSDT).
fn event_dump(name: &str, bars: &[Bar], registry: &Registry) {
    let history = History::single(testkit::btcusdt().symbol, bars).unwrap();
    let run = |config: &EventConfig| event::run(registry, config, &history).unwrap();
    for budget in [10_000, 1_000_000_000] {
        for (fast, slow, ma) in [(10, 30, "sma"), (10, 30, "ema")] {
            let r = parity::run_parity(
                registry,
                testkit::btcusdt(),
                spec(fast, slow, ma),
                Decimal::from(budget),
                SimConfig::default(),
                bars,
            )
            .unwrap();
            print_event(name, &format!("parity {fast}/{slow}{ma} {budget}"), &r);
        }
    }
    for strategy_name in registry.names().filter(|n| *n != "triangular") {
        let r = run(&EventConfig::new(bot(strategy(strategy_name), 10_000)));
        print_event(name, &format!("{strategy_name} defaults"), &r);
    }
    let mut risky = bot(spec(10, 30, "sma"), 10_000);
    risky.risk.stop_loss = Some(Limit::Percent(0.02));
    risky.risk.trailing_stop = Some(0.03);
    risky.risk.daily_loss = Some(Limit::Percent(0.05));
    print_event(
        name,
        "crossover bench risk",
        &run(&EventConfig::new(risky.clone())),
    );
    risky.risk.take_profit = vec![
        TakeProfitTarget {
            gain: 0.004,
            fraction: 0.5,
        },
        TakeProfitTarget {
            gain: 0.008,
            fraction: 0.5,
        },
    ];
    risky.risk.stop_loss = Some(Limit::Percent(0.003));
    risky.risk.max_drawdown = Some(Limit::Percent(0.5));
    risky.risk.weekly_loss = Some(Limit::Percent(0.1));
    risky.risk.breaker = Some(LossBreaker {
        consecutive_losses: 4,
        rotation: vec![spec(5, 20, "ema"), strategy("mean_reversion")],
        max_rotations: 3,
    });
    risky.compound = true;
    print_event(name, "crossover full risk", &run(&EventConfig::new(risky)));
    let close = EventConfig {
        exchange: SimConfig {
            timing: EventTiming::ThisClose,
            slippage_bps: 10.0,
            ..SimConfig::default()
        },
        ..EventConfig::new(bot(spec(5, 20, "sma"), 10_000))
    };
    print_event(name, "crossover this close", &run(&close));
    for strategy_name in ["grid", "dca", "crossover"] {
        let capped = EventConfig {
            exchange: SimConfig {
                volume_cap: Some(0.01),
                touch: TouchRule::Touch,
                fee_asset: FeeAsset::Received,
                ..SimConfig::default()
            },
            timers: false,
            ..EventConfig::new(bot(strategy(strategy_name), 10_000))
        };
        print_event(name, &format!("{strategy_name} capped"), &run(&capped));
    }
}

/// Triangular arbitrage on three aligned generated symbols.
fn event_triangular(registry: &Registry) {
    let series = |seed, start_price, price_decimals| {
        let spec = GeneratorSpec {
            start_price,
            price_decimals,
            vol_scale: 3.0,
            ..GeneratorSpec::new(seed, 20_000)
        };
        generate(&spec).unwrap().bars()
    };
    let btc = series(31, 50_000.0, 2);
    let eth_btc = series(32, 0.05, 6);
    let eth = series(33, 2_500.0, 2);
    let history = History::new([
        (testkit::btcusdt().symbol, Cow::Borrowed(&btc[..])),
        (ethbtc().symbol, Cow::Borrowed(&eth_btc[..])),
        (ethusdt().symbol, Cow::Borrowed(&eth[..])),
    ])
    .unwrap();
    let mut params = Params::new();
    params.set("notional", 500.0);
    let mut config = bot(StrategySpec::new("triangular", params), 10_000);
    config.instruments = vec![testkit::btcusdt(), ethbtc(), ethusdt()];
    let r = event::run(registry, &EventConfig::new(config), &history).unwrap();
    print_event("tri", "triangular", &r);
}

fn main() {
    let registry = Registry::builtin();
    let n: usize = std::env::args()
        .nth(1)
        .map_or(300_000, |a| a.parse().unwrap());
    let frame = generate(&GeneratorSpec::new(7, n)).unwrap();
    let event_only = std::env::args().nth(2).is_some_and(|a| a == "event");
    let walk_bars = testkit::random_walk(50_000, 100.0, 0.004, 11);
    let real_bars = testkit::real_btc_1m(50_000);
    if !event_only {
        dump("synth", &frame.columns(), &registry);
        let walk = BarSeries::from_bars(&walk_bars);
        dump("walk", &walk.columns(), &registry);
        if let Some(real) = &real_bars {
            let real = BarSeries::from_bars(real);
            dump("real", &real.columns(), &registry);
        }
    }
    let synth_bars = frame.bars();
    event_dump(
        "synth",
        &synth_bars[..synth_bars.len().min(100_000)],
        &registry,
    );
    event_dump("walk", &walk_bars, &registry);
    if let Some(real) = &real_bars {
        event_dump("real", real, &registry);
    }
    event_triangular(&registry);
}
