//! The vectorised tier: hand-computed cases for every fill rule, properties, and a run on
//! real data.

mod props;
mod real;
mod rules;
mod strategy;

use rust_decimal::Decimal;
use vela_backtest::vector::{Fees, Market, Orders, Simulator, VectorConfig, VectorRun};
use vela_core::strategy::{BarSeries, Signals};
use vela_core::types::Instrument;

/// BTCUSDT with 2 price and 3 quantity decimals, a 0.001 minimum quantity and a 5 USDT
/// minimum notional, so quantities in the hand-computed cases stay readable.
pub(crate) fn instrument() -> Instrument {
    Instrument {
        quantity_precision: 3,
        min_quantity: Decimal::new(1, 3),
        min_notional: Decimal::new(5, 0),
        ..vela_core::testkit::btcusdt()
    }
}

/// A config with 1,000 USDT, the given taker fee, no maker fee, defaults otherwise.
pub(crate) fn config(taker: f64) -> VectorConfig {
    VectorConfig {
        fees: Fees { maker: 0.0, taker },
        ..VectorConfig::new(instrument(), 1_000.0)
    }
}

/// One-minute bars from `(open, high, low, close)`.
pub(crate) fn series(bars: &[(f64, f64, f64, f64)]) -> BarSeries {
    let n = bars.len();
    BarSeries {
        ts: (0..n as i64).map(|i| i * 60_000).collect(),
        open: bars.iter().map(|b| b.0).collect(),
        high: bars.iter().map(|b| b.1).collect(),
        low: bars.iter().map(|b| b.2).collect(),
        close: bars.iter().map(|b| b.3).collect(),
        volume: vec![1.0; n],
    }
}

/// Flat bars (open = high = low = close) at `prices`.
pub(crate) fn flat(prices: &[f64]) -> BarSeries {
    series(&prices.iter().map(|&p| (p, p, p, p)).collect::<Vec<_>>())
}

/// Signals with entries at `entries` and exits at `exits` (bar indices) over `n` bars.
pub(crate) fn signals(n: usize, entries: &[usize], exits: &[usize]) -> Signals {
    let mut s = Signals::none(n);
    for &i in entries {
        s.entries[i] = true;
    }
    for &i in exits {
        s.exits[i] = true;
    }
    s
}

/// Runs `signals` over `bars` with `config`.
pub(crate) fn run(config: &VectorConfig, bars: &BarSeries, signals: &Signals) -> VectorRun {
    let market = Market::new(bars.columns()).expect("valid bars");
    Simulator::new(config.clone())
        .expect("valid config")
        .run(&market, Orders::from(signals))
        .expect("valid signals")
}

/// `a` and `b` agree within `1e-12` relative (or absolutely near zero).
#[track_caller]
pub(crate) fn close_to(a: f64, b: f64) {
    assert!(
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0),
        "{a} != {b}"
    );
}
