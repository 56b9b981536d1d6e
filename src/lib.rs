//! # vela
//!
//! Backtest-first crypto trading research with a live runner on MEXC. This facade
//! re-exports the workspace crates; the `vela` binary is the command line.
//!
//! - [`core`]: the deterministic strategy and risk core (vela-core).

pub use vela_core as core;
