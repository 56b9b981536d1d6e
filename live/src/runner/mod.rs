//! The live runner (issue 8, DESIGN.md §7): bots on MEXC in paper and live mode, one task
//! each, crash-safe through the journal.
//!
//! - [`spec`] — a bot as the runner takes it (the promoted `bot.toml` plus mode, interval,
//!   paper fill rules);
//! - [`api`] — the REST and WebSocket API;
//! - [`config`] — `vela.toml`;
//! - [`process`] — the [`Runner`]: shared market data, the user stream, the bots' tasks;
//!   its `routing` sends stream news to the bots, its `audit` looks for open orders no bot
//!   placed;
//! - [`bot`] — one bot's loop in the backtester's event order (its `status` is what it
//!   shows); `task` runs it on its inputs;
//!   `fiscal` keeps its fiscal log;
//! - [`venue`] — a live bot's orders over REST and the settle step before each bar;
//!   `balances` checks the account's balances when a live bot reconciles;
//! - [`feed`] — user-stream and REST news turned into engine reports;
//! - [`klines`] — completed bars from kline pushes;
//! - [`replay`] — a journal run back through a fresh engine (`vela replay`);
//! - [`store`] — the journal's own thread.

pub mod announce;
pub mod api;
mod balances;
pub mod bot;
pub mod config;
pub mod feed;
mod fiscal;
pub mod klines;
pub mod process;
pub mod replay;
pub mod spec;
pub mod store;
mod task;
pub mod venue;

use thiserror::Error;

pub use bot::{BotInput, BotStatus};
pub use config::RunnerConfig;
pub use process::{Runner, UnknownOrder};
pub use spec::BotSpec;

use crate::journal::JournalError;

/// Why the runner or one of its bots cannot go on.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RunnerError {
    /// `vela.toml` is invalid (the message names the key).
    #[error("vela.toml: {0}")]
    Config(String),
    /// A bot file is invalid (the message names the key).
    #[error("bot file: {0}")]
    BotSpec(String),
    /// The journal failed.
    #[error(transparent)]
    Journal(JournalError),
    /// The exchange could not be reached or set up.
    #[error("exchange: {0}")]
    Exchange(String),
    /// A bot cannot go on.
    #[error("bot {bot}: {reason}")]
    Bot {
        /// The bot.
        bot: String,
        /// Why.
        reason: String,
    },
    /// A bot's journal could not be run again.
    #[error("bot {bot}: restoring from the journal: {reason}")]
    Restore {
        /// The bot.
        bot: String,
        /// Why.
        reason: String,
    },
    /// A bot's working orders do not agree with the exchange.
    #[error("bot {bot}: orders not settled with the exchange: {reason}")]
    Unsettled {
        /// The bot.
        bot: String,
        /// Why.
        reason: String,
    },
    /// The exchange account holds less of an asset than the live bots do.
    #[error("bot {bot}: balances do not agree with the exchange: {reason}")]
    Balance {
        /// The bot.
        bot: String,
        /// Which asset, how much on each side.
        reason: String,
    },
    /// A thread or task of the runner failed.
    #[error("runner: {0}")]
    Io(String),
}
