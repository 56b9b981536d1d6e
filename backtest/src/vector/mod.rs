//! The vectorised tier: bar columns and an orders column in, trades, an equity curve and
//! statistics out, in one pass per column (DESIGN.md §6).
//!
//! ```
//! use vela_backtest::vector::{Market, Orders, Simulator, VectorConfig};
//! use vela_core::strategy::{BarSeries, Signals};
//! use vela_core::testkit::{bars_from_closes, btcusdt};
//!
//! let bars = BarSeries::from_bars(&bars_from_closes(&[100.0, 101.0, 103.0, 102.0], 1.0));
//! let market = Market::new(bars.columns())?;
//! let signals = Signals {
//!     entries: vec![true, false, false, false],
//!     exits: vec![false, false, true, false],
//! };
//! let sim = Simulator::new(VectorConfig::new(btcusdt(), 10_000.0))?;
//! let run = sim.run(&market, Orders::from(&signals))?;
//! // Bought at bar 1's open, sold at bar 3's open.
//! assert_eq!(run.result.trades.len(), 1);
//! assert_eq!((run.result.trades[0].entry_bar, run.result.trades[0].exit_bar), (1, 3));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Fill rules (shared with the event tier)
//!
//! - A signal at bar `i` is decided at bar `i`'s close. [`FillTiming::NextOpen`] (default)
//!   fills it at bar `i + 1`'s open (not at all after the last bar);
//!   [`FillTiming::ThisClose`] at bar `i`'s close.
//! - Signal orders are market orders: taker fee on the notional, in the quote asset.
//!   Slippage moves the price against the trader (buy `× (1 + bps/1e4)`, sell
//!   `× (1 − bps/1e4)`), then the price is rounded to the nearest tick and the quantity
//!   down to the step, exactly as `vela_core::money::rounding` does.
//! - Long-only spot. With signals: an exit while long sells the whole position, an entry
//!   while flat buys with the [`Sizing`] (all-in spends the cash: quantity
//!   `floor_step(cash / (price · (1 + taker fee)))`). An order below the instrument's
//!   minimum quantity or notional (at its fill price) is not sent and is counted in
//!   [`Refusals`] — exits and stops included, as the exchange would reject them.
//! - With a target exposure column the target (fraction of equity in the position) is
//!   applied when it changes; drift of the price between changes is not rebalanced.
//!   Each reduction closes a trade against the average entry price.
//! - A position still open after the last bar is valued at the last close: an
//!   [`ExitReason::EndOfData`](crate::result::ExitReason::EndOfData) trade without exit
//!   fee.
//! - Equity at each bar's close = cash + position × close.
//! - Fill times: a fill at an open or inside a bar (a stop) is stamped with the bar's open
//!   time `ts[i]`; a fill at a close (and the end-of-data valuation) with the bar's close
//!   time `ts[i] + interval`.
//!
//! # Stops and the intrabar order
//!
//! Stop loss, take profit and trailing stop are checked on each bar's open, low and high
//! (signal input only); see [`stops`] for the levels and the order. The
//! default order is pessimistic: a gap through a level fills at the open; a bar that
//! reaches both the stop and the take profit fills the stop. [`IntrabarOrder::Optimistic`]
//! lets the take profit win such a bar instead — the only other order offered. Stops are
//! market sells (taker fee, slippage) at the level or the open; a take profit can be a
//! resting limit instead ([`TakeProfitFill::Limit`]: maker fee, no slippage).
//!
//! # What is look-ahead safe
//!
//! The simulator only uses a bar's data at or after the moment it acts:
//! - **Allowed: [`FillTiming::ThisClose`] with signals computed from the same bar's close**
//!   — what vela's signals are. It assumes the order trades at the price the signal saw,
//!   which no live order can (it is optimistic by the close-to-fill move);
//!   [`FillTiming::NextOpen`] is the realistic default.
//! - **Allowed: stops with either fill timing.** A position entered at bar `i`'s open
//!   (next-open) is exposed to bar `i`'s low and high, so its stops are checked from bar
//!   `i`. A position entered at bar `i`'s close (this-close) existed for none of bar `i`'s
//!   range: its stops are checked from bar `i + 1` on, and bar `i`'s high does not raise
//!   its trailing stop (that high came before the entry). Checking them on bar `i` would
//!   be the look-ahead and is never done. The trailing stop never uses the current bar's
//!   high: whether the high came before the low is unknown.
//! - **Ordering within a bar**: a next-open order fills first (at the open), then the stops
//!   see the bar's range, then the close decides. So a stop and a signal exit never both
//!   fill, and a stop can be followed by a re-entry decided at the same bar's close.
//! - **Refused: a target exposure column with stops** ([`VectorError::Combination`]):
//!   after a stop the target would buy straight back, so the stop would mean nothing; use
//!   entry/exit signals. **Refused: a target exposure column with a sizing** other than the
//!   default: the column is the size.
//! - Not detectable here: signals that themselves use future bars. The research layer's
//!   look-ahead check (recomputing signals on truncated data) catches those.
//!
//! # Speed
//!
//! One pass, no allocation per bar. Flat stretches (no position, nothing to fill) are
//! skipped in one step up to the next entry signal (or target change); the statistics
//! stream into a [`StatsAccumulator`](crate::stats::StatsAccumulator), so with [`Record`]
//! off a sweep keeps no per-bar memory. [`Simulator::run_into`] reuses the output buffers
//! of a previous run (a fresh 1M-bar curve costs more in page faults than the simulation
//! itself). [`Market`] checks the bars once for all runs over them.
//! [`Simulator::run_strategy`] runs a strategy from the bars in one step; the crossover's
//! check, averages, signals and simulation then go a cache-sized piece of bars at a time,
//! without signal columns. Figures: BENCHMARKS.md.

mod book;
pub mod config;
mod decide;
pub mod error;
pub mod input;
mod precision;
mod simulate;
pub mod sizing;
pub mod stops;
mod strategy;

pub use config::{
    Fees, FillTiming, IntrabarOrder, Record, Sizing, Stops, TakeProfitFill, VectorConfig,
};
pub use error::VectorError;
pub use input::{Market, Orders};
pub(crate) use simulate::Pass;
pub use simulate::{Simulator, VectorRun, simulate};
pub use sizing::Refusals;
