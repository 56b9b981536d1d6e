//! The records the journal keeps and the answers its writes give.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use vela_core::engine::{BotId, BotState};
use vela_core::types::{Fill, Order, OrderError, Symbol, Timestamp};

/// A position in the journal's append-only log (1, 2, 3, ... with no gaps).
pub type Seq = u64;

/// Whether a bot trades with real money or on paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BotMode {
    /// Real market data, fills simulated with the backtester's rules.
    Paper,
    /// Real orders on the exchange.
    Live,
}

impl BotMode {
    /// The mode's name as stored and shown (`paper`, `live`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Paper => "paper",
            Self::Live => "live",
        }
    }
}

impl fmt::Display for BotMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BotMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "paper" => Ok(Self::Paper),
            "live" => Ok(Self::Live),
            other => Err(format!("unknown mode {other:?} (expected paper or live)")),
        }
    }
}

/// A bot as the journal knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotRecord {
    /// The bot's id.
    pub id: BotId,
    /// Paper or live.
    pub mode: BotMode,
    /// Where the bot is in its life.
    pub state: BotState,
    /// Why it is in that state (free text for people).
    pub reason: String,
    /// The bot's configuration, as the TOML text it was created or last edited with.
    pub config: String,
    /// When it was added.
    pub created: Timestamp,
    /// When it last changed.
    pub updated: Timestamp,
}

impl BotRecord {
    /// A running paper bot `id` without configuration text, added at time 0: what the
    /// journal's own benchmarks and tests write rows for.
    #[must_use]
    pub fn bare(id: BotId) -> Self {
        Self {
            id,
            mode: BotMode::Paper,
            state: BotState::Running,
            reason: String::new(),
            config: String::new(),
            created: Timestamp(0),
            updated: Timestamp(0),
        }
    }
}

/// The answer to writing an order's intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// The intent is written: the order may be sent.
    Written {
        /// Its place in the log.
        seq: Seq,
    },
    /// An order with this client order id is already in the journal (the same decision
    /// delivered twice): it must not be sent again.
    AlreadyKnown {
        /// The order as the journal has it.
        order: Box<Order>,
    },
}

/// What became of an order report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderOutcome {
    /// The order moved to the reported state.
    Updated,
    /// The report does not fit the order's state machine (e.g. an acknowledgement after the
    /// order filled): logged, the order unchanged.
    Ignored {
        /// Why, naming the order.
        reason: String,
    },
    /// No order with that client order id is in the journal (an external order, or one
    /// intended by another process): logged only.
    UnknownOrder,
}

/// What became of a fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FillOutcome {
    /// A new trade: stored and applied to its order.
    Applied,
    /// A new trade on an order that is already canceled or expired (a fill racing the
    /// cancel): stored, added to the order's filled quantity, the order stays closed.
    AppliedToClosed,
    /// The same trade again (same symbol and trade id, same content): nothing changed.
    Duplicate,
    /// The same trade id with different content: not applied; both versions are kept
    /// (the stored one here, the new one in the log) for the integrity alarm.
    Conflict {
        /// The fill stored first.
        stored: Box<Fill>,
    },
    /// A new trade the order refuses (overfill, wrong side or symbol): stored as a trade
    /// of the exchange but not applied to the order.
    Refused {
        /// The order's reason.
        error: OrderError,
    },
    /// A new trade of an order the journal does not know: stored, not applied.
    UnknownOrder,
}

/// The answer to recording an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The event's place in the log.
    pub seq: Seq,
    /// For an order report other than a fill: what it did to the order.
    pub order: Option<OrderOutcome>,
    /// For a fill: what became of it.
    pub fill: Option<FillOutcome>,
}

/// A bot's P&L at one moment (quote currency).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PnlSnapshot {
    /// When.
    pub ts: Timestamp,
    /// Capital plus positions at their marks.
    pub equity: Decimal,
    /// Realised P&L so far.
    pub realized: Decimal,
    /// Unrealised P&L of the open positions.
    pub unrealized: Decimal,
    /// Fees paid so far.
    pub fees: Decimal,
}

/// A bot's position in one symbol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionRecord {
    /// The symbol.
    pub symbol: Symbol,
    /// Base quantity held.
    pub quantity: Decimal,
    /// Average entry price.
    pub average_price: Decimal,
    /// When it last changed.
    pub ts: Timestamp,
}

/// One entry of the append-only log, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Its place in the log.
    pub seq: Seq,
    /// The bot it concerns (`None`: the whole process, e.g. a global kill).
    pub bot: Option<String>,
    /// The time of the entry's content, ms.
    pub ts: i64,
    /// What kind of entry (`event`, `intent`, `command`, `bot`, `state`, `pnl`, ...).
    pub kind: String,
    /// The entry, as JSON.
    pub payload: String,
}
