use rust_decimal::Decimal;

use super::*;
use crate::engine::{Command, Event};
use crate::strategy::{Registry, StrategySpec};
use crate::testkit::{self, Feed};
use crate::types::OrderAmount;

const MIN: f64 = 60_000.0;

fn spec(pairs: &[(&str, f64)]) -> StrategySpec {
    let mut params = Params::new();
    for &(name, value) in pairs {
        if name.ends_with("threshold") || name == "order_size" {
            params.set(name, value);
        } else {
            #[allow(clippy::cast_possible_truncation, reason = "whole test values")]
            params.set(name, value as i64);
        }
    }
    StrategySpec::new(NAME, params)
}

fn signal_at(minute: f64, source: &str, value: f64) -> Event {
    #[allow(clippy::cast_possible_truncation, reason = "whole milliseconds")]
    let ts = Timestamp((minute * MIN).round() as i64);
    Event::Signal(Signal {
        ts,
        source: source.to_owned(),
        symbol: testkit::symbol(),
        value,
    })
}

/// Flat bars at 100 for minutes `0..bars` with the signals (minute, source, value) merged in
/// by time (a signal at a bar's exact time comes after it). Returns the feed and the index of
/// each signal in it.
fn feed(bars: i64, signals: &[(f64, &str, f64)]) -> (Vec<Feed>, Vec<usize>) {
    let mut out = Vec::new();
    let mut at = Vec::new();
    let mut pending = signals.iter().peekable();
    for minute in 0..bars {
        #[allow(clippy::cast_precision_loss, reason = "small minutes")]
        let m = minute as f64;
        while let Some(&&(t, source, value)) = pending.peek() {
            if t >= m {
                break;
            }
            at.push(out.len());
            out.push(Feed::Event(signal_at(t, source, value)));
            pending.next();
        }
        out.push(Feed::btc(testkit::flat(minute, 100.0, 0.0)));
    }
    for &(t, source, value) in pending {
        at.push(out.len());
        out.push(Feed::Event(signal_at(t, source, value)));
    }
    (out, at)
}

/// The index of the bar of `minute` in `feed`.
fn bar_index(feed: &[Feed], minute: i64) -> usize {
    feed.iter()
        .position(|f| matches!(f, Feed::Bar(_, bar) if bar.ts.millis() == minute * 60_000))
        .unwrap()
}

/// `(input index, is_buy)` of every order submitted over `feed`.
fn trades(spec: &StrategySpec, feed: &[Feed]) -> Vec<(usize, bool)> {
    let out = testkit::run_feed(
        &Registry::builtin(),
        testkit::bot(spec.clone(), 1_000),
        feed,
    )
    .unwrap();
    testkit::submits(&out)
        .into_iter()
        .map(|(i, o)| (i, o.side == Side::Buy))
        .collect()
}

#[test]
fn single_source_enters_and_exits_exactly_at_the_thresholds() {
    let spec = spec(&[
        ("entry_threshold", 0.5),
        ("exit_threshold", -0.3),
        ("max_age_minutes", 60.0),
    ]);
    let (feed, at) = feed(
        20,
        &[
            (2.5, "news", 0.49),   // just below the entry
            (3.5, "news", 0.5),    // at the entry: buy
            (5.5, "news", 0.9),    // already long
            (7.5, "news", -0.29),  // just above the exit
            (9.5, "news", -0.3),   // at the exit: sell
            (11.5, "news", 0.2),   // neutral
            (13.5, "news", 0.7),   // buy again
            (15.5, "other", -1.0), // a second name is not followed (sources = 1)
        ],
    );
    let out = testkit::run_feed(&Registry::builtin(), testkit::bot(spec, 1_000), &feed).unwrap();
    let submits = testkit::submits(&out);
    let sides: Vec<(usize, Side)> = submits.iter().map(|(i, o)| (*i, o.side)).collect();
    assert_eq!(
        sides,
        vec![(at[1], Side::Buy), (at[4], Side::Sell), (at[6], Side::Buy)]
    );
    // 1000 USDT less the taker fee reserve, at 100: 9.995 BTC, 0.05% fee taken in BTC.
    assert_eq!(
        submits[0].1.amount,
        OrderAmount::Quote(Decimal::new(99_950, 2))
    );
    assert_eq!(
        submits[1].1.amount,
        OrderAmount::Base(Decimal::new(9_990_002, 6))
    );
    assert!(
        !out.iter()
            .flatten()
            .any(|c| matches!(c, Command::Denied(_)))
    );
}

#[test]
fn two_of_three_sources_must_agree() {
    let spec = spec(&[
        ("sources", 3.0),
        ("min_agreement", 2.0),
        ("entry_threshold", 0.5),
        ("exit_threshold", -0.5),
    ]);
    let (feed, at) = feed(
        14,
        &[
            (1.5, "a", 0.8),  // one source alone
            (2.5, "a", 0.9),  // the same source again is still one
            (3.5, "b", 0.6),  // two agree: buy
            (5.5, "c", -0.7), // one bearish
            (6.5, "b", -0.6), // two bearish: sell
            (8.5, "d", 0.9),  // a fourth name is not followed
            (9.5, "a", 0.9),  // a bullish, b and c bearish: bearish agreement blocks
            (10.5, "b", 0.9), // a and b bullish, only c bearish: buy
        ],
    );
    assert_eq!(
        trades(&spec, &feed),
        vec![(at[2], true), (at[4], false), (at[7], true)]
    );
    // The followed names are the first three seen.
    let mut alone = SignalFollower::new(&Registry::builtin().resolve(&spec).unwrap()).unwrap();
    for name in ["a", "b", "c", "d"] {
        alone.admit(name);
    }
    assert_eq!(alone.members(), ["a", "b", "c"]);
}

#[test]
fn bearish_agreement_blocks_entries() {
    // One of two sources is enough either way: a bullish and a bearish score at once agree
    // both ways, and the exit side wins.
    let spec = spec(&[("sources", 2.0), ("min_agreement", 1.0)]);
    let (feed, at) = feed(
        12,
        &[
            (1.5, "a", 0.8),  // buy
            (3.5, "b", -0.6), // sell, though a is still bullish
            (5.5, "a", 0.9),  // a bullish, b bearish: no entry (nor on the bars after)
            (8.5, "b", 0.0),  // b neutral: buy
        ],
    );
    assert_eq!(
        trades(&spec, &feed),
        vec![(at[0], true), (at[1], false), (at[3], true)]
    );
}

#[test]
fn stale_scores_do_not_count() {
    let spec = spec(&[
        ("sources", 2.0),
        ("min_agreement", 2.0),
        ("max_age_minutes", 10.0),
    ]);
    // b arrives exactly 10 minutes after a: a is stale (a score counts while younger).
    let (stale, _) = feed(14, &[(0.5, "a", 0.8), (10.5, "b", 0.8)]);
    assert_eq!(trades(&spec, &stale), vec![]);
    // A little earlier both are fresh.
    let (fresh, at) = feed(14, &[(0.5, "a", 0.8), (10.4, "b", 0.8)]);
    assert_eq!(trades(&spec, &fresh), vec![(at[1], true)]);
    // After the stale pair, a fresh score from a makes two again.
    let (again, at) = feed(14, &[(0.5, "a", 0.8), (10.5, "b", 0.8), (12.5, "a", 0.6)]);
    assert_eq!(trades(&spec, &again), vec![(at[2], true)]);
}

#[test]
fn cooldown_holds_entries_back_and_bars_release_them_while_scores_are_fresh() {
    let signals = [(1.5, "a", 0.8), (4.5, "a", -0.5), (6.5, "a", 0.9)];
    // Exit at 4.5; cooldown until 14.5; the 0.9 from 6.5 is still fresh at the bar of 15.
    let warm = spec(&[("cooldown_minutes", 10.0), ("max_age_minutes", 30.0)]);
    let (f, at) = feed(20, &signals);
    assert_eq!(
        trades(&warm, &f),
        vec![(at[0], true), (at[1], false), (bar_index(&f, 15), true)]
    );
    // With a 5-minute age limit the 0.9 is stale by then: no entry at all.
    let stale = spec(&[("cooldown_minutes", 10.0), ("max_age_minutes", 5.0)]);
    assert_eq!(trades(&stale, &f), vec![(at[0], true), (at[1], false)]);
    // Without a cooldown the 0.9 enters on arrival.
    let none = spec(&[("cooldown_minutes", 0.0), ("max_age_minutes", 30.0)]);
    assert_eq!(
        trades(&none, &f),
        vec![(at[0], true), (at[1], false), (at[2], true)]
    );
}

/// Bars of a random walk with scores from two sources every few bars.
fn mixed_feed(n: usize, seed: u64) -> Vec<Feed> {
    let mut state = seed | 1;
    let mut out = Vec::new();
    for (i, bar) in testkit::random_walk(n, 100.0, 0.004, seed)
        .into_iter()
        .enumerate()
    {
        out.push(Feed::btc(bar));
        if i % 3 == 1 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            #[allow(clippy::cast_precision_loss, reason = "a uniform draw")]
            let u = (state >> 11) as f64 / (1_u64 << 53) as f64;
            let source = if i % 2 == 0 { "model" } else { "news" };
            out.push(Feed::Event(Event::Signal(Signal {
                ts: bar.ts.plus_millis(30_000),
                source: source.to_owned(),
                symbol: testkit::symbol(),
                value: 2.0 * u - 1.0,
            })));
        }
    }
    out
}

#[test]
fn decisions_do_not_look_ahead() {
    let spec = spec(&[
        ("sources", 2.0),
        ("min_agreement", 2.0),
        ("entry_threshold", 0.2),
        ("exit_threshold", -0.2),
        ("max_age_minutes", 8.0),
        ("cooldown_minutes", 3.0),
    ]);
    let feed = mixed_feed(600, 5);
    let traded = trades(&spec, &feed).len();
    assert!(traded >= 10, "only {traded} orders");
    let config = testkit::bot(spec, 1_000);
    let registry = Registry::builtin();
    testkit::assert_no_lookahead(&registry, &config, &feed, &testkit::cuts(feed.len(), 8, 21));
}

#[test]
fn bad_parameters_name_the_parameter() {
    let registry = Registry::builtin();
    let cases: [(&[(&str, f64)], &str); 6] = [
        (
            &[("sources", 2.0), ("min_agreement", 3.0)],
            "parameter `min_agreement` = 3 must be at most sources (2)",
        ),
        (
            &[("entry_threshold", 0.2), ("exit_threshold", 0.2)],
            "parameter `exit_threshold` = 0.2 must be less than entry_threshold (0.2)",
        ),
        (
            &[("entry_threshold", 1.5)],
            "parameter `entry_threshold` = 1.5 must be at most 1",
        ),
        (
            &[("exit_threshold", -1.1)],
            "parameter `exit_threshold` = -1.1 must be at least -1",
        ),
        (
            &[("max_age_minutes", 0.0)],
            "parameter `max_age_minutes` = 0 must be at least 1",
        ),
        (
            &[("order_size", 0.0)],
            "parameter `order_size` = 0 must be at least 0.01",
        ),
    ];
    for (pairs, expected) in cases {
        let err = registry.build(&spec(pairs)).unwrap_err().to_string();
        assert!(err.contains(expected), "{err} does not contain {expected}");
    }
    assert!(registry.build(&spec(&[])).is_ok());
    assert!(registry.get(NAME).unwrap().signals.is_none());
}
