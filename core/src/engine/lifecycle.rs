//! Bot lifecycle: `Created → Running ⇄ Paused → Stopped`, plus `Killed`.

use serde::{Deserialize, Serialize};

use crate::types::Timestamp;

/// Where a bot is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BotState {
    /// Configured, not started. Sees market data, sends nothing.
    Created,
    /// Trading.
    Running,
    /// No new orders; resting orders stay; market data still flows to the strategy.
    Paused,
    /// Stopped: no strategy calls, no orders. May be started again.
    Stopped,
    /// Killed: pending orders canceled, nothing more ever. Positions are kept.
    Killed,
}

impl BotState {
    /// Whether the bot may send orders.
    #[must_use]
    pub const fn is_trading(self) -> bool {
        matches!(self, Self::Running)
    }

    /// Whether the strategy still sees market data.
    #[must_use]
    pub const fn sees_market(self) -> bool {
        matches!(self, Self::Created | Self::Running | Self::Paused)
    }
}

/// Why the state changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "until")]
pub enum StateReason {
    /// An operator's instruction.
    Manual,
    /// The drawdown limit.
    DrawdownLimit,
    /// The daily loss limit; trading resumes at the given time.
    DailyLossLimit(Timestamp),
    /// The weekly loss limit; trading resumes at the given time.
    WeeklyLossLimit(Timestamp),
    /// A loss-limit period ended.
    LimitPeriodEnded,
    /// The consecutive-loss breaker had no rotation left.
    LossBreaker,
    /// The running-time limit.
    RunningTimeElapsed,
    /// The runner-wide kill switch.
    GlobalKill,
}

impl StateReason {
    /// When a pause for this reason ends by itself.
    #[must_use]
    pub const fn resumes_at(self) -> Option<Timestamp> {
        match self {
            Self::DailyLossLimit(t) | Self::WeeklyLossLimit(t) => Some(t),
            _ => None,
        }
    }
}
