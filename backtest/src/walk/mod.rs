//! Walk-forward analysis (DESIGN.md §6, research on top of the two tiers): optimise on an
//! in-sample window, trade the chosen parameters on the out-of-sample window right after
//! it with the event tier (the real engine), step forward, repeat.
//!
//! - Windows ([`WindowSpec`]): rolling (a fixed in-sample length sliding forward) or
//!   anchored (in-sample always from the first bar); out-of-sample windows tile the bars
//!   after the first in-sample window without overlap; bars after the last whole window
//!   are not traded ([`WalkForwardRun::unused_bars`]).
//! - In-sample: an [`Optimiser`] (a vectorised sweep, typically) picks the parameters on
//!   each window's bars. Windows are optimised in parallel (rayon), results kept in window
//!   order, so the outcome does not depend on the thread count.
//! - Out-of-sample: one event run per window, in order, each starting flat with the equity
//!   the previous one ended with (the first with the bot's budget), so the stitched curve
//!   is one account. Each window starts cold: the strategy warms its indicators up inside
//!   the window (it has not seen the in-sample bars), and a position still open at the
//!   window's end is valued at its last close without an exit fee (an `EndOfData` trade),
//!   as at the end of any run.
//! - Report: per window, the parameters chosen and the in-sample against the
//!   out-of-sample statistics; over the walk, the statistics of the stitched
//!   out-of-sample equity and trades (bar indices into the whole series).

mod optimise;
mod windows;

use rayon::prelude::*;
use rust_decimal::Decimal;
use thiserror::Error;
use vela_core::money::rounding::to_f64;
use vela_core::strategy::{Params, Registry, StrategySpec};
use vela_core::types::{Bar, Symbol};

pub use optimise::SweepOptimiser;
pub use windows::{Scheme, Window, WindowSpec, span_bars};

use crate::event::{self, EventConfig, EventError, History};
use crate::result::{EquityCurve, RunResult, Stats};
use crate::stats;

/// Picks the parameters to trade from in-sample bars.
pub trait Optimiser: Sync {
    /// The best parameters on `bars` (one window's in-sample bars) with their in-sample
    /// score and statistics.
    fn optimise(&self, bars: &[Bar]) -> Result<Choice, String>;
}

/// An optimiser's pick.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The strategy parameters to trade out of sample.
    pub params: Params,
    /// The value of the ranking metric in sample.
    pub score: f64,
    /// In-sample statistics of the pick.
    pub stats: Stats,
}

/// One walk-forward step's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowResult {
    /// The window.
    pub window: Window,
    /// What the optimiser picked in sample.
    pub choice: Choice,
    /// Statistics of the out-of-sample event run.
    pub out_of_sample: Stats,
    /// Equity at the start of the out-of-sample window.
    pub start_equity: f64,
    /// Equity at its end.
    pub end_equity: f64,
}

/// A whole walk: every window and the stitched out-of-sample account.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkForwardRun {
    /// Each step, in order.
    pub windows: Vec<WindowResult>,
    /// Out-of-sample trades (bar indices into the whole series), the stitched equity
    /// curve, and its statistics.
    pub out_of_sample: RunResult,
    /// Bars after the last whole out-of-sample window, not traded.
    pub unused_bars: usize,
}

impl WalkForwardRun {
    /// Mean in-sample and out-of-sample value of `metric` over the windows.
    #[must_use]
    pub fn mean(&self, metric: impl Fn(&Stats) -> f64) -> (f64, f64) {
        let n = self.windows.len().max(1) as f64;
        let (is, oos) = self.windows.iter().fold((0.0, 0.0), |(a, b), w| {
            (a + metric(&w.choice.stats), b + metric(&w.out_of_sample))
        });
        (is / n, oos / n)
    }
}

/// Why a walk could not run.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum WalkError {
    /// The window lengths do not fit the data.
    #[error("walk-forward windows: {0}")]
    Windows(String),
    /// The optimiser failed on a window.
    #[error("walk-forward window {window} (bars {from}..{to}): optimisation failed: {message}")]
    Optimise {
        /// Window index.
        window: usize,
        /// First in-sample bar.
        from: usize,
        /// End of the in-sample bars (exclusive).
        to: usize,
        /// What went wrong.
        message: String,
    },
    /// An out-of-sample event run failed.
    #[error("walk-forward window {window}: out-of-sample run: {source}")]
    Event {
        /// Window index.
        window: usize,
        /// The event tier's error.
        source: Box<EventError>,
    },
    /// The equity left after a window cannot fund the next one.
    #[error("walk-forward window {window}: equity {equity} left to trade with")]
    Equity {
        /// Window index.
        window: usize,
        /// The equity carried over.
        equity: Decimal,
    },
}

/// Walks `bars` of `symbol` forward over `spec`'s windows: `optimiser` picks parameters
/// of `config.bot.strategy` in sample, the event tier trades them out of sample with
/// `config` (the picked parameters set over the bot's own, its budget replaced by the
/// equity carried over).
pub fn run(
    registry: &Registry,
    config: &EventConfig,
    symbol: &Symbol,
    bars: &[Bar],
    spec: &WindowSpec,
    optimiser: &dyn Optimiser,
) -> Result<WalkForwardRun, WalkError> {
    let windows = spec.windows(bars.len())?;
    let choices: Vec<Choice> = windows
        .par_iter()
        .map(|w| {
            optimiser
                .optimise(&bars[w.in_sample.clone()])
                .map_err(|message| WalkError::Optimise {
                    window: w.index,
                    from: w.in_sample.start,
                    to: w.in_sample.end,
                    message,
                })
        })
        .collect::<Result<_, _>>()?;

    let ts: Vec<i64> = bars.iter().map(|b| b.ts.0).collect();
    let interval = stats::bar_interval_ms(&ts).unwrap_or(0);
    let initial = config.bot.budget;
    let mut equity = initial;
    let mut results = Vec::with_capacity(windows.len());
    let mut stitched = RunResult::default();
    for (window, choice) in windows.into_iter().zip(choices) {
        if equity <= Decimal::ZERO {
            return Err(WalkError::Equity {
                window: window.index,
                equity,
            });
        }
        let mut oos = config.clone();
        oos.bot.budget = equity;
        let mut params = config.bot.strategy.params.clone();
        for (name, value) in choice.params.iter() {
            params.set(name, value.clone());
        }
        oos.bot.strategy = StrategySpec::new(config.bot.strategy.name.clone(), params);
        let slice = &bars[window.out_of_sample.clone()];
        let failed = |source| WalkError::Event {
            window: window.index,
            source: Box::new(source),
        };
        let history = History::single(symbol.clone(), slice).map_err(failed)?;
        let run = event::run(registry, &oos, &history).map_err(failed)?;
        let start_equity = to_f64(equity);
        let end = run.final_equity;
        let window_stats = stats::compute(
            &run.result.trades,
            &run.result.equity,
            start_equity,
            interval,
        );
        let offset = window.out_of_sample.start;
        stitched
            .trades
            .extend(run.result.trades.into_iter().map(|mut t| {
                t.entry_bar += offset;
                t.exit_bar += offset;
                t
            }));
        append_curve(&mut stitched.equity, run.result.equity);
        results.push(WindowResult {
            window,
            choice,
            out_of_sample: window_stats,
            start_equity,
            end_equity: to_f64(end),
        });
        equity = end;
    }
    stitched.stats = stats::compute(
        &stitched.trades,
        &stitched.equity,
        to_f64(initial),
        interval,
    );
    Ok(WalkForwardRun {
        windows: results,
        out_of_sample: stitched,
        unused_bars: spec.unused_bars(bars.len()),
    })
}

fn append_curve(into: &mut EquityCurve, part: EquityCurve) {
    into.ts.extend(part.ts);
    into.equity.extend(part.equity);
    into.exposure.extend(part.exposure);
}

#[cfg(test)]
mod tests;
