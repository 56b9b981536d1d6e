//! Triangular arbitrage on constructed prices of BTCUSDT, ETHBTC and ETHUSDT.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::*;
use crate::engine::{BotConfig, BotId, Command, Engine, Event};
use crate::risk::DenyReason;
use crate::strategy::{Registry, StrategySpec};
use crate::testkit::{self, FeeAsset, Feed, InstantExchange};
use crate::types::{Asset, Instrument, OrderAmount, Side};

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

use crate::types::instrument::stubs::{ethbtc, ethusdt};

fn config(instruments: Vec<Instrument>) -> BotConfig {
    let mut params = Params::new();
    params.set("notional", 100.0).set("cooldown_ms", 0_i64);
    let mut config = BotConfig::new(
        BotId::new("arb").unwrap(),
        instruments,
        Decimal::from(1000),
        StrategySpec::new(NAME, params),
    );
    config.compound = true;
    config
}

fn triangle() -> Vec<Instrument> {
    vec![testkit::btcusdt(), ethbtc(), ethusdt()]
}

/// One minute of the three pairs at these prices.
fn minute(m: i64, btcusdt: f64, ethbtc: f64, ethusdt: f64) -> Vec<Feed> {
    [
        ("BTCUSDT", btcusdt),
        ("ETHBTC", ethbtc),
        ("ETHUSDT", ethusdt),
    ]
    .into_iter()
    .map(|(s, p)| Feed::Bar(Symbol::new(s).unwrap(), testkit::flat(m, p, 10.0)))
    .collect()
}

fn legs(out: &[Vec<Command>]) -> Vec<(String, Side, OrderAmount)> {
    testkit::submits(out)
        .into_iter()
        .map(|(_, o)| (o.symbol.to_string(), o.side, o.amount))
        .collect()
}

#[test]
fn a_forward_cycle_fires_three_legs_each_sized_from_the_last() {
    // Q → BTC → ETH → Q: 2,600 / (50,000 × 0.05) = 1.04, far above the fees.
    let feed = minute(1, 50_000.0, 0.05, 2_600.0);
    let registry = Registry::builtin();
    let mut engine = Engine::new(config(triangle()), &registry).unwrap();
    engine
        .on_event(&Event::control(Timestamp(0), crate::engine::Control::Start))
        .unwrap();
    let mut exchange = InstantExchange::new(FeeAsset::Received);
    let mut out = Vec::new();
    for input in &feed {
        let Feed::Bar(symbol, bar) = input else {
            unreachable!()
        };
        out.push(exchange.market_bar(&mut engine, symbol, *bar).unwrap());
    }
    assert_eq!(
        legs(&out),
        vec![
            // 100 / 1.0005 rounded down: room for the taker fee.
            (
                "BTCUSDT".into(),
                Side::Buy,
                OrderAmount::Quote(dec("99.95"))
            ),
            // 0.001999 BTC bought, less its 0.05 % fee in BTC = 0.0019980005; / 1.0005.
            (
                "ETHBTC".into(),
                Side::Buy,
                OrderAmount::Quote(dec("0.001997"))
            ),
            // 0.0399 ETH bought, less its fee = 0.03988005, rounded down to 4 decimals.
            (
                "ETHUSDT".into(),
                Side::Sell,
                OrderAmount::Base(dec("0.0398"))
            ),
        ]
    );
    // 1000 − 99.95 + 0.0398 × 2600 × (1 − 0.0005).
    assert_eq!(engine.wallet().cash(), dec("1003.47826"));
    // Only rounding dust of the intermediate assets is left.
    assert_eq!(
        engine.wallet().held(&Asset::new("BTC").unwrap()),
        dec("0.0000030005")
    );
    assert_eq!(
        engine.wallet().held(&Asset::new("ETH").unwrap()),
        dec("0.00008005")
    );
}

#[test]
fn a_reverse_cycle_goes_the_other_way() {
    // Q → ETH → BTC → Q: 0.05 × 50,000 / 2,400 = 1.0417.
    let out = testkit::run_feed(
        &Registry::builtin(),
        config(triangle()),
        &minute(1, 50_000.0, 0.05, 2_400.0),
    )
    .unwrap();
    let sides: Vec<(String, Side)> = legs(&out)
        .into_iter()
        .map(|(s, side, _)| (s, side))
        .collect();
    assert_eq!(
        sides,
        vec![
            ("ETHUSDT".into(), Side::Buy),
            ("ETHBTC".into(), Side::Sell),
            ("BTCUSDT".into(), Side::Sell)
        ]
    );
}

#[test]
fn no_cycle_without_an_edge_beyond_fees_and_threshold() {
    let registry = Registry::builtin();
    // Exactly at parity, and just under the hurdle (1.0005³ × 1.001 ≈ 1.0025).
    for ethusdt_price in [2_500.0, 2_506.0] {
        let out = testkit::run_feed(
            &registry,
            config(triangle()),
            &minute(1, 50_000.0, 0.05, ethusdt_price),
        )
        .unwrap();
        assert!(
            testkit::submits(&out).is_empty(),
            "fired at {ethusdt_price}"
        );
    }
    // Just over it.
    let out = testkit::run_feed(
        &registry,
        config(triangle()),
        &minute(1, 50_000.0, 0.05, 2_507.0),
    )
    .unwrap();
    assert_eq!(testkit::submits(&out).len(), 3);
}

#[test]
fn stale_prices_do_not_fire() {
    // ETHBTC's price is ten minutes old when the others show the edge.
    let mut feed = vec![Feed::Bar(
        Symbol::new("ETHBTC").unwrap(),
        testkit::flat(1, 0.05, 10.0),
    )];
    feed.push(Feed::Bar(
        testkit::symbol(),
        testkit::flat(11, 50_000.0, 10.0),
    ));
    feed.push(Feed::Bar(
        Symbol::new("ETHUSDT").unwrap(),
        testkit::flat(11, 2_600.0, 10.0),
    ));
    let out = testkit::run_feed(&Registry::builtin(), config(triangle()), &feed).unwrap();
    assert!(testkit::submits(&out).is_empty());
}

#[test]
fn a_leg_that_cannot_be_placed_is_unwound_back_to_the_budget_asset() {
    let mut small_ethbtc = ethbtc();
    small_ethbtc.min_notional = dec("1"); // 1 BTC: the second leg is denied.
    let instruments = vec![testkit::btcusdt(), small_ethbtc, ethusdt()];
    let mut feed = minute(1, 50_000.0, 0.05, 2_600.0);
    feed.extend(minute(2, 50_000.0, 0.05, 2_500.0));
    let out = testkit::run_feed(&Registry::builtin(), config(instruments), &feed).unwrap();
    let denied: Vec<DenyReason> = out
        .iter()
        .flatten()
        .filter_map(|c| {
            if let Command::Denied(d) = c {
                Some(d.reason)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(denied, vec![DenyReason::BelowMinNotional]);
    let sent = legs(&out);
    assert_eq!(sent.len(), 2);
    // The BTC the first leg bought (0.0019980005) is sold back, rounded down to 6 decimals.
    assert_eq!(
        sent[1],
        (
            "BTCUSDT".into(),
            Side::Sell,
            OrderAmount::Base(dec("0.001998"))
        )
    );
}

#[test]
fn a_bot_without_a_triangle_never_trades() {
    let feed: Vec<Feed> = testkit::random_walk(50, 100.0, 0.01, 1)
        .into_iter()
        .map(Feed::btc)
        .collect();
    let out = testkit::run_feed(
        &Registry::builtin(),
        config(vec![testkit::btcusdt()]),
        &feed,
    )
    .unwrap();
    assert!(testkit::submits(&out).is_empty());
}

#[test]
fn decisions_do_not_look_ahead() {
    // Prices wander around parity; every few minutes ETHUSDT jumps and opens an edge.
    let mut feed = Vec::new();
    for m in 0..120 {
        let wobble = f64::from(i32::try_from(m % 7).unwrap()) - 3.0;
        let eth = if m % 9 == 0 {
            2_560.0
        } else {
            2_500.0 + wobble
        };
        feed.extend(minute(m, 50_000.0 + 10.0 * wobble, 0.05, eth));
    }
    let registry = Registry::builtin();
    let out = testkit::run_feed(&registry, config(triangle()), &feed).unwrap();
    assert!(testkit::submits(&out).len() >= 30, "the series must trade");
    testkit::assert_no_lookahead(
        &registry,
        &config(triangle()),
        &feed,
        &testkit::cuts(feed.len(), 8, 5),
    );
}

#[test]
fn bad_parameters_name_the_parameter() {
    let registry = Registry::builtin();
    for (name, value, rule) in [
        ("threshold", -0.1, "must be at least 0"),
        ("notional", 0.0, "must be at least 1"),
    ] {
        let mut params = Params::new();
        params.set(name, value);
        let err = registry
            .build(&StrategySpec::new(NAME, params))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("parameter `{name}`")) && err.contains(rule),
            "{err}"
        );
    }
}

#[test]
fn a_cross_pair_needs_its_quote_priced_in_the_budget_asset() {
    // ETHBTC in a USDT bot without BTCUSDT: its BTC could not be valued.
    let err = Engine::new(config(vec![ethusdt(), ethbtc()]), &Registry::builtin())
        .unwrap_err()
        .to_string();
    assert!(err.contains("instruments[1].quote"), "{err}");
}
