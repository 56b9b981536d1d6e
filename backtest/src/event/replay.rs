//! The replay loop: bars → simulated exchange → engine → commands → exchange → ...

use std::collections::{BTreeMap, VecDeque};

use vela_core::engine::{AlertCode, Command, Control, Engine, Event, OrderReport};
use vela_core::sim::SimExchange;
use vela_core::types::{Bar, ClientOrderId, MarketData, Side, Symbol, Timestamp};

use super::trades::TradeBook;
use super::{EventError, EventRun, FillRecord, History, OrderCounts, PROGRESS_EVERY};
use crate::result::{EquityCurve, ExitReason, RunResult};

/// Cash and profit reserve as `Decimal::serialize` bytes (value and scale).
type Capital = ([u8; 16], [u8; 16]);

/// One run in progress.
pub(crate) struct Replay {
    engine: Engine,
    sim: SimExchange,
    timers: bool,
    queue: VecDeque<Event>,
    commands: Vec<Command>,
    reports: Vec<OrderReport>,
    /// The exchange's reports on one command (a buffer reused across commands).
    command_reports: Vec<OrderReport>,
    trades: TradeBook,
    fills: Vec<FillRecord>,
    counts: OrderCounts,
    /// The protection whose alert came just before the next sell, if any.
    protective: Option<ExitReason>,
    exit_reasons: BTreeMap<ClientOrderId, ExitReason>,
    /// The last close per symbol (in `History::symbols` order), as `last` has it once
    /// `sync_last` ran: the trade book reads `last` at fills only, so it is brought up to
    /// date then rather than on every bar.
    closes: Vec<Option<f64>>,
    symbols: Vec<Symbol>,
    last: BTreeMap<Symbol, f64>,
    bar: usize,
    /// When the fills being reported happen: the bar's open while the exchange fills the
    /// orders working against the new bar, its close once the bar has completed.
    fill_ts: i64,
    /// The last flat curve point, the number of fills seen when it was computed, and the
    /// cash and profit reserve it was computed from (`Decimal::serialize` form).
    flat_point: Option<(usize, (f64, f64), Capital)>,
    /// Whether nothing was held, and the number of fills seen when that was looked at.
    flat: Option<(usize, bool)>,
}

impl Replay {
    pub(crate) fn new(engine: Engine, sim: SimExchange, timers: bool) -> Self {
        let config = engine.config();
        let budget = config.instruments[0].quote.clone();
        let trades = TradeBook::new(budget, &config.instruments);
        Self {
            engine,
            sim,
            timers,
            queue: VecDeque::new(),
            commands: Vec::new(),
            reports: Vec::new(),
            command_reports: Vec::new(),
            trades,
            fills: Vec::new(),
            counts: OrderCounts::default(),
            protective: None,
            exit_reasons: BTreeMap::new(),
            closes: Vec::new(),
            symbols: Vec::new(),
            last: BTreeMap::new(),
            bar: 0,
            fill_ts: 0,
            flat_point: None,
            flat: None,
        }
    }

    /// Replays every bar of `history`, telling `progress` how far it got every
    /// [`PROGRESS_EVERY`] bars and at the end.
    pub(crate) fn run(
        mut self,
        history: &History<'_>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<EventRun, EventError> {
        let n = history.len();
        let symbols = history.symbols();
        // Each symbol's bars, looked up once (not per bar).
        let series: Vec<&[Bar]> = (0..symbols.len()).map(|s| history.bars(s)).collect();
        // The bar length: the smallest step between bars (gaps only make steps larger).
        let interval = history
            .bars(0)
            .windows(2)
            .map(|w| w[1].ts.0 - w[0].ts.0)
            .min()
            .unwrap_or(0);
        self.symbols = symbols.to_vec();
        self.closes = vec![None; symbols.len()];
        let start = history.bars(0)[0].ts;
        self.deliver(&Event::control(start, Control::Start))?;
        // One bar event per symbol, refilled in place (no symbol copy per bar).
        let mut bar_events: Vec<Event> = symbols
            .iter()
            .enumerate()
            .map(|(s, symbol)| Event::bar(symbol.clone(), history.bars(s)[0]))
            .collect();
        let mut curve = EquityCurve {
            ts: Vec::with_capacity(n),
            equity: Vec::with_capacity(n),
            exposure: Vec::with_capacity(n),
        };
        for i in 0..n {
            self.bar = i;
            let ts = series[0][i].ts;
            self.fill_ts = ts.0;
            self.reports.clear();
            for (symbol, bars) in symbols.iter().zip(&series) {
                self.sim.on_bar(symbol, &bars[i], &mut self.reports)?;
            }
            if !self.reports.is_empty() {
                let mut reports = std::mem::take(&mut self.reports);
                for report in reports.drain(..) {
                    self.deliver(&Event::Order(report))?;
                }
                self.reports = reports;
            }
            self.fill_ts = ts.0 + interval;
            for (s, event) in bar_events.iter_mut().enumerate() {
                let bar = series[s][i];
                self.closes[s] = Some(bar.close);
                if let Event::Market(MarketData::Bar { bar: slot, .. }) = event {
                    *slot = bar;
                }
                self.deliver(event)?;
            }
            if self.timers {
                self.deliver(&Event::Timer { ts })?;
            }
            let (equity, exposure) = self.curve_point();
            curve.ts.push(ts.0);
            curve.equity.push(equity);
            curve.exposure.push(exposure);
            if (i + 1) % PROGRESS_EVERY == 0 {
                progress(i + 1, n);
            }
        }
        progress(n, n);
        sync_last(&self.symbols, &self.closes, &mut self.last);
        // Positions still open are valued at the last close.
        let last_close = history.bars(0)[n - 1].ts.0 + interval;
        let trades = self.trades.finish(n - 1, last_close, &self.last);
        Ok(EventRun {
            result: RunResult {
                trades,
                equity: curve,
                stats: crate::result::Stats::default(),
            },
            fills: self.fills,
            counts: self.counts,
            final_equity: self.engine.equity(),
            wallet: self.engine.wallet().clone(),
            open_orders: self.sim.open_orders().count(),
            unknown_cancels: self.sim.unknown_cancels(),
        })
    }

    /// Equity and exposure at the last closes, from the engine's decimal equity.
    ///
    /// While nothing is held the equity is the capital alone, whatever the prices (see
    /// [`Engine::equity`]), so the point of the last flat bar is reused as long as the cash
    /// and the profit reserve are the same decimals (value and scale): the very numbers
    /// computing it again would give. They change only when a fill is booked, so the
    /// number of fills seen tells when to compute the point again (debug builds check the
    /// decimals and the point itself).
    fn curve_point(&mut self) -> (f64, f64) {
        let key = self.counts.fills;
        let wallet = self.engine.wallet();
        // Whether nothing is held changes only with a fill too.
        let flat = match self.flat {
            Some((seen, flat)) if seen == key => flat,
            _ => {
                let flat = wallet
                    .positions()
                    .values()
                    .all(|p| p.is_flat() && p.lots().is_empty());
                self.flat = Some((key, flat));
                flat
            }
        };
        debug_assert_eq!(
            flat,
            wallet
                .positions()
                .values()
                .all(|p| p.is_flat() && p.lots().is_empty()),
            "holdings changed without a fill"
        );
        if !flat {
            return self.fresh_point();
        }
        if let Some((cached, point, capital)) = self.flat_point
            && cached == key
        {
            debug_assert_eq!(
                capital,
                (
                    wallet.cash().serialize(),
                    wallet.profit_reserve().serialize()
                ),
                "capital changed without a fill"
            );
            debug_assert_eq!(
                (point.0.to_bits(), point.1.to_bits()),
                {
                    let fresh = self.fresh_point();
                    (fresh.0.to_bits(), fresh.1.to_bits())
                },
                "flat curve point out of date"
            );
            return point;
        }
        let capital = (
            wallet.cash().serialize(),
            wallet.profit_reserve().serialize(),
        );
        let point = self.fresh_point();
        self.flat_point = Some((key, point, capital));
        point
    }

    /// Equity and exposure at the last closes, in `f64` (the curve is analytics, DESIGN.md
    /// §3): the engine's `f64` equity, which agrees with its decimal equity to `f64`
    /// rounding; the final equity of a run stays the decimal one.
    fn fresh_point(&self) -> (f64, f64) {
        let equity = self.engine.equity_f64();
        // `to_f64(cash + profit_reserve)`, as the engine keeps it.
        let capital = self.engine.capital_f64();
        let exposure = if equity > 0.0 {
            (equity - capital) / equity
        } else {
            0.0
        };
        (equity, exposure)
    }

    /// Hands `first` to the engine, then everything that follows from it (orders to the
    /// exchange, its reports back), until nothing is left.
    fn deliver(&mut self, first: &Event) -> Result<(), EventError> {
        self.handle(first)?;
        while let Some(event) = self.queue.pop_front() {
            self.handle(&event)?;
        }
        Ok(())
    }

    /// One event to the engine; the reports its commands cause join the queue.
    fn handle(&mut self, event: &Event) -> Result<(), EventError> {
        let ts = event.ts();
        let commands = self
            .engine
            .on_event(event)
            .map_err(|source| EventError::Engine {
                ts: ts.0,
                bar: self.bar,
                source: Box::new(source),
            })?;
        match event {
            Event::Order(OrderReport::Rejected { .. }) => self.counts.rejected += 1,
            Event::Order(OrderReport::Canceled { .. }) => self.counts.canceled += 1,
            Event::Order(OrderReport::Expired { .. }) => self.counts.expired += 1,
            _ => {}
        }
        if let Event::Order(OrderReport::Filled { fill, partial }) = event {
            sync_last(&self.symbols, &self.closes, &mut self.last);
            let reason = self
                .exit_reasons
                .get(&fill.client_id)
                .copied()
                .unwrap_or(ExitReason::Signal);
            self.trades
                .on_fill(fill, self.bar, self.fill_ts, reason, &self.last);
            self.counts.fills += 1;
            self.fills.push(FillRecord {
                bar: self.bar,
                fill: fill.clone(),
                partial: *partial,
            });
            if !*partial {
                self.exit_reasons.remove(&fill.client_id);
            }
        }
        if commands.is_empty() {
            return Ok(());
        }
        let mut buffer = std::mem::take(&mut self.commands);
        buffer.clear();
        buffer.extend_from_slice(commands);
        for command in &buffer {
            self.on_command(command, ts);
        }
        self.commands = buffer;
        Ok(())
    }

    fn on_command(&mut self, command: &Command, ts: Timestamp) {
        match command {
            Command::Submit(request) => {
                self.counts.submitted += 1;
                if let Some(reason) = self.protective.take()
                    && request.side == Side::Sell
                {
                    self.exit_reasons.insert(request.client_id.clone(), reason);
                }
                self.queue.push_back(Event::Order(OrderReport::Submitted {
                    client_id: request.client_id.clone(),
                    ts,
                }));
            }
            Command::Denied(_) => {
                self.counts.denied += 1;
                self.protective = None;
                return;
            }
            Command::Alert(alert) => {
                self.protective = match alert.code {
                    AlertCode::StopLoss => Some(ExitReason::StopLoss),
                    AlertCode::TrailingStop => Some(ExitReason::TrailingStop),
                    AlertCode::TakeProfit => Some(ExitReason::TakeProfit),
                    _ => self.protective,
                };
                return;
            }
            Command::Cancel { .. } | Command::CancelAll { .. } => {}
            Command::State(_) | Command::Rotated { .. } => return,
        }
        let mut reports = std::mem::take(&mut self.command_reports);
        self.sim.on_command(command, ts, &mut reports);
        self.queue.extend(reports.drain(..).map(Event::Order));
        self.command_reports = reports;
    }
}

/// Brings `last` up to `closes` (the last close of each of `symbols`, if any yet).
fn sync_last(symbols: &[Symbol], closes: &[Option<f64>], last: &mut BTreeMap<Symbol, f64>) {
    for (symbol, close) in symbols.iter().zip(closes) {
        if let Some(close) = *close {
            match last.get_mut(symbol) {
                Some(price) => *price = close,
                None => {
                    last.insert(symbol.clone(), close);
                }
            }
        }
    }
}
