//! `Simulator::run_strategy` (the crossover checked, averaged, signalled and simulated a
//! piece of bars at a time) against `Market::new`, `Registry::signals` and
//! `Simulator::run`: the same result, bit for bit, and the same errors.

use vela_backtest::vector::{FillTiming, Market, Orders, Simulator, Stops, VectorConfig};
use vela_core::strategy::{BarSeries, Params, Registry, StrategySpec};
use vela_core::testkit;

fn spec(name: &str, fast: i64, slow: i64, ma: &str) -> StrategySpec {
    let mut params = Params::new();
    params.set("fast", fast).set("slow", slow).set("ma", ma);
    StrategySpec::new(name, params)
}

fn configs() -> Vec<VectorConfig> {
    let base = VectorConfig::new(testkit::btcusdt(), 10_000.0);
    vec![
        base.clone(),
        VectorConfig {
            fill: FillTiming::ThisClose,
            slippage_bps: 3.0,
            ..base.clone()
        },
        VectorConfig {
            stops: Stops {
                stop_loss: Some(0.01),
                trailing_stop: Some(0.02),
                ..Stops::default()
            },
            ..base
        },
    ]
}

fn columns_run(
    sim: &Simulator,
    registry: &Registry,
    spec: &StrategySpec,
    bars: &BarSeries,
) -> Result<vela_backtest::vector::VectorRun, String> {
    let columns = bars.columns();
    let signals = registry
        .signals(spec, &columns)
        .map_err(|e| e.to_string())?
        .expect("a vectorised form");
    let market = Market::new(columns).map_err(|e| e.to_string())?;
    sim.run(&market, Orders::from(&signals))
        .map_err(|e| e.to_string())
}

#[test]
fn the_pieces_give_the_signal_columns_run() {
    let registry = Registry::builtin();
    // Lengths around the 4,096-bar piece, and one over several pieces.
    for (n, seed) in [
        (1, 3),
        (2, 4),
        (40, 5),
        (4_095, 6),
        (4_096, 7),
        (4_097, 8),
        (20_000, 9),
    ] {
        let bars = BarSeries::from_bars(&testkit::random_walk(n, 100.0, 0.004, seed));
        for config in configs() {
            let sim = Simulator::new(config).expect("valid config");
            for (fast, slow, ma) in [(3, 7, "sma"), (10, 30, "sma"), (4, 9, "ema")] {
                let spec = spec("crossover", fast, slow, ma);
                let fused = sim
                    .run_strategy(&registry, &spec, &bars.columns())
                    .map(|run| run.expect("a vectorised form"))
                    .map_err(|e| e.to_string());
                let expected = columns_run(&sim, &registry, &spec, &bars);
                assert_eq!(fused, expected, "{n} bars, {fast}/{slow} {ma}");
                if let Ok(run) = fused {
                    assert_eq!(
                        run.result.equity.equity.len(),
                        n,
                        "{n} bars, {fast}/{slow} {ma}"
                    );
                }
            }
        }
    }
}

#[test]
fn bad_bars_and_parameters_give_the_same_errors() {
    let registry = Registry::builtin();
    let sim = Simulator::new(configs().remove(0)).expect("valid config");
    let good = BarSeries::from_bars(&testkit::random_walk(9_000, 100.0, 0.004, 1));
    let fused = |bars: &BarSeries, spec: &StrategySpec| {
        sim.run_strategy(&registry, spec, &bars.columns())
            .map(|run| run.expect("a vectorised form"))
            .map_err(|e| e.to_string())
    };
    let crossover = spec("crossover", 10, 30, "sma");
    // A bad price late in the series (in a later piece), a bad high, unordered times.
    let mut late = good.clone();
    late.close[8_500] = f64::NAN;
    let mut high = good.clone();
    high.high[5_000] = high.low[5_000] / 2.0;
    let mut unordered = good.clone();
    unordered.ts[7_000] = unordered.ts[6_999];
    for bars in [&late, &high, &unordered] {
        let err = fused(bars, &crossover).expect_err("bad bars");
        assert_eq!(
            err,
            Market::new(bars.columns())
                .expect_err("bad bars")
                .to_string()
        );
    }
    // Bad parameters: the bars' errors first, then the parameters'.
    let bad = spec("crossover", 30, 10, "sma");
    assert_eq!(
        fused(&late, &bad).expect_err("bad bars"),
        fused(&late, &crossover).expect_err("bad bars")
    );
    let err = fused(&good, &bad).expect_err("bad parameters");
    assert!(err.contains("must be less than slow"), "{err}");
    // Another strategy goes through its signal columns; one without a vectorised form
    // gives none.
    let mut params = Params::new();
    params.set("channel", 20_i64);
    let breakout = StrategySpec::new("breakout", params);
    assert_eq!(
        fused(&good, &breakout),
        columns_run(&sim, &registry, &breakout, &good)
    );
    let dca = StrategySpec::new("dca", Params::new());
    assert_eq!(sim.run_strategy(&registry, &dca, &good.columns()), Ok(None));
}
