//! Hand-computed cases: each fill rule on a few bars, numbers worked out in the comments.

use vela_backtest::result::ExitReason;
use vela_backtest::stats;
use vela_backtest::vector::{
    FillTiming, IntrabarOrder, Market, Orders, Record, Simulator, Sizing, Stops, TakeProfitFill,
    VectorConfig, VectorError,
};

use super::{close_to, config, flat, run, series, signals};

const BARS: [(f64, f64, f64, f64); 5] = [
    (100.0, 100.0, 100.0, 100.0),
    (101.0, 102.0, 100.0, 101.0),
    (105.0, 106.0, 104.0, 105.0),
    (110.0, 111.0, 109.0, 110.0),
    (108.0, 108.0, 108.0, 108.0),
];

#[test]
fn next_open_fills_at_the_next_open_with_taker_fees() {
    let run = run(&config(0.001), &series(&BARS), &signals(5, &[0], &[2]));
    let [t] = run.result.trades.as_slice() else {
        panic!("one trade: {:?}", run.result.trades)
    };
    // Buy at bar 1's open: floor_3(1000 / (101 · 1.001)) = 9.891; cost 998.991, fee 0.998991.
    assert_eq!((t.entry_bar, t.entry_ts, t.entry_price), (1, 60_000, 101.0));
    assert_eq!(t.quantity, 9.891);
    // Sell at bar 3's open: 1088.01, fee 1.08801.
    assert_eq!((t.exit_bar, t.exit_ts, t.exit_price), (3, 180_000, 110.0));
    assert_eq!(t.exit_reason, ExitReason::Signal);
    close_to(t.fees, 0.998_991 + 1.088_01);
    close_to(t.pnl, 89.019 - 2.087_001);
    close_to(run.final_cash, 1_086.931_999);
    let equity = &run.result.equity.equity;
    close_to(equity[0], 1_000.0);
    close_to(equity[1], 0.010_009 + 9.891 * 101.0);
    close_to(equity[2], 0.010_009 + 9.891 * 105.0);
    close_to(equity[3], 1_086.931_999);
    close_to(equity[4], 1_086.931_999);
    assert_eq!(run.result.equity.exposure[0], 0.0);
    close_to(run.result.equity.exposure[2], 9.891 * 105.0 / equity[2]);
    assert_eq!(run.result.equity.ts, series(&BARS).ts);
}

#[test]
fn this_close_fills_at_the_signal_bars_close() {
    let cfg = VectorConfig {
        fill: FillTiming::ThisClose,
        ..config(0.001)
    };
    let run = run(&cfg, &series(&BARS), &signals(5, &[0], &[2]));
    let t = &run.result.trades[0];
    // Buy at bar 0's close 100: floor_3(1000 / 100.1) = 9.99, cost 999, fee 0.999.
    // Sell at bar 2's close 105: 1048.95, fee 1.04895. Stamped at the closes' times.
    assert_eq!(
        (t.entry_bar, t.entry_ts, t.entry_price, t.quantity),
        (0, 60_000, 100.0, 9.99)
    );
    assert_eq!((t.exit_bar, t.exit_ts, t.exit_price), (2, 180_000, 105.0));
    close_to(t.pnl, 49.95 - 0.999 - 1.048_95);
    close_to(run.final_cash, 1_047.902_05);
    close_to(run.result.equity.equity[0], 0.001 + 999.0);
}

#[test]
fn slippage_moves_prices_against_the_trader_then_rounds_to_the_tick() {
    let cfg = VectorConfig {
        slippage_bps: 10.0,
        ..config(0.0)
    };
    let run = run(
        &cfg,
        &flat(&[100.123, 100.123, 110.0, 110.0]),
        &signals(4, &[0], &[1]),
    );
    let t = &run.result.trades[0];
    // 100.123 · 1.001 = 100.223123 → 100.22; 110 · 0.999 = 109.89.
    assert_eq!((t.entry_price, t.exit_price), (100.22, 109.89));
    // floor_3(1000 / 100.22) = 9.978.
    assert_eq!(t.quantity, 9.978);
    close_to(t.pnl, 9.978 * 9.67);
    assert_eq!(t.fees, 0.0);
}

#[test]
fn end_of_data_values_the_position_at_the_last_close_without_exit_fee() {
    // The exit at the last bar would fill after the data: it never does.
    let run = run(
        &config(0.001),
        &flat(&[100.0, 100.0, 120.0]),
        &signals(3, &[0], &[2]),
    );
    let [t] = run.result.trades.as_slice() else {
        panic!("one trade")
    };
    assert_eq!(t.exit_reason, ExitReason::EndOfData);
    assert_eq!((t.exit_bar, t.exit_ts, t.exit_price), (2, 180_000, 120.0));
    // 9.99 bought at 100 (fee 0.999): 9.99 · 20 − 0.999.
    close_to(t.fees, 0.999);
    close_to(t.pnl, 198.801);
    assert_eq!(run.final_quantity, 9.99);
    close_to(run.final_cash, 0.001);
    close_to(
        *run.result.equity.equity.last().unwrap(),
        0.001 + 9.99 * 120.0,
    );
    // An entry on the last bar is never filled either.
    let late = super::run(
        &config(0.001),
        &flat(&[100.0, 100.0, 120.0]),
        &signals(3, &[2], &[]),
    );
    assert!(late.result.trades.is_empty());
    assert_eq!(late.final_cash, 1_000.0);
}

fn stops(sl: Option<f64>, tp: Option<f64>, trailing: Option<f64>) -> VectorConfig {
    VectorConfig {
        stops: Stops {
            stop_loss: sl,
            take_profit: tp,
            trailing_stop: trailing,
            ..Stops::default()
        },
        ..config(0.0)
    }
}

/// Entry signal on bar 0 (flat at 100), filled at bar 1's open of 100 (10 units), then
/// `third` as bar 2.
fn stop_case(cfg: &VectorConfig, third: (f64, f64, f64, f64)) -> vela_backtest::Trade {
    let bars = series(&[
        (100.0, 100.0, 100.0, 100.0),
        (100.0, 101.0, 99.0, 100.0),
        third,
    ]);
    let run = run(cfg, &bars, &signals(3, &[0], &[]));
    assert_eq!(run.result.trades.len(), 1, "{:?}", run.result.trades);
    run.result.trades[0].clone()
}

#[test]
fn stop_loss_fills_at_its_level_or_at_a_gapping_open() {
    let cfg = stops(Some(0.05), None, None);
    let t = stop_case(&cfg, (99.0, 99.5, 94.0, 96.0));
    assert_eq!(
        (t.exit_reason, t.exit_bar, t.exit_price),
        (ExitReason::StopLoss, 2, 95.0)
    );
    assert_eq!(t.exit_ts, 120_000);
    close_to(t.pnl, -50.0);
    // The open gaps below the stop: filled at the open.
    let t = stop_case(&cfg, (93.0, 94.0, 90.0, 92.0));
    assert_eq!((t.exit_reason, t.exit_price), (ExitReason::StopLoss, 93.0));
    close_to(t.pnl, -70.0);
    // A low just above the level holds.
    let t = stop_case(&cfg, (99.0, 99.5, 95.01, 96.0));
    assert_eq!(t.exit_reason, ExitReason::EndOfData);
}

#[test]
fn stops_pay_slippage_and_levels_follow_the_slipped_entry() {
    let cfg = VectorConfig {
        slippage_bps: 20.0,
        ..stops(Some(0.05), None, None)
    };
    let t = stop_case(&cfg, (99.0, 99.5, 94.0, 96.0));
    // Entry 100 · 1.002 = 100.2, 9.98 units; stop 100.2 · 0.95 = 95.19;
    // sold at 95.19 · 0.998 = 94.99962 → 95.00.
    assert_eq!(
        (t.entry_price, t.quantity, t.exit_price),
        (100.2, 9.98, 95.0)
    );
    close_to(t.pnl, 9.98 * (95.0 - 100.2));
}

#[test]
fn take_profit_fills_at_its_level_or_at_a_gapping_open() {
    let cfg = stops(Some(0.05), Some(0.10), None);
    let t = stop_case(&cfg, (100.0, 110.0, 99.0, 105.0));
    assert_eq!(
        (t.exit_reason, t.exit_price),
        (ExitReason::TakeProfit, 110.0)
    );
    close_to(t.pnl, 100.0);
    let t = stop_case(&cfg, (112.0, 113.0, 111.0, 112.0));
    assert_eq!(
        (t.exit_reason, t.exit_price),
        (ExitReason::TakeProfit, 112.0)
    );
    close_to(t.pnl, 120.0);
}

#[test]
fn a_bar_touching_both_fills_the_stop_unless_optimistic() {
    let both = (100.0, 111.0, 94.0, 100.0);
    let t = stop_case(&stops(Some(0.05), Some(0.10), None), both);
    assert_eq!((t.exit_reason, t.exit_price), (ExitReason::StopLoss, 95.0));
    let mut optimistic = stops(Some(0.05), Some(0.10), None);
    optimistic.stops.intrabar = IntrabarOrder::Optimistic;
    let t = stop_case(&optimistic, both);
    assert_eq!(
        (t.exit_reason, t.exit_price),
        (ExitReason::TakeProfit, 110.0)
    );
    // A gap through the stop is a gap whatever the order.
    let t = stop_case(&optimistic, (94.0, 111.0, 90.0, 100.0));
    assert_eq!((t.exit_reason, t.exit_price), (ExitReason::StopLoss, 94.0));
}

#[test]
fn take_profit_as_limit_pays_maker_and_no_slippage() {
    let mut cfg = VectorConfig {
        slippage_bps: 20.0,
        ..stops(None, Some(0.10), None)
    };
    cfg.fees.maker = 0.0002;
    let bar = (105.0, 111.0, 104.0, 106.0);
    let market = stop_case(&cfg, bar);
    // Entry 100.2 (9.98 units); level 110.22; a market exit sells at 110.22 · 0.998 =
    // 109.99956 → 110.00 with the taker fee (0 here).
    assert_eq!((market.exit_price, market.fees), (110.0, 0.0));
    close_to(market.pnl, 9.98 * (110.0 - 100.2));
    cfg.stops.take_profit_fill = TakeProfitFill::Limit;
    let limit = stop_case(&cfg, bar);
    let fee = 9.98 * 110.22 * 0.0002;
    assert_eq!(limit.exit_price, 110.22);
    close_to(limit.fees, fee);
    close_to(limit.pnl, 9.98 * (110.22 - 100.2) - fee);
}

#[test]
fn trailing_stop_trails_the_highs_of_earlier_bars() {
    let cfg = stops(None, None, Some(0.10));
    // Bar 1: entry at 100 (level 90); its high of 120 only counts from bar 2 (level 108),
    // so its own low of 99 is safe. Bar 2's low of 107 hits 108.
    let bars = series(&[
        (100.0, 100.0, 100.0, 100.0),
        (100.0, 120.0, 99.0, 115.0),
        (115.0, 116.0, 107.0, 110.0),
    ]);
    let run = run(&cfg, &bars, &signals(3, &[0], &[]));
    let t = &run.result.trades[0];
    assert_eq!(
        (t.exit_reason, t.exit_bar, t.exit_price),
        (ExitReason::TrailingStop, 2, 108.0)
    );
    close_to(t.pnl, 80.0);
}

#[test]
fn this_close_entries_are_not_stopped_by_their_own_bar() {
    let mut cfg = stops(Some(0.05), None, Some(0.10));
    cfg.fill = FillTiming::ThisClose;
    // Bar 0: entry at the close 100 — its low of 90 and high of 130 came before it.
    let bars = series(&[
        (100.0, 130.0, 90.0, 100.0),
        (100.0, 100.0, 96.0, 100.0),
        (100.0, 100.0, 94.0, 95.0),
    ]);
    let run = run(&cfg, &bars, &signals(3, &[0], &[]));
    let t = &run.result.trades[0];
    assert_eq!((t.entry_bar, t.exit_bar), (0, 2));
    assert_eq!((t.exit_reason, t.exit_price), (ExitReason::StopLoss, 95.0));
}

#[test]
fn a_stop_preempts_the_signal_exit_and_the_close_may_reenter() {
    let cfg = stops(Some(0.05), None, None);
    let bars = series(&[
        (100.0, 100.0, 100.0, 100.0),
        (100.0, 100.0, 100.0, 100.0),
        (99.0, 99.0, 90.0, 92.0),
        (93.0, 93.0, 93.0, 93.0),
        (94.0, 94.0, 94.0, 94.0),
    ]);
    // Exit and re-entry signals on the stop bar: the exit finds no position, the entry
    // fills at bar 3's open.
    let run = run(&cfg, &bars, &signals(5, &[0, 2], &[2]));
    let trades = &run.result.trades;
    assert_eq!(trades.len(), 2, "{trades:?}");
    assert_eq!(
        (trades[0].exit_reason, trades[0].exit_bar),
        (ExitReason::StopLoss, 2)
    );
    assert_eq!((trades[1].entry_bar, trades[1].entry_price), (3, 93.0));
    assert_eq!(trades[1].exit_reason, ExitReason::EndOfData);
}

#[test]
fn sizing_modes() {
    let prices = flat(&[100.0, 100.0, 100.0, 100.0]);
    let with = |sizing| VectorConfig {
        sizing,
        ..config(0.0)
    };
    let fixed = run(
        &with(Sizing::FixedQuote(250.0)),
        &prices,
        &signals(4, &[0], &[]),
    );
    assert_eq!(fixed.result.trades[0].quantity, 2.5);
    assert_eq!(fixed.final_cash, 750.0);
    let fraction = run(
        &with(Sizing::FractionOfEquity(0.25)),
        &prices,
        &signals(4, &[0], &[]),
    );
    assert_eq!(fraction.result.trades[0].quantity, 2.5);
    // With a fee the budget includes it: 250 / (100 · 1.001) → 2.497.
    let fee = VectorConfig {
        sizing: Sizing::FixedQuote(250.0),
        ..config(0.001)
    };
    assert_eq!(
        run(&fee, &prices, &signals(4, &[0], &[])).result.trades[0].quantity,
        2.497
    );
    // More than the cash: refused, every time it is asked.
    let short = run(
        &with(Sizing::FixedQuote(2_000.0)),
        &prices,
        &signals(4, &[0, 1], &[]),
    );
    assert!(short.result.trades.is_empty());
    assert_eq!(short.refused.insufficient_cash, 2);
    assert_eq!(short.final_cash, 1_000.0);
}

#[test]
fn orders_below_the_minimums_are_refused_and_counted() {
    let prices = flat(&[100.0, 100.0, 100.0]);
    // 4 USDT buys 0.04 units: a notional of 4 is below 5.
    let poor = VectorConfig {
        initial_cash: 4.0,
        ..config(0.0)
    };
    let run = run(&poor, &prices, &signals(3, &[0], &[]));
    assert!(run.result.trades.is_empty());
    assert_eq!(run.refused.below_min_notional, 1);
    // 9 USDT at 10,000 buys floor_3(0.0009) = 0: below the minimum quantity.
    let dear = VectorConfig {
        initial_cash: 9.0,
        ..config(0.0)
    };
    let run = super::run(&dear, &flat(&[10_000.0, 10_000.0]), &signals(2, &[0], &[]));
    assert_eq!(run.refused.below_min_quantity, 1);
    assert_eq!(run.refused.total(), 1);
    // An exit worth 3 USDT is refused too: the position stays until the end.
    let small = VectorConfig {
        sizing: Sizing::FixedQuote(6.0),
        ..config(0.0)
    };
    let run = super::run(
        &small,
        &flat(&[100.0, 100.0, 50.0, 50.0]),
        &signals(4, &[0], &[2]),
    );
    assert_eq!(run.refused.below_min_notional, 1);
    let [t] = run.result.trades.as_slice() else {
        panic!("one trade")
    };
    assert_eq!((t.quantity, t.exit_reason), (0.06, ExitReason::EndOfData));
}

#[test]
fn target_exposure_rebalances_on_changes_against_the_average_cost() {
    let prices = flat(&[100.0, 100.0, 200.0, 200.0, 100.0, 100.0]);
    let targets = [0.5, 0.5, 1.0, 0.25, 0.0, 0.0];
    let market = Market::new(prices.columns()).unwrap();
    let run = Simulator::new(config(0.0))
        .unwrap()
        .run(&market, Orders::Exposure(&targets))
        .unwrap();
    // Bar 1: 500 buys 5 at 100. Bar 3: equity 1500, buy 500 more at 200 (2.5 units),
    // average 1000 / 7.5. Bar 4: equity 750, target 187.5, sell 5.625 at 100.
    // Bar 5: sell the last 1.875.
    let trades = &run.result.trades;
    assert_eq!(trades.len(), 2, "{trades:?}");
    let avg = 1_000.0 / 7.5;
    assert_eq!(
        (trades[0].entry_bar, trades[0].exit_bar, trades[0].quantity),
        (1, 4, 5.625)
    );
    close_to(trades[0].entry_price, avg);
    close_to(trades[0].pnl, -187.5);
    assert_eq!(
        (trades[1].entry_bar, trades[1].exit_bar, trades[1].quantity),
        (1, 5, 1.875)
    );
    close_to(trades[1].pnl, -62.5);
    close_to(run.final_cash, 750.0);
    assert_eq!(run.final_quantity, 0.0);
    close_to(run.result.equity.exposure[3], 1.0);
}

#[test]
fn incoherent_combinations_and_bad_inputs_are_refused() {
    let prices = flat(&[100.0, 100.0]);
    let market = Market::new(prices.columns()).unwrap();
    let targets = [0.0, 1.0];
    let err = Simulator::new(stops(Some(0.05), None, None))
        .unwrap()
        .run(&market, Orders::Exposure(&targets))
        .unwrap_err();
    assert!(matches!(err, VectorError::Combination { .. }));
    assert!(
        err.to_string()
            .starts_with("config exposure column + stops is refused"),
        "{err}"
    );
    let sized = VectorConfig {
        sizing: Sizing::FractionOfEquity(0.5),
        ..config(0.0)
    };
    let err = Simulator::new(sized)
        .unwrap()
        .run(&market, Orders::Exposure(&targets))
        .unwrap_err();
    assert!(
        err.to_string().contains("exposure column + sizing"),
        "{err}"
    );
    let short = signals(1, &[], &[]);
    let err = Simulator::new(config(0.0))
        .unwrap()
        .run(&market, Orders::from(&short))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "column entries has 1 values but there are 2 bars"
    );
    let bad = VectorConfig {
        fees: vela_backtest::vector::Fees {
            maker: -0.1,
            taker: 0.0,
        },
        ..config(0.0)
    };
    assert!(
        Simulator::new(bad)
            .unwrap_err()
            .to_string()
            .contains("fees.maker")
    );
}

#[test]
fn streamed_statistics_equal_those_of_the_stored_run() {
    let cfg = stops(Some(0.05), Some(0.08), Some(0.06));
    let bars = series(&[
        (100.0, 100.0, 100.0, 100.0),
        (100.0, 104.0, 99.0, 103.0),
        (103.0, 109.0, 102.0, 108.0),
        (108.0, 108.0, 100.0, 101.0),
        (101.0, 102.0, 98.0, 99.0),
        (99.0, 105.0, 99.0, 104.0),
        (104.0, 104.0, 95.0, 96.0),
    ]);
    let sig = signals(7, &[0, 3, 4], &[5]);
    let full = run(&cfg, &bars, &sig);
    assert!(full.result.trades.len() >= 2, "{:?}", full.result.trades);
    let stored = stats::compute(&full.result.trades, &full.result.equity, 1_000.0, 60_000);
    assert_eq!(full.result.stats, stored);
    let lean = VectorConfig {
        record: Record {
            equity: false,
            trades: false,
        },
        ..cfg
    };
    let lean = run(&lean, &bars, &sig);
    assert_eq!(lean.result.stats, full.result.stats);
    assert!(lean.result.trades.is_empty() && lean.result.equity.equity.is_empty());
    assert_eq!(
        (lean.final_cash, lean.refused),
        (full.final_cash, full.refused)
    );
}
