use std::str::FromStr;

use rust_decimal::Decimal;

use super::*;
use crate::engine::{BotConfig, Command, Control, Engine, Event, OrderReport};
use crate::risk::{DenyReason, OrderRate};
use crate::strategy::{ParamValue, Registry, StrategySpec};
use crate::testkit::{self, FeeAsset, Feed, InstantExchange};
use crate::types::{Asset, OrderAmount, Timestamp};

pub(crate) fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

pub(crate) fn params(values: &[(&str, ParamValue)]) -> Params {
    let mut params = Params::new();
    for (name, value) in values {
        params.set(name, value.clone());
    }
    params
}

/// A TWAP of `target` over `minutes` in `slices`, with more parameters in `extra`.
fn twap_params(
    side: &str,
    target: f64,
    minutes: i64,
    slices: i64,
    extra: &[(&str, ParamValue)],
) -> Params {
    let mut p = params(extra);
    p.set("side", side)
        .set("target_quantity", target)
        .set("duration_minutes", minutes)
        .set("slices", slices);
    p
}

fn spec(p: Params) -> StrategySpec {
    StrategySpec::new(NAME, p)
}

pub(crate) fn flat_feed(prices: &[(i64, f64)]) -> Vec<Feed> {
    prices
        .iter()
        .map(|&(minute, price)| Feed::btc(testkit::flat(minute, price, 10.0)))
        .collect()
}

/// Runs `feed` like `testkit::run_feed`, keeping the engine and the exchange to inspect.
pub(crate) fn run(
    config: BotConfig,
    feed: &[Feed],
) -> (Vec<Vec<Command>>, Engine, InstantExchange) {
    let mut engine = Engine::new(config, &Registry::builtin()).unwrap();
    engine
        .on_event(&Event::control(Timestamp(0), Control::Start))
        .unwrap();
    let mut exchange = InstantExchange::new(FeeAsset::Received);
    let out = feed
        .iter()
        .map(|input| match input {
            Feed::Bar(symbol, bar) => exchange.market_bar(&mut engine, symbol, *bar).unwrap(),
            Feed::Event(event) => exchange.feed(&mut engine, event, f64::NAN).unwrap(),
        })
        .collect();
    (out, engine, exchange)
}

/// `(input, side, amount)` of every submitted order.
pub(crate) fn orders(out: &[Vec<Command>]) -> Vec<(usize, Side, OrderAmount)> {
    testkit::submits(out)
        .into_iter()
        .map(|(i, o)| (i, o.side, o.amount))
        .collect()
}

/// `(minute, side, quantity)` of every fill the exchange reported.
pub(crate) fn fills(exchange: &InstantExchange) -> Vec<(i64, Side, Decimal)> {
    exchange
        .fed
        .iter()
        .filter_map(|e| match e {
            Event::Order(OrderReport::Filled { fill, .. }) => {
                Some((fill.ts.millis() / 60_000, fill.side, fill.quantity))
            }
            _ => None,
        })
        .collect()
}

pub(crate) fn total(fills: &[(i64, Side, Decimal)], side: Side) -> Decimal {
    fills.iter().filter(|f| f.1 == side).map(|f| f.2).sum()
}

pub(crate) fn quote(s: &str) -> OrderAmount {
    OrderAmount::Quote(dec(s))
}

pub(crate) fn base(s: &str) -> OrderAmount {
    OrderAmount::Base(dec(s))
}

#[test]
fn slice_times_follow_the_window() {
    // 60 minutes in 7 slices: due at 0, 8:34.285, 17:08.571, .. (floor in ms).
    let d = 60 * MINUTE_MS;
    assert_eq!(slices_reached(-1, d, 7), 0);
    assert_eq!(slices_reached(0, d, 7), 1);
    assert_eq!(slices_reached(514_284, d, 7), 1);
    assert_eq!(slices_reached(514_285, d, 7), 2);
    assert_eq!(slices_reached(6 * d / 7, d, 7), 7);
    assert_eq!(slices_reached(d - 1, d, 7), 7);
    assert_eq!(slices_reached(10 * d, d, 7), 7);
    // One slice per minute.
    assert_eq!(slices_reached(3 * MINUTE_MS - 1, 4 * MINUTE_MS, 4), 3);
    assert_eq!(slices_reached(3 * MINUTE_MS, 4 * MINUTE_MS, 4), 4);
}

#[test]
fn twap_fills_exactly_the_target_in_the_set_number_of_slices() {
    // 1.2 BTC over 8 minutes in 4 slices: at minutes 0, 2, 4 and 6, 0.3 BTC each. A market
    // buy of 0.3 at 100 is sent as 30.00 USDT (0.3 × 100; the fee is reserved on top).
    let feed = flat_feed(&(0..12).map(|m| (m, 100.0)).collect::<Vec<_>>());
    let config = testkit::bot(spec(twap_params("buy", 1.2, 8, 4, &[])), 1_000);
    let (out, engine, exchange) = run(config, &feed);
    assert_eq!(
        orders(&out),
        vec![
            (0, Side::Buy, quote("30.00")),
            (2, Side::Buy, quote("30.00")),
            (4, Side::Buy, quote("30.00")),
            (6, Side::Buy, quote("30.00")),
        ]
    );
    let fills = fills(&exchange);
    assert_eq!(
        fills.iter().map(|f| f.2).collect::<Vec<_>>(),
        vec![dec("0.3"); 4]
    );
    assert_eq!(total(&fills, Side::Buy), dec("1.2"));
    // The fee (0.05 %) is charged in BTC: the wallet holds 1.2 − 0.0006.
    assert_eq!(engine.wallet().held(&testkit::btc()), dec("1.1994"));
    assert!(
        out.iter()
            .flatten()
            .all(|c| !matches!(c, Command::Denied(_)))
    );
}

#[test]
fn rounding_shortfalls_are_made_up_and_the_total_never_exceeds_the_target() {
    // At 43210.55 a buy of 0.1 BTC is quote-rounded down and fills 0.099999: the next
    // slice asks for the shortfall too, and the last one leaves at most the rounding of its
    // own order undone. Quantities worked out with the gate's rules (base × price, rounded
    // down to cents; the fill rounded down to 6 decimals):
    // slice 1: 0.1 × 43210.55 = 4321.055 → 4321.05 USDT → 0.099999 filled;
    // slices 2–5: due 0.1 more each, asks 0.100001 → 4321.098… → 4321.09 USDT
    //             → 0.100000 filled; 0.499999 in total.
    let feed = flat_feed(&(0..10).map(|m| (m, 43_210.55)).collect::<Vec<_>>());
    let config = testkit::bot(spec(twap_params("buy", 0.5, 5, 5, &[])), 30_000);
    let (out, _, exchange) = run(config, &feed);
    assert_eq!(
        orders(&out),
        vec![
            (0, Side::Buy, quote("4321.05")),
            (1, Side::Buy, quote("4321.09")),
            (2, Side::Buy, quote("4321.09")),
            (3, Side::Buy, quote("4321.09")),
            (4, Side::Buy, quote("4321.09")),
        ]
    );
    let fills = fills(&exchange);
    let quantities: Vec<Decimal> = fills.iter().map(|f| f.2).collect();
    assert_eq!(
        quantities,
        ["0.099999", "0.1", "0.1", "0.1", "0.1"].map(dec)
    );
    assert_eq!(total(&fills, Side::Buy), dec("0.499999"));
}

#[test]
fn limit_skips_slices_and_the_next_slice_catches_up() {
    // Buy limit 105: the slice at minute 2 (close 110) is skipped; the bar at minute 3 is
    // back under the limit but is no slice bar; the slice at minute 4 buys 0.6.
    let prices = [
        (0, 100.0),
        (1, 100.0),
        (2, 110.0),
        (3, 100.0),
        (4, 100.0),
        (5, 100.0),
        (6, 100.0),
        (7, 100.0),
    ];
    let p = twap_params("buy", 1.2, 8, 4, &[("limit_price", 105.0.into())]);
    let (out, _, exchange) = run(testkit::bot(spec(p), 1_000), &flat_feed(&prices));
    assert_eq!(
        orders(&out),
        vec![
            (0, Side::Buy, quote("30.00")),
            (4, Side::Buy, quote("60.00")),
            (6, Side::Buy, quote("30.00")),
        ]
    );
    assert_eq!(total(&fills(&exchange), Side::Buy), dec("1.2"));
}

#[test]
fn slice_times_passed_in_a_gap_merge_into_one_order() {
    // No bars between minutes 0 and 5: the slices due at 2 and 4 are taken together at 5.
    let prices = [(0, 100.0), (5, 100.0), (6, 100.0), (7, 100.0)];
    let p = twap_params("buy", 1.2, 8, 4, &[]);
    let (out, _, exchange) = run(testkit::bot(spec(p), 1_000), &flat_feed(&prices));
    assert_eq!(
        orders(&out),
        vec![
            (0, Side::Buy, quote("30.00")),
            (1, Side::Buy, quote("60.00")),
            (2, Side::Buy, quote("30.00")),
        ]
    );
    assert_eq!(total(&fills(&exchange), Side::Buy), dec("1.2"));
}

#[test]
fn a_blocked_last_slice_stays_undone_and_nothing_happens_after_the_window() {
    // The last slice (minute 6) is above the limit: 0.3 stays undone. Bars at minute 7
    // (inside the window, no slice) and from minute 8 on (after it) never order, even
    // under the limit.
    let mut prices = vec![(0, 100.0), (1, 100.0), (2, 100.0), (3, 100.0)];
    prices.extend([(4, 100.0), (5, 100.0), (6, 110.0), (7, 100.0)]);
    prices.extend((8..20).map(|m| (m, 90.0)));
    let p = twap_params("buy", 1.2, 8, 4, &[("limit_price", 105.0.into())]);
    let (out, _, exchange) = run(testkit::bot(spec(p), 1_000), &flat_feed(&prices));
    assert_eq!(
        orders(&out),
        vec![
            (0, Side::Buy, quote("30.00")),
            (2, Side::Buy, quote("30.00")),
            (4, Side::Buy, quote("30.00")),
        ]
    );
    assert_eq!(total(&fills(&exchange), Side::Buy), dec("0.9"));
}

#[test]
fn denied_slices_are_made_up_by_the_next_slice() {
    // One order per 3 minutes: the slices at minutes 1 and 2 are denied by the rate cap;
    // the last slice (minute 3) buys the 0.9 still missing.
    let prices: Vec<(i64, f64)> = (0..6).map(|m| (m, 100.0)).collect();
    let mut config = testkit::bot(spec(twap_params("buy", 1.2, 4, 4, &[])), 1_000);
    config.risk.order_rate = Some(OrderRate {
        max_orders: 1,
        window_ms: 3 * MINUTE_MS,
    });
    let (out, _, exchange) = run(config, &flat_feed(&prices));
    assert_eq!(
        orders(&out),
        vec![
            (0, Side::Buy, quote("30.00")),
            (3, Side::Buy, quote("90.00")),
        ]
    );
    let denied: Vec<usize> = out
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.iter()
                .any(|c| matches!(c, Command::Denied(d) if d.reason == DenyReason::OrderRate))
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(denied, vec![1, 2]);
    assert_eq!(total(&fills(&exchange), Side::Buy), dec("1.2"));
}

/// An exchange driven by hand: answers a submit with acceptance only; the test then
/// decides the fills.
struct Manual {
    engine: Engine,
    trades: u32,
}

impl Manual {
    fn new(spec: StrategySpec) -> Self {
        let mut engine = Engine::new(testkit::bot(spec, 1_000), &Registry::builtin()).unwrap();
        engine
            .on_event(&Event::control(Timestamp(0), Control::Start))
            .unwrap();
        Self { engine, trades: 0 }
    }

    /// Feeds a flat BTCUSDT bar; returns the orders submitted, accepted but unfilled.
    fn bar(&mut self, minute: i64, price: f64) -> Vec<crate::types::OrderRequest> {
        let event = Event::bar(testkit::symbol(), testkit::flat(minute, price, 10.0));
        let submitted: Vec<_> = self
            .engine
            .on_event(&event)
            .unwrap()
            .iter()
            .filter_map(|c| match c {
                Command::Submit(o) => Some(o.clone()),
                _ => None,
            })
            .collect();
        for order in &submitted {
            let (client_id, ts) = (order.client_id.clone(), order.ts);
            for report in [
                OrderReport::Submitted {
                    client_id: client_id.clone(),
                    ts,
                },
                OrderReport::Accepted {
                    client_id,
                    exchange_id: None,
                    ts,
                },
            ] {
                self.engine.on_event(&Event::Order(report)).unwrap();
            }
        }
        submitted
    }

    /// Fills `quantity` of `order` at `price`; `last` ends the order (expired if partial).
    fn fill(&mut self, order: &crate::types::OrderRequest, quantity: &str, price: f64, ts: i64) {
        self.trades += 1;
        let quantity = dec(quantity);
        let fill = Fill {
            client_id: order.client_id.clone(),
            trade_id: format!("M{}", self.trades),
            symbol: order.symbol.clone(),
            side: order.side,
            price: Decimal::from_f64_retain(price).unwrap(),
            quantity,
            fee: quantity * dec("0.0005"),
            fee_asset: Asset::new("BTC").unwrap(),
            is_maker: false,
            ts: Timestamp(ts * MINUTE_MS),
        };
        self.engine.on_event(&Event::fill(fill, true)).unwrap();
    }

    fn expire(&mut self, order: &crate::types::OrderRequest, ts: i64) {
        let expired = OrderReport::Expired {
            client_id: order.client_id.clone(),
            ts: Timestamp(ts * MINUTE_MS),
        };
        self.engine.on_event(&Event::Order(expired)).unwrap();
    }
}

#[test]
fn partial_fills_and_orders_in_flight_are_made_up_later() {
    let mut ex = Manual::new(spec(twap_params("buy", 1.2, 8, 4, &[])));
    // Slice 1: 0.3 asked, 0.1 filled, the rest expires.
    let first = ex.bar(0, 100.0);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].amount, quote("30.00"));
    ex.fill(&first[0], "0.1", 100.0, 0);
    ex.expire(&first[0], 0);
    assert!(ex.bar(1, 100.0).is_empty());
    // Slice 2 (minute 2): due 0.6, 0.1 executed: asks 0.5. It stays open, unfilled.
    let second = ex.bar(2, 100.0);
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].amount, quote("50.00"));
    assert!(ex.bar(3, 100.0).is_empty());
    // Slice 3 (minute 4): the order is still open, so nothing is added (it could fill).
    assert!(ex.bar(4, 100.0).is_empty());
    // It fills 0.4 at minute 5 and ends.
    ex.fill(&second[0], "0.4", 100.0, 5);
    ex.expire(&second[0], 5);
    // Last slice (minute 6): 1.2 − 0.5 executed = 0.7.
    let last = ex.bar(6, 100.0);
    assert_eq!(last.len(), 1);
    assert_eq!(last[0].amount, quote("70.00"));
    ex.fill(&last[0], "0.7", 100.0, 6);
    // Done: the window ends, nothing more.
    assert!(ex.bar(7, 100.0).is_empty());
    assert!(ex.bar(8, 100.0).is_empty());
    assert_eq!(
        ex.engine.wallet().held(&testkit::btc()),
        dec("1.2") - dec("1.2") * dec("0.0005")
    );
}

#[test]
fn sell_twap_sells_the_target_in_slices_and_never_more_than_held() {
    // Buy 1.2 (the wallet holds 1.1994 after the BTC fee), then switch the bot to a sell
    // TWAP of 1.2 over 8 minutes in 4 slices with a sell limit of 105. Slices at minutes
    // 20, 22, 24, 26: 0.3; skipped (close 100 < 105); 0.6; the last one is capped at what
    // is left (0.2994): 0.0006 of the target stays undone.
    let mut feed = flat_feed(&(0..8).map(|m| (m, 100.0)).collect::<Vec<_>>());
    let control = |minute: i64, control: Control| {
        Feed::Event(Event::control(Timestamp(minute * MINUTE_MS), control))
    };
    let sell = twap_params("sell", 1.2, 8, 4, &[("limit_price", 105.0.into())]);
    feed.push(control(10, Control::Pause));
    feed.push(control(10, Control::UpdateParams(sell)));
    feed.push(control(10, Control::Resume));
    let sell_prices = [110.0, 110.0, 100.0, 110.0, 110.0, 110.0, 110.0, 110.0];
    for (i, price) in (20..).zip(sell_prices) {
        feed.push(Feed::btc(testkit::flat(i, price, 10.0)));
    }
    feed.extend(flat_feed(&[(28, 120.0), (29, 120.0)]));
    let config = testkit::bot(spec(twap_params("buy", 1.2, 8, 4, &[])), 1_000);
    let (out, engine, exchange) = run(config, &feed);
    let sells: Vec<_> = orders(&out)
        .into_iter()
        .filter(|o| o.1 == Side::Sell)
        .collect();
    assert_eq!(
        sells,
        vec![
            (11, Side::Sell, base("0.3")),
            (15, Side::Sell, base("0.6")),
            (17, Side::Sell, base("0.2994")),
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
fn a_sell_twap_with_nothing_held_does_nothing() {
    let prices: Vec<(i64, f64)> = (0..10).map(|m| (m, 100.0)).collect();
    let config = testkit::bot(spec(twap_params("sell", 1.0, 8, 4, &[])), 1_000);
    let (out, _, _) = run(config, &flat_feed(&prices));
    assert!(
        out.iter()
            .flatten()
            .all(|c| !matches!(c, Command::Submit(_) | Command::Denied(_)))
    );
}

#[test]
fn only_the_first_symbol_seen_is_executed() {
    let mut eth = testkit::btcusdt();
    eth.symbol = Symbol::new("ETHUSDT").unwrap();
    eth.base = Asset::new("ETH").unwrap();
    let mut config = testkit::bot(spec(twap_params("buy", 1.2, 4, 4, &[])), 1_000);
    config.instruments.push(eth.clone());
    let mut feed = Vec::new();
    for minute in 0..6 {
        feed.push(Feed::btc(testkit::flat(minute, 100.0, 10.0)));
        feed.push(Feed::Bar(
            eth.symbol.clone(),
            testkit::flat(minute, 10.0, 10.0),
        ));
    }
    let (out, _, _) = run(config, &feed);
    let submitted = testkit::submits(&out);
    assert_eq!(submitted.len(), 4);
    assert!(submitted.iter().all(|(_, o)| o.symbol == testkit::symbol()));
}

#[test]
fn decisions_do_not_look_ahead() {
    let registry = Registry::builtin();
    let feed: Vec<Feed> = testkit::random_walk(600, 100.0, 0.004, 5)
        .into_iter()
        .map(Feed::btc)
        .collect();
    let p = twap_params("buy", 50.0, 600, 100, &[("limit_price", 100.0.into())]);
    let config = testkit::bot(spec(p), 100_000);
    let out = testkit::run_feed(&registry, config.clone(), &feed).unwrap();
    let submitted = testkit::submits(&out).len();
    assert!((20..100).contains(&submitted), "{submitted} orders");
    testkit::assert_no_lookahead(&registry, &config, &feed, &testkit::cuts(feed.len(), 8, 17));
}

#[test]
fn bad_parameters_name_the_parameter_and_the_rule() {
    let registry = Registry::builtin();
    let cases: [(Params, &str); 5] = [
        (
            twap_params("buy", 1.0, 10, 20, &[]),
            "parameter `slices` = 20 must be at most duration_minutes (10)",
        ),
        (
            twap_params("buy", 0.0, 10, 5, &[]),
            "parameter `target_quantity` = 0 must be positive",
        ),
        (
            twap_params("buy", 1.0, 10, 5, &[("limit_price", (-1.0).into())]),
            "parameter `limit_price` = -1 must be at least 0",
        ),
        (
            twap_params("hold", 1.0, 10, 5, &[]),
            "parameter `side` = \"hold\" must be one of buy, sell",
        ),
        (
            twap_params("buy", 1.0, 0, 1, &[]),
            "parameter `duration_minutes` = 0 must be at least 1",
        ),
    ];
    for (p, expected) in cases {
        let err = registry.build(&spec(p)).unwrap_err().to_string();
        assert!(err.contains(expected), "{err} does not contain {expected}");
        assert!(err.starts_with("strategy twap:"), "{err}");
    }
    let defaults = registry.resolve(&spec(Params::new())).unwrap();
    assert!(Twap::new(&defaults).is_ok());
}

#[test]
fn the_window_starts_when_the_bot_trades() {
    // Paused from the start: bars 0–2 are history (warm-up); the window of 8 minutes in 4
    // slices starts at the first bar after the resume, minute 3.
    let pause = Feed::Event(Event::control(Timestamp(0), Control::Pause));
    let resume = Feed::Event(Event::control(Timestamp(3 * MINUTE_MS), Control::Resume));
    let mut feed = vec![pause];
    feed.extend(flat_feed(&[(0, 100.0), (1, 100.0), (2, 100.0)]));
    feed.push(resume);
    feed.extend(flat_feed(&(3..14).map(|m| (m, 100.0)).collect::<Vec<_>>()));
    let config = testkit::bot(spec(twap_params("buy", 1.2, 8, 4, &[])), 1_000);
    let (out, _, exchange) = run(config, &feed);
    // Inputs 5, 7, 9 and 11 are the bars of minutes 3, 5, 7 and 9.
    let sent: Vec<usize> = orders(&out).into_iter().map(|(i, _, _)| i).collect();
    assert_eq!(sent, vec![5, 7, 9, 11]);
    assert_eq!(total(&fills(&exchange), Side::Buy), dec("1.2"));
    assert!(
        out.iter()
            .flatten()
            .all(|c| !matches!(c, Command::Denied(_)))
    );
}

#[test]
fn a_slice_due_while_paused_is_carried_to_the_next_slice() {
    let pause = Feed::Event(Event::control(Timestamp(2 * MINUTE_MS), Control::Pause));
    let resume = Feed::Event(Event::control(Timestamp(3 * MINUTE_MS), Control::Resume));
    let mut feed = flat_feed(&[(0, 100.0), (1, 100.0)]);
    feed.push(pause);
    feed.extend(flat_feed(&[(2, 100.0)]));
    feed.push(resume);
    feed.extend(flat_feed(&(3..12).map(|m| (m, 100.0)).collect::<Vec<_>>()));
    let config = testkit::bot(spec(twap_params("buy", 1.2, 8, 4, &[])), 1_000);
    let (out, _, exchange) = run(config, &feed);
    // Slice 2 (minute 2) falls in the pause: minute 4 buys it with slice 3, minute 6 the last.
    assert_eq!(
        orders(&out),
        vec![
            (0, Side::Buy, quote("30.00")),
            (6, Side::Buy, quote("60.00")),
            (8, Side::Buy, quote("30.00")),
        ]
    );
    assert_eq!(total(&fills(&exchange), Side::Buy), dec("1.2"));
    assert!(
        out.iter()
            .flatten()
            .all(|c| !matches!(c, Command::Denied(_)))
    );
}

#[test]
fn the_risk_layers_exits_do_not_count_toward_a_sell_target() {
    // Buy 1.2 (1.1994 held after the BTC fee), then a sell TWAP of 0.4 in 4 slices. At the
    // first sell bar (110) the risk layer's take profit (+5 %) sells half of the position,
    // 0.5997: that is not the TWAP's sale, so it still sells its 0.1 in each slice.
    let mut feed = flat_feed(&(0..8).map(|m| (m, 100.0)).collect::<Vec<_>>());
    let control = |minute: i64, control: Control| {
        Feed::Event(Event::control(Timestamp(minute * MINUTE_MS), control))
    };
    feed.push(control(10, Control::Pause));
    feed.push(control(
        10,
        Control::UpdateParams(twap_params("sell", 0.4, 8, 4, &[])),
    ));
    feed.push(control(10, Control::Resume));
    feed.extend(flat_feed(&(20..30).map(|m| (m, 110.0)).collect::<Vec<_>>()));
    let mut config = testkit::bot(spec(twap_params("buy", 1.2, 8, 4, &[])), 1_000);
    config.risk.take_profit = vec![crate::risk::TakeProfitTarget {
        gain: 0.05,
        fraction: 0.5,
    }];
    let (out, engine, _) = run(config, &feed);
    let sells: Vec<(usize, OrderAmount)> = orders(&out)
        .into_iter()
        .filter(|o| o.1 == Side::Sell)
        .map(|(i, _, amount)| (i, amount))
        .collect();
    // Input 11 is minute 20: the take profit's 0.5997 and the first slice; then 22, 24, 26.
    assert_eq!(
        sells,
        vec![
            (11, base("0.5997")),
            (11, base("0.1")),
            (13, base("0.1")),
            (15, base("0.1")),
            (17, base("0.1")),
        ]
    );
    assert_eq!(
        engine.wallet().held(&testkit::btc()),
        dec("1.1994") - dec("0.9997")
    );
}
