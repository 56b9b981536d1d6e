//! Generators of scenarios: bots, steps and exchange plans.

use super::*;

prop_compose! {
    /// Scripted-strategy parameters: a size kind with a size that fits `budget` at `price`
    /// (or overshoots it a little), and a limit offset (zero half the time: market buys).
    pub(super) fn scripted_params(budget: f64, price: f64)(
        kind in 0..4u8, share in 0.005..1.2f64, offset in prop_oneof![Just(0.0), 0.001..0.05f64]
    ) -> Params {
        let (kind, size) = match kind {
            0 => ("quote", budget * share),
            1 => ("base", budget * share / price),
            2 => ("wallet", share.min(1.0)),
            _ => ("risk", 1.0),
        };
        let mut params = Params::new();
        params.set("size_kind", kind).set("size", size).set("offset", offset);
        params
    }
}

prop_compose! {
    /// New settings: a budget from nothing (refused) to twice the old one (withdrawals
    /// beyond the free cash refused), a stop loss or none, a running time or none; any of
    /// them left out (all left out: refused).
    pub(super) fn settings(budget: f64)(
        share in prop::option::of(0.0..2.0f64),
        stop in prop::option::of(prop::option::of(0.01..0.2f64)),
        minutes in prop::option::of(prop::option::of(1..600i64)),
    ) -> SettingsUpdate {
        #[allow(clippy::cast_possible_truncation, reason = "cents of a test budget")]
        let cents = |v: f64| Decimal::new((v * 100.0) as i64, 2);
        SettingsUpdate {
            budget: share.map(|s| cents(budget * s)),
            risk: stop.map(|stop| RiskConfig {
                stop_loss: stop.map(Limit::Percent),
                ..RiskConfig::default()
            }),
            running_time: minutes.map(|m| {
                m.map_or(RunningTime::UntilStopped, |m| RunningTime::Millis(m * 60_000))
            }),
        }
    }
}

/// An instruction; one `UpdateParams` in five is invalid (the engine must refuse it).
pub(super) fn control(budget: f64, price: f64) -> impl Strategy<Value = Control> {
    let mut bogus = Params::new();
    bogus.set("size_kind", "all_in");
    let params = prop_oneof![4 => scripted_params(budget, price), 1 => Just(bogus)];
    prop_oneof![
        3 => Just(Control::Pause),
        5 => Just(Control::Resume),
        5 => Just(Control::Start),
        2 => any::<bool>().prop_map(|cancel_resting| Control::Stop { cancel_resting }),
        1 => any::<bool>().prop_map(|global| Control::Kill { global }),
        2 => params.prop_map(Control::UpdateParams),
        2 => settings(budget).prop_map(|s| Control::UpdateSettings(Box::new(s))),
    ]
}

prop_compose! {
    /// A bar one minute after the step before (now and then an hour or a day), moving at
    /// most 2 % close to close plus 1 % wicks, carrying an action code.
    pub(super) fn bar_step()(
        gap in prop_oneof![40 => Just(1i64), 3 => Just(60), 1 => Just(1440)],
        ret in -0.02..0.02f64, up in 0.0..0.01f64, down in 0.0..0.01f64,
        action in prop_oneof![2 => Just(0u8), 3 => Just(1), 2 => Just(2), 1 => Just(3), 2 => Just(4)]
    ) -> Step {
        Step::Bar(Move { gap, ret, up, down, action })
    }
}

prop_compose! {
    /// Mostly bars, some controls and timers (in the minute of the step before or the next
    /// one), usually opened by `Start`.
    pub(super) fn steps(budget: f64, price: f64)(
        start in prop::bool::weighted(0.9),
        steps in prop::collection::vec(prop_oneof![
            40 => bar_step(),
            6 => (0..2i64, control(budget, price)).prop_map(|(gap, c)| Step::Control(gap, c)),
            2 => (0..2i64).prop_map(Step::Timer),
        ], 10..80)
    ) -> Vec<Step> {
        start.then_some(Step::Control(0, Control::Start)).into_iter().chain(steps).collect()
    }
}

/// A loss limit: a share, or an amount that is a share of `budget`.
pub(super) fn loss_limit(budget: f64) -> impl Strategy<Value = Limit> {
    let absolute = move |s: f64| Limit::Absolute(dec(budget * s, 2).max(Decimal::new(1, 2)));
    prop_oneof![
        (0.002..0.05f64).prop_map(Limit::Percent),
        (0.002..0.05f64).prop_map(absolute)
    ]
}

prop_compose! {
    /// Zero, one or two take-profit targets whose fractions add up to at most 1.
    pub(super) fn take_profit()(n in 0..3usize, gain in 0.005..0.05f64, step in 0.005..0.05f64,
                     first in 0.1..0.9f64, rest in 0.1..=1.0f64) -> Vec<TakeProfitTarget> {
        let one = TakeProfitTarget { gain, fraction: if n == 1 { rest } else { first } };
        let two = TakeProfitTarget { gain: gain + step, fraction: (1.0 - first) * rest };
        [one, two].into_iter().take(n).collect()
    }
}

prop_compose! {
    /// Fixed-fraction or Kelly sizing.
    pub(super) fn sizing()(kelly in any::<bool>(), multiplier in 0.1..=1.0f64, max_fraction in 0.1..=1.0f64,
                min_trades in 0..5u32, fallback in 0.05..=1.0f64) -> Sizing {
        if kelly {
            Sizing::Kelly { multiplier, max_fraction, min_trades, fallback }
        } else {
            Sizing::FixedFraction { fraction: fallback }
        }
    }
}

prop_compose! {
    /// A consecutive-loss breaker rotating to none, one or two other scripted strategies.
    pub(super) fn breaker(budget: f64, price: f64)(
        consecutive_losses in 1..3u32, n in 0..3usize, max_rotations in 0..3u32,
        params in scripted_params(budget, price)
    ) -> LossBreaker {
        let spec = |name: &&str| StrategySpec::new(*name, params.clone());
        let rotation = ["scripted_b", "scripted_c"][..n].iter().map(spec).collect();
        LossBreaker { consecutive_losses, rotation, max_rotations }
    }
}

prop_compose! {
    /// Risk settings, each protection optional; amounts are shares of `budget`.
    pub(super) fn risk(budget: f64, price: f64)(
        stop in weighted(0.3, 0.005..0.1f64), trailing in weighted(0.3, 0.005..0.1f64),
        take_profit in take_profit(), drawdown in weighted(0.25, 0.002..0.05f64),
        daily in weighted(0.2, loss_limit(budget)), weekly in weighted(0.1, loss_limit(budget)),
        breaker in weighted(0.15, breaker(budget, price)), cap in weighted(0.1, 0.2..3.0f64),
        exposure in weighted(0.2, 0.1..=1.0f64), sizing in sizing(),
        rate in weighted(0.2, (1..4u32, 1..60i64)), band in weighted(0.1, 0.01..0.2f64)
    ) -> RiskConfig {
        RiskConfig {
            stop_loss: stop.map(Limit::Percent), trailing_stop: trailing, take_profit,
            max_drawdown: drawdown.map(Limit::Percent), daily_loss: daily, weekly_loss: weekly, breaker,
            max_position_notional: cap.map(|share| dec(budget * share, 2)), max_exposure: exposure, sizing,
            order_rate: rate.map(|(max_orders, minutes)| OrderRate { max_orders, window_ms: minutes * MINUTE_MS }),
            price_band: band,
        }
    }
}

prop_compose! {
    /// A budget and a first price on log scales, rounded to cents.
    pub(super) fn money()(b in 1.3..4.3f64, p in 0.7..4.7f64) -> (f64, f64) {
        (cents(10f64.powf(b)), cents(10f64.powf(p)))
    }
}

prop_compose! {
    /// A whole scenario: the money first, then a bot that fits it, and the steps.
    pub(super) fn scenario()((budget, price) in money())(
        bot in "[A-Za-z0-9_]{1,16}", compound in any::<bool>(), params in scripted_params(budget, price),
        risk in risk(budget, price), running in weighted(0.15, 30..2880i64), start in 0..7 * 1440i64,
        steps in steps(budget, price), budget in Just(budget), price in Just(price)
    ) -> Scenario {
        let strategy = StrategySpec::new("scripted", params);
        let mut config = BotConfig::new(BotId::new(bot).unwrap(), vec![testkit::btcusdt()], dec(budget, 2), strategy);
        config.compound = compound;
        config.risk = risk;
        config.running_time_ms = running.map(|minutes| minutes * MINUTE_MS);
        Scenario { config, start_price: price, start_minute: START_MINUTE + start, steps }
    }
}

/// Where fees are charged.
pub(super) fn fee_asset() -> impl Strategy<Value = FeeAsset> {
    prop_oneof![Just(FeeAsset::Received), Just(FeeAsset::Quote)]
}

/// One answer plan of the chaos exchange.
pub(super) fn plan() -> impl Strategy<Value = Plan> {
    use Invalid::{Overfill, Stale, UnknownOrder, WrongSide};
    let invalid = (0..4usize).prop_map(|k| [Stale, UnknownOrder, WrongSide, Overfill][k]);
    prop_oneof![
        3 => Just(Plan::Fill),
        3 => (0.05..0.95f64, any::<bool>()).prop_map(|(share, dup)| Plan::Split { share, dup }),
        1 => any::<bool>().prop_map(|submitted| Plan::Reject { submitted }),
        1 => Just(Plan::UnknownThenAccepted),
        2 => Just(Plan::Rest),
        1 => (0.05..0.95f64).prop_map(|share| Plan::PartialThenCancel { share }),
        1 => invalid.prop_map(Plan::Invalid),
    ]
}

/// The instant or the chaos exchange, half the time each.
pub(super) fn venue() -> impl Strategy<Value = Venue> {
    let chaos = (fee_asset(), prop::collection::vec(plan(), 1..12));
    let chaos = chaos.prop_map(|(fee, plans)| Venue::Chaos(fee, plans));
    prop_oneof![fee_asset().prop_map(Venue::Instant), chaos]
}

/// The inputs of a scenario: a random walk of bars in cents, and the other events, timed.
pub(super) fn inputs(s: &Scenario) -> Vec<Input> {
    let (mut minute, mut close) = (s.start_minute, s.start_price);
    let mut input = |step: &Step| {
        let gap = match step {
            Step::Bar(m) => m.gap,
            Step::Control(gap, _) | Step::Timer(gap) => *gap,
        };
        minute += gap;
        let ts = Timestamp(minute * MINUTE_MS);
        match step {
            Step::Bar(m) => {
                let open = close;
                close = cents(open * (1.0 + m.ret));
                let high = cents(open.max(close) * (1.0 + m.up)).max(open.max(close));
                let low = cents(open.min(close) * (1.0 - m.down)).min(open.min(close));
                let volume = f64::from(m.action);
                Input::Bar(testkit::bar(minute, open, high, low, close, volume))
            }
            Step::Control(_, control) => Input::Other(Event::control(ts, control.clone())),
            Step::Timer(_) => Input::Other(Event::Timer { ts }),
        }
    };
    s.steps.iter().map(&mut input).collect()
}
