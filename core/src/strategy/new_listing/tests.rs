use rust_decimal::Decimal;

use super::*;
use crate::engine::{BotConfig, BotId, Command};
use crate::strategy::{ParamValue, Registry, StrategySpec};
use crate::testkit::{self, Feed};
use crate::types::{Asset, Instrument};

/// NEWUSDT: 4 price and 2 quantity decimals, 0.01 minimum quantity, 1 USDT minimum
/// notional, MEXC's default fees.
fn newusdt() -> Instrument {
    Instrument {
        symbol: new_symbol(),
        base: Asset::new("NEW").unwrap(),
        quote: Asset::new("USDT").unwrap(),
        price_precision: 4,
        quantity_precision: 2,
        min_quantity: Decimal::new(1, 2),
        min_notional: Decimal::ONE,
        maker_fee: Decimal::ZERO,
        taker_fee: Decimal::new(5, 4),
        api_trading_allowed: true,
    }
}

fn new_symbol() -> Symbol {
    Symbol::new("NEWUSDT").unwrap()
}

/// Test parameters: grace 60 minutes, 5 settle bars, quote volume ≥ 10 000, volatility in
/// [0.002, 0.05], stop 10 %, time exit after 10 bars, half the capital per entry.
fn test_params(extra: &[(&str, ParamValue)]) -> Params {
    let mut p = Params::new();
    p.set("listing_grace_minutes", 60_i64)
        .set("settle_bars", 5_i64)
        .set("min_quote_volume", 10_000.0)
        .set("min_volatility", 0.002)
        .set("max_volatility", 0.05)
        .set("stop_pct", 0.1)
        .set("max_hold_bars", 10_i64)
        .set("order_size", 0.5);
    for (name, value) in extra {
        p.set(name, value.clone());
    }
    p
}

fn config(p: Params) -> BotConfig {
    BotConfig::new(
        BotId::new("t").unwrap(),
        vec![testkit::btcusdt(), newusdt()],
        Decimal::from(10_000),
        StrategySpec::new(NAME, p),
    )
}

/// BTCUSDT bars every minute of `0..minutes` (a random walk), and NEWUSDT bars
/// `(close, volume)` from minute `listed` on, interleaved by time (BTC first).
fn feed(minutes: usize, listed: i64, new_bars: &[(f64, f64)]) -> Vec<Feed> {
    let btc = testkit::random_walk(minutes, 100.0, 0.003, 4);
    let mut feed = Vec::new();
    for bar in btc {
        let minute = bar.ts.millis() / MINUTE_MS;
        feed.push(Feed::btc(bar));
        if let Some(&(close, volume)) = usize::try_from(minute - listed)
            .ok()
            .and_then(|i| new_bars.get(i))
        {
            feed.push(Feed::Bar(
                new_symbol(),
                testkit::flat(minute, close, volume),
            ));
        }
    }
    feed
}

/// Settle bars that pass the filters: closes 2.00/2.02 alternating (one-bar returns of
/// about ±1 %, std 0.00995), volume 10 000 (quote volume about 20 000).
fn settling() -> Vec<(f64, f64)> {
    vec![
        (2.0, 10_000.0),
        (2.02, 10_000.0),
        (2.0, 10_000.0),
        (2.02, 10_000.0),
        (2.0, 10_000.0),
    ]
}

/// `(minute, symbol, side)` of every order submitted.
fn orders(out: &[Vec<Command>]) -> Vec<(i64, String, Side)> {
    testkit::submits(out)
        .into_iter()
        .map(|(_, o)| (o.ts.millis() / MINUTE_MS, o.symbol.to_string(), o.side))
        .collect()
}

fn run(p: Params, feed: &[Feed]) -> Vec<(i64, String, Side)> {
    let out = testkit::run_feed(&Registry::builtin(), config(p), feed).unwrap();
    orders(&out)
}

fn new(minute: i64, side: Side) -> (i64, String, Side) {
    (minute, "NEWUSDT".to_owned(), side)
}

#[test]
fn settle_stats_are_the_mean_quote_volume_and_the_return_deviation() {
    let closes = [2.0, 2.02, 2.0, 2.02, 2.0];
    let quote: Vec<f64> = closes.iter().map(|c| c * 10_000.0).collect();
    let (mean_quote, volatility) = settle_stats(&closes, &quote).unwrap();
    assert!((mean_quote - 20_080.0).abs() < 1e-9, "{mean_quote}");
    // Returns 0.01, −0.0099.., 0.01, −0.0099..: population std by hand.
    let r: Vec<f64> = closes.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
    let mean = r.iter().sum::<f64>() / 4.0;
    let std = (r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 4.0).sqrt();
    assert!((volatility - std).abs() < 1e-15, "{volatility} vs {std}");
    assert!((volatility - 0.009_950).abs() < 1e-5, "{volatility}");
}

#[test]
fn a_new_listing_is_entered_on_the_bar_after_settling_and_left_by_time() {
    // NEWUSDT lists at minute 100: settle bars 100-104, entry on 105 (close 2.0), time
    // exit 10 bars later at 115. It keeps trading to minute 139: no second entry.
    let mut bars = settling();
    bars.extend(vec![(2.0, 10_000.0); 35]);
    let orders = run(test_params(&[]), &feed(140, 100, &bars));
    assert_eq!(orders, vec![new(105, Side::Buy), new(115, Side::Sell)]);
}

#[test]
fn btcusdt_present_from_the_start_is_never_traded() {
    // Even with BTCUSDT alone and volatile enough, nothing is bought.
    let mut bars = settling();
    bars.extend(vec![(2.0, 10_000.0); 20]);
    let p = test_params(&[
        ("min_quote_volume", 0.0.into()),
        ("min_volatility", 0.0.into()),
    ]);
    let orders = run(p, &feed(200, 100, &bars));
    assert!(orders.iter().all(|o| o.1 == "NEWUSDT"), "{orders:?}");
    assert_eq!(orders.len(), 2);
}

#[test]
fn a_symbol_listed_within_the_grace_period_is_not_new() {
    // First bar exactly 60 minutes after the first event: within the grace, never traded.
    // One minute later: new.
    let mut bars = settling();
    bars.extend(vec![(2.0, 10_000.0); 20]);
    assert_eq!(run(test_params(&[]), &feed(100, 60, &bars)), vec![]);
    assert_eq!(
        run(test_params(&[]), &feed(100, 61, &bars)),
        vec![new(66, Side::Buy), new(76, Side::Sell)]
    );
}

#[test]
fn the_hard_stop_exits_on_the_first_close_at_or_below_it() {
    // Entry at 2.0 (minute 105); stop at 1.8. Closes 1.9 (106), 1.8001 (107) stay in;
    // 1.8 (108) exits.
    let mut bars = settling();
    bars.extend([
        (2.0, 10_000.0),
        (1.9, 10_000.0),
        (1.8001, 10_000.0),
        (1.8, 10_000.0),
        (1.7, 10_000.0),
        (1.7, 10_000.0),
    ]);
    bars.extend(vec![(1.75, 10_000.0); 20]);
    assert_eq!(
        run(test_params(&[]), &feed(140, 100, &bars)),
        vec![new(105, Side::Buy), new(108, Side::Sell)]
    );
}

#[test]
fn each_failing_filter_prevents_the_entry() {
    let after = vec![(2.0, 10_000.0); 20];
    let with = |settle: Vec<(f64, f64)>| {
        let mut bars = settle;
        bars.extend(after.iter().copied());
        run(test_params(&[]), &feed(140, 100, &bars))
    };
    // Illiquid: mean quote volume about 2 008 < 10 000.
    let thin: Vec<(f64, f64)> = settling().iter().map(|&(c, _)| (c, 1_000.0)).collect();
    assert_eq!(with(thin), vec![]);
    // Too calm: flat closes, volatility 0 < 0.002.
    assert_eq!(with(vec![(2.0, 10_000.0); 5]), vec![]);
    // Too wild: 2.0/2.4 alternating, returns +20 % / −16.7 %, volatility 0.18 > 0.05.
    let wild: Vec<(f64, f64)> = [2.0, 2.4, 2.0, 2.4, 2.0]
        .iter()
        .map(|&c| (c, 10_000.0))
        .collect();
    assert_eq!(with(wild), vec![]);
    // The control: the passing settle period enters.
    assert_eq!(
        with(settling()),
        vec![new(105, Side::Buy), new(115, Side::Sell)]
    );
    // The liquidity bound is inclusive: mean quote volume 20 080 passes at 20 080.
    let p = test_params(&[("min_quote_volume", 20_080.0.into())]);
    let mut bars = settling();
    bars.extend(after.iter().copied());
    assert_eq!(run(p, &feed(140, 100, &bars)).len(), 2);
    let p = test_params(&[("min_quote_volume", 20_081.0.into())]);
    assert_eq!(run(p, &feed(140, 100, &bars)), vec![]);
}

#[test]
fn the_entry_uses_half_the_capital_and_the_exit_sells_everything() {
    let mut bars = settling();
    bars.extend(vec![(2.0, 10_000.0); 20]);
    let out = testkit::run_feed(
        &Registry::builtin(),
        config(test_params(&[])),
        &feed(140, 100, &bars),
    )
    .unwrap();
    let submitted = testkit::submits(&out);
    assert_eq!(submitted.len(), 2);
    // 5 000 USDT less room for the fee (to 4 price decimals): 4 997.5012 buys 2 498.75 NEW
    // (2 497.500625 after the fee in NEW); the exit sells the 2 497.50 that can be sold.
    assert_eq!(
        submitted[0].1.amount,
        crate::types::OrderAmount::Quote(Decimal::new(49_975_012, 4))
    );
    assert_eq!(
        submitted[1].1.amount,
        crate::types::OrderAmount::Base(Decimal::new(249_750, 2))
    );
}

#[test]
fn decisions_do_not_look_ahead() {
    let registry = Registry::builtin();
    // Entry at 105 (2.0), a rise, then a fall to the stop (1.8) at 111.
    let mut bars = settling();
    bars.extend([(2.0, 10_000.0), (2.05, 10_000.0), (2.1, 10_000.0)]);
    bars.extend([(2.0, 10_000.0), (1.95, 10_000.0), (1.9, 10_000.0)]);
    bars.extend([(1.8, 10_000.0), (1.85, 10_000.0)]);
    bars.extend(vec![(1.9, 10_000.0); 30]);
    let feed = feed(160, 100, &bars);
    let config = config(test_params(&[]));
    let out = testkit::run_feed(&registry, config.clone(), &feed).unwrap();
    assert_eq!(
        orders(&out),
        vec![new(105, Side::Buy), new(111, Side::Sell)]
    );
    let mut cuts = testkit::cuts(feed.len(), 8, 29);
    // Cuts around the entry and the exit too.
    let index_of = |minute: i64| {
        feed.iter()
            .position(|f| matches!(f, Feed::Bar(s, b) if *s == new_symbol() && b.ts.millis() == minute * MINUTE_MS))
            .unwrap()
    };
    cuts.extend([index_of(105), index_of(105) + 1, index_of(111) + 1]);
    testkit::assert_no_lookahead(&registry, &config, &feed, &cuts);
}

#[test]
fn bad_parameters_name_the_parameter_and_the_rule() {
    let registry = Registry::builtin();
    let cases: [(Params, &str); 5] = [
        (
            test_params(&[("min_volatility", 0.1.into())]),
            "parameter `min_volatility` = 0.1 must be at most max_volatility (0.05)",
        ),
        (
            test_params(&[("settle_bars", 2_i64.into())]),
            "parameter `settle_bars` = 2 must be at least 3",
        ),
        (
            test_params(&[("stop_pct", 0.0.into())]),
            "parameter `stop_pct` = 0 must be at least 0.001",
        ),
        (
            test_params(&[("listing_grace_minutes", (-1_i64).into())]),
            "parameter `listing_grace_minutes` = -1 must be at least 0",
        ),
        (
            test_params(&[("order_size", 1.5.into())]),
            "parameter `order_size` = 1.5 must be at most 1",
        ),
    ];
    for (p, expected) in cases {
        let err = registry
            .build(&StrategySpec::new(NAME, p))
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{err} does not contain {expected}");
        assert!(err.starts_with("strategy new_listing:"), "{err}");
    }
    let defaults = registry
        .resolve(&StrategySpec::new(NAME, Params::new()))
        .unwrap();
    assert!(NewListing::new(&defaults).is_ok());
}
