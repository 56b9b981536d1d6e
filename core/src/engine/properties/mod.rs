//! Property tests of the engine over random event sequences (DESIGN: "Property tests
//! (proptest) over random event sequences").
//!
//! A [`Scenario`] is a generated bot (budget, compounding, scripted-strategy parameters, risk
//! settings) and a list of [`Step`]s: bars of a random walk whose volume carries the scripted
//! action, controls and timers. An exchange answers the engine's commands so orders really
//! fill: the test kit's `InstantExchange` (its events are then replayed one by one), or
//! [`Chaos`], which answers with partial fills, rejections, unknown outcomes, cancels,
//! repeated and invalid reports. A [`Checker`] sees every single event the engine handles.

#![allow(
    clippy::wildcard_imports,
    reason = "the submodules share this module's imports and types"
)]

mod chaos;
mod checker;
mod generate;

use std::collections::{BTreeMap, BTreeSet};

use proptest::option::weighted;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use super::{AlertCode, BotConfig, BotId, BotState, Command, Control, Engine, EngineError};
use super::{Event, OrderReport};
use super::{RunningTime, SettingsUpdate};
use crate::money::rounding::to_f64;
use crate::risk::{Limit, LossBreaker, OrderRate, RiskConfig, Sizing, TakeProfitTarget};
use crate::strategy::{Params, StrategySpec};
use crate::testkit::{self, FeeAsset, InstantExchange};
use crate::types::time::MINUTE_MS;
use crate::types::{Bar, ClientOrderId, Fill, Order, OrderAmount, OrderRequest, OrderType};
use crate::types::{Side, Timestamp};
use crate::wallet::Wallet;

use chaos::Chaos;
use checker::{Checker, snapshot, submitted};
use generate::*;

/// Monday 2024-01-01 00:00 UTC, in minutes: runs start within the week after it.
const START_MINUTE: i64 = 28_401_120;
/// Every check but [`Check::Capital`], which `prop_orders_fit_the_budget` runs on its own.
const ALL: &[Check] = &[
    Check::Wallet,
    Check::Budget,
    Check::Ids,
    Check::States,
    Check::Sells,
];

/// A bar's move: minutes since the step before, close-to-close return, wicks above and
/// below (shares), and the scripted action code it carries as volume.
#[derive(Debug, Clone, Copy)]
struct Move {
    gap: i64,
    ret: f64,
    up: f64,
    down: f64,
    action: u8,
}

/// One generated step; gaps are minutes since the step before.
#[derive(Debug, Clone)]
enum Step {
    Bar(Move),
    Control(i64, Control),
    Timer(i64),
}

/// A generated run: the bot, where and when the market starts, and the steps.
#[derive(Debug, Clone)]
struct Scenario {
    config: BotConfig,
    start_price: f64,
    start_minute: i64,
    steps: Vec<Step>,
}

/// How the chaos exchange answers one submitted order.
#[derive(Debug, Clone, Copy)]
enum Plan {
    /// Submitted, accepted, filled at once.
    Fill,
    /// Filled in two parts (`share` first); with `dup`, `Accepted` and each fill come twice.
    Split { share: f64, dup: bool },
    /// Rejected, after `Submitted` or straight away.
    Reject { submitted: bool },
    /// The send timed out (`Unknown`), then the order turns out accepted and fills.
    UnknownThenAccepted,
    /// Limit orders rest until a bar trades through them or a cancel comes (market: `Fill`).
    Rest,
    /// Partly filled, then canceled (limit) or expired (market).
    PartialThenCancel { share: f64 },
    /// An invalid report first (the engine must refuse it and change nothing), then a fill.
    Invalid(Invalid),
}

/// Reports the engine must refuse.
#[derive(Debug, Clone, Copy)]
enum Invalid {
    /// An event older than the last one.
    Stale,
    /// A report about an order the bot never sent.
    UnknownOrder,
    /// A fill on the wrong side.
    WrongSide,
    /// A fill larger than the order (base-sized orders; otherwise the wrong side).
    Overfill,
}

/// The exchange that answers the engine's commands, and where it charges fees.
#[derive(Debug, Clone)]
enum Venue {
    /// The test kit's `InstantExchange`.
    Instant(FeeAsset),
    /// [`Chaos`], answering submits by the plans, in a cycle.
    Chaos(FeeAsset, Vec<Plan>),
}

/// `value` rounded to cents, at least one cent.
fn cents(value: f64) -> f64 {
    ((value * 100.0).round() / 100.0).max(0.01)
}

/// `value` as a decimal with `dp` decimals.
fn dec(value: f64, dp: u32) -> Decimal {
    Decimal::from_f64(value).unwrap().round_dp(dp)
}

/// A step made concrete: a bar (fed through the exchange) or another event.
#[derive(Debug, Clone)]
enum Input {
    Bar(Bar),
    Other(Event),
}

/// The invariants a [`Checker`] may enforce. Always on: a refused event changes nothing,
/// and a fill delivered again is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Cash, available, reserved and positions never go negative; reserved ≤ cash.
    Wallet,
    /// Each buy reserves at most what was available just before it; no fill overdraws.
    Budget,
    /// Without compounding, the capital (cash) never exceeds the budget.
    Capital,
    /// Client order ids are `<bot id>-<n>` with n = 1, 2, 3…, ≤ 32 of `[A-Za-z0-9_-]`.
    Ids,
    /// Submits only while running, never by or after a kill; state changes chain up.
    States,
    /// Sells never exceed what is held and not already offered.
    Sells,
}

// ------------------------------------------------------------------------------ runs

/// What a run produced: every command in order, the engine at the end, the indices of the
/// inputs it refused, and the checker that saw every event.
#[derive(Debug)]
struct Outcome {
    commands: Vec<Command>,
    engine: Engine,
    refused: Vec<usize>,
    checker: Checker,
}

/// A fresh engine for `s`.
fn new_engine(s: &Scenario) -> Engine {
    Engine::new(s.config.clone(), &testkit::registry()).unwrap()
}

/// Feeds every input through `feed`; returns all the commands and the indices of the
/// refused inputs (only instructions may be refused).
fn feed_all(
    inputs: &[Input],
    mut feed: impl FnMut(&Input) -> Result<Vec<Command>, EngineError>,
) -> (Vec<Command>, Vec<usize>) {
    let (mut commands, mut refused) = (Vec::new(), Vec::new());
    for (i, input) in inputs.iter().enumerate() {
        match feed(input) {
            Ok(more) => commands.extend(more),
            Err(e) => {
                let control = matches!(input, Input::Other(Event::Control { .. }));
                let ok = matches!(
                    e,
                    EngineError::ControlNotAllowed { .. }
                        | EngineError::Registry(_)
                        | EngineError::Config(_)
                );
                assert!(control && ok, "{input:?} refused: {e}");
                refused.push(i);
            }
        }
    }
    (commands, refused)
}

/// Runs the scenario's own inputs on `venue`, checking `checks` around every event.
fn check_run(s: &Scenario, venue: &Venue, checks: &'static [Check]) -> Outcome {
    run(s, &inputs(s), venue, checks)
}

/// Runs `inputs` on `venue`, checking `checks` around every event. The instant exchange's
/// events are replayed one by one on a fresh engine, which must give the same commands.
fn run(s: &Scenario, inputs: &[Input], venue: &Venue, checks: &'static [Check]) -> Outcome {
    let (mut engine, mut checker) = (new_engine(s), Checker::new(&s.config, checks));
    let (commands, refused) = match venue {
        Venue::Instant(fee) => {
            let (mut exchange, mut price) = (InstantExchange::new(*fee), s.start_price);
            let result = feed_all(inputs, |input| match input {
                Input::Bar(bar) => {
                    price = bar.close;
                    exchange.bar(&mut engine, *bar)
                }
                Input::Other(event) => exchange.feed(&mut engine, event, price),
            });
            let (mut replayed, mut replay) = (new_engine(s), Vec::new());
            for event in &exchange.fed {
                replay.extend(checker.step(&mut replayed, event).unwrap_or_default());
            }
            assert_eq!(replay, result.0, "the replay gave other commands");
            result
        }
        Venue::Chaos(fee, plans) => {
            let (fee, close, now, resting) = (*fee, s.start_price, Timestamp(0), Vec::new());
            let (next, trades) = (0, 0);
            let mut chaos = Chaos {
                engine,
                checker,
                fee,
                plans,
                next,
                trades,
                resting,
                now,
                close,
            };
            let result = feed_all(inputs, |input| chaos.input(input));
            (engine, checker) = (chaos.engine, chaos.checker);
            result
        }
    };
    Outcome {
        commands,
        engine,
        refused,
        checker,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Property 1: after every event cash, available, reserved and positions are ≥ 0, and
    /// reserved ≤ cash.
    #[test]
    fn prop_wallet_never_negative(s in scenario(), venue in venue()) {
        check_run(&s, &venue, &[Check::Wallet]);
    }

    /// Property 2: no buy reserves more than was available, no fill overdraws, and without
    /// compounding the capital never grows past the budget.
    #[test]
    fn prop_orders_fit_the_budget(s in scenario(), venue in venue()) {
        check_run(&s, &venue, &[Check::Budget, Check::Capital]);
    }

    /// Property 3: client order ids never repeat and count up from `<bot id>-1`.
    #[test]
    fn prop_client_ids_are_unique_and_increasing(s in scenario(), venue in venue()) {
        check_run(&s, &venue, &[Check::Ids]);
    }

    /// Property 4: nothing is submitted unless running; a kill never submits (never
    /// liquidates) and nothing is submitted after it.
    #[test]
    fn prop_nothing_submitted_unless_running(s in scenario(), venue in venue()) {
        check_run(&s, &venue, &[Check::States]);
    }

    /// Property 5: the same events on fresh engines (and fresh exchanges) give the same
    /// commands and the same wallet.
    #[test]
    fn prop_same_events_same_commands(s in scenario(), venue in venue()) {
        let (a, b) = (check_run(&s, &venue, &[]), check_run(&s, &venue, &[]));
        prop_assert_eq!(&a.commands, &b.commands);
        prop_assert_eq!(a.engine.wallet(), b.engine.wallet());
    }

    /// Property 6: sells never exceed what is held and not already offered by open sells.
    #[test]
    fn prop_sells_never_exceed_holdings(s in scenario(), venue in venue()) {
        check_run(&s, &venue, &[Check::Sells]);
    }

    /// Refused events change nothing: besides the snapshot check around each refusal, the
    /// run without the refused instructions gives the same commands and wallet.
    #[test]
    fn prop_refused_events_change_nothing(s in scenario(), venue in venue()) {
        let all = inputs(&s);
        let full = run(&s, &all, &venue, ALL);
        let kept = all.iter().enumerate().filter(|(i, _)| !full.refused.contains(i));
        let kept: Vec<Input> = kept.map(|(_, input)| input.clone()).collect();
        let trimmed = run(&s, &kept, &venue, ALL);
        prop_assert!(trimmed.refused.is_empty());
        prop_assert_eq!(&full.commands, &trimmed.commands);
        prop_assert_eq!(full.engine.wallet(), trimmed.engine.wallet());
    }

    /// Repeated reports (the same fill, the same status) are ignored: Ok, no commands, no
    /// change; every other check is on too.
    #[test]
    fn prop_repeated_reports_are_ignored(
        s in scenario(), fee in fee_asset(), share in 0.05..0.95f64, others in prop::collection::vec(plan(), 0..4)
    ) {
        let plans = [Plan::Split { share, dup: true }].into_iter().chain(others).collect();
        let outcome = check_run(&s, &Venue::Chaos(fee, plans), ALL);
        let sent = outcome.commands.iter().any(|c| submitted(c).is_some());
        prop_assert!(!sent || outcome.checker.seen.contains_key("repeats"));
    }
}

/// The generators are worth something: over 128 generated runs (fixed seed, every check but
/// the capital one on), orders fill (partly too), round trips close, protections and loss
/// limits act, and kills, denials, refusals and repeated reports happen.
#[test]
fn generated_runs_exercise_the_engine() {
    let mut runner = TestRunner::deterministic();
    let (mut with_fills, mut with_round_trips, mut seen) = (0, 0, BTreeMap::new());
    for _ in 0..128 {
        let tree = (scenario(), venue()).new_tree(&mut runner).unwrap();
        let (s, venue) = tree.current();
        let outcome = check_run(&s, &venue, ALL);
        with_fills += usize::from(outcome.checker.seen.contains_key("fills"));
        with_round_trips += usize::from(outcome.engine.trade_stats().trades() > 0);
        for (what, n) in outcome.checker.seen {
            *seen.entry(what).or_insert(0) += n;
        }
    }
    assert!(with_fills >= 64, "{with_fills} of 128 runs filled an order");
    assert!(
        with_round_trips >= 32,
        "{with_round_trips} of 128 runs traded"
    );
    let wanted = [
        "fills",
        "partial fills",
        "repeats",
        "refusals",
        "Denied",
        "Killed",
    ];
    let exits = [
        "StopLoss",
        "TrailingStop",
        "TakeProfit",
        "DrawdownLimit",
        "DailyLossLimit",
    ];
    let missing: Vec<_> = wanted
        .iter()
        .chain(&exits)
        .filter(|w| !seen.contains_key(**w))
        .collect();
    assert!(missing.is_empty(), "never seen: {missing:?} in {seen:?}");
}
