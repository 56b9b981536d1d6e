//! Event-tier runs of library strategies on synthetic and real bars, with checks a person
//! can redo by hand: fill bars and prices, fees, books.

use std::borrow::Cow;

use rust_decimal::Decimal;
use vela_core::risk::Limit;
use vela_core::types::instrument::stubs::{btcusdt, ethbtc, ethusdt};
use vela_core::types::{Bar, Side};
use vela_data::{GeneratorSpec, generate};

use super::*;

fn real(n: usize) -> Option<Vec<Bar>> {
    let bars = testkit::real_btc_1m(n);
    if bars.is_none() {
        #[allow(clippy::print_stderr, reason = "a skipped real-data test says so")]
        {
            eprintln!("SKIPPED: event-tier run on real data (shared/data/real is absent)");
        }
    }
    bars
}

fn price(value: f64) -> Decimal {
    btcusdt().round_price(value).unwrap()
}

/// Every fill of a market order happened at its bar's open (no slippage configured), at
/// that bar's time.
fn assert_market_fills_at_open(run: &EventRun, bars: &[Bar]) {
    for record in run.fills.iter().filter(|r| !r.fill.is_maker) {
        let bar = &bars[record.bar];
        assert_eq!(record.fill.ts, bar.ts, "{record:?}");
        // A marketable limit fills at the open or better (grid sells): never worse.
        let open = price(bar.open);
        match record.fill.side {
            Side::Buy => assert!(record.fill.price <= open, "{record:?} open {open}"),
            Side::Sell => assert!(record.fill.price >= open, "{record:?} open {open}"),
        }
    }
}

fn check_crossover(bars: &[Bar], budget: i64) -> EventRun {
    let spec = crossover(10, 30);
    let run = run_btc(&EventConfig::new(bot(spec.clone(), budget)), bars).unwrap();
    // Each order fills on the bar after its signal bar, at that bar's open, whole.
    let expected =
        parity::expected_fill_bars(&Registry::builtin(), &spec, bars, FillTiming::NextOpen)
            .unwrap()
            .unwrap();
    assert!(expected.len() >= 4, "too few signals to test: {expected:?}");
    assert_eq!(parity::fill_bars(&run), expected);
    for record in &run.fills {
        assert_eq!(record.fill.price, price(bars[record.bar].open));
        assert!(!record.partial && !record.fill.is_maker);
    }
    // Trades: entry at the buy's bar, exit at the sell's bar.
    let entries: Vec<usize> = expected.iter().filter(|e| e.1).map(|e| e.0).collect();
    let trade_entries: Vec<usize> = run.result.trades.iter().map(|t| t.entry_bar).collect();
    assert_eq!(trade_entries, entries);
    for t in &run.result.trades {
        if t.exit_reason == ExitReason::Signal {
            let fees = 0.0005 * (t.entry_price + t.exit_price) * t.quantity;
            assert!((t.fees - fees).abs() < 1e-9 * fees, "{t:?}");
            let pnl = (t.exit_price - t.entry_price) * t.quantity - t.fees;
            assert!((t.pnl - pnl).abs() < 1e-9 * budget as f64, "{t:?}");
        }
    }
    assert_books(&run, budget as f64);
    run
}

fn check_grid(bars: &[Bar]) -> EventRun {
    let spec = spec("grid", |p| {
        p.set("levels", 8_i64).set("range_bars", 60_i64);
    });
    let run = run_btc(&EventConfig::new(bot(spec, 10_000)), bars).unwrap();
    let makers: Vec<&FillRecord> = run.fills.iter().filter(|f| f.fill.is_maker).collect();
    assert!(
        makers.len() >= 4,
        "the grid's limits must fill: {}",
        makers.len()
    );
    for record in &makers {
        // A resting limit fills at its price on a bar that trades through it, fee-free.
        let bar = &bars[record.bar];
        let p = to_f64(record.fill.price);
        match record.fill.side {
            Side::Buy => assert!(bar.low < p, "{record:?} {bar:?}"),
            Side::Sell => assert!(bar.high > p, "{record:?} {bar:?}"),
        }
        assert_eq!(record.fill.fee, Decimal::ZERO);
    }
    assert!(
        run.result
            .trades
            .iter()
            .any(|t| t.exit_reason == ExitReason::Signal)
    );
    assert_market_fills_at_open(&run, bars);
    assert_books(&run, 10_000.0);
    run
}

fn check_dca(bars: &[Bar]) -> EventRun {
    let spec = spec("dca", |p| {
        p.set("quote_amount", 100.0)
            .set("interval_minutes", 30_i64)
            .set("take_profit", 0.002)
            .set("scale_factor", 1.0);
    });
    let run = run_btc(&EventConfig::new(bot(spec, 10_000)), bars).unwrap();
    let buys: Vec<&FillRecord> = run
        .fills
        .iter()
        .filter(|f| f.fill.side == Side::Buy)
        .collect();
    assert!(buys.len() >= 5, "{}", buys.len());
    for record in &buys {
        // A quote-amount market buy: 100 / 1.0005 = 99.95 USDT buys whole 10⁻⁶ steps at
        // the open.
        let f = &record.fill;
        assert_eq!(f.price, price(bars[record.bar].open));
        let amount = Decimal::new(9995, 2);
        assert!(f.notional() <= amount && amount - f.notional() < f.price * Decimal::new(1, 6));
    }
    // One trade per buy order; the take-profit sales close several at once.
    assert_eq!(run.result.trades.len(), buys.len());
    assert!(run.fills.iter().any(|f| f.fill.side == Side::Sell));
    assert_market_fills_at_open(&run, bars);
    assert_books(&run, 10_000.0);
    run
}

fn check_twap(bars: &[Bar]) -> EventRun {
    let spec = spec("twap", |p| {
        p.set("side", "buy")
            .set("target_quantity", 0.05)
            .set("duration_minutes", 120_i64)
            .set("slices", 12_i64);
    });
    let run = run_btc(&EventConfig::new(bot(spec, 10_000)), bars).unwrap();
    assert_eq!(run.counts.submitted, 12, "{:?}", run.counts);
    let bought: Decimal = run.fills.iter().map(|f| f.fill.quantity).sum();
    // Quote-sized buys at the next open get the slice up to the price move in between.
    let target = 0.05;
    assert!((to_f64(bought) - target).abs() < 0.01 * target, "{bought}");
    // Slices 10 minutes apart: slice k is decided on bar 10k and fills on bar 10k + 1.
    let first_bars: Vec<usize> = parity::fill_bars(&run).iter().map(|b| b.0).collect();
    assert_eq!(first_bars, (0..12).map(|k| 10 * k + 1).collect::<Vec<_>>());
    assert!(
        run.result
            .trades
            .iter()
            .all(|t| t.exit_reason == ExitReason::EndOfData)
    );
    assert_market_fills_at_open(&run, bars);
    assert_books(&run, 10_000.0);
    run
}

#[test]
fn crossover_on_synthetic_bars() {
    check_crossover(&synthetic(7, 5_000), 10_000);
}

#[test]
fn grid_on_synthetic_bars() {
    check_grid(&synthetic(8, 3_000));
}

#[test]
fn dca_on_synthetic_bars() {
    check_dca(&synthetic(9, 3_000));
}

#[test]
fn twap_on_synthetic_bars() {
    check_twap(&synthetic(10, 300));
}

#[test]
fn library_strategies_on_real_bars() {
    let Some(bars) = real(5_000) else {
        return;
    };
    check_crossover(&bars, 100_000);
    check_grid(&bars);
    check_dca(&bars);
    check_twap(&bars[..300]);
}

#[test]
fn this_close_and_slippage_price_fills_on_the_signal_bar() {
    let bars = synthetic(12, 2_000);
    let spec = crossover(5, 20);
    let config = EventConfig {
        exchange: SimConfig {
            timing: FillTiming::ThisClose,
            slippage_bps: 10.0,
            ..SimConfig::default()
        },
        ..EventConfig::new(bot(spec.clone(), 10_000))
    };
    let run = run_btc(&config, &bars).unwrap();
    let expected =
        parity::expected_fill_bars(&Registry::builtin(), &spec, &bars, FillTiming::ThisClose)
            .unwrap()
            .unwrap();
    assert_eq!(parity::fill_bars(&run), expected);
    for record in &run.fills {
        let close = bars[record.bar].close;
        let slipped = match record.fill.side {
            Side::Buy => close * (1.0 + 10.0 / 1e4),
            Side::Sell => close * (1.0 - 10.0 / 1e4),
        };
        assert_eq!(record.fill.price, price(slipped));
    }
    assert_books(&run, 10_000.0);
}

#[test]
fn risk_layer_exits_are_marked_and_fill_at_the_next_open() {
    let bars = synthetic(13, 4_000);
    let mut config = EventConfig::new(bot(crossover(10, 30), 10_000));
    config.bot.risk.stop_loss = Some(Limit::Percent(0.002));
    let run = run_btc(&config, &bars).unwrap();
    let stops: Vec<&Trade> = run
        .result
        .trades
        .iter()
        .filter(|t| t.exit_reason == ExitReason::StopLoss)
        .collect();
    assert!(!stops.is_empty());
    for t in stops {
        // Decided on the bar whose low crossed the stop; sold at the next bar's open.
        let open = bars[t.exit_bar].open;
        assert!((t.exit_price - open).abs() < 1e-9 * open, "{t:?}");
        let stop = t.entry_price * (1.0 - 0.002);
        assert!(bars[t.exit_bar - 1].low <= stop * 1.001, "{t:?}");
    }
    assert_books(&run, 10_000.0);
}

#[test]
fn triangular_arbitrage_runs_on_three_aligned_symbols() {
    let series = |seed, start_price, price_decimals| {
        let spec = GeneratorSpec {
            start_price,
            price_decimals,
            vol_scale: 3.0,
            ..GeneratorSpec::new(seed, 1_500)
        };
        generate(&spec).unwrap().bars()
    };
    let btc = series(31, 50_000.0, 2);
    let eth_btc = series(32, 0.05, 6);
    let eth = series(33, 2_500.0, 2);
    let history = History::new([
        (btcusdt().symbol, Cow::Borrowed(&btc[..])),
        (ethbtc().symbol, Cow::Borrowed(&eth_btc[..])),
        (ethusdt().symbol, Cow::Borrowed(&eth[..])),
    ])
    .unwrap();
    let mut bot = bot(
        spec("triangular", |p| {
            p.set("notional", 500.0);
        }),
        10_000,
    );
    bot.instruments = vec![btcusdt(), ethbtc(), ethusdt()];
    let config = EventConfig::new(bot);
    let run = run(&Registry::builtin(), &config, &history).unwrap();
    for symbol in ["BTCUSDT", "ETHBTC", "ETHUSDT"] {
        assert!(
            run.fills.iter().any(|f| f.fill.symbol.as_str() == symbol),
            "no fill on {symbol}"
        );
    }
    // The books hold across pairs: equity = budget + P&L of every lot's round trip.
    let pnl: f64 = run.result.trades.iter().map(|t| t.pnl).sum();
    let equity = to_f64(run.final_equity);
    assert!(
        (equity - (10_000.0 + pnl)).abs() < 1e-6 * 10_000.0,
        "{equity} vs {pnl}"
    );
    assert!(run.result.trades.iter().all(|t| t.symbol != "ETHBTC"));
}

/// For every strategy with a vectorised form, the event tier fills on exactly the bars
/// its entry/exit columns say (next open after each signal), on synthetic and real bars.
#[test]
fn vectorised_strategies_fill_where_their_signals_say() {
    let registry = Registry::builtin();
    let mut inputs = vec![("synthetic", synthetic(41, 6_000))];
    if let Some(bars) = real(6_000) {
        inputs.push(("real", bars));
    }
    for (data, bars) in &inputs {
        for name in parity::VECTORISED {
            let spec = spec(name, |_| {});
            let run = parity::run_parity(
                &registry,
                btcusdt(),
                spec.clone(),
                Decimal::from(10_000),
                SimConfig::default(),
                bars,
            )
            .unwrap();
            let expected = parity::expected_fill_bars(&registry, &spec, bars, FillTiming::NextOpen)
                .unwrap()
                .unwrap();
            assert!(
                expected.len() >= 2,
                "{name} on {data} bars: too few signals"
            );
            assert_eq!(parity::fill_bars(&run), expected, "{name} on {data} bars");
            let trades = parity::trade_bars(&run.result);
            let entries: Vec<usize> = expected.iter().filter(|e| e.1).map(|e| e.0).collect();
            let exits: Vec<usize> = expected.iter().filter(|e| !e.1).map(|e| e.0).collect();
            assert_eq!(
                trades.iter().map(|t| t.entry_bar).collect::<Vec<_>>(),
                entries
            );
            let closed: Vec<usize> = trades
                .iter()
                .filter(|t| !t.end_of_data)
                .map(|t| t.exit_bar)
                .collect();
            assert_eq!(closed, exits, "{name} on {data} bars");
            assert_books(&run, 10_000.0);
        }
    }
}

/// Every registered strategy runs with its default parameters (triangular arbitrage, which
/// needs three pairs, has its own test); the books hold for each.
#[test]
fn every_registered_strategy_runs() {
    let registry = Registry::builtin();
    let bars = synthetic(51, 3_000);
    let mut traded = Vec::new();
    for name in registry.names().filter(|n| *n != "triangular") {
        let config = EventConfig::new(bot(spec(name, |_| {}), 10_000));
        let run = run_btc(&config, &bars).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_books(&run, 10_000.0);
        if !run.fills.is_empty() {
            traded.push(name);
        }
    }
    for name in [
        "breakout",
        "crossover",
        "dca",
        "grid",
        "mean_reversion",
        "twap",
    ] {
        assert!(traded.contains(&name), "{name} never traded: {traded:?}");
    }
}
