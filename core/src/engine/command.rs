//! Commands: everything the engine asks its driver to do or record.

use serde::{Deserialize, Serialize};

use super::lifecycle::{BotState, StateReason};
use crate::risk::Denial;
use crate::types::{ClientOrderId, OrderRequest, Symbol, Timestamp};

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertLevel {
    /// For the record.
    Info,
    /// Needs a look.
    Warning,
    /// Needs action.
    Critical,
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertCode {
    /// A stop loss sent an exit.
    StopLoss,
    /// A trailing stop sent an exit.
    TrailingStop,
    /// A take-profit target sent an exit.
    TakeProfit,
    /// The drawdown limit paused the bot.
    DrawdownLimit,
    /// The daily loss limit paused the bot.
    DailyLossLimit,
    /// The weekly loss limit paused the bot.
    WeeklyLossLimit,
    /// A loss-limit pause ended with the new period.
    LimitPeriodEnded,
    /// The consecutive-loss breaker rotated the strategy.
    StrategyRotated,
    /// The breaker paused the bot: no rotation left.
    BreakerPaused,
    /// The running-time limit stopped the bot.
    RunningTimeElapsed,
    /// The bot was killed.
    Killed,
    /// The exchange rejected an order.
    OrderRejected,
    /// An order's outcome is unknown.
    OrderOutcomeUnknown,
    /// A fill cost more than the bot's capital.
    WalletOverdrawn,
    /// The strategy's parameters changed.
    ParamsUpdated,
    /// The budget, risk settings or running time changed.
    SettingsUpdated,
}

/// A message for the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// When.
    pub ts: Timestamp,
    /// How urgent.
    pub level: AlertLevel,
    /// What about.
    pub code: AlertCode,
    /// The details, for people.
    pub message: String,
}

/// A change of the bot's lifecycle state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateChange {
    /// When.
    pub ts: Timestamp,
    /// Before.
    pub from: BotState,
    /// After.
    pub to: BotState,
    /// Why.
    pub reason: StateReason,
}

/// What the engine asks of its driver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "command")]
pub enum Command {
    /// Send this order.
    Submit(OrderRequest),
    /// Cancel this order.
    Cancel {
        /// Its symbol.
        symbol: Symbol,
        /// The order.
        client_id: ClientOrderId,
    },
    /// Cancel every open order of the bot in this symbol.
    CancelAll {
        /// The symbol.
        symbol: Symbol,
    },
    /// Record a denied intent.
    Denied(Denial),
    /// Tell the operator.
    Alert(Alert),
    /// The bot's state changed.
    State(StateChange),
    /// The strategy trading changed: the loss breaker rotated it, or a strategy that runs
    /// others (auto mode) switched between them.
    Rotated {
        /// When.
        ts: Timestamp,
        /// Strategy before.
        from: String,
        /// Strategy after.
        to: String,
        /// Why.
        reason: String,
    },
}
