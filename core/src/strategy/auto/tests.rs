use rust_decimal::Decimal;

use super::*;
use crate::engine::Command;
use crate::indicators;
use crate::strategy::params::ParamValue;
use crate::testkit::{self, Feed, action};
use crate::types::{OrderAmount, Side};

fn child(name: &str, pairs: &[(&str, ParamValue)]) -> ParamValue {
    let mut params = Params::new();
    for (k, v) in pairs {
        params.set(k, v.clone());
    }
    ParamValue::Strategy(Box::new(StrategySpec::new(name, params)))
}

fn auto(pairs: &[(&str, ParamValue)]) -> StrategySpec {
    let mut params = Params::new();
    for (k, v) in pairs {
        params.set(k, v.clone());
    }
    StrategySpec::new(NAME, params)
}

fn int(v: i64) -> ParamValue {
    ParamValue::Int(v)
}
fn float(v: f64) -> ParamValue {
    ParamValue::Float(v)
}
fn flag(v: bool) -> ParamValue {
    ParamValue::Bool(v)
}
fn text(v: &str) -> ParamValue {
    ParamValue::Text(v.to_owned())
}

/// Each regime on its own scripted child, told apart by name and by order size.
fn scripted_children() -> Vec<(&'static str, ParamValue)> {
    let base = |name: &str| child(name, &[("size_kind", text("base")), ("size", float(0.5))]);
    vec![
        (
            "trend_strategy",
            child(
                "scripted_b",
                &[("size_kind", text("quote")), ("size", float(100.0))],
            ),
        ),
        ("volume_strategy", base("scripted_c")),
        ("volatile_strategy", base("scripted_c")),
        ("range_strategy", base("scripted")),
    ]
}

/// Detection by the SMA(5) slope over 5 bars only (1% either way).
fn slope_only() -> Vec<(&'static str, ParamValue)> {
    vec![
        ("use_volatility", flag(false)),
        ("use_volume", flag(false)),
        ("trend_rule", text("slope")),
        ("slope_period", int(5)),
        ("slope_lookback", int(5)),
        ("slope_min", float(0.01)),
    ]
}

/// Flat at 100 for bars 0..=59, +2 a bar for 60..=99 (to 180), flat at 180 from 100 on.
/// With the SMA(5) slope over 5 bars the trend fires on bars 61..=105.
fn trend_then_range(n: usize) -> Vec<Bar> {
    let closes: Vec<f64> = (0..n)
        .map(|i| {
            let i = f64::from(u32::try_from(i).unwrap());
            if i < 60.0 {
                100.0
            } else if i < 100.0 {
                100.0 + 2.0 * (i - 59.0)
            } else {
                180.0
            }
        })
        .collect();
    testkit::bars_from_closes(&closes, action::NONE)
}

/// [`trend_then_range`] with a choppy range (180, 184, 180, 176, ...) from bar 100 on, with
/// up and down moves so that the ADX falls again (on a flat line, or a chop between two
/// fixed levels, Wilder's smoothing keeps +DI above a zero -DI and the ADX up).
fn trend_then_chop(n: usize) -> Vec<Bar> {
    let mut closes: Vec<f64> = trend_then_range(n).iter().map(|b| b.close).collect();
    for (i, close) in closes.iter_mut().enumerate().skip(100) {
        *close = [180.0, 184.0, 180.0, 176.0][i % 4];
    }
    testkit::bars_from_closes(&closes, action::NONE)
}

/// `(input index, from regime, to regime)` of every switch, with the child names checked.
fn switches(out: &[Vec<Command>]) -> Vec<(usize, String, String)> {
    let mut found = Vec::new();
    for (i, commands) in out.iter().enumerate() {
        for c in commands {
            if let Command::Rotated { reason, .. } = c {
                let regimes = reason
                    .split("regime ")
                    .nth(1)
                    .and_then(|r| r.split(',').next())
                    .unwrap();
                let (from, to) = regimes.split_once(" -> ").unwrap();
                found.push((i, from.to_owned(), to.to_owned()));
            }
        }
    }
    found
}

fn run(spec: &StrategySpec, bars: &[Bar]) -> Vec<Vec<Command>> {
    testkit::run_bars(
        &testkit::registry(),
        testkit::bot(spec.clone(), 1_000),
        bars,
    )
    .unwrap()
}

fn with(base: &[(&'static str, ParamValue)], more: &[(&'static str, ParamValue)]) -> StrategySpec {
    let mut all = base.to_vec();
    all.extend_from_slice(more);
    auto(&all)
}

#[test]
fn a_trend_then_a_range_switch_once_each_way_after_the_confirmation() {
    let mut bars = trend_then_range(160);
    for (i, code) in [
        (62, action::BUY),      // range child still active
        (63, action::BUY),      // the switching bar: the new child's intents are discarded
        (70, action::SELL_ALL), // trend child
        (71, action::BUY),      // trend child (quote size)
        (110, action::BUY),     // range child again
    ] {
        bars[i].volume = code;
    }
    let mut base = scripted_children();
    base.extend(slope_only());
    base.push(("confirm_bars", int(3)));
    let out = run(&with(&base, &[("flatten_on_switch", flag(false))]), &bars);
    // Fires from 61 on: the third bar is 63. Stops at 106: the third bar is 108.
    assert_eq!(
        switches(&out),
        vec![
            (63, "range".into(), "trend".into()),
            (108, "trend".into(), "range".into())
        ]
    );
    let rotated: Vec<(&str, &str)> = out
        .iter()
        .flatten()
        .filter_map(|c| match c {
            Command::Rotated { from, to, .. } => Some((from.as_str(), to.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        rotated,
        vec![("scripted", "scripted_b"), ("scripted_b", "scripted")]
    );
    let orders: Vec<(usize, Side, OrderAmount)> = testkit::submits(&out)
        .into_iter()
        .map(|(i, o)| (i, o.side, o.amount))
        .collect();
    // The range child buys 0.5 BTC (a market buy of a base quantity is sent as its quote
    // value: 0.5 * 106 and 0.5 * 180, the fee reserved on top), the trend child 100 USDT
    // (a budget: 100 / 1.0005). The sell offers what is held: 0.5 less the 0.05 % fee.
    let quote = |cents| OrderAmount::Quote(Decimal::new(cents, 2));
    assert_eq!(
        orders,
        vec![
            (62, Side::Buy, quote(5_300)),
            (70, Side::Sell, OrderAmount::Base(Decimal::new(499_750, 6))),
            (71, Side::Buy, quote(9_995)),
            (110, Side::Buy, quote(9_000)),
        ]
    );

    // Flattening sells the position at both switches; the trend child's sell at 70 then
    // has nothing to sell.
    let out = run(&with(&base, &[("flatten_on_switch", flag(true))]), &bars);
    let orders: Vec<(usize, Side)> = testkit::submits(&out)
        .into_iter()
        .map(|(i, o)| (i, o.side))
        .collect();
    assert_eq!(
        orders,
        vec![
            (62, Side::Buy),
            (63, Side::Sell),
            (71, Side::Buy),
            (108, Side::Sell),
            (110, Side::Buy)
        ]
    );
    assert_eq!(switches(&out).len(), 2);
}

#[test]
fn a_falling_trend_is_a_trend_too() {
    // The mirror image of the trend series (down 2 a bar from 100 to 20): the slope counts
    // either way. It fires from bar 61 (-1.2%) as before; at the low prices of the end the
    // same 2-a-bar steps are larger shares, so it fires until bar 107 (SMA 20 against 20.4,
    // -2%) and the switch back comes at 110.
    let closes: Vec<f64> = trend_then_range(160)
        .iter()
        .map(|b| 200.0 - b.close)
        .collect();
    let bars = testkit::bars_from_closes(&closes, action::NONE);
    let mut base = scripted_children();
    base.extend(slope_only());
    base.push(("confirm_bars", int(3)));
    let at: Vec<usize> = switches(&run(&auto(&base), &bars))
        .into_iter()
        .map(|(i, _, _)| i)
        .collect();
    assert_eq!(at, vec![63, 110]);
}

#[test]
fn flattening_cancels_the_resting_orders_of_the_old_child() {
    // The range child rests a limit buy 1% below the close at bar 62; the price only rises.
    let mut bars = trend_then_range(70);
    bars[62].volume = action::BUY;
    let mut base = slope_only();
    base.extend([
        (
            "range_strategy",
            child("scripted", &[("offset", float(0.01))]),
        ),
        ("trend_strategy", child("scripted_b", &[])),
        ("confirm_bars", int(3)),
    ]);
    for flatten in [true, false] {
        let out = run(&with(&base, &[("flatten_on_switch", flag(flatten))]), &bars);
        assert_eq!(testkit::submits(&out).len(), 1);
        let cancels = out
            .iter()
            .map(|c| {
                c.iter()
                    .filter(|c| matches!(c, Command::CancelAll { .. }))
                    .count()
            })
            .collect::<Vec<_>>();
        let expected = usize::from(flatten);
        assert_eq!(cancels[63], expected, "flatten {flatten}");
        assert_eq!(cancels.iter().sum::<usize>(), expected, "flatten {flatten}");
    }
}

#[test]
fn the_adx_rule_switches_where_the_slice_adx_says() {
    let bars = trend_then_chop(200);
    let series = crate::strategy::BarSeries::from_bars(&bars);
    let adx = indicators::adx(&series.high, &series.low, &series.close, 5)
        .unwrap()
        .adx;
    // Independent replay of the confirmation over the slice ADX.
    let (mut active, mut count, mut expected) = (false, 0, Vec::new());
    for (i, v) in adx.iter().enumerate() {
        let detected = *v >= 30.0;
        count = if detected == active { 0 } else { count + 1 };
        if count >= 2 {
            active = detected;
            count = 0;
            expected.push(i);
        }
    }
    let mut base = scripted_children();
    base.extend([
        ("use_volatility", flag(false)),
        ("use_volume", flag(false)),
        ("trend_rule", text("adx")),
        ("adx_period", int(5)),
        ("adx_trend", float(30.0)),
        ("confirm_bars", int(2)),
    ]);
    let got: Vec<usize> = switches(&run(&auto(&base), &bars))
        .into_iter()
        .map(|(i, _, _)| i)
        .collect();
    assert_eq!(got, expected);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!((60..100).contains(&got[0]) && got[1] >= 100, "{got:?}");
}

#[test]
fn high_atr_rank_is_the_volatile_regime() {
    // Bars 60..=79 have ten times the range of the others.
    let bars: Vec<Bar> = (0..140)
        .map(|i| {
            let half = if (60..80).contains(&i) { 5.0 } else { 0.5 };
            testkit::bar(i, 100.0, 100.0 + half, 100.0 - half, 100.0, 0.0)
        })
        .collect();
    let series = crate::strategy::BarSeries::from_bars(&bars);
    let atr = indicators::atr(&series.high, &series.low, &series.close, 3).unwrap();
    let ready: Vec<f64> = atr.iter().copied().filter(|v| !v.is_nan()).collect();
    let first = atr.len() - ready.len();
    let mut expected = Vec::new();
    let (mut active, mut count) = (false, 0);
    for j in 0..ready.len() {
        let detected = j >= 9 && {
            let others = &ready[j - 9..j];
            let below = others.iter().filter(|v| **v < ready[j]).count();
            f64::from(u32::try_from(below).unwrap()) / 9.0 >= 0.9
        };
        count = if detected == active { 0 } else { count + 1 };
        if count >= 2 {
            active = detected;
            count = 0;
            expected.push(first + j);
        }
    }
    let mut base = scripted_children();
    base.extend([
        ("use_trend", flag(false)),
        ("use_volume", flag(false)),
        ("atr_period", int(3)),
        ("atr_rank_window", int(10)),
        ("vol_high_pct", float(0.9)),
        ("confirm_bars", int(2)),
    ]);
    let got = switches(&run(&auto(&base), &bars));
    let at: Vec<usize> = got.iter().map(|s| s.0).collect();
    assert_eq!(at, expected);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        (got[0].1.as_str(), got[0].2.as_str()),
        ("range", "volatile")
    );
    assert!(
        (60..70).contains(&got[0].0) && (80..100).contains(&got[1].0),
        "{got:?}"
    );
}

#[test]
fn confirmation_stops_flapping_on_an_alternating_series() {
    // Volume 10, 100, 10, 100, ...: over a 4-bar window every 100 has z = 1, every 10 -1.
    let bars: Vec<Bar> = (0..40)
        .map(|i| {
            testkit::bar(
                i,
                100.0,
                100.0,
                100.0,
                100.0,
                if i % 2 == 1 { 100.0 } else { 10.0 },
            )
        })
        .collect();
    let mut base = scripted_children();
    base.extend([
        ("use_trend", flag(false)),
        ("use_volatility", flag(false)),
        ("volume_window", int(4)),
        ("volume_z", float(0.5)),
    ]);
    // Without confirmation it switches on every bar from the first z-score (bar 3) on.
    let flapping = switches(&run(&with(&base, &[("confirm_bars", int(1))]), &bars));
    assert_eq!(flapping.len(), 37);
    assert_eq!(flapping[0], (3, "range".into(), "volume_surge".into()));
    assert_eq!(flapping[1], (4, "volume_surge".into(), "range".into()));
    // Two bars of confirmation: never.
    assert_eq!(
        switches(&run(&with(&base, &[("confirm_bars", int(2))]), &bars)),
        vec![]
    );
}

/// The trend series with one volume spike at bar 80 (z = 4.36 over 20 bars).
fn trend_with_spike() -> Vec<Bar> {
    let mut bars = trend_then_range(160);
    for (i, bar) in bars.iter_mut().enumerate() {
        bar.volume = if i == 80 { 1_000.0 } else { 10.0 };
    }
    bars
}

fn regimes_on_spike(more: &[(&'static str, ParamValue)]) -> Vec<(usize, String, String)> {
    let mut base = scripted_children();
    base.extend(slope_only());
    base.extend([
        ("use_volume", flag(true)),
        ("volume_window", int(20)),
        ("volume_z", float(2.0)),
        ("confirm_bars", int(1)),
    ]);
    base.extend_from_slice(more);
    switches(&run(&auto(&base), &trend_with_spike()))
}

#[test]
fn precedence_decides_when_two_factors_fire() {
    let s = |i: usize, from: &str, to: &str| (i, from.to_owned(), to.to_owned());
    assert_eq!(
        regimes_on_spike(&[("precedence", text("trend,volatile,volume_surge"))]),
        vec![s(61, "range", "trend"), s(106, "trend", "range")]
    );
    assert_eq!(
        regimes_on_spike(&[("precedence", text("volume_surge,trend,volatile"))]),
        vec![
            s(61, "range", "trend"),
            s(80, "trend", "volume_surge"),
            s(81, "volume_surge", "trend"),
            s(106, "trend", "range")
        ]
    );
}

#[test]
fn switching_a_factor_off_changes_the_regime() {
    let s = |i: usize, from: &str, to: &str| (i, from.to_owned(), to.to_owned());
    let first = ("precedence", text("volume_surge,trend,volatile"));
    assert_eq!(
        regimes_on_spike(&[first.clone(), ("use_volume", flag(false))]),
        vec![s(61, "range", "trend"), s(106, "trend", "range")]
    );
    assert_eq!(
        regimes_on_spike(&[first, ("use_trend", flag(false))]),
        vec![
            s(80, "range", "volume_surge"),
            s(81, "volume_surge", "range")
        ]
    );
}

/// A test child that buys 0.01 at the `n`th bar it sees, to show what it was fed.
#[derive(Debug)]
struct Nth {
    n: i64,
    seen: i64,
}

impl Strategy for Nth {
    fn on_bar(
        &mut self,
        _ctx: &Context<'_>,
        symbol: &Symbol,
        _bar: &Bar,
        intents: &mut Vec<Intent>,
    ) {
        self.seen += 1;
        if self.seen == self.n {
            intents.push(Intent::market_buy(symbol, Size::Base(0.01)));
        }
    }
}

fn nth_entry() -> StrategyEntry {
    StrategyEntry {
        schema: StrategySchema {
            name: "nth",
            description: "test: buys at its nth bar",
            params: vec![ParamSpec::int("n", 1, 1, 1_000, "bar")],
        },
        check: |_| Ok(()),
        build: |params, _| {
            Ok(Box::new(Nth {
                n: params.int("nth", "n")?,
                seen: 0,
            }))
        },
        signals: None,
    }
}

#[test]
fn inactive_children_stay_warm_and_their_intents_are_discarded() {
    let mut registry = testkit::registry();
    registry.register(nth_entry()).unwrap();
    let mut base = slope_only();
    base.extend([
        ("trend_strategy", child("nth", &[("n", int(70))])),
        ("volatile_strategy", child("nth", &[("n", int(10))])),
        ("volume_strategy", child("nth", &[("n", int(20))])),
        ("range_strategy", child("scripted", &[])),
        ("confirm_bars", int(3)),
    ]);
    let out = testkit::run_bars(
        &registry,
        testkit::bot(auto(&base), 1_000),
        &trend_then_range(100),
    )
    .unwrap();
    // The trend child, active from bar 63, saw every bar from 0: its 70th is bar 69. The
    // never-active children's buys at bars 9 and 19 were discarded.
    let orders: Vec<usize> = testkit::submits(&out).into_iter().map(|(i, _)| i).collect();
    assert_eq!(orders, vec![69]);
    assert_eq!(switches(&out), vec![(63, "range".into(), "trend".into())]);
}

#[test]
fn children_are_read_from_toml_and_checked_at_build() {
    let registry = Registry::builtin();
    let params: Params = toml::from_str(
        "trend_strategy = { name = \"crossover\", params = { fast = 5, slow = 20 } }\n\
         precedence = \"trend,volume_surge,volatile\"",
    )
    .unwrap();
    let resolved = registry.resolve(&StrategySpec::new(NAME, params)).unwrap();
    let trend = resolved.strategy(NAME, "trend_strategy").unwrap();
    assert_eq!(trend.params.int("crossover", "fast"), Ok(5));
    assert!(registry.build(&StrategySpec::new(NAME, resolved)).is_ok());
    assert!(registry.build(&auto(&[])).is_ok(), "defaults must build");
    assert!(registry.get(NAME).unwrap().signals.is_none());
    assert_eq!(
        parse_precedence(" trend, volatile ,volume_surge"),
        Ok([Regime::Trend, Regime::Volatile, Regime::VolumeSurge])
    );
}

#[test]
fn bad_parameters_name_the_auto_parameter() {
    let registry = Registry::builtin();
    let bad_cross = child("crossover", &[("fast", int(30)), ("slow", int(10))]);
    let cases: Vec<(Vec<(&str, ParamValue)>, &str)> = vec![
        (
            vec![("precedence", text("trend,range,volatile"))],
            "strategy auto: parameter `precedence` = \"trend,range,volatile\" must be one of",
        ),
        (
            vec![("trend_strategy", child("nope", &[]))],
            "strategy auto: parameter `trend_strategy` = nope is not a usable strategy: \
             unknown strategy \"nope\"",
        ),
        (
            vec![("range_strategy", bad_cross)],
            "parameter `range_strategy` = crossover(fast=30, slow=10) is not a usable \
             strategy: strategy crossover: parameter `fast` = 30 must be less than slow (10)",
        ),
        (
            vec![(
                "volatile_strategy",
                child("crossover", &[("period", int(3))]),
            )],
            "parameter `volatile_strategy` = crossover(period=3) is not a usable strategy: \
             strategy crossover: parameter `period` = 3 is not a parameter",
        ),
        (
            vec![("volume_strategy", child("auto", &[]))],
            "parameter `volume_strategy` = auto cannot be auto: auto does not run itself",
        ),
        (
            vec![("trend_strategy", text("crossover"))],
            "parameter `trend_strategy` = \"crossover\" must be a strategy",
        ),
        (
            vec![("adx_period", int(1))],
            "parameter `adx_period` = 1 must be at least 2",
        ),
        (
            vec![("vol_high_pct", float(1.5))],
            "parameter `vol_high_pct` = 1.5 must be at most 1",
        ),
        (
            vec![("confirm_bars", int(0))],
            "parameter `confirm_bars` = 0 must be at least 1",
        ),
    ];
    for (pairs, expected) in cases {
        let err = registry.build(&auto(&pairs)).unwrap_err().to_string();
        assert!(
            err.contains(expected),
            "{err}\ndoes not contain\n{expected}"
        );
    }
    for (text, expected) in [
        ("trend,range,volatile", "names \"range\", not a regime"),
        ("trend,trend,volatile", "names trend twice"),
        (
            "trend,volatile",
            "must name trend, volatile and volume_surge once each",
        ),
    ] {
        let err = parse_precedence(text).unwrap_err().to_string();
        assert!(
            err.contains("parameter `precedence`") && err.contains(expected),
            "{err}"
        );
    }
}

#[test]
fn decisions_do_not_look_ahead() {
    let cross =
        |fast: i64, slow: i64| child("crossover", &[("fast", int(fast)), ("slow", int(slow))]);
    let spec = auto(&[
        ("trend_strategy", cross(5, 20)),
        ("range_strategy", cross(3, 10)),
        ("volatile_strategy", cross(8, 30)),
        ("volume_strategy", cross(4, 12)),
        ("slope_period", int(20)),
        ("slope_lookback", int(5)),
        ("slope_min", float(0.003)),
        ("atr_rank_window", int(50)),
        ("volume_window", int(20)),
        ("volume_z", float(1.5)),
        ("confirm_bars", int(3)),
    ]);
    let registry = Registry::builtin();
    let bars = testkit::random_walk(1_200, 100.0, 0.004, 9);
    let out = testkit::run_bars(&registry, testkit::bot(spec.clone(), 1_000), &bars).unwrap();
    let (switched, orders) = (switches(&out).len(), testkit::submits(&out).len());
    assert!(
        switched >= 10 && orders >= 20,
        "{switched} switches, {orders} orders"
    );
    let feed: Vec<Feed> = bars.into_iter().map(Feed::btc).collect();
    let config = testkit::bot(spec, 1_000);
    testkit::assert_no_lookahead(&registry, &config, &feed, &testkit::cuts(feed.len(), 8, 17));
}

#[test]
fn defaults_map_each_regime_to_a_library_strategy_and_run_on_real_data() {
    let registry = Registry::builtin();
    let spec = StrategySpec::new("auto", Params::new());
    let resolved = registry.resolve(&spec).unwrap();
    for (param, child) in [
        ("trend_strategy", "crossover"),
        ("volatile_strategy", "breakout"),
        ("volume_strategy", "volume_spike"),
        ("range_strategy", "mean_reversion"),
    ] {
        assert_eq!(resolved.strategy("auto", param).unwrap().name, child);
    }
    let Some(bars) = testkit::real_btc_1m(6_000) else {
        return;
    };
    let out = testkit::run_bars(&registry, testkit::bot(spec, 10_000), &bars).unwrap();
    let switches = out
        .iter()
        .flatten()
        .filter(|c| matches!(c, Command::Rotated { .. }))
        .count();
    assert!(
        switches >= 2,
        "only {switches} regime switches on 6,000 real bars"
    );
    assert!(testkit::submits(&out).len() >= 10);
}
