//! The risk controls acting through the engine: stops, take profit, loss limits, the
//! breaker, exposure caps, sizing, order rate and price band.

use super::*;
use crate::risk::{OrderRate, Sizing, TakeProfitTarget};

#[test]
fn stop_loss_sells_everything_when_the_low_reaches_it() {
    let risk = RiskConfig {
        stop_loss: Some(Limit::Percent(0.05)),
        ..RiskConfig::default()
    };
    let (engine, out) = run(
        config(scripted("wallet", 1.0, 0.0), risk),
        &[
            flat(1, 100.0, action::BUY),
            bar(2, 100.0, 101.0, 95.1, 96.0, 0.0),
            bar(3, 96.0, 97.0, 94.0, 95.0, 0.0),
        ],
    );
    assert!(submits(&out[1]).is_empty());
    assert_eq!(alerts(&out[2]), vec![AlertCode::StopLoss]);
    let exit = submits(&out[2])[0];
    assert_eq!(
        (exit.side, exit.order_type),
        (Side::Sell, OrderType::Market)
    );
    assert!(engine.wallet().held(&testkit::btc()).is_zero());
    assert_eq!(engine.trade_stats().losses, 1);
}

#[test]
fn trailing_stop_and_take_profit_targets_exit_in_parts() {
    let risk = RiskConfig {
        trailing_stop: Some(0.1),
        take_profit: vec![TakeProfitTarget {
            gain: 0.1,
            fraction: 0.5,
        }],
        ..RiskConfig::default()
    };
    let (engine, out) = run(
        config(scripted("quote", 100.0, 0.0), risk),
        &[
            flat(1, 100.0, action::BUY),
            bar(2, 100.0, 111.0, 100.0, 110.0, 0.0), // target 1: sell half
            bar(3, 110.0, 130.0, 110.0, 128.0, 0.0), // high water 130 → trailing at 117
            bar(4, 128.0, 128.0, 116.0, 117.0, 0.0), // trailing stop
        ],
    );
    assert_eq!(alerts(&out[1]), vec![AlertCode::TakeProfit]);
    let held_after_buy = dec("0.9995"); // 99.95 / 100
    assert_eq!(
        submits(&out[1])[0].amount,
        OrderAmount::Base(dec("0.499750"))
    );
    assert!(submits(&out[2]).is_empty());
    assert_eq!(alerts(&out[3]), vec![AlertCode::TrailingStop]);
    assert_eq!(
        submits(&out[3])[0].amount,
        OrderAmount::Base(held_after_buy - dec("0.499750"))
    );
    assert!(engine.wallet().held(&testkit::btc()).is_zero());
}

#[test]
fn drawdown_limit_pauses_until_resumed_by_hand() {
    let risk = RiskConfig {
        max_drawdown: Some(Limit::Percent(0.1)),
        ..RiskConfig::default()
    };
    let mut engine = started(config(scripted("wallet", 1.0, 0.0), risk));
    let mut exchange = InstantExchange::new(FeeAsset::Quote);
    exchange
        .bar(&mut engine, flat(1, 100.0, action::BUY))
        .unwrap();
    let out = exchange.bar(&mut engine, flat(2, 89.0, 0.0)).unwrap();
    assert_eq!(
        states(&out),
        vec![(BotState::Paused, StateReason::DrawdownLimit)]
    );
    assert_eq!(alerts(&out), vec![AlertCode::DrawdownLimit]);
    // No auto-resume, even days later.
    let out = exchange
        .bar(&mut engine, flat(60 * 24 * 3, 89.0, action::SELL_ALL))
        .unwrap();
    assert_eq!(denials(&out), vec![DenyReason::NotRunning]);
    engine
        .on_event(&Event::control(
            Timestamp(60_000 * 60 * 24 * 3 + 1),
            Control::Resume,
        ))
        .unwrap();
    let out = exchange
        .bar(&mut engine, flat(60 * 24 * 3 + 1, 89.0, action::SELL_ALL))
        .unwrap();
    assert_eq!(submits(&out).len(), 1, "the peak restarts at the resume");
}

#[test]
fn daily_loss_limit_pauses_until_the_next_day() {
    let risk = RiskConfig {
        daily_loss: Some(Limit::Absolute(dec("50"))),
        ..RiskConfig::default()
    };
    let mut engine = started(config(scripted("wallet", 1.0, 0.0), risk));
    let mut exchange = InstantExchange::new(FeeAsset::Quote);
    exchange
        .bar(&mut engine, flat(1, 100.0, action::BUY))
        .unwrap();
    let out = exchange.bar(&mut engine, flat(2, 94.0, 0.0)).unwrap();
    let day = crate::types::time::DAY_MS;
    assert_eq!(
        states(&out),
        vec![(
            BotState::Paused,
            StateReason::DailyLossLimit(Timestamp(day))
        )]
    );
    assert_eq!(alerts(&out), vec![AlertCode::DailyLossLimit]);
    let out = exchange
        .bar(&mut engine, flat(60 * 24 - 1, 94.0, action::SELL_ALL))
        .unwrap();
    assert_eq!(denials(&out), vec![DenyReason::NotRunning]);
    let out = exchange
        .bar(&mut engine, flat(60 * 24, 94.0, action::SELL_ALL))
        .unwrap();
    assert_eq!(
        states(&out),
        vec![(BotState::Running, StateReason::LimitPeriodEnded)]
    );
    assert_eq!(submits(&out).len(), 1);
}

#[test]
fn weekly_loss_limit_pauses_until_monday() {
    let risk = RiskConfig {
        weekly_loss: Some(Limit::Percent(0.05)),
        ..RiskConfig::default()
    };
    let mut engine = started(config(scripted("wallet", 1.0, 0.0), risk));
    let mut exchange = InstantExchange::new(FeeAsset::Quote);
    exchange
        .bar(&mut engine, flat(1, 100.0, action::BUY))
        .unwrap();
    let out = exchange.bar(&mut engine, flat(2, 94.0, 0.0)).unwrap();
    // 1970-01-01 is a Thursday; the next Monday is 1970-01-05.
    let monday = Timestamp(4 * crate::types::time::DAY_MS);
    assert_eq!(
        states(&out),
        vec![(BotState::Paused, StateReason::WeeklyLossLimit(monday))]
    );
}

#[test]
fn loss_breaker_rotates_never_back_to_a_loser_then_pauses() {
    let risk = RiskConfig {
        breaker: Some(LossBreaker {
            consecutive_losses: 2,
            rotation: vec![
                StrategySpec::new("scripted_b", scripted("wallet", 1.0, 0.0).params),
                StrategySpec::new("scripted_c", scripted("wallet", 1.0, 0.0).params),
            ],
            max_rotations: 5,
        }),
        ..RiskConfig::default()
    };
    let mut engine = started(config(scripted("wallet", 1.0, 0.0), risk));
    let mut exchange = InstantExchange::new(FeeAsset::Quote);
    let mut minute = 0;
    let mut losing_trade = |engine: &mut Engine| {
        minute += 2;
        let mut out = exchange
            .bar(engine, flat(minute, 100.0, action::BUY))
            .unwrap();
        out.extend(
            exchange
                .bar(engine, flat(minute + 1, 99.0, action::SELL_ALL))
                .unwrap(),
        );
        out
    };
    losing_trade(&mut engine);
    let out = losing_trade(&mut engine);
    assert!(out.iter().any(|c| matches!(c, Command::Rotated { from, to, .. } if from == "scripted" && to == "scripted_b")));
    assert_eq!(engine.active_strategy().name, "scripted_b");
    losing_trade(&mut engine);
    let out = losing_trade(&mut engine);
    assert!(
        out.iter()
            .any(|c| matches!(c, Command::Rotated { to, .. } if to == "scripted_c"))
    );
    losing_trade(&mut engine);
    let out = losing_trade(&mut engine);
    // Both others lost in this streak: no rotation back, pause with an alert.
    assert_eq!(
        states(&out),
        vec![(BotState::Paused, StateReason::LossBreaker)]
    );
    assert!(alerts(&out).contains(&AlertCode::BreakerPaused));
    assert_eq!(engine.active_strategy().name, "scripted_c");
}

#[test]
fn exposure_caps_deny_oversized_buys() {
    let risk = RiskConfig {
        max_position_notional: Some(dec("300")),
        ..RiskConfig::default()
    };
    let (_, out) = run(
        config(scripted("quote", 200.0, 0.0), risk),
        &[flat(1, 100.0, action::BUY), flat(2, 100.0, action::BUY)],
    );
    assert_eq!(submits(&out[0]).len(), 1);
    assert_eq!(denials(&out[1]), vec![DenyReason::PositionCap]);
    let risk = RiskConfig {
        max_exposure: Some(0.5),
        ..RiskConfig::default()
    };
    let (_, out) = run(
        config(scripted("wallet", 0.6, 0.0), risk),
        &[flat(1, 100.0, action::BUY)],
    );
    assert_eq!(denials(&out[0]), vec![DenyReason::ExposureCap]);
}

#[test]
fn fixed_fraction_and_kelly_size_risk_sized_intents() {
    let risk = RiskConfig {
        sizing: Sizing::FixedFraction { fraction: 0.25 },
        ..RiskConfig::default()
    };
    let (_, out) = run(
        config(scripted("risk", 0.0, 0.0), risk),
        &[flat(1, 100.0, action::BUY)],
    );
    // 25 % of 1000, less room for the fee: 250 / 1.0005.
    assert_eq!(
        submits(&out[0])[0].amount,
        OrderAmount::Quote(dec("249.87"))
    );
    let kelly = Sizing::Kelly {
        multiplier: 1.0,
        max_fraction: 1.0,
        min_trades: 2,
        fallback: 0.1,
    };
    let risk = RiskConfig {
        sizing: kelly,
        ..RiskConfig::default()
    };
    // Two losing trades: Kelly sees no edge and denies.
    let bars = [
        flat(1, 100.0, action::BUY),
        flat(2, 99.0, action::SELL_ALL),
        flat(3, 100.0, action::BUY),
        flat(4, 99.0, action::SELL_ALL),
        flat(5, 100.0, action::BUY),
    ];
    let (_, out) = run(config(scripted("risk", 0.0, 0.0), risk), &bars);
    assert_eq!(
        submits(&out[0])[0].amount,
        OrderAmount::Quote(dec("99.95")),
        "fallback before min_trades"
    );
    assert_eq!(denials(&out[4]), vec![DenyReason::NoEdge]);
}

#[test]
fn order_rate_and_price_band_limit_what_is_sent() {
    let risk = RiskConfig {
        order_rate: Some(OrderRate {
            max_orders: 1,
            window_ms: 120_000,
        }),
        ..RiskConfig::default()
    };
    let bars = [
        flat(1, 100.0, action::BUY),
        flat(2, 100.0, action::SELL_ALL),
        flat(3, 100.0, action::SELL_ALL),
    ];
    let (_, out) = run(config(scripted("quote", 100.0, 0.0), risk), &bars);
    assert_eq!(denials(&out[1]), vec![DenyReason::OrderRate]);
    assert_eq!(submits(&out[2]).len(), 1);
    let risk = RiskConfig {
        price_band: Some(0.05),
        ..RiskConfig::default()
    };
    let (_, out) = run(
        config(scripted("quote", 100.0, 0.1), risk),
        &[flat(1, 100.0, action::BUY)],
    );
    assert_eq!(denials(&out[0]), vec![DenyReason::PriceBand]);
}

#[test]
fn protective_exits_are_marked_as_the_risk_layers_orders() {
    use crate::types::OrderOrigin;
    let risk = RiskConfig {
        stop_loss: Some(Limit::Percent(0.05)),
        ..RiskConfig::default()
    };
    let mut engine = started(config(scripted("wallet", 1.0, 0.0), risk));
    let mut exchange = InstantExchange::new(FeeAsset::Quote);
    let out = exchange
        .bar(&mut engine, flat(1, 100.0, action::BUY))
        .unwrap();
    let buy = submits(&out)[0].client_id.clone();
    // Without the exchange the stop's sell stays open, so its order can be looked at.
    let out = engine
        .on_event(&Event::bar(symbol(), bar(2, 96.0, 96.0, 94.0, 95.0, 0.0)))
        .unwrap();
    let exit = submits(out)[0].client_id.clone();
    assert_eq!(engine.open_orders()[&exit].origin, OrderOrigin::Risk);
    assert_ne!(buy, exit);
    // The strategy's buy, already filled, was the strategy's.
    let mut second = started(config(scripted("wallet", 1.0, 0.0), RiskConfig::default()));
    let out = second
        .on_event(&Event::bar(symbol(), flat(1, 100.0, action::BUY)))
        .unwrap();
    let id = submits(out)[0].client_id.clone();
    assert_eq!(second.open_orders()[&id].origin, OrderOrigin::Strategy);
}
