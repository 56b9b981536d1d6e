//! The WebSocket client of MEXC's protobuf streams (reference §5, §6; DESIGN.md §7).
//!
//! - [`MarketStreams`]: public channels over connections of at most 30 subscriptions, with
//!   pings, acknowledged subscriptions, reconnects with capped exponential backoff and full
//!   resubscription in order, a planned replacement before 24 hours, and a staleness
//!   watchdog.
//! - [`UserStream`]: the account's orders, fills and balances over a listenKey, kept alive
//!   and recreated when it expires.
//!
//! Both deliver [`StreamEvent`]s on a tokio mpsc channel: decoded pushes
//! ([`crate::proto::Push`]) as received, and status changes. Undecodable frames are counted,
//! logged and reported, never fatal (fault-tests case 33).

mod books;
mod config;
mod event;
mod market;
mod session;
mod user;

#[cfg(test)]
mod tests;

use thiserror::Error;

pub use books::SNAPSHOT_LIMIT;
pub use config::{Backoff, BackoffConfig, MEXC_WS_URL, WsConfig};
pub use event::{StreamEvent, StreamId};
pub use market::MarketStreams;
pub use user::{UserStream, UserStreamConfig};

/// Why a stream could not be set up or changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WsError {
    /// The settings are not usable.
    #[error("WebSocket settings: {0}")]
    Config(String),
    /// TLS for `wss://` could not be prepared.
    #[error("WebSocket TLS: {0}")]
    Tls(String),
    /// A private channel was given to the market streams.
    #[error("{0} is a private channel: it belongs to the user data stream")]
    PrivateChannel(String),
    /// The connection's task has ended (its event receiver was dropped).
    #[error("the stream has ended")]
    Closed,
}
