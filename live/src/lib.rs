//! vela-live: the MEXC side of vela (DESIGN.md §7).
//!
//! - The **adapter**: signed REST ([`rest`], [`signing`]), typed errors that tell a definite
//!   rejection from an unknown outcome ([`errors`]), a client-side request limiter
//!   ([`limits`]), credentials that never show ([`secret`]); MEXC's protobuf pushes and
//!   WebSocket control frames ([`proto`]), the local order book ([`book`]), and the
//!   WebSocket market streams and user data stream ([`ws`]).
//! - The **simulator** behind `vela sim` ([`sim`]): the same REST paths and WebSocket
//!   protocol on loopback, replaying stored bars, matching with vela-core's simulated
//!   exchange, with fault injection for tests.
//! - **Alerts** to people ([`alerts`]): webhook, Telegram and email, with storm control.
//! - **Reports** ([`reports`]): realised gains by FIFO lots as CSV.
//! - The **runner's journal** ([`journal`]): the `DuckDB` file of bots, orders, fills and the
//!   append-only log, with write-ahead intents and fills deduplicated by trade id.
//!
//! Facts about MEXC come from `reference/mexc-api.md` (cited as "reference §n").

pub mod alerts;
pub mod book;
pub mod errors;
pub mod http;
pub mod journal;
pub mod limits;
pub mod proto;
pub mod reports;
pub mod rest;
pub mod runner;
pub mod secret;
pub mod signing;
pub mod sim;
pub mod ws;
