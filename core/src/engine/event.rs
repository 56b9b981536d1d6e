//! Events: everything that reaches the engine. Each carries its own timestamp.

use serde::{Deserialize, Serialize};

use super::settings::SettingsUpdate;
use crate::strategy::Params;
use crate::types::{Bar, BookTop, ClientOrderId, Fill, MarketData, Symbol, Timestamp, Trade};

/// A report about one of the bot's orders, from the exchange or the simulated exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "report")]
pub enum OrderReport {
    /// The driver handed the order to the exchange.
    Submitted {
        /// The order.
        client_id: ClientOrderId,
        /// When.
        ts: Timestamp,
    },
    /// The send may or may not have reached the exchange (timeout, 5xx, dropped
    /// connection): the driver resolves it by querying, never by resending.
    Unknown {
        /// The order.
        client_id: ClientOrderId,
        /// Why the outcome is unknown.
        reason: String,
        /// When.
        ts: Timestamp,
    },
    /// The exchange acknowledged the order.
    Accepted {
        /// The order.
        client_id: ClientOrderId,
        /// Exchange order id.
        exchange_id: Option<String>,
        /// When.
        ts: Timestamp,
    },
    /// The exchange (or the driver, before sending) refused the order.
    Rejected {
        /// The order.
        client_id: ClientOrderId,
        /// The exchange's code and message.
        reason: String,
        /// When.
        ts: Timestamp,
    },
    /// A fill; `partial` is false when it completes the order.
    Filled {
        /// The execution.
        fill: Fill,
        /// Whether quantity remains open after it.
        partial: bool,
    },
    /// The order was canceled.
    Canceled {
        /// The order.
        client_id: ClientOrderId,
        /// When.
        ts: Timestamp,
    },
    /// The order ended without a cancel request (IOC/FOK remainder).
    Expired {
        /// The order.
        client_id: ClientOrderId,
        /// When.
        ts: Timestamp,
    },
}

impl OrderReport {
    /// The order the report is about.
    #[must_use]
    pub fn client_id(&self) -> &ClientOrderId {
        match self {
            Self::Submitted { client_id, .. }
            | Self::Unknown { client_id, .. }
            | Self::Accepted { client_id, .. }
            | Self::Rejected { client_id, .. }
            | Self::Canceled { client_id, .. }
            | Self::Expired { client_id, .. } => client_id,
            Self::Filled { fill, .. } => &fill.client_id,
        }
    }

    /// When it happened.
    #[must_use]
    pub fn ts(&self) -> Timestamp {
        match self {
            Self::Submitted { ts, .. }
            | Self::Unknown { ts, .. }
            | Self::Accepted { ts, .. }
            | Self::Rejected { ts, .. }
            | Self::Canceled { ts, .. }
            | Self::Expired { ts, .. } => *ts,
            Self::Filled { fill, .. } => fill.ts,
        }
    }
}

/// An operator's (or the runner's) instruction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "control")]
pub enum Control {
    /// Start trading (from created or stopped).
    Start,
    /// No new orders; resting orders stay.
    Pause,
    /// Trade again after a pause.
    Resume,
    /// Stop the bot, optionally canceling its resting orders.
    Stop {
        /// Whether to cancel resting orders.
        cancel_resting: bool,
    },
    /// Cancel every pending order and stop for good; never liquidates.
    Kill {
        /// Whether this is the runner-wide kill switch (for the record).
        global: bool,
    },
    /// New parameters for the active strategy (only while created, paused or stopped).
    UpdateParams(Params),
    /// New budget, risk settings or running time (only while created, paused or stopped).
    UpdateSettings(Box<SettingsUpdate>),
}

/// An external score for a symbol: news sentiment, a model's prediction, an AI provider's
/// view. A data column in backtests; an event from the runner's API live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// When the score was published.
    pub ts: Timestamp,
    /// Who produced it (e.g. `sentiment`, `model_a`).
    pub source: String,
    /// The symbol it is about.
    pub symbol: Symbol,
    /// The score, in `[-1, 1]`: -1 strongly bearish, 1 strongly bullish.
    pub value: f64,
}

/// Everything that reaches the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    /// Market data.
    Market(MarketData),
    /// A report about one of the bot's orders.
    Order(OrderReport),
    /// An external score.
    Signal(Signal),
    /// A timer tick delivered by the driver.
    Timer {
        /// The tick's time.
        ts: Timestamp,
    },
    /// An instruction.
    Control {
        /// When it was given.
        ts: Timestamp,
        /// What.
        control: Control,
    },
}

impl Event {
    /// The event's timestamp: "now" while it is handled.
    #[must_use]
    pub fn ts(&self) -> Timestamp {
        match self {
            Self::Market(data) => data.ts(),
            Self::Order(report) => report.ts(),
            Self::Signal(signal) => signal.ts,
            Self::Timer { ts } | Self::Control { ts, .. } => *ts,
        }
    }

    /// A completed bar of `symbol`.
    #[must_use]
    pub fn bar(symbol: Symbol, bar: Bar) -> Self {
        Self::Market(MarketData::Bar { symbol, bar })
    }

    /// A public trade in `symbol`.
    #[must_use]
    pub fn trade(symbol: Symbol, trade: Trade) -> Self {
        Self::Market(MarketData::Trade { symbol, trade })
    }

    /// A top-of-book update of `symbol`.
    #[must_use]
    pub fn book(symbol: Symbol, book: BookTop) -> Self {
        Self::Market(MarketData::BookTop { symbol, book })
    }

    /// An instruction at `ts`.
    #[must_use]
    pub fn control(ts: Timestamp, control: Control) -> Self {
        Self::Control { ts, control }
    }

    /// A fill report.
    #[must_use]
    pub fn fill(fill: Fill, partial: bool) -> Self {
        Self::Order(OrderReport::Filled { fill, partial })
    }
}
