//! What a backtest produces, whichever tier ran it: closed trades, an equity curve and
//! statistics. The vectorised tier and the event tier both fill these types, so parity
//! tests and reports compare like with like.

use vela_core::types::Side;

/// Why a position was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExitReason {
    /// The strategy's exit signal (or a sell intent).
    Signal,
    /// The stop loss.
    StopLoss,
    /// The take profit.
    TakeProfit,
    /// The trailing stop.
    TrailingStop,
    /// Still open at the end of the data: valued at the last close, not sold.
    EndOfData,
}

impl ExitReason {
    /// A short name (`signal`, `stop_loss`, ...), as written in trade tables.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Signal => "signal",
            Self::StopLoss => "stop_loss",
            Self::TakeProfit => "take_profit",
            Self::TrailingStop => "trailing_stop",
            Self::EndOfData => "end_of_data",
        }
    }
}

/// One round trip: an entry and its exit (long positions: buy then sell).
#[derive(Debug, Clone, PartialEq)]
pub struct Trade {
    /// The symbol traded.
    pub symbol: String,
    /// The entry side (`Buy` for a long position).
    pub side: Side,
    /// Index of the bar on which the entry filled.
    pub entry_bar: usize,
    /// Fill time of the entry, ms UTC: the bar's open time for a fill at the open, its
    /// close time (open time + bar interval) for a fill at the close.
    pub entry_ts: i64,
    /// Average entry price, after slippage.
    pub entry_price: f64,
    /// Index of the bar on which the exit filled (the last bar for `EndOfData`).
    pub exit_bar: usize,
    /// Fill time of the exit, ms UTC (as for the entry); for `EndOfData` the last bar's
    /// close time.
    pub exit_ts: i64,
    /// Average exit price, after slippage (the last close for `EndOfData`).
    pub exit_price: f64,
    /// Base quantity, after rounding to the instrument's step.
    pub quantity: f64,
    /// Fees paid on entry and exit, in the quote asset.
    pub fees: f64,
    /// Profit and loss in the quote asset, net of fees.
    pub pnl: f64,
    /// Why it closed.
    pub exit_reason: ExitReason,
}

impl Trade {
    /// Net return on the entry's cost (`pnl / (entry_price · quantity)`).
    #[must_use]
    pub fn return_fraction(&self) -> f64 {
        let cost = self.entry_price * self.quantity;
        if cost == 0.0 { 0.0 } else { self.pnl / cost }
    }
}

/// Equity at each bar's close (cash plus positions at the close), in the quote asset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EquityCurve {
    /// Bar open times, ms UTC.
    pub ts: Vec<i64>,
    /// Equity after the bar.
    pub equity: Vec<f64>,
    /// Fraction of equity held in positions after the bar (0 when flat).
    pub exposure: Vec<f64>,
}

/// Statistics of one run (definitions in the `stats` module).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Final equity / initial equity − 1.
    pub total_return: f64,
    /// Compound annual growth rate over the run's calendar span.
    pub cagr: f64,
    /// Annualised Sharpe ratio of per-bar returns (risk-free rate 0).
    pub sharpe: f64,
    /// Annualised Sortino ratio of per-bar returns (target 0).
    pub sortino: f64,
    /// CAGR / |max drawdown|.
    pub calmar: f64,
    /// Largest peak-to-trough fall of equity, as a negative fraction.
    pub max_drawdown: f64,
    /// Longest time from a peak to the recovery of that peak (or the end), ms.
    pub max_drawdown_duration_ms: i64,
    /// Winning trades / trades.
    pub win_rate: f64,
    /// Gross profit / gross loss.
    pub profit_factor: f64,
    /// Mean P&L per trade, quote asset.
    pub expectancy: f64,
    /// Mean P&L of winning trades.
    pub avg_win: f64,
    /// Mean P&L of losing trades (negative).
    pub avg_loss: f64,
    /// Fraction of bars with a position.
    pub exposure: f64,
    /// Closed trades.
    pub trades: usize,
    /// Fees paid, quote asset.
    pub fees: f64,
    /// Traded notional / mean equity.
    pub turnover: f64,
}

/// A run's output.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunResult {
    /// Closed trades, in order of exit.
    pub trades: Vec<Trade>,
    /// The equity curve.
    pub equity: EquityCurve,
    /// Statistics.
    pub stats: Stats,
}
