use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use vela_core::engine::{BotConfig, BotId};
use vela_core::strategy::BarSeries;
use vela_core::types::instrument::stubs::btcusdt;
use vela_data::{GeneratorSpec, generate};

use super::*;
use crate::vector::{Market, Orders, Simulator, VectorConfig};

/// Picks the crossover setting with the best in-sample total return from a fixed list,
/// with the vectorised tier.
struct BestOf(Vec<(i64, i64)>);

impl Optimiser for BestOf {
    fn optimise(&self, bars: &[Bar]) -> Result<Choice, String> {
        let registry = Registry::builtin();
        let series = BarSeries::from_bars(bars);
        let market = Market::new(series.columns()).map_err(|e| e.to_string())?;
        let sim =
            Simulator::new(VectorConfig::new(btcusdt(), 10_000.0)).map_err(|e| e.to_string())?;
        let mut best: Option<Choice> = None;
        for &(fast, slow) in &self.0 {
            let params = crossover(fast, slow);
            let spec = StrategySpec::new("crossover", params.clone());
            let signals = registry
                .signals(&spec, &series.columns())
                .map_err(|e| e.to_string())?
                .ok_or("no vectorised form")?;
            let run = sim
                .run(&market, Orders::from(&signals))
                .map_err(|e| e.to_string())?;
            let score = run.result.stats.total_return;
            // Ties keep the earlier setting: the list order decides, never the threads.
            if best.as_ref().is_none_or(|b| score > b.score) {
                best = Some(Choice {
                    params,
                    score,
                    stats: run.result.stats,
                });
            }
        }
        best.ok_or_else(|| "no candidates".to_owned())
    }
}

/// Fails on bars starting after `after`.
struct FailsLate(i64);

impl Optimiser for FailsLate {
    fn optimise(&self, bars: &[Bar]) -> Result<Choice, String> {
        if bars[0].ts.0 > self.0 {
            Err("no setting traded".into())
        } else {
            BestOf(vec![(5, 20)]).optimise(bars)
        }
    }
}

fn crossover(fast: i64, slow: i64) -> Params {
    let mut p = Params::new();
    p.set("fast", fast).set("slow", slow);
    p
}

fn config() -> EventConfig {
    let mut bot = BotConfig::new(
        BotId::new("walk").unwrap(),
        vec![btcusdt()],
        Decimal::from(10_000),
        StrategySpec::new("crossover", Params::new()),
    );
    bot.compound = true;
    EventConfig::new(bot)
}

fn bars(n: usize) -> Vec<Bar> {
    generate(&GeneratorSpec::new(21, n)).unwrap().bars()
}

fn walk(bars: &[Bar], spec: &WindowSpec) -> WalkForwardRun {
    let optimiser = BestOf(vec![(5, 20), (10, 30), (20, 60), (30, 120)]);
    run(
        &Registry::builtin(),
        &config(),
        &btcusdt().symbol,
        bars,
        spec,
        &optimiser,
    )
    .unwrap()
}

#[test]
fn out_of_sample_windows_are_one_account_traded_by_the_engine() {
    let bars = bars(12_500);
    let spec = WindowSpec {
        in_sample: 4_000,
        out_of_sample: 2_000,
        scheme: Scheme::Rolling,
    };
    let walk = walk(&bars, &spec);
    assert_eq!(walk.windows.len(), 4);
    assert_eq!(walk.unused_bars, 500);
    // The stitched curve covers exactly the out-of-sample bars.
    let expected_ts: Vec<i64> = bars[4_000..12_000].iter().map(|b| b.ts.0).collect();
    assert_eq!(walk.out_of_sample.equity.ts, expected_ts);
    // Each window starts with what the previous ended with.
    assert_eq!(walk.windows[0].start_equity, 10_000.0);
    for pair in walk.windows.windows(2) {
        assert_eq!(pair[0].end_equity, pair[1].start_equity);
    }
    let last = walk.windows.last().unwrap().end_equity;
    let curve_end = *walk.out_of_sample.equity.equity.last().unwrap();
    assert!(
        (curve_end - last).abs() < 1e-9 * last,
        "{curve_end} vs {last}"
    );
    let total = walk.out_of_sample.stats.total_return;
    assert!((total - (last / 10_000.0 - 1.0)).abs() < 1e-12, "{total}");

    // Every window's trades lie inside it, and its out-of-sample run is exactly an event
    // run of the chosen parameters on its bars with the equity carried in.
    let registry = Registry::builtin();
    for w in &walk.windows {
        let window_trades: Vec<&crate::Trade> = walk
            .out_of_sample
            .trades
            .iter()
            .filter(|t| w.window.out_of_sample.contains(&t.entry_bar))
            .collect();
        assert!(
            window_trades
                .iter()
                .all(|t| w.window.out_of_sample.contains(&t.exit_bar))
        );
        assert_eq!(window_trades.len(), w.out_of_sample.trades);
        let mut alone = config();
        alone.bot.budget = Decimal::try_from(w.start_equity).unwrap();
        alone.bot.strategy = StrategySpec::new("crossover", w.choice.params.clone());
        let slice = &bars[w.window.out_of_sample.clone()];
        let history = History::single(btcusdt().symbol, slice).unwrap();
        let single = event::run(&registry, &alone, &history).unwrap();
        let end = single.final_equity.to_f64().unwrap();
        assert!(
            (end - w.end_equity).abs() < 1e-6 * end,
            "window {}: {end} vs {}",
            w.window.index,
            w.end_equity
        );
    }
    let (is_return, oos_return) = walk.mean(|s| s.total_return);
    assert!(is_return.is_finite() && oos_return.is_finite());
    // Each pick carries the in-sample statistics its score came from.
    assert!(
        walk.windows
            .iter()
            .all(|w| w.choice.score == w.choice.stats.total_return)
    );
}

#[test]
fn anchored_walks_optimise_on_everything_before_each_window() {
    let bars = bars(9_000);
    let spec = WindowSpec {
        in_sample: 3_000,
        out_of_sample: 2_000,
        scheme: Scheme::Anchored,
    };
    let walk = walk(&bars, &spec);
    let starts: Vec<_> = walk
        .windows
        .iter()
        .map(|w| (w.window.in_sample.clone(), w.window.out_of_sample.clone()))
        .collect();
    assert_eq!(
        starts,
        vec![
            (0..3_000, 3_000..5_000),
            (0..5_000, 5_000..7_000),
            (0..7_000, 7_000..9_000)
        ]
    );
    assert_eq!(walk.out_of_sample.equity.ts.len(), 6_000);
}

#[test]
fn the_walk_is_the_same_on_one_thread_and_on_two() {
    let bars = bars(10_000);
    let spec = WindowSpec {
        in_sample: 3_000,
        out_of_sample: 1_500,
        scheme: Scheme::Rolling,
    };
    let on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| walk(&bars, &spec))
    };
    assert_eq!(on(1), on(2));
}

#[test]
fn failures_name_the_window() {
    let bars = bars(8_000);
    let spec = WindowSpec {
        in_sample: 3_000,
        out_of_sample: 2_000,
        scheme: Scheme::Rolling,
    };
    let err = run(
        &Registry::builtin(),
        &config(),
        &btcusdt().symbol,
        &bars,
        &spec,
        &FailsLate(bars[1_000].ts.0),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "walk-forward window 1 (bars 2000..5000): optimisation failed: no setting traded"
    );
    let short = spec.windows(4_000).unwrap_err().to_string();
    assert!(
        short.contains("4000 bars hold no walk-forward step"),
        "{short}"
    );
}

/// The sweep-backed optimiser picks what an exhaustive loop over the same settings picks.
#[test]
fn the_sweep_optimiser_picks_the_best_in_sample_row() {
    use crate::sweep::{Grid, GridSpec, Metric, Plan};
    let registry = Registry::builtin();
    let mut grid = GridSpec::default();
    grid.push_text("fast=5,10,20,30").unwrap();
    grid.push_text("slow=20,30,60,120").unwrap();
    grid.constraints.push("fast < slow".to_owned());
    let schema = &registry.get("crossover").unwrap().schema;
    let plan = Plan::new(&registry, Grid::new(schema, &grid).unwrap()).unwrap();
    let config = VectorConfig::new(btcusdt(), 10_000.0);
    let optimiser = SweepOptimiser {
        registry: &registry,
        plan: &plan,
        config: &config,
        metric: Metric::TotalReturn,
    };
    let bars = bars(6_000);
    let picked = optimiser.optimise(&bars).unwrap();
    let pairs: Vec<(i64, i64)> = [5, 10, 20, 30]
        .iter()
        .flat_map(|&f| [20, 30, 60, 120].map(move |s| (f, s)))
        .filter(|(f, s)| f < s)
        .collect();
    let expected = BestOf(pairs).optimise(&bars).unwrap();
    assert_eq!(picked.params, expected.params);
    assert_eq!(picked.score.to_bits(), expected.score.to_bits());
}
