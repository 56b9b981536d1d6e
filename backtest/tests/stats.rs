//! `vela_backtest::stats` against an independent implementation (empyrical-reloaded and
//! numpy/pandas; see tests/fixtures/stats/README.md).

use std::path::{Path, PathBuf};

use vela_backtest::result::{EquityCurve, ExitReason, Stats, Trade};
use vela_backtest::stats;
use vela_core::types::Side;

const DAY_MS: i64 = 86_400_000;
const INITIAL: f64 = 10_000.0;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/stats")
        .join(name)
}

/// Rows of a CSV file without its header.
fn rows(name: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(fixture(name)).expect("fixture is readable");
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

fn equity() -> EquityCurve {
    let mut curve = EquityCurve::default();
    for row in rows("equity.csv") {
        curve
            .ts
            .push(row[0].parse().expect("a number in the fixture"));
        curve
            .equity
            .push(row[1].parse().expect("a number in the fixture"));
        curve
            .exposure
            .push(row[2].parse().expect("a number in the fixture"));
    }
    curve
}

fn trades() -> Vec<Trade> {
    rows("trades.csv")
        .into_iter()
        .map(|r| Trade {
            symbol: "BTCUSDT".into(),
            side: Side::Buy,
            entry_bar: r[0].parse().expect("a number in the fixture"),
            entry_ts: r[1].parse().expect("a number in the fixture"),
            entry_price: r[2].parse().expect("a number in the fixture"),
            exit_bar: r[3].parse().expect("a number in the fixture"),
            exit_ts: r[4].parse().expect("a number in the fixture"),
            exit_price: r[5].parse().expect("a number in the fixture"),
            quantity: r[6].parse().expect("a number in the fixture"),
            fees: r[7].parse().expect("a number in the fixture"),
            pnl: r[8].parse().expect("a number in the fixture"),
            exit_reason: match r[9].as_str() {
                "signal" => ExitReason::Signal,
                "end_of_data" => ExitReason::EndOfData,
                other => panic!("unknown exit reason {other}"),
            },
        })
        .collect()
}

fn expected(name: &str) -> String {
    rows("expected.csv")
        .into_iter()
        .find(|r| r[0] == name)
        .map_or_else(
            || panic!("{name} missing from expected.csv"),
            |r| r[1].clone(),
        )
}

#[test]
fn statistics_match_empyrical_and_numpy() {
    let curve = equity();
    let trades = trades();
    assert_eq!(curve.ts.len(), 500);
    assert_eq!(trades.len(), 13);
    let s: Stats = stats::compute(&trades, &curve, INITIAL, DAY_MS);
    let floats = [
        ("total_return", s.total_return),
        ("cagr", s.cagr),
        ("sharpe", s.sharpe),
        ("sortino", s.sortino),
        ("calmar", s.calmar),
        ("max_drawdown", s.max_drawdown),
        ("win_rate", s.win_rate),
        ("profit_factor", s.profit_factor),
        ("expectancy", s.expectancy),
        ("avg_win", s.avg_win),
        ("avg_loss", s.avg_loss),
        ("exposure", s.exposure),
        ("fees", s.fees),
        ("turnover", s.turnover),
    ];
    let mut failures = Vec::new();
    for (name, ours) in floats {
        let theirs: f64 = expected(name).parse().expect("a number in the fixture");
        let rel = ((ours - theirs) / theirs).abs();
        if rel.is_nan() || rel > 1e-9 {
            failures.push(format!(
                "{name}: ours {ours}, expected {theirs}, rel {rel:e}"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(s.trades.to_string(), expected("trades"));
    assert_eq!(
        s.max_drawdown_duration_ms.to_string(),
        expected("max_drawdown_duration_ms")
    );
}

#[test]
fn streaming_and_stored_statistics_are_identical() {
    let curve = equity();
    let trades = trades();
    let mut acc = stats::StatsAccumulator::new(INITIAL, curve.ts[0], DAY_MS);
    for trade in &trades {
        acc.push_trade(trade);
    }
    for i in 0..curve.ts.len() {
        acc.push_bar(curve.ts[i], curve.equity[i], curve.exposure[i] > 0.0);
    }
    assert_eq!(
        acc.finish(),
        stats::compute(&trades, &curve, INITIAL, DAY_MS)
    );
}
