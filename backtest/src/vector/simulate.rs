//! The simulation loop: one pass over the bars, no allocation per bar.

use vela_core::money::rounding::to_f64;

use super::book::{At, Book};
use super::config::{FillTiming, Sizing, TakeProfitFill, VectorConfig};
use super::decide::{Decide, FromExposure, FromSignalBits, FromSignals, Order};
use super::error::VectorError;
use super::input::{Market, Orders};
use super::precision::Grid;
use super::sizing::{Rebalance, Refusal, Refusals, Rules, entry_budget, rebalance};
use super::stops::StopState;
use crate::result::{EquityCurve, ExitReason, RunResult};
use crate::stats::StatsAccumulator;

/// The output of a vectorised run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VectorRun {
    /// Trades (empty unless recorded), equity curve (empty unless recorded), statistics.
    pub result: RunResult,
    /// Orders not sent because of the instrument's minimums or missing cash.
    pub refused: Refusals,
    /// Cash after the last bar, quote asset.
    pub final_cash: f64,
    /// Position after the last bar, base asset (valued, not sold, at the end).
    pub final_quantity: f64,
}

/// A validated configuration, ready to run many times (a sweep builds one per setting of
/// the costs and reuses it across signal columns).
#[derive(Debug, Clone)]
pub struct Simulator {
    config: VectorConfig,
    rules: Rules,
    slippage: f64,
}

impl Simulator {
    /// Validates `config`.
    pub fn new(config: VectorConfig) -> Result<Self, VectorError> {
        config.validate()?;
        let instrument = &config.instrument;
        let rules = Rules {
            grid: Grid::new(instrument.price_precision, instrument.quantity_precision),
            min_quantity: to_f64(instrument.min_quantity),
            min_notional: to_f64(instrument.min_notional),
        };
        let slippage = config.slippage_bps / 10_000.0;
        Ok(Self {
            config,
            rules,
            slippage,
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &VectorConfig {
        &self.config
    }

    /// Runs `orders` over `market`.
    pub fn run(&self, market: &Market<'_>, orders: Orders<'_>) -> Result<VectorRun, VectorError> {
        let mut out = VectorRun::default();
        self.run_into(market, orders, &mut out)?;
        Ok(out)
    }

    /// Runs `orders` over `market` into `out`, reusing its buffers (trade list, equity
    /// curve): repeated runs then allocate nothing, not even the curve. `out` is fully
    /// overwritten; on an error it is left unchanged.
    pub fn run_into(
        &self,
        market: &Market<'_>,
        orders: Orders<'_>,
        out: &mut VectorRun,
    ) -> Result<(), VectorError> {
        orders.check(market.len())?;
        match orders {
            Orders::Signals { entries, exits } => {
                self.run_with(
                    market,
                    FromSignals {
                        entries,
                        exits,
                        offset: 0,
                    },
                    out,
                );
            }
            Orders::Exposure(targets) => {
                if self.config.stops.any() {
                    return Err(VectorError::Combination {
                        combination: "exposure column + stops",
                        reason: "after a stop the target column would buy straight back; \
                                 stops need entry/exit signals",
                    });
                }
                if self.config.sizing != Sizing::AllIn {
                    return Err(VectorError::Combination {
                        combination: "exposure column + sizing",
                        reason: "the exposure column sets the position size; sizing applies \
                                 to entry signals only",
                    });
                }
                self.run_with(market, FromExposure { targets, last: 0.0 }, out);
            }
        }
        Ok(())
    }

    fn run_with<D: Decide>(&self, market: &Market<'_>, mut decide: D, out: &mut VectorRun) {
        let mut pass = self.begin(market, out);
        self.advance(market, &mut decide, &mut pass, market.len());
        self.end(market, pass, out);
    }

    /// Starts a run over `market`, taking `out`'s buffers for the trade list and the curve.
    pub(crate) fn begin(&self, market: &Market<'_>, out: &mut VectorRun) -> Pass<'_> {
        let config = &self.config;
        let record = config.record;
        let n = market.len();
        let book = Book::new(
            config.initial_cash,
            self.rules,
            StopState::new(&config.stops, config.instrument.price_precision),
            config.instrument.symbol.as_str(),
            record.trades.then(|| {
                let mut trades = std::mem::take(&mut out.result.trades);
                trades.clear();
                trades
            }),
        );
        let stats = StatsAccumulator::new(
            config.initial_cash,
            market.bars().ts[0],
            market.interval_ms(),
        );
        let curve = &mut out.result.equity;
        let (mut equity, mut exposure) = (
            std::mem::take(&mut curve.equity),
            std::mem::take(&mut curve.exposure),
        );
        let mut curve_ts = std::mem::take(&mut curve.ts);
        for column in [&mut equity, &mut exposure] {
            column.clear();
            if record.equity {
                column.reserve(n);
            }
        }
        curve_ts.clear();
        Pass {
            book,
            stats,
            pending: None,
            next_bar: 0,
            equity,
            exposure,
            curve_ts,
        }
    }

    /// Runs the bars of `pass` from its next bar up to (not including) bar `until`, with
    /// the orders of `decide` (which must cover those bars).
    pub(crate) fn advance<D: Decide>(
        &self,
        market: &Market<'_>,
        decide: &mut D,
        pass: &mut Pass<'_>,
        until: usize,
    ) {
        let bars = market.bars();
        let (ts, open, high, low, close) = (bars.ts, bars.open, bars.high, bars.low, bars.close);
        let n = market.len();
        let until = until.min(n);
        let interval = market.interval_ms();
        let next_open = self.config.fill == FillTiming::NextOpen;
        let record = self.config.record;
        let Pass {
            book,
            stats: pass_stats,
            pending: pass_pending,
            next_bar,
            equity,
            exposure,
            ..
        } = pass;
        // Kept in locals so that they live in registers across the loop.
        let mut stats = pass_stats.clone();
        let mut pending = pass_pending.take();
        let stops_active = book.stops.active();
        let mut i = *next_bar;
        while i < until {
            if pending.is_none() && book.held == 0.0 {
                // Flat with nothing to fill: every bar up to the next possible order has the
                // same equity.
                let next = decide.next_when_flat(i);
                if next > i && next < until {
                    // The bars after a skip are far away in memory: ask for the values the
                    // next bars need all at once, so their cache misses overlap instead of
                    // coming one after another.
                    let k = (next + 1).min(n - 1);
                    std::hint::black_box((ts[next], open[k], close[k], close[next]));
                    if stops_active {
                        std::hint::black_box((high[k], low[k]));
                    }
                }
                if next > i {
                    stats.push_flat_bars(next - i, ts[next - 1]);
                    if record.equity {
                        equity.resize(next, book.cash);
                        exposure.resize(next, 0.0);
                    }
                    i = next;
                    if i == until {
                        break;
                    }
                }
            } else if pending.is_none() && !stops_active && book.held > 0.0 {
                // Held with nothing to fill and no stops: up to the next possible order the
                // bars only mark the position to the close.
                let next = decide.next_when_long(i);
                if next > i {
                    let (cash, held) = (book.cash, book.held);
                    stats.push_held_bars(&ts[i..next], &close[i..next], cash, held);
                    if record.equity {
                        mark_to_close(&close[i..next], cash, held, equity, exposure);
                    }
                    i = next;
                    if i == until {
                        break;
                    }
                }
            }
            let mut filled = false;
            if let Some((order, reference)) = pending.take() {
                let at = At { bar: i, ts: ts[i] };
                self.execute(book, order, open[i], reference, at, i);
                filled = true;
            }
            if stops_active
                && book.held > 0.0
                && i >= book.armed_from
                && let Some(hit) = book.stops.check(open[i], high[i], low[i])
            {
                self.stop_exit(book, hit.price, hit.reason, At { bar: i, ts: ts[i] });
                filled = true;
            }
            if let Some(order) = decide.decide(i, book.held > 0.0) {
                if next_open {
                    if i + 1 < n {
                        pending = Some((order, close[i]));
                    }
                } else {
                    let at = At {
                        bar: i,
                        ts: ts[i] + interval,
                    };
                    self.execute(book, order, close[i], close[i], at, i + 1);
                    filled = true;
                }
            }
            if book.held > 0.0 || filled {
                let value = book.held * close[i];
                let e = book.cash + value;
                stats.push_bar(ts[i], e, book.held > 0.0);
                if record.equity {
                    equity.push(e);
                    exposure.push(if e > 0.0 { value / e } else { 0.0 });
                }
            } else {
                stats.push_flat_bars(1, ts[i]);
                if record.equity {
                    equity.push(book.cash);
                    exposure.push(0.0);
                }
            }
            i += 1;
        }
        *next_bar = i;
        *pass_stats = stats;
        *pass_pending = pending;
    }

    /// Runs bars `offset .. offset + len` of `pass` (which must be at bar `offset`) with
    /// those bars' entry and exit signals as bits (bar `offset + k` is bit `k % 64` of
    /// word `k / 64`; the words cover `len` bits and the bits past it are 0).
    pub(crate) fn advance_signal_bits(
        &self,
        market: &Market<'_>,
        pass: &mut Pass<'_>,
        entries: &[u64],
        exits: &[u64],
        offset: usize,
        len: usize,
    ) {
        debug_assert_eq!(pass.next_bar, offset);
        let len = len.min(entries.len() * 64).min(exits.len() * 64);
        let mut decide = FromSignalBits {
            entries,
            exits,
            offset,
            len,
        };
        self.advance(market, &mut decide, pass, offset + len);
    }

    /// Finishes `pass` (which must have run every bar of `market`) into `out`: values a
    /// position still open at the last close and computes the statistics.
    pub(crate) fn end(&self, market: &Market<'_>, pass: Pass<'_>, out: &mut VectorRun) {
        let bars = market.bars();
        let (ts, close) = (bars.ts, bars.close);
        let last = market.len() - 1;
        let Pass {
            mut book,
            mut stats,
            equity,
            exposure,
            mut curve_ts,
            ..
        } = pass;
        book.close_at_end(
            close[last],
            At {
                bar: last,
                ts: ts[last] + market.interval_ms(),
            },
        );
        stats.set_trades(book.tally);
        let stats = stats.finish();
        if self.config.record.equity {
            curve_ts.extend_from_slice(ts);
        }
        *out = VectorRun {
            result: RunResult {
                trades: book.trades.unwrap_or_default(),
                equity: EquityCurve {
                    ts: curve_ts,
                    equity,
                    exposure,
                },
                stats,
            },
            refused: book.refused,
            final_cash: book.cash,
            final_quantity: book.held,
        };
    }

    /// Carries out a signal order at market price `raw` (an open or a close), decided on
    /// a bar that closed at `reference` (the engine's risk gate checks the minimums at
    /// that last price). A new position's stops are checked from bar `arm_from` on.
    #[inline(never)]
    fn execute(
        &self,
        book: &mut Book<'_>,
        order: Order,
        raw: f64,
        reference: f64,
        at: At,
        arm_from: usize,
    ) {
        let taker = self.config.fees.taker;
        let buy_price = || self.rules.grid.price(raw * (1.0 + self.slippage));
        let sell_price = || self.rules.grid.price(raw * (1.0 - self.slippage));
        let result = match order {
            Order::Enter if book.held > 0.0 => Ok(()),
            Order::Enter => entry_budget(self.config.sizing, book.cash)
                .and_then(|budget| self.buy(book, budget, buy_price(), reference, taker, at))
                .map(|()| book.armed_from = arm_from),
            Order::Exit if book.held > 0.0 => {
                let held = book.held;
                self.sell(
                    book,
                    held,
                    sell_price(),
                    reference,
                    taker,
                    at,
                    ExitReason::Signal,
                )
            }
            Order::Exit => Ok(()),
            Order::Target(target) => {
                match rebalance(target, &self.rules, book.cash, book.held, raw) {
                    Rebalance::Hold => Ok(()),
                    Rebalance::SellAll => {
                        let held = book.held;
                        self.sell(
                            book,
                            held,
                            sell_price(),
                            reference,
                            taker,
                            at,
                            ExitReason::Signal,
                        )
                    }
                    Rebalance::Sell(quantity) => self.sell(
                        book,
                        quantity,
                        sell_price(),
                        reference,
                        taker,
                        at,
                        ExitReason::Signal,
                    ),
                    Rebalance::Buy(budget) => {
                        self.buy(book, budget, buy_price(), reference, taker, at)
                    }
                }
            }
        };
        if let Err(refusal) = result {
            book.refuse(refusal);
        }
    }

    /// A market buy spending `budget` (fee included) at `price`, sized as the engine sizes
    /// it (a quote amount, checked at `reference`) and filled as the exchange fills it
    /// (the whole quantity steps the amount pays for).
    fn buy(
        &self,
        book: &mut Book<'_>,
        budget: f64,
        price: f64,
        reference: f64,
        fee: f64,
        at: At,
    ) -> Result<(), Refusal> {
        if price <= 0.0 {
            return Err(Refusal::ZeroPrice);
        }
        let amount = self.rules.buy_amount(budget, fee);
        self.rules.check_buy(amount, reference)?;
        let quantity = self.rules.quantity_for(amount, price);
        if quantity <= 0.0 {
            return Err(Refusal::MinQuantity);
        }
        book.buy(quantity, price, fee, at);
        Ok(())
    }

    /// Sells `quantity` at `price`, checked against the minimums at `reference`.
    #[allow(
        clippy::too_many_arguments,
        reason = "private; every value is distinct and named at the call sites"
    )]
    fn sell(
        &self,
        book: &mut Book<'_>,
        quantity: f64,
        price: f64,
        reference: f64,
        fee: f64,
        at: At,
        reason: ExitReason,
    ) -> Result<(), Refusal> {
        if price <= 0.0 {
            return Err(Refusal::ZeroPrice);
        }
        self.rules.check(quantity, reference)?;
        book.sell(quantity, price, fee, at, reason);
        Ok(())
    }

    /// Sells the position for a stop at `level` (before slippage).
    #[inline(never)]
    fn stop_exit(&self, book: &mut Book<'_>, level: f64, reason: ExitReason, at: At) {
        let limit = reason == ExitReason::TakeProfit
            && self.config.stops.take_profit_fill == TakeProfitFill::Limit;
        let (price, fee) = if limit {
            (self.rules.grid.price(level), self.config.fees.maker)
        } else {
            (
                self.rules.grid.price(level * (1.0 - self.slippage)),
                self.config.fees.taker,
            )
        };
        let held = book.held;
        // A stop has no decision bar: its minimums are checked at the fill price.
        if let Err(refusal) = self.sell(book, held, price, price, fee, at, reason) {
            book.refuse(refusal);
        }
    }
}

/// A run in progress: the account, the streamed statistics, the curve so far and the
/// order waiting for the next open ([`Simulator::begin`], [`Simulator::advance`],
/// [`Simulator::end`]). A sweep keeps one per combination and advances them all a block
/// of bars at a time.
#[derive(Debug)]
pub(crate) struct Pass<'s> {
    book: Book<'s>,
    stats: StatsAccumulator,
    /// The order waiting for the next open, with the close its decision saw.
    pending: Option<(Order, f64)>,
    /// The first bar not yet run.
    next_bar: usize,
    equity: Vec<f64>,
    exposure: Vec<f64>,
    curve_ts: Vec<i64>,
}

/// Appends the equity and exposure of bars holding `held` with `cash` at the closes
/// `close` (the numbers of the bar-by-bar loop).
fn mark_to_close(
    close: &[f64],
    cash: f64,
    held: f64,
    equity: &mut Vec<f64>,
    exposure: &mut Vec<f64>,
) {
    equity.extend(close.iter().map(|&c| cash + held * c));
    exposure.extend(close.iter().map(|&c| {
        let value = held * c;
        let e = cash + value;
        if e > 0.0 { value / e } else { 0.0 }
    }));
}

/// Runs `orders` over `market` with `config` (validating both).
pub fn simulate(
    config: &VectorConfig,
    market: &Market<'_>,
    orders: Orders<'_>,
) -> Result<VectorRun, VectorError> {
    Simulator::new(config.clone())?.run(market, orders)
}
