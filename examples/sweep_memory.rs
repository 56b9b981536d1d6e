//! One large sweep for measuring peak memory and wall time: the SMA crossover over every
//! `(fast, slow)` pair with `fast < slow` of 46 windows (5, 10, …, 230: 1,035 pairs) on
//! 1,000,000 seeded synthetic one-minute bars (`vela_data::generate`, seed 7). Run with
//! `/usr/bin/time -v cargo run --profile bench --example sweep_memory [WINDOWS] [MA]`
//! (WINDOWS default `5:230:5`, MA default `sma`); figures in BENCHMARKS.md.

#![allow(clippy::print_stdout, reason = "an example reports on stdout")]

use std::time::Instant;

use vela_backtest::sweep::{self, Dataset, Grid, GridSpec, Plan};
use vela_backtest::vector::VectorConfig;
use vela_core::strategy::Registry;
use vela_core::testkit;
use vela_data::{GeneratorSpec, generate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let windows = args.next().unwrap_or_else(|| "5:230:5".to_owned());
    let ma = args.next().unwrap_or_else(|| "sma".to_owned());
    let frame = generate(&GeneratorSpec::new(7, 1_000_000))?;
    let registry = Registry::builtin();
    let mut spec = GridSpec::default();
    spec.push_text(&format!("fast={windows}"))?;
    spec.push_text(&format!("slow={windows}"))?;
    spec.push_text(&format!("ma={ma}"))?;
    spec.constraints.push("fast < slow".to_owned());
    let schema = &registry.get("crossover")?.schema;
    let plan = Plan::new(&registry, Grid::new(schema, &spec)?)?;
    let datasets = [Dataset::from_frame("synthetic/BTCUSDT/1m", &frame)];
    let config = VectorConfig::new(testkit::btcusdt(), 10_000.0);
    let started = Instant::now();
    let results = sweep::run(&registry, &plan, &datasets, &config, &|_| {})?;
    let elapsed = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "a rate for display")]
    let rate = results.bar_combinations(plan.len()) as f64 / elapsed;
    let trades: usize = results.rows.iter().map(|r| r.stats.trades).sum();
    let exposure: f64 = results.rows.iter().map(|r| r.stats.exposure).sum::<f64>();
    #[allow(clippy::cast_precision_loss, reason = "a mean for display")]
    let mean_exposure = exposure / results.rows.len() as f64;
    println!(
        "{} pairs ({ma}) on {} bars: {elapsed:.2} s, {:.1} M bar-combinations/s; shared \
         columns {:.0} MB; {trades} trades; mean exposure {mean_exposure:.3}",
        plan.len(),
        frame.len(),
        rate / 1e6,
        results.column_bytes as f64 / 1e6,
    );
    Ok(())
}
