//! Properties over random walks, random signals and random configurations.

use proptest::prelude::*;
use vela_backtest::result::ExitReason;
use vela_backtest::stats;
use vela_backtest::vector::{
    FillTiming, IntrabarOrder, Market, Orders, Record, Simulator, Sizing, Stops, TakeProfitFill,
    VectorConfig, VectorRun,
};
use vela_core::strategy::{BarSeries, Signals};
use vela_core::testkit::random_walk;

use super::config;

fn fill_timing() -> impl Strategy<Value = FillTiming> {
    prop_oneof![Just(FillTiming::NextOpen), Just(FillTiming::ThisClose)]
}

fn sizing_mode() -> impl Strategy<Value = Sizing> {
    prop_oneof![
        Just(Sizing::AllIn),
        (1.0_f64..2_000.0).prop_map(Sizing::FixedQuote),
        (0.01_f64..=1.0).prop_map(Sizing::FractionOfEquity),
    ]
}

fn stop_set() -> impl Strategy<Value = Stops> {
    (
        proptest::option::of(0.001_f64..0.2),
        proptest::option::of(0.001_f64..0.3),
        proptest::option::of(0.001_f64..0.2),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(sl, tp, tr, pessimistic, limit)| Stops {
            stop_loss: sl,
            take_profit: tp,
            trailing_stop: tr,
            intrabar: if pessimistic {
                IntrabarOrder::Pessimistic
            } else {
                IntrabarOrder::Optimistic
            },
            take_profit_fill: if limit {
                TakeProfitFill::Limit
            } else {
                TakeProfitFill::Market
            },
        })
}

prop_compose! {
    fn case()(
        n in 2_usize..300,
        seed in any::<u64>(),
        step in 0.001_f64..0.05,
        taker in 0.0_f64..0.01,
        maker in 0.0_f64..0.01,
        slippage_bps in 0.0_f64..50.0,
        fill in fill_timing(),
        sizing in sizing_mode(),
        stops in stop_set(),
        density in 0.02_f64..0.5,
        signal_seed in any::<u64>(),
    ) -> (BarSeries, Signals, VectorConfig) {
        let bars = BarSeries::from_bars(&random_walk(n, 100.0, step, seed));
        // Widen the ranges so that stops see real highs and lows.
        let mut bars = bars;
        for i in 0..n {
            bars.high[i] *= 1.0 + step / 2.0;
            bars.low[i] *= 1.0 - step / 2.0;
        }
        let mut state = signal_seed | 1;
        let mut draw = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            #[allow(clippy::cast_precision_loss, reason = "a uniform draw from 53 bits")]
            let u = (state >> 11) as f64 / (1_u64 << 53) as f64;
            u < density
        };
        let signals = Signals {
            entries: (0..n).map(|_| draw()).collect(),
            exits: (0..n).map(|_| draw()).collect(),
        };
        let mut cfg = config(taker);
        cfg.fees.maker = maker;
        cfg.slippage_bps = slippage_bps;
        cfg.fill = fill;
        cfg.sizing = sizing;
        cfg.stops = stops;
        (bars, signals, cfg)
    }
}

fn simulate(bars: &BarSeries, signals: &Signals, cfg: &VectorConfig) -> VectorRun {
    let market = Market::new(bars.columns()).expect("valid bars");
    Simulator::new(cfg.clone())
        .expect("valid config")
        .run(&market, Orders::from(signals))
        .expect("valid signals")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn prop_equity_cash_and_position_never_negative((bars, signals, cfg) in case()) {
        let run = simulate(&bars, &signals, &cfg);
        prop_assert!(run.final_cash >= 0.0 && run.final_quantity >= 0.0);
        for (i, &e) in run.result.equity.equity.iter().enumerate() {
            prop_assert!(e >= 0.0 && e.is_finite(), "equity {} at bar {}", e, i);
        }
        for &x in &run.result.equity.exposure {
            prop_assert!((0.0..=1.0 + 1e-12).contains(&x), "exposure {}", x);
        }
    }

    #[test]
    fn prop_no_trade_before_its_signal((bars, signals, cfg) in case()) {
        let run = simulate(&bars, &signals, &cfg);
        // The bar whose close decided a fill on bar `b`.
        let decided = |b: usize| match cfg.fill {
            FillTiming::NextOpen => b.checked_sub(1),
            FillTiming::ThisClose => Some(b),
        };
        for t in &run.result.trades {
            let Some(d) = decided(t.entry_bar) else {
                return Err(TestCaseError::fail(format!("entry on bar 0 with next-open: {t:?}")));
            };
            prop_assert!(signals.entries[d], "entry at {} without an entry signal at {}", t.entry_bar, d);
            prop_assert!(t.exit_bar >= t.entry_bar);
            match t.exit_reason {
                ExitReason::Signal => {
                    let d = decided(t.exit_bar).unwrap();
                    prop_assert!(signals.exits[d], "exit at {} without an exit signal at {}", t.exit_bar, d);
                    match cfg.fill {
                        FillTiming::NextOpen => prop_assert!(d >= t.entry_bar),
                        FillTiming::ThisClose => prop_assert!(d > t.entry_bar),
                    }
                }
                ExitReason::EndOfData => prop_assert_eq!(t.exit_bar, bars.ts.len() - 1),
                _ => {
                    // Stops act only on bars the position lived through.
                    if cfg.fill == FillTiming::ThisClose {
                        prop_assert!(t.exit_bar > t.entry_bar);
                    }
                    let (o, h, l) = (bars.open[t.exit_bar], bars.high[t.exit_bar], bars.low[t.exit_bar]);
                    prop_assert!(l <= o && o <= h);
                }
            }
        }
        // Trades do not overlap.
        for w in run.result.trades.windows(2) {
            prop_assert!(w[1].entry_bar >= w[0].exit_bar);
        }
    }

    #[test]
    fn prop_same_inputs_same_outputs((bars, signals, cfg) in case()) {
        let a = simulate(&bars, &signals, &cfg);
        let market = Market::new(bars.columns()).unwrap();
        let sim = Simulator::new(cfg.clone()).unwrap();
        let b = sim.run(&market, Orders::from(&signals)).unwrap();
        let c = sim.run(&market, Orders::from(&signals)).unwrap();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(&b, &c);
        // Reusing the buffers of another run (more bars, other trades) changes nothing.
        let mut out = VectorRun::default();
        let longer = BarSeries::from_bars(&random_walk(bars.ts.len() + 50, 90.0, 0.03, 7));
        let everything = Signals { entries: vec![true; longer.ts.len()], exits: vec![true; longer.ts.len()] };
        let other = Market::new(longer.columns()).expect("valid bars");
        sim.run_into(&other, Orders::from(&everything), &mut out).expect("runs");
        sim.run_into(&market, Orders::from(&signals), &mut out).expect("runs");
        prop_assert_eq!(&a, &out);
    }

    #[test]
    fn prop_accounting_adds_up((bars, signals, cfg) in case()) {
        let run = simulate(&bars, &signals, &cfg);
        let final_equity = *run.result.equity.equity.last().unwrap();
        let pnl: f64 = run.result.trades.iter().map(|t| t.pnl).sum();
        prop_assert!(
            (final_equity - cfg.initial_cash - pnl).abs() <= 1e-9 * cfg.initial_cash,
            "final equity {} vs initial + pnl {}", final_equity, cfg.initial_cash + pnl
        );
        let last_close = *bars.close.last().unwrap();
        prop_assert!((final_equity - run.final_cash - run.final_quantity * last_close).abs() <= 1e-9 * final_equity.max(1.0));
        for t in &run.result.trades {
            // Quantities on the 0.001 grid, at least the minimum; prices on the 0.01 grid.
            prop_assert!(((t.quantity * 1e3).round() - t.quantity * 1e3).abs() < 1e-6, "{}", t.quantity);
            prop_assert!(t.quantity >= 0.001);
            prop_assert!(((t.exit_price * 1e2).round() - t.exit_price * 1e2).abs() < 1e-6
                || t.exit_reason == ExitReason::EndOfData);
            prop_assert!(t.fees >= 0.0);
        }
        let stored = stats::compute(&run.result.trades, &run.result.equity, cfg.initial_cash, 60_000);
        prop_assert_eq!(&run.result.stats, &stored);
        let s = &run.result.stats;
        for (name, v) in [("sharpe", s.sharpe), ("sortino", s.sortino), ("win_rate", s.win_rate),
            ("expectancy", s.expectancy), ("turnover", s.turnover), ("max_drawdown", s.max_drawdown)] {
            prop_assert!(v.is_finite(), "{} = {}", name, v);
        }
        prop_assert!(!s.cagr.is_nan() && !s.calmar.is_nan() && !s.profit_factor.is_nan());
        let lean = VectorConfig { record: Record { equity: false, trades: false }, ..cfg.clone() };
        prop_assert_eq!(&simulate(&bars, &signals, &lean).result.stats, s);
    }

    #[test]
    fn prop_exposure_mode_never_overdraws(
        n in 2_usize..200,
        seed in any::<u64>(),
        targets in proptest::collection::vec(prop_oneof![Just(0.0), Just(1.0), 0.0_f64..=1.0], 200),
        taker in 0.0_f64..0.01,
        fill in fill_timing(),
    ) {
        let bars = BarSeries::from_bars(&random_walk(n, 100.0, 0.02, seed));
        let mut cfg = config(taker);
        cfg.fill = fill;
        let market = Market::new(bars.columns()).unwrap();
        let run = Simulator::new(cfg).unwrap().run(&market, Orders::Exposure(&targets[..n])).unwrap();
        prop_assert!(run.final_cash >= 0.0 && run.final_quantity >= 0.0);
        for &e in &run.result.equity.equity {
            prop_assert!(e >= 0.0);
        }
        let pnl: f64 = run.result.trades.iter().map(|t| t.pnl).sum();
        let final_equity = *run.result.equity.equity.last().unwrap();
        prop_assert!((final_equity - 1_000.0 - pnl).abs() <= 1e-9 * 1_000.0);
    }
}

/// A plain re-statement of the fill rules for signals without stops, with money in
/// `Decimal` and the core's rounding (as the event tier keeps it): trades as `(entry bar,
/// exit bar or None, quantity)` and the final equity.
fn reference(
    bars: &BarSeries,
    signals: &Signals,
    cfg: &VectorConfig,
) -> (Vec<(usize, Option<usize>, f64)>, f64) {
    use rust_decimal::Decimal;
    use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
    let dec = |v: f64| Decimal::from_f64(v).expect("a finite value");
    let inst = &cfg.instrument;
    let fee = dec(cfg.fees.taker);
    let slip = cfg.slippage_bps / 10_000.0;
    let mut cash = dec(cfg.initial_cash);
    let mut held = Decimal::ZERO;
    let mut trades: Vec<(usize, Option<usize>, f64)> = Vec::new();
    let n = bars.ts.len();
    // `reference`: the close the decision saw (the engine's gate checks minimums at it).
    let mut fill = |raw: f64,
                    reference: f64,
                    entry: bool,
                    bar: usize,
                    cash: &mut Decimal,
                    held: &mut Decimal| {
        let reference = dec(reference);
        if entry {
            let price = inst.round_price(raw * (1.0 + slip)).expect("a price");
            if price.is_zero() {
                return;
            }
            let budget = match cfg.sizing {
                Sizing::AllIn => *cash,
                Sizing::FixedQuote(q) if dec(q) > *cash => return,
                Sizing::FixedQuote(q) => dec(q),
                Sizing::FractionOfEquity(f) => (dec(f) * *cash).min(*cash),
            };
            // The engine sends a quote amount (fee room left, rounded down to the price
            // precision); the exchange fills the whole steps it pays for.
            let amount = vela_core::money::rounding::decimal_down(
                budget / (Decimal::ONE + fee),
                inst.price_precision,
            );
            if amount.is_zero()
                || amount / reference < inst.min_quantity
                || amount < inst.min_notional
            {
                return;
            }
            let qty = inst.round_quantity_decimal(amount / price);
            if qty.is_zero() {
                return;
            }
            *cash -= qty * price * (Decimal::ONE + fee);
            *held = qty;
            trades.push((bar, None, qty.to_f64().expect("a quantity")));
        } else {
            let price = inst.round_price(raw * (1.0 - slip)).expect("a price");
            if *held < inst.min_quantity || *held * reference < inst.min_notional {
                return;
            }
            *cash += *held * price * (Decimal::ONE - fee);
            *held = Decimal::ZERO;
            trades.last_mut().expect("an open trade").1 = Some(bar);
        }
    };
    let mut pending: Option<bool> = None;
    for i in 0..n {
        if let Some(entry) = pending.take() {
            fill(
                bars.open[i],
                bars.close[i - 1],
                entry,
                i,
                &mut cash,
                &mut held,
            );
        }
        let order = if held.is_zero() {
            signals.entries[i].then_some(true)
        } else {
            signals.exits[i].then_some(false)
        };
        if let Some(entry) = order {
            match cfg.fill {
                FillTiming::NextOpen if i + 1 < n => pending = Some(entry),
                FillTiming::NextOpen => {}
                FillTiming::ThisClose => {
                    fill(bars.close[i], bars.close[i], entry, i, &mut cash, &mut held);
                }
            }
        }
    }
    let last = dec(*bars.close.last().expect("bars"));
    (trades, (cash + held * last).to_f64().expect("an equity"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn prop_matches_a_decimal_reference((bars, signals, cfg) in case()) {
        let cfg = VectorConfig { stops: Stops::default(), ..cfg };
        let run = simulate(&bars, &signals, &cfg);
        let (trades, equity) = reference(&bars, &signals, &cfg);
        let ours: Vec<(usize, Option<usize>, f64)> = run
            .result
            .trades
            .iter()
            .map(|t| {
                let exit = (t.exit_reason != ExitReason::EndOfData).then_some(t.exit_bar);
                (t.entry_bar, exit, t.quantity)
            })
            .collect();
        prop_assert_eq!(ours, trades);
        let final_equity = *run.result.equity.equity.last().unwrap();
        prop_assert!(
            (final_equity - equity).abs() <= 1e-9 * equity.abs().max(1.0),
            "equity {} vs decimal {}", final_equity, equity
        );
    }
}
