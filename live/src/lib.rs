//! vela-live: the MEXC side of vela (DESIGN.md §7).
//!
//! - The **adapter**: signed REST ([`rest`], [`signing`]), typed errors that tell a definite
//!   rejection from an unknown outcome ([`errors`]), a client-side request limiter
//!   ([`limits`]), protobuf WebSocket market streams and the user data stream.
//! - The **simulator** behind `vela sim`: the same REST paths and WebSocket protocol on
//!   loopback, replaying stored bars, matching with vela-core's simulated exchange, with
//!   fault injection for tests.
//!
//! Facts about MEXC come from `reference/mexc-api.md` (cited as "reference §n").

pub mod book;
pub mod proto;
