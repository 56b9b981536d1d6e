//! What the streams tell their consumer: decoded pushes and status changes, on one tokio
//! mpsc channel per manager.

use std::fmt;
use std::time::Duration;

use vela_core::types::Symbol;

use crate::proto::{Channel, Push};

/// Which connection an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StreamId {
    /// Market connection number `n` of a [`super::MarketStreams`] (0-based, in the order
    /// they were opened).
    Market(usize),
    /// The user data stream.
    User,
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Market(n) => write!(f, "market#{n}"),
            Self::User => f.write_str("user"),
        }
    }
}

/// One event of the streams. Status events are also logged (refusals at error level).
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// A decoded push (delivered as received: duplicates and out-of-order pushes included;
    /// de-duplication is the consumer's job).
    Data {
        /// The connection.
        stream: StreamId,
        /// The push.
        push: Box<Push>,
        /// When its frame was received (decoded right after).
        received: std::time::Instant,
    },
    /// A connection is open (its subscriptions are being sent).
    Connected {
        /// The connection.
        stream: StreamId,
    },
    /// The server acknowledged a subscription.
    Subscribed {
        /// The connection.
        stream: StreamId,
        /// The channel.
        channel: Channel,
    },
    /// The server refused a subscription, or did not acknowledge it in time (fault-tests
    /// case 29: never a silent success). A refused channel is not subscribed again.
    SubscriptionRefused {
        /// The connection.
        stream: StreamId,
        /// The channel as sent.
        channel: String,
        /// The server's message, or why it counts as refused.
        message: String,
    },
    /// A connection ended.
    Disconnected {
        /// The connection.
        stream: StreamId,
        /// Why.
        reason: String,
    },
    /// The connection will be opened again after `delay` (attempt 0: a planned
    /// replacement before MEXC's 24-hour limit).
    Reconnecting {
        /// The connection.
        stream: StreamId,
        /// Failed attempts in a row.
        attempt: u32,
        /// The wait before the attempt.
        delay: Duration,
    },
    /// A subscribed channel brought no data for too long (fault-tests case 30): stop
    /// trading on its instrument until [`StreamEvent::Resumed`]. The connection is
    /// reconnected.
    Stale {
        /// The connection.
        stream: StreamId,
        /// The channel.
        channel: Channel,
        /// How long it has been silent.
        silent_for: Duration,
    },
    /// A stale channel brings data again.
    Resumed {
        /// The connection.
        stream: StreamId,
        /// The channel.
        channel: Channel,
    },
    /// A connection came back after a break and its subscriptions are acknowledged again:
    /// pushes between `since_ms` and now may be lost. Reconcile over REST (orders and fills
    /// for the user stream, book snapshots for depth).
    ResyncNeeded {
        /// The connection.
        stream: StreamId,
        /// When the break began, ms since the epoch (local clock).
        since_ms: i64,
    },
    /// A frame that could not be decoded (fault-tests case 33): counted and skipped.
    DecodeError {
        /// The connection.
        stream: StreamId,
        /// What was wrong.
        error: String,
        /// Undecodable frames of this manager so far.
        total: u64,
    },
    /// The user stream has a new listenKey (the old one expired or failed to renew).
    ListenKeyRenewed {
        /// The new key, masked.
        key: String,
    },
    /// A REST call of the user stream (create or keep alive a listenKey) failed.
    ListenKeyError {
        /// The error (listenKeys masked).
        error: String,
    },
    /// A local order book stopped publishing (a version gap, a reconnect, a refused
    /// snapshot): do not trade on it until [`StreamEvent::BookLive`].
    BookStale {
        /// The connection.
        stream: StreamId,
        /// The book's symbol.
        symbol: Symbol,
        /// Why.
        reason: String,
    },
    /// A local order book is in sync again (snapshot confirmed by the diffs).
    BookLive {
        /// The connection.
        stream: StreamId,
        /// The book's symbol.
        symbol: Symbol,
        /// The book's version.
        version: u64,
    },
}
