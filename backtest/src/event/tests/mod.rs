//! Event-tier tests: inputs and errors, the books, determinism. Strategy runs are in
//! `strategies`.

mod strategies;

use std::borrow::Cow;

use rust_decimal::Decimal;
use vela_core::engine::{BotConfig, BotId};
use vela_core::money::rounding::to_f64;
use vela_core::strategy::{Params, Registry, StrategySpec};
use vela_core::testkit;
use vela_core::types::instrument::stubs::{btcusdt, ethusdt};
use vela_core::types::{Bar, Side, Symbol};
use vela_data::{GeneratorSpec, generate};

use super::*;
use crate::result::{ExitReason, Trade};

/// `n` synthetic one-minute BTC bars from vela-data's seeded generator.
fn synthetic(seed: u64, n: usize) -> Vec<Bar> {
    generate(&GeneratorSpec::new(seed, n)).unwrap().bars()
}

fn spec(name: &str, set: impl FnOnce(&mut Params)) -> StrategySpec {
    let mut params = Params::new();
    set(&mut params);
    StrategySpec::new(name, params)
}

fn bot(spec: StrategySpec, budget: i64) -> BotConfig {
    BotConfig::new(
        BotId::new("ev").unwrap(),
        vec![btcusdt()],
        Decimal::from(budget),
        spec,
    )
}

fn crossover(fast: i64, slow: i64) -> StrategySpec {
    spec("crossover", |p| {
        p.set("fast", fast).set("slow", slow);
    })
}

fn run_btc(config: &EventConfig, bars: &[Bar]) -> Result<EventRun, EventError> {
    let history = History::single(btcusdt().symbol, bars)?;
    run(&Registry::builtin(), config, &history)
}

/// The books of a run agree: the engine's final equity is the budget plus the P&L of
/// every trade (open ones at the last close), the curve ends there, every quote fee is in
/// some trade, and every fee is its rate times the notional.
fn assert_books(run: &EventRun, budget: f64) {
    let pnl: f64 = run.result.trades.iter().map(|t| t.pnl).sum();
    let equity = to_f64(run.final_equity);
    assert!(
        (equity - (budget + pnl)).abs() < 1e-6 * budget,
        "equity {equity} but budget + trade P&L = {}",
        budget + pnl
    );
    // The curve is computed in f64 (analytics): it ends at the decimal equity to f64
    // rounding.
    let curve_end = run.result.equity.equity.last().copied().unwrap_or(f64::NAN);
    assert!(
        (curve_end - equity).abs() <= 1e-12 * equity.abs(),
        "curve ends at {curve_end}, equity {equity}"
    );
    let wallet = &run.wallet;
    let positions = run.final_equity - wallet.cash() - wallet.profit_reserve();
    assert!(positions >= Decimal::ZERO);
    let fee_total: Decimal = run.fills.iter().map(|f| f.fill.fee).sum();
    let charged = wallet
        .fees()
        .get(&btcusdt().quote)
        .copied()
        .unwrap_or_default();
    assert_eq!(fee_total, charged, "every fill's fee is in the wallet");
    let traded_fees: f64 = run.result.trades.iter().map(|t| t.fees).sum();
    assert!((traded_fees - to_f64(fee_total)).abs() < 1e-9 * budget.max(1.0));
    for record in &run.fills {
        let f = &record.fill;
        let rate = if f.is_maker {
            btcusdt().maker_fee
        } else {
            btcusdt().taker_fee
        };
        assert_eq!(f.fee, rate * f.price * f.quantity, "fee of {}", f.trade_id);
    }
}

#[test]
fn inputs_are_checked_and_errors_name_them() {
    let bars = synthetic(1, 50);
    let config = EventConfig::new(bot(crossover(3, 8), 1_000));
    let registry = Registry::builtin();
    let btc = btcusdt().symbol;
    let err = |history: Result<History<'_>, EventError>| match history {
        Ok(h) => run(&registry, &config, &h).unwrap_err().to_string(),
        Err(e) => e.to_string(),
    };
    assert_eq!(
        err(History::new(Vec::<(Symbol, Cow<'_, [Bar]>)>::new())),
        "no bars given: an event run needs at least one symbol's bars"
    );
    assert_eq!(
        err(History::single(btc.clone(), &[])),
        "no bars for BTCUSDT"
    );
    let mut unsorted = bars.clone();
    unsorted.swap(3, 4);
    assert_eq!(
        err(History::single(btc.clone(), &unsorted)),
        format!(
            "bar 4 of BTCUSDT at {} does not come after the previous bar at {}",
            bars[3].ts.0, bars[4].ts.0
        )
    );
    let mut broken = bars.clone();
    broken[7].high = broken[7].low - 1.0;
    assert!(err(History::single(btc.clone(), &broken)).starts_with("bar 7 of BTCUSDT: "));
    let eth = ethusdt().symbol;
    let mut shifted = bars.clone();
    shifted[10].ts.0 += 1;
    let two = History::new([
        (btc.clone(), Cow::Borrowed(&bars[..])),
        (eth.clone(), Cow::Borrowed(&shifted[..])),
    ]);
    assert_eq!(
        err(two),
        format!(
            "bars of ETHUSDT are not aligned with BTCUSDT: row 10 is at {} where BTCUSDT has {}",
            shifted[10].ts.0, bars[10].ts.0
        )
    );
    let short = History::new([
        (btc.clone(), Cow::Borrowed(&bars[..])),
        (eth.clone(), Cow::Borrowed(&bars[..40])),
    ]);
    assert!(err(short).ends_with("row 40 is at no bar where BTCUSDT has 1704069600000"));
    // Bars for a symbol the bot does not trade, or none for one it does.
    let eth_only = History::single(eth.clone(), &bars);
    assert_eq!(
        err(eth_only),
        "bars for ETHUSDT, which is not one of the bot's instruments"
    );
    let mut two_instruments = config.clone();
    two_instruments.bot.instruments.push(ethusdt());
    let btc_only = History::single(btc.clone(), &bars).unwrap();
    assert_eq!(
        run(&registry, &two_instruments, &btc_only)
            .unwrap_err()
            .to_string(),
        "the bot trades ETHUSDT but no bars were given for it"
    );
    // Unknown strategies and bad parameters.
    let unknown = EventConfig::new(bot(spec("nope", |_| {}), 1_000));
    let msg = run(&registry, &unknown, &btc_only).unwrap_err().to_string();
    assert!(
        msg.starts_with("strategy: unknown strategy \"nope\""),
        "{msg}"
    );
    let bad = EventConfig::new(bot(crossover(30, 10), 1_000));
    let msg = run(&registry, &bad, &btc_only).unwrap_err().to_string();
    assert!(
        msg.contains("parameter `fast` = 30 must be less than slow (10)"),
        "{msg}"
    );
    let bad_exchange = EventConfig {
        exchange: SimConfig {
            volume_cap: Some(0.0),
            ..SimConfig::default()
        },
        ..config.clone()
    };
    let msg = run(&registry, &bad_exchange, &btc_only)
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with(
            "simulated exchange: invalid simulated exchange setup: exchange.volume_cap"
        ),
        "{msg}"
    );
}

#[test]
fn frames_from_vela_data_replay_like_their_bars() {
    let frame = generate(&GeneratorSpec::new(3, 400)).unwrap();
    let config = EventConfig::new(bot(crossover(5, 20), 10_000));
    let from_frame = History::from_frames([(btcusdt().symbol, &frame)]).unwrap();
    let bars = frame.bars();
    let a = run(&Registry::builtin(), &config, &from_frame).unwrap();
    let b = run_btc(&config, &bars).unwrap();
    assert_eq!(a, b);
    assert!(!a.result.trades.is_empty());
    let mut bad = frame.clone();
    bad.close.pop();
    let err = History::from_frames([(btcusdt().symbol, &bad)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bar frame of BTCUSDT: bar column close has 399 rows, ts has 400"
    );
}

#[test]
fn the_same_run_twice_gives_identical_results() {
    let bars = synthetic(11, 3_000);
    let config = EventConfig {
        exchange: SimConfig {
            volume_cap: Some(0.02),
            slippage_bps: 5.0,
            ..SimConfig::default()
        },
        ..EventConfig::new(bot(crossover(5, 20), 50_000))
    };
    let first = run_btc(&config, &bars).unwrap();
    assert!(first.fills.iter().any(|f| f.partial));
    assert!(first.result.trades.len() > 3);
    assert_eq!(first, run_btc(&config, &bars).unwrap());
}

#[test]
fn the_equity_curve_has_a_point_per_bar_at_its_close() {
    let bars = synthetic(5, 600);
    let config = EventConfig::new(bot(crossover(5, 20), 10_000));
    let run = run_btc(&config, &bars).unwrap();
    let curve = &run.result.equity;
    assert_eq!(curve.ts.len(), bars.len());
    assert_eq!(curve.ts[17], bars[17].ts.0);
    assert_eq!(curve.equity[0], 10_000.0);
    // While long, equity moves with the close: cash + quantity × close.
    let t = run
        .result
        .trades
        .iter()
        .find(|t| t.exit_bar > t.entry_bar + 1)
        .unwrap();
    let i = t.entry_bar + 1;
    let cash = curve.equity[t.entry_bar] - t.quantity * bars[t.entry_bar].close;
    let expected = cash + t.quantity * bars[i].close;
    assert!(
        (curve.equity[i] - expected).abs() < 1e-6,
        "{} vs {expected}",
        curve.equity[i]
    );
    assert!(curve.exposure[i] > 0.9 && curve.exposure[i] <= 1.0);
    assert_eq!(curve.exposure[0], 0.0);
}

#[test]
fn partial_fills_of_one_order_make_one_trade() {
    let bars = synthetic(21, 2_000);
    let config = EventConfig {
        exchange: SimConfig {
            volume_cap: Some(0.01),
            ..SimConfig::default()
        },
        ..EventConfig::new(bot(crossover(10, 30), 10_000))
    };
    let run = run_btc(&config, &bars).unwrap();
    assert_books(&run, 10_000.0);
    // Buys are the entries: one trade per entry order (all sells close whole positions).
    let buys: Vec<&FillRecord> = run
        .fills
        .iter()
        .filter(|f| f.fill.side == Side::Buy)
        .collect();
    let mut orders: Vec<&str> = buys.iter().map(|f| f.fill.client_id.as_str()).collect();
    orders.dedup();
    assert!(buys.len() > orders.len(), "the cap must split some entries");
    let trades = &run.result.trades;
    assert_eq!(trades.len(), orders.len());
    for (trade, order) in trades.iter().zip(&orders) {
        let parts: Vec<&&FillRecord> = buys
            .iter()
            .filter(|f| f.fill.client_id.as_str() == *order)
            .collect();
        let quantity: Decimal = parts.iter().map(|f| f.fill.quantity).sum();
        let value: Decimal = parts.iter().map(|f| f.fill.notional()).sum();
        assert_eq!(trade.entry_bar, parts[0].bar);
        assert!((trade.quantity - to_f64(quantity)).abs() < 1e-12);
        assert!((trade.entry_price - to_f64(value / quantity)).abs() < 1e-9);
    }
    // Each partial fill took at most 1 % of its bar's volume.
    for record in &run.fills {
        let cap = bars[record.bar].volume * 0.01;
        assert!(to_f64(record.fill.quantity) <= cap + 1e-12);
    }
    assert!(trades.iter().all(|t| t.exit_reason != ExitReason::StopLoss));
}

#[test]
fn this_close_fills_on_the_signal_bar() {
    let bars = testkit::random_walk(500, 100.0, 0.01, 3);
    let expected = parity::expected_fill_bars(
        &Registry::builtin(),
        &crossover(3, 9),
        &bars,
        FillTiming::ThisClose,
    )
    .unwrap()
    .unwrap();
    let run = run_btc(
        &EventConfig {
            exchange: SimConfig {
                timing: FillTiming::ThisClose,
                ..SimConfig::default()
            },
            ..EventConfig::new(bot(crossover(3, 9), 100_000))
        },
        &bars,
    )
    .unwrap();
    assert_eq!(parity::fill_bars(&run), expected);
    assert!(expected.len() > 4);
}
