//! New budget, risk settings and running time for a paused or stopped bot.

use super::*;
use crate::engine::{RunningTime, SettingsUpdate};
use crate::money::rounding::to_f64;

fn minute(m: i64) -> Timestamp {
    Timestamp(m * 60_000)
}

fn control(engine: &mut Engine, m: i64, control: Control) -> Result<Vec<Command>, EngineError> {
    engine
        .on_event(&Event::control(minute(m), control))
        .map(<[Command]>::to_vec)
}

fn settings(update: SettingsUpdate) -> Control {
    Control::UpdateSettings(Box::new(update))
}

fn budget(value: &str) -> SettingsUpdate {
    SettingsUpdate {
        budget: Some(dec(value)),
        ..SettingsUpdate::default()
    }
}

#[test]
fn settings_change_only_while_not_trading_and_are_checked() {
    let mut engine = started(config(scripted("wallet", 1.0, 0.0), RiskConfig::default()));
    assert!(matches!(
        control(&mut engine, 1, settings(budget("800"))),
        Err(EngineError::ControlNotAllowed { .. })
    ));
    control(&mut engine, 1, Control::Pause).unwrap();
    let empty = control(&mut engine, 1, settings(SettingsUpdate::default()));
    assert!(
        empty
            .unwrap_err()
            .to_string()
            .contains("name at least one setting"),
    );
    let zero = control(&mut engine, 1, settings(budget("0"))).unwrap_err();
    assert!(zero.to_string().contains("budget"), "{zero}");
    let bad_risk = SettingsUpdate {
        risk: Some(RiskConfig {
            stop_loss: Some(Limit::Percent(1.5)),
            ..RiskConfig::default()
        }),
        ..SettingsUpdate::default()
    };
    let refused = control(&mut engine, 1, settings(bad_risk)).unwrap_err();
    assert!(refused.to_string().contains("stop_loss"), "{refused}");
    // Nothing changed by the refusals.
    assert_eq!(engine.wallet().budget(), dec("1000"));
    assert_eq!(engine.config().risk, RiskConfig::default());

    let out = control(&mut engine, 1, settings(budget("800"))).unwrap();
    assert_eq!(alerts(&out), vec![AlertCode::SettingsUpdated]);
    assert_eq!(
        (engine.wallet().budget(), engine.wallet().cash()),
        (dec("800"), dec("800"))
    );
    assert_eq!(engine.config().budget, dec("800"));
    assert_eq!(engine.equity(), dec("800"));
}

#[test]
fn only_free_cash_can_be_taken_out() {
    // Half the budget buys BTC at 100.
    let mut engine = started(config(scripted("wallet", 0.5, 0.0), RiskConfig::default()));
    let mut exchange = InstantExchange::new(FeeAsset::Quote);
    exchange
        .bar(&mut engine, flat(1, 100.0, action::BUY))
        .unwrap();
    assert!(engine.wallet().held(&testkit::btc()) > Decimal::ZERO);
    let free = engine.wallet().available();
    assert!(free < dec("600"), "{free}");
    control(&mut engine, 2, Control::Pause).unwrap();
    let err = control(&mut engine, 2, settings(budget("400"))).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("would take 600 USDT out of the bot") && text.contains("is free"),
        "{text}"
    );
    let equity = engine.equity();
    control(&mut engine, 2, settings(budget("1500"))).unwrap();
    assert_eq!(engine.wallet().available(), free + dec("500"));
    assert_eq!(engine.equity(), equity + dec("500"));
    assert_eq!(engine.equity_f64(), to_f64(equity + dec("500")));
}

#[test]
fn a_smaller_budget_is_not_a_loss_for_the_loss_limits() {
    let risk = RiskConfig {
        max_drawdown: Some(Limit::Percent(0.1)),
        daily_loss: Some(Limit::Percent(0.1)),
        ..RiskConfig::default()
    };
    let mut engine = started(config(scripted("wallet", 1.0, 0.0), risk));
    let mut exchange = InstantExchange::new(FeeAsset::Quote);
    exchange.bar(&mut engine, flat(1, 100.0, 0.0)).unwrap();
    // Stopped and started again: a start keeps the equity peak (only a resume resets it).
    control(
        &mut engine,
        2,
        Control::Stop {
            cancel_resting: false,
        },
    )
    .unwrap();
    control(&mut engine, 2, settings(budget("500"))).unwrap();
    control(&mut engine, 2, Control::Start).unwrap();
    let out = exchange.bar(&mut engine, flat(3, 100.0, 0.0)).unwrap();
    assert!(alerts(&out).is_empty(), "{out:?}");
    assert_eq!(engine.state(), BotState::Running);
}

#[test]
fn a_stop_loss_added_while_paused_protects_the_position_held() {
    let mut engine = started(config(scripted("wallet", 1.0, 0.0), RiskConfig::default()));
    let mut exchange = InstantExchange::new(FeeAsset::Quote);
    exchange
        .bar(&mut engine, flat(1, 100.0, action::BUY))
        .unwrap();
    let out = exchange
        .bar(&mut engine, bar(2, 100.0, 100.0, 90.0, 95.0, 0.0))
        .unwrap();
    assert!(alerts(&out).is_empty(), "no stop loss configured yet");
    control(&mut engine, 3, Control::Pause).unwrap();
    let risk = RiskConfig {
        stop_loss: Some(Limit::Percent(0.05)),
        ..RiskConfig::default()
    };
    control(
        &mut engine,
        3,
        settings(SettingsUpdate {
            risk: Some(risk.clone()),
            ..SettingsUpdate::default()
        }),
    )
    .unwrap();
    assert_eq!(engine.config().risk, risk);
    control(&mut engine, 3, Control::Resume).unwrap();
    let out = exchange
        .bar(&mut engine, bar(4, 95.0, 96.0, 94.0, 94.5, 0.0))
        .unwrap();
    assert_eq!(alerts(&out), vec![AlertCode::StopLoss]);
    assert!(engine.wallet().held(&testkit::btc()).is_zero());
}

#[test]
fn running_time_counts_from_the_first_start_and_must_not_have_elapsed() {
    let mut engine = started(config(scripted("wallet", 1.0, 0.0), RiskConfig::default()));
    let mut exchange = InstantExchange::new(FeeAsset::Quote);
    exchange.bar(&mut engine, flat(5, 100.0, 0.0)).unwrap();
    control(&mut engine, 5, Control::Pause).unwrap();
    let limit = |ms: i64| {
        settings(SettingsUpdate {
            running_time: Some(RunningTime::Millis(ms)),
            ..SettingsUpdate::default()
        })
    };
    let err = control(&mut engine, 5, limit(120_000)).unwrap_err();
    assert!(err.to_string().contains("has already elapsed"), "{err}");
    assert!(control(&mut engine, 5, limit(0)).is_err());
    control(&mut engine, 5, limit(600_000)).unwrap();
    assert_eq!(engine.config().running_time_ms, Some(600_000));
    control(&mut engine, 5, Control::Resume).unwrap();
    exchange.bar(&mut engine, flat(9, 100.0, 0.0)).unwrap();
    assert_eq!(engine.state(), BotState::Running);
    let out = exchange.bar(&mut engine, flat(10, 100.0, 0.0)).unwrap();
    assert_eq!(
        states(&out),
        vec![(BotState::Stopped, StateReason::RunningTimeElapsed)]
    );
    // Until stopped: the limit goes.
    control(
        &mut engine,
        11,
        settings(SettingsUpdate {
            running_time: Some(RunningTime::UntilStopped),
            ..SettingsUpdate::default()
        }),
    )
    .unwrap();
    control(&mut engine, 11, Control::Start).unwrap();
    exchange.bar(&mut engine, flat(60, 100.0, 0.0)).unwrap();
    assert_eq!(engine.state(), BotState::Running);
}

#[test]
fn the_instruction_round_trips_through_json() {
    let control = settings(SettingsUpdate {
        budget: Some(dec("250.5")),
        risk: Some(RiskConfig {
            trailing_stop: Some(0.1),
            ..RiskConfig::default()
        }),
        running_time: Some(RunningTime::Millis(86_400_000)),
    });
    let text = serde_json::to_string(&control).unwrap();
    assert_eq!(serde_json::from_str::<Control>(&text).unwrap(), control);
    let unknown = r#"{"control":"update_settings","budgte":"5"}"#;
    assert!(serde_json::from_str::<Control>(unknown).is_err());
}

#[test]
fn running_times_are_read_from_text() {
    let ms = |text: &str| text.parse::<RunningTime>().map_err(|e| e.to_string());
    assert_eq!(ms("90m"), Ok(RunningTime::Millis(90 * 60_000)));
    assert_eq!(ms("36h"), Ok(RunningTime::Millis(36 * 3_600_000)));
    assert_eq!(ms("2w"), Ok(RunningTime::Millis(14 * 86_400_000)));
    assert_eq!(ms("3mo"), Ok(RunningTime::Millis(90 * 86_400_000)));
    assert_eq!(ms("until-stopped"), Ok(RunningTime::UntilStopped));
    for bad in ["", "10", "5s", "0d", "-1d", "d", "99999999999999999w"] {
        let err = ms(bad).expect_err(bad);
        assert!(err.contains("running time"), "{bad}: {err}");
    }
}

#[test]
fn risk_settings_are_read_from_a_bot_file_or_on_their_own() {
    let own = RiskConfig::from_toml_str("trailing_stop = 0.1\n").unwrap();
    assert_eq!(own.trailing_stop, Some(0.1));
    let bot = "bot_id = \"x\"\n[risk]\ntrailing_stop = 0.2\n";
    assert_eq!(
        RiskConfig::from_toml_str(bot).unwrap().trailing_stop,
        Some(0.2)
    );
    let unknown = RiskConfig::from_toml_str("stop_los = 0.1\n").unwrap_err();
    assert!(unknown.to_string().contains("stop_los"), "{unknown}");
    let invalid = RiskConfig::from_toml_str("trailing_stop = 3.0\n").unwrap_err();
    assert!(invalid.to_string().contains("trailing_stop"), "{invalid}");
    assert!(RiskConfig::from_toml_str("risk = 5\n").is_err());
}
