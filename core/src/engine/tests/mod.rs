//! Engine behaviour, one rule per test: lifecycle, orders and the wallet here; the risk
//! controls in `risk`.

mod risk;
mod settings;

use std::str::FromStr;

use rust_decimal::Decimal;

use super::*;
use crate::risk::{Limit, LossBreaker, RiskConfig};
use crate::strategy::{Params, StrategySpec};
use crate::testkit::{self, FeeAsset, InstantExchange, action, bar, cid, flat, symbol};
use crate::types::{Bar, Fill, OrderAmount, OrderType, Side};

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn scripted(size_kind: &str, size: f64, offset: f64) -> StrategySpec {
    let mut params = Params::new();
    params
        .set("size_kind", size_kind)
        .set("size", size)
        .set("offset", offset);
    StrategySpec::new("scripted", params)
}

fn config(strategy: StrategySpec, risk: RiskConfig) -> BotConfig {
    let mut config = BotConfig::new(
        BotId::new("bot").unwrap(),
        vec![testkit::btcusdt()],
        dec("1000"),
        strategy,
    );
    config.risk = risk;
    config
}

fn started(config: BotConfig) -> Engine {
    let mut engine = Engine::new(config, &testkit::registry()).unwrap();
    engine
        .on_event(&Event::control(Timestamp(0), Control::Start))
        .unwrap();
    engine
}

/// The items of one kind among `commands`.
fn pick<'a, T>(commands: &'a [Command], f: impl Fn(&'a Command) -> Option<T>) -> Vec<T> {
    commands.iter().filter_map(f).collect()
}

fn submits(commands: &[Command]) -> Vec<&OrderRequest> {
    pick(commands, |c| {
        if let Command::Submit(o) = c {
            Some(o)
        } else {
            None
        }
    })
}

fn denials(commands: &[Command]) -> Vec<DenyReason> {
    pick(commands, |c| {
        if let Command::Denied(d) = c {
            Some(d.reason)
        } else {
            None
        }
    })
}

fn alerts(commands: &[Command]) -> Vec<AlertCode> {
    pick(commands, |c| {
        if let Command::Alert(a) = c {
            Some(a.code)
        } else {
            None
        }
    })
}

fn states(commands: &[Command]) -> Vec<(BotState, StateReason)> {
    pick(commands, |c| {
        if let Command::State(s) = c {
            Some((s.to, s.reason))
        } else {
            None
        }
    })
}

/// Runs `bars` through a fresh started engine with an instant exchange.
fn run(config: BotConfig, bars: &[Bar]) -> (Engine, Vec<Vec<Command>>) {
    let mut engine = started(config);
    let mut exchange = InstantExchange::new(FeeAsset::Quote);
    let out = bars
        .iter()
        .map(|b| exchange.bar(&mut engine, *b).unwrap())
        .collect();
    (engine, out)
}

#[test]
fn crossover_buys_on_the_cross_up_and_sells_on_the_cross_down() {
    let mut params = Params::new();
    params.set("fast", 2_i64).set("slow", 3_i64);
    let cfg = config(
        StrategySpec::new("crossover", params),
        RiskConfig::default(),
    );
    let closes = [10.0, 10.0, 10.0, 9.0, 12.0, 13.0, 14.0, 8.0, 7.0];
    let bars: Vec<Bar> = closes
        .iter()
        .enumerate()
        .map(|(i, c)| flat(i as i64, *c, 5.0))
        .collect();
    let (engine, out) = run(cfg, &bars);
    let orders: Vec<(usize, Side, String)> = out
        .iter()
        .enumerate()
        .flat_map(|(i, cmds)| {
            submits(cmds)
                .into_iter()
                .map(move |o| (i, o.side, o.client_id.to_string()))
        })
        .collect();
    // fast(2)/slow(3) at bar 3: 9.5 < 9.67; bar 4: 10.5 > 10.33 → buy; bar 7: 11 < 11.67 → sell.
    assert_eq!(
        orders,
        vec![
            (4, Side::Buy, "bot-1".into()),
            (7, Side::Sell, "bot-2".into())
        ]
    );
    assert!(engine.wallet().held(&testkit::btc()).is_zero());
    assert_eq!(engine.trade_stats().trades(), 1);
}

#[test]
fn market_buys_spend_the_available_capital_with_room_for_the_fee() {
    let (engine, out) = run(
        config(scripted("wallet", 1.0, 0.0), RiskConfig::default()),
        &[flat(1, 100.0, action::BUY)],
    );
    let order = submits(&out[0])[0];
    assert_eq!(order.order_type, OrderType::Market);
    // 1000 / 1.0005 rounded down to cents.
    assert_eq!(order.amount, OrderAmount::Quote(dec("999.50")));
    assert_eq!(order.client_id, cid("bot-1"));
    let w = engine.wallet();
    assert!(w.cash() >= Decimal::ZERO && w.reserved().is_zero());
    assert_eq!(w.held(&testkit::btc()), dec("9.995"));
}

#[test]
fn limit_buys_reserve_price_quantity_and_fee_until_they_end() {
    let mut engine = started(config(scripted("quote", 500.0, 0.1), RiskConfig::default()));
    let mut exchange = InstantExchange::new(FeeAsset::Quote);
    let out = exchange
        .bar(&mut engine, flat(1, 100.0, action::BUY))
        .unwrap();
    let order = submits(&out)[0];
    assert_eq!(
        (order.order_type, order.price),
        (OrderType::Limit, Some(dec("90")))
    );
    // 500 / (90 × 1.0005) = 5.5527791… → 5.552779; reserved 5.552779 × 90 × 1.0005.
    assert_eq!(order.amount, OrderAmount::Base(dec("5.552779")));
    assert_eq!(
        engine.wallet().reserved(),
        dec("5.552779") * dec("90") * dec("1.0005")
    );
    // A cancel releases the reservation.
    exchange
        .bar(&mut engine, flat(2, 100.0, action::CANCEL_ALL))
        .unwrap();
    assert!(engine.wallet().reserved().is_zero());
    assert!(engine.open_orders().is_empty());
}

#[test]
fn base_fee_shrinks_the_position_and_the_exit_sells_what_is_held() {
    let mut engine = started(config(scripted("quote", 100.0, 0.0), RiskConfig::default()));
    let mut exchange = InstantExchange::new(FeeAsset::Received);
    exchange
        .bar(&mut engine, flat(1, 100.0, action::BUY))
        .unwrap();
    let held = engine.wallet().held(&testkit::btc());
    // 99.95 USDT / 100 = 0.9995 BTC, less 0.05 % fee in BTC.
    assert_eq!(held, dec("0.9995") - dec("0.9995") * dec("0.0005"));
    let out = exchange
        .bar(&mut engine, flat(2, 100.0, action::SELL_ALL))
        .unwrap();
    assert_eq!(
        submits(&out)[0].amount,
        OrderAmount::Base(engine.config().instruments[0].round_quantity_decimal(held))
    );
}

#[test]
fn intents_are_denied_with_a_reason_when_not_running() {
    let mut engine = Engine::new(
        config(scripted("wallet", 1.0, 0.0), RiskConfig::default()),
        &testkit::registry(),
    )
    .unwrap();
    let out = engine
        .on_event(&Event::bar(symbol(), flat(1, 100.0, action::BUY)))
        .unwrap();
    assert_eq!(denials(out), vec![DenyReason::NotRunning]);
    engine
        .on_event(&Event::control(Timestamp(61_000), Control::Start))
        .unwrap();
    engine
        .on_event(&Event::control(Timestamp(62_000), Control::Pause))
        .unwrap();
    let out = engine
        .on_event(&Event::bar(symbol(), flat(2, 100.0, action::BUY)))
        .unwrap();
    assert_eq!(denials(out), vec![DenyReason::NotRunning]);
    assert!(submits(out).is_empty());
    engine
        .on_event(&Event::control(Timestamp(130_000), Control::Resume))
        .unwrap();
    let out = engine
        .on_event(&Event::bar(symbol(), flat(3, 100.0, action::BUY)))
        .unwrap();
    assert_eq!(submits(out).len(), 1);
}

#[test]
fn lifecycle_instructions_follow_the_state_machine() {
    let mut engine = Engine::new(
        config(scripted("wallet", 1.0, 0.0), RiskConfig::default()),
        &testkit::registry(),
    )
    .unwrap();
    let t = Timestamp(0);
    let err = engine
        .on_event(&Event::control(t, Control::Resume))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "resume is not allowed while the bot is Created"
    );
    engine.on_event(&Event::control(t, Control::Start)).unwrap();
    assert!(engine.on_event(&Event::control(t, Control::Start)).is_err());
    engine
        .on_event(&Event::control(
            t,
            Control::Stop {
                cancel_resting: false,
            },
        ))
        .unwrap();
    assert_eq!(engine.state(), BotState::Stopped);
    engine.on_event(&Event::control(t, Control::Start)).unwrap();
    engine
        .on_event(&Event::control(t, Control::Kill { global: true }))
        .unwrap();
    assert_eq!(engine.pause_reason(), Some(StateReason::GlobalKill));
    // Killed is final; a second kill is harmless.
    assert!(engine.on_event(&Event::control(t, Control::Start)).is_err());
    assert!(
        engine
            .on_event(&Event::control(t, Control::Kill { global: false }))
            .unwrap()
            .is_empty()
    );
    // A killed bot's strategy no longer runs.
    assert!(
        engine
            .on_event(&Event::bar(symbol(), flat(1, 100.0, action::BUY)))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn kill_cancels_pending_orders_and_never_liquidates() {
    let mut engine = started(config(scripted("quote", 100.0, 0.1), RiskConfig::default()));
    let mut exchange = InstantExchange::new(FeeAsset::Quote);
    // One filled market position (offset 0 would be market; use a limit that fills at once).
    exchange
        .bar(&mut engine, flat(1, 100.0, action::BUY))
        .unwrap(); // limit at 90 rests
    exchange
        .bar(&mut engine, bar(2, 100.0, 100.0, 89.0, 95.0, 0.0))
        .unwrap(); // fills at 90
    exchange
        .bar(&mut engine, flat(3, 100.0, action::BUY))
        .unwrap(); // another rests
    let held = engine.wallet().held(&testkit::btc());
    assert!(held > Decimal::ZERO);
    let out = exchange
        .feed(
            &mut engine,
            &Event::control(Timestamp(240_000), Control::Kill { global: false }),
            100.0,
        )
        .unwrap();
    assert!(out.contains(&Command::CancelAll { symbol: symbol() }));
    assert!(submits(&out).is_empty());
    assert_eq!(alerts(&out), vec![AlertCode::Killed]);
    assert_eq!(engine.wallet().held(&testkit::btc()), held);
    assert!(engine.open_orders().is_empty());
    assert!(engine.wallet().reserved().is_zero());
}

#[test]
fn stop_may_keep_or_cancel_resting_orders() {
    for cancel_resting in [false, true] {
        let mut engine = started(config(scripted("quote", 100.0, 0.1), RiskConfig::default()));
        let mut exchange = InstantExchange::new(FeeAsset::Quote);
        exchange
            .bar(&mut engine, flat(1, 100.0, action::BUY))
            .unwrap();
        let out = exchange
            .feed(
                &mut engine,
                &Event::control(Timestamp(61_000), Control::Stop { cancel_resting }),
                100.0,
            )
            .unwrap();
        assert_eq!(
            out.contains(&Command::CancelAll { symbol: symbol() }),
            cancel_resting
        );
        assert_eq!(engine.open_orders().len(), usize::from(!cancel_resting));
    }
}

#[test]
fn parameters_change_only_while_paused_and_are_validated() {
    let mut engine = started(config(scripted("wallet", 1.0, 0.0), RiskConfig::default()));
    let mut params = Params::new();
    params.set("size", 0.5);
    let update = |p: &Params| Event::control(Timestamp(1), Control::UpdateParams(p.clone()));
    assert!(matches!(
        engine.on_event(&update(&params)),
        Err(EngineError::ControlNotAllowed { .. })
    ));
    engine
        .on_event(&Event::control(Timestamp(1), Control::Pause))
        .unwrap();
    let mut bad = Params::new();
    bad.set("size", -1.0);
    let err = engine.on_event(&update(&bad)).unwrap_err().to_string();
    assert!(
        err.contains("parameter `size` = -1 must be at least 0"),
        "{err}"
    );
    let out = engine.on_event(&update(&params)).unwrap();
    assert_eq!(alerts(out), vec![AlertCode::ParamsUpdated]);
    assert_eq!(
        engine.config().strategy.params.get("size"),
        Some(&0.5.into())
    );
}

#[test]
fn running_time_limit_stops_the_bot() {
    let mut cfg = config(scripted("wallet", 1.0, 0.0), RiskConfig::default());
    cfg.running_time_ms = Some(120_000);
    let (engine, out) = run(cfg, &[flat(1, 100.0, 0.0), flat(2, 100.0, action::BUY)]);
    assert!(states(&out[0]).is_empty());
    assert_eq!(
        states(&out[1]),
        vec![(BotState::Stopped, StateReason::RunningTimeElapsed)]
    );
    assert!(submits(&out[1]).is_empty());
    assert_eq!(engine.state(), BotState::Stopped);
}

#[test]
fn bad_events_are_errors_that_change_nothing() {
    let mut engine = started(config(scripted("wallet", 1.0, 0.0), RiskConfig::default()));
    engine
        .on_event(&Event::bar(symbol(), flat(5, 100.0, 0.0)))
        .unwrap();
    let err = engine
        .on_event(&Event::bar(symbol(), flat(4, 100.0, 0.0)))
        .unwrap_err();
    assert!(matches!(err, EngineError::TimeWentBackwards { .. }));
    let other = Symbol::new("ETHUSDT").unwrap();
    assert!(matches!(
        engine.on_event(&Event::bar(other, flat(6, 1.0, 0.0))),
        Err(EngineError::UnknownSymbol(_))
    ));
    let broken = bar(6, 100.0, 90.0, 95.0, 100.0, 0.0);
    assert!(matches!(
        engine.on_event(&Event::bar(symbol(), broken)),
        Err(EngineError::InvalidMarketData(_))
    ));
    let unknown = Event::Order(OrderReport::Accepted {
        client_id: cid("bot-99"),
        exchange_id: None,
        ts: Timestamp(400_000),
    });
    assert!(matches!(
        engine.on_event(&unknown),
        Err(EngineError::UnknownOrder(_))
    ));
    assert_eq!(engine.state(), BotState::Running);
}

#[test]
fn order_reports_follow_the_state_machine_and_duplicate_fills_are_ignored() {
    let mut engine = started(config(scripted("quote", 100.0, 0.0), RiskConfig::default()));
    let out = engine
        .on_event(&Event::bar(symbol(), flat(1, 100.0, action::BUY)))
        .unwrap();
    let id = submits(out)[0].client_id.clone();
    let ts = Timestamp(60_000);
    // Accepted straight from PendingSend is illegal: the driver must report the send.
    let accepted = Event::Order(OrderReport::Accepted {
        client_id: id.clone(),
        exchange_id: Some("X1".into()),
        ts,
    });
    assert!(matches!(
        engine.on_event(&accepted),
        Err(EngineError::Order(_))
    ));
    engine
        .on_event(&Event::Order(OrderReport::Unknown {
            client_id: id.clone(),
            reason: "timeout".into(),
            ts,
        }))
        .unwrap();
    engine.on_event(&accepted).unwrap();
    assert_eq!(engine.open_orders()[&id].exchange_id.as_deref(), Some("X1"));
    let fill = Fill {
        client_id: id.clone(),
        trade_id: "T1".into(),
        symbol: symbol(),
        side: Side::Buy,
        price: dec("100"),
        quantity: dec("0.5"),
        fee: Decimal::ZERO,
        fee_asset: testkit::btcusdt().quote,
        is_maker: false,
        ts,
    };
    engine.on_event(&Event::fill(fill.clone(), true)).unwrap();
    let held = engine.wallet().held(&testkit::btc());
    // The same trade again changes nothing.
    assert!(
        engine
            .on_event(&Event::fill(fill.clone(), true))
            .unwrap()
            .is_empty()
    );
    assert_eq!(engine.wallet().held(&testkit::btc()), held);
    let rest = Fill {
        trade_id: "T2".into(),
        quantity: dec("0.4"),
        ..fill
    };
    engine.on_event(&Event::fill(rest.clone(), false)).unwrap();
    assert!(engine.open_orders().is_empty());
    assert!(
        engine.wallet().reserved().is_zero(),
        "the unspent part of the reservation is released"
    );
    // Late reports about the finished order: duplicates are ignored, contradictions refused.
    assert!(
        engine
            .on_event(&Event::fill(rest, false))
            .unwrap()
            .is_empty()
    );
    let cancel = Event::Order(OrderReport::Canceled { client_id: id, ts });
    assert!(matches!(
        engine.on_event(&cancel),
        Err(EngineError::UnknownOrder(_))
    ));
}

#[test]
fn rejections_release_capital_and_alert() {
    let mut engine = started(config(scripted("quote", 100.0, 0.0), RiskConfig::default()));
    let out = engine
        .on_event(&Event::bar(symbol(), flat(1, 100.0, action::BUY)))
        .unwrap();
    let id = submits(out)[0].client_id.clone();
    assert!(engine.wallet().reserved() > Decimal::ZERO);
    let ts = Timestamp(60_000);
    let out = engine
        .on_event(&Event::Order(OrderReport::Rejected {
            client_id: id,
            reason: "30004 insufficient balance".into(),
            ts,
        }))
        .unwrap();
    assert_eq!(alerts(out), vec![AlertCode::OrderRejected]);
    assert!(engine.wallet().reserved().is_zero());
}

#[test]
fn precision_and_minimums_are_enforced() {
    let mut instrument = testkit::btcusdt();
    instrument.min_notional = dec("5");
    let mut cfg = config(scripted("quote", 4.0, 0.0), RiskConfig::default());
    cfg.instruments = vec![instrument.clone()];
    let (_, out) = run(cfg.clone(), &[flat(1, 100.0, action::BUY)]);
    assert_eq!(denials(&out[0]), vec![DenyReason::BelowMinNotional]);
    cfg.strategy = scripted("base", 0.000_000_4, 0.0);
    let (_, out) = run(cfg.clone(), &[flat(1, 100.0, action::BUY)]);
    assert_eq!(denials(&out[0]), vec![DenyReason::BelowMinQuantity]);
    cfg.instruments[0].api_trading_allowed = false;
    let (_, out) = run(cfg, &[flat(1, 100.0, action::BUY)]);
    assert_eq!(denials(&out[0]), vec![DenyReason::TradingNotAllowed]);
    // Selling with nothing held.
    let (_, out) = run(
        config(scripted("wallet", 1.0, 0.0), RiskConfig::default()),
        &[flat(1, 100.0, action::SELL_ALL)],
    );
    assert_eq!(denials(&out[0]), vec![DenyReason::BelowMinQuantity]);
}

#[test]
fn a_second_buy_cannot_use_capital_already_spent_or_reserved() {
    let (_, out) = run(
        config(scripted("quote", 600.0, 0.0), RiskConfig::default()),
        &[flat(1, 100.0, action::BUY), flat(2, 100.0, action::BUY)],
    );
    assert_eq!(submits(&out[0]).len(), 1);
    assert_eq!(denials(&out[1]), vec![DenyReason::InsufficientFunds]);
}

#[test]
fn profits_stay_out_of_the_capital_without_compounding() {
    let bars = [
        flat(1, 100.0, action::BUY),
        flat(2, 110.0, action::SELL_ALL),
    ];
    let (engine, _) = run(
        config(scripted("wallet", 1.0, 0.0), RiskConfig::default()),
        &bars,
    );
    assert!(engine.wallet().cash() <= dec("1000"));
    assert!(engine.wallet().profit_reserve() > Decimal::ZERO);
    let mut cfg = config(scripted("wallet", 1.0, 0.0), RiskConfig::default());
    cfg.compound = true;
    let (engine, _) = run(cfg, &bars);
    assert!(engine.wallet().cash() > dec("1000"));
}

#[test]
fn configuration_errors_name_the_key() {
    let mut cfg = config(scripted("wallet", 1.0, 0.0), RiskConfig::default());
    cfg.budget = Decimal::ZERO;
    let err = Engine::new(cfg, &testkit::registry())
        .unwrap_err()
        .to_string();
    assert!(err.contains("budget"), "{err}");
    let mut cfg = config(scripted("wallet", 1.0, 0.0), RiskConfig::default());
    cfg.risk.breaker = Some(LossBreaker {
        consecutive_losses: 1,
        rotation: vec![StrategySpec::new("nope", Params::new())],
        max_rotations: 1,
    });
    let err = Engine::new(cfg, &testkit::registry())
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown strategy \"nope\""), "{err}");
    let toml = r#"
        bot_id = "b1"
        budget = "500"
        instruments = []
        [strategy]
        name = "crossover"
        [risk]
        stop_loss = { percent = 0.03 }
    "#;
    let cfg: BotConfig = toml::from_str(toml).unwrap();
    let err = Engine::new(cfg, &testkit::registry())
        .unwrap_err()
        .to_string();
    assert!(err.contains("instruments"), "{err}");
    assert!(
        toml::from_str::<BotConfig>("bot_id = \"b-1\"")
            .unwrap_err()
            .to_string()
            .contains("bot id")
    );
}

#[test]
fn same_events_give_the_same_commands() {
    let bars: Vec<Bar> = (0..50)
        .map(|i| {
            let p = 100.0 + f64::from(i % 7) - f64::from(i % 3);
            flat(i64::from(i), p, f64::from(i % 5))
        })
        .collect();
    let risk = RiskConfig {
        stop_loss: Some(Limit::Percent(0.02)),
        ..RiskConfig::default()
    };
    let (a, out_a) = run(config(scripted("wallet", 0.5, 0.0), risk.clone()), &bars);
    let (b, out_b) = run(config(scripted("wallet", 0.5, 0.0), risk), &bars);
    assert_eq!(out_a, out_b);
    assert_eq!(a.wallet(), b.wallet());
    assert!(
        out_a
            .iter()
            .flatten()
            .any(|c| matches!(c, Command::Submit(_)))
    );
}

#[test]
fn an_asset_offered_by_a_resting_sell_cannot_also_pay_for_a_cross_pair_buy() {
    use crate::testkit::Feed;
    let ethbtc = crate::types::instrument::stubs::ethbtc();
    let mut cfg = config(scripted("wallet", 1.0, 0.01), RiskConfig::default());
    cfg.instruments.push(ethbtc.clone());
    let (btc, eth) = (symbol(), ethbtc.symbol.clone());
    let run = |with_resting_sell: bool| {
        // Buy BTC with every USDT (a limit 1 % below that a bar trades through), maybe
        // offer it all with a resting sell, then try to buy ETH with all free BTC.
        let mut feed = vec![
            Feed::Bar(eth.clone(), flat(0, 0.05, action::NONE)),
            Feed::Bar(btc.clone(), flat(0, 50_000.0, action::BUY)),
            Feed::Bar(
                btc.clone(),
                bar(1, 50_000.0, 50_000.0, 49_000.0, 50_000.0, 0.0),
            ),
        ];
        if with_resting_sell {
            feed.push(Feed::Bar(
                btc.clone(),
                flat(2, 50_000.0, action::LIMIT_SELL_ALL),
            ));
        }
        feed.push(Feed::Bar(eth.clone(), flat(3, 0.05, action::BUY)));
        let out = testkit::run_feed(&testkit::registry(), cfg.clone(), &feed).unwrap();
        let last = out.last().unwrap().clone();
        (submits(&last).len(), denials(&last))
    };
    assert_eq!(run(false), (1, vec![]));
    assert_eq!(run(true), (0, vec![DenyReason::BelowMinQuantity]));
}
