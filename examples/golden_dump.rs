//! Prints every number of a set of vectorised runs and sweeps (statistics, trades and
//! curves as hashes of their exact bits, every sweep row) so that two builds can be
//! compared byte for byte: speed work must not change a result. Not a benchmark.
//!
//! ```text
//! cargo build --profile bench --example golden_dump   # in each tree, copy the binary
//! golden_dump [BARS] > before.txt; golden_dump [BARS] > after.txt; cmp before.txt after.txt
//! ```
//!
//! Datasets: `BARS` (default 300,000) seeded synthetic bars, a 50,000-bar random walk and,
//! when present, 50,000 real BTC bars. Runs: 3 crossovers × 8 configurations (fees, fill
//! timing, slippage, sizing, stops) with signals and with an exposure column, and SMA and
//! EMA sweeps per configuration.
#![allow(
    missing_docs,
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a tool"
)]

use std::hash::{Hash, Hasher};

use vela_backtest::sweep::{self, Dataset, Grid, GridSpec, Plan};
use vela_backtest::vector::{
    FillTiming, IntrabarOrder, Market, Orders, Simulator, Sizing, Stops, TakeProfitFill,
    VectorConfig,
};
use vela_core::strategy::{BarColumns, BarSeries, Params, Registry, StrategySpec};
use vela_core::testkit;
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
            let run = sim.run(&market, Orders::from(&signals)).unwrap();
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

fn main() {
    let registry = Registry::builtin();
    let n: usize = std::env::args()
        .nth(1)
        .map_or(300_000, |a| a.parse().unwrap());
    let frame = generate(&GeneratorSpec::new(7, n)).unwrap();
    dump("synth", &frame.columns(), &registry);
    let walk = BarSeries::from_bars(&testkit::random_walk(50_000, 100.0, 0.004, 11));
    dump("walk", &walk.columns(), &registry);
    if let Some(real) = testkit::real_btc_1m(50_000) {
        let real = BarSeries::from_bars(&real);
        dump("real", &real.columns(), &registry);
    }
}
