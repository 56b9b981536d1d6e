//! Statistics of a run, from its equity curve and trades.
//!
//! The vectorised simulator streams its bars and trades into a [`StatsAccumulator`] (so a
//! sweep keeps no curve); [`compute`] feeds the same accumulator from a stored
//! [`EquityCurve`] and trade list, so both give bit-identical numbers.
//!
//! # Definitions
//!
//! Notation: `C` is the initial equity; `E_0 … E_{n-1}` the equity at the close of each of
//! the `n` bars; `t_0` the first bar's open time and `T_i = ts_i + interval` bar `i`'s close
//! time. The curve is the initial point `(t_0, C)` followed by the `n` bar points.
//!
//! - **Returns**: one per bar, `r_0 = E_0 / C − 1`, `r_i = E_i / E_{i−1} − 1` (`0` when the
//!   previous equity is not above zero).
//! - **Periods per year** `P = 365 · 86 400 000 / interval_ms`: crypto trades every day, so
//!   a year is 365 days of bars (one-minute bars: `P = 525 600`).
//! - **total return** `E_{n−1} / C − 1`.
//! - **CAGR** `(E_{n−1} / C)^(1 / years) − 1` with `years = (T_{n−1} − t_0) / 365 days`, the
//!   calendar span of the bars (equal to `n / P` when there are no gaps). `−1` when the
//!   final equity is not above zero. For spans far shorter than a year the extrapolation
//!   can overflow to `+∞` (the only way CAGR and Calmar become non-finite).
//! - **Sharpe** `mean(r) / std(r) · √P`, risk-free rate 0, `std` the **sample** standard
//!   deviation (divisor `n − 1`). `0` when `n < 2` or `std = 0`.
//! - **Sortino** `mean(r) / DD · √P` with the downside deviation `DD = √(Σ min(r_i, 0)² / n)`
//!   (target 0, divisor `n`: all bars, Sortino and Price's definition, as empyrical).
//!   `0` when `DD = 0`.
//! - **max drawdown** `min_k (E_k / max_{j≤k} E_j − 1)` over the curve including `C`: a
//!   fraction in `[−1, 0]`, `0` when equity never falls below a previous peak.
//! - **max drawdown duration** the longest time, in ms, from the last point at a peak to the
//!   first later point at or above that peak, or to the last point if equity never gets
//!   back. Points at the initial equity count as peaks.
//! - **Calmar** `CAGR / |max drawdown|`, `0` when the max drawdown is `0`.
//! - **trades** every trade in the list, the end-of-data one included (it is marked to the
//!   last close). A win has `pnl > 0`, a loss `pnl < 0`; `pnl = 0` is neither.
//! - **win rate** wins / trades; **expectancy** mean `pnl`; **average win** mean `pnl` of
//!   wins; **average loss** mean `pnl` of losses (negative). Each is `0` without trades (or
//!   without wins / losses).
//! - **profit factor** gross profit / |gross loss|: `0` when there is no gross profit,
//!   `+∞` when there are wins but no losses.
//! - **exposure** fraction of bars with a position held at the bar's close.
//! - **fees** sum of the trades' fees (quote asset).
//! - **turnover** traded notional / mean of `E_0 … E_{n−1}`; the traded notional is
//!   `Σ quantity · (entry price + exit price)` over trades, counting only the entry of the
//!   end-of-data trade (its exit is a valuation, not a fill).
//!
//! No statistic is NaN.

use crate::result::{EquityCurve, ExitReason, Stats, Trade};

/// Milliseconds in a 365-day year.
pub const YEAR_MS: f64 = 365.0 * 86_400_000.0;

/// The bar interval of timestamps `ts` (ms, increasing): the smallest step between
/// consecutive bars — gaps in the data only make steps larger. `None` for fewer than two
/// bars or a step that is not positive.
#[must_use]
pub fn bar_interval_ms(ts: &[i64]) -> Option<i64> {
    ts.windows(2)
        .map(|w| w[1] - w[0])
        .min()
        .filter(|&step| step > 0)
}

/// Bars per 365-day year for a bar interval in ms.
#[must_use]
pub fn periods_per_year(interval_ms: i64) -> f64 {
    #[allow(
        clippy::cast_precision_loss,
        reason = "intervals are far below 2^53 ms"
    )]
    let interval = interval_ms as f64;
    if interval > 0.0 {
        YEAR_MS / interval
    } else {
        0.0
    }
}

/// Streams a run's bars and trades into [`Stats`] in one pass without storing them.
///
/// Bars whose equity equals the previous bar's (bit for bit) without a position — the
/// flat stretches between trades — are counted as runs and added in one step, so a
/// simulator may hand over a whole stretch at once ([`StatsAccumulator::push_flat_bars`])
/// and still get the very numbers bar-by-bar pushes give.
#[derive(Debug, Clone)]
pub struct StatsAccumulator {
    initial: f64,
    start_ms: i64,
    interval_ms: i64,
    bars: usize,
    previous: f64,
    last_ms: i64,
    sum_return: f64,
    sum_return_sq: f64,
    sum_downside_sq: f64,
    sum_equity: f64,
    /// Flat bars at `previous` not yet added to `sum_equity`.
    flat_run: usize,
    exposed_bars: usize,
    peak: f64,
    peak_ms: i64,
    /// Lowest equity since the peak, while below it.
    trough: f64,
    underwater: bool,
    max_drawdown: f64,
    max_drawdown_ms: i64,
    trades: TradeTally,
}

/// The trade side of [`StatsAccumulator`]: counts and sums over closed trades.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TradeTally {
    trades: usize,
    wins: usize,
    losses: usize,
    gross_profit: f64,
    gross_loss: f64,
    fees: f64,
    notional: f64,
}

impl TradeTally {
    /// Adds a closed trade.
    #[inline]
    pub fn push(&mut self, trade: &Trade) {
        let exit = if trade.exit_reason == ExitReason::EndOfData {
            0.0
        } else {
            trade.exit_price
        };
        self.push_values(
            trade.pnl,
            trade.fees,
            trade.quantity * trade.entry_price + trade.quantity * exit,
        );
    }

    /// Adds a closed trade given by its P&L, its fees and the notional of its fills
    /// (`quantity · entry price + quantity · exit price`, the exit counted only when it is
    /// a fill).
    #[inline]
    pub fn push_values(&mut self, pnl: f64, fees: f64, notional: f64) {
        self.trades += 1;
        if pnl > 0.0 {
            self.wins += 1;
            self.gross_profit += pnl;
        } else if pnl < 0.0 {
            self.losses += 1;
            self.gross_loss += pnl;
        }
        self.fees += fees;
        self.notional += notional;
    }
}

impl StatsAccumulator {
    /// An accumulator for a run starting with `initial_equity` at `start_ms` (the first
    /// bar's open time), on bars of `interval_ms`.
    #[must_use]
    pub fn new(initial_equity: f64, start_ms: i64, interval_ms: i64) -> Self {
        Self {
            initial: initial_equity,
            start_ms,
            interval_ms,
            bars: 0,
            previous: initial_equity,
            last_ms: start_ms,
            sum_return: 0.0,
            sum_return_sq: 0.0,
            sum_downside_sq: 0.0,
            sum_equity: 0.0,
            flat_run: 0,
            exposed_bars: 0,
            peak: initial_equity,
            peak_ms: start_ms,
            trough: initial_equity,
            underwater: false,
            max_drawdown: 0.0,
            max_drawdown_ms: 0,
            trades: TradeTally::default(),
        }
    }

    /// Adds a bar: its open time `ts`, the equity at its close and whether a position was
    /// held at its close.
    #[inline]
    pub fn push_bar(&mut self, ts: i64, equity: f64, exposed: bool) {
        if !exposed && equity.to_bits() == self.previous.to_bits() {
            self.push_flat_bars(1, ts);
            return;
        }
        self.flush_flat_run();
        let close_ms = ts + self.interval_ms;
        let r = if self.previous > 0.0 {
            equity / self.previous - 1.0
        } else {
            0.0
        };
        self.bars += 1;
        self.sum_return += r;
        self.sum_return_sq += r * r;
        let down = r.min(0.0);
        self.sum_downside_sq += down * down;
        self.sum_equity += equity;
        self.exposed_bars += usize::from(exposed);
        if equity >= self.peak {
            if self.underwater {
                self.end_drawdown(close_ms);
            }
            self.peak = equity;
            self.peak_ms = close_ms;
        } else if self.underwater {
            self.trough = self.trough.min(equity);
        } else {
            self.underwater = true;
            self.trough = equity;
        }
        self.previous = equity;
        self.last_ms = close_ms;
    }

    /// Adds the bars opening at `ts` while a position of `held` is kept with `cash`: bar
    /// `k`'s equity is `cash + held · close[k]`. The same numbers as a
    /// [`push_bar`](Self::push_bar) per bar (exposed), in one loop over registers.
    #[inline]
    pub(crate) fn push_held_bars(&mut self, ts: &[i64], close: &[f64], cash: f64, held: f64) {
        let n = ts.len().min(close.len());
        let (ts, close) = (&ts[..n], &close[..n]);
        let Some(&last_ts) = ts.last() else {
            return;
        };
        self.flush_flat_run();
        let interval = self.interval_ms;
        let mut previous = self.previous;
        let (mut sum_return, mut sum_return_sq) = (self.sum_return, self.sum_return_sq);
        let (mut sum_downside_sq, mut sum_equity) = (self.sum_downside_sq, self.sum_equity);
        let (mut peak, mut peak_ms, mut trough) = (self.peak, self.peak_ms, self.trough);
        let mut underwater = self.underwater;
        let (mut max_drawdown, mut max_drawdown_ms) = (self.max_drawdown, self.max_drawdown_ms);
        for (&t, &c) in ts.iter().zip(close) {
            let equity = cash + held * c;
            let r = if previous > 0.0 {
                equity / previous - 1.0
            } else {
                0.0
            };
            sum_return += r;
            sum_return_sq += r * r;
            let down = r.min(0.0);
            sum_downside_sq += down * down;
            sum_equity += equity;
            if equity >= peak {
                let close_ms = t + interval;
                if underwater {
                    // `end_drawdown`.
                    max_drawdown_ms = max_drawdown_ms.max(close_ms - peak_ms);
                    if peak > 0.0 {
                        max_drawdown = max_drawdown.min(trough / peak - 1.0);
                    }
                    underwater = false;
                }
                peak = equity;
                peak_ms = close_ms;
            } else if underwater {
                trough = trough.min(equity);
            } else {
                underwater = true;
                trough = equity;
            }
            previous = equity;
        }
        self.bars += n;
        self.exposed_bars += n;
        self.previous = previous;
        self.last_ms = last_ts + interval;
        (self.sum_return, self.sum_return_sq) = (sum_return, sum_return_sq);
        (self.sum_downside_sq, self.sum_equity) = (sum_downside_sq, sum_equity);
        (self.peak, self.peak_ms, self.trough) = (peak, peak_ms, trough);
        self.underwater = underwater;
        (self.max_drawdown, self.max_drawdown_ms) = (max_drawdown, max_drawdown_ms);
    }

    /// Adds `count` bars without a position whose equity equals the previous bar's (a
    /// return of exactly 0), the last of them opening at `last_ts`.
    #[inline]
    pub fn push_flat_bars(&mut self, count: usize, last_ts: i64) {
        if count == 0 {
            return;
        }
        let close_ms = last_ts + self.interval_ms;
        self.bars += count;
        self.flat_run += count;
        // At the peak (not underwater) the peak's last time moves on; below it, nothing
        // changes but the time.
        if !self.underwater {
            self.peak_ms = close_ms;
        }
        self.last_ms = close_ms;
    }

    #[inline]
    fn flush_flat_run(&mut self) {
        if self.flat_run > 0 {
            #[allow(clippy::cast_precision_loss, reason = "bar counts far below 2^53")]
            let run = self.flat_run as f64;
            self.sum_equity += run * self.previous;
            self.flat_run = 0;
        }
    }

    fn end_drawdown(&mut self, recovered_ms: i64) {
        self.max_drawdown_ms = self.max_drawdown_ms.max(recovered_ms - self.peak_ms);
        if self.peak > 0.0 {
            // Dividing by a fixed positive peak is monotonic: the trough gives the lowest
            // ratio of the stretch.
            self.max_drawdown = self.max_drawdown.min(self.trough / self.peak - 1.0);
        }
        self.underwater = false;
    }

    /// Adds a closed trade.
    #[inline]
    pub fn push_trade(&mut self, trade: &Trade) {
        self.trades.push(trade);
    }

    /// Adds the trades tallied elsewhere (the simulator tallies them beside its bar loop).
    pub fn set_trades(&mut self, tally: TradeTally) {
        self.trades = tally;
    }

    /// The statistics of everything pushed.
    #[must_use]
    #[allow(clippy::cast_precision_loss, reason = "counts far below 2^53")]
    pub fn finish(&self) -> Stats {
        let mut acc = self.clone();
        acc.flush_flat_run();
        if acc.underwater {
            acc.end_drawdown(acc.last_ms);
        }
        let n = acc.bars as f64;
        let ppy = periods_per_year(acc.interval_ms);
        let growth = if acc.initial > 0.0 {
            acc.previous / acc.initial
        } else {
            0.0
        };
        let total_return = if acc.initial > 0.0 { growth - 1.0 } else { 0.0 };
        let years = (acc.last_ms - acc.start_ms) as f64 / YEAR_MS;
        let cagr = if growth <= 0.0 || acc.bars == 0 {
            -1.0
        } else if years > 0.0 {
            growth.powf(1.0 / years) - 1.0
        } else {
            0.0
        };
        let (sharpe, sortino) = if acc.bars == 0 {
            (0.0, 0.0)
        } else {
            let mean = acc.sum_return / n;
            let var = if acc.bars > 1 {
                ((acc.sum_return_sq - acc.sum_return * mean) / (n - 1.0)).max(0.0)
            } else {
                0.0
            };
            let downside = (acc.sum_downside_sq / n).sqrt();
            (
                ratio(mean * ppy.sqrt(), var.sqrt()),
                ratio(mean * ppy.sqrt(), downside),
            )
        };
        let t = &acc.trades;
        let trades = t.trades as f64;
        let profit_factor = if t.gross_profit <= 0.0 {
            0.0
        } else if t.gross_loss < 0.0 {
            t.gross_profit / -t.gross_loss
        } else {
            f64::INFINITY
        };
        let mean_equity = if acc.bars == 0 {
            0.0
        } else {
            acc.sum_equity / n
        };
        Stats {
            total_return,
            cagr,
            sharpe,
            sortino,
            calmar: ratio(cagr, acc.max_drawdown.abs()),
            max_drawdown: acc.max_drawdown,
            max_drawdown_duration_ms: acc.max_drawdown_ms,
            win_rate: ratio(t.wins as f64, trades),
            profit_factor,
            expectancy: ratio(t.gross_profit + t.gross_loss, trades),
            avg_win: ratio(t.gross_profit, t.wins as f64),
            avg_loss: ratio(t.gross_loss, t.losses as f64),
            exposure: ratio(acc.exposed_bars as f64, n),
            trades: t.trades,
            fees: t.fees,
            turnover: ratio(t.notional, mean_equity),
        }
    }
}

/// `num / den`, or 0 when `den` is 0 (or the quotient is NaN).
fn ratio(num: f64, den: f64) -> f64 {
    if den == 0.0 {
        return 0.0;
    }
    let q = num / den;
    if q.is_nan() { 0.0 } else { q }
}

/// The statistics of a stored run: `trades`, the `equity` curve, the `initial_equity`
/// before the first bar and the bar interval in ms ([`bar_interval_ms`] derives it from
/// the curve's timestamps; see the module docs for the definitions).
#[must_use]
pub fn compute(
    trades: &[Trade],
    equity: &EquityCurve,
    initial_equity: f64,
    interval_ms: i64,
) -> Stats {
    let start = equity.ts.first().copied().unwrap_or(0);
    let mut acc = StatsAccumulator::new(initial_equity, start, interval_ms);
    for (i, (&ts, &e)) in equity.ts.iter().zip(&equity.equity).enumerate() {
        let exposed = equity.exposure.get(i).is_some_and(|&x| x > 0.0);
        acc.push_bar(ts, e, exposed);
    }
    for trade in trades {
        acc.push_trade(trade);
    }
    acc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use vela_core::types::Side;

    fn trade(pnl: f64, reason: ExitReason) -> Trade {
        Trade {
            symbol: "BTCUSDT".into(),
            side: Side::Buy,
            entry_bar: 0,
            entry_ts: 0,
            entry_price: 100.0,
            exit_bar: 1,
            exit_ts: 60_000,
            exit_price: 100.0 + pnl,
            quantity: 1.0,
            fees: 0.5,
            pnl,
            exit_reason: reason,
        }
    }

    fn curve(equity: &[f64], exposure: &[f64]) -> EquityCurve {
        EquityCurve {
            ts: (0..equity.len() as i64).map(|i| i * 60_000).collect(),
            equity: equity.to_vec(),
            exposure: exposure.to_vec(),
        }
    }

    #[test]
    fn hand_computed_curve() {
        // C = 100, E = 110, 99, 99, 121. Returns 0.1, -0.1, 0, 2/9.
        let s = compute(
            &[],
            &curve(&[110.0, 99.0, 99.0, 121.0], &[1.0, 1.0, 0.0, 1.0]),
            100.0,
            60_000,
        );
        assert!((s.total_return - 0.21).abs() < 1e-15);
        let r = [0.1, -0.1, 0.0, 2.0 / 9.0];
        let mean = r.iter().sum::<f64>() / 4.0;
        let var = r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 3.0;
        let ppy = 525_600.0_f64;
        assert!((s.sharpe - mean / var.sqrt() * ppy.sqrt()).abs() < 1e-9 * s.sharpe.abs());
        let dd = (0.01_f64 / 4.0).sqrt();
        assert!((s.sortino - mean / dd * ppy.sqrt()).abs() < 1e-9 * s.sortino.abs());
        // Peak 110 at bar 0's close (60 000), 99 is -10 %, recovered at bar 3's close.
        assert!((s.max_drawdown + 0.1).abs() < 1e-15);
        assert_eq!(s.max_drawdown_duration_ms, 4 * 60_000 - 60_000);
        assert_eq!(s.exposure, 0.75);
        // 4 minutes of a year.
        let years = 4.0 * 60_000.0 / YEAR_MS;
        assert!(
            (s.cagr - (1.21_f64.powf(1.0 / years) - 1.0)).abs() <= 1e-12 * s.cagr.abs()
                || s.cagr.is_infinite()
        );
        assert_eq!(s.trades, 0);
        assert_eq!((s.win_rate, s.profit_factor, s.expectancy), (0.0, 0.0, 0.0));
    }

    #[test]
    fn drawdown_to_the_end_counts_to_the_last_point() {
        let s = compute(&[], &curve(&[100.0, 90.0, 95.0], &[1.0; 3]), 100.0, 60_000);
        // The last point at the peak is bar 0's close (60 000); the end is 180 000.
        assert_eq!(s.max_drawdown_duration_ms, 120_000);
        assert!((s.max_drawdown + 0.1).abs() < 1e-15);
        // A loss on the first bar is a drawdown from the initial equity (at t_0 = 0).
        let s = compute(&[], &curve(&[99.0, 100.0], &[1.0; 2]), 100.0, 60_000);
        assert_eq!(s.max_drawdown_duration_ms, 120_000);
    }

    #[test]
    fn flat_equity_is_no_drawdown_and_no_nan() {
        let s = compute(&[], &curve(&[100.0; 5], &[0.0; 5]), 100.0, 60_000);
        assert_eq!(
            s,
            Stats {
                cagr: 0.0,
                ..Stats::default()
            }
        );
        let s = compute(&[], &EquityCurve::default(), 100.0, 60_000);
        assert!(!s.sharpe.is_nan() && !s.cagr.is_nan() && !s.turnover.is_nan());
    }

    #[test]
    fn trade_statistics_and_their_edge_cases() {
        let trades = [
            trade(10.0, ExitReason::Signal),
            trade(-4.0, ExitReason::StopLoss),
            trade(0.0, ExitReason::Signal),
            trade(6.0, ExitReason::EndOfData),
        ];
        let s = compute(&trades, &curve(&[100.0, 112.0], &[0.0, 1.0]), 100.0, 60_000);
        assert_eq!(s.trades, 4);
        assert_eq!(s.win_rate, 0.5);
        assert_eq!(s.profit_factor, 4.0);
        assert_eq!(s.expectancy, 3.0);
        assert_eq!(s.avg_win, 8.0);
        assert_eq!(s.avg_loss, -4.0);
        assert_eq!(s.fees, 2.0);
        // Notional: 110+100 + 96+100 + 100+100 + 100 (end of data: entry only) = 706.
        assert!((s.turnover - 706.0 / 106.0).abs() < 1e-12);
        let only_wins = compute(&trades[..1], &curve(&[110.0], &[0.0]), 100.0, 60_000);
        assert_eq!(only_wins.profit_factor, f64::INFINITY);
        assert_eq!(only_wins.avg_loss, 0.0);
        let only_losses = compute(&trades[1..2], &curve(&[96.0], &[0.0]), 100.0, 60_000);
        assert_eq!(only_losses.profit_factor, 0.0);
        assert_eq!(only_losses.win_rate, 0.0);
        assert_eq!(only_losses.avg_win, 0.0);
    }

    #[test]
    fn held_stretches_give_the_bar_by_bar_numbers() {
        // Stretches of a held position (rises, drawdowns, recoveries, new peaks) between
        // flat bars, pushed in one step and bar by bar.
        let mut state = 3_u64;
        let mut close = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            100.0 + (state >> 11) as f64 / (1_u64 << 53) as f64 * 20.0 - 10.0
        };
        let (mut one, mut each) = (
            StatsAccumulator::new(1_000.0, 0, 60_000),
            StatsAccumulator::new(1_000.0, 0, 60_000),
        );
        let mut ts = 0_i64;
        for stretch in 0..50_usize {
            let (cash, held) = (1_000.0 - 9.0 * stretch as f64, 0.5 + stretch as f64 * 0.01);
            let len = 1 + stretch * 7 % 40;
            let times: Vec<i64> = (0..len as i64).map(|k| ts + k * 60_000).collect();
            let closes: Vec<f64> = (0..len).map(|_| close()).collect();
            one.push_held_bars(&times, &closes, cash, held);
            for (&t, &c) in times.iter().zip(&closes) {
                each.push_bar(t, cash + held * c, true);
            }
            ts += len as i64 * 60_000;
            one.push_flat_bars(3, ts + 2 * 60_000);
            each.push_flat_bars(3, ts + 2 * 60_000);
            ts += 3 * 60_000;
        }
        assert_eq!(
            format!("{:?}", one.finish()),
            format!("{:?}", each.finish())
        );
        assert_eq!(format!("{one:?}"), format!("{each:?}"));
    }

    #[test]
    fn ruin_is_minus_one_not_nan() {
        let s = compute(
            &[],
            &curve(&[50.0, 0.0, 0.0], &[1.0, 0.0, 0.0]),
            100.0,
            60_000,
        );
        assert_eq!(s.cagr, -1.0);
        assert_eq!(s.max_drawdown, -1.0);
        assert!(!s.sharpe.is_nan() && !s.sortino.is_nan());
    }

    #[test]
    fn interval_is_the_smallest_step() {
        assert_eq!(
            bar_interval_ms(&[0, 60_000, 180_000, 240_000]),
            Some(60_000)
        );
        assert_eq!(bar_interval_ms(&[5]), None);
        assert_eq!(bar_interval_ms(&[5, 5]), None);
    }

    #[test]
    fn periods_per_year_of_common_intervals() {
        assert_eq!(periods_per_year(60_000), 525_600.0);
        assert_eq!(periods_per_year(86_400_000), 365.0);
        assert_eq!(periods_per_year(0), 0.0);
    }
}
