//! The local MEXC simulator behind `vela sim`: MEXC's REST paths and WebSocket protocol on
//! loopback, replaying stored bars, matching orders with vela-core's simulated exchange
//! (the backtester's fill rules), with switchable faults.

pub mod faults;
pub mod feed;
pub mod listen_keys;
pub mod outgoing;
pub mod publish;
pub mod stream;
