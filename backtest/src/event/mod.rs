//! The event tier: history replayed through the real core [`Engine`] (strategy and risk
//! layer exactly as live) against the core's simulated exchange ([`SimExchange`]).
//!
//! For each bar time, in this order:
//! 1. the exchange sees every symbol's new bar (in [`History::symbols`] order) and fills
//!    the orders working against it — market orders from the previous bar at this open
//!    (with [`FillTiming::NextOpen`]), resting limits the bar trades through, volume-capped
//!    rests; the fills reach the engine, stamped with the bar's open time;
//! 2. the bars reach the engine, one symbol after the other; each is the moment the bar
//!    completed, so what the strategy decides on it fills at the next bar's open (or at
//!    this close with [`FillTiming::ThisClose`]);
//! 3. a `Timer` event at the bar time, when [`EventConfig::timers`] is on (strategies with
//!    timeouts, such as triangular arbitrage, need them);
//! 4. the equity is read from the engine's wallet at the bars' closes.
//!
//! An order the engine sends in reaction to a fill of step 1 (a triangular arbitrage leg,
//! say) reaches the exchange after that bar's open: it arrives at the next bar's open with
//! `NextOpen`, at this bar's close with `ThisClose`.
//!
//! Every event is resolved completely before the next one: each command the engine returns
//! goes to the exchange (a `Submit` after the `Submitted` report the driver gives the
//! engine), and each report back to the engine, until nothing is left. The exchange's rules
//! (fill models, fees, precision, rejects) are documented in [`vela_core::sim`].
//!
//! Results: [`Trade`](crate::Trade) round trips built FIFO from the fills (see the
//! `trades` module's rules: partial fills of one entry order closed by one exit order
//! make one trade; positions left open at the end are `EndOfData` trades at the last
//! close), the equity curve at every bar's close (the wallet's decimal equity converted to
//! `f64`), and every fill with the index of its bar. Statistics are left at their
//! defaults: the `stats` module computes them from the trades and the curve.
//!
//! Exits sent by the risk layer are told apart by the alert the engine raises with them:
//! a sell submitted right after a stop-loss, trailing-stop or take-profit alert closes its
//! lots with that [`ExitReason`](crate::ExitReason).

mod history;
pub mod parity;
mod replay;
mod trades;

#[cfg(test)]
mod tests;

use rust_decimal::Decimal;
use thiserror::Error;
use vela_core::engine::{BotConfig, Engine, EngineError};
use vela_core::sim::{SimError, SimExchange};
use vela_core::strategy::{Registry, RegistryError};
use vela_core::types::{Fill, Symbol};
use vela_core::wallet::Wallet;

pub use history::History;
pub use vela_core::sim::{FeeAsset, FillTiming, SimConfig, TouchRule};

use crate::result::RunResult;

/// What an event run needs besides the bars: the bot (exactly the configuration the live
/// runner takes) and the simulated exchange's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EventConfig {
    /// The bot: instruments, budget, strategy, risk settings.
    pub bot: BotConfig,
    /// Fill timing, touch rule, volume cap, slippage, fee asset.
    pub exchange: SimConfig,
    /// Deliver a `Timer` event at every bar time (after the bars).
    pub timers: bool,
}

impl EventConfig {
    /// `bot` on the default exchange (next open, through-only limits, no cap, no
    /// slippage, fees in quote), with timers.
    #[must_use]
    pub fn new(bot: BotConfig) -> Self {
        Self {
            bot,
            exchange: SimConfig::default(),
            timers: true,
        }
    }
}

/// One fill of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillRecord {
    /// Index of the bar time at which it happened.
    pub bar: usize,
    /// The fill as the engine received it.
    pub fill: Fill,
    /// Whether quantity of its order was left open after it.
    pub partial: bool,
}

/// How the orders of a run fared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderCounts {
    /// Orders the engine submitted.
    pub submitted: usize,
    /// Intents the risk gate denied (including orders below the minimums).
    pub denied: usize,
    /// Orders the exchange rejected.
    pub rejected: usize,
    /// Orders canceled.
    pub canceled: usize,
    /// Orders that expired (IOC/FOK rests, quote amounts too small to go on).
    pub expired: usize,
    /// Fills.
    pub fills: usize,
}

/// Everything an event run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRun {
    /// Trades, equity curve and (default) statistics.
    pub result: RunResult,
    /// Every fill, in the order the engine received them.
    pub fills: Vec<FillRecord>,
    /// Order outcomes.
    pub counts: OrderCounts,
    /// The engine's equity after the last bar, at the last closes.
    pub final_equity: Decimal,
    /// The wallet after the last bar.
    pub wallet: Wallet,
    /// Orders still working at the exchange after the last bar.
    pub open_orders: usize,
    /// Cancels of orders the exchange no longer held.
    pub unknown_cancels: u64,
}

/// Why an event run could not run or stopped.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum EventError {
    /// Unknown strategy or invalid parameters.
    #[error("strategy: {0}")]
    Strategy(#[from] RegistryError),
    /// The bot configuration is invalid.
    #[error("bot configuration: {0}")]
    Bot(EngineError),
    /// The exchange settings are invalid, or the exchange refused a bar.
    #[error("simulated exchange: {0}")]
    Exchange(#[from] SimError),
    /// No symbol was given.
    #[error("no bars given: an event run needs at least one symbol's bars")]
    NoData,
    /// A symbol without bars.
    #[error("no bars for {0}")]
    EmptyData(Symbol),
    /// A symbol given twice.
    #[error("bars for {0} are given twice")]
    DuplicateSymbol(Symbol),
    /// A frame whose columns do not line up.
    #[error("bar frame of {symbol}: {detail}")]
    InvalidFrame {
        /// The symbol.
        symbol: Symbol,
        /// What is wrong.
        detail: String,
    },
    /// A bar that breaks the bar rules.
    #[error("bar {row} of {symbol}: {detail}")]
    InvalidBar {
        /// The symbol.
        symbol: Symbol,
        /// Row of the bar.
        row: usize,
        /// What is wrong.
        detail: String,
    },
    /// Bars out of time order or repeated.
    #[error("bar {row} of {symbol} at {ts} does not come after the previous bar at {previous}")]
    Unsorted {
        /// The symbol.
        symbol: Symbol,
        /// Row of the bar.
        row: usize,
        /// Open time of the previous bar, ms.
        previous: i64,
        /// Open time of this bar, ms.
        ts: i64,
    },
    /// Symbols whose bars are not at the same times.
    #[error(
        "bars of {symbol} are not aligned with {reference}: row {row} is at {} where {reference} has {}",
        fmt_ts(*got),
        fmt_ts(*expected)
    )]
    Misaligned {
        /// The symbol that differs.
        symbol: Symbol,
        /// The first symbol, which sets the times.
        reference: Symbol,
        /// The first row that differs.
        row: usize,
        /// The reference's open time there (`None`: it has no such row).
        expected: Option<i64>,
        /// This symbol's open time there (`None`: it has no such row).
        got: Option<i64>,
    },
    /// Bars for a symbol the bot does not trade.
    #[error("bars for {0}, which is not one of the bot's instruments")]
    UnknownSymbol(Symbol),
    /// A bot instrument without bars.
    #[error("the bot trades {0} but no bars were given for it")]
    MissingSymbol(Symbol),
    /// The engine refused an event (a bug in a strategy or in the replay, never bad data,
    /// which is checked before the run).
    #[error("engine refused the event at {ts} (bar {bar}): {source}")]
    Engine {
        /// The event's time, ms.
        ts: i64,
        /// The bar index.
        bar: usize,
        /// The engine's error (boxed: the error carries symbols and assets inline, and
        /// would make every result of this crate as large as itself).
        source: Box<EngineError>,
    },
}

fn fmt_ts(ts: Option<i64>) -> String {
    ts.map_or_else(|| "no bar".to_owned(), |t| t.to_string())
}

/// Replays `history` through a fresh engine for `config.bot` (built from `registry`) and
/// a simulated exchange for its instruments. The history must hold exactly the bot's
/// instruments.
pub fn run(
    registry: &Registry,
    config: &EventConfig,
    history: &History<'_>,
) -> Result<EventRun, EventError> {
    run_with_progress(registry, config, history, &mut |_, _| {})
}

/// Bars replayed between two calls of a progress callback.
pub const PROGRESS_EVERY: usize = 8192;

/// [`run`], calling `progress(bars done, bars in total)` every [`PROGRESS_EVERY`] bars
/// and after the last one (for progress bars on long runs; it cannot change the run).
pub fn run_with_progress(
    registry: &Registry,
    config: &EventConfig,
    history: &History<'_>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<EventRun, EventError> {
    registry.resolve(&config.bot.strategy)?;
    for symbol in history.symbols() {
        if !config.bot.instruments.iter().any(|i| &i.symbol == symbol) {
            return Err(EventError::UnknownSymbol(symbol.clone()));
        }
    }
    for instrument in &config.bot.instruments {
        if !history.symbols().contains(&instrument.symbol) {
            return Err(EventError::MissingSymbol(instrument.symbol.clone()));
        }
    }
    let engine = Engine::new(config.bot.clone(), registry).map_err(|e| match e {
        EngineError::Registry(r) => EventError::Strategy(r),
        other => EventError::Bot(other),
    })?;
    let sim = SimExchange::new(config.exchange, config.bot.instruments.iter().cloned())?;
    replay::Replay::new(engine, sim, config.timers).run(history, progress)
}
