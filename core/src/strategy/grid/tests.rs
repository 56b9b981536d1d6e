use std::str::FromStr;

use rust_decimal::Decimal;

use super::*;
use crate::engine::{BotConfig, Command, Control, Engine, Event, OrderReport};
use crate::strategy::{ParamValue, Registry, StrategySpec};
use crate::testkit::{self, FeeAsset, Feed, InstantExchange};
use crate::types::{OrderAmount, OrderRequest};

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn spec(pairs: &[(&str, ParamValue)]) -> StrategySpec {
    let mut params = Params::new();
    for (name, value) in pairs {
        params.set(name, value.clone());
    }
    StrategySpec::new(NAME, params)
}

/// A run driven bar by bar, with what the tests look at.
struct Run {
    engine: Engine,
    exchange: InstantExchange,
    out: Vec<Vec<Command>>,
    /// The largest sum of open buy notional (quantity × limit) seen after any bar.
    max_open_buys: Decimal,
}

impl Run {
    fn fills(&self, side: Side) -> Vec<Fill> {
        self.exchange
            .fed
            .iter()
            .filter_map(|e| match e {
                Event::Order(OrderReport::Filled { fill, .. }) if fill.side == side => {
                    Some(fill.clone())
                }
                _ => None,
            })
            .collect()
    }

    fn count(&self, what: impl Fn(&Command) -> bool) -> usize {
        self.out.iter().flatten().filter(|c| what(c)).count()
    }

    fn denials(&self) -> usize {
        self.count(|c| matches!(c, Command::Denied(_)))
    }

    fn cancel_alls(&self) -> usize {
        self.count(|c| matches!(c, Command::CancelAll { .. }))
    }
}

fn open_buy_notional(engine: &Engine) -> Decimal {
    engine
        .open_orders()
        .values()
        .filter(|o| o.request.side == Side::Buy)
        .map(|o| match (o.request.amount, o.request.price) {
            (OrderAmount::Base(q), Some(p)) => q * p,
            (OrderAmount::Quote(a), _) => a,
            (OrderAmount::Base(_), None) => Decimal::MAX,
        })
        .sum()
}

/// Runs `bars` through a fresh engine (started unless `start` is false) and an instant
/// exchange charging fees as `fees` says.
fn drive(config: BotConfig, bars: &[Bar], fees: FeeAsset, start: bool) -> Run {
    let mut engine = Engine::new(config, &Registry::builtin()).unwrap();
    if start {
        engine
            .on_event(&Event::control(bars[0].ts, Control::Start))
            .unwrap();
    }
    let mut exchange = InstantExchange::new(fees);
    let mut out = Vec::new();
    let mut max_open_buys = Decimal::ZERO;
    for bar in bars {
        out.push(exchange.bar(&mut engine, *bar).unwrap());
        max_open_buys = max_open_buys.max(open_buy_notional(&engine));
        assert!(
            engine.wallet().reserved() <= engine.wallet().cash(),
            "reserved beyond the capital at {}",
            bar.ts
        );
    }
    Run {
        engine,
        exchange,
        out,
        max_open_buys,
    }
}

/// `(side, price, amount)` of the orders sent on input `i`.
fn sent_on(out: &[Vec<Command>], i: usize) -> Vec<(Side, Option<Decimal>, OrderAmount)> {
    testkit::submits(out)
        .into_iter()
        .filter(|(j, _)| *j == i)
        .map(|(_, o): (usize, OrderRequest)| (o.side, o.price, o.amount))
        .collect()
}

/// A limit buy of `quote` at `price`: the gate sends it as base, `quote / (price × 1.0005)`
/// rounded down (room for the larger of the maker and taker fees).
fn buy(price: &str, quote: &str) -> (Side, Option<Decimal>, OrderAmount) {
    buy_at(dec(price), quote)
}

fn buy_at(price: Decimal, quote: &str) -> (Side, Option<Decimal>, OrderAmount) {
    let quantity = (dec(quote) / (price * dec("1.0005"))).trunc_with_scale(6);
    (Side::Buy, Some(price), OrderAmount::Base(quantity))
}

fn sell(price: &str, base: &str) -> (Side, Option<Decimal>, OrderAmount) {
    (Side::Sell, Some(dec(price)), OrderAmount::Base(dec(base)))
}

/// Closes of a sine around 100 with amplitude 10 and a 40-bar period, rounded to cents:
/// peaks at exactly 110.00 (bars 10, 50, 90, ...), troughs at 90.00 (bars 30, 70, ...).
fn sine_closes(n: usize) -> Vec<f64> {
    testkit::sine_bars(n, 100.0, 10.0, 40.0)
        .iter()
        .map(|b| (b.close * 100.0).round() / 100.0)
        .collect()
}

#[test]
fn defaults_resolve_and_build() {
    let registry = Registry::builtin();
    let resolved = registry.resolve(&spec(&[])).unwrap();
    assert_eq!(resolved.int(NAME, "levels"), Ok(10));
    assert_eq!(resolved.text(NAME, "spacing"), Ok("geometric"));
    assert_eq!(resolved.text(NAME, "range_mode"), Ok("high_low"));
    assert_eq!(resolved.int(NAME, "range_bars"), Ok(240));
    assert_eq!(resolved.int(NAME, "atr_period"), Ok(14));
    assert_eq!(resolved.float(NAME, "atr_mult"), Ok(3.0));
    assert_eq!(resolved.int(NAME, "recenter_after_bars"), Ok(60));
    assert!(registry.get(NAME).unwrap().signals.is_none());
    assert!(Grid::new(&resolved).is_ok());
}

#[test]
fn levels_are_spaced_and_rounded_to_the_price_step() {
    let btc = testkit::btcusdt();
    let arithmetic = grid_levels(90.0, 110.0, 5, Spacing::Arithmetic, &btc).unwrap();
    let expected: Vec<Decimal> = ["90", "95", "100", "105", "110"].map(dec).to_vec();
    assert_eq!(arithmetic, expected);
    // Equal ratios of 2^(1/4): 118.9207..., 141.4213..., 168.1792...
    let geometric = grid_levels(100.0, 200.0, 5, Spacing::Geometric, &btc).unwrap();
    let expected: Vec<Decimal> = ["100", "118.92", "141.42", "168.18", "200"]
        .map(dec)
        .to_vec();
    assert_eq!(geometric, expected);
    // Empty, inverted, non-positive, or too narrow for distinct cent prices.
    assert_eq!(
        grid_levels(100.0, 100.0, 5, Spacing::Arithmetic, &btc),
        None
    );
    assert_eq!(
        grid_levels(101.0, 100.0, 5, Spacing::Arithmetic, &btc),
        None
    );
    assert_eq!(grid_levels(0.0, 100.0, 5, Spacing::Geometric, &btc), None);
    assert_eq!(grid_levels(-5.0, 100.0, 5, Spacing::Arithmetic, &btc), None);
    assert_eq!(
        grid_levels(100.0, 100.05, 10, Spacing::Arithmetic, &btc),
        None
    );
    assert_eq!(
        grid_levels(f64::NAN, 100.0, 5, Spacing::Arithmetic, &btc),
        None
    );
}

/// The grid on a sine: range [90, 110] from the first period, 5 arithmetic levels
/// (90, 95, 100, 105, 110), 4 slots of 1000 / 4 = 250 USDT. Each trough-to-peak swing
/// fills every buy on the way down and every sell on the way up: 4 round trips per swing.
#[test]
fn sine_wave_completes_a_known_number_of_round_trips_with_a_known_profit() {
    let s = spec(&[
        ("levels", 5_i64.into()),
        ("spacing", "arithmetic".into()),
        ("range_bars", 40_i64.into()),
    ]);
    // Built on bar 39 (close 98.44); ends on the peak of bar 170 after troughs at 70, 110
    // and 150: three full swings.
    let bars = testkit::bars_from_closes(&sine_closes(171), 10.0);
    let mut config = testkit::bot(s, 1_000);
    config.compound = true;
    let run = drive(config, &bars, FeeAsset::Quote, true);
    // The build: buys at 95 then 90 (nearest first), nothing above the close.
    assert!(testkit::submits(&run.out).iter().all(|(i, _)| *i >= 39));
    assert_eq!(
        sent_on(&run.out, 39),
        vec![buy("95", "250"), buy("90", "250")]
    );
    // 100 and 105 are armed once the close rises above them.
    assert_eq!(sent_on(&run.out, 41), vec![buy("100", "250")]);
    assert_eq!(sent_on(&run.out, 44), vec![buy("105", "250")]);

    let buys = run.fills(Side::Buy);
    let sells = run.fills(Side::Sell);
    assert_eq!((buys.len(), sells.len()), (12, 12));
    let mut sold_at: Vec<Decimal> = sells.iter().map(|f| f.price).collect();
    sold_at.sort();
    let expected: Vec<Decimal> = ["95", "100", "105", "110"]
        .iter()
        .flat_map(|p| [dec(p); 3])
        .collect();
    assert_eq!(sold_at, expected);
    // Flat at the end, so the realized P&L is every trip's proceeds less its cost:
    // quantity = 250 / (buy × 1.0005) rounded down to 1e-6; 0.05 % fee in quote each way.
    assert_eq!(run.engine.wallet().held(&testkit::btc()), Decimal::ZERO);
    let fee = dec("0.0005");
    let per_swing: Decimal = [("90", "95"), ("95", "100"), ("100", "105"), ("105", "110")]
        .iter()
        .map(|(b, s)| {
            let (b, s) = (dec(b), dec(s));
            let q = (dec("250") / (b * (Decimal::ONE + fee))).trunc_with_scale(6);
            let cost = b * q + (b * q * fee).round_dp(8);
            let proceeds = s * q - (s * q * fee).round_dp(8);
            proceeds - cost
        })
        .sum();
    assert_eq!(run.engine.wallet().realized_pnl(), per_swing * dec("3"));
    assert_eq!(per_swing.round_dp(4), dec("50.4006"));
    // Never more open buys than the budget, and never a denial.
    assert!(run.max_open_buys <= dec("1000"), "{}", run.max_open_buys);
    assert_eq!(run.max_open_buys, dec("999.500005"));
    assert_eq!(run.denials(), 0);
}

/// Price falls out of a [95, 105] grid holding the 95 buy's inventory: after more than
/// `recenter_after_bars` bars outside, everything is canceled; the next bar rebuilds around
/// the price and offers the inventory at the new level above it, not at the old 100.
#[test]
fn recentre_keeps_the_inventory_and_offers_it_at_the_new_levels() {
    let s = spec(&[
        ("levels", 3_i64.into()),
        ("spacing", "arithmetic".into()),
        ("range_bars", 5_i64.into()),
        ("recenter_after_bars", 2_i64.into()),
    ]);
    let bars = vec![
        testkit::bar(0, 100.0, 105.0, 95.0, 100.0, 10.0),
        testkit::flat(1, 100.0, 10.0),
        testkit::flat(2, 100.0, 10.0),
        testkit::flat(3, 100.0, 10.0),
        testkit::flat(4, 100.0, 10.0), // build: levels 95, 100, 105
        testkit::bar(5, 100.0, 100.0, 94.0, 94.0, 10.0), // buy at 95 fills; outside 1
        testkit::flat(6, 93.0, 10.0),  // outside 2
        testkit::flat(7, 92.0, 10.0),  // outside 3 > 2: cancel everything
        testkit::flat(8, 92.0, 10.0),  // rebuild: range [92, 100], levels 92, 96, 100
        testkit::bar(9, 92.0, 97.0, 92.0, 97.0, 10.0), // the sell at 96 fills
    ];
    let run = drive(testkit::bot(s, 1_000), &bars, FeeAsset::Quote, true);
    assert_eq!(sent_on(&run.out, 4), vec![buy("95", "500")]);
    // 500 / (95 × 1.0005) = 5.2605276... BTC, offered one level up.
    assert_eq!(sent_on(&run.out, 5), vec![sell("100", "5.260527")]);
    assert!(sent_on(&run.out, 6).is_empty() && sent_on(&run.out, 7).is_empty());
    assert_eq!(
        run.out[6]
            .iter()
            .filter(|c| matches!(c, Command::CancelAll { .. }))
            .count(),
        0
    );
    assert_eq!(
        run.out[7]
            .iter()
            .filter(|c| matches!(c, Command::CancelAll { .. }))
            .count(),
        1
    );
    // The new grid: the inventory goes to the slot at the close (92 → sells at 96); no buy
    // (92 is not below the close, 96 is above it).
    assert_eq!(sent_on(&run.out, 8), vec![sell("96", "5.260527")]);
    // After the sale both buy levels below 97 are armed with the budget set at the rebuild:
    // available 1000 - 499.99994003 (the 95 buy with its fee) = 500.00005997, / 2 = 250.00.
    assert_eq!(
        sent_on(&run.out, 9),
        vec![buy("96", "250"), buy("92", "250")]
    );
    assert_eq!(run.fills(Side::Sell).len(), 1);
    assert_eq!(run.fills(Side::Sell)[0].price, dec("96"));
    assert_eq!(run.denials(), 0);
}

/// ATR mode: flat bars with a 2-wide true range give ATR 2, so the range is
/// close ± 3 × 2. A breakout above it re-centres the grid around the new price.
#[test]
fn atr_range_and_recentre_after_a_breakout() {
    let s = spec(&[
        ("levels", 5_i64.into()),
        ("spacing", "arithmetic".into()),
        ("range_mode", "atr".into()),
        ("recenter_after_bars", 2_i64.into()),
    ]);
    let mut bars: Vec<Bar> = (0..15)
        .map(|m| testkit::bar(m, 100.0, 101.0, 99.0, 100.0, 10.0))
        .collect();
    bars.extend((15..22).map(|m| testkit::bar(m, 110.0, 111.0, 109.0, 110.0, 10.0)));
    let run = drive(testkit::bot(s, 1_000), &bars, FeeAsset::Received, true);
    // ATR(14) is ready on bar 14 (14 true ranges): levels 94, 97, 100, 103, 106.
    assert!(testkit::submits(&run.out).iter().all(|(i, _)| *i >= 14));
    assert_eq!(
        sent_on(&run.out, 14),
        vec![buy("97", "250"), buy("94", "250")]
    );
    // 110 is outside on bars 15, 16, 17: the third is more than 2 bars, so cancel.
    assert_eq!(run.cancel_alls(), 1);
    assert_eq!(
        run.out[17]
            .iter()
            .filter(|c| matches!(c, Command::CancelAll { .. }))
            .count(),
        1
    );
    // Bar 18 rebuilds around 110 with the ATR of that bar.
    let mut atr = Atr::new(14).unwrap();
    let mut value = 0.0;
    for bar in &bars[..19] {
        value = atr.update(bar.high, bar.low, bar.close).unwrap_or(0.0);
    }
    let levels = grid_levels(
        110.0 - 3.0 * value,
        110.0 + 3.0 * value,
        5,
        Spacing::Arithmetic,
        &testkit::btcusdt(),
    )
    .unwrap();
    assert!(
        levels[1] < dec("110") && levels[2] == dec("110"),
        "{levels:?}"
    );
    // The budget is the capital (all free again) over the 4 slots.
    let sent = sent_on(&run.out, 18);
    assert_eq!(
        sent,
        vec![buy_at(levels[1], "250"), buy_at(levels[0], "250"),]
    );
    assert_eq!(run.fills(Side::Buy).len(), 0);
    assert_eq!(run.denials(), 0);
}

#[test]
fn empty_ranges_build_no_grid() {
    // Flat bars: the high/low range is a single price, and the ATR is zero.
    let bars: Vec<Bar> = (0..50).map(|m| testkit::flat(m, 100.0, 10.0)).collect();
    for mode in ["high_low", "atr"] {
        let s = spec(&[("range_mode", mode.into()), ("range_bars", 10_i64.into())]);
        let run = drive(testkit::bot(s, 1_000), &bars, FeeAsset::Received, true);
        assert!(testkit::submits(&run.out).is_empty(), "{mode}");
    }
    // A range of 5 cents cannot hold 10 distinct cent prices.
    let mut bars: Vec<Bar> = (0..20)
        .map(|m| testkit::bar(m, 100.0, 100.05, 100.0, 100.02, 10.0))
        .collect();
    let s = spec(&[("range_bars", 5_i64.into())]);
    let run = drive(
        testkit::bot(s.clone(), 1_000),
        &bars,
        FeeAsset::Received,
        true,
    );
    assert!(testkit::submits(&run.out).is_empty());
    // Once the range widens, the grid is built.
    bars.push(testkit::bar(20, 100.0, 103.0, 97.0, 101.0, 10.0));
    let run = drive(testkit::bot(s, 1_000), &bars, FeeAsset::Received, true);
    assert!(!sent_on(&run.out, 20).is_empty());
}

#[test]
fn denied_orders_are_retried_only_every_ten_bars() {
    // A running bot whose price band (0.1 % from the last price) denies the buy at 95.
    let s = spec(&[
        ("levels", 3_i64.into()),
        ("spacing", "arithmetic".into()),
        ("range_bars", 2_i64.into()),
    ]);
    let mut config = testkit::bot(s, 1_000);
    config.risk.price_band = Some(0.001);
    let bars: Vec<Bar> = (0..25)
        .map(|m| testkit::bar(m, 100.0, 105.0, 95.0, 100.0, 10.0))
        .collect();
    let run = drive(config, &bars, FeeAsset::Received, true);
    let denied_on: Vec<usize> = run
        .out
        .iter()
        .enumerate()
        .filter(|(_, c)| c.iter().any(|c| matches!(c, Command::Denied(_))))
        .map(|(i, _)| i)
        .collect();
    // Built on bar 1 (two bars of range): one buy at 95, denied; retried on bars 11, 21.
    assert_eq!(denied_on, vec![1, 11, 21]);
    assert_eq!(run.denials(), 3);
}

#[test]
fn a_bot_that_is_not_running_gets_no_grid_orders_until_it_starts() {
    let s = spec(&[
        ("levels", 3_i64.into()),
        ("spacing", "arithmetic".into()),
        ("range_bars", 2_i64.into()),
    ]);
    let bars: Vec<Bar> = (0..25)
        .map(|m| testkit::bar(m, 100.0, 105.0, 95.0, 100.0, 10.0))
        .collect();
    let run = drive(
        testkit::bot(s.clone(), 1_000),
        &bars,
        FeeAsset::Received,
        false,
    );
    assert_eq!((testkit::submits(&run.out).len(), run.denials()), (0, 0));
    // Started at bar 5: the grid built from the earlier bars places its buy at once.
    let mut engine = Engine::new(testkit::bot(s, 1_000), &Registry::builtin()).unwrap();
    let mut exchange = InstantExchange::new(FeeAsset::Received);
    let mut out = Vec::new();
    for (i, bar) in bars.iter().take(8).enumerate() {
        if i == 5 {
            engine
                .on_event(&Event::control(bar.ts, Control::Start))
                .unwrap();
        }
        out.push(exchange.bar(&mut engine, *bar).unwrap());
    }
    let sent = testkit::submits(&out);
    let (first_bar, first) = &sent[0];
    assert_eq!(
        (*first_bar, first.side, first.price),
        (5, Side::Buy, Some(dec("95")))
    );
}

#[test]
fn budget_is_respected_through_many_round_trips_and_recentres() {
    let s = spec(&[
        ("levels", 8_i64.into()),
        ("range_bars", 60_i64.into()),
        ("recenter_after_bars", 15_i64.into()),
    ]);
    let bars = testkit::random_walk(4_000, 100.0, 0.004, 21);
    let run = drive(testkit::bot(s, 1_000), &bars, FeeAsset::Received, true);
    let trips = run.fills(Side::Sell).len();
    assert!(trips >= 30, "only {trips} round trips");
    assert!(
        run.cancel_alls() >= 3,
        "only {} re-centres",
        run.cancel_alls()
    );
    assert!(run.max_open_buys <= dec("1000"), "{}", run.max_open_buys);
    assert!(run.max_open_buys > dec("400"), "{}", run.max_open_buys);
    assert_eq!(run.denials(), 0);
}

#[test]
fn real_bars_with_defaults_trade_within_the_budget() {
    let Some(bars) = testkit::real_btc_1m(5_000) else {
        return;
    };
    let run = drive(
        testkit::bot(spec(&[]), 1_000),
        &bars,
        FeeAsset::Received,
        true,
    );
    let trips = run.fills(Side::Sell).len();
    assert!(trips >= 10, "only {trips} round trips");
    assert!(run.max_open_buys <= dec("1000"), "{}", run.max_open_buys);
    assert_eq!(run.denials(), 0);
}

#[test]
fn decisions_do_not_look_ahead() {
    let registry = Registry::builtin();
    let feed: Vec<Feed> = testkit::random_walk(800, 100.0, 0.004, 9)
        .into_iter()
        .map(Feed::btc)
        .collect();
    let s = spec(&[
        ("levels", 6_i64.into()),
        ("range_bars", 30_i64.into()),
        ("recenter_after_bars", 10_i64.into()),
    ]);
    let config = testkit::bot(s, 1_000);
    let out = testkit::run_feed(&registry, config.clone(), &feed).unwrap();
    let sent = testkit::submits(&out);
    let sells = sent.iter().filter(|(_, o)| o.side == Side::Sell).count();
    assert!(
        sent.len() > 30 && sells > 10,
        "{} orders, {sells} sells",
        sent.len()
    );
    testkit::assert_no_lookahead(&registry, &config, &feed, &testkit::cuts(feed.len(), 8, 23));
}

#[test]
fn bad_parameters_name_the_parameter_and_the_rule() {
    let cases: [(&str, ParamValue, &str); 8] = [
        (
            "levels",
            1_i64.into(),
            "parameter `levels` = 1 must be at least 2",
        ),
        (
            "range_bars",
            1_i64.into(),
            "parameter `range_bars` = 1 must be at least 2",
        ),
        (
            "atr_mult",
            0.0.into(),
            "parameter `atr_mult` = 0 must be at least 0.1",
        ),
        (
            "atr_period",
            0_i64.into(),
            "parameter `atr_period` = 0 must be at least 1",
        ),
        (
            "recenter_after_bars",
            0_i64.into(),
            "parameter `recenter_after_bars` = 0 must be at least 1",
        ),
        (
            "spacing",
            "log".into(),
            "parameter `spacing` = \"log\" must be one of arithmetic, geometric",
        ),
        (
            "range_mode",
            "donchian".into(),
            "parameter `range_mode` = \"donchian\" must be one of high_low, atr",
        ),
        (
            "levels",
            2.5.into(),
            "parameter `levels` = 2.5 must be an integer",
        ),
    ];
    for (name, value, expected) in cases {
        let err = Registry::builtin()
            .build(&spec(&[(name, value)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{err} does not contain {expected}");
        assert!(err.starts_with("strategy grid: "), "{err}");
    }
}

/// With `compound = false` the wallet keeps the *net* realized profit out of the capital.
/// FIFO lot matching pairs the first sale of a swing (at 95) with the oldest lot (bought at
/// 105), booking a loss and later gains for what are profitable round trips; netting them
/// keeps the capital whole, so the grid completes the same 12 round trips as with
/// compounding, and the capital ends exactly at the budget with the profit in reserve.
#[test]
fn without_compounding_the_grid_keeps_its_capital_and_reserves_the_profit() {
    let s = spec(&[
        ("levels", 5_i64.into()),
        ("spacing", "arithmetic".into()),
        ("range_bars", 40_i64.into()),
    ]);
    let bars = testkit::bars_from_closes(&sine_closes(171), 10.0);
    let run = drive(testkit::bot(s, 1_000), &bars, FeeAsset::Quote, true);
    assert_eq!(run.fills(Side::Sell).len(), 12);
    let wallet = run.engine.wallet();
    assert!(wallet.held(&testkit::btc()).is_zero());
    assert_eq!(wallet.cash(), dec("1000"));
    assert_eq!(wallet.profit_reserve(), wallet.realized_pnl());
    assert!(wallet.realized_pnl() > Decimal::ZERO);
    assert_eq!(run.denials(), 0);
}

/// Two symbols: one grid each, each sized from half the capital available at its build.
#[test]
fn each_symbol_gets_its_own_grid_and_share_of_the_capital() {
    let btc = testkit::btcusdt();
    let mut eth = btc.clone();
    eth.symbol = Symbol::new("ETHUSDT").unwrap();
    eth.base = crate::types::Asset::new("ETH").unwrap();
    let s = spec(&[
        ("levels", 3_i64.into()),
        ("spacing", "arithmetic".into()),
        ("range_bars", 2_i64.into()),
    ]);
    let mut config = testkit::bot(s, 1_000);
    config.instruments = vec![btc.clone(), eth.clone()];
    let mut engine = Engine::new(config, &Registry::builtin()).unwrap();
    engine
        .on_event(&Event::control(crate::types::Timestamp(0), Control::Start))
        .unwrap();
    let mut exchange = InstantExchange::new(FeeAsset::Received);
    let mut sent = Vec::new();
    for m in 0..2 {
        for (symbol, mid) in [(&btc.symbol, 100.0), (&eth.symbol, 20.0)] {
            let bar = testkit::bar(m, mid, mid * 1.1, mid * 0.9, mid, 10.0);
            let out = exchange.market_bar(&mut engine, symbol, bar).unwrap();
            sent.extend(testkit::submits(&[out]).into_iter().map(|(_, o)| o));
        }
    }
    // BTC builds first: levels 90, 100, 110; 1000 / (2 slots × 2 symbols) = 250 per slot.
    assert_eq!(sent[0].symbol, btc.symbol);
    assert_eq!(
        (sent[0].side, sent[0].price, sent[0].amount),
        buy("90", "250")
    );
    // ETH: levels 18, 20, 22; what is left after BTC's reservation, over 4.
    let reserved = match sent[0].amount {
        OrderAmount::Base(q) => q * dec("90") * dec("1.0005"),
        OrderAmount::Quote(_) => unreachable!(),
    };
    let budget = ((dec("1000") - reserved) / dec("4")).trunc_with_scale(2);
    assert_eq!(sent[1].symbol, eth.symbol);
    assert_eq!(
        (sent[1].side, sent[1].price, sent[1].amount),
        buy_at(dec("18"), &budget.to_string())
    );
    assert_eq!(sent.len(), 2);
}
