//! Parity of the two tiers (DESIGN.md §3, §6): for every built-in strategy with a
//! vectorised form, the vectorised simulator and the event replay of the real engine make
//! the same trades — entry and exit bars, side, quantity after rounding, prices — and the
//! same P&L within 1e-9 relative, on synthetic bars and on real ones (one-minute BTCUSDT
//! and five-minute ETHBTC from shared/data/real; skipped, saying so, when absent).
//!
//! Both tiers run the same rules here: all-in entries (the engine's `WalletShare(1.0)`
//! with profits compounded), exits of the whole position, MEXC's 0.05 % taker fee, no
//! risk-layer exits (the vectorised tier's bar-level stops fill inside the bar, the
//! engine's at the next bar: they are different models and not compared).

use std::path::Path;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use vela_backtest::event::{FillTiming as EventTiming, SimConfig, parity};
use vela_backtest::result::{ExitReason, Trade};
use vela_backtest::vector::{FillTiming, Market, Orders, Simulator, VectorConfig};
use vela_core::strategy::{BarSeries, Params, Registry, StrategySpec};
use vela_core::testkit::real_btc_1m;
use vela_core::types::instrument::stubs::{btcusdt, ethbtc};
use vela_core::types::{Bar, Instrument};
use vela_data::{GeneratorSpec, generate};

/// One input series with the instrument and budget it is traded with.
struct Case {
    data: String,
    instrument: Instrument,
    budget: Decimal,
    bars: Vec<Bar>,
}

fn synthetic(seed: u64, n: usize) -> Case {
    Case {
        data: format!("synthetic seed {seed}"),
        instrument: btcusdt(),
        budget: Decimal::from(10_000),
        bars: generate(&GeneratorSpec::new(seed, n))
            .expect("generator")
            .bars(),
    }
}

fn skipped(what: &str) {
    #[allow(clippy::print_stderr, reason = "a skipped real-data test says so")]
    {
        eprintln!("SKIPPED: parity on {what} (shared/data/real is absent)");
    }
}

fn real_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    match real_btc_1m(usize::MAX) {
        Some(bars) => cases.push(Case {
            data: "real BTC 1m (nautilus_trader)".into(),
            instrument: btcusdt(),
            budget: Decimal::from(100_000),
            bars,
        }),
        None => skipped("real BTC 1m"),
    }
    let eth = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/real/freqtrade/ETH_BTC-5m.feather");
    if eth.exists() {
        let (frame, _) = vela_data::import::read_file(&eth).expect("the ETH/BTC feather file");
        cases.push(Case {
            data: "real ETHBTC 5m (freqtrade)".into(),
            instrument: ethbtc(),
            budget: Decimal::ONE,
            bars: frame.bars(),
        });
    } else {
        skipped("real ETHBTC 5m");
    }
    cases
}

/// The default parameters, and a faster setting that trades more.
fn specs(name: &str) -> Vec<StrategySpec> {
    let mut faster = Params::new();
    match name {
        "crossover" => {
            faster.set("fast", 5_i64).set("slow", 20_i64);
        }
        "breakout" => {
            faster.set("channel", 10_i64).set("exit_channel", 5_i64);
        }
        "mean_reversion" => {
            faster.set("period", 10_i64);
        }
        "volume_spike" => {
            faster.set("window", 20_i64).set("z_threshold", 2.5);
        }
        _ => {}
    }
    vec![
        StrategySpec::new(name, Params::new()),
        StrategySpec::new(name, faster),
    ]
}

/// Checks one strategy on one series with one fill timing; returns the trades compared.
fn check(case: &Case, spec: &StrategySpec, timing: FillTiming, slippage_bps: f64) -> usize {
    let registry = Registry::builtin();
    let what = format!(
        "{} {:?} on {} ({timing:?}, {slippage_bps} bps)",
        spec.name, spec.params, case.data
    );
    let series = BarSeries::from_bars(&case.bars);
    let signals = registry
        .signals(spec, &series.columns())
        .expect("valid parameters")
        .expect("a vectorised form");

    let mut config = VectorConfig::new(
        case.instrument.clone(),
        case.budget.to_f64().expect("a budget"),
    );
    config.fill = timing;
    config.slippage_bps = slippage_bps;
    let market = Market::new(series.columns()).expect("bars");
    let vector = Simulator::new(config)
        .expect("config")
        .run(&market, Orders::from(&signals))
        .expect("a vectorised run");

    let exchange = SimConfig {
        timing: match timing {
            FillTiming::NextOpen => EventTiming::NextOpen,
            FillTiming::ThisClose => EventTiming::ThisClose,
        },
        slippage_bps,
        ..SimConfig::default()
    };
    let events = parity::run_parity(
        &registry,
        case.instrument.clone(),
        spec.clone(),
        case.budget,
        exchange,
        &case.bars,
    )
    .unwrap_or_else(|e| panic!("{what}: {e}"));

    let (v, e) = (&vector.result.trades, &events.result.trades);
    assert!(
        v.len() >= 2,
        "{what}: too few trades to compare ({})",
        v.len()
    );
    assert_eq!(
        v.len(),
        e.len(),
        "{what}: trade counts differ; first difference {:?}",
        v.iter()
            .zip(e.iter())
            .find(|(a, b)| a.entry_bar != b.entry_bar || a.exit_bar != b.exit_bar)
    );
    for (k, (a, b)) in v.iter().zip(e.iter()).enumerate() {
        same_trade(&what, k, a, b);
    }
    let (ve, ee) = (
        *vector.result.equity.equity.last().expect("a curve"),
        events.final_equity.to_f64().expect("an equity"),
    );
    assert!(
        (ve - ee).abs() <= 1e-9 * ee.abs(),
        "{what}: final equity {ve} vs {ee}"
    );
    v.len()
}

fn same_trade(what: &str, k: usize, a: &Trade, b: &Trade) {
    let at = format!("{what}: trade {k}\nvector {a:?}\nevent  {b:?}");
    assert_eq!((a.entry_bar, a.exit_bar), (b.entry_bar, b.exit_bar), "{at}");
    assert_eq!(a.side, b.side, "{at}");
    assert_eq!(
        a.exit_reason == ExitReason::EndOfData,
        b.exit_reason == ExitReason::EndOfData,
        "{at}"
    );
    // Quantities and prices are on the instrument's grids: exactly equal.
    assert_eq!(a.quantity.to_bits(), b.quantity.to_bits(), "{at}");
    assert_eq!(a.entry_price.to_bits(), b.entry_price.to_bits(), "{at}");
    assert_eq!((a.entry_ts, a.exit_ts), (b.entry_ts, b.exit_ts), "{at}");
    if a.exit_reason == ExitReason::EndOfData {
        // Valued, not filled: the last close, which the engine reads as a decimal.
        assert!(
            (a.exit_price - b.exit_price).abs() <= 1e-12 * b.exit_price,
            "{at}"
        );
    } else {
        assert_eq!(a.exit_price.to_bits(), b.exit_price.to_bits(), "{at}");
    }
    let scale = a.entry_price * a.quantity;
    assert!((a.fees - b.fees).abs() <= 1e-9 * scale, "{at}: fees");
    assert!(
        (a.pnl - b.pnl).abs() <= 1e-9 * a.pnl.abs().max(1e-9 * scale),
        "{at}: P&L"
    );
}

fn check_all(cases: &[Case]) {
    for case in cases {
        for name in parity::VECTORISED {
            for spec in specs(name) {
                for (timing, slippage) in [
                    (FillTiming::NextOpen, 0.0),
                    (FillTiming::ThisClose, 0.0),
                    (FillTiming::NextOpen, 5.0),
                ] {
                    check(case, &spec, timing, slippage);
                }
            }
        }
    }
}

#[test]
fn both_tiers_trade_alike_on_synthetic_bars() {
    check_all(&[synthetic(3, 12_000), synthetic(17, 12_000)]);
}

#[test]
fn both_tiers_trade_alike_on_real_bars() {
    check_all(&real_cases());
}

/// The comparison can fail: a different fee in one tier changes every trade's P&L.
#[test]
fn a_different_fee_breaks_parity() {
    let case = synthetic(3, 5_000);
    let spec = StrategySpec::new("crossover", Params::new());
    let result = std::panic::catch_unwind(|| {
        let mut instrument = case.instrument.clone();
        instrument.taker_fee = Decimal::new(6, 4);
        let shifted = Case {
            instrument,
            data: case.data.clone(),
            budget: case.budget,
            bars: case.bars.clone(),
        };
        // The event tier reads the fee from the instrument, the vectorised tier too: to
        // break parity, run the vectorised tier on the original instrument.
        let registry = Registry::builtin();
        let series = BarSeries::from_bars(&shifted.bars);
        let signals = registry.signals(&spec, &series.columns()).unwrap().unwrap();
        let market = Market::new(series.columns()).unwrap();
        let vector = Simulator::new(VectorConfig::new(case.instrument.clone(), 10_000.0))
            .unwrap()
            .run(&market, Orders::from(&signals))
            .unwrap();
        let events = parity::run_parity(
            &registry,
            shifted.instrument.clone(),
            spec.clone(),
            shifted.budget,
            SimConfig::default(),
            &shifted.bars,
        )
        .unwrap();
        for (k, (a, b)) in vector
            .result
            .trades
            .iter()
            .zip(&events.result.trades)
            .enumerate()
        {
            same_trade("fee 0.05 % vs 0.06 %", k, a, b);
        }
    });
    assert!(result.is_err(), "parity must notice a different fee");
    // And the matching run passes.
    check(&case, &spec, FillTiming::NextOpen, 0.0);
}
