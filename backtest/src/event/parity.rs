//! Helpers for comparing the event tier with the vectorised tier on the strategies that
//! have a vectorised form (`crossover`, `breakout`, `mean_reversion`, `volume_spike`).
//!
//! The comparison unit is the bar on which each order filled: with
//! [`FillTiming::NextOpen`] a signal at bar `i` (the registry's entry/exit columns,
//! walked long-only) fills at bar `i + 1`, with [`FillTiming::ThisClose`] at bar `i`.
//! [`parity_config`] sets an event run up the way the vectorised tier trades: one symbol,
//! all-in entries, exits of the whole position, profits compounded (the vectorised tier
//! spends all free cash), no risk-layer exits.
//!
//! **Entry quantity.** The engine sizes an all-in market buy in two roundings, and the
//! vectorised tier must do the same to get the same quantity: the risk gate sends the quote
//! amount `amount = floor(free_cash / (1 + taker_fee))` rounded down to the instrument's
//! price precision (MEXC `quoteOrderQty`), and the exchange fills
//! `floor_step(amount / fill_price)`. The one-step formula
//! `floor_step(cash / (fill_price · (1 + taker_fee)))` differs from it by one quantity step
//! on about one entry in ten (83 of 780 crossover entries on two synthetic series).

use rust_decimal::Decimal;
use vela_core::engine::{BotConfig, BotId};
use vela_core::sim::{FillTiming, SimConfig};
use vela_core::strategy::{BarSeries, Registry, StrategySpec};
use vela_core::types::{Bar, Instrument, Side};

use super::{EventConfig, EventError, EventRun, History, run};
use crate::result::{ExitReason, RunResult};

/// The built-in strategies with a vectorised form.
pub const VECTORISED: [&str; 4] = ["crossover", "breakout", "mean_reversion", "volume_spike"];

/// One round trip as parity tests compare it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TradeBars {
    /// Bar of the entry's first fill.
    pub entry_bar: usize,
    /// Bar of the exit's last fill (the last bar when still open).
    pub exit_bar: usize,
    /// Base quantity, after rounding.
    pub quantity: f64,
    /// Entry price (average, after slippage).
    pub entry_price: f64,
    /// Exit price (average, after slippage; the last close when still open).
    pub exit_price: f64,
    /// Net profit and loss.
    pub pnl: f64,
    /// Whether the position was still open at the end.
    pub end_of_data: bool,
}

/// The round trips of a run (either tier), in order.
#[must_use]
pub fn trade_bars(result: &RunResult) -> Vec<TradeBars> {
    result
        .trades
        .iter()
        .map(|t| TradeBars {
            entry_bar: t.entry_bar,
            exit_bar: t.exit_bar,
            quantity: t.quantity,
            entry_price: t.entry_price,
            exit_price: t.exit_price,
            pnl: t.pnl,
            end_of_data: t.exit_reason == ExitReason::EndOfData,
        })
        .collect()
}

/// `(bar, is_buy)` of the first fill of every order of an event run: the bars on which
/// its orders started to fill.
#[must_use]
pub fn fill_bars(run: &EventRun) -> Vec<(usize, bool)> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for record in &run.fills {
        if seen.contains(&&record.fill.client_id) {
            continue;
        }
        seen.push(&record.fill.client_id);
        out.push((record.bar, record.fill.side == Side::Buy));
    }
    out
}

/// The bars on which the vectorised form of `spec` says orders fill: its entry/exit columns
/// walked long-only, shifted by the fill timing (orders decided on the last bar never fill
/// with `NextOpen`). `Ok(None)` for a strategy without a vectorised form.
pub fn expected_fill_bars(
    registry: &Registry,
    spec: &StrategySpec,
    bars: &[Bar],
    timing: FillTiming,
) -> Result<Option<Vec<(usize, bool)>>, EventError> {
    let series = BarSeries::from_bars(bars);
    let Some(signals) = registry.signals(spec, &series.columns())? else {
        return Ok(None);
    };
    let shift = usize::from(timing == FillTiming::NextOpen);
    Ok(Some(
        signals
            .walk()
            .into_iter()
            .map(|(bar, buy)| (bar + shift, buy))
            .filter(|(bar, _)| *bar < bars.len())
            .collect(),
    ))
}

/// An event configuration that trades like the vectorised tier: `spec` on `instrument`
/// with `budget`, compounding, default risk settings, and `exchange`'s fill settings.
pub fn parity_config(
    instrument: Instrument,
    spec: StrategySpec,
    budget: Decimal,
    exchange: SimConfig,
) -> Result<EventConfig, EventError> {
    let bot_id = BotId::new("parity").map_err(|e| EventError::Bot(e.into()))?;
    let mut bot = BotConfig::new(bot_id, vec![instrument], budget, spec);
    bot.compound = true;
    Ok(EventConfig {
        bot,
        exchange,
        timers: false,
    })
}

/// Runs `spec` through the event tier in its [`parity_config`] over `bars`.
pub fn run_parity(
    registry: &Registry,
    instrument: Instrument,
    spec: StrategySpec,
    budget: Decimal,
    exchange: SimConfig,
    bars: &[Bar],
) -> Result<EventRun, EventError> {
    let history = History::single(instrument.symbol.clone(), bars)?;
    let config = parity_config(instrument, spec, budget, exchange)?;
    run(registry, &config, &history)
}
