//! A month of real one-minute BTC bars (shared/data/real, beside the repository): the
//! SMA crossover's signals through the simulator. Skips, saying so, when the data is absent.

use vela_backtest::result::ExitReason;
use vela_backtest::stats;
use vela_backtest::vector::{FillTiming, Market, Orders, Simulator, Stops, VectorConfig};
use vela_core::strategy::{BarSeries, Params, Registry, StrategySpec};
use vela_core::testkit::{btcusdt, real_btc_1m};

#[test]
fn sma_crossover_on_real_btc_minutes() {
    let Some(bars) = real_btc_1m(usize::MAX) else {
        #[allow(clippy::print_stderr, reason = "a skipped test says so")]
        {
            eprintln!("SKIPPED sma_crossover_on_real_btc_minutes: no real data");
        }
        return;
    };
    let series = BarSeries::from_bars(&bars);
    let mut params = Params::new();
    params.set("fast", 10_i64).set("slow", 30_i64);
    let signals = Registry::builtin()
        .signals(&StrategySpec::new("crossover", params), &series.columns())
        .unwrap()
        .unwrap();
    let market = Market::new(series.columns()).unwrap();
    assert_eq!(market.interval_ms(), 60_000);
    let n = market.len();
    assert!(n > 40_000, "{n} bars");

    // Defaults: next open, 0.05 % taker, all in. Every walk step is a fill one bar later.
    let sim = Simulator::new(VectorConfig::new(btcusdt(), 10_000.0)).unwrap();
    let run = sim.run(&market, Orders::from(&signals)).unwrap();
    assert_eq!(run.refused.total(), 0);
    let walk: Vec<(usize, bool)> = signals
        .walk()
        .into_iter()
        .filter(|&(i, _)| i + 1 < n)
        .collect();
    let mut fills = Vec::new();
    for t in &run.result.trades {
        fills.push((t.entry_bar - 1, true));
        if t.exit_reason == ExitReason::Signal {
            fills.push((t.exit_bar - 1, false));
        }
    }
    assert_eq!(fills, walk);
    assert!(
        run.result.trades.len() > 100,
        "{} trades",
        run.result.trades.len()
    );
    for t in &run.result.trades {
        assert_eq!(t.entry_price, series.open[t.entry_bar]);
        assert!(t.quantity > 0.0);
    }
    let s = &run.result.stats;
    let pnl: f64 = run.result.trades.iter().map(|t| t.pnl).sum();
    let final_equity = *run.result.equity.equity.last().unwrap();
    assert!((final_equity - 10_000.0 - pnl).abs() < 1e-6);
    assert_eq!(
        *s,
        stats::compute(&run.result.trades, &run.result.equity, 10_000.0, 60_000)
    );
    assert!(s.fees > 0.0 && s.turnover > 0.0 && s.exposure > 0.0 && s.exposure < 1.0);
    #[allow(
        clippy::print_stderr,
        reason = "the figures of the real-data run, for the record"
    )]
    {
        eprintln!(
            "real BTC 1m, {n} bars, crossover 10/30: {} trades, total return {:.4}, sharpe {:.3}, \
             max drawdown {:.4}, fees {:.2}",
            s.trades, s.total_return, s.sharpe, s.max_drawdown, s.fees
        );
    }

    // With stops and this-close fills: still consistent.
    let mut cfg = VectorConfig::new(btcusdt(), 10_000.0);
    cfg.fill = FillTiming::ThisClose;
    cfg.slippage_bps = 2.0;
    cfg.stops = Stops {
        stop_loss: Some(0.01),
        take_profit: Some(0.02),
        trailing_stop: Some(0.005),
        ..Stops::default()
    };
    let run = Simulator::new(cfg)
        .unwrap()
        .run(&market, Orders::from(&signals))
        .unwrap();
    let stops = run
        .result
        .trades
        .iter()
        .filter(|t| {
            matches!(
                t.exit_reason,
                ExitReason::StopLoss | ExitReason::TrailingStop
            )
        })
        .count();
    assert!(stops > 0, "no stop fired in a month of minutes");
    for t in &run.result.trades {
        assert!(t.exit_bar > t.entry_bar || t.exit_reason == ExitReason::Signal);
        assert!(signals.entries[t.entry_bar]);
    }
    let pnl: f64 = run.result.trades.iter().map(|t| t.pnl).sum();
    let final_equity = *run.result.equity.equity.last().unwrap();
    assert!((final_equity - 10_000.0 - pnl).abs() < 1e-6);
}
