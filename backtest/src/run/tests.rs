//! Runs over a generated store: both tiers, the run directory, fingerprints, errors.

use std::fs;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use vela_core::engine::{BotConfig, BotId};
use vela_core::risk::{Limit, TakeProfitTarget};
use vela_core::strategy::{Params, Registry, StrategySpec};
use vela_core::types::instrument::stubs::btcusdt;
use vela_data::store::{Conflict, DatasetId, Store};
use vela_data::{GeneratorSpec, generate};

use super::files::{names, read_equity, read_stats, read_trades};
use super::*;

const DATASET: &str = "synthetic/BTCUSDT/1m";

/// A temporary directory, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for Scratch {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

/// A fresh store holding 3,000 generated one-minute bars, in a directory of its own.
fn store(name: &str) -> (Store, Scratch) {
    let dir = std::env::temp_dir().join(format!("vela-run-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let root = Scratch(dir);
    let store = Store::open(root.join("store")).unwrap();
    let frame = generate(&GeneratorSpec::new(7, 3_000)).unwrap();
    let id: DatasetId = DATASET.parse().unwrap();
    store.write(&id, &frame, Conflict::Fail).unwrap();
    (store, root)
}

fn bot(strategy: &str, params: &[(&str, i64)]) -> BotConfig {
    let mut p = Params::new();
    for (k, v) in params {
        p.set(k, *v);
    }
    let mut bot = BotConfig::new(
        BotId::new("backtest").unwrap(),
        vec![btcusdt()],
        Decimal::new(10_000, 0),
        StrategySpec::new(strategy, p),
    );
    bot.compound = true;
    bot
}

fn crossover() -> BotConfig {
    bot("crossover", &[("fast", 5), ("slow", 20)])
}

fn go(store: &Store, bot: &BotConfig, spec: &BacktestSpec) -> Result<RunOutcome, RunError> {
    run(store, &Registry::builtin(), bot, spec, &mut |_, _| {})
}

fn file_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn event_run_writes_a_deterministic_run_directory() {
    let (store, root) = store("event");
    let spec = BacktestSpec::new(DATASET);
    let outcome = go(&store, &crossover(), &spec).unwrap();
    assert!(
        outcome.result.stats.trades > 5,
        "{:?}",
        outcome.result.stats
    );
    assert_eq!(outcome.summary.bars, 3_000);
    assert_eq!(outcome.result.equity.ts.len(), 3_000);
    assert!(outcome.summary.orders.submitted >= outcome.result.stats.trades);

    let a = root.join("a");
    let b = root.join("b");
    write_run(&a, &spec, &outcome).unwrap();
    // The same inputs again: the same fingerprint and the same bytes in every file.
    let again = go(&store, &crossover(), &spec).unwrap();
    assert_eq!(again.fingerprint, outcome.fingerprint);
    write_run(&b, &spec, &again).unwrap();
    let files = file_bytes(&a);
    let names_written: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names_written,
        [
            "backtest.toml",
            "bot.toml",
            "equity.parquet",
            "equity.svg",
            "fingerprint.json",
            "report.html",
            "stats.json",
            "trades.parquet"
        ]
    );
    assert_eq!(files, file_bytes(&b));

    // The stored files read back to the run's values.
    assert_eq!(read_trades(&a).unwrap(), outcome.result.trades);
    assert_eq!(read_equity(&a).unwrap(), outcome.result.equity);
    let stats = read_stats(&a).unwrap();
    // serde_json (without its float_roundtrip feature) may read a number back one unit in
    // the last place off; the text written is the shortest exact form.
    let back = crate::Stats::from(&stats.stats);
    let close =
        |x: f64, y: f64| x == y || (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs());
    let s = &outcome.result.stats;
    for (x, y) in [
        (back.total_return, s.total_return),
        (back.cagr, s.cagr),
        (back.sharpe, s.sharpe),
        (back.sortino, s.sortino),
        (back.calmar, s.calmar),
        (back.max_drawdown, s.max_drawdown),
        (back.win_rate, s.win_rate),
        (back.profit_factor, s.profit_factor),
        (back.expectancy, s.expectancy),
        (back.avg_win, s.avg_win),
        (back.avg_loss, s.avg_loss),
        (back.exposure, s.exposure),
        (back.fees, s.fees),
        (back.turnover, s.turnover),
    ] {
        assert!(close(x, y), "{x} != {y}");
    }
    assert_eq!(back.trades, s.trades);
    assert_eq!(back.max_drawdown_duration_ms, s.max_drawdown_duration_ms);
    assert_eq!(stats.run.bars, outcome.summary.bars);
    assert_eq!(stats.run.strategy, outcome.summary.strategy);

    // The report re-renders byte for byte from the stored files.
    let report = fs::read(a.join(names::REPORT)).unwrap();
    let chart = fs::read(a.join(names::CHART)).unwrap();
    fs::remove_file(a.join(names::REPORT)).unwrap();
    fs::remove_file(a.join(names::CHART)).unwrap();
    report::render(&a).unwrap();
    assert_eq!(fs::read(a.join(names::REPORT)).unwrap(), report);
    assert_eq!(fs::read(a.join(names::CHART)).unwrap(), chart);
    let html = String::from_utf8(report).unwrap();
    assert!(html.contains("<svg"), "the chart is inline");
    for external in ["<script", "<link", " src=", "href=", "url("] {
        assert!(!html.contains(external), "{external} in the report");
    }
    assert!(html.contains(&outcome.fingerprint.trades));
}

#[test]
fn the_run_directory_is_a_valid_input() {
    let (store, root) = store("rerun");
    let mut spec = BacktestSpec::new(DATASET);
    spec.data.from = Some(SpecTime(1_704_067_200_000 + 60_000 * 100));
    spec.exchange.slippage_bps = 3.0;
    spec.output.dir = Some(root.join("first"));
    let mut bot = crossover();
    bot.risk.stop_loss = Some(Limit::Percent(0.01));
    let first = go(&store, &bot, &spec).unwrap();
    let dir = root.join("first");
    write_run(&dir, &spec, &first).unwrap();

    let bot_text = fs::read_to_string(dir.join(names::BOT)).unwrap();
    let spec_text = fs::read_to_string(dir.join(names::SPEC)).unwrap();
    assert!(!spec_text.contains("first"), "no output dir: {spec_text}");
    let bot2 = BotConfig::from_toml_str(&bot_text).unwrap();
    let spec2 = BacktestSpec::from_toml_str(&spec_text).unwrap();
    assert_eq!(bot2, first.bot);
    // The written bot spells out every parameter; the run is the same either way.
    assert_eq!(bot2.strategy.params.get("ma"), Some(&"sma".into()));
    assert_eq!(
        first.summary.params,
        "fast=5, ma=\"sma\", order_size=1, slow=20"
    );
    let second = go(&store, &bot2, &spec2).unwrap();
    assert_eq!(second.fingerprint, first.fingerprint);
    assert_eq!(second.result, first.result);
    assert_eq!(second.summary.bars, 2_900);

    // Defaults spelled out or left implicit: one run, one fingerprint.
    let mut spelled = bot.clone();
    spelled
        .strategy
        .params
        .set("ma", "sma")
        .set("order_size", 1_i64);
    assert_eq!(
        go(&store, &spelled, &spec).unwrap().fingerprint,
        first.fingerprint
    );

    // A different input changes the configuration hash, and so the directory name.
    spec.exchange.slippage_bps = 4.0;
    let third = go(&store, &bot, &spec).unwrap();
    assert_ne!(third.fingerprint.config, first.fingerprint.config);
    assert_eq!(third.fingerprint.data, first.fingerprint.data);
    assert_ne!(default_dir(&third), default_dir(&first));
    assert!(
        default_dir(&first)
            .to_string_lossy()
            .starts_with("runs/crossover-synthetic-BTCUSDT-1m-")
    );
}

#[test]
fn both_tiers_enter_and_exit_on_the_same_bars() {
    let (store, _root) = store("tiers");
    let event = go(&store, &crossover(), &BacktestSpec::new(DATASET)).unwrap();
    let mut spec = BacktestSpec::new(DATASET);
    spec.tier = Tier::Vector;
    let vector = go(&store, &crossover(), &spec).unwrap();
    // Parity (the lead's tests cover it in depth): same bars, quantities and prices.
    let key = |o: &RunOutcome| -> Vec<(usize, usize, u64, u64, u64)> {
        o.result
            .trades
            .iter()
            .map(|t| {
                (
                    t.entry_bar,
                    t.exit_bar,
                    t.quantity.to_bits(),
                    t.entry_price.to_bits(),
                    t.exit_price.to_bits(),
                )
            })
            .collect()
    };
    assert_eq!(key(&vector), key(&event));
    assert_eq!(vector.result.trades.len(), event.result.trades.len());
    assert_eq!(vector.fingerprint.data, event.fingerprint.data);
    assert_ne!(vector.fingerprint.config, event.fingerprint.config);
    assert_eq!(vector.summary.tier, Tier::Vector);
    assert!(vector.summary.orders.fills > 0);
    let relative = (vector.summary.final_equity - event.summary.final_equity).abs()
        / event.summary.final_equity;
    assert!(relative < 1e-9, "{relative}");
}

#[test]
fn vector_tier_maps_the_risk_exits_and_refuses_the_rest() {
    let spec = BacktestSpec {
        tier: Tier::Vector,
        ..BacktestSpec::new(DATASET)
    };
    let mut bot = crossover();
    bot.risk.stop_loss = Some(Limit::Percent(0.02));
    bot.risk.trailing_stop = Some(0.03);
    bot.risk.take_profit = vec![TakeProfitTarget {
        gain: 0.05,
        fraction: 1.0,
    }];
    let config = vector_config(&bot, &spec).unwrap();
    assert_eq!(config.stops.stop_loss, Some(0.02));
    assert_eq!(config.stops.trailing_stop, Some(0.03));
    assert_eq!(config.stops.take_profit, Some(0.05));
    assert_eq!(config.fees.taker, 0.0005);

    let mut partial = bot.clone();
    partial.risk.take_profit[0].fraction = 0.5;
    let err = vector_config(&partial, &spec).unwrap_err().to_string();
    assert!(err.contains("risk.take_profit"), "{err}");
    let mut drawdown = bot.clone();
    drawdown.risk.max_drawdown = Some(Limit::Percent(0.2));
    let err = vector_config(&drawdown, &spec).unwrap_err().to_string();
    assert!(
        err.contains("risk.max_drawdown is not supported by the vector tier"),
        "{err}"
    );
    let mut half = bot.clone();
    half.strategy.params.set("order_size", 0.5);
    let err = vector_config(&half, &spec).unwrap_err().to_string();
    assert!(err.contains("order_size"), "{err}");
    let mut simple = bot;
    simple.compound = false;
    let err = vector_config(&simple, &spec).unwrap_err().to_string();
    assert!(err.contains("compound"), "{err}");
}

#[test]
fn errors_name_the_input() {
    let (store, _root) = store("errors");
    let spec = BacktestSpec::new(DATASET);
    let err = |bot: &BotConfig, spec: &BacktestSpec| go(&store, bot, spec).unwrap_err().to_string();

    let e = err(&bot("nope", &[]), &spec);
    assert!(e.contains("unknown strategy \"nope\""), "{e}");
    let e = err(&bot("crossover", &[("fast", 30), ("slow", 10)]), &spec);
    assert!(e.contains("parameter `fast` = 30"), "{e}");
    let e = err(&bot("crossover", &[("fastt", 3)]), &spec);
    assert!(e.contains("fastt"), "{e}");

    let e = err(&crossover(), &BacktestSpec::new("synthetic/ETHUSDT/1m"));
    assert!(e.contains("ETHUSDT"), "{e}");
    let mut other = BacktestSpec::new("nowhere/BTCUSDT/1m");
    let e = err(&crossover(), &other);
    assert!(e.contains("nowhere/BTCUSDT/1m"), "{e}");

    other = BacktestSpec::new(DATASET);
    other.data.from = Some(SpecTime::parse("2030-01-01").unwrap());
    let e = err(&crossover(), &other);
    assert!(
        e.contains("has no bars in [2030-01-01T00:00:00Z, end)"),
        "{e}"
    );
    assert!(e.contains("it covers 2024-01-01T00:00:00Z to"), "{e}");

    other.data.to = Some(SpecTime::parse("2029-01-01").unwrap());
    let e = err(&crossover(), &other);
    assert!(e.contains("data.to"), "{e}");

    let mut vector = BacktestSpec::new(DATASET);
    vector.tier = Tier::Vector;
    let e = err(&bot("grid", &[]), &vector);
    assert!(e.contains("\"grid\" has no vectorised form"), "{e}");

    let mut look_ahead = BacktestSpec::new(DATASET);
    look_ahead.exchange.fill = vela_core::sim::FillTiming::ThisClose;
    look_ahead.exchange.volume_cap = Some(0.1);
    let e = err(&crossover(), &look_ahead);
    assert!(e.contains("look-ahead"), "{e}");
}

#[test]
fn event_tier_runs_strategies_without_a_vectorised_form() {
    let (store, root) = store("dca");
    let mut bot = bot("dca", &[]);
    bot.compound = false;
    let spec = BacktestSpec::new(DATASET);
    let outcome = go(&store, &bot, &spec).unwrap();
    assert!(outcome.summary.orders.fills > 0, "{:?}", outcome.summary);
    write_run(&root.join("run"), &spec, &outcome).unwrap();
    assert!(root.join("run").join(names::REPORT).is_file());
}
