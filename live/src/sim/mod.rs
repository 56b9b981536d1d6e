//! The local MEXC simulator behind `vela sim`: MEXC's REST paths and WebSocket protocol on
//! loopback, replaying stored bars, matching orders with vela-core's simulated exchange
//! (the backtester's fill rules), with switchable faults.
//!
//! - [`state`]: the replay, the accounts and the synthetic market, free of I/O;
//! - [`account`]: one account's balances, orders and trades;
//! - [`synth`]: trades, book and ticker synthesised from bars;
//! - [`rest`]: the REST half (axum), with MEXC's signature and timestamp checks;
//! - `replies`: the JSON of its replies;
//! - [`stream`]: the WebSocket half (axum), and [`publish`], which encodes the pushes;
//! - [`faults`], [`feed`], [`listen_keys`], [`outgoing`]: what the halves share.

pub mod account;
pub mod faults;
pub mod feed;
pub mod listen_keys;
pub mod outgoing;
pub mod publish;
mod replies;
pub mod rest;
pub mod server;
pub mod state;
pub mod stream;
pub mod synth;
