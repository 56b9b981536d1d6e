use rust_decimal::Decimal;

use super::*;
use crate::engine::{Command, Control, Event};
use crate::strategy::twap::tests::{base, dec, fills, orders, quote, run, total};
use crate::strategy::{ParamValue, Registry, StrategySpec};
use crate::testkit::{self, Feed};

const MINUTE_MS: i64 = 60_000;

/// VWAP parameters: side, target, window, slices, profile bars, VWAP window, tolerance.
fn vwap_params(
    side: &str,
    target: f64,
    (minutes, slices): (i64, i64),
    (profile_bars, vwap_window): (i64, i64),
    tolerance: f64,
) -> Params {
    let mut p = Params::new();
    p.set("side", side)
        .set("target_quantity", target)
        .set("duration_minutes", minutes)
        .set("slices", slices)
        .set("profile_bars", profile_bars)
        .set("vwap_window", vwap_window)
        .set("tolerance", tolerance);
    p
}

fn spec(p: Params) -> StrategySpec {
    StrategySpec::new(NAME, p)
}

/// Flat BTCUSDT bars `(minute, price, volume)`.
fn bars(rows: &[(i64, f64, f64)]) -> Vec<Feed> {
    rows.iter()
        .map(|&(m, price, volume)| Feed::btc(testkit::flat(m, price, volume)))
        .collect()
}

fn decs(values: &[&str]) -> Vec<Decimal> {
    values.iter().map(|v| dec(v)).collect()
}

#[test]
fn slot_weights_are_mean_volumes_by_position_in_the_window() {
    // A day of 1-minute bars whose volume is 1 + (minute of the hour) / 5, i.e. 1 to 12
    // by 5-minute block. A 60-minute window in 12 slices starting on the hour sees weights
    // 1..12; starting 10 minutes past, the slots move by two blocks.
    let profile: Vec<(Timestamp, f64)> = (0..1_440_i32)
        .map(|m| {
            let volume = 1.0 + f64::from((m % 60) / 5);
            (Timestamp(i64::from(m) * MINUTE_MS), volume)
        })
        .collect();
    let hour = 60 * MINUTE_MS;
    let on_the_hour = slot_weights(&profile, Timestamp(1_440 * MINUTE_MS), hour, 12);
    let expected: Vec<Decimal> = (1..=12).map(Decimal::from).collect();
    assert_eq!(on_the_hour, expected);
    let ten_past = slot_weights(&profile, Timestamp(1_450 * MINUTE_MS), hour, 12);
    let rotated: Vec<Decimal> = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2]
        .into_iter()
        .map(Decimal::from)
        .collect();
    assert_eq!(ten_past, rotated);
    // No volume at all: equal weights.
    let silent: Vec<(Timestamp, f64)> = profile.iter().map(|&(ts, _)| (ts, 0.0)).collect();
    assert_eq!(
        slot_weights(&silent, Timestamp(1_440 * MINUTE_MS), hour, 4),
        vec![Decimal::ONE; 4]
    );
}

#[test]
fn slice_sizes_follow_the_volume_profile_of_the_bars_before_the_window() {
    // Profile: minutes 0-7, volumes 10, 20, 30, 40 by position in a 4-minute cycle. The
    // window starts at minute 8: 2 BTC in shares 0.1, 0.2, 0.3, 0.4 at 100.
    let mut rows: Vec<(i64, f64, f64)> = (0..8)
        .map(|m| {
            (
                m,
                100.0,
                [10.0, 20.0, 30.0, 40.0][usize::try_from(m % 4).unwrap()],
            )
        })
        .collect();
    let window_volumes = [[25.0, 25.0, 25.0, 25.0], [400.0, 1.0, 1.0, 400.0]];
    for volumes in window_volumes {
        rows.truncate(8);
        rows.extend((8..12).zip(volumes).map(|(m, v)| (m, 100.0, v)));
        rows.extend([(12, 100.0, 10.0), (13, 100.0, 10.0)]);
        let p = vwap_params("buy", 2.0, (4, 4), (8, 4), 0.001);
        let (out, _, exchange) = run(testkit::bot(spec(p), 1_000), &bars(&rows));
        // The window's own volumes never change the sizes: only the past is used.
        assert_eq!(
            orders(&out),
            vec![
                (8, Side::Buy, quote("20.00")),
                (9, Side::Buy, quote("40.00")),
                (10, Side::Buy, quote("60.00")),
                (11, Side::Buy, quote("80.00")),
            ],
            "window volumes {volumes:?}"
        );
        let fills = fills(&exchange);
        assert_eq!(
            fills.iter().map(|f| f.2).collect::<Vec<_>>(),
            decs(&["0.2", "0.4", "0.6", "0.8"])
        );
        assert_eq!(total(&fills, Side::Buy), dec("2"));
    }
}

#[test]
fn a_slot_without_profile_bars_weighs_the_mean_volume() {
    // Three profile bars (minutes 0-2, volumes 10, 20, 30); the window starts at minute 3,
    // so they sit in slots 1, 2, 3 of the 4-minute cycle and slot 0 gets their mean, 20.
    // Weights 20, 10, 20, 30 of 80: 0.8 BTC as 0.2, 0.1, 0.2, 0.3.
    let mut rows = vec![(0, 100.0, 10.0), (1, 100.0, 20.0), (2, 100.0, 30.0)];
    rows.extend((3..8).map(|m| (m, 100.0, 10.0)));
    let p = vwap_params("buy", 0.8, (4, 4), (3, 3), 0.001);
    let (out, _, exchange) = run(testkit::bot(spec(p), 1_000), &bars(&rows));
    assert_eq!(
        orders(&out),
        vec![
            (3, Side::Buy, quote("20.00")),
            (4, Side::Buy, quote("10.00")),
            (5, Side::Buy, quote("20.00")),
            (6, Side::Buy, quote("30.00")),
        ]
    );
    assert_eq!(total(&fills(&exchange), Side::Buy), dec("0.8"));
}

#[test]
fn uneven_weights_still_execute_exactly_the_target() {
    // Weights 3, 7, 11, 13, 17, 19, 23 (sum 93) of 0.93 BTC: 0.03, 0.07, .. 0.23, with no
    // rounding loss on the way (the due is target × weights / total, multiplied first).
    let weights = [3.0, 7.0, 11.0, 13.0, 17.0, 19.0, 23.0];
    let mut rows: Vec<(i64, f64, f64)> = (0..).zip(weights).map(|(m, v)| (m, 100.0, v)).collect();
    rows.extend((7..16).map(|m| (m, 100.0, 5.0)));
    let p = vwap_params("buy", 0.93, (7, 7), (7, 7), 0.0);
    let (out, engine, exchange) = run(testkit::bot(spec(p), 1_000), &bars(&rows));
    let expected: Vec<(usize, Side, _)> = (7..)
        .zip(["3.00", "7.00", "11.00", "13.00", "17.00", "19.00", "23.00"])
        .map(|(i, q)| (i, Side::Buy, quote(q)))
        .collect();
    assert_eq!(orders(&out), expected);
    let fills = fills(&exchange);
    assert_eq!(
        fills.iter().map(|f| f.2).collect::<Vec<_>>(),
        decs(&["0.03", "0.07", "0.11", "0.13", "0.17", "0.19", "0.23"])
    );
    assert_eq!(total(&fills, Side::Buy), dec("0.93"));
    assert_eq!(
        engine.wallet().held(&testkit::btc()),
        dec("0.93") - dec("0.93") * dec("0.0005")
    );
}

/// Profile minutes 0-7 flat at 100 (equal weights); window minutes 8-11 with a spike to
/// 101 at minute 9 (typical price 100.667, VWAP over minutes 6-9 = 100.1667).
fn spike_feed() -> Vec<Feed> {
    let mut feed = bars(&(0..9).map(|m| (m, 100.0, 10.0)).collect::<Vec<_>>());
    feed.push(Feed::btc(testkit::bar(9, 100.0, 101.0, 100.0, 101.0, 10.0)));
    feed.extend(bars(&[
        (10, 100.0, 10.0),
        (11, 100.0, 10.0),
        (12, 100.0, 10.0),
    ]));
    feed
}

#[test]
fn the_vwap_gate_blocks_slices_above_the_vwap_plus_tolerance() {
    // Tolerance 0.1 %: 101 > 100.1667 × 1.001 = 100.267, the slice at minute 9 is carried
    // over and minute 10 (close 100 under its VWAP) buys 0.6.
    let p = vwap_params("buy", 1.2, (4, 4), (8, 4), 0.001);
    let (out, _, exchange) = run(testkit::bot(spec(p), 1_000), &spike_feed());
    assert_eq!(
        orders(&out),
        vec![
            (8, Side::Buy, quote("30.00")),
            (10, Side::Buy, quote("60.00")),
            (11, Side::Buy, quote("30.00")),
        ]
    );
    assert_eq!(total(&fills(&exchange), Side::Buy), dec("1.2"));
    // Tolerance 1 %: 101 <= 100.1667 × 1.01 = 101.168, so minute 9 buys its own slice.
    let p = vwap_params("buy", 1.2, (4, 4), (8, 4), 0.01);
    let (out, _, _) = run(testkit::bot(spec(p), 1_000), &spike_feed());
    let at: Vec<usize> = orders(&out).iter().map(|o| o.0).collect();
    assert_eq!(at, vec![8, 9, 10, 11]);
}

#[test]
fn a_gated_last_slice_stays_undone() {
    // The last slice (minute 11) closes at 101, above the VWAP: 0.3 stays undone, and the
    // bars after the window never order.
    let mut feed = bars(&(0..11).map(|m| (m, 100.0, 10.0)).collect::<Vec<_>>());
    feed.push(Feed::btc(testkit::bar(
        11, 100.0, 101.0, 100.0, 101.0, 10.0,
    )));
    feed.extend(bars(&(12..20).map(|m| (m, 95.0, 10.0)).collect::<Vec<_>>()));
    let p = vwap_params("buy", 1.2, (4, 4), (8, 4), 0.001);
    let (out, _, exchange) = run(testkit::bot(spec(p), 1_000), &feed);
    let at: Vec<usize> = orders(&out).iter().map(|o| o.0).collect();
    assert_eq!(at, vec![8, 9, 10]);
    assert_eq!(total(&fills(&exchange), Side::Buy), dec("0.9"));
}

#[test]
fn sell_vwap_is_gated_below_the_vwap_and_never_sells_more_than_held() {
    // Buy 1.2 (the wallet holds 1.1994), then a sell VWAP of 1.2: profile minutes 20-23,
    // window 24-27. Minute 25 dips to 99 (VWAP 99.833 × 0.999 = 99.73 > 99): carried
    // over to minute 26 (0.6); the last slice is capped at the 0.2994 left.
    let mut feed = bars(&(0..8).map(|m| (m, 100.0, 10.0)).collect::<Vec<_>>());
    let at = |minute: i64| Timestamp(minute * MINUTE_MS);
    let sell = vwap_params("sell", 1.2, (4, 4), (4, 4), 0.001);
    feed.extend([
        Feed::Event(Event::control(at(10), Control::Pause)),
        Feed::Event(Event::control(at(10), Control::UpdateParams(sell))),
        Feed::Event(Event::control(at(10), Control::Resume)),
    ]);
    feed.extend(bars(
        &(20..25).map(|m| (m, 100.0, 10.0)).collect::<Vec<_>>(),
    ));
    feed.push(Feed::btc(testkit::bar(25, 100.0, 100.0, 99.0, 99.0, 10.0)));
    feed.extend(bars(
        &(26..30).map(|m| (m, 100.0, 10.0)).collect::<Vec<_>>(),
    ));
    let config = testkit::bot(spec(vwap_params("buy", 1.2, (4, 4), (4, 4), 0.001)), 1_000);
    let (out, engine, exchange) = run(config, &feed);
    let sells: Vec<_> = orders(&out)
        .into_iter()
        .filter(|o| o.1 == Side::Sell)
        .collect();
    assert_eq!(
        sells,
        vec![
            (15, Side::Sell, base("0.3")),
            (17, Side::Sell, base("0.6")),
            (18, Side::Sell, base("0.2994")),
        ]
    );
    let fills = fills(&exchange);
    assert_eq!(total(&fills, Side::Buy), dec("1.2"));
    assert_eq!(total(&fills, Side::Sell), dec("1.1994"));
    assert_eq!(engine.wallet().held(&testkit::btc()), Decimal::ZERO);
    assert!(
        out.iter()
            .flatten()
            .all(|c| !matches!(c, Command::Denied(_)))
    );
}

#[test]
fn decisions_do_not_look_ahead() {
    let registry = Registry::builtin();
    let feed: Vec<Feed> = testkit::random_walk(800, 100.0, 0.004, 9)
        .into_iter()
        .map(Feed::btc)
        .collect();
    let p = vwap_params("buy", 50.0, (600, 100), (200, 30), 0.0);
    let config = testkit::bot(spec(p), 100_000);
    let out = testkit::run_feed(&registry, config.clone(), &feed).unwrap();
    let submitted = testkit::submits(&out);
    assert!((20..100).contains(&submitted.len()), "{}", submitted.len());
    assert!(
        submitted.iter().all(|(i, _)| *i >= 200),
        "orders before the window"
    );
    testkit::assert_no_lookahead(&registry, &config, &feed, &testkit::cuts(feed.len(), 8, 23));
}

#[test]
fn bad_parameters_name_the_parameter_and_the_rule() {
    let registry = Registry::builtin();
    let cases: [(Params, &str); 5] = [
        (
            vwap_params("buy", 1.0, (60, 12), (50, 60), 0.001),
            "parameter `vwap_window` = 60 must be at most profile_bars (50)",
        ),
        (
            vwap_params("buy", 1.0, (10, 11), (100, 60), 0.001),
            "parameter `slices` = 11 must be at most duration_minutes (10)",
        ),
        (
            vwap_params("buy", -1.0, (60, 12), (100, 60), 0.001),
            "parameter `target_quantity` = -1 must be at least 0",
        ),
        (
            vwap_params("buy", 1.0, (60, 12), (100, 60), 0.6),
            "parameter `tolerance` = 0.6 must be at most 0.5",
        ),
        (
            vwap_params("buy", 1.0, (60, 12), (0, 60), 0.001),
            "parameter `profile_bars` = 0 must be at least 1",
        ),
    ];
    for (p, expected) in cases {
        let err = registry.build(&spec(p)).unwrap_err().to_string();
        assert!(err.contains(expected), "{err} does not contain {expected}");
        assert!(err.starts_with("strategy vwap:"), "{err}");
    }
    let mut zero = vwap_params("buy", 0.0, (60, 12), (100, 60), 0.001);
    zero.set("target_quantity", ParamValue::Float(0.0));
    let err = registry.build(&spec(zero)).unwrap_err().to_string();
    assert!(
        err.contains("`target_quantity` = 0 must be positive"),
        "{err}"
    );
    let defaults = registry.resolve(&spec(Params::new())).unwrap();
    assert!(VwapExecution::new(&defaults).is_ok());
}
