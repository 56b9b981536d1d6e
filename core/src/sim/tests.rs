//! The simulated exchange's rules, one by one.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::*;
use crate::engine::{BotConfig, BotId, Control, Engine, Event};
use crate::strategy::{Params, StrategySpec};
use crate::testkit::{self, action, bar, cid, flat};
use crate::types::instrument::stubs::{btcusdt, ethusdt};
use crate::types::{OrderAmount, OrderRequest, Side};

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn exchange(config: SimConfig) -> SimExchange {
    SimExchange::new(config, [btcusdt(), ethusdt()]).unwrap()
}

fn next_open() -> SimExchange {
    exchange(SimConfig::default())
}

fn order(
    id: &str,
    side: Side,
    order_type: OrderType,
    amount: OrderAmount,
    price: Option<&str>,
) -> Command {
    Command::Submit(OrderRequest {
        client_id: cid(id),
        symbol: btcusdt().symbol,
        side,
        order_type,
        amount,
        price: price.map(dec),
        ts: Timestamp(0),
    })
}

fn market(id: &str, side: Side, quantity: &str) -> Command {
    order(
        id,
        side,
        OrderType::Market,
        OrderAmount::Base(dec(quantity)),
        None,
    )
}

fn limit(id: &str, side: Side, quantity: &str, price: &str) -> Command {
    order(
        id,
        side,
        OrderType::Limit,
        OrderAmount::Base(dec(quantity)),
        Some(price),
    )
}

/// Submits `command` at `ts`; returns the reports.
fn submit(x: &mut SimExchange, command: &Command, ts: i64) -> Vec<OrderReport> {
    let mut out = Vec::new();
    x.on_command(command, Timestamp(ts), &mut out);
    out
}

fn feed(x: &mut SimExchange, b: Bar) -> Vec<OrderReport> {
    let mut out = Vec::new();
    x.on_bar(&btcusdt().symbol, &b, &mut out).unwrap();
    out
}

fn fills(reports: &[OrderReport]) -> Vec<(Fill, bool)> {
    reports
        .iter()
        .filter_map(|r| match r {
            OrderReport::Filled { fill, partial } => Some((fill.clone(), *partial)),
            _ => None,
        })
        .collect()
}

fn only_fill(reports: &[OrderReport]) -> Fill {
    let f = fills(reports);
    assert_eq!(f.len(), 1, "{reports:?}");
    assert!(!f[0].1, "expected a complete fill: {reports:?}");
    f[0].0.clone()
}

fn rejected(reports: &[OrderReport]) -> String {
    match reports {
        [OrderReport::Rejected { reason, .. }] => reason.clone(),
        other => panic!("expected one rejection, got {other:?}"),
    }
}

#[test]
fn next_open_fills_a_market_order_at_the_next_bars_open_as_taker() {
    let mut x = next_open();
    assert!(feed(&mut x, bar(0, 100.0, 101.0, 99.0, 100.5, 10.0)).is_empty());
    let acks = submit(&mut x, &market("b-1", Side::Buy, "2"), 0);
    assert_eq!(
        acks,
        vec![OrderReport::Accepted {
            client_id: cid("b-1"),
            exchange_id: Some("SIM-1".into()),
            ts: Timestamp(0),
        }]
    );
    let f = only_fill(&feed(&mut x, bar(1, 102.0, 103.0, 101.0, 102.5, 10.0)));
    assert_eq!(
        (f.price, f.quantity, f.ts),
        (dec("102"), dec("2"), Timestamp(60_000))
    );
    assert_eq!(f.trade_id, "SIMT-1");
    assert!(!f.is_maker);
    // Taker 0.05 % of the notional, in quote.
    assert_eq!(f.fee, dec("0.102"));
    assert_eq!(f.fee_asset, btcusdt().quote);
    assert_eq!(x.open_orders().count(), 0);
    // Nothing left to fill on later bars.
    assert!(feed(&mut x, bar(2, 90.0, 91.0, 89.0, 90.0, 10.0)).is_empty());
}

#[test]
fn this_close_fills_at_the_close_of_the_bar_being_handled() {
    let mut x = exchange(SimConfig {
        timing: FillTiming::ThisClose,
        ..SimConfig::default()
    });
    // Before the symbol's first bar: waits for that bar's close.
    let early = submit(&mut x, &market("b-1", Side::Buy, "1"), 0);
    assert_eq!(early.len(), 1);
    let f = only_fill(&feed(&mut x, bar(0, 100.0, 101.0, 99.0, 100.5, 10.0)));
    assert_eq!((f.price, f.ts), (dec("100.5"), Timestamp(0)));
    // After a bar: at once, at its close, stamped with the command's time.
    let reports = submit(&mut x, &market("b-2", Side::Sell, "1"), 0);
    assert!(matches!(reports[0], OrderReport::Accepted { .. }));
    let f = only_fill(&reports);
    assert_eq!((f.price, f.side), (dec("100.5"), Side::Sell));
}

#[test]
fn quote_amount_orders_buy_whole_steps_and_slippage_goes_against_the_trader() {
    let mut x = exchange(SimConfig {
        slippage_bps: 10.0,
        ..SimConfig::default()
    });
    feed(&mut x, flat(0, 100.0, 1.0));
    let buy = order(
        "b-1",
        Side::Buy,
        OrderType::Market,
        OrderAmount::Quote(dec("100")),
        None,
    );
    submit(&mut x, &buy, 0);
    submit(&mut x, &market("b-2", Side::Sell, "0.5"), 0);
    let reports = feed(&mut x, flat(1, 200.0, 1.0));
    let f = fills(&reports);
    assert_eq!(f.len(), 2);
    // 200 × 1.001 = 200.2; 100 / 200.2 = 0.4995004995… → 0.4995 (6 decimals: 0.499500).
    assert_eq!(
        (f[0].0.price, f[0].0.quantity),
        (dec("200.2"), dec("0.4995"))
    );
    assert!(
        !f[0].1,
        "a quote order is complete once the rest buys no step"
    );
    // 200 × 0.999 = 199.8.
    assert_eq!(f[1].0.price, dec("199.8"));
}

#[test]
fn a_resting_limit_fills_at_its_price_when_a_bar_trades_through_it() {
    let mut x = next_open();
    feed(&mut x, flat(0, 105.0, 10.0));
    submit(&mut x, &limit("b-1", Side::Buy, "1", "100"), 0);
    // Arrives at 104 (not marketable) and rests; this bar stays above.
    assert!(feed(&mut x, bar(1, 104.0, 106.0, 101.0, 102.0, 10.0)).is_empty());
    assert_eq!(x.order(&cid("b-1")).map(|o| o.stage), Some(Stage::Resting));
    // Touching 100 exactly is not enough under the default rule.
    assert!(feed(&mut x, bar(2, 102.0, 103.0, 100.0, 101.0, 10.0)).is_empty());
    let f = only_fill(&feed(&mut x, bar(3, 101.0, 101.0, 99.5, 100.5, 10.0)));
    assert_eq!((f.price, f.ts), (dec("100"), Timestamp(180_000)));
    assert!(f.is_maker);
    assert_eq!(f.fee, Decimal::ZERO, "MEXC's maker fee is 0 %");
}

#[test]
fn the_touch_rule_fills_on_an_exact_touch_and_gaps_fill_at_the_limit() {
    let mut x = exchange(SimConfig {
        touch: TouchRule::Touch,
        ..SimConfig::default()
    });
    feed(&mut x, flat(0, 105.0, 10.0));
    submit(&mut x, &limit("s-1", Side::Sell, "1", "110"), 0);
    submit(&mut x, &limit("b-1", Side::Buy, "1", "100"), 0);
    let f = only_fill(&feed(&mut x, bar(1, 105.0, 110.0, 104.0, 106.0, 10.0)));
    assert_eq!((f.client_id.as_str(), f.price), ("s-1", dec("110")));
    // The next bar opens below the resting buy: it fills at its limit, not the open.
    let f = only_fill(&feed(&mut x, bar(2, 95.0, 96.0, 94.0, 95.0, 10.0)));
    assert_eq!((f.client_id.as_str(), f.price), ("b-1", dec("100")));
    assert!(f.is_maker);
}

#[test]
fn a_limit_marketable_on_arrival_takes_at_the_open_as_taker() {
    let mut x = next_open();
    feed(&mut x, flat(0, 100.0, 10.0));
    submit(&mut x, &limit("b-1", Side::Buy, "1", "101"), 0);
    let f = only_fill(&feed(&mut x, bar(1, 100.5, 102.0, 100.0, 101.0, 10.0)));
    assert_eq!(f.price, dec("100.5"), "the better open, not the limit");
    assert!(!f.is_maker);
    assert_eq!(f.fee, dec("0.05025"));
    // With slippage the price is capped at the limit.
    let mut x = exchange(SimConfig {
        slippage_bps: 100.0,
        ..SimConfig::default()
    });
    feed(&mut x, flat(0, 100.0, 10.0));
    submit(&mut x, &limit("b-1", Side::Buy, "1", "101"), 0);
    let f = only_fill(&feed(&mut x, bar(1, 100.5, 102.0, 100.0, 101.0, 10.0)));
    assert_eq!(f.price, dec("101"));
}

#[test]
fn the_volume_cap_spreads_a_market_order_over_bars() {
    let mut x = exchange(SimConfig {
        volume_cap: Some(0.1),
        ..SimConfig::default()
    });
    feed(&mut x, flat(0, 100.0, 10.0));
    submit(&mut x, &market("b-1", Side::Buy, "2.5"), 0);
    let mut got = Vec::new();
    for (minute, open) in [(1, 101.0), (2, 102.0), (3, 103.0), (4, 104.0)] {
        for (f, partial) in fills(&feed(&mut x, flat(minute, open, 10.0))) {
            got.push((f.ts, f.price, f.quantity, partial));
        }
    }
    assert_eq!(
        got,
        vec![
            (Timestamp(60_000), dec("101"), dec("1"), true),
            (Timestamp(120_000), dec("102"), dec("1"), true),
            (Timestamp(180_000), dec("103"), dec("0.5"), false),
        ]
    );
    assert_eq!(x.open_orders().count(), 0);
}

#[test]
fn the_volume_cap_counts_every_fill_of_an_order_on_one_bar() {
    let mut x = exchange(SimConfig {
        volume_cap: Some(0.5),
        ..SimConfig::default()
    });
    feed(&mut x, flat(0, 105.0, 10.0));
    // A resting buy at 100 fills 1 per bar (half of a volume of 2).
    submit(&mut x, &limit("b-1", Side::Buy, "2.5", "100"), 0);
    submit(&mut x, &limit("b-2", Side::Buy, "0.4", "100"), 0);
    let through = |minute| bar(minute, 101.0, 101.0, 99.0, 100.0, 2.0);
    let first = fills(&feed(&mut x, through(1)));
    let got: Vec<(&str, Decimal, bool)> = first
        .iter()
        .map(|(f, p)| (f.client_id.as_str(), f.quantity, *p))
        .collect();
    // Each order has its own cap; arrival order decides who goes first.
    assert_eq!(
        got,
        vec![("b-1", dec("1"), true), ("b-2", dec("0.4"), false)]
    );
    assert_eq!(fills(&feed(&mut x, through(2)))[0].0.quantity, dec("1"));
    let last = fills(&feed(&mut x, through(3)));
    assert_eq!((last[0].0.quantity, last[0].1), (dec("0.5"), false));
    assert!(
        last.iter()
            .all(|(f, _)| f.is_maker && f.price == dec("100"))
    );
    // A bar without volume fills nothing.
    let mut x = exchange(SimConfig {
        volume_cap: Some(0.5),
        ..SimConfig::default()
    });
    feed(&mut x, flat(0, 100.0, 0.0));
    submit(&mut x, &market("b-1", Side::Buy, "1"), 0);
    assert!(feed(&mut x, flat(1, 100.0, 0.0)).is_empty());
    assert_eq!(x.order(&cid("b-1")).map(|o| o.stage), Some(Stage::Taking));
}

#[test]
fn a_capped_quote_order_ends_when_its_rest_buys_no_step() {
    let mut x = exchange(SimConfig {
        volume_cap: Some(0.1),
        ..SimConfig::default()
    });
    feed(&mut x, flat(0, 100.0, 10.0));
    let buy = order(
        "b-1",
        Side::Buy,
        OrderType::Market,
        OrderAmount::Quote(dec("150")),
        None,
    );
    submit(&mut x, &buy, 0);
    let f = fills(&feed(&mut x, flat(1, 100.0, 10.0)));
    assert_eq!((f[0].0.quantity, f[0].1), (dec("1"), true));
    // 50 left buys 0.5 at 100: within the cap, so it completes.
    let f = fills(&feed(&mut x, flat(2, 100.0, 10.0)));
    assert_eq!((f[0].0.quantity, f[0].1), (dec("0.5"), false));
    // A rest too small for one step expires.
    let tiny = order(
        "b-2",
        Side::Buy,
        OrderType::Market,
        OrderAmount::Quote(dec("1")),
        None,
    );
    submit(&mut x, &tiny, 120_000);
    let reports = feed(&mut x, flat(3, 2_000_000.0, 10.0));
    assert_eq!(
        reports,
        vec![OrderReport::Expired {
            client_id: cid("b-2"),
            ts: Timestamp(180_000)
        }]
    );
}

#[test]
fn maker_and_taker_fees_follow_the_instrument() {
    let mut instrument = btcusdt();
    instrument.maker_fee = dec("0.0002");
    let mut x = SimExchange::new(SimConfig::default(), [instrument.clone()]).unwrap();
    feed(&mut x, flat(0, 100.0, 10.0));
    submit(&mut x, &limit("b-1", Side::Buy, "2", "99"), 0);
    submit(&mut x, &market("b-2", Side::Buy, "2"), 0);
    let f = fills(&feed(&mut x, bar(1, 100.0, 100.0, 98.0, 99.0, 10.0)));
    assert_eq!(f.len(), 2);
    let taker = &f[0].0;
    let maker = &f[1].0;
    assert_eq!((taker.client_id.as_str(), taker.fee), ("b-2", dec("0.1")));
    assert_eq!(
        (maker.client_id.as_str(), maker.fee),
        ("b-1", dec("0.0396"))
    );
    // Fees in the received asset: base on buys.
    let mut x = SimExchange::new(
        SimConfig {
            fee_asset: FeeAsset::Received,
            ..SimConfig::default()
        },
        [instrument],
    )
    .unwrap();
    feed(&mut x, flat(0, 100.0, 10.0));
    submit(&mut x, &market("b-1", Side::Buy, "2"), 0);
    let f = only_fill(&feed(&mut x, flat(1, 100.0, 10.0)));
    assert_eq!((f.fee, f.fee_asset), (dec("0.001"), btcusdt().base));
}

#[test]
fn orders_breaking_mexc_rules_are_rejected_naming_the_rule() {
    let mut x = next_open();
    feed(&mut x, flat(0, 100.0, 10.0));
    let cases = [
        (
            limit("r-1", Side::Buy, "1", "100.001"),
            "10096 price_precision: price 100.001 has more than 2 decimals",
        ),
        (
            market("r-2", Side::Sell, "0.0000001"),
            "10096 quantity_precision: quantity 0.0000001 has more than 6 decimals",
        ),
        (
            limit("r-3", Side::Buy, "0.001", "100"),
            "30002 min_notional: order value 0.1 USDT is below the minimum 1 USDT",
        ),
        (
            market("r-4", Side::Sell, "0.005"),
            "30002 min_notional: order value 0.5 USDT is below the minimum 1 USDT",
        ),
        (
            order(
                "r-5",
                Side::Buy,
                OrderType::Market,
                OrderAmount::Quote(dec("0.5")),
                None,
            ),
            "30002 min_notional: order value 0.5 USDT is below the minimum 1 USDT",
        ),
        (
            order(
                "r-6",
                Side::Buy,
                OrderType::Limit,
                OrderAmount::Base(dec("1")),
                None,
            ),
            "44444 price: a Limit order needs a price",
        ),
        (
            order(
                "r-7",
                Side::Buy,
                OrderType::Market,
                OrderAmount::Quote(dec("10.001")),
                None,
            ),
            "10096 quote_precision: quote amount 10.001 has more than 2 decimals",
        ),
    ];
    for (command, reason) in cases {
        assert_eq!(rejected(&submit(&mut x, &command, 0)), reason);
    }
    // Minimum quantity.
    let mut coarse = btcusdt();
    coarse.min_quantity = dec("0.01");
    let mut y = SimExchange::new(SimConfig::default(), [coarse]).unwrap();
    let reason = rejected(&submit(
        &mut y,
        &limit("r-8", Side::Buy, "0.005", "1000"),
        0,
    ));
    assert_eq!(
        reason,
        "30002 min_quantity: quantity 0.005 BTC is below the minimum 0.01"
    );
    // Unlisted and API-closed symbols, duplicate ids.
    let mut closed = btcusdt();
    closed.api_trading_allowed = false;
    let mut z = SimExchange::new(SimConfig::default(), [closed]).unwrap();
    let reason = rejected(&submit(&mut z, &market("r-9", Side::Buy, "1"), 0));
    assert_eq!(reason, "10007 api_trading: symbol BTCUSDT not support api");
    let mut eth_only = SimExchange::new(SimConfig::default(), [ethusdt()]).unwrap();
    let reason = rejected(&submit(&mut eth_only, &market("r-10", Side::Buy, "1"), 0));
    assert!(reason.starts_with("-1121 symbol"), "{reason}");
    submit(&mut x, &limit("d-1", Side::Buy, "1", "90"), 0);
    let reason = rejected(&submit(&mut x, &limit("d-1", Side::Buy, "1", "90"), 0));
    assert!(reason.starts_with("33333 duplicate_client_id"), "{reason}");
    assert_eq!(x.orders_accepted(), 1, "rejected orders get no exchange id");
}

#[test]
fn cancels_remove_working_orders() {
    let mut x = next_open();
    feed(&mut x, flat(0, 100.0, 10.0));
    submit(&mut x, &limit("b-1", Side::Buy, "1", "90"), 0);
    submit(&mut x, &market("b-2", Side::Buy, "1"), 0);
    let eth = Command::Submit(OrderRequest {
        client_id: cid("e-1"),
        symbol: ethusdt().symbol,
        side: Side::Buy,
        order_type: OrderType::Limit,
        amount: OrderAmount::Base(dec("1")),
        price: Some(dec("90")),
        ts: Timestamp(0),
    });
    submit(&mut x, &eth, 0);
    let cancel = Command::Cancel {
        symbol: btcusdt().symbol,
        client_id: cid("b-2"),
    };
    assert_eq!(
        submit(&mut x, &cancel, 5),
        vec![OrderReport::Canceled {
            client_id: cid("b-2"),
            ts: Timestamp(5)
        }]
    );
    // The pending market order never trades.
    assert!(feed(&mut x, flat(1, 100.0, 10.0)).is_empty());
    assert!(submit(&mut x, &cancel, 60_000).is_empty());
    assert_eq!(x.unknown_cancels(), 1);
    let all = Command::CancelAll {
        symbol: btcusdt().symbol,
    };
    assert_eq!(
        submit(&mut x, &all, 60_000),
        vec![OrderReport::Canceled {
            client_id: cid("b-1"),
            ts: Timestamp(60_000)
        }]
    );
    assert!(feed(&mut x, bar(2, 100.0, 100.0, 80.0, 85.0, 10.0)).is_empty());
    let left: Vec<&str> = x.open_orders().map(|o| o.client_id().as_str()).collect();
    assert_eq!(left, ["e-1"]);
}

#[test]
fn ioc_fok_and_post_only_orders_end_instead_of_resting_or_taking() {
    let mut x = exchange(SimConfig {
        volume_cap: Some(0.1),
        ..SimConfig::default()
    });
    feed(&mut x, flat(0, 100.0, 10.0));
    let typed =
        |id, t, qty, price| order(id, Side::Buy, t, OrderAmount::Base(dec(qty)), Some(price));
    submit(
        &mut x,
        &typed("i-1", OrderType::ImmediateOrCancel, "1", "99"),
        0,
    );
    submit(
        &mut x,
        &typed("i-2", OrderType::ImmediateOrCancel, "3", "101"),
        0,
    );
    submit(&mut x, &typed("f-1", OrderType::FillOrKill, "3", "101"), 0);
    submit(&mut x, &typed("m-1", OrderType::LimitMaker, "1", "101"), 0);
    submit(&mut x, &typed("m-2", OrderType::LimitMaker, "1", "99"), 0);
    let reports = feed(&mut x, flat(1, 100.0, 10.0));
    let expired = |id: &str| OrderReport::Expired {
        client_id: cid(id),
        ts: Timestamp(60_000),
    };
    assert_eq!(reports[0], expired("i-1"));
    // i-2 takes the 1 the cap allows, the rest expires.
    assert!(
        matches!(&reports[1], OrderReport::Filled { fill, partial: true } if fill.quantity == dec("1"))
    );
    assert_eq!(reports[2], expired("i-2"));
    assert_eq!(reports[3], expired("f-1"));
    assert_eq!(reports[4], expired("m-1"));
    assert_eq!(reports.len(), 5);
    assert_eq!(x.order(&cid("m-2")).map(|o| o.stage), Some(Stage::Resting));
}

#[test]
fn bad_bars_are_errors_and_change_nothing() {
    let mut x = next_open();
    let mut out = Vec::new();
    let unknown = Symbol::new("DOGEUSDT").unwrap();
    let err = x
        .on_bar(&unknown, &flat(0, 1.0, 1.0), &mut out)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "bar for DOGEUSDT, which the simulated exchange does not list"
    );
    let btc = btcusdt().symbol;
    x.on_bar(&btc, &flat(1, 100.0, 1.0), &mut out).unwrap();
    let err = x.on_bar(&btc, &flat(1, 100.0, 1.0), &mut out).unwrap_err();
    assert!(err.to_string().contains("does not follow"), "{err}");
    let bad = bar(2, 100.0, 99.0, 101.0, 100.0, 1.0);
    let err = x.on_bar(&btc, &bad, &mut out).unwrap_err();
    assert!(
        err.to_string().starts_with("invalid bar of BTCUSDT"),
        "{err}"
    );
    assert_eq!(x.last_bar(&btc).map(|b| b.ts), Some(Timestamp(60_000)));
    let err = SimExchange::new(SimConfig::default(), [btcusdt(), btcusdt()]).unwrap_err();
    assert_eq!(err, SimError::DuplicateInstrument(btc));
}

/// Drives an engine with the exchange over BTCUSDT bars, the way the backtester does.
fn drive(config: BotConfig, sim: SimConfig, bars: &[Bar]) -> (Engine, Vec<OrderReport>) {
    let registry = testkit::registry();
    let mut engine = Engine::new(config, &registry).unwrap();
    engine
        .on_event(&Event::control(bars[0].ts, Control::Start))
        .unwrap();
    let mut x = SimExchange::new(sim, [btcusdt()]).unwrap();
    let mut log = Vec::new();
    for b in bars {
        let mut reports = Vec::new();
        x.on_bar(&btcusdt().symbol, b, &mut reports).unwrap();
        let mut events: Vec<Event> = reports.into_iter().map(Event::Order).collect();
        events.push(Event::bar(btcusdt().symbol, *b));
        let mut i = 0;
        while i < events.len() {
            let event = events[i].clone();
            if let Event::Order(report) = &event {
                log.push(report.clone());
            }
            let commands = engine.on_event(&event).unwrap().to_vec();
            for command in &commands {
                let mut out = Vec::new();
                x.on_command(command, event.ts(), &mut out);
                if let Command::Submit(request) = command {
                    events.push(Event::Order(OrderReport::Submitted {
                        client_id: request.client_id.clone(),
                        ts: event.ts(),
                    }));
                }
                events.extend(out.into_iter().map(Event::Order));
            }
            i += 1;
        }
    }
    (engine, log)
}

fn scripted(offset: f64) -> BotConfig {
    let mut params = Params::new();
    params
        .set("size_kind", "wallet")
        .set("size", 1.0)
        .set("offset", offset);
    BotConfig::new(
        BotId::new("t").unwrap(),
        vec![btcusdt()],
        Decimal::from(1000),
        StrategySpec::new("scripted", params),
    )
}

#[test]
fn the_engine_accepts_the_exchanges_reports_through_a_round_trip() {
    let bars = [
        flat(0, 100.0, action::BUY),
        flat(1, 101.0, action::NONE),
        flat(2, 102.0, action::SELL_ALL),
        flat(3, 103.0, action::NONE),
    ];
    let (engine, log) = drive(scripted(0.0), SimConfig::default(), &bars);
    let filled: Vec<(Side, Decimal, Timestamp)> = fills(&log)
        .into_iter()
        .map(|(f, _)| (f.side, f.price, f.ts))
        .collect();
    assert_eq!(
        filled,
        vec![
            (Side::Buy, dec("101"), Timestamp(60_000)),
            (Side::Sell, dec("103"), Timestamp(180_000)),
        ]
    );
    let wallet = engine.wallet();
    assert!(engine.open_orders().is_empty());
    assert_eq!(wallet.held(&btcusdt().base), Decimal::ZERO);
    // Bought 999.50 / 101 → 9.896039 BTC; sold at 103; taker fees both ways in quote.
    let qty = dec("9.896039");
    let buy_fee = qty * dec("101") * dec("0.0005");
    let sell_fee = qty * dec("103") * dec("0.0005");
    let pnl = qty * dec("2") - buy_fee - sell_fee;
    assert_eq!(wallet.cash() + wallet.profit_reserve(), dec("1000") + pnl);
    assert_eq!(wallet.fees()[&btcusdt().quote], buy_fee + sell_fee);
}

#[test]
fn the_engine_accepts_resting_limits_and_cancels() {
    // A limit buy 1 % under the close rests, is canceled, then a new one fills.
    let bars = [
        flat(0, 100.0, action::BUY),
        flat(1, 100.0, action::CANCEL_ALL),
        flat(2, 100.0, action::BUY),
        bar(3, 100.0, 100.0, 98.0, 99.0, action::NONE),
    ];
    let (engine, log) = drive(scripted(0.01), SimConfig::default(), &bars);
    assert!(
        log.iter()
            .any(|r| matches!(r, OrderReport::Canceled { .. }))
    );
    let f = fills(&log);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].0.price, f[0].0.is_maker), (dec("99"), true));
    assert!(engine.wallet().held(&btcusdt().base) > Decimal::ZERO);
}

#[test]
fn the_same_inputs_give_the_same_reports() {
    let bars = testkit::random_walk(300, 100.0, 0.01, 7);
    let run = || {
        let mut params = Params::new();
        params.set("fast", 3_i64).set("slow", 8_i64);
        let config = BotConfig::new(
            BotId::new("t").unwrap(),
            vec![btcusdt()],
            Decimal::from(1000),
            StrategySpec::new("crossover", params),
        );
        let sim = SimConfig {
            volume_cap: Some(0.05),
            slippage_bps: 3.0,
            ..SimConfig::default()
        };
        drive(config, sim, &bars).1
    };
    let first = run();
    assert!(fills(&first).iter().any(|(_, partial)| *partial));
    assert_eq!(first, run());
}
